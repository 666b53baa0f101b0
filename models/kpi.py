"""KPI history, alert rules and their alerts, and the reports the portal writes on a schedule.

The metrics themselves are defined in code (``backoffice/domains/kpi/metrics.py``); only what
changes over time is stored here.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import EditableBase, TableBase, code_field, text_field, time_field

METRIC_VALUE = sa.Numeric(20, 4)


class AlertCondition(StrEnum):
    ABOVE = "above"  # the value is above the threshold
    BELOW = "below"
    RISES_BY = "rises_by"  # % change against the previous period of the same length
    FALLS_BY = "falls_by"


class KpiAlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"  # someone took it: a task of theirs until it clears
    CLEARED = "cleared"  # the metric recovered (by itself) or the rule changed


class KpiSnapshot(TableBase, table=True):
    """One metric's value for one local day, kept by the daily job for history and trends."""

    __tablename__ = "kpi_snapshot"
    __table_args__ = (sa.UniqueConstraint("metric", "day", name="uq_kpi_snapshot_metric_day"),)

    metric: str = code_field(40)
    day: date = Field(index=True)
    value: Decimal = Field(sa_type=METRIC_VALUE)


class KpiAlertRule(EditableBase, table=True):
    __tablename__ = "kpi_alert_rule"

    name: str = code_field(200)
    metric: str = code_field(40, index=True)
    condition: str = code_field(20)
    threshold: Decimal = Field(sa_type=METRIC_VALUE)
    period_days: int = 7  # the window the metric is measured over (ending today)
    owner_role: str = code_field(40)
    active: bool = True
    notes: str = text_field()


class KpiAlert(EditableBase, table=True):
    """A rule breached: stays open (a task for the owning role) until the metric recovers."""

    __tablename__ = "kpi_alert"

    alert_no: str = code_field(20, unique=True)
    rule_id: int = Field(foreign_key="kpi_alert_rule.id", index=True)
    metric: str = code_field(40)
    value: Decimal = Field(sa_type=METRIC_VALUE)
    threshold: Decimal = Field(sa_type=METRIC_VALUE)
    owner_role: str = code_field(40)
    status: str = code_field(20, default=KpiAlertStatus.OPEN, index=True)
    assignee: str = code_field(64, default="")
    raised_at: datetime = time_field(index=True)
    cleared_at: datetime | None = time_field(None)
    note: str = text_field()


class KpiReport(EditableBase, table=True):
    """A generated summary (the weekly report); the file is an attachment of this record."""

    __tablename__ = "kpi_report"

    kind: str = code_field(20, default="weekly")
    period_start: date = Field(index=True)
    period_end: date
    title: str = code_field(200)
    summary: str = text_field()
    generated_by: str = code_field(64, default="job")
    filename: str = code_field(120, default="")
    file_sha256: str = code_field(64, default="")  # in the private content-addressed store
