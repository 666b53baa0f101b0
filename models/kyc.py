"""KYC cases, watch lists and risk indicators worked by compliance officers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import EditableBase, TableBase, code_field, text_field, time_field


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


class QuestionnaireStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"  # submitted, waiting for another officer's approval
    ACTIVE = "active"  # the one version new scorings use
    RETIRED = "retired"


class RiskQuestionnaire(EditableBase, table=True):
    """One version of the risk questionnaire (风险测评问卷): its questions, and the score bands
    that turn a total into a risk tolerance C1…C5. Only a draft changes; approving a version
    retires the previous one, and every case keeps the version it was scored with."""

    __tablename__ = "risk_questionnaire"

    number: int = Field(unique=True, index=True)  # version 1, 2, … (``version`` is the lock)
    title_zh: str = code_field(200)
    title_en: str = code_field(200)
    status: str = code_field(20, default=QuestionnaireStatus.DRAFT, index=True)
    c2_from: int = 0  # the lowest total scored C2, and so on
    c3_from: int = 0
    c4_from: int = 0
    c5_from: int = 0
    activated_at: datetime | None = time_field(None)
    retired_at: datetime | None = time_field(None)
    change_note: str = text_field()


class RiskQuestion(EditableBase, table=True):
    """A question with its answers, one per line: "points | 中文 | English"."""

    __tablename__ = "risk_question"

    questionnaire_id: int = Field(foreign_key="risk_questionnaire.id", index=True)
    position: int = 1
    text_zh: str = code_field(300)
    text_en: str = code_field(300)
    weight: int = 1  # the answer's points count this many times
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


class RiskCategory(StrEnum):
    MARKET = "market"
    CREDIT = "credit"
    LIQUIDITY = "liquidity"
    OPERATIONAL = "operational"
    IT = "it"


class RiskIndicator(EditableBase, table=True):
    __tablename__ = "risk_indicator"

    code: str = code_field(40, unique=True)
    name_zh: str = code_field(100)
    name_en: str = code_field(100)
    category: str = code_field(20, index=True)
    unit: str = code_field(20, default="")
    warning_threshold: Decimal = Field(sa_type=sa.Numeric(18, 4))
    breach_threshold: Decimal = Field(sa_type=sa.Numeric(18, 4))
    higher_is_worse: bool = True
    current_value: Decimal | None = Field(default=None, sa_type=sa.Numeric(18, 4))
    owner_role: str = code_field(40, default="compliance")
    # "manual" (recorded by staff) or the key of a measure the evaluation job computes
    source: str = code_field(40, default="manual")
    level: str = code_field(10, default="normal")  # normal | warning | breach
    measured_at: datetime | None = time_field(None)
    opens_task: bool = True  # a breach opens an alert to work, not only a notification


class RiskLevel(StrEnum):
    NORMAL = "normal"
    WARNING = "warning"
    BREACH = "breach"


class RiskReading(TableBase, table=True):
    """One measured value of an indicator and the level it gave."""

    __tablename__ = "risk_reading"
    __table_args__ = (sa.Index("ix_risk_reading_indicator_time", "indicator_id", "measured_at"),)

    indicator_id: int = Field(foreign_key="risk_indicator.id")
    value: Decimal = Field(sa_type=sa.Numeric(18, 4))
    level: str = code_field(10)
    measured_at: datetime = time_field()
    recorded_by: str = code_field(64)  # a username, or "job"
    note: str = code_field(300, default="")


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class RiskAlert(EditableBase, table=True):
    """A threshold crossed: a task for the indicator's owning role until it is closed (by hand,
    or by itself when the indicator recovers)."""

    __tablename__ = "risk_alert"

    alert_no: str = code_field(20, unique=True)
    indicator_id: int = Field(foreign_key="risk_indicator.id", index=True)
    level: str = code_field(10)
    value: Decimal = Field(sa_type=sa.Numeric(18, 4))
    threshold: Decimal = Field(sa_type=sa.Numeric(18, 4))
    owner_role: str = code_field(40)
    status: str = code_field(20, default=AlertStatus.OPEN, index=True)
    assignee: str = code_field(64, default="")
    raised_at: datetime = time_field(index=True)
    cleared_at: datetime | None = time_field(None)  # the indicator came back to normal
    note: str = text_field()
