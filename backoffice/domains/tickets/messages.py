"""What a customer writes on the customer platform: a new ticket routed by the desk's rules,
or the customer's words on a ticket of theirs (named, or their open one about the same
subject; a merged one's words go to the ticket it was merged into), which brings a waiting
ticket back and reopens a resolved one within the reopen window; and their rating of a
resolved ticket."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.domains.tickets import rules
from backoffice.engine import service
from backoffice.engine.fields import is_id, storable_text
from backoffice.engine.resource import get as resource
from backoffice.platform import attachments
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.customers import Customer
from models.tickets import (
    OPEN_TICKET_STATES,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketMessageKind,
    TicketPriority,
    TicketStatus,
)

CHANNEL = TicketChannel.APP_FEEDBACK
SUBJECT_LENGTH = 300
MAX_FILES = 5
OPENED, ADDED, REOPENED = "opened", "added", "reopened"


class MessageRefused(rules.TicketError):
    """A message not taken; ``errors``: an i18n key per bad field."""

    def __init__(self, key: str, errors: dict[str, str] | None = None, **params: object) -> None:
        super().__init__(key, **params)
        self.errors = dict(errors or {})


@dataclass(frozen=True)
class File:
    filename: str
    data: bytes


@dataclass(frozen=True)
class CustomerMessage:
    customer_id: int
    subject: str
    body: str
    category: str = ""
    ticket_id: int | None = None
    files: tuple[File, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Taken:
    ticket: Ticket
    outcome: str  # OPENED, ADDED (to an open ticket) or REOPENED


def problems(message: CustomerMessage) -> dict[str, str]:
    found: dict[str, str] = {}
    subject, body = message.subject.strip(), message.body.strip()
    if not subject:
        found["subject"] = "field.required"
    elif len(subject) > SUBJECT_LENGTH or not storable_text(subject):
        found["subject"] = "field.too_long" if len(subject) > SUBJECT_LENGTH else "field.invalid"
    if not body:
        found["body"] = "field.required"
    elif len(body) > rules.MAX_MESSAGE or not storable_text(body):
        found["body"] = "field.too_long" if len(body) > rules.MAX_MESSAGE else "field.invalid"
    if message.category and message.category not in tuple(TicketCategory):
        found["category"] = "field.invalid"
    if len(message.files) > MAX_FILES:
        found["attachments"] = "field.too_long"
    ticket_resource = resource("ticket")
    for index, file in enumerate(message.files):
        problem = attachments.file_problem(ticket_resource, file.filename, file.data)
        if problem:
            found[f"attachments.{index}"] = problem
    return found


def _ongoing(session: Session, customer_id: int, subject: str) -> int | None:
    """The customer's latest ticket about this subject still open or resolved recently
    enough to reopen."""
    window = rules.settings_of(session).reopen_days
    since = utcnow() - timedelta(days=window)
    return session.exec(
        select(Ticket.id)
        .where(
            Ticket.customer_id == customer_id,
            Ticket.merged_into_id.is_(None),
            sa.func.lower(Ticket.subject) == subject.lower(),
            sa.or_(
                Ticket.status.in_(OPEN_TICKET_STATES),
                sa.and_(Ticket.status == TicketStatus.RESOLVED, Ticket.resolved_at >= since),
            ),
        )
        .order_by(Ticket.id.desc())
    ).first()


def take(
    session: Session, principal: Principal, message: CustomerMessage, client: str = ""
) -> Taken:
    """Take the customer's message (see the module's text); refused with nothing written.
    ``client``: the calling system's address, for the audit trail."""
    if not (principal.can("ticket", "create") and principal.can("ticket", "edit")):
        raise MessageRefused("auth.denied")
    found = problems(message)
    if found:
        raise MessageRefused("api.invalid", errors=found)
    customer = session.get(Customer, message.customer_id) if is_id(message.customer_id) else None
    if customer is None:
        raise MessageRefused("api.invalid", errors={"customer_id": "field.not_found"})
    subject, body = message.subject.strip(), message.body.strip()
    ticket_id = message.ticket_id or _ongoing(session, customer.id, subject)
    if ticket_id:
        named = rules.locked(session, principal, ticket_id, customer.id)
        if named.merged_into_id is not None:  # the conversation goes on where it was merged
            ticket_id = named.merged_into_id
        before = rules.locked(session, principal, ticket_id, customer.id).status
        rules.post(
            session,
            principal,
            ticket_id,
            TicketMessageKind.CUSTOMER,
            body,
            client=client,
            customer_id=customer.id,
        )
        ticket = rules.locked(session, principal, ticket_id, customer.id)  # as it is now
        outcome = REOPENED if before == TicketStatus.RESOLVED else ADDED
    else:
        created = service.create(
            session,
            principal=principal,
            resource=resource("ticket"),
            values={
                "customer_id": str(customer.id),
                "channel": CHANNEL,
                "category": message.category or TicketCategory.OTHER,
                "priority": TicketPriority.NORMAL,
                "subject": subject,
                "description": body,
            },
            client=client,
        )
        if not created.ok:
            raise MessageRefused(
                created.message or "api.invalid", errors=dict(created.errors) or None
            )
        ticket = session.get(Ticket, created.record_id)
        assert ticket is not None
        outcome = OPENED
    for file in message.files:
        _attachment, problem = attachments.receive(
            session,
            actor=principal.username,
            resource=resource("ticket"),
            record=ticket,
            filename=file.filename,
            data=file.data,
            client=client,
        )
        if problem:  # checked above; a file cannot change in between
            raise MessageRefused("api.invalid", errors={"attachments": problem})
    return Taken(ticket, outcome)


def rate(
    session: Session,
    principal: Principal,
    customer_id: int,
    ticket_id: int,
    score: int,
    comment: str,
    client: str = "",
) -> Ticket:
    """The customer's rating of their resolved ticket (1–5, and what they said)."""
    if not is_id(customer_id):
        raise MessageRefused("error.not_found")
    if not storable_text(comment or ""):
        raise MessageRefused("api.invalid", errors={"comment": "field.invalid"})
    rules.rate(
        session, principal, ticket_id, score, comment, client=client, customer_id=customer_id
    )
    return rules.locked(session, principal, ticket_id, customer_id)
