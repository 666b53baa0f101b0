"""KPI snapshots, alert rules and the weekly report."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from backoffice.domains.kpi import rules as kpi
from backoffice.platform.jobs import job


@job("kpi.snapshots", timedelta(hours=6))
def kpi_snapshots(session: Session) -> str:
    return kpi.take_snapshots(session)


@job("kpi.alerts", timedelta(minutes=15))
def kpi_alerts(session: Session) -> str:
    return kpi.evaluate_alerts(session)


@job("kpi.weekly_report", timedelta(hours=6))
def kpi_weekly_report(session: Session) -> str:
    return kpi.weekly_report(session)
