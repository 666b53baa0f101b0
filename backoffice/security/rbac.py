"""Roles, resources, actions and the default permission matrix.

Permissions are (resource, action) pairs granted to roles; the matrix lives in the database
(``role_permission``) and administrators edit it at run time. The defaults below are what a new
installation starts with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from backoffice.domains import manifests
from backoffice.platform.navigation import MODULES

ACTIONS = (
    "view", "create", "edit", "archive", "export", "import", "approve", "publish", "reveal",
    "manage",
)  # fmt: skip
# Actions that need a TOTP code entered within the last STEP_UP_SECONDS.
STEP_UP_ACTIONS = frozenset({"approve", "publish", "export", "reveal", "manage"})
STEP_UP_SECONDS = 300

# every domain declares its own (``domains/<name>/manifest.py``)
RESOURCES: tuple[str, ...] = tuple(r for m in manifests() for r in m.rights)

# Which resource a sidebar module stands for: seeing the module needs its "view".
MODULE_RESOURCES = {m.key: m.resource for m in MODULES}

# labelled by the catalogue's role.<code>; "platform" is for API clients (the customer platform)
ROLES: tuple[str, ...] = (
    "admin", "product_manager", "marketing", "compliance", "cs_agent", "cs_lead", "hr",
    "executive", "pmo", "platform",
)  # fmt: skip
# the roles a person may hold ("platform" is only ever an API client's)
STAFF_ROLES: tuple[str, ...] = tuple(role for role in ROLES if role != "platform")


def _default_grants() -> dict[str, dict[str, tuple[str, ...]]]:
    grants: dict[str, dict[str, tuple[str, ...]]] = {role: {} for role in ROLES}
    for manifest in manifests():
        for role, rights in manifest.grants.items():
            grants[role].update(rights)
    return grants


# what a new installation gives each role: the grants every domain declares
DEFAULT_GRANTS: dict[str, dict[str, tuple[str, ...]]] = _default_grants()


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the server resolved it for this event."""

    user_id: int
    username: str
    display_name: str
    session_id: int
    roles: frozenset[str]
    permissions: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    totp_verified_at: datetime | None = None

    def can(self, resource: str, action: str) -> bool:
        return (resource, action) in self.permissions

    @property
    def is_person(self) -> bool:
        """A member of staff signed in; an API client acts with no user of its own (user 0)."""
        return self.user_id > 0

    def modules(self) -> list[str]:
        return [m for m, resource in MODULE_RESOURCES.items() if self.can(resource, "view")]
