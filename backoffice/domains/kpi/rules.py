"""KPI pages and decision support: dashboards over a date range with the previous period for
comparison, forecasts, daily snapshots, threshold alerts and the weekly report.

Figures come from the catalogue in ``metrics.py`` (one SQL aggregate each); this module decides
who sees which, compares periods, and keeps history.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backoffice.config import get_settings
from backoffice.domains.kpi.metrics import (
    AREAS,
    CHARTS,
    EVERY_AREA,
    HEADLINE,
    HEADLINE_CHARTS,
    METRICS,
    ChartData,
    Metric,
    Period,
    Series,
    aum_at_end_of,
    chart,
    daily_net,
    metric,
    visible,
)
from backoffice.i18n import translate
from backoffice.platform import attachments, audit, chart_style, exports, notifications
from backoffice.platform.business_time import local_today
from backoffice.platform.chart_style import axis_title
from backoffice.platform.jobs import Outcome
from backoffice.platform.refusal import Refusal
from backoffice.security.rbac import ROLES, Principal
from models.base import utcnow
from models.kpi import (
    AlertCondition,
    KpiAlert,
    KpiAlertRule,
    KpiAlertStatus,
    KpiReport,
    KpiSnapshot,
)

MAX_DAYS = 366
HISTORY_DAYS = 180  # the forecast learns from this much daily history
HORIZONS = (30, 90)
Z95 = 1.96


class KpiError(Refusal):
    """A refusal with an i18n key."""


def parse_period(start: str, end: str) -> Period:
    """Two ISO dates from the page: validated, at most a year, not in the future."""
    try:
        first, last = date.fromisoformat(str(start)[:10]), date.fromisoformat(str(end)[:10])
    except ValueError as exc:
        raise KpiError("kpi.bad_date") from exc
    if last < first:
        raise KpiError("kpi.range_reversed")
    if (last - first).days + 1 > MAX_DAYS:
        raise KpiError("kpi.range_too_long")
    if last > local_today():
        raise KpiError("kpi.range_future")
    return Period(first, last)


def default_period(days: int = 30) -> Period:
    today = local_today()
    return Period(today - timedelta(days=days - 1), today)


# --- dashboard ----------------------------------------------------------------------------------
@dataclass
class Card:
    key: str
    name: str
    unit: str
    value: Decimal | None
    previous: Decimal | None
    change: Decimal | None  # against the previous period, read as ``change_kind`` says
    good: bool | None  # the change is in the good direction
    link: str
    change_kind: str = "relative"  # relative (%) | points (of a percentage) | absolute

    def change_text(self, lang: str) -> str:
        return chart_style.change(self.change, self.change_kind, lang)


@dataclass
class Dashboard:
    area: str
    period: Period
    previous: Period
    cards: list[Card] = field(default_factory=list)
    charts: list[ChartData] = field(default_factory=list)


def percent_change(value: Decimal | None, previous: Decimal | None) -> Decimal | None:
    if value is None or previous is None or previous == 0:
        return None
    return ((value - previous) * 100 / abs(previous)).quantize(Decimal("0.1"))


def _allowed(principal: Principal, area: str) -> list[Metric]:
    shown = visible(principal)
    if not shown:
        raise KpiError("auth.denied")
    if area == "overview":
        return [m for key in HEADLINE for m in shown if m.key == key]
    if area not in AREAS:
        raise KpiError("kpi.unknown_area")
    chosen = [m for m in shown if m.area == area]
    if not chosen:
        raise KpiError("auth.denied")
    return chosen


def change_between(value: Decimal | None, previous: Decimal | None, kind: str) -> Decimal | None:
    """The change the metric's ``change_kind`` calls for (see ``Metric.change_kind``)."""
    if kind == "relative":
        return percent_change(value, previous)
    if value is None or previous is None:
        return None
    if kind == "points":
        return (value - previous).quantize(Decimal("0.1"))
    return value - previous


