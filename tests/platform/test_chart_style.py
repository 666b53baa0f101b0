"""The portal's one chart style: a figure speaks the staff's language down to its ticks and
hovers (万/亿 in Chinese, no English month names, no "6M"), colour follows whether more is
better, plan reads neutral, a day not over is marked, a rate's change is in points, and every
chart builder gives a title and axis titles in both languages."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from backoffice.domains.campaigns import figures as campaign_charts
from backoffice.domains.hr import figures as hr_figures
from backoffice.domains.kpi import figures as kpi_figures
from backoffice.domains.kpi import metrics
from backoffice.domains.kpi import rules as kpi
from backoffice.domains.kpi.metrics import CHARTS, ChartData, Period, Series
from backoffice.domains.projects import figures as project_figures
from backoffice.domains.tickets import figures as ticket_figures
from backoffice.platform import chart_style as style
from backoffice.platform import figures
from state.charts import as_chart

MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b")
CJK = re.compile(r"[\u4e00-\u9fff]")
SI = re.compile(r"\d[kKMGBT]\b")


def _texts(node: Any) -> list[str]:
    """Every string inside a figure's JSON."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for value in node.values() for t in _texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in _texts(value)]
    return []


def _axes(chart: dict) -> dict[str, dict]:
    return {k: v for k, v in chart["layout"].items() if re.fullmatch(r"[xy]axis\d*", k)}


def _daily(days: int = 5, end: date | None = None, partial: bool = False) -> ChartData:
    end = end or date(2026, 11, 8)
    x = [(end - timedelta(days=days - 1 - n)).isoformat() for n in range(days)]
    return ChartData(
        key="daily_flows",
        title="每日申购与赎回",
        kind="line",
        x=x,
        unit="cny",
        dates=True,
        partial=partial,
        series=[
            Series("申购", [Decimal(120_000_000 + n * 9_000_000) for n in range(days)], x),
            Series("赎回", [Decimal(6_000_000)] * days, x, tone="watch"),
        ],
    )


def assert_speaks(chart: dict, lang: str) -> None:
    """Nothing inside the figure is in the other language or left to plotly's formatting."""
    texts = _texts(chart["layout"]) + [
        t for trace in chart["data"] for t in _texts(trace.get("customdata", []))
    ]
    for axis in _axes(chart).values():
        assert (
            axis.get("title", {}).get("text")
            or axis.get("type") == "date"
            or (axis.get("autorange") == "reversed")
        ), axis
        if axis.get("type") == "date":
            assert axis["tickformat"] == style.DATE_TICKS[lang]
        elif axis.get("tickvals") is not None:
            assert axis["tickmode"] == "array" and len(axis["ticktext"]) == len(axis["tickvals"])
        assert "s" not in axis.get("tickformat", "").replace("%", "")  # no SI suffix format
    if lang == "zh":
        assert not [t for t in texts if MONTHS.search(t)], texts
        assert not [t for t in texts if "%b" in t or "%B" in t or "%a" in t]
        ticks = [t for axis in _axes(chart).values() for t in axis.get("ticktext", [])]
        assert not [t for t in ticks if SI.search(t)], ticks
        titles = [
            a["title"]["text"] for a in _axes(chart).values() if a.get("title", {}).get("text")
        ]
        assert all(CJK.search(t) for t in titles), titles
    else:
        titles = [
            a["title"]["text"] for a in _axes(chart).values() if a.get("title", {}).get("text")
        ]
        assert not [t for t in titles if CJK.search(t)], titles


def test_a_chinese_figure_has_numeric_dates_and_wan_yi_ticks():
    chart = as_chart(figures.kpi_figure(_daily(), "zh"))
    assert_speaks(chart, "zh")
    assert chart["layout"]["xaxis"]["tickformat"] == "%-m月%-d日"
    ticks = chart["layout"]["yaxis"]["ticktext"]
    assert "1亿" in ticks and not any("M" in t for t in ticks), ticks
    assert chart["layout"]["yaxis"]["title"]["text"] == "金额（元）"
    first = chart["data"][0]["customdata"][0]
    assert first == ["2026年11月4日", "¥1.20 亿"]  # the hover: a Chinese day and 亿
    english = as_chart(figures.kpi_figure(_daily(), "en"))
    assert_speaks(english, "en")
    assert english["layout"]["yaxis"]["title"]["text"] == "Amount (CNY)"
    assert "100M" in english["layout"]["yaxis"]["ticktext"]
    assert english["data"][0]["customdata"][0] == ["Nov 4, 2026", "¥120.00M"]


