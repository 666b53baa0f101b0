"""Administration: staff accounts, roles and the permission matrix, live sessions, custom
fields and scheduled jobs."""

from __future__ import annotations

from backoffice.platform.manifest import Manifest, Module

MANIFEST = Manifest(
    name="admin",
    module=Module("admin", "/admin", "settings", "user", ("audit_entries",)),
    rights=("user", "role", "session", "custom_field", "job"),
    grants={
        "admin": {
            "user": ("view", "create", "edit", "manage"),
            "role": ("view", "manage"),
            "session": ("view", "manage"),
            "custom_field": ("view", "manage"),
            "job": ("view", "manage"),
        },
    },
)
