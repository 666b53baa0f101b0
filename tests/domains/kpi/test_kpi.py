"""KPI pages: figures equal the records behind them, periods compare like with like, every chart
opens exactly its records, roles see only their metrics, snapshots keep history, forecasts name
their band, alert rules raise once and clear themselves, and the weekly report is written once."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa
from reflex.state import State
from sqlmodel import select

import backoffice.domains  # noqa: F401
from backoffice.domains.kpi import metrics
from backoffice.domains.kpi import rules as kpi
from backoffice.domains.kpi.metrics import Period
from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.platform.sqltime import epoch_seconds, local_day
from backoffice.security import auth
from models.audit import AuditEntry
from models.base import utcnow
from models.customers import Customer
from models.identity import User
from models.kpi import KpiAlert, KpiAlertRule, KpiReport, KpiSnapshot
from models.notifications import Notification
from models.transactions import Transaction
from state.auth import carry_cookie
from state.kpi import KpiState
from tests.factories import make_user, numbered_customer, run, sign_in

TODAY = kpi.local_today()
PERIOD = Period(TODAY - timedelta(days=6), TODAY)  # this week: the last 7 days
BEFORE = PERIOD.previous()


@pytest.fixture(autouse=True)
def _todays_period(kpi_week: Period) -> None:
    """Read the company's day per test, not once at import: a run that crosses midnight in
    Shanghai (16:00 UTC) would otherwise build yesterday's week while the code reads today's."""
    global TODAY, PERIOD, BEFORE
    PERIOD = kpi_week
    TODAY = PERIOD.end
    BEFORE = PERIOD.previous()


def test_figures_equal_their_records_to_the_fen(session, sales):
    value = {m.key: m.value(session, PERIOD) for m in metrics.METRICS}
    assert value["subscriptions"] == Decimal("3000.30")  # failed ones and last week's left out
    assert value["redemptions"] == Decimal("500.05")
    # AUM at the week's end: everything settled to date
    assert value["aum"] == Decimal("100000.00") + Decimal("700.00") + Decimal("3000.30") - Decimal(
        "500.05"
    )
    # commission: 1000.10 × 1.5 % + 2000.20 × 0.8 %, exact
    assert value["commission"] == Decimal("15.00") + Decimal("16.00")
    assert value["new_customers"] == 2 and value["active_customers"] == 2
    assert value["conversion"] == Decimal("50.0")  # one of the two new customers bought
    previous = metrics.BY_KEY["subscriptions"].value(session, BEFORE)
    assert previous == Decimal("700.00")


def test_cards_compare_with_the_period_before_of_the_same_length(session, sales, executive):
    board = kpi.dashboard(session, principal=executive, area="products", period=PERIOD, lang="en")
    assert board.previous == Period(
        PERIOD.start - timedelta(days=7), PERIOD.start - timedelta(days=1)
    )
    card = next(c for c in board.cards if c.key == "subscriptions")
    assert (card.value, card.previous) == (Decimal("3000.30"), Decimal("700.00"))
    assert card.change == Decimal("328.6") and card.good is True
    redemptions = next(c for c in board.cards if c.key == "redemptions")
    assert redemptions.previous == 0 and redemptions.change is None  # no % change from zero
    assert kpi.percent_change(Decimal("90"), Decimal("100")) == Decimal("-10.0")


def _records_behind(session, principal, link: str) -> list[Transaction]:
    path, query = urlsplit(link).path, dict(parse_qsl(urlsplit(link).query))
    resource = get(path.removeprefix("/r/"))
    schema = service.schema_of(session, resource)
    select_, errors = service.filtered_select(
        session, principal=principal, schema=schema, query=service.parse_query(schema, query)
    )
    assert errors == []
    return list(session.execute(select_).scalars())


def test_every_bar_opens_exactly_the_records_it_sums(session, sales, executive):
    for key in ("sales_by_type", "sales_by_risk", "commission_by_partner", "daily_flows"):
        data = kpi.chart_data(session, principal=executive, key=key, period=PERIOD, lang="zh")
        checked = 0
        for series in data.series:
            for value, link in zip(series.values, series.links, strict=True):
                rows = _records_behind(session, executive, link)
                if key == "commission_by_partner":
                    assert len(rows) == 1  # one subscription per partner this week
                    continue
                assert sum((r.amount for r in rows), Decimal("0.00")) == value, (key, link)
                checked += bool(rows)
        assert key == "commission_by_partner" or checked >= 2
    # the lookup filters through the product: stock transactions only
    rows = _records_behind(session, executive, "/r/transaction?product_type=stock")
    assert {r.product_id for r in rows} == {sales["stock"].id}
    assert _records_behind(session, executive, "/r/transaction?risk_level=R1")[0].product_id == (
        sales["mmf"].id
    )


def test_roles_see_only_their_metrics_by_every_path(session, sales):
    lead_user, _ = make_user(session, "lead", ["cs_lead"])
    agent_user, _ = make_user(session, "agent", ["cs_agent"])
    lead = auth.resolve(session, sign_in(session, lead_user))
    agent = auth.resolve(session, sign_in(session, agent_user))
    assert metrics.areas_of(lead) == ["service"]
    assert {m.key for m in metrics.visible(lead)} == {
        "tickets_opened",
        "sla_compliance",
        "satisfaction",
    }
    overview = kpi.dashboard(session, principal=lead, area="overview", period=PERIOD, lang="zh")
    assert [c.key for c in overview.cards] == ["sla_compliance"]  # the headline figures it may see
    assert [c.key for c in overview.charts] == ["tickets_by_category"]
    for area in ("products", "people", "compliance", "nowhere"):
        with pytest.raises(kpi.KpiError):
            kpi.dashboard(session, principal=lead, area=area, period=PERIOD, lang="zh")
    with pytest.raises(kpi.KpiError):
        kpi.chart_data(session, principal=lead, key="sales_by_type", period=PERIOD, lang="zh")
    with pytest.raises(kpi.KpiError):
        kpi.forecasts(session, principal=lead, horizon=30, lang="zh")
    with pytest.raises(kpi.KpiError):
        kpi.history(session, principal=lead, key="aum")
    assert metrics.visible(agent) == [] and metrics.areas_of(agent) == []
    with pytest.raises(kpi.KpiError):
        kpi.dashboard(session, principal=agent, area="service", period=PERIOD, lang="zh")


def _kpi_state(session, username: str, roles: list[str], url: str) -> KpiState:
    from reflex.istate.data import RouterData

    user, _ = make_user(session, username, roles)
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {"headers": {"origin": "http://localhost:3000"}, "asPath": url, "pathname": "/kpi"}
    )
    carry_cookie(root, sign_in(session, user))
    return root.get_substate(KpiState.get_full_name().split(".")[1:])


def _handler(name: str):
    return KpiState.event_handlers[name].fn


def test_the_dashboard_state_shows_a_lead_only_service_figures(session, sales):
    state = _kpi_state(session, "lead", ["cs_lead"], "/kpi?area=products")
    run(_handler("load")(state))
    assert state.area == "service" and [a["key"] for a in state.areas] == ["service"]
    assert {c["key"] for c in state.cards} == {"tickets_opened", "sla_compliance", "satisfaction"}
    assert not state.show_forecast and not state.can_reports and state.reports == []
    run(_handler("choose_area")(state, "products"))
    run(_handler("load")(state))
    assert {c["key"] for c in state.cards} == {"tickets_opened", "sla_compliance", "satisfaction"}


def test_the_dashboard_state_drills_exports_and_refuses_bad_ranges(session, sales):
    url = f"/kpi?area=products&start={PERIOD.start}&end={PERIOD.end}"
    state = _kpi_state(session, "ceo2", ["executive"], url)
    run(_handler("load")(state))
    assert [c["key"] for c in state.cards] == ["aum", "subscriptions", "redemptions", "commission"]
    assert state.cards[1]["value"] == "¥3,000.30" and state.cards[1]["change"] == "+328.6%"
    assert state.show_forecast and state.can_reports
    # a click on the first bar of the second chart (subscriptions by product type)
    assert state.chart_titles[1] == "按产品类型的申购"
    bars = state.chart1["data"][0]  # the JSON plotly.js draws; the page adds the template
    assert bars["type"] == "bar" and len(bars["x"]) == len(bars["y"]) > 0
    assert "template" not in state.chart1["layout"] and state.chart3["data"]
    event = run(_handler("drill")(state, 1, [{"curveNumber": 0, "pointNumber": 0}]))
    assert "product_type=money_market" in str(event)
    assert run(_handler("drill")(state, 9, [{"curveNumber": 0, "pointNumber": 0}])) is None
    assert run(_handler("drill")(state, 1, "not points")) is None
    download = run(_handler("export_chart")(state, 1))
    assert "download" in str(download).lower()
    exported = session.exec(select(AuditEntry).where(AuditEntry.action == "kpi.export_chart")).all()
    assert len(exported) == 1 and exported[0].actor == "ceo2"
    before = (state.start, state.end)
    refused = run(_handler("apply_range")(state, {"start": str(TODAY), "end": "2020-01-01"}))
    assert "toast" in str(refused).lower() and (state.start, state.end) == before
    refused = run(
        _handler("apply_range")(state, {"start": str(TODAY), "end": str(TODAY + timedelta(days=1))})
    )
    assert "toast" in str(refused).lower()


def test_period_input_is_validated():
    with pytest.raises(kpi.KpiError, match=r"kpi\.bad_date"):
        kpi.parse_period("yesterday", str(TODAY))
    with pytest.raises(kpi.KpiError, match=r"kpi\.range_reversed"):
        kpi.parse_period(str(TODAY), str(TODAY - timedelta(days=1)))
    with pytest.raises(kpi.KpiError, match=r"kpi\.range_too_long"):
        kpi.parse_period(str(TODAY - timedelta(days=400)), str(TODAY))
    assert kpi.parse_period(str(TODAY), str(TODAY)).days == 1


def test_forecast_follows_the_trend_with_a_band_that_widens():
    line = [Decimal(100 + 10 * n) for n in range(30)]
    exact = kpi.linear_forecast(line, TODAY, 30)
    assert exact.values[0] == Decimal("400.0") and exact.values[-1] == Decimal("690.0")
    assert exact.lower[0] == exact.values[0] == exact.upper[0]  # no noise, no uncertainty
    noisy = [v + (Decimal(25) if n % 2 else Decimal(-25)) for n, v in enumerate(line)]
    ahead = kpi.linear_forecast(noisy, TODAY, 90)
    near, far = ahead.upper[0] - ahead.lower[0], ahead.upper[-1] - ahead.lower[-1]
    assert Decimal(0) < near < far
    assert ahead.days[0] == TODAY + timedelta(days=1) and len(ahead.days) == 90
    with pytest.raises(kpi.KpiError, match=r"kpi\.too_little_history"):
        kpi.linear_forecast(line[:10], TODAY, 30)


def test_snapshots_keep_history_and_carry_the_aum(session, sales):
    direct = metrics.aum_at_end_of(session, PERIOD.end)
    message = kpi.take_snapshots(session)
    session.commit()
    assert "400 days of AUM history" in message
    assert metrics.aum_at_end_of(session, PERIOD.end) == direct  # snapshot + flows since
    day = PERIOD.start + timedelta(days=2)
    kept = session.exec(
        select(KpiSnapshot).where(KpiSnapshot.metric == "aum", KpiSnapshot.day == day)
    ).one()
    assert kept.value == Decimal("100000.00") + Decimal("700.00") + Decimal("1000.10") - Decimal(
        "500.05"
    )
    count = session.execute(sa.select(sa.func.count()).select_from(KpiSnapshot)).scalar()
    kpi.take_snapshots(session)
    session.commit()
    assert session.execute(sa.select(sa.func.count()).select_from(KpiSnapshot)).scalar() == count


def _rule(session, admin, **values) -> int:
    result = service.create(
        session,
        principal=admin,
        resource=get("kpi_alert_rule"),
        values={
            "name": "申购过高",
            "metric": "subscriptions",
            "condition": "above",
            "threshold": "2000",
            "period_days": "7",
            "owner_role": "product_manager",
            "active": "true",
            **values,
        },
    )
    session.commit()
    assert result.ok, result.errors
    return result.record_id


def test_an_alert_rule_raises_once_and_clears_when_its_threshold_is_raised(session, sales):
    admin_user, _ = make_user(session, "root", ["admin"])
    admin = auth.resolve(session, sign_in(session, admin_user))
    rule_id = _rule(session, admin)  # this week's subscriptions (3,000.30) are above 2,000
    alert = session.exec(select(KpiAlert).where(KpiAlert.rule_id == rule_id)).one()
    assert alert.status == "open" and alert.value == Decimal("3000.30")
    assert alert.owner_role == "product_manager"
    posted = session.exec(select(Notification).where(Notification.role == "product_manager")).all()
    assert len(posted) == 1 and alert.alert_no in posted[0].title_zh
    assert "raised" not in kpi.evaluate_alerts(session).split(",")[1].replace(" 0 raised", "")
    assert session.execute(sa.select(sa.func.count()).select_from(KpiAlert)).scalar() == 1
    rule = session.get(KpiAlertRule, rule_id)
    result = service.update(
        session,
        principal=admin,
        resource=get("kpi_alert_rule"),
        record_id=rule_id,
        version=rule.version,
        values={"threshold": "5000"},
    )
    session.commit()
    assert result.ok
    session.refresh(alert)
    assert alert.status == "cleared" and alert.cleared_at is not None
    actions = set(session.exec(select(AuditEntry.action)).all())
    assert {"kpi_alert.raised", "kpi_alert.cleared", "kpi_alert_rule.edit"} <= actions
    assert len(session.exec(select(Notification)).all()) == 2  # raised, then cleared


def test_change_rules_compare_periods_and_bad_rules_change_nothing(session, sales):
    admin_user, _ = make_user(session, "root2", ["admin"])
    admin = auth.resolve(session, sign_in(session, admin_user))
    _rule(session, admin, condition="rises_by", threshold="300")  # +328.6 % ≥ 300 %
    assert session.exec(select(KpiAlert)).one().value == Decimal("328.6")
    for bad in (
        {"metric": "salary_total"},
        {"condition": "falls_by", "threshold": "-5"},
        {"period_days": "0"},
        {"threshold": "lots"},
    ):
        result = service.create(
            session,
            principal=admin,
            resource=get("kpi_alert_rule"),
            values={
                "name": "x",
                "metric": "subscriptions",
                "condition": "above",
                "threshold": "1",
                "period_days": "7",
                "owner_role": "executive",
                **bad,
            },
        )
        assert not result.ok and set(result.errors) & set(bad), bad
    session.rollback()
    assert session.execute(sa.select(sa.func.count()).select_from(KpiAlertRule)).scalar() == 1


def test_the_weekly_report_is_written_once_and_read_only_by_who_sees_everything(
    session, sales, executive
):
    assert "written" in kpi.weekly_report(session, TODAY)
    assert "exists" in kpi.weekly_report(session, TODAY)
    session.commit()
    report = session.exec(select(KpiReport)).one()
    assert report.period_start.weekday() == 0 and report.period_end - report.period_start == (
        timedelta(days=6)
    )
    name, data = kpi.report_file(session, principal=executive, report_id=report.id)
    page = data.decode()
    assert name.endswith(".html") and "管理资产规模" in page and "工单量" in page
    lead_user, _ = make_user(session, "lead3", ["cs_lead"])
    lead = auth.resolve(session, sign_in(session, lead_user))
    with pytest.raises(kpi.KpiError):
        kpi.report_file(session, principal=lead, report_id=report.id)


def test_local_days_and_durations_are_computed_in_sql(session):
    """Evening UTC is the next morning in Shanghai; durations in seconds on every database."""
    late = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
    customer = numbered_customer(session, 9, late)
    customer.last_active_at = late + timedelta(hours=2, seconds=30)
    session.commit()
    day, seconds = session.execute(
        sa.select(
            local_day(Customer.registered_at),
            epoch_seconds(Customer.last_active_at) - epoch_seconds(Customer.registered_at),
        ).where(Customer.id == customer.id)
    ).one()
    assert str(day)[:10] == "2026-12-01"
    assert round(float(seconds)) == 7230


def test_amounts_read_as_staff_read_them():
    from state.kpi import shown

    assert shown(Decimal("175300000.00"), "cny", "zh") == "¥1.75 亿"
    assert shown(Decimal("21930000.00"), "cny", "zh") == "¥2,193.00 万"
    assert shown(Decimal("175300000.00"), "cny", "en") == "¥175.30M"
    assert shown(Decimal("950.5"), "cny", "en") == "¥950.50"
    assert shown(None, "percent") == "—" and shown(Decimal("65.4"), "percent") == "65.4%"


ALERT_ROLES = ("product_manager", "cs_lead", "marketing", "executive", "hr")


@pytest.fixture
def alerts(session):
    """One open alert sent to each of several roles, and a cleared one."""
    rule = KpiAlertRule(
        name="r",
        metric="subscriptions",
        condition="above",
        threshold=Decimal("1"),
        owner_role="product_manager",
    )
    session.add(rule)
    session.flush()
    for n, owner in enumerate((*ALERT_ROLES, "product_manager")):
        session.add(
            KpiAlert(
                alert_no=f"KA{n}",
                rule_id=rule.id,
                metric="subscriptions",
                value=Decimal("5"),
                threshold=Decimal("1"),
                owner_role=owner,
                status="cleared" if n == len(ALERT_ROLES) else "open",
                raised_at=utcnow(),
            )
        )
    session.commit()


@pytest.mark.parametrize(
    "roles",
    [["executive"], ["admin"], ["product_manager"], ["cs_lead"], ["marketing"], ["hr"], ["pmo"]],
)
def test_the_alert_list_and_the_dashboard_show_each_role_the_same_alerts(session, alerts, roles):
    username = f"{roles[0]}.x"
    state = _kpi_state(session, username, roles, "/kpi")
    run(_handler("load")(state))
    user = session.exec(select(User).where(User.username == username)).one()
    principal = auth.resolve(session, sign_in(session, user))
    listed = (
        service.list_page(
            session,
            principal=principal,
            resource=get("kpi_alert"),
            query=service.ListQuery(queue="open", page_size=100),
        ).rows
        if principal.can("kpi_alert", "view")
        else []
    )
    on_dashboard = sorted(a["no"] for a in state.open_alerts)
    assert sorted(r["alert_no"] for r in listed) == sorted(
        a.alert_no for a in kpi.open_alerts(session, principal, limit=100)
    )
    if state.has_metrics:
        assert on_dashboard == sorted(r["alert_no"] for r in listed)
    sees_all = bool(set(roles) & {"executive", "admin"})
    expected = {f"KA{n}" for n, owner in enumerate(ALERT_ROLES) if sees_all or owner in roles}
    assert set(on_dashboard) <= expected
    assert {r["alert_no"] for r in listed} == (expected if listed else set())


def test_an_export_is_audited_by_the_service_that_makes_it(session, sales):
    ceo = auth.resolve(session, sign_in(session, make_user(session, "ceo3", ["executive"])[0]))
    lead = auth.resolve(session, sign_in(session, make_user(session, "lead3", ["cs_lead"])[0]))
    file = kpi.export_chart(
        principal=ceo, key="sales_by_type", period=PERIOD, lang="en", client="10.0.0.1"
    )
    assert file.filename.endswith(".csv") and file.rows == len(file.data.splitlines()) - 1
    session.rollback()  # see what the export's own transaction committed
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "kpi.export_chart")).one()
    assert (entry.actor, entry.client) == ("ceo3", "10.0.0.1")
    assert json.loads(entry.changes)["rows"] == [None, file.rows]
    with pytest.raises(kpi.KpiError):  # refused: no file, nothing audited
        kpi.export_chart(principal=lead, key="sales_by_type", period=PERIOD, lang="en")
    assert len(session.exec(select(AuditEntry).where(AuditEntry.actor == "lead3")).all()) == 0


def test_a_chart_file_is_labelled_in_the_staff_language(session, sales):
    import csv
    import io

    ceo = auth.resolve(session, sign_in(session, make_user(session, "ceo4", ["executive"])[0]))
    for lang, first in (("zh", "类别"), ("en", "Category")):
        data = kpi.chart_data(session, principal=ceo, key="sales_by_type", period=PERIOD, lang=lang)
        file = kpi.export_chart(principal=ceo, key="sales_by_type", period=PERIOD, lang=lang)
        header = next(csv.reader(io.StringIO(file.data.decode("utf-8-sig"))))
        assert header[0] == first, "the first column is named, not blank"
        unit = "元" if lang == "zh" else "CNY"
        assert header[1:] == [f"{s.name} ({unit})" for s in data.series if s.style != "band"]
        assert all(not re.search(r"[a-z]+_[a-z]+", h) for h in header)