def test_amounts_read_in_wan_and_yi_in_chinese_and_k_m_b_in_english():
    assert style.money(Decimal("175300000"), "zh") == "¥1.75 亿"
    assert style.money(Decimal("21930000"), "zh") == "¥2,193.00 万"
    assert style.money(Decimal("9999.5"), "zh") == "¥9,999.50"
    assert style.money(Decimal("175300000"), "en") == "¥175.30M"
    assert style.money(Decimal("2500000000"), "en") == "¥2.50B"
    assert style.scaled(Decimal("150000000"), "zh") == "1.5亿"
    assert style.scaled(Decimal("50000000"), "zh") == "5,000万"
    assert style.ticks([0, 175_300_000], "cny", "zh")[1] == ["0", "5,000万", "1亿", "1.5亿", "2亿"]
    assert style.ticks([0, 175_300_000], "cny", "en")[1] == ["0", "50M", "100M", "150M", "200M"]
    assert style.ticks([3, 7], "count", "zh")[0] == [0, 2, 4, 6, 8]
    assert style.number(Decimal("12.5"), "hours", "zh") == "12.5 小时"
    assert style.number(Decimal("12.5"), "hours", "en") == "12.5 h"
    assert style.number(Decimal("65.4"), "percent", "en") == "65.4%"


def test_colour_follows_whether_more_is_better_and_plan_is_neutral(session, sales, executive):
    period = Period(kpi.local_today() - timedelta(days=6), kpi.local_today())
    for item in CHARTS:
        data = item.build(session, period, "zh")
        chart = as_chart(figures.kpi_figure(data, "zh"))
        owner = metrics.metric(item.metric)
        assert owner is not None
        for series, trace in zip(data.series, chart["data"], strict=False):
            colour = trace["marker"]["color"] if trace["type"] == "bar" else trace["line"]["color"]
            if series.name == owner.name("zh"):
                # less is better: orange, or red where the figure is itself bad news
                expected = (style.ACCENT,) if owner.higher_is_better else (style.WATCH, style.BAD)
                assert colour in expected, (item.key, series.name)
            if series.tone == "plan":
                assert style.PLAN in str(trace["marker"]), item.key
    # the Gantt, the headcount and the budget: plan is grey, what happened is the accent
    headcount = as_chart(
        hr_figures.headcount_figure(
            [SimpleNamespace(team="财富管理一部", planned=5, actual=4)], "2026-Q4", "zh"
        )
    )
    plan, actual = headcount["data"]
    assert plan["marker"]["line"]["color"] == style.PLAN and actual["marker"]["color"] == (
        style.ACCENT
    )
    assert plan["orientation"] == "h"  # team names lie beside their bars, never overlap
    # the redemptions series (less is better) never shares the subscriptions' accent
    flows = as_chart(figures.kpi_figure(_daily(), "zh"))
    assert flows["data"][1]["line"]["color"] == style.WATCH
    # a card's tone: redemptions up is bad news, subscriptions up good
    redemptions = metrics.metric("redemptions")
    assert redemptions is not None
    card = kpi.card(session, redemptions, period.previous(), "zh")
    assert card.good is None or card.good == (card.change is not None and card.change < 0)


def test_a_day_not_over_is_marked_and_does_not_plunge_the_line():
    chart = as_chart(figures.kpi_figure(_daily(partial=True), "zh"))
    subscriptions = chart["data"][0]
    assert subscriptions["y"][-1] is None  # the solid line stops at the last full day
    tails = [t for t in chart["data"] if t.get("line", {}).get("dash") == "dot"]
    assert len(tails) == 2 and all(t["showlegend"] is False for t in tails)
    assert tails[0]["y"][-2:] == [*subscriptions["y"][-2:-1], 156_000_000.0]
    assert tails[0]["marker"]["symbol"][-1] == "circle-open"
    notes = [a["text"] for a in chart["layout"].get("annotations", [])]
    assert notes == ["今日未完"]
    # a click on the dotted tail still opens the records of that day
    links = figures.trace_links(_daily(partial=True))
    assert len(links) == len(chart["data"]) and links[2] == links[0]
    complete = as_chart(figures.kpi_figure(_daily(partial=False), "zh"))
    assert complete["data"][0]["y"][-1] == 156_000_000.0 and "annotations" not in complete["layout"]
    # bars: today's bar is pale and hatched
    bars = _daily(partial=True)
    bars.kind = "bar"
    marker = as_chart(figures.kpi_figure(bars, "en"))["data"][0]["marker"]
    assert marker["opacity"][-1] < 1 and marker["pattern"]["shape"][-1] == "/"


def test_the_daily_charts_know_when_the_period_ends_today(session, sales):
    today = kpi.local_today()
    for key in ("daily_flows", "new_customers_daily"):
        item = metrics.chart(key)
        assert item is not None
        assert item.build(session, Period(today - timedelta(days=6), today), "zh").partial
        yesterday = today - timedelta(days=1)
        assert not item.build(
            session, Period(yesterday - timedelta(days=6), yesterday), "en"
        ).partial


def test_a_rate_changes_in_points_and_a_backlog_by_its_difference():
    assert metrics.metric("sla_compliance").change_kind == "points"  # type: ignore[union-attr]
    assert metrics.metric("conversion").change_kind == "points"  # type: ignore[union-attr]
    assert metrics.metric("kyc_backlog").change_kind == "absolute"  # type: ignore[union-attr]
    assert metrics.metric("subscriptions").change_kind == "relative"  # type: ignore[union-attr]
    # 80.1 % → 65.4 % is 14.7 points down, not "-18.4 %"
    change = kpi.change_between(Decimal("65.4"), Decimal("80.1"), "points")
    assert change == Decimal("-14.7")
    assert style.change(change, "points", "zh") == "-14.7 个百分点"
    assert style.change(change, "points", "en") == "-14.7 pt"
    # a backlog of 35 after 12 is 23 more cases, not "+191.7 %"
    backlog = kpi.change_between(Decimal("35"), Decimal("12"), "absolute")
    assert style.change(backlog, "absolute", "en") == "+23"
    assert kpi.change_between(Decimal("35"), Decimal("0"), "absolute") == Decimal("35")
    assert style.change(Decimal("328.6"), "relative", "zh") == "+328.6%"