def card(session: Session, item: Metric, period: Period, lang: str) -> Card:
    value = item.value(session, period)
    previous = item.value(session, period.previous())
    change = change_between(value, previous, item.change_kind)
    return Card(
        key=item.key,
        name=item.name(lang),
        unit=item.unit,
        value=value,
        previous=previous,
        change=change,
        good=None if not change else (change > 0) == item.higher_is_better,
        link=item.drill(period),
        change_kind=item.change_kind,
    )


def dashboard(
    session: Session, *, principal: Principal, area: str, period: Period, lang: str
) -> Dashboard:
    """Every card of an area the caller may see, with the previous period; its charts."""
    chosen = _allowed(principal, area)
    result = Dashboard(area, period, period.previous())
    result.cards = [card(session, m, period, lang) for m in chosen]
    keys = {m.key for m in (visible(principal) if area == "overview" else chosen)}
    wanted = HEADLINE_CHARTS if area == "overview" else None
    for item in CHARTS:
        if item.metric in keys and (wanted is None or item.key in wanted):
            result.charts.append(item.build(session, period, lang))
    return result


def chart_data(
    session: Session, *, principal: Principal, key: str, period: Period, lang: str
) -> ChartData:
    """One chart, for its export: the caller must see the chart's metric."""
    item = chart(key)
    owner = metric(item.metric) if item else None
    if item is None or owner is None or not owner.visible_to(principal):
        raise KpiError("auth.denied")
    return item.build(session, period, lang)


def chart_csv(data: ChartData, lang: str = "zh") -> bytes:
    """A chart's figures as staff read them: the first column named (dates or categories),
    each series by its name with the chart's unit, numbers plain for a spreadsheet."""
    dated = bool(data.x) and all(_is_day(x) for x in data.x)
    unit = f" ({translate(f'kpi.unit.{data.unit}', lang)})" if data.unit else ""
    shown = [s for s in data.series if s.style != "band"]
    return exports.csv_bytes(
        [translate("kpi.file.date" if dated else "kpi.file.category", lang)]
        + [f"{s.name}{unit}" for s in shown],
        ([x, *[_plain(s.values[n]) for s in shown]] for n, x in enumerate(data.x)),
    )


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(str(text))
    except ValueError:
        return False
    return True


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


# --- forecasts ----------------------------------------------------------------------------------
@dataclass
class Forecast:
    days: list[date]
    values: list[Decimal]
    lower: list[Decimal]
    upper: list[Decimal]


def linear_forecast(history: list[Decimal], start: date, horizon: int) -> Forecast:
    """Least-squares linear trend over the daily history with a 95 % prediction interval
    (±1.96 standard errors of a new observation). Needs at least 14 days."""
    if len(history) < 14:
        raise KpiError("kpi.too_little_history")
    y = np.array([float(v) for v in history])
    x = np.arange(len(y), dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (slope * x + intercept)
    n = len(y)
    sigma = math.sqrt(float(np.sum(residuals**2)) / (n - 2))
    mean_x, sxx = float(x.mean()), float(np.sum((x - x.mean()) ** 2))
    days, values, lower, upper = [], [], [], []
    for step in range(1, horizon + 1):
        at = n - 1 + step
        centre = slope * at + intercept
        spread = Z95 * sigma * math.sqrt(1 + 1 / n + (at - mean_x) ** 2 / sxx)
        days.append(start + timedelta(days=step))
        values.append(Decimal(str(round(centre, 2))))
        lower.append(Decimal(str(round(centre - spread, 2))))
        upper.append(Decimal(str(round(centre + spread, 2))))
    return Forecast(days, values, lower, upper)


def _history(session: Session, today: date) -> tuple[list[date], list[Decimal], list[Decimal]]:
    """Daily AUM and subscriptions over the HISTORY_DAYS before today (today is not over):
    from the daily snapshots, or from the transactions where the snapshots are missing."""
    period = Period(today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1))
    kept: dict[tuple[str, date], Decimal] = {
        (key, day): value
        for key, day, value in session.execute(
            sa.select(KpiSnapshot.metric, KpiSnapshot.day, KpiSnapshot.value).where(
                KpiSnapshot.metric.in_(("aum", "subscriptions")),
                KpiSnapshot.day >= period.start,
                KpiSnapshot.day <= period.end,
            )
        ).all()
    }
    days = period.day_list()
    if len(kept) == 2 * len(days):
        return days, [kept["aum", d] for d in days], [kept["subscriptions", d] for d in days]
    flows = daily_net(session, period)
    level = aum_at_end_of(session, period.start - timedelta(days=1))
    aum, sales = [], []
    for day in days:
        subscribed, redeemed = flows.get(day.isoformat(), (Decimal(0), Decimal(0)))
        level += subscribed - redeemed
        aum.append(level)
        sales.append(subscribed)
    return days, aum, sales


