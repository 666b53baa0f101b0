"""Customer-service tickets and the desk's configuration: SLA policies, the business calendar
and holidays, assignment rules per category, canned replies."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from backoffice.domains.integrations import webhooks
from backoffice.domains.tickets import rules
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Queue, Resource, register
from backoffice.engine.workflow import Transition as T
from backoffice.engine.workflow import Workflow
from backoffice.i18n import translate
from backoffice.platform.business_time import parse_clock, parse_weekdays
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.tickets import (
    OPEN_TICKET_STATES,
    AssignmentMethod,
    AssignmentRule,
    BusinessHoliday,
    CannedReply,
    HolidayKind,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketMessage,
    TicketPriority,
    TicketSettings,
    TicketStatus,
)

S = TicketStatus
CATEGORY = F(
    "category",
    kind="choice",
    required=True,
    choices=tuple(TicketCategory),
    choice_group="ticket_category",
)
PRIORITY = F(
    "priority",
    kind="choice",
    required=True,
    choices=tuple(TicketPriority),
    choice_group="ticket_priority",
)

QUEUES = (
    Queue("mine", lambda p: rules.mine(p.username)),
    Queue("unassigned", lambda p: Ticket.status == S.NEW),
    Queue("waiting", lambda p: Ticket.status == S.WAITING_CUSTOMER),
    Queue("overdue", lambda p: rules.overdue_clause(utcnow())),
    Queue(
        "unrated",
        lambda p: sa.and_(
            Ticket.status.in_((S.RESOLVED, S.CLOSED)),
            Ticket.satisfaction.is_(None),
            Ticket.merged_into_id.is_(None),
        ),
    ),
)

WORKING = (S.IN_PROGRESS, S.WAITING_CUSTOMER)
TICKET_WORKFLOW = Workflow(
    state_field="status",
    states=tuple(S),
    initial=S.NEW,
    editable_in=tuple(OPEN_TICKET_STATES),
    transitions=(
        T(
            "take",
            (S.NEW, S.ASSIGNED),
            S.IN_PROGRESS,
            actor_guard=rules.may_take,
            assign_to="assignee",
        ),
        T(
            "wait",
            (S.IN_PROGRESS,),
            S.WAITING_CUSTOMER,
            actor_guard=rules.only_assignee,
            guard=rules.replied,
            effect=rules.on_waiting,
        ),
        T(
            "resume",
            (S.WAITING_CUSTOMER,),
            S.IN_PROGRESS,
            actor_guard=rules.only_assignee,
            effect=rules.on_resumed,
        ),
        T(
            "resolve",
            WORKING,
            S.RESOLVED,
            required_fields=("resolution_note",),
            actor_guard=rules.only_assignee,
            guard=rules.replied,
            effect=rules.on_resolved,
            after=webhooks.after_transition("ticket.resolved", rules.event_data),
        ),
        T(
            "close",
            (S.RESOLVED,),
            S.CLOSED,
            actor_guard=rules.only_assignee,
            effect=rules.on_closed,
            bulk=True,
        ),
        T(
            "reopen",
            (S.RESOLVED, S.CLOSED),
            S.IN_PROGRESS,
            guard=rules.within_reopen_window,
            effect=rules.on_reopened,
        ),
    ),
)


def ticket_summary(
    session: Any, ticket: Any, lang: str, _principal: Any = None
) -> list[tuple[str, str]]:
    now = utcnow()
    if ticket.status in (S.RESOLVED, S.CLOSED):
        met = ticket.resolution_due is None or (
            ticket.resolved_at is not None and ticket.resolved_at <= ticket.resolution_due
        )
        sla = "met" if met else "missed"
    elif ticket.status == S.WAITING_CUSTOMER:
        sla = "paused"
    elif rules.is_overdue(ticket, now):
        sla = "overdue"
    else:
        sla = "on_time"
    messages = session.execute(
        sa.select(sa.func.count()).where(
            TicketMessage.ticket_id.in_(rules.thread_ids(session, ticket.id))
        )
    ).scalar_one()
    rating = f"{ticket.satisfaction}/5" if ticket.satisfaction else "—"
    merged = ""
    if ticket.merged_into_id:
        target = session.get(Ticket, ticket.merged_into_id)
        merged = target.ticket_no if target else "?"
    rows = [
        (translate("summary.ticket.sla", lang), translate(f"summary.ticket.sla.{sla}", lang)),
        (translate("summary.ticket.messages", lang), str(messages)),
        (translate("summary.ticket.satisfaction", lang), rating),
    ]
    if merged:
        rows.append((translate("summary.ticket.merged_into", lang), merged))
    return rows


TICKET = register(
    Resource(
        key="ticket",
        model=Ticket,
        permission="ticket",
        module="tickets",
        icon="headset",
        fields=(
            F("ticket_no", editable=False),
            F("customer_id", kind="ref", ref="customer", required=True, fixed=True),
            F(
                "channel",
                kind="choice",
                required=True,
                choices=tuple(TicketChannel),
                choice_group="ticket_channel",
            ),
            CATEGORY,
            PRIORITY,
            F("subject", required=True, max_length=300),
            F("description", kind="longtext", max_length=10_000, fixed=True, help=True),
            F(
                "status",
                kind="choice",
                required=True,
                choices=tuple(S),
                choice_group="ticket_status",
                editable=False,
            ),
            F("team_id", kind="ref", ref="team", editable=False),
            F("assignee", editable=False, person=True),
            F("product_id", kind="ref", ref="product"),
            F("kyc_case_id", kind="ref", ref="kyc_case"),
            F("first_response_due", kind="datetime", editable=False),
            F("resolution_due", kind="datetime", editable=False),
            F("first_responded_at", kind="datetime", editable=False),
            F("resolved_at", kind="datetime", editable=False),
            F("closed_at", kind="datetime", editable=False),
            F("reopened_count", kind="int", editable=False),
            F("merged_into_id", kind="ref", ref="ticket", editable=False),
            F("resolution_note", kind="longtext", max_length=4000),
            F("satisfaction", kind="int", editable=False),
            F("satisfaction_comment", kind="longtext", editable=False),
        ),
        list_columns=(
            "ticket_no",
            "subject",
            "customer_id",
            "category",
            "priority",
            "status",
            "assignee",
            "resolution_due",
        ),
        title_field="ticket_no",
        filters=(
            "status",
            "priority",
            "category",
            "channel",
            "assignee",
            "created_at",
            "resolution_due",
            "satisfaction",
        ),
        search_fields=("ticket_no", "subject"),
        default_sort="-id",
        workflow=TICKET_WORKFLOW,
        queues=QUEUES,
        row_scope=rules.scope,
        attachments=True,
        before_create=rules.prepare,
        after_create=rules.route,
        summary=ticket_summary,
        importable=False,
        archivable=False,  # tickets are closed, never removed
    )
)


# --- the desk's configuration ---------------------------------------------------------------
def _settings_rules(values: dict[str, Any]) -> dict[str, str]:
    problems = {}
    start, end = (
        parse_clock(values.get("workday_start", "")),
        parse_clock(values.get("workday_end", "")),
    )
    if start is None:
        problems["workday_start"] = "ticket.bad_clock"
    if end is None:
        problems["workday_end"] = "ticket.bad_clock"
    if start and end and end <= start:
        problems["workday_end"] = "ticket.day_ends_before_start"
    if parse_weekdays(values.get("workdays", "")) is None:
        problems["workdays"] = "ticket.bad_weekdays"
    return problems


def _one_settings_row(session: Any, _principal: Principal, _values: dict) -> dict[str, str]:
    exists = session.exec(
        select(TicketSettings.id).where(TicketSettings.archived_at.is_(None))
    ).first()
    return {"workday_start": "ticket.settings_exist"} if exists else {}


register(
    Resource(
        key="ticket_settings",
        model=TicketSettings,
        permission="ticket_config",
        module="tickets",
        icon="clock",
        fields=(
            F("workday_start", required=True, max_length=5, help=True),
            F("workday_end", required=True, max_length=5, help=True),
            F("workdays", required=True, max_length=20, help=True),
            F("reopen_days", kind="int", required=True, min_value=0, max_value=365),
            F("auto_close_days", kind="int", required=True, min_value=1, max_value=365),
        ),
        list_columns=("workday_start", "workday_end", "workdays", "reopen_days", "auto_close_days"),
        title_field="workdays",
        default_sort="id",
        validator=_settings_rules,
        before_create=_one_settings_row,
        importable=False,
        exportable=False,
    )
)

register(
    Resource(
        key="business_holiday",
        model=BusinessHoliday,
        permission="ticket_config",
        module="tickets",
        icon="calendar-off",
        fields=(
            F("day", kind="date", required=True),
            F("name", required=True, max_length=100),
            F(
                "kind",
                kind="choice",
                required=True,
                choices=tuple(HolidayKind),
                choice_group="holiday_kind",
                help=True,
            ),
        ),
        list_columns=("day", "name", "kind"),
        title_field="name",
        filters=("kind", "day"),
        default_sort="-day",
    )
)


def _policy_rules(values: dict[str, Any]) -> dict[str, str]:
    first, resolution = values.get("first_response_minutes"), values.get("resolution_minutes")
    if first is not None and resolution is not None and resolution < first:
        return {"resolution_minutes": "ticket.resolution_before_response"}
    return {}


register(
    Resource(
        key="sla_policy",
        model=SlaPolicy,
        permission="ticket_config",
        module="tickets",
        icon="timer",
        fields=(
            PRIORITY,
            F("first_response_minutes", kind="int", required=True, min_value=1, max_value=100_000),
            F("resolution_minutes", kind="int", required=True, min_value=1, max_value=1_000_000),
            F("business_hours", kind="bool", help=True),
        ),
        list_columns=("priority", "first_response_minutes", "resolution_minutes", "business_hours"),
        title_field="priority",
        default_sort="id",
        validator=_policy_rules,
        importable=False,
    )
)

register(
    Resource(
        key="assignment_rule",
        model=AssignmentRule,
        permission="ticket_config",
        module="tickets",
        icon="shuffle",
        fields=(
            CATEGORY,
            F("team_id", kind="ref", ref="team", required=True),
            F(
                "method",
                kind="choice",
                required=True,
                choices=tuple(AssignmentMethod),
                choice_group="assignment_method",
                help=True,
            ),
            F("last_assignee", editable=False, person=True),
        ),
        list_columns=("category", "team_id", "method", "last_assignee"),
        title_field="category",
        default_sort="id",
        importable=False,
    )
)


def _canned_rules(values: dict[str, Any]) -> dict[str, str]:
    return (
        {"body": "ticket.unknown_placeholder"}
        if rules.unknown_placeholders(values.get("body") or "")
        else {}
    )


register(
    Resource(
        key="canned_reply",
        model=CannedReply,
        permission="ticket_config",
        module="tickets",
        icon="message-square-quote",
        fields=(
            F("title", required=True, max_length=100),
            F(
                "category",
                kind="choice",
                choices=tuple(TicketCategory),
                choice_group="ticket_category",
                help=True,
            ),
            F("body", kind="longtext", required=True, max_length=4000, help=True),
        ),
        list_columns=("title", "category"),
        title_field="title",
        filters=("category",),
        search_fields=("title",),
        default_sort="title",
        validator=_canned_rules,
    )
)
