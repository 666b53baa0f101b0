"""Ticket work: routing a new ticket to a team and an agent, SLA targets over business hours
(paused while waiting on the customer), the conversation, merging duplicates, satisfaction,
escalation of breaches and the desk's reports.

Every write to a ticket is a version-checked UPDATE of a row read ``FOR UPDATE``, so two agents
working the same ticket are serialised: messages are never lost, and a status change made on a
stale view is refused with who changed the ticket, instead of overwriting their work.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import object_session
from sqlmodel import Session, select

from backoffice.config import get_settings
from backoffice.db import write_batches
from backoffice.domains.integrations import webhooks
from backoffice.engine.fields import is_id, storable_text
from backoffice.i18n import choice_label, translate
from backoffice.platform import audit, chart_style, notifications, numerals
from backoffice.platform.business_time import Calendar, parse_clock, parse_weekdays
from backoffice.platform.exports import ExportFile, produce_audited
from backoffice.platform.jobs import Outcome
from backoffice.platform.refusal import Refusal
from backoffice.platform.versioned import display_names, text_changes, write_versioned
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.customers import Customer
from models.hr import Employee, EmployeeStatus, Team
from models.identity import RolePermission, User, UserRole
from models.kyc import KycCase
from models.products import Product
from models.tickets import (
    OPEN_TICKET_STATES,
    PRIORITY_ORDER,
    AssignmentMethod,
    AssignmentRule,
    BusinessHoliday,
    CannedReply,
    HolidayKind,
    SlaPolicy,
    SlaTarget,
    Ticket,
    TicketMessage,
    TicketMessageKind,
    TicketSettings,
    TicketSlaBreach,
    TicketStatus,
)
from models.transactions import Transaction, TransactionKind, TransactionStatus

S = TicketStatus
MAX_MESSAGE = 10_000
LEAD = ("ticket", "approve")  # leads reassign, and work any agent's tickets


class TicketError(Refusal, ValueError):
    """A refusal of this domain (see backoffice.platform.refusal)."""


# --- configuration --------------------------------------------------------------------------
def settings_of(session: Session) -> TicketSettings:
    row = session.exec(
        select(TicketSettings)
        .where(TicketSettings.archived_at.is_(None))
        .order_by(TicketSettings.id)
    ).first()
    return row or TicketSettings()


def calendar_of(session: Session) -> Calendar:
    desk = settings_of(session)
    days = session.exec(select(BusinessHoliday).where(BusinessHoliday.archived_at.is_(None))).all()
    return Calendar(
        start=parse_clock(desk.workday_start) or time(9),
        end=parse_clock(desk.workday_end) or time(18),
        weekdays=parse_weekdays(desk.workdays) or frozenset(range(1, 6)),
        zone=get_settings().zone,
        holidays=frozenset(d.day for d in days if d.kind == HolidayKind.HOLIDAY),
        extra_workdays=frozenset(d.day for d in days if d.kind == HolidayKind.WORKDAY),
    )


def policy_of(session: Session, priority: str) -> SlaPolicy | None:
    return session.exec(
        select(SlaPolicy).where(SlaPolicy.priority == priority, SlaPolicy.archived_at.is_(None))
    ).first()


def due_after(
    policy: SlaPolicy, calendar: Calendar | None, start: datetime, minutes: int
) -> datetime:
    """``minutes`` after ``start`` as the policy counts them: business minutes on the desk's
    calendar, or clock minutes around the clock."""
    if policy.business_hours and calendar is not None:
        return calendar.add(start, minutes)
    return start + timedelta(minutes=minutes)


def targets_of(
    policy: SlaPolicy, calendar: Calendar | None, start: datetime
) -> dict[str, datetime]:
    """The first-response and resolution due times of a ticket opened at ``start``."""
    return {
        "first_response_due": due_after(policy, calendar, start, policy.first_response_minutes),
        "resolution_due": due_after(policy, calendar, start, policy.resolution_minutes),
    }


def targets(session: Session, priority: str, start: datetime) -> dict[str, datetime | None]:
    """The targets of a ticket of ``priority`` opened at ``start`` (none without a policy)."""
    policy = policy_of(session, priority)
    if policy is None:
        return {"first_response_due": None, "resolution_due": None}
    return {**targets_of(policy, calendar_of(session) if policy.business_hours else None, start)}


def paused_until_now(session: Session, ticket: Ticket, now: datetime) -> dict[str, Any]:
    """Leaving "waiting on customer": the resolution target moves by the working time waited."""
    values: dict[str, Any] = {"waiting_since": None}
    if ticket.waiting_since is None or ticket.resolution_due is None:
        return values
    policy = policy_of(session, ticket.priority)
    if policy is not None and policy.business_hours:
        calendar = calendar_of(session)
        waited = calendar.between(ticket.waiting_since, now)
        minutes = int(waited.total_seconds() // 60)
        values["resolution_due"] = calendar.add(ticket.resolution_due, minutes)
    else:
        values["resolution_due"] = ticket.resolution_due + (now - ticket.waiting_since)
    return values


# --- who works tickets ----------------------------------------------------------------------
def agents(session: Session, team_id: int | None = None) -> list[str]:
    """Active staff accounts allowed to work tickets; with a team, those whose employee record
    is in that team (and still employed)."""
    query = (
        select(User.username)
        .join(UserRole, UserRole.user_id == User.id)
        .join(RolePermission, RolePermission.role_id == UserRole.role_id)
        .where(
            RolePermission.resource == "ticket",
            RolePermission.action == "edit",
            User.is_active.is_(True),
        )
    )
    if team_id is not None:
        query = query.join(Employee, Employee.id == User.employee_id).where(
            Employee.team_id == team_id, Employee.status != EmployeeStatus.LEFT
        )
    return sorted(set(session.exec(query).all()))


def _leads_query() -> Any:
    return (
        select(User.id, User.username)
        .join(UserRole, UserRole.user_id == User.id)
        .join(RolePermission, RolePermission.role_id == UserRole.role_id)
        .where(
            RolePermission.resource == LEAD[0],
            RolePermission.action == LEAD[1],
            User.is_active.is_(True),
        )
    )


def leads(session: Session) -> list[int]:
    """User ids of everyone who may reassign tickets (told of breaches)."""
    return sorted({user_id for user_id, _name in session.exec(_leads_query()).all()})


def leads_of(session: Session, ticket: Ticket) -> list[int]:
    """User ids of the leads who see the ticket (``scope``): those in or managing its team, or
    every lead for a ticket no rule routed to a team."""
    query = _leads_query()
    if ticket.team_id is not None:
        member = sa.select(Employee.id).where(
            Employee.team_id == ticket.team_id, Employee.status != EmployeeStatus.LEFT
        )
        manager = sa.select(Team.manager_id).where(Team.id == ticket.team_id)
        query = query.where(sa.or_(User.employee_id.in_(member), User.employee_id.in_(manager)))
    return sorted({user_id for user_id, _name in session.exec(query).all()})


def lead_names(session: Session) -> list[str]:
    return sorted({name for _id, name in session.exec(_leads_query()).all()})


def open_load(session: Session, usernames: list[str]) -> dict[str, int]:
    """Open tickets per agent (waiting ones count: they come back)."""
    rows = session.execute(
        sa.select(Ticket.assignee, sa.func.count())
        .where(Ticket.assignee.in_(usernames), Ticket.status.in_(OPEN_TICKET_STATES))
        .group_by(Ticket.assignee)
    ).all()
    counts = dict.fromkeys(usernames, 0)
    counts.update({name: count for name, count in rows})
    return counts


def choose_agent(session: Session, rule: AssignmentRule) -> str:
    """The next agent of the rule's team: the one after the last (round robin), or the one with
    the fewest open tickets (least loaded, ties by name); "" when no one can take it."""
    supervising = set(lead_names(session))  # leads supervise; routing feeds the agents
    members = [name for name in agents(session, rule.team_id) if name not in supervising]
    if not members or rule.method == AssignmentMethod.MANUAL:
        return ""
    if rule.method == AssignmentMethod.LEAST_LOADED:
        load = open_load(session, members)
        return min(members, key=lambda name: (load[name], name))
    later = [name for name in members if name > rule.last_assignee]
    return later[0] if later else members[0]


def rule_of(session: Session, category: str) -> AssignmentRule | None:
    return session.exec(
        select(AssignmentRule)
        .where(AssignmentRule.category == category, AssignmentRule.archived_at.is_(None))
        .with_for_update()
    ).first()


def ticket_number(sequence: int) -> str:
    return f"S{sequence:09d}"


def next_number(session: Session) -> str:
    last = session.execute(sa.select(sa.func.max(Ticket.id))).scalar() or 0
    return ticket_number(last + 1)


# --- opening a ticket (the resource's create hooks) -----------------------------------------
def prepare(session: Session, _principal: Principal, values: dict[str, Any]) -> dict[str, str]:
    """Number the ticket, time it by its priority's policy and give it its category's team."""
    if session.get(Customer, values.get("customer_id")) is None:
        return {"customer_id": "field.not_found"}
    values["ticket_no"] = next_number(session)
    values.update(targets(session, str(values.get("priority")), utcnow()))
    rule = rule_of(session, str(values.get("category")))
    if rule is not None:
        values["team_id"] = rule.team_id
    return {}


def route(session: Session, principal: Principal, ticket: Ticket) -> None:
    """After the create: the customer's words open the conversation, and the category's rule
    picks the agent (recorded as its own audit entry by the system)."""
    if ticket.description:
        session.add(
            TicketMessage(
                ticket_id=ticket.id,
                kind=TicketMessageKind.CUSTOMER,
                author=principal.username,
                body=ticket.description,
                created_at=ticket.created_at,
            )
        )
    rule = rule_of(session, ticket.category)
    if rule is None:
        return
    agent = choose_agent(session, rule)
    if not agent:
        return
    rule.last_assignee = agent
    rule.version += 1
    session.add(rule)
    ticket.assignee, ticket.status = agent, S.ASSIGNED
    session.add(ticket)
    session.flush()
    audit.record(
        session,
        actor="system",
        action="ticket.auto_assign",
        entity="ticket",
        entity_id=ticket.id,
        changes={
            "assignee": ["", agent],
            "status": [S.NEW, S.ASSIGNED],
            "method": [None, rule.method],
        },
    )


# --- writes ---------------------------------------------------------------------------------
def locked(
    session: Session,
    principal: Principal | None,
    ticket_id: object,
    customer_id: int | None = None,
) -> Ticket:
    """The ticket, its row locked, if the caller may see it (``None``: the system's jobs);
    another team's ticket is refused exactly like a missing one. ``customer_id``: the caller
    acts for that customer (the customer platform), who sees their own tickets only."""
    if not is_id(ticket_id):
        raise TicketError("error.not_found")
    query = select(Ticket).where(Ticket.id == ticket_id)
    if customer_id is not None:
        where = Ticket.customer_id == customer_id
    else:
        where = scope(principal) if principal is not None else None
    if where is not None:
        query = query.where(where)
    ticket = session.exec(query.with_for_update()).first()
    if ticket is None:
        raise TicketError("error.not_found")
    return ticket


@dataclass(frozen=True)
class TicketLinks:
    """What a ticket points at, as the workspace names it."""

    product: Product | None
    kyc_case: KycCase | None
    merged_into: Ticket | None


def links_of(session: Session, ticket: Ticket) -> TicketLinks:
    return TicketLinks(
        session.get(Product, ticket.product_id) if ticket.product_id else None,
        session.get(KycCase, ticket.kyc_case_id) if ticket.kyc_case_id else None,
        session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id else None,
    )


def staff_names(session: Session, usernames: Iterable[str], lang: str) -> dict[str, str]:
    """What staff see for these logins (display names; 系统/System for the portal's jobs)."""
    return display_names(session, usernames, lang)


def by_id(session: Session, ticket_id: int) -> Ticket | None:
    return session.get(Ticket, ticket_id)


def visible(session: Session, principal: Principal, ticket_id: object) -> Ticket | None:
    """The ticket if it exists and the caller may see it (no lock: for reading)."""
    if not is_id(ticket_id) or not principal.can("ticket", "view"):
        return None
    query = select(Ticket).where(Ticket.id == ticket_id)
    where = scope(principal)
    if where is not None:
        query = query.where(where)
    return session.exec(query).first()


def _write(
    session: Session,
    ticket: Ticket,
    values: dict[str, Any],
    *,
    actor: str,
    action: str,
    client: str = "",
    seen_version: int | None = None,
    extra: dict[str, list[Any]] | None = None,
) -> None:
    """The versioned write (``platform.versioned``): a change made meanwhile by someone else is
    refused with who made it."""
    version = ticket.version if seen_version is None else seen_version
    write_versioned(
        session,
        Ticket,
        ticket,
        version,
        values,
        actor=actor,
        action=action,
        entity="ticket",
        changes=text_changes(ticket, values) | (extra or {}),
        client=client,
        refuse=TicketError,
    )


def is_lead(principal: Principal) -> bool:
    return principal.can(*LEAD)


def scope(principal: Principal) -> sa.ColumnElement[bool] | None:
    """The tickets a caller sees (None: every ticket).

    Those who work tickets (``ticket.edit``) see the tickets routed to a team their employee
    record belongs to, assigned or waiting in the team queue, and any ticket assigned to them;
    a lead (``ticket.approve``) also sees the teams they manage and the tickets no rule routed
    to a team, to route them by hand. Read-only oversight (``ticket.view`` alone: executives)
    sees every ticket and can change none. A staff account without an employee record works
    no team's tickets."""
    if not principal.can("ticket", "view"):
        return sa.false()
    if not principal.can("ticket", "edit") and not is_lead(principal):
        return None
    me = (
        sa.select(User.employee_id)
        .where(User.id == principal.user_id, User.employee_id.is_not(None))
        .scalar_subquery()
    )
    member_of = sa.select(Employee.team_id).where(
        Employee.id == me, Employee.status != EmployeeStatus.LEFT
    )
    seen = [Ticket.team_id.in_(member_of), Ticket.assignee == principal.username]
    if is_lead(principal):
        seen.append(Ticket.team_id.in_(sa.select(Team.id).where(Team.manager_id == me)))
        seen.append(Ticket.team_id.is_(None))
    return sa.or_(*seen)


def only_assignee(_session: Any, principal: Principal, ticket: Ticket) -> str | None:
    """Workflow guard: the ticket's agent, or a lead."""
    if ticket.assignee == principal.username or is_lead(principal):
        return None
    return "ticket.not_yours"


def reply_refusal(principal: Principal, ticket: Ticket) -> str | None:
    """Why this person may not reply to this ticket (an i18n key), or None: the rule ``post``
    enforces and the workspace shows (the reply box is offered only when it is None)."""
    if not principal.can("ticket", "edit"):
        return "auth.denied"
    if ticket.merged_into_id is not None:
        return "ticket.merged"
    if ticket.status in (S.RESOLVED, S.CLOSED):
        return "ticket.reopen_first"
    if ticket.assignee:  # an unassigned ticket becomes the replier's
        return only_assignee(None, principal, ticket)
    return None


def merge_refusal(principal: Principal, ticket: Ticket) -> str | None:
    """Why this person may not merge this ticket into another, or None (``merge`` and the
    workspace's merge box use it)."""
    if not principal.can("ticket", "edit"):
        return "auth.denied"
    refusal = only_assignee(None, principal, ticket)
    if refusal:
        return refusal
    if ticket.merged_into_id is not None:
        return "ticket.merged"
    if ticket.status == S.CLOSED:
        return "ticket.merge_closed"
    return None


def may_take(_session: Any, principal: Principal, ticket: Ticket) -> str | None:
    if ticket.assignee in ("", principal.username) or is_lead(principal):
        return None
    return "ticket.not_yours"


def reassign(
    session: Session,
    principal: Principal,
    ticket_id: int,
    to: str,
    seen_version: int,
    client: str = "",
) -> None:
    """A lead hands a ticket to an agent (or back to the team queue with "")."""
    if not is_lead(principal):
        raise TicketError("auth.denied")
    ticket = locked(session, principal, ticket_id)
    if ticket.status not in OPEN_TICKET_STATES:
        raise TicketError("ticket.not_open")
    if to and to not in agents(session):
        raise TicketError("ticket.not_an_agent")
    values: dict[str, Any] = {"assignee": to}
    if ticket.status in (S.NEW, S.ASSIGNED):
        values["status"] = S.ASSIGNED if to else S.NEW
    _write(
        session,
        ticket,
        values,
        actor=principal.username,
        action="ticket.reassign",
        client=client,
        seen_version=seen_version,
    )


# --- workflow effects (declared on the resource) --------------------------------------------
def on_waiting(ticket: Ticket) -> dict[str, Any]:
    return {"waiting_since": utcnow()}


def replied(_session: Any, ticket: Ticket) -> str | None:
    """Waiting on the customer needs something sent to them first."""
    return None if ticket.first_responded_at else "ticket.reply_first"


def on_resumed(ticket: Ticket) -> dict[str, Any]:
    session = object_session(ticket)
    assert session is not None
    return paused_until_now(session, ticket, utcnow())  # type: ignore[arg-type]


def on_resolved(ticket: Ticket) -> dict[str, Any]:
    now = utcnow()
    values = on_resumed(ticket) if ticket.waiting_since else {}
    return {**values, "resolved_at": now}


def on_closed(ticket: Ticket) -> dict[str, Any]:
    return {"closed_at": utcnow()}


def within_reopen_window(session: Any, ticket: Ticket) -> str | None:
    if ticket.merged_into_id is not None:
        return "ticket.merged"
    if ticket.resolved_at is None:
        return "ticket.not_resolved"
    days = settings_of(session).reopen_days
    if utcnow() > ticket.resolved_at + timedelta(days=days):
        return "ticket.reopen_window_over"
    return None


def on_reopened(ticket: Ticket) -> dict[str, Any]:
    session = object_session(ticket)
    assert session is not None
    now = utcnow()
    due = targets(session, ticket.priority, now)["resolution_due"]  # type: ignore[arg-type]
    return {
        "resolved_at": None,
        "closed_at": None,
        "reopened_count": ticket.reopened_count + 1,
        "resolution_due": due,
        "resolution_breached_at": None,
        "satisfaction": None,
        "satisfaction_comment": "",
        "rated_at": None,
    }


# --- the conversation -----------------------------------------------------------------------
def event_data(ticket: Ticket) -> dict[str, Any]:
    """What a webhook tells of a ticket: no words of the conversation (the API has them)."""
    return {
        "ticket_id": ticket.id,
        "ticket_no": ticket.ticket_no,
        "customer_id": ticket.customer_id,
        "status": ticket.status,
    }


def post(
    session: Session,
    principal: Principal,
    ticket_id: int,
    kind: str,
    body: str,
    client: str = "",
    customer_id: int | None = None,
) -> TicketMessage:
    """Add a reply to the customer, an internal note, or the customer's words as taken down.

    A reply is the first response if none was sent, starts work on a new or assigned ticket
    (taking it when unassigned); the customer's words bring a waiting ticket back, and reopen a
    resolved one within the reopen window. Notes change nothing but the conversation."""
    if body is not None and not isinstance(body, str):
        raise TicketError("field.invalid")  # payload coercion lets any JSON value through
    text = (body or "").strip()
    if not isinstance(kind, str) or kind not in tuple(TicketMessageKind):
        raise TicketError("ticket.unknown_kind")
    if not text:
        raise TicketError("ticket.empty_message")
    if len(text) > MAX_MESSAGE:
        raise TicketError("field.too_long", max=MAX_MESSAGE)
    if not storable_text(text):
        raise TicketError("field.invalid")
    if not principal.can("ticket", "edit"):
        raise TicketError("auth.denied")
    if customer_id is not None and kind != TicketMessageKind.CUSTOMER:
        raise TicketError("auth.denied")  # who speaks for a customer writes only their words
    ticket = locked(session, principal, ticket_id, customer_id)
    if ticket.merged_into_id is not None:
        raise TicketError("ticket.merged")
    now = utcnow()
    values: dict[str, Any] = {}
    if kind == TicketMessageKind.REPLY:
        if ticket.status in (S.RESOLVED, S.CLOSED):
            raise TicketError("ticket.reopen_first")
        refusal = reply_refusal(principal, ticket)
        if refusal:
            raise TicketError(refusal)
        if not ticket.assignee:
            values["assignee"] = principal.username
        if ticket.status in (S.NEW, S.ASSIGNED):
            values["status"] = S.IN_PROGRESS
        if ticket.first_responded_at is None:
            values["first_responded_at"] = now
    elif kind == TicketMessageKind.CUSTOMER:
        if ticket.status == S.CLOSED:
            raise TicketError("ticket.closed_open_new")
        if ticket.status == S.WAITING_CUSTOMER:
            values.update(paused_until_now(session, ticket, now), status=S.IN_PROGRESS)
        elif ticket.status == S.RESOLVED:
            refusal = within_reopen_window(session, ticket)
            if refusal:
                raise TicketError(refusal)
            values.update(on_reopened(ticket), status=S.IN_PROGRESS)
    message = TicketMessage(
        ticket_id=ticket.id, kind=kind, author=principal.username, body=text, created_at=now
    )
    session.add(message)
    session.flush()
    _write(
        session,
        ticket,
        values,
        actor=principal.username,
        action=f"ticket.message.{kind}",
        client=client,
        extra={"message": [None, f"#{message.id} {text[:200]}"]},
    )
    if kind == TicketMessageKind.REPLY:  # an answer the customer sees; notes stay inside
        session.refresh(ticket)
        data = event_data(ticket) | {"message_id": message.id}
        webhooks.emit(session, "ticket.replied", "ticket", ticket.id, data)
    return message


def thread_ids(session: Session, ticket_id: int) -> list[int]:
    """The ticket and every ticket merged into it (and into those), oldest first."""
    ids, frontier = [ticket_id], [ticket_id]
    while frontier:
        frontier = list(
            session.exec(select(Ticket.id).where(Ticket.merged_into_id.in_(frontier))).all()
        )
        ids.extend(i for i in frontier if i not in ids)
    return sorted(ids)


def conversation(session: Session, ticket_id: int) -> list[tuple[TicketMessage, str]]:
    """Messages of the ticket and of the duplicates merged into it, in time order, each with
    the number of the ticket it was written on."""
    ids = thread_ids(session, ticket_id)
    numbers = dict(
        session.execute(sa.select(Ticket.id, Ticket.ticket_no).where(Ticket.id.in_(ids))).all()
    )
    messages = session.exec(
        select(TicketMessage)
        .where(TicketMessage.ticket_id.in_(ids))
        .order_by(TicketMessage.created_at, TicketMessage.id)
    ).all()
    return [(m, numbers[m.ticket_id]) for m in messages]


# --- the agent's queues ---------------------------------------------------------------------
QUEUES = ("mine", "team", "unassigned", "waiting")


def mine(username: str) -> sa.ColumnElement[bool]:
    return sa.and_(Ticket.assignee == username, Ticket.status.in_(OPEN_TICKET_STATES))


def current_due(ticket: Ticket) -> datetime | None:
    """The target the ticket works towards now: first response until one is sent."""
    if ticket.first_responded_at is None and ticket.first_response_due is not None:
        return ticket.first_response_due
    return ticket.resolution_due


# --- overdue: one definition, in SQL and for a loaded ticket --------------------------------
CLOCK_RUNNING = (S.NEW, S.ASSIGNED, S.IN_PROGRESS)  # waiting on the customer pauses the clock


def overdue_clause(now: datetime) -> sa.ColumnElement[bool]:
    """Overdue: the clock running, and past the first-response target with no response sent,
    or past the resolution target (unresolved, as the clock stops at resolution)."""
    return sa.and_(
        Ticket.status.in_(CLOCK_RUNNING),
        sa.or_(
            sa.and_(Ticket.first_responded_at.is_(None), Ticket.first_response_due < now),
            Ticket.resolution_due < now,
        ),
    )


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    """``overdue_clause`` for a loaded ticket."""
    if ticket.status not in CLOCK_RUNNING:
        return False
    if (
        ticket.first_responded_at is None
        and ticket.first_response_due is not None
        and ticket.first_response_due < now
    ):
        return True
    return ticket.resolution_due is not None and ticket.resolution_due < now


def queue(session: Session, principal: Principal, name: str, limit: int) -> list[Ticket]:
    """One of QUEUES for this user, overdue first, then by the nearest due time."""
    if name == "mine":
        condition = mine(principal.username)
    elif name == "unassigned":
        condition = Ticket.status == S.NEW
    elif name == "waiting":
        condition = sa.and_(
            Ticket.status == S.WAITING_CUSTOMER, Ticket.assignee == principal.username
        )
    else:  # "team": every open ticket of the caller's teams
        condition = Ticket.status.in_(OPEN_TICKET_STATES)
    if (where := scope(principal)) is not None:
        condition = sa.and_(condition, where)
    due = sa.case(
        (Ticket.first_responded_at.is_(None), Ticket.first_response_due),
        else_=Ticket.resolution_due,
    )
    return list(
        session.exec(
            select(Ticket).where(condition).order_by(due.is_(None), due, Ticket.id).limit(limit)
        ).all()
    )


# --- merging duplicates ---------------------------------------------------------------------
def merge(
    session: Session, principal: Principal, ticket_id: int, into_no: str, client: str = ""
) -> Ticket:
    """Close a duplicate into another open ticket of the same customer; its conversation then
    shows on that ticket, and both keep a note of the merge."""
    if not principal.can("ticket", "edit"):
        raise TicketError("auth.denied")
    source = locked(session, principal, ticket_id)
    target_query = select(Ticket).where(Ticket.ticket_no == str(into_no).strip().upper())
    if (where := scope(principal)) is not None:
        target_query = target_query.where(where)
    target = session.exec(target_query.with_for_update()).first()
    if target is None:
        raise TicketError("ticket.merge_target_missing")
    if target.id == source.id:
        raise TicketError("ticket.merge_self")
    refusal = merge_refusal(principal, source)
    if refusal:
        raise TicketError(refusal)
    if target.customer_id != source.customer_id:
        raise TicketError("ticket.merge_other_customer")
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise TicketError("ticket.merged")
    if source.status == S.CLOSED or target.status not in OPEN_TICKET_STATES:
        raise TicketError("ticket.merge_closed")
    now = utcnow()
    for on, text in (
        (source, f"已合并至 {target.ticket_no} / Merged into {target.ticket_no}"),
        (target, f"已并入重复工单 {source.ticket_no} / Duplicate {source.ticket_no} merged in"),
    ):
        session.add(
            TicketMessage(
                ticket_id=on.id,
                kind=TicketMessageKind.NOTE,
                author=principal.username,
                body=text,
                created_at=now,
            )
        )
    _write(
        session,
        source,
        {"merged_into_id": target.id, "status": S.CLOSED, "closed_at": now, "waiting_since": None},
        actor=principal.username,
        action="ticket.merge",
        client=client,
    )
    _write(
        session,
        target,
        {},
        actor=principal.username,
        action="ticket.merge_in",
        client=client,
        extra={"merged": [None, source.ticket_no]},
    )
    return target


# --- satisfaction ---------------------------------------------------------------------------
def rate(
    session: Session,
    principal: Principal,
    ticket_id: int,
    score: object,
    comment: str,
    client: str = "",
    customer_id: int | None = None,
) -> None:
    """The customer's rating of a resolved ticket (1–5, and what they said), as recorded
    (``customer_id``: by the customer platform, on that customer's own ticket)."""
    stars = numerals.whole(str(score).strip())
    if stars is None or not 1 <= stars <= 5:
        raise TicketError("ticket.rating_range")
    if len(comment or "") > 1000:
        raise TicketError("field.too_long", max=1000)
    if not principal.can("ticket", "edit"):
        raise TicketError("auth.denied")
    ticket = locked(session, principal, ticket_id, customer_id)
    if ticket.status not in (S.RESOLVED, S.CLOSED) or ticket.merged_into_id is not None:
        raise TicketError("ticket.rate_after_resolution")
    _write(
        session,
        ticket,
        {
            "satisfaction": stars,
            "satisfaction_comment": (comment or "").strip(),
            "rated_at": utcnow(),
        },
        actor=principal.username,
        action="ticket.rate",
        client=client,
    )


# --- canned replies -------------------------------------------------------------------------
def address(customer: Customer | None, lang: str = "zh") -> str:
    """How a reply addresses the customer without revealing more than the masked name."""
    if customer is None or not customer.name_masked:
        return translate("tickets.address.customer", lang)
    surname = customer.name_masked[0]
    if customer.gender == "M":
        return f"{surname}先生"
    if customer.gender == "F":
        return f"{surname}女士"
    return f"{surname}*"


PLACEHOLDERS = ("customer_name", "ticket_no", "subject", "agent_name")


def render(reply: CannedReply, ticket: Ticket, customer: Customer | None, agent_name: str) -> str:
    values = {
        "customer_name": address(customer),
        "ticket_no": ticket.ticket_no,
        "subject": ticket.subject,
        "agent_name": agent_name,
    }
    text = reply.body
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def canned_text(
    session: Session, principal: Principal, ticket_id: int, reply_id: int
) -> str | None:
    """A canned reply filled in for a ticket the caller sees; None if either is not there
    (or the reply is archived)."""
    reply = session.get(CannedReply, reply_id)
    ticket = visible(session, principal, ticket_id)
    if reply is None or ticket is None or reply.archived_at is not None:
        return None
    customer = session.get(Customer, ticket.customer_id)
    return render(reply, ticket, customer, principal.display_name)


def canned_for(session: Session, category: str) -> list[CannedReply]:
    return list(
        session.exec(
            select(CannedReply)
            .where(
                CannedReply.archived_at.is_(None),
                sa.or_(CannedReply.category.is_(None), CannedReply.category == category),
            )
            .order_by(CannedReply.title)
        ).all()
    )


def unknown_placeholders(body: str) -> list[str]:
    """Names in braces a canned reply uses that nothing fills in (a typo shown to customers)."""
    return sorted({name for name in re.findall(r"\{(\w+)\}", body) if name not in PLACEHOLDERS})


# --- scheduled work -------------------------------------------------------------------------
def _raised(priority: str) -> str:
    order = list(PRIORITY_ORDER)
    index = order.index(priority) if priority in order else 1
    return order[min(index + 1, len(order) - 1)]


def escalate_breaches(session: Session, now: datetime | None = None, batch: int = 100) -> str:
    """Open tickets past a target: the breach is recorded, the priority raised one step, the
    leads and the agent told. Each target breaches once (a reopen sets a new target). In
    batches, each committed."""
    now = now or utcnow()
    found = 0
    with write_batches(session) as batches:
        for target, due, breached in (
            (
                SlaTarget.FIRST_RESPONSE,
                Ticket.first_response_due,
                Ticket.first_response_breached_at,
            ),
            (SlaTarget.RESOLUTION, Ticket.resolution_due, Ticket.resolution_breached_at),
        ):
            conditions = [Ticket.status.in_(CLOCK_RUNNING), due < now, breached.is_(None)]
            if target == SlaTarget.FIRST_RESPONSE:
                conditions.append(Ticket.first_responded_at.is_(None))
            while True:
                overdue = session.exec(
                    select(Ticket)
                    .where(*conditions)
                    .order_by(due, Ticket.id)
                    .limit(batch)
                    .with_for_update()
                ).all()
                for ticket in overdue:
                    raised = _raised(ticket.priority)
                    session.add(
                        TicketSlaBreach(
                            ticket_id=ticket.id,
                            target=target,
                            due_at=getattr(ticket, f"{target}_due"),
                            breached_at=now,
                            priority_before=ticket.priority,
                            priority_after=raised,
                            assignee=ticket.assignee,
                        )
                    )
                    _write(
                        session,
                        ticket,
                        {f"{target}_breached_at": now, "priority": raised},
                        actor="system",
                        action=f"ticket.sla_breach.{target}",
                    )
                    _tell(session, ticket.id, target)
                    batches.done_one()
                found += len(overdue)
                batches.commit()
                if len(overdue) < batch:
                    break
    return Outcome("job.result.tickets.breaches", found=found)


def _tell(session: Session, ticket_id: int, target: str) -> None:
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
    what_zh = "首次响应" if target == SlaTarget.FIRST_RESPONSE else "解决"
    what_en = "first response" if target == SlaTarget.FIRST_RESPONSE else "resolution"
    link = f"/tickets/workspace?id={ticket.id}"
    level_zh = choice_label("ticket_priority", ticket.priority, "zh")
    level_en = choice_label("ticket_priority", ticket.priority, "en")
    for user_id in leads_of(session, ticket):
        notifications.notify(
            session,
            kind="ticket_sla",
            dedupe_key=f"ticket:{ticket.id}:{target}:{ticket.reopened_count}:lead:{user_id}",
            user_id=user_id,
            severity="warning",
            link=link,
            title_zh=f"工单 {ticket.ticket_no} {what_zh}超时，已升为{level_zh}",
            title_en=f"Ticket {ticket.ticket_no} missed its {what_en} target; now {level_en}",
        )
    if ticket.assignee:
        agent = session.exec(select(User.id).where(User.username == ticket.assignee)).first()
        if agent is not None and agent not in leads(session):
            notifications.notify(
                session,
                kind="ticket_sla",
                dedupe_key=f"ticket:{ticket.id}:{target}:{ticket.reopened_count}:agent",
                user_id=agent,
                severity="warning",
                link=link,
                title_zh=f"你的工单 {ticket.ticket_no} {what_zh}超时",
                title_en=f"Your ticket {ticket.ticket_no} missed its {what_en} target",
            )


def close_resolved(session: Session, now: datetime | None = None, batch: int = 200) -> str:
    """Resolved tickets the customer did not come back on close after the configured days.
    In batches, each committed: write locks stay short and a stopped run keeps its progress."""
    now = now or utcnow()
    cutoff = now - timedelta(days=settings_of(session).auto_close_days)
    closed = 0
    with write_batches(session) as batches:
        while True:
            stale = session.exec(
                select(Ticket)
                .where(Ticket.status == S.RESOLVED, Ticket.resolved_at < cutoff)
                .order_by(Ticket.id)
                .limit(batch)
                .with_for_update()
            ).all()
            for ticket in stale:
                _write(
                    session,
                    ticket,
                    {"status": S.CLOSED, "closed_at": now},
                    actor="system",
                    action="ticket.auto_close",
                )
                batches.done_one()
            closed += len(stale)
            batches.commit()
            if len(stale) < batch:
                return Outcome("job.result.tickets.closed", closed=closed)


# --- the agent's view of the customer -------------------------------------------------------
@dataclass
class CustomerContext:
    customer: Customer
    holdings: list[tuple[str, Decimal]] = field(default_factory=list)
    past: list[Ticket] = field(default_factory=list)


def customer_context(
    session: Session, principal: Principal, customer_id: int, ticket_id: int | None = None
) -> CustomerContext | None:
    customer = session.get(Customer, customer_id)
    if customer is None:
        return None
    signed = sa.case(
        (Transaction.kind == TransactionKind.REDEMPTION, -Transaction.amount),
        else_=Transaction.amount,
    )
    rows = session.execute(
        sa.select(Product.name, sa.func.sum(signed))
        .join(Product, Product.id == Transaction.product_id)
        .where(
            Transaction.customer_id == customer_id, Transaction.status == TransactionStatus.SETTLED
        )
        .group_by(Product.name)
        .order_by(sa.func.sum(signed).desc())
    ).all()
    holdings = [(name, Decimal(total)) for name, total in rows if total and Decimal(total) > 0]
    mine = [Ticket.customer_id == customer_id, Ticket.id != (ticket_id or 0)]
    if (where := scope(principal)) is not None:
        mine.append(where)
    past = session.exec(select(Ticket).where(*mine).order_by(Ticket.id.desc()).limit(8)).all()
    return CustomerContext(customer=customer, holdings=holdings[:8], past=list(past))


# --- reports --------------------------------------------------------------------------------
GROUPINGS = ("team", "assignee", "category", "channel", "priority")


@dataclass
class ReportRow:
    key: str
    volume: int = 0
    resolved: int = 0
    first_response_minutes: list[float] = field(default_factory=list)
    resolution_hours: list[float] = field(default_factory=list)
    first_response_met: int = 0
    first_response_timed: int = 0
    resolution_met: int = 0
    resolution_timed: int = 0
    ratings: list[int] = field(default_factory=list)

    @staticmethod
    def _mean(values: list[float] | list[int]) -> float | None:
        return sum(values) / len(values) if values else None

    @property
    def avg_first_response_minutes(self) -> float | None:
        return self._mean(self.first_response_minutes)

    @property
    def avg_resolution_hours(self) -> float | None:
        return self._mean(self.resolution_hours)

    @property
    def first_response_compliance(self) -> float | None:
        return (
            self.first_response_met / self.first_response_timed
            if self.first_response_timed
            else None
        )

    @property
    def resolution_compliance(self) -> float | None:
        return self.resolution_met / self.resolution_timed if self.resolution_timed else None

    @property
    def satisfaction(self) -> float | None:
        return self._mean(self.ratings)


def report(
    session: Session, principal: Principal, start: date, end: date, by: str
) -> tuple[list[ReportRow], ReportRow]:
    """Tickets opened from ``start`` to ``end`` (local days, inclusive) grouped ``by`` one of
    GROUPINGS: volume, mean first-response and resolution times (clock time), the share of
    targets met, and the mean rating. Merged duplicates are not counted. Only for callers with
    the reports' right, over the tickets they see (a lead: their teams)."""
    if not principal.can("ticket_report", "view"):
        raise TicketError("auth.denied")
    if by not in GROUPINGS:
        raise TicketError("ticket.report_grouping")
    if end < start:
        raise TicketError("ticket.report_range")
    zone = get_settings().zone
    begin = datetime.combine(start, time(0), zone)
    finish = datetime.combine(end + timedelta(days=1), time(0), zone)
    key = Ticket.team_id if by == "team" else getattr(Ticket, by)
    rows = session.execute(
        sa.select(
            key,
            Ticket.created_at,
            Ticket.first_responded_at,
            Ticket.first_response_due,
            Ticket.resolved_at,
            Ticket.resolution_due,
            Ticket.satisfaction,
        ).where(
            Ticket.created_at >= begin,
            Ticket.created_at < finish,
            Ticket.merged_into_id.is_(None),
            *([where] if (where := scope(principal)) is not None else []),
        )
    ).all()
    now = utcnow()
    groups: dict[str, ReportRow] = {}
    total = ReportRow(key="")
    for group, created, responded, response_due, resolved, resolution_due, rating in rows:
        label = str(group if group not in (None, "") else "")
        for row in (groups.setdefault(label, ReportRow(key=label)), total):
            row.volume += 1
            if responded is not None:
                row.first_response_minutes.append((responded - created).total_seconds() / 60)
            if response_due is not None and (responded is not None or response_due < now):
                row.first_response_timed += 1
                row.first_response_met += responded is not None and responded <= response_due
            if resolved is not None:
                row.resolved += 1
                row.resolution_hours.append((resolved - created).total_seconds() / 3600)
            if resolution_due is not None and (resolved is not None or resolution_due < now):
                row.resolution_timed += 1
                row.resolution_met += resolved is not None and resolved <= resolution_due
            if rating is not None:
                row.ratings.append(int(rating))
    ordered = sorted(groups.values(), key=lambda r: (-r.volume, r.key))
    return ordered, total


def group_labels(session: Session, by: str, keys: list[str], lang: str) -> dict[str, str]:
    """What the report shows for each group key: a team's name, an agent's display name, a
    choice's label; "" (no agent, no team) as the report's none."""
    labels = {"": translate("tickets.report.none", lang)}
    wanted = [k for k in keys if k]
    if by == "team":
        names = team_names(session, lang)
    elif by == "assignee":
        names = display_names(session, wanted, lang)
    else:
        names = {k: choice_label(f"ticket_{by}", k, lang) for k in wanted}
    labels.update({k: names.get(k, k) for k in wanted})
    return labels


def team_names(session: Session, lang: str) -> dict[str, str]:
    return {
        str(team.id): team.name_en if lang == "en" else team.name_zh
        for team in session.exec(select(Team)).all()
    }


REPORT_COLUMNS = (
    "key", "volume", "resolved", "first_response", "resolution", "first_sla", "resolution_sla",
    "csat",
)  # fmt: skip


@dataclass
class ReportTable:
    """The report as staff read it: each group named (a team, an agent by display name, a
    choice by its label), figures in the staff's language; the page, its chart and its file
    all show this."""

    by: str
    rows: list[ReportRow]
    total: ReportRow
    names: list[str]
    cells: list[dict[str, str]]
    total_cells: dict[str, str]


def report_cells(row: ReportRow, name: str, lang: str) -> dict[str, str]:
    def share(value: float | None) -> str:
        return (
            chart_style.number(Decimal(str(round(value * 100, 1))), "percent", lang)
            if (value is not None)
            else "—"
        )

    def mean(value: float | None, unit: str) -> str:
        return "—" if value is None else chart_style.number(round(value, 1), unit, lang)

    return {
        "key": name,
        "volume": f"{row.volume:,}",
        "resolved": f"{row.resolved:,}",
        "first_response": mean(row.avg_first_response_minutes, "minutes"),
        "resolution": mean(row.avg_resolution_hours, "hours"),
        "first_sla": share(row.first_response_compliance),
        "resolution_sla": share(row.resolution_compliance),
        "csat": f"{row.satisfaction:.2f} ({len(row.ratings)})" if row.satisfaction else "—",
    }


def report_table(
    session: Session, principal: Principal, start: date, end: date, by: str, lang: str
) -> ReportTable:
    rows, total = report(session, principal, start, end, by)
    labels = group_labels(session, by, [r.key for r in rows], lang)

    def name(key: str) -> str:
        return labels.get(key, key)

    names = [name(r.key) for r in rows]
    return ReportTable(
        by=by,
        rows=rows,
        total=total,
        names=names,
        cells=[report_cells(r, n, lang) for r, n in zip(rows, names, strict=True)],
        total_cells=report_cells(total, translate("tickets.report.total", lang), lang),
    )


def report_csv(table: ReportTable, lang: str) -> bytes:
    """The report as a file: headers as the page shows them, in the staff's language."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [translate(f"tickets.report.by.{table.by}", lang)]
        + [translate(f"tickets.report.{c}", lang) for c in REPORT_COLUMNS[1:]]
    )
    for cells in [*table.cells, table.total_cells]:
        writer.writerow([cells[c] for c in REPORT_COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def export_report(
    *, principal: Principal, start: date, end: date, by: str, lang: str, client: str = ""
) -> ExportFile:
    """The report's table as CSV, audited; for callers with the reports' export right."""
    if not principal.can("ticket_report", "export"):
        raise TicketError("auth.denied")

    def produce(session: Session) -> ExportFile:
        table = report_table(session, principal, start, end, by, lang)
        return ExportFile(
            filename=f"ticket-report-{by}-{start}-{end}.csv",
            data=report_csv(table, lang),
            rows=len(table.rows),
        )

    return produce_audited(
        produce,
        principal=principal,
        what="tickets.report_export",
        entity="ticket",
        client=client,
        details={"group_by": by, "period": f"{start} – {end}"},
    )