def test_a_card_shows_a_rate_change_in_points(session, sales, executive):
    period = Period(kpi.local_today() - timedelta(days=6), kpi.local_today())
    board = kpi.dashboard(session, principal=executive, area="customers", period=period, lang="en")
    conversion = next(c for c in board.cards if c.key == "conversion")
    assert conversion.change_kind == "points"
    if conversion.value is not None and conversion.previous is not None:
        assert conversion.change == conversion.value - conversion.previous
        assert conversion.change_text("en").endswith(" pt")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_kpi_chart_has_a_title_axis_titles_and_speaks_the_language(
    session, sales, executive, lang
):
    today = kpi.local_today()
    period = Period(today - timedelta(days=29), today)
    built = [item.build(session, period, lang) for item in CHARTS]
    built += kpi.forecasts(session, principal=executive, horizon=30, lang=lang)
    for data in built:
        chart = as_chart(figures.kpi_figure(data, lang))
        assert chart["layout"]["title"]["text"] == data.title and data.title, data.key
        assert CJK.search(data.title) if lang == "zh" else not CJK.search(data.title), data.key
        assert_speaks(chart, lang)
        assert len(figures.trace_links(data)) == len(chart["data"]), data.key
    history = kpi_figures.history_figure("AUM", [(today, Decimal("1000000"))], "cny", lang)
    assert_speaks(as_chart(history), lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_other_chart_builder_speaks_the_language(lang):
    rows = [
        {"id": 1, "name": "双十一", "budget": Decimal("200000"), "spent": Decimal("120000"),
         "cpa": Decimal("85.5")},
        {"id": 2, "name": "新客礼", "budget": Decimal("50000"), "spent": Decimal("0"), "cpa": None},
    ]  # fmt: skip
    spend = {1: [(date(2026, 11, 1), Decimal("10")), (date(2026, 11, 8), Decimal("60"))]}
    built = list(campaign_charts.campaign_figures(rows, spend, lang))
    built.append(
        hr_figures.headcount_figure(
            [SimpleNamespace(team="财富管理一部", planned=5, actual=4)], "2026-Q4", lang
        )
    )
    built.append(ticket_figures.ticket_report_figure(["一组", "二组"], [12, 5], [10, 5], lang))
    for figure in built:
        chart = as_chart(figure)
        assert chart["layout"]["title"]["text"]
        assert_speaks(chart, lang)


def test_the_gantt_legend_and_hover_speak_the_language():
    milestone = SimpleNamespace(
        id=1,
        name="上线",
        phase="go_live",
        planned_start=date(2026, 11, 2),
        planned_end=date(2026, 11, 20),
        forecast_start=date(2026, 11, 3),
        forecast_end=date(2026, 11, 25),
        actual_start=date(2026, 11, 3),
        actual_end=None,
        progress=40,
        depends_on_id=None,
        status="in_progress",
    )
    row = SimpleNamespace(m=milestone, health=SimpleNamespace(rag="amber"), owner="")
    for lang, names, words in (
        ("zh", ["基线", "计划 / 实际"], ["今天", "黄"]),
        ("en", ["Baseline", "Forecast / actual"], ["Today", "Amber"]),
    ):
        chart = as_chart(project_figures.gantt_figure([row], date(2026, 11, 10), lang))  # type: ignore[list-item]
        assert [t["name"] for t in chart["data"]] == names
        texts = " ".join(_texts(chart))
        assert all(w in texts for w in words), (lang, texts)
        assert chart["layout"]["xaxis"]["tickformat"] == style.DATE_TICKS[lang]
        if lang == "zh":
            assert not MONTHS.search(texts) and "AMBER" not in texts


def test_the_catalogue_redraws_its_chart_in_the_language_of_each_load(session, sales):
    """A load after staff switch language draws the chart again (it was kept from the first)."""
    from state.kpi import KpiCatalogueState
    from state.ui import UIState
    from tests.factories import make_user, run, state_for

    kpi.backfill(session, kpi.local_today(), days=20)
    session.commit()
    user, _ = make_user(session, "ceo.lang", ["executive"])
    page = state_for(session, user, KpiCatalogueState, "/kpi/metrics")
    load = KpiCatalogueState.event_handlers["load"].fn
    run(load(page))
    assert page.history["layout"]["yaxis"]["title"]["text"] == "金额（元）"
    run(page.get_state(UIState)).lang = "en"
    run(load(page))
    assert page.history["layout"]["yaxis"]["title"]["text"] == "Amount (CNY)"
    assert_speaks(page.history, "en")
