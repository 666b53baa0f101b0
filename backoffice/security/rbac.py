"""Roles, resources, actions and the default permission matrix.

Permissions are (resource, action) pairs granted to roles; the matrix lives in the database
(``role_permission``) and administrators edit it at run time. The defaults below are what a new
installation starts with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from backoffice.navigation import MODULES

ACTIONS = (
    "view", "create", "edit", "archive", "export", "import", "approve", "publish", "reveal",
    "manage",
)  # fmt: skip
# Actions that need a TOTP code entered within the last STEP_UP_SECONDS.
STEP_UP_ACTIONS = frozenset({"approve", "publish", "export", "reveal", "manage"})
STEP_UP_SECONDS = 300

RESOURCES = (
    "product", "partner", "campaign", "customer", "kyc_case", "watchlist", "questionnaire",
    "risk_indicator", "ticket_config", "ticket_report", "suitability_override",
    "suitability_review",
    "ticket", "employee", "salary", "hiring", "training", "appraisal", "self_appraisal", "kpi",
    "kpi_alert_rule", "kpi_alert", "project",
    "user", "role", "session", "audit", "custom_field", "transaction", "job",
)  # fmt: skip

# Which resource a sidebar module stands for: seeing the module needs its "view".
MODULE_RESOURCES = {m.key: m.resource for m in MODULES}

ROLES: dict[str, tuple[str, str]] = {
    "admin": ("系统管理员", "Administrator"),
    "product_manager": ("产品经理", "Product manager"),
    "marketing": ("市场营销", "Marketing"),
    "compliance": ("合规专员", "Compliance officer"),
    "cs_agent": ("客服专员", "Customer-service agent"),
    "cs_lead": ("客服主管", "Customer-service lead"),
    "hr": ("人力资源", "HR"),
    "executive": ("管理层", "Executive"),
    "pmo": ("项目管理办公室", "PMO"),
}

_EDIT = ("view", "create", "edit", "archive", "export", "import")
DEFAULT_GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    "admin": {
        "user": ("view", "create", "edit", "manage"),
        "role": ("view", "manage"),
        "session": ("view", "manage"),
        "audit": ("view", "export"),
        "custom_field": ("view", "manage"),
        "job": ("view", "manage"),
        "kpi_alert_rule": _EDIT,
        "kpi_alert": ("view", "edit"),
    },
    "product_manager": {
        "product": (*_EDIT, "approve", "publish"),
        "partner": _EDIT,
        "campaign": ("view",),
        "kpi": ("view",),
        "transaction": ("view",),
        "self_appraisal": ("view",),
        "kpi_alert": ("view", "edit"),
    },
    "marketing": {
        "campaign": (*_EDIT, "approve"),
        "product": ("view",),
        "partner": ("view",),
        "kpi": ("view",),
        "self_appraisal": ("view",),
        "kpi_alert": ("view", "edit"),
    },
    "compliance": {
        "kyc_case": (*_EDIT, "approve"),
        "customer": ("view", "reveal", "export"),
        "watchlist": _EDIT,
        "questionnaire": (*_EDIT, "approve"),
        "risk_indicator": _EDIT,
        "product": ("view",),
        # extracts for a regulator or internal audit are compliance's to produce (step-up,
        # audited, and a burst of them alerts compliance itself)
        "audit": ("view", "export"),
        "transaction": ("view", "export"),
        "suitability_override": ("view", "approve", "export"),
        "suitability_review": ("view", "edit", "export"),
        "self_appraisal": ("view",),
        "kpi": ("view",),
        "kpi_alert": ("view", "edit"),
    },
    "cs_agent": {
        "ticket": ("view", "create", "edit"),
        "customer": ("view",),
        "product": ("view",),
        "self_appraisal": ("view",),
    },
    "cs_lead": {
        "ticket": (*_EDIT, "approve"),
        "ticket_report": ("view", "export"),
        "ticket_config": _EDIT,
        "customer": ("view",),
        "product": ("view",),
        # subscriptions and redemptions customers place by phone or in branch, and files of them
        "transaction": ("view", "create", "import"),
        "suitability_override": ("view", "create"),
        "kpi": ("view",),
        "self_appraisal": ("view",),
        "kpi_alert": ("view", "edit"),
    },
    "hr": {
        "employee": _EDIT,
        "salary": ("view", "edit"),
        "hiring": _EDIT,
        "training": _EDIT,
        "appraisal": (*_EDIT, "approve"),
        "self_appraisal": ("view",),
        "kpi": ("view",),
        "kpi_alert": ("view", "edit"),
    },
    "executive": {
        "kpi": ("view", "export"),
        "transaction": ("view", "export"),
        "product": ("view",),
        "partner": ("view",),
        "campaign": ("view",),
        "kyc_case": ("view",),
        "ticket": ("view",),
        "ticket_report": ("view", "export"),
        "employee": ("view",),
        "salary": ("view",),
        "project": ("view",),
        "appraisal": ("view", "approve"),
        "self_appraisal": ("view",),
        "kpi_alert_rule": ("view",),
        "kpi_alert": ("view", "edit"),
    },
    "pmo": {
        "project": (*_EDIT, "approve"),
        "kpi": ("view",),
        "employee": ("view",),
        "self_appraisal": ("view",),
        "kpi_alert": ("view", "edit"),
    },
}


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

    def modules(self) -> list[str]:
        return [m for m, resource in MODULE_RESOURCES.items() if self.can(resource, "view")]
