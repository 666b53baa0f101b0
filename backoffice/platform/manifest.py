"""What a domain declares to the portal, in one place per domain (``domains/<name>/manifest.py``):
its sidebar module and reports, its rights and the roles they go to by default, the counts its
module shows, and the record panels its pages add. The portal reads the manifests; no shared
list names a domain's parts (``backoffice/domains/__init__.py`` lists the domains themselves).

A manifest stays light: it imports this module and models only, never rules, states or pages
(the permission matrix is built from manifests while the rules are still importing it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

# the actions of a resource its editors get: everything but approving, publishing, revealing
EDIT = ("view", "create", "edit", "archive", "export", "import")


class Report(NamedTuple):
    """A page of a module beside its resources; ``resource``: the rbac resource whose "view"
    it needs besides the module's ("" when the module's is enough)."""

    label: str  # i18n key
    route: str
    icon: str
    resource: str = ""


@dataclass(frozen=True)
class Count:
    """One count on a module's landing page: the records of ``resource`` in ``queue`` and/or
    with ``filters`` (a list the engine shows, so the count and its list agree)."""

    key: str  # landing.count.<key>
    resource: str
    queue: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    tone: str = "gray"  # red: late or at risk; amber: waiting on someone
    right: tuple[str, str] | None = None  # besides the resource's view right


@dataclass(frozen=True)
class Shortcut:
    key: str  # landing.shortcut.<key>
    href: str
    icon: str
    right: tuple[str, str]


@dataclass(frozen=True)
class Plan:
    """What a module's landing page shows the person who opens it."""

    work: tuple[Count, ...] = ()  # the caller's queues
    approvals: tuple[str, ...] = ()  # resources whose approving steps the caller may take
    figures: tuple[Count, ...] = ()  # the module's key figures
    shortcuts: tuple[Shortcut, ...] = ()
    appraisals: bool = False  # HR: appraisals waiting for the caller's rating or calibration


@dataclass(frozen=True)
class Stat:
    """A record count on the overview and module pages. ``where`` builds the condition when
    counted (models are imported by then); ``right``: the resource whose "view" reading it
    needs; ``scoped_by``: the resource whose row scope limits it to the rows the caller sees."""

    key: str  # overview.stat.<key>
    model: type
    right: str
    where: Callable[[], Any] | None = None
    scoped_by: str = ""


@dataclass(frozen=True)
class Module:
    """A sidebar entry: ``resource``'s "view" opens it (the sidebar lists them in domain order)."""

    key: str
    route: str
    icon: str
    resource: str
    stats: tuple[str, ...] = ()
    reports: tuple[Report, ...] = ()
    landing: Plan | None = None

    def report_resource(self, report: Report) -> str:
        return report.resource or self.resource


@dataclass(frozen=True)
class Manifest:
    """``rights``: the rbac resources the domain declares; ``grants``: role → resource →
    actions a new installation gives; ``record_panels``: resource key → "module:function" of
    the page component shown on that resource's record pages (any domain's resource)."""

    name: str
    module: Module | None = None
    rights: tuple[str, ...] = ()
    grants: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    stats: tuple[Stat, ...] = ()
    record_panels: Mapping[str, str] = field(default_factory=dict)
