"""KYC cases and watch lists worked by compliance officers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import EditableBase, code_field, text_field, time_field


class KycCaseStatus(StrEnum):
    NEW = "new"
    IN_REVIEW = "in_review"
    WAITING_CUSTOMER = "waiting_customer"
    ESCALATED = "escalated"
    PENDING_SECOND = "pending_second"  # waiting for a second officer's approval
    APPROVED = "approved"
    REJECTED = "rejected"


OPEN_CASE_STATES = (
    KycCaseStatus.NEW,
    KycCaseStatus.IN_REVIEW,
    KycCaseStatus.WAITING_CUSTOMER,
    KycCaseStatus.ESCALATED,
    KycCaseStatus.PENDING_SECOND,
)


class KycCaseKind(StrEnum):
    ONBOARDING = "onboarding"
    PERIODIC = "periodic"  # re-KYC on the schedule of the customer's risk


class AmlRisk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class KycCase(EditableBase, table=True):
    __tablename__ = "kyc_case"

    case_no: str = code_field(20, unique=True, index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = code_field(20, default=KycCaseKind.ONBOARDING)
    status: str = code_field(20, default=KycCaseStatus.NEW, index=True)
    questionnaire_score: int | None = None
    risk_tolerance: str | None = code_field(2, default=None)
    aml_risk: str = code_field(10, default=AmlRisk.LOW)
    high_risk: bool = False  # aml_risk == high: a second officer must approve
    assignee: str = code_field(64, default="", index=True)  # the officer's username
    opened_at: datetime = time_field(index=True)
    due_at: datetime = time_field(index=True)
    escalated_at: datetime | None = time_field(None)
    decided_at: datetime | None = time_field(None, index=True)
    requested_items: str = text_field()  # what the customer was asked to provide
    decision_note: str = text_field()
    # the questionnaire version the case was scored with, and the answers given (JSON)
    questionnaire_id: int | None = Field(default=None, foreign_key="risk_questionnaire.id")
    answers: str = text_field()


class HitStatus(StrEnum):
    OPEN = "open"
    TRUE_MATCH = "true_match"
    FALSE_POSITIVE = "false_positive"


class ScreeningHit(EditableBase, table=True):
    """A customer resembling a watch-list entry; an officer disposes of it with a reason."""

    __tablename__ = "screening_hit"
    __table_args__ = (sa.UniqueConstraint("customer_id", "entry_id", name="uq_hit_customer_entry"),)

    customer_id: int = Field(foreign_key="customer.id", index=True)
    entry_id: int = Field(foreign_key="watchlist_entry.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="kyc_case.id", index=True)
    score: int = 0  # 0-100
    matched_on: str = code_field(100, default="")  # e.g. "name,birth_date"
    status: str = code_field(20, default=HitStatus.OPEN, index=True)
    reason: str = text_field()
    decided_by: str = code_field(64, default="")
    decided_at: datetime | None = time_field(None)


class WatchlistKind(StrEnum):
    SANCTIONS = "sanctions"
    PEP = "pep"
    INTERNAL_BLACKLIST = "internal_blacklist"


class WatchlistEntry(EditableBase, table=True):
    __tablename__ = "watchlist_entry"

    list_kind: str = code_field(30, index=True)
    name: str = code_field(200, index=True)
    name_pinyin: str = code_field(300, default="")
    birth_date: str = code_field(10, default="")
    id_number_hash: str = code_field(64, default="", index=True)
    source: str = code_field(200, default="")
    reason: str = text_field()