def forecasts(
    session: Session, *, principal: Principal, horizon: int, lang: str
) -> list[ChartData]:
    """AUM and daily subscriptions for the next ``horizon`` days, from the history."""
    if horizon not in HORIZONS:
        raise KpiError("kpi.bad_horizon")
    if not any(m.key in ("aum", "subscriptions") for m in visible(principal)):
        raise KpiError("auth.denied")
    today = local_today()
    days, aum, sales = _history(session, today)
    result = []
    for key, history in (("aum", aum), ("subscriptions", sales)):
        ahead = linear_forecast(history, days[-1], horizon)
        x = [d.isoformat() for d in days] + [d.isoformat() for d in ahead.days]
        blank: list[Decimal | None] = [None] * len(days)
        result.append(
            ChartData(
                key=f"forecast_{key}",
                title=translate(f"kpi.chart.forecast_{key}", lang).format(days=horizon),
                kind="line",
                x=x,
                unit="cny",
                dates=True,
                y_title=axis_title("cny", lang, translate(f"metric.{key}", lang)),
                note=translate("kpi.forecast_method", lang).format(days=HISTORY_DAYS),
                series=[
                    Series(translate("kpi.history", lang), [*history, *[None] * horizon], []),
                    Series(translate("kpi.forecast", lang), [*blank, *ahead.values], [], "dash"),
                    Series(translate("kpi.band", lang), [*blank, *ahead.lower], [], "band"),
                    Series(translate("kpi.band", lang), [*blank, *ahead.upper], [], "band"),
                ],
            )
        )
    return result


# --- daily snapshots ----------------------------------------------------------------------------
def _store_snapshot(session: Session, key: str, day: date, value: Decimal) -> None:
    existing = session.exec(
        select(KpiSnapshot).where(KpiSnapshot.metric == key, KpiSnapshot.day == day)
    ).first()
    if existing is None:
        try:
            with session.begin_nested():
                session.add(KpiSnapshot(metric=key, day=day, value=value))
                session.flush()
        except IntegrityError:  # another worker wrote it first
            pass
    elif existing.value != value:
        existing.value = value
        session.add(existing)


def backfill(session: Session, today: date, days: int = 400) -> int:
    """AUM at the end of each of the last ``days`` days, and each day's subscriptions and
    redemptions, from one GROUP BY of daily flows."""
    period = Period(today - timedelta(days=days), today - timedelta(days=1))
    level = aum_at_end_of(session, period.start - timedelta(days=1))
    flows = daily_net(session, period)
    for day in period.day_list():
        subscribed, redeemed = flows.get(day.isoformat(), (Decimal(0), Decimal(0)))
        level += subscribed - redeemed
        _store_snapshot(session, "aum", day, level)
        _store_snapshot(session, "subscriptions", day, subscribed)
        _store_snapshot(session, "redemptions", day, redeemed)
    return period.days


