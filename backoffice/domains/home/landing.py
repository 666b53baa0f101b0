"""What a module's landing page shows the person who opens it: their queues (each count a link
to the list that shows exactly those records), what waits for their approval, the module's few
key figures and shortcuts.

Every count is a list the engine already knows how to show: a resource's declared queue or its
whitelisted filters, through ``engine.service.filtered_select`` (rights, row scope, archive), so
the count and the list it links to cannot disagree. A count the caller may not see is neither
computed nor returned. Counts stop at the lists' cap."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import Session

from backoffice.domains.hr import rules as hr
from backoffice.engine import service as engine
from backoffice.engine.resource import COUNT_CAP, Resource, get
from backoffice.i18n import translate
from backoffice.platform.manifest import Count, Plan
from backoffice.platform.navigation import MODULES
from backoffice.security.rbac import Principal

# records awaiting approval read per module and resource to check maker ≠ checker on each
APPROVAL_CAP = 50
APPROVAL_SHOWN = 5


# each module's landing page, as its domain declares it (``Module.landing``)
PLANS: dict[str, Plan] = {m.key: m.landing for m in MODULES if m.landing is not None}


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    count: int  # up to COUNT_CAP + 1 (or APPROVAL_CAP + 1)
    shown: str  # "2,000+" past the cap
    href: str
    tone: str


@dataclass(frozen=True)
class Approval:
    resource: str
    label: str
    count: int
    shown: str
    items: list[tuple[str, str]]  # (title, record link), newest first


@dataclass(frozen=True)
class Landing:
    work: list[Tile]
    approvals: list[Approval]
    figures: list[Tile]
    shortcuts: list[tuple[str, str, str]]  # (label, href, icon)


def _shown(count: int, cap: int) -> str:
    return f"{cap:,}+" if count > cap else f"{count:,}"


def _may_count(principal: Principal, count: Count, resource: Resource | None) -> bool:
    return (
        resource is not None
        and principal.can(resource.permission, "view")
        and (count.right is None or principal.can(*count.right))
    )


def count_of(session: Session, *, principal: Principal, count: Count) -> tuple[int, str] | None:
    """How many records the count's list shows the caller (up to the lists' cap) and the link
    to that list; None when the caller may not see those records."""
    resource = get(count.resource)
    if resource is None or not _may_count(principal, count, resource):
        return None
    schema = engine.schema_of(session, resource)
    query = engine.parse_query(schema, {**count.filters, "queue": count.queue})
    select, errors = engine.filtered_select(
        session, principal=principal, schema=schema, query=query
    )
    if errors or (count.queue and query.queue != count.queue):
        raise ValueError(f"landing count {count.key}: not a list the engine shows")
    found = session.execute(
        sa.select(sa.func.count()).select_from(
            select.with_only_columns(sa.literal(1), maintain_column_froms=True)
            .limit(COUNT_CAP + 1)
            .subquery()
        )
    ).scalar_one()
    params = query.to_params()
    return found, resource.route + ("?" + urlencode(params) if params else "")


def _tiles(
    session: Session, principal: Principal, counts: tuple[Count, ...], lang: str
) -> list[Tile]:
    tiles = []
    for count in counts:
        found = count_of(session, principal=principal, count=count)
        if found is None:
            continue
        number, href = found
        tiles.append(
            Tile(
                count.key,
                translate(f"landing.count.{count.key}", lang),
                number,
                _shown(number, COUNT_CAP),
                href,
                count.tone,
            )
        )
    return tiles


def awaiting_approval(
    session: Session, *, principal: Principal, resource: Resource, cap: int = APPROVAL_CAP
) -> tuple[list[object], bool] | None:
    """Records awaiting an approving step the caller may take now (the engine's
    ``transition_problem``: the right, maker ≠ checker, the step's own conditions), newest
    first among the newest ``cap`` awaiting ones, and whether more were waiting than read.
    None when the caller holds no approving step of the resource."""
    workflow = resource.workflow
    if workflow is None or not principal.can(resource.permission, "view"):
        return None
    steps = [
        t
        for t in workflow.transitions
        if t.checks_maker and principal.can(resource.permission, t.action)
    ]
    if not steps:
        return None
    sources = {s for t in steps for s in t.sources}
    states = sources & set(workflow.awaiting_approval) if workflow.awaiting_approval else sources
    if not states:
        return None
    schema = engine.schema_of(session, resource)
    select, _ = engine.filtered_select(
        session, principal=principal, schema=schema, query=engine.ListQuery()
    )
    state = getattr(resource.model, workflow.state_field)
    record_id = resource.model.id
    candidates = list(
        session.exec(
            select.where(state.in_(sorted(states))).order_by(record_id.desc()).limit(cap + 1)
        ).all()
    )
    mine = []
    for record in candidates[:cap]:
        record_state = getattr(record, workflow.state_field)
        takeable = [t for t in steps if record_state in t.sources]
        if not takeable:
            continue
        makers = engine.makers(session, resource, record)
        if any(
            engine.transition_problem(
                session,
                principal=principal,
                resource=resource,
                record=record,
                transition_key=t.key,
                record_makers=makers,
            )
            is None
            for t in takeable
        ):
            mine.append(record)
    return mine, len(candidates) > cap


def landing(session: Session, *, principal: Principal, module: str, lang: str) -> Landing | None:
    """The module's landing page for the caller; None for a module without one (its page opens
    the module's lists) or one the caller may not open."""
    plan = PLANS.get(module)
    found = next((m for m in MODULES if m.key == module), None)
    if plan is None or found is None or module not in principal.modules():
        return None
    work = _tiles(session, principal, plan.work, lang)
    if plan.appraisals and principal.can("self_appraisal", "view"):
        to_rate, to_calibrate = hr.appraisal_work(session, principal)
        extra = [("appraisals_to_rate", to_rate, True)]
        extra.append(
            ("appraisals_to_calibrate", to_calibrate, principal.can("appraisal", "approve"))
        )
        work = [
            Tile(
                key, translate(f"landing.count.{key}", lang), n, f"{n:,}", "/me/appraisals", "amber"
            )
            for key, n, allowed in extra
            if allowed
        ] + work
    approvals = []
    for key in plan.approvals:
        resource = get(key)
        result = (
            None
            if resource is None
            else awaiting_approval(session, principal=principal, resource=resource)
        )
        if result is None:
            continue
        records, more = result
        approvals.append(
            Approval(
                key,
                translate(f"resource.{key}", lang),
                len(records),
                f"{len(records):,}+" if more else f"{len(records):,}",
                [
                    (
                        str(getattr(r, resource.title_field, "") or f"#{r.id}"),
                        f"{resource.route}/record?id={r.id}",
                    )
                    for r in records[:APPROVAL_SHOWN]
                ],
            )
        )
    return Landing(
        work=work,
        approvals=approvals,
        figures=_tiles(session, principal, plan.figures, lang),
        shortcuts=[
            (translate(f"landing.shortcut.{s.key}", lang), s.href, s.icon)
            for s in plan.shortcuts
            if principal.can(*s.right)
        ],
    )
