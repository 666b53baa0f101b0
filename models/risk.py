"""Risk indicators (market, credit, liquidity, operational, IT), their readings and alerts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import EditableBase, TableBase, code_field, text_field, time_field


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
