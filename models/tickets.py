"""Customer-service tickets and their conversations."""

from __future__ import annotations

from datetime import datetime
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


class Ticket(EditableBase, table=True):
    __tablename__ = "ticket"
    __table_args__ = (sa.Index("ix_ticket_status_created", "status", "created_at"),)

    ticket_no: str = code_field(20, unique=True, index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    channel: str = code_field(20, index=True)
    category: str = code_field(30, index=True)
    priority: str = code_field(10, default=TicketPriority.NORMAL, index=True)
    subject: str = code_field(300)
    status: str = code_field(20, default=TicketStatus.NEW)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    assignee_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    first_response_due: datetime | None = time_field(None)
    resolution_due: datetime | None = time_field(None, index=True)
    first_responded_at: datetime | None = time_field(None)
    resolved_at: datetime | None = time_field(None)
    satisfaction: int | None = None
    satisfaction_comment: str = text_field()


class TicketMessageKind(StrEnum):
    CUSTOMER = "customer"
    REPLY = "reply"
    NOTE = "note"


class TicketMessage(TableBase, table=True):
    __tablename__ = "ticket_message"

    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = code_field(10)
    author_id: int | None = Field(default=None, foreign_key="employee.id")
    body: str = Field(sa_type=sa.Text)