def take_snapshots(session: Session, today: date | None = None) -> str:
    """The job: every metric's value for yesterday and the day before (late records settle),
    AUM as the end-of-day level. The first run fills a year of AUM history."""
    today = today or local_today()
    has_aum = session.execute(
        sa.select(KpiSnapshot.id).where(KpiSnapshot.metric == "aum").limit(1)
    ).first()
    filled = 0 if has_aum else backfill(session, today)
    written = 0
    for back in (2, 1):
        day = today - timedelta(days=back)
        for item in METRICS:
            if item.key == "aum":
                value = aum_at_end_of_without_snapshot(session, day)
            else:
                value = item.value(session, Period(day, day))
            if value is not None:
                _store_snapshot(session, item.key, day, value)
                written += 1
    if filled:
        return Outcome("job.result.kpi.snapshots_filled", written=written, filled=filled)
    return Outcome("job.result.kpi.snapshots", written=written)


def aum_at_end_of_without_snapshot(session: Session, day: date) -> Decimal:
    """The day's AUM from the day before's snapshot (never from its own, which it replaces)."""
    before = aum_at_end_of(session, day - timedelta(days=1))
    period = Period(day, day)
    flows = daily_net(session, period).get(day.isoformat(), (Decimal(0), Decimal(0)))
    return before + flows[0] - flows[1]


def history(
    session: Session, *, principal: Principal, key: str, days: int = 90
) -> list[tuple[date, Decimal]]:
    item = metric(key)
    if item is None or not item.visible_to(principal):
        raise KpiError("auth.denied")
    since = local_today() - timedelta(days=days)
    return [
        (row.day, row.value)
        for row in session.exec(
            select(KpiSnapshot)
            .where(KpiSnapshot.metric == key, KpiSnapshot.day >= since)
            .order_by(KpiSnapshot.day)
        )
    ]


# --- alert rules --------------------------------------------------------------------------------
def check_rule(values: dict[str, Any]) -> dict[str, str]:
    """Rules across a rule's fields (the engine validates each field on its own)."""
    errors = {}
    if metric(str(values.get("metric") or "")) is None:
        errors["metric"] = "field.not_a_choice"
    if values.get("owner_role") and values["owner_role"] not in ROLES:
        errors["owner_role"] = "field.not_a_choice"
    condition = values.get("condition")
    threshold = values.get("threshold")
    if condition in (AlertCondition.RISES_BY, AlertCondition.FALLS_BY) and threshold is not None:
        if threshold <= 0:
            errors["threshold"] = "kpi.change_positive"
    return errors


def measure(session: Session, rule: KpiAlertRule, today: date) -> Decimal | None:
    """The figure a rule compares: the metric over ``period_days`` ending today, or its %
    change against the period before."""
    item = metric(rule.metric)
    if item is None:
        return None
    period = Period(today - timedelta(days=max(1, rule.period_days) - 1), today)
    value = item.value(session, period)
    if rule.condition in (AlertCondition.ABOVE, AlertCondition.BELOW):
        return value
    return percent_change(value, item.value(session, period.previous()))


def breached(rule: KpiAlertRule, figure: Decimal | None) -> bool:
    if figure is None:
        return False
    threshold = Decimal(rule.threshold)
    return {
        AlertCondition.ABOVE: figure > threshold,
        AlertCondition.BELOW: figure < threshold,
        AlertCondition.RISES_BY: figure >= threshold,
        AlertCondition.FALLS_BY: figure <= -threshold,
    }.get(AlertCondition(rule.condition), False)


def _open_alert(session: Session, rule_id: int) -> KpiAlert | None:
    return session.exec(
        select(KpiAlert).where(
            KpiAlert.rule_id == rule_id, KpiAlert.status != KpiAlertStatus.CLEARED
        )
    ).first()


