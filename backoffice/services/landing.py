"""What a module's landing page shows the person who opens it: their queues (each count a link
to the list that shows exactly those records), what waits for their approval, the module's few
key figures and shortcuts.

Every count is a list the engine already knows how to show: a resource's declared queue or its
whitelisted filters, through ``engine.service.filtered_select`` (rights, row scope, archive), so
the count and the list it links to cannot disagree. A count the caller may not see is neither
computed nor returned. Counts stop at the lists' cap."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import Session

from backoffice.engine import service as engine
from backoffice.engine.resource import COUNT_CAP, Resource, get
from backoffice.i18n import translate
from backoffice.navigation import MODULES
from backoffice.security.rbac import Principal
from backoffice.services import hr

# records awaiting approval read per module and resource to check maker ≠ checker on each
APPROVAL_CAP = 50
APPROVAL_SHOWN = 5


@dataclass(frozen=True)
class Count:
    """One count: the records of ``resource`` in ``queue`` and/or with ``filters``."""

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
    work: tuple[Count, ...] = ()  # the caller's queues
    approvals: tuple[str, ...] = ()  # resources whose approving steps the caller may take
    figures: tuple[Count, ...] = ()  # the module's key figures
    shortcuts: tuple[Shortcut, ...] = ()
    appraisals: bool = False  # HR: appraisals waiting for the caller's rating or calibration


def _new(resource: str) -> str:
    return f"/r/{resource}/record?id=new"


PLANS: dict[str, Plan] = {
    "products": Plan(
        work=(
            Count("product_drafts", "product", filters={"status": "draft"}),
            Count("product_in_review", "product", filters={"status": "in_review"}, tone="amber"),
            Count("changes_pending", "product_change", filters={"status": "pending"}, tone="amber"),
        ),
        approvals=("product", "product_change"),
        figures=(Count("products_suspended", "product", filters={"status": "suspended"}),),
        shortcuts=(Shortcut("new_product", _new("product"), "plus", ("product", "create")),),
    ),
    "partners": Plan(
        work=(Count("contracts_ending", "partner", queue="ending", tone="amber"),),
        figures=(Count("partners_active", "partner", filters={"status": "active"}),),
        shortcuts=(
            Shortcut("new_partner", _new("partner"), "plus", ("partner", "create")),
            Shortcut("commission", "/partners/commission", "coins", ("partner", "view")),
        ),
    ),
    "campaigns": Plan(
        work=(
            Count("campaign_drafts", "campaign", filters={"status": "draft"}, tone="amber"),
            Count("budget_warnings", "campaign", queue="budget_warning", tone="red"),
        ),
        approvals=("campaign",),
        figures=(
            Count("campaigns_running", "campaign", filters={"status": "running"}),
            Count("campaigns_scheduled", "campaign", filters={"status": "scheduled"}),
        ),
        shortcuts=(
            Shortcut("new_campaign", _new("campaign"), "plus", ("campaign", "create")),
            Shortcut(
                "campaign_results", "/campaigns/results", "chart-column", ("campaign", "view")
            ),
        ),
    ),
    "kyc": Plan(
        work=(
            Count("kyc_mine", "kyc_case", queue="mine", right=("kyc_case", "edit")),
            Count("kyc_new", "kyc_case", queue="new", tone="amber"),
            Count("kyc_second", "kyc_case", queue="second", tone="amber"),
            Count("kyc_overdue", "kyc_case", queue="overdue", tone="red"),
            Count("kyc_hits", "kyc_case", queue="hits", tone="red", right=("watchlist", "view")),
            Count("suitability_open", "suitability_review", queue="open", tone="amber"),
            Count("overrides_requested", "suitability_override", queue="requested", tone="amber"),
            Count("risk_alerts_open", "risk_alert", queue="open", tone="red"),
        ),
        approvals=("kyc_case", "suitability_override", "questionnaire"),
        figures=(
            Count("kyc_waiting", "kyc_case", queue="waiting"),
            Count("kyc_escalated", "kyc_case", queue="escalated"),
        ),
        shortcuts=(Shortcut("new_kyc_case", _new("kyc_case"), "plus", ("kyc_case", "create")),),
    ),
    "tickets": Plan(
        work=(
            Count("tickets_mine", "ticket", queue="mine", right=("ticket", "edit")),
            Count("tickets_unassigned", "ticket", queue="unassigned", tone="amber"),
            Count("tickets_overdue", "ticket", queue="overdue", tone="red"),
        ),
        figures=(
            Count("tickets_waiting", "ticket", queue="waiting"),
            Count("tickets_unrated", "ticket", queue="unrated"),
        ),
        shortcuts=(
            Shortcut("ticket_workspace", "/tickets/workspace", "inbox", ("ticket", "view")),
            Shortcut("new_ticket", _new("ticket"), "plus", ("ticket", "create")),
            Shortcut(
                "ticket_reports", "/tickets/reports", "chart-column", ("ticket_report", "view")
            ),
        ),
    ),
    "hr": Plan(
        appraisals=True,
        work=(
            Count("candidates_in_process", "candidate", queue="in_process"),
            Count("offers_out", "candidate", queue="offers", tone="amber"),
        ),
        approvals=("promotion",),
        figures=(Count("openings_open", "job_opening", filters={"status": "open"}),),
        shortcuts=(
            Shortcut("hiring_board", "/hr/hiring", "kanban", ("hiring", "view")),
            Shortcut("hr_overview", "/hr/overview", "chart-column", ("employee", "view")),
            Shortcut("new_opening", _new("job_opening"), "plus", ("hiring", "create")),
        ),
    ),
    "projects": Plan(
        work=(
            Count("milestones_late", "milestone", queue="overdue", tone="red"),
            Count("risks_high", "project_risk", queue="high", tone="red"),
            Count("baselines_submitted", "baseline_reset", filters={"status": "submitted"}),
        ),
        approvals=("baseline_reset",),
        shortcuts=(
            Shortcut("gantt", "/projects/gantt", "chart-gantt", ("project", "view")),
            Shortcut("risk_map", "/projects/risks", "grid-3x3", ("project", "view")),
        ),
    ),
}
assert set(PLANS) <= {m.key for m in MODULES}


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
