"""Risk indicators: levels from thresholds in either direction, alerts raised once to the owning
role, raised further on a worse level, cleared by themselves when the indicator recovers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

import backoffice.domains  # noqa: F401
from backoffice.domains.risk import rules as risk
from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.security import auth
from models.base import utcnow
from models.kyc import KycCase
from models.notifications import Notification
from models.risk import RiskAlert, RiskIndicator, RiskReading
from tests.factories import make_customer, make_user, sign_in

INDICATORS = get("risk_indicator")


@pytest.fixture
def officer(session):
    user, _ = make_user(session, "risk.a", ["compliance"])
    return auth.resolve(session, sign_in(session, user))


def _indicator(session, code="LIQ_REDEEM", warn="8", breach="15", higher=True, source="manual"):
    indicator = RiskIndicator(
        code=code,
        name_zh="单日赎回占比",
        name_en="Daily redemption ratio",
        category="liquidity",
        unit="%",
        warning_threshold=Decimal(warn),
        breach_threshold=Decimal(breach),
        higher_is_worse=higher,
        source=source,
    )
    session.add(indicator)
    session.commit()
    return indicator


def test_levels_follow_the_thresholds_in_the_worse_direction(session):
    redemptions = _indicator(session)
    uptime = _indicator(session, "IT_UPTIME", "99.9", "99.5", higher=False)
    assert [risk.level_of(redemptions, Decimal(v)) for v in ("7.99", "8", "14.9", "15")] == [
        "normal", "warning", "warning", "breach",
    ]  # fmt: skip
    assert [risk.level_of(uptime, Decimal(v)) for v in ("99.95", "99.9", "99.6", "99.5")] == [
        "normal", "warning", "warning", "breach",
    ]  # fmt: skip


def test_a_breach_raises_one_alert_which_clears_itself_on_recovery(session, officer):
    indicator = _indicator(session)
    assert risk.record_reading(session, officer, indicator, "9.5", "日终") == "warning"
    assert session.exec(select(RiskAlert)).all() == []  # a warning tells the role, no task
    assert risk.record_reading(session, officer, indicator, "16") == "breach"
    assert risk.record_reading(session, officer, indicator, "18") == "breach"
    session.commit()
    alert = session.exec(select(RiskAlert)).one()
    assert (alert.status, alert.value, alert.owner_role) == ("open", Decimal("16"), "compliance")
    titles = session.exec(
        select(Notification.title_en).where(Notification.role == "compliance")
    ).all()
    assert [t.split(":")[0] for t in titles] == [
        "Risk indicator warning",
        "Risk indicator breach",
    ]  # the repeated breach tells nobody again
    assert risk.record_reading(session, officer, indicator, "3") == "normal"
    session.commit()
    session.refresh(alert)
    assert alert.status == "closed" and alert.cleared_at is not None
    assert len(session.exec(select(RiskReading)).all()) == 4


def test_raising_a_threshold_clears_the_alert_at_the_next_evaluation(session, officer):
    indicator = _indicator(session)
    risk.record_reading(session, officer, indicator, "16")
    session.commit()
    result = service.update(
        session,
        principal=officer,
        resource=INDICATORS,
        record_id=indicator.id,
        version=indicator.version,
        values={"warning_threshold": "18", "breach_threshold": "25"},
    )
    session.commit()
    assert result.ok, result.errors
    assert risk.evaluate_all(session).endswith("1 changed level")
    session.commit()
    assert session.exec(select(RiskAlert.status)).one() == "closed"
    assert risk.evaluate_all(session).endswith("0 changed level")  # nothing new to record


def test_thresholds_must_lie_in_order_and_measured_values_are_not_typed(session, officer):
    indicator = _indicator(session)
    wrong = service.update(
        session,
        principal=officer,
        resource=INDICATORS,
        record_id=indicator.id,
        version=indicator.version,
        values={"breach_threshold": "5"},
    )
    assert wrong.errors == {"breach_threshold": "risk.thresholds_order"}
    with pytest.raises(risk.RiskError, match=r"field\.not_a_number"):
        risk.record_reading(session, officer, indicator, "abc")
    measured = _indicator(session, "OPS_KYC_OVERDUE", "1", "2", source="kyc_overdue_cases")
    with pytest.raises(risk.RiskError, match=r"risk\.measured_by_job"):
        risk.record_reading(session, officer, measured, "0")
    agent_user, _ = make_user(session, "cs.x", ["cs_agent"])
    agent = auth.resolve(session, sign_in(session, agent_user))
    with pytest.raises(risk.RiskError, match=r"auth\.denied"):
        risk.record_reading(session, agent, indicator, "1")


def test_the_job_measures_overdue_kyc_cases(session, officer):
    measured = _indicator(session, "OPS_KYC_OVERDUE", "1", "2", source="kyc_overdue_cases")
    customer = make_customer(session)
    now = utcnow()
    for n in range(2):
        session.add(
            KycCase(
                case_no=f"K-T{n}",
                customer_id=customer.id,
                status="in_review",
                opened_at=now - timedelta(days=5),
                due_at=now - timedelta(days=2),
            )
        )
    session.commit()
    risk.evaluate_all(session)
    session.commit()
    session.refresh(measured)
    assert (measured.current_value, measured.level) == (Decimal("2"), "breach")
    assert session.exec(select(RiskAlert.indicator_id)).one() == measured.id