def _next_alert_no(session: Session) -> str:
    last = session.execute(sa.select(sa.func.max(KpiAlert.id))).scalar() or 0
    return f"KA{utcnow():%y%m}{last + 1:05d}"


def _shown(item: Metric | None, rule: KpiAlertRule, figure: Decimal) -> str:
    if rule.condition in (AlertCondition.RISES_BY, AlertCondition.FALLS_BY):
        return f"{figure:+}%"
    return f"{figure.normalize():f}" + ("%" if item and item.unit == "percent" else "")


def evaluate_rule(session: Session, rule: KpiAlertRule, today: date, actor: str = "job") -> str:
    """Raise an alert on a breach (once: an open alert stays until it clears); clear it when
    the metric recovers or the rule is switched off. Returns raised / cleared / ''."""
    figure = measure(session, rule, today) if rule.active and rule.archived_at is None else None
    alert = _open_alert(session, rule.id)
    item = metric(rule.metric)
    name_zh = translate(f"metric.{rule.metric}", "zh")
    name_en = translate(f"metric.{rule.metric}", "en")
    if breached(rule, figure) and alert is None:
        assert figure is not None
        alert = KpiAlert(
            alert_no=_next_alert_no(session),
            rule_id=rule.id,
            metric=rule.metric,
            value=figure,
            threshold=rule.threshold,
            owner_role=rule.owner_role,
            raised_at=utcnow(),
        )
        session.add(alert)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="kpi_alert.raised",
            entity="kpi_alert",
            entity_id=alert.id,
            changes={"rule": [None, rule.name], "value": [None, str(figure)]},
        )
        shown = _shown(item, rule, figure)
        notifications.notify(
            session,
            kind="kpi_alert",
            role=rule.owner_role,
            severity="warning",
            title_zh=f"KPI 预警 {alert.alert_no}：{name_zh} = {shown}（{rule.name}）",
            title_en=f"KPI alert {alert.alert_no}: {name_en} = {shown} ({rule.name})",
            link=f"/r/kpi_alert/record?id={alert.id}",
            dedupe_key=f"kpi_alert:{alert.alert_no}:raised",
        )
        return "raised"
    if alert is not None and not breached(rule, figure):
        before = alert.status
        alert.status, alert.cleared_at = KpiAlertStatus.CLEARED, utcnow()
        alert.version += 1
        session.add(alert)
        audit.record(
            session,
            actor=actor,
            action="kpi_alert.cleared",
            entity="kpi_alert",
            entity_id=alert.id,
            changes={
                "status": [before, KpiAlertStatus.CLEARED],
                "value": [None, "" if figure is None else str(figure)],
            },
        )
        notifications.notify(
            session,
            kind="kpi_alert",
            role=rule.owner_role,
            severity="info",
            title_zh=f"KPI 预警 {alert.alert_no} 已恢复：{name_zh}",
            title_en=f"KPI alert {alert.alert_no} cleared: {name_en}",
            link=f"/r/kpi_alert/record?id={alert.id}",
            dedupe_key=f"kpi_alert:{alert.alert_no}:cleared",
        )
        return "cleared"
    return ""


def evaluate_alerts(session: Session, today: date | None = None) -> str:
    """The job: every rule, active or not (a rule switched off clears its alert)."""
    today = today or local_today()
    counts = {"raised": 0, "cleared": 0, "": 0}
    rules = session.exec(select(KpiAlertRule).order_by(KpiAlertRule.id)).all()
    for rule in rules:
        counts[evaluate_rule(session, rule, today)] += 1
    return Outcome(
        "job.result.kpi.alerts",
        rules=len(rules),
        raised=counts["raised"],
        cleared=counts["cleared"],
    )


def after_rule_saved(session: Session, principal: Principal, rule: Any) -> None:
    """A new or changed rule is checked at once, not at the next tick."""
    evaluate_rule(session, rule, local_today(), actor=principal.username)


