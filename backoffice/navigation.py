"""The modules of the portal, in sidebar order, and the resource whose "view" opens each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class Report(NamedTuple):
    """A page of a module beside its resources; ``resource``: the rbac resource whose "view"
    it needs besides the module's ("" when the module's is enough)."""

    label: str  # i18n key
    route: str
    icon: str
    resource: str = ""


@dataclass(frozen=True)
class Module:
    key: str
    route: str
    icon: str
    resource: str
    stats: tuple[str, ...]
    reports: tuple[Report, ...] = ()

    def report_resource(self, report: Report) -> str:
        return report.resource or self.resource


def report_at(path: str) -> tuple[Module, Report] | None:
    """The module and report a path opens, if it is one."""
    route = "/" + path.strip("/")
    for module in MODULES:
        for report in module.reports:
            if report.route == route:
                return module, report
    return None


MODULES: tuple[Module, ...] = (
    Module("products", "/products", "package", "product", ("products", "products_on_sale")),
    Module(
        "partners",
        "/partners",
        "handshake",
        "partner",
        ("partners",),
        reports=(Report("commission.title", "/partners/commission", "coins"),),
    ),
    Module(
        "campaigns",
        "/campaigns",
        "megaphone",
        "campaign",
        ("campaigns", "customers"),
        reports=(Report("results.title", "/campaigns/results", "chart-column"),),
    ),
    Module("kyc", "/kyc", "shield-check", "kyc_case", ("kyc_open", "watchlist")),
    Module(
        "tickets",
        "/tickets",
        "headset",
        "ticket",
        ("tickets_open",),
        reports=(
            Report("tickets.workspace", "/tickets/workspace", "inbox"),
            Report("tickets.reports", "/tickets/reports", "chart-column", "ticket_report"),
        ),
    ),
    Module(
        "hr",
        "/hr",
        "users",
        "employee",
        ("employees", "openings"),
        reports=(
            Report("hr.overview", "/hr/overview", "chart-column"),
            Report("hr.hiring_board", "/hr/hiring", "kanban", "hiring"),
            Report("hr.appraisals", "/me/appraisals", "star", "self_appraisal"),
        ),
    ),
    Module(
        "kpi",
        "/kpi",
        "chart-line",
        "kpi",
        ("transactions", "customers"),
        reports=(Report("kpi.catalogue", "/kpi/metrics", "book-open"),),
    ),
    Module(
        "projects",
        "/projects",
        "calendar-range",
        "project",
        ("milestones", "risks"),
        reports=(
            Report("project.plan_title", "/projects/gantt", "chart-gantt"),
            Report("project.risk_map", "/projects/risks", "grid-3x3"),
        ),
    ),
    Module("audit", "/audit", "scroll-text", "audit", ()),  # its page is the log (pages/audit_log)
    Module("admin", "/admin", "settings", "user", ("audit_entries",)),
)
