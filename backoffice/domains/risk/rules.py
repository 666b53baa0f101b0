"""Risk indicators (market, credit, liquidity, operational, IT): readings recorded by staff or
measured by the evaluation job, a level from the thresholds, and alerts to the owning role.

Crossing into warning or breach notifies the role; a breach of an indicator that ``opens_task``
opens an alert to work (acknowledge, close with a note). When the indicator recovers, the open
alert closes itself and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.engine.fields import is_id
from backoffice.platform import audit, notifications, numerals
from backoffice.platform.jobs import Outcome
from backoffice.platform.refusal import Refusal
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.jobs import JobRun
from models.kyc import OPEN_CASE_STATES, HitStatus, KycCase, ScreeningHit
from models.risk import AlertStatus, RiskAlert, RiskIndicator, RiskLevel, RiskReading
from models.transactions import Transaction, TransactionKind, TransactionStatus

L = RiskLevel
RANK = {L.NORMAL: 0, L.WARNING: 1, L.BREACH: 2}
QUANTUM = Decimal("0.0001")


class RiskError(Refusal, ValueError):
    """A refusal of this domain (see backoffice.platform.refusal)."""


def indicator(session: Session, indicator_id: int) -> RiskIndicator | None:
    return session.get(RiskIndicator, indicator_id) if is_id(indicator_id) else None


def level_of(indicator: RiskIndicator, value: Decimal) -> str:
    """Where a value stands against the thresholds (either direction of "worse")."""
    if indicator.higher_is_worse:
        if value >= indicator.breach_threshold:
            return L.BREACH
        return L.WARNING if value >= indicator.warning_threshold else L.NORMAL
    if value <= indicator.breach_threshold:
        return L.BREACH
    return L.WARNING if value <= indicator.warning_threshold else L.NORMAL


# --- measures the job computes from the platform's own data ---------------------------------
def _overdue_kyc_cases(session: Session) -> Decimal:
    count = session.execute(
        sa.select(sa.func.count()).where(
            KycCase.status.in_(OPEN_CASE_STATES), KycCase.due_at < utcnow()
        )
    ).scalar_one()
    return Decimal(count)


def _open_screening_hits(session: Session) -> Decimal:
    count = session.execute(
        sa.select(sa.func.count()).where(ScreeningHit.status == HitStatus.OPEN)
    ).scalar_one()
    return Decimal(count)


def _redemption_share_1d(session: Session) -> Decimal:
    """Redemptions as a percentage of all settled flows in the last 24 hours."""
    rows = dict(
        session.execute(
            sa.select(Transaction.kind, sa.func.sum(Transaction.amount))
            .where(
                Transaction.occurred_at >= utcnow() - timedelta(days=1),
                Transaction.status == TransactionStatus.SETTLED,
            )
            .group_by(Transaction.kind)
        ).all()
    )
    redeemed = Decimal(rows.get(TransactionKind.REDEMPTION) or 0)
    total = redeemed + Decimal(rows.get(TransactionKind.SUBSCRIPTION) or 0)
    return (redeemed * 100 / total).quantize(QUANTUM) if total else Decimal(0)


def _failed_jobs_1d(session: Session) -> Decimal:
    count = session.execute(
        sa.select(sa.func.count()).where(
            JobRun.status == "failed", JobRun.started_at >= utcnow() - timedelta(days=1)
        )
    ).scalar_one()
    return Decimal(count)


MEASURES: dict[str, Callable[[Session], Decimal]] = {
    "kyc_overdue_cases": _overdue_kyc_cases,
    "open_screening_hits": _open_screening_hits,
    "redemption_share_1d": _redemption_share_1d,
    "failed_jobs_1d": _failed_jobs_1d,
}
SOURCES = ("manual", *MEASURES)


# --- readings, levels and alerts ------------------------------------------------------------
def _next_alert_no(session: Session) -> str:
    last = session.execute(sa.select(sa.func.max(RiskAlert.id))).scalar() or 0
    return f"RA{utcnow():%y%m}{last + 1:05d}"


def _open_alert(session: Session, indicator_id: int) -> RiskAlert | None:
    return session.exec(
        select(RiskAlert).where(
            RiskAlert.indicator_id == indicator_id, RiskAlert.status != AlertStatus.CLOSED
        )
    ).first()


def _notify(session: Session, indicator: RiskIndicator, level: str, value: Decimal) -> None:
    worded = {
        L.WARNING: ("预警", "warning"),
        L.BREACH: ("超限", "breach"),
        L.NORMAL: ("恢复", "back to normal"),
    }[L(level)]
    shown = f"{value.normalize():f}{indicator.unit}"
    notifications.notify(
        session,
        kind="risk_indicator",
        role=indicator.owner_role,
        severity="error" if level == L.BREACH else "warning" if level == L.WARNING else "info",
        title_zh=f"风险指标{worded[0]}：{indicator.name_zh} = {shown}",
        title_en=f"Risk indicator {worded[1]}: {indicator.name_en} = {shown}",
        link=f"/r/risk_indicator/record?id={indicator.id}",
        dedupe_key=f"risk:{indicator.id}:{level}:{utcnow():%Y%m%d%H%M%S%f}",
    )


def evaluate(
    session: Session, indicator: RiskIndicator, value: Decimal, by: str, note: str = ""
) -> str:
    """Record a reading and act on a change of level; returns the new level."""
    value = Decimal(value).quantize(QUANTUM)
    level = level_of(indicator, value)
    previous = indicator.level
    now = utcnow()
    session.add(
        RiskReading(
            indicator_id=indicator.id,
            value=value,
            level=level,
            measured_at=now,
            recorded_by=by,
            note=note,
        )
    )
    indicator.current_value, indicator.level, indicator.measured_at = value, level, now
    indicator.version += 1
    session.add(indicator)
    if level != previous:
        audit.record(
            session,
            actor=by,
            action="risk_indicator.level",
            entity="risk_indicator",
            entity_id=indicator.id,
            changes={"level": [previous, level], "current_value": [None, str(value)]},
        )
        _notify(session, indicator, level, value)
    alert = _open_alert(session, indicator.id)
    if level == L.NORMAL and alert is not None:
        alert.status, alert.cleared_at = AlertStatus.CLOSED, now
        alert.note = (
            alert.note + "\n" if alert.note else ""
        ) + f"{now:%Y-%m-%d %H:%M} UTC 指标恢复正常 / recovered"
        alert.version += 1
        session.add(alert)
        audit.record(
            session,
            actor=by,
            action="risk_alert.cleared",
            entity="risk_alert",
            entity_id=alert.id,
            changes={"status": [AlertStatus.OPEN, AlertStatus.CLOSED]},
        )
    elif level == L.BREACH and indicator.opens_task and alert is None:
        threshold = indicator.breach_threshold
        alert = RiskAlert(
            alert_no=_next_alert_no(session),
            indicator_id=indicator.id,
            level=level,
            value=value,
            threshold=threshold,
            owner_role=indicator.owner_role,
            raised_at=now,
        )
        session.add(alert)
        session.flush()
        audit.record(
            session,
            actor=by,
            action="risk_alert.raised",
            entity="risk_alert",
            entity_id=alert.id,
            changes={"indicator": [None, indicator.code], "value": [None, str(value)]},
        )
    elif alert is not None and RANK[L(level)] > RANK[L(alert.level)]:
        alert.level, alert.value = level, value
        alert.version += 1
        session.add(alert)
    session.flush()
    return level


def record_reading(
    session: Session,
    principal: Principal,
    indicator: RiskIndicator,
    raw_value: str,
    note: str = "",
) -> str:
    """A value measured outside the platform (e.g. drawdown from the risk system)."""
    if not principal.can("risk_indicator", "edit"):
        raise RiskError("auth.denied")
    if indicator.source != "manual":
        raise RiskError("risk.measured_by_job")
    value = numerals.decimal(str(raw_value).replace(",", "").strip())
    if value is None or abs(value) >= Decimal("1e14"):
        raise RiskError("field.not_a_number")
    return evaluate(session, indicator, value, principal.username, note.strip()[:300])


def evaluate_all(session: Session) -> str:
    """The job: measure what the platform can measure, re-check every indicator's level."""
    changed = 0
    indicators = session.exec(
        select(RiskIndicator).where(RiskIndicator.archived_at.is_(None)).order_by(RiskIndicator.id)
    ).all()
    for indicator in indicators:
        measure = MEASURES.get(indicator.source)
        if measure is not None:
            value = measure(session)
        elif indicator.current_value is not None:
            value = indicator.current_value
            if level_of(indicator, value) == indicator.level:
                continue  # a manual value with an unchanged level: nothing new to record
        else:
            continue
        before = indicator.level
        if evaluate(session, indicator, value, "job") != before:
            changed += 1
    return Outcome("job.result.risk.indicators", evaluated=len(indicators), changed=changed)


def readings(session: Session, indicator_id: int, limit: int = 30) -> list[RiskReading]:
    return list(
        session.exec(
            select(RiskReading)
            .where(RiskReading.indicator_id == indicator_id)
            .order_by(RiskReading.measured_at.desc(), RiskReading.id.desc())
            .limit(limit)
        ).all()
    )