# --- reports ------------------------------------------------------------------------------------
def _cell(value: Decimal | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "cny":
        return f"¥{value:,.2f}"
    if unit == "percent":
        return f"{value}%"
    return f"{value:,}"


def sees_everything(principal: Principal) -> bool:
    return len(visible(principal)) == len(METRICS)


# --- alerts: who sees which -----------------------------------------------------------------
SEES_EVERY_ALERT = EVERY_AREA | {"admin"}


def alert_scope(principal: Principal) -> sa.ColumnElement[bool] | None:
    """The one rule for which KPI alerts a caller sees (the alert list's row scope, the
    dashboard's open alerts): executives and administrators every alert, others the alerts
    sent to their roles. None: no limit."""
    if principal.roles & SEES_EVERY_ALERT:
        return None
    return KpiAlert.owner_role.in_(sorted(principal.roles) or [""])


def open_alerts(session: Session, principal: Principal, limit: int = 5) -> list[KpiAlert]:
    """The newest alerts not yet cleared that the caller sees (none without the view right)."""
    if not principal.can("kpi_alert", "view"):
        return []
    query = select(KpiAlert).where(KpiAlert.status != KpiAlertStatus.CLEARED)
    scope = alert_scope(principal)
    if scope is not None:
        query = query.where(scope)
    return list(session.exec(query.order_by(KpiAlert.id.desc()).limit(limit)).all())


def recent_reports(session: Session, principal: Principal, limit: int = 8) -> list[KpiReport]:
    """The newest written reports, for callers who may see every metric (they hold all)."""
    if not sees_everything(principal):
        return []
    return list(session.exec(select(KpiReport).order_by(KpiReport.id.desc()).limit(limit)).all())


def latest_snapshots(session: Session, days: int = 3) -> dict[str, KpiSnapshot]:
    """Each metric's snapshot of the last few days (the newest day's, as rows come by day)."""
    since = local_today() - timedelta(days=days)
    rows = session.exec(
        select(KpiSnapshot).where(KpiSnapshot.day >= since).order_by(KpiSnapshot.day)
    ).all()
    return {row.metric: row for row in rows}


# --- exports: each audited by the function that makes the file -----------------------------
def export_chart(
    *, principal: Principal, key: str, period: Period, lang: str, client: str = ""
) -> exports.ExportFile:
    """One chart's figures as CSV, audited."""

    def produce(session: Session) -> exports.ExportFile:
        data = chart_data(session, principal=principal, key=key, period=period, lang=lang)
        return exports.ExportFile(
            filename=f"{key}-{period.start}-{period.end}.csv",
            data=chart_csv(data, lang),
            rows=len(data.x),
        )

    return exports.produce_audited(
        produce,
        principal=principal,
        what="kpi.export_chart",
        entity="kpi",
        client=client,
        details={"chart": key, "period": str(period)},
    )


def export_page(
    *, principal: Principal, period: Period, title: str, lang: str, client: str = ""
) -> exports.ExportFile:
    """The dashboard's metrics the caller sees, as one HTML page, audited."""

    def produce(session: Session) -> exports.ExportFile:
        shown = visible(principal)
        page = render_report(session, period, title, lang, shown)
        return exports.ExportFile(
            filename=f"kpi-{period.start}-{period.end}.html",
            data=page.encode("utf-8"),
            rows=len(shown),
            mime_type="text/html",
        )

    return exports.produce_audited(
        produce,
        principal=principal,
        what="kpi.export_page",
        entity="kpi",
        client=client,
        details={"period": str(period)},
    )


def download_report(
    *, principal: Principal, report_id: int, client: str = ""
) -> exports.ExportFile:
    """A written report's file, audited."""

    def produce(session: Session) -> exports.ExportFile:
        name, data = report_file(session, principal=principal, report_id=report_id)
        return exports.ExportFile(filename=name, data=data, mime_type="text/html")

    return exports.produce_audited(
        produce,
        principal=principal,
        what="kpi_report.download",
        entity="kpi",
        client=client,
        details={"report": str(report_id)},
    )


def render_report(
    session: Session,
    period: Period,
    title: str,
    lang: str = "zh",
    shown: list[Metric] | None = None,
) -> str:
    """A self-contained HTML page: each metric (every one by default) for the period against
    the period before."""
    chosen = METRICS if shown is None else tuple(shown)
    rows = []
    for area in AREAS:
        in_area = [m for m in chosen if m.area == area]
        if not in_area:
            continue
        label = html.escape(translate(f"kpi.area.{area}", lang))
        rows.append(f'<tr class="area"><th colspan="4">{label}</th></tr>')
        for item in in_area:
            c = card(session, item, period, lang)
            change = c.change_text(lang)
            rows.append(
                "<tr>"
                f"<td>{html.escape(c.name)}</td>"
                f"<td class=n>{html.escape(_cell(c.value, item.unit))}</td>"
                f"<td class=n>{html.escape(_cell(c.previous, item.unit))}</td>"
                f"<td class=n>{html.escape(change)}</td>"
                "</tr>"
            )
    head = [
        translate(k, lang)
        for k in ("kpi.metric", "kpi.this_period", "kpi.previous_period", "kpi.change")
    ]
    previous = period.previous()
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 10px}td.n{text-align:right}"
        "tr.area th{background:#eef;text-align:left}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>{period.start} – {period.end} · {translate('kpi.compared_with', lang)} "
        f"{previous.start} – {previous.end}</p>"
        "<table><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in head)
        + "</tr>"
        + "".join(rows)
        + f"</table><p>{html.escape(translate('kpi.generated_at', lang))} "
        f"{utcnow().astimezone(get_settings().zone):%Y-%m-%d %H:%M}</p></body></html>"
    )


