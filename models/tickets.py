"""Customer-service tickets, their conversations, and the rules that route and time them:
SLA policies over business hours and holidays, assignment rules per category, canned replies."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import EditableBase, TableBase, code_field, text_field, time_field


class TicketChannel(StrEnum):
    ONLINE_CHAT = "online_chat"
    PHONE = "phone"
    EMAIL = "email"
    APP_FEEDBACK = "app_feedback"
    SERVICE_CENTRE = "service_centre"


class TicketCategory(StrEnum):
    ACCOUNT = "account"
    TRANSACTION = "transaction"
    INVESTMENT_CONSULTATION = "investment_consultation"
    COMPLAINT = "complaint"
    OTHER = "other"


class TicketPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_TICKET_STATES = (
    TicketStatus.NEW,
    TicketStatus.ASSIGNED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING_CUSTOMER,
)
PRIORITY_ORDER = tuple(TicketPriority)  # escalation raises a ticket one step along this


class Ticket(EditableBase, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        sa.Index("ix_ticket_status_created", "status", "created_at"),
        sa.Index("ix_ticket_assignee_status", "assignee", "status"),
        sa.Index("ix_ticket_team_status", "team_id", "status"),
        sa.Index("ix_ticket_created", "created_at"),  # KPI ranges and the ticket report
    )

    ticket_no: str = code_field(20, unique=True, index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    channel: str = code_field(20, index=True)
    category: str = code_field(30, index=True)
    priority: str = code_field(10, default=TicketPriority.NORMAL, index=True)
    subject: str = code_field(300)
    description: str = text_field()  # the customer's first message, as taken down
    status: str = code_field(20, default=TicketStatus.NEW)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    assignee: str = code_field(64, default="")  # the agent's username
    product_id: int | None = Field(default=None, foreign_key="product.id", index=True)
    kyc_case_id: int | None = Field(default=None, foreign_key="kyc_case.id", index=True)
    # a duplicate merged into another ticket: closed, its conversation shown on the other one
    merged_into_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    first_response_due: datetime | None = time_field(None)
    resolution_due: datetime | None = time_field(None, index=True)
    first_responded_at: datetime | None = time_field(None)
    waiting_since: datetime | None = time_field(None)  # the resolution clock is paused
    first_response_breached_at: datetime | None = time_field(None)
    resolution_breached_at: datetime | None = time_field(None)
    resolved_at: datetime | None = time_field(None)
    closed_at: datetime | None = time_field(None)
    reopened_count: int = 0
    resolution_note: str = text_field()
    satisfaction: int | None = None
    satisfaction_comment: str = text_field()
    rated_at: datetime | None = time_field(None)


class TicketMessageKind(StrEnum):
    CUSTOMER = "customer"
    REPLY = "reply"
    NOTE = "note"


class TicketMessage(TableBase, table=True):
    __tablename__ = "ticket_message"

    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = code_field(10)
    author: str = code_field(64, default="")  # the agent's username; "" for the customer
    body: str = Field(sa_type=sa.Text)


class TicketSettings(EditableBase, table=True):
    """The service desk's calendar and windows (one row)."""

    __tablename__ = "ticket_settings"

    workday_start: str = code_field(5, default="09:00")  # local time
    workday_end: str = code_field(5, default="18:00")
    workdays: str = code_field(20, default="1,2,3,4,5")  # ISO weekdays, Monday = 1
    reopen_days: int = 7  # a resolved ticket can be reopened this many days after
    auto_close_days: int = 3  # a resolved ticket closes by itself after this many days


class HolidayKind(StrEnum):
    HOLIDAY = "holiday"  # no business hours although a weekday
    WORKDAY = "workday"  # a weekend day worked instead (调休)


class BusinessHoliday(EditableBase, table=True):
    __tablename__ = "business_holiday"

    day: date = Field(unique=True, index=True)
    name: str = code_field(100)
    kind: str = code_field(10, default=HolidayKind.HOLIDAY)


class SlaPolicy(EditableBase, table=True):
    """Targets for one priority, in business minutes (or clock minutes around the clock)."""

    __tablename__ = "sla_policy"

    priority: str = code_field(10, unique=True)
    first_response_minutes: int
    resolution_minutes: int
    business_hours: bool = True  # False: the clock runs around the clock (urgent tickets)


class AssignmentMethod(StrEnum):
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    MANUAL = "manual"  # left in the team queue for an agent to take


class AssignmentRule(EditableBase, table=True):
    """Which team handles a category, and how a new ticket finds its agent in that team."""

    __tablename__ = "assignment_rule"

    category: str = code_field(30, unique=True)
    team_id: int = Field(foreign_key="team.id")
    method: str = code_field(20, default=AssignmentMethod.ROUND_ROBIN)
    last_assignee: str = code_field(64, default="")  # where round-robin goes on from


class CannedReply(EditableBase, table=True):
    """A prepared reply; {customer_name}, {ticket_no}, {subject} and {agent_name} are filled in."""

    __tablename__ = "canned_reply"

    title: str = code_field(100)
    category: str | None = code_field(30, default=None)  # None: offered for any category
    body: str = Field(sa_type=sa.Text)


class SlaTarget(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class TicketSlaBreach(TableBase, table=True):
    """A target missed, as the escalation job found it."""

    __tablename__ = "ticket_sla_breach"

    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    target: str = code_field(20)
    due_at: datetime = time_field()
    breached_at: datetime = time_field(index=True)
    priority_before: str = code_field(10)
    priority_after: str = code_field(10)
    assignee: str = code_field(64, default="")
