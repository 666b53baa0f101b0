"""The modules of the portal, in sidebar order, and the resource whose "view" opens each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Module:
    key: str
    route: str
    icon: str
    resource: str
    stats: tuple[str, ...]
    reports: tuple[tuple[str, str, str], ...] = ()  # (i18n label, route, icon)


MODULES: tuple[Module, ...] = (
    Module("products", "/products", "package", "product", ("products", "products_on_sale")),
    Module(
        "partners",
        "/partners",
        "handshake",
        "partner",
        ("partners",),
        reports=(("commission.title", "/partners/commission", "coins"),),
    ),
    Module(
        "campaigns",
        "/campaigns",
        "megaphone",
        "campaign",
        ("campaigns", "customers"),
        reports=(("results.title", "/campaigns/results", "chart-column"),),
    ),
    Module("kyc", "/kyc", "shield-check", "kyc_case", ("kyc_open", "watchlist")),
    Module(
        "tickets",
        "/tickets",
        "headset",
        "ticket",
        ("tickets_open",),
        reports=(
            ("tickets.workspace", "/tickets/workspace", "inbox"),
            ("tickets.reports", "/tickets/reports", "chart-column"),
        ),
    ),
    Module(
        "hr",
        "/hr",
        "users",
        "employee",
        ("employees", "openings"),
        reports=(
            ("hr.overview", "/hr/overview", "chart-column"),
            ("hr.hiring_board", "/hr/hiring", "kanban"),
            ("hr.appraisals", "/me/appraisals", "star"),
        ),
    ),
    Module(
        "kpi",
        "/kpi",
        "chart-line",
        "kpi",
        ("transactions", "customers"),
        reports=(("kpi.catalogue", "/kpi/metrics", "book-open"),),
    ),
    Module(
        "projects",
        "/projects",
        "calendar-range",
        "project",
        ("milestones", "risks"),
        reports=(
            ("project.plan_title", "/projects/gantt", "chart-gantt"),
            ("project.risk_map", "/projects/risks", "grid-3x3"),
        ),
    ),
    Module("audit", "/audit", "scroll-text", "audit", ()),  # its page is the log (pages/audit_log)
    Module("admin", "/admin", "settings", "user", ("audit_entries",)),
)
