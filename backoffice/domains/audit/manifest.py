"""The audit trail as compliance and administrators read it: the log, its anchor and its alerts."""

from __future__ import annotations

from backoffice.platform.manifest import Manifest, Module, Stat
from models.audit import AuditEntry

MANIFEST = Manifest(
    name="audit",
    module=Module("audit", "/audit", "scroll-text", "audit", ()),
    rights=("audit",),
    grants={
        "admin": {"audit": ("view", "export")},
        # extracts for a regulator or internal audit are compliance's to produce (step-up,
        # audited, and a burst of them alerts compliance itself)
        "compliance": {"audit": ("view", "export")},
    },
    stats=(Stat("audit_entries", AuditEntry, "audit"),),
)
