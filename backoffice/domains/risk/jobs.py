"""Risk indicators evaluated against their thresholds."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from backoffice.domains.risk import rules as risk
from backoffice.platform.jobs import job


@job("risk.indicators", timedelta(minutes=15))
def risk_indicators(session: Session) -> str:
    return risk.evaluate_all(session)
