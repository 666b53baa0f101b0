"""The sidebar: every domain's module, in domain order, and the reports beside them."""

from __future__ import annotations

from backoffice.domains import manifests
from backoffice.platform.manifest import Module, Report

MODULES: tuple[Module, ...] = tuple(m.module for m in manifests() if m.module is not None)


def report_at(path: str) -> tuple[Module, Report] | None:
    """The module and report a path opens, if it is one."""
    route = "/" + path.strip("/")
    for module in MODULES:
        for report in module.reports:
            if report.route == route:
                return module, report
    return None