def weekly_report(session: Session, today: date | None = None, by: str = "job") -> str:
    """The job: the last complete week (Monday–Sunday) as an HTML file, once."""
    today = today or local_today()
    monday = today - timedelta(days=today.weekday() + 7)
    period = Period(monday, monday + timedelta(days=6))
    exists = session.exec(
        select(KpiReport.id).where(KpiReport.kind == "weekly", KpiReport.period_start == monday)
    ).first()
    if exists is not None:
        return Outcome("job.result.kpi.report_exists")
    report = create_report(session, period, "weekly", by)
    return Outcome("job.result.kpi.report_written", title=report.title)


def create_report(session: Session, period: Period, kind: str, by: str) -> KpiReport:
    iso = period.start.isocalendar()
    title = f"{translate('kpi.weekly_title', 'zh')} {iso.year}-W{iso.week:02d} / Weekly KPI summary"
    if kind != "weekly":
        title = f"KPI {period.start} – {period.end}"
    page = render_report(session, period, title, "zh")
    digest = attachments.store(page.encode("utf-8"))
    report = KpiReport(
        kind=kind,
        period_start=period.start,
        period_end=period.end,
        title=title,
        summary=translate("kpi.report_summary", "zh"),
        generated_by=by,
        file_sha256=digest,
        filename=f"kpi-{period.start}-{period.end}.html",
    )
    session.add(report)
    session.flush()
    audit.record(
        session,
        actor=by,
        action="kpi_report.created",
        entity="kpi_report",
        entity_id=report.id,
        changes={"period": [None, f"{period.start}/{period.end}"], "sha256": [None, digest]},
    )
    return report


def report_file(session: Session, *, principal: Principal, report_id: int) -> tuple[str, bytes]:
    """A written report holds every metric: only for callers who may see every metric."""
    if not sees_everything(principal):
        raise KpiError("auth.denied")
    report = session.get(KpiReport, report_id) if isinstance(report_id, int) else None
    if report is None or not report.file_sha256:
        raise KpiError("field.not_found")
    return report.filename, attachments.read_stored(report.file_sha256)
