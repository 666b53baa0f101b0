"""The page gate's rule: which modules, reports and pages a caller may open.

``state/auth.py`` applies it on every page load (and fills the sidebar from it); the roles
document (``docs/roles.md``) and its test compute the same answers for each role's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from backoffice.engine.resource import all_resources
from backoffice.engine.resource import get as get_resource
from backoffice.platform.navigation import MODULES, report_at
from backoffice.security.rbac import MODULE_RESOURCES, Principal


def modules_of(principal: Principal | None) -> list[str]:
    """The modules in the caller's sidebar, in sidebar order: those whose resource they may view,
    and those of any resource they may view that opens its module."""
    if principal is None:
        return []
    keys = set(principal.modules()) | {
        r.module for r in all_resources() if r.opens_module and principal.can(r.permission, "view")
    }
    return [m.key for m in MODULES if m.key in keys]


def reports_of(principal: Principal | None) -> list[str]:
    """The routes of the module reports in the caller's sidebar."""
    if principal is None:
        return []
    modules = set(modules_of(principal))
    return [
        report.route
        for m in MODULES
        if m.key in modules
        for report in m.reports
        if principal.can(m.report_resource(report), "view")
    ]


@dataclass(frozen=True)
class PageRefusal:
    permission: tuple[str, str]  # the one missing
    page: str  # the module's or the report's route
    reason: str


def page_refusal(principal: Principal, path: str) -> PageRefusal | None:
    """Why the caller may not open the page at ``path``, or None: a module they do not see,
    a resource's page whose records they may not view, or a report whose own right they lack."""
    parts = path.strip("/").split("/")
    module = parts[0]
    if module and module in MODULE_RESOURCES and module not in modules_of(principal):
        return PageRefusal((MODULE_RESOURCES[module], "view"), f"/{module}", "module not allowed")
    resource = get_resource(parts[1]) if module == "r" and len(parts) > 1 else None
    if resource is not None and not principal.can(resource.permission, "view"):
        return PageRefusal(
            (resource.permission, "view"), f"/r/{resource.key}", "resource not allowed"
        )
    found = report_at(path)
    if found is not None:
        owner, report = found
        needed = owner.report_resource(report)
        if not principal.can(needed, "view"):
            return PageRefusal((needed, "view"), report.route, "report not allowed")
    return None
