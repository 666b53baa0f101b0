"""Campaign results as figures: acquisition, conversion, cost per acquisition, budget use."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

from backoffice.i18n import translate
from backoffice.platform import chart_style as style
from backoffice.platform.figures import ChartData, Series, floats, kpi_figure


def campaign_figures(
    rows: Sequence[dict[str, Any]],
    spend: dict[int, list[tuple[date, Decimal]]],
    lang: str,
) -> tuple[go.Figure, go.Figure, go.Figure]:
    """Budget (plan, grey) against spend (accent); cost per new customer (less is better);
    each campaign's share of its budget used, day by day, with the 80 % and 100 % lines."""
    names = [str(r["name"]) for r in rows]
    campaign_axis = translate("chart.x.campaign", lang)
    budget = kpi_figure(
        ChartData(
            key="budget",
            title=translate("results.budget_chart", lang),
            kind="bar",
            x=names,
            unit="cny",
            x_title=campaign_axis,
            series=[
                Series(
                    translate("results.budget", lang), [r["budget"] for r in rows], [], "", "plan"
                ),
                Series(translate("results.spent", lang), [r["spent"] for r in rows], []),
            ],
        ),
        lang,
    )
    with_cpa = [r for r in rows if r["cpa"] is not None]
    cpa = kpi_figure(
        ChartData(
            key="cpa",
            title=translate("results.cpa_chart", lang),
            kind="bar",
            x=[str(r["name"]) for r in with_cpa],
            unit="cny",
            x_title=campaign_axis,
            y_title=style.axis_title("cny", lang, translate("results.col.cpa", lang)),
            series=[
                Series(
                    translate("results.col.cpa", lang),
                    [r["cpa"] for r in with_cpa],
                    [],
                    tone=style.tone_of(False),
                )
            ],
        ),
        lang,
    )
    by_id = {int(r["id"]): str(r["name"]) for r in rows}
    lines = go.Figure()
    every: list[Decimal] = [Decimal(100)]
    for index, (campaign_id, points) in enumerate(spend.items()):
        if campaign_id not in by_id:
            continue
        values = [share for _day, share in points]
        every += values
        labels = [style.day_text(day, lang) for day, _share in points]
        lines.add_scatter(
            x=[day.isoformat() for day, _share in points],
            y=floats(values),
            mode="lines+markers",
            line={"shape": "hv", "color": style.colour("", index), "width": 2},
            marker={"size": 5},
            name=by_id[campaign_id],
            **style.hover(labels, values, "percent", lang),
        )
    for level, colour in ((80, style.WATCH), (100, style.BAD)):
        lines.add_hline(
            y=level,
            line_dash="dot",
            line_color=colour,
            annotation_text=f"{level}%",
            annotation_position="top left",
        )
    lines.update_layout(
        **style.frame(title=translate("results.spend_chart", lang), lang=lang, height=400),
        xaxis=style.date_axis(lang),
        yaxis=style.value_axis(every, "percent", lang, translate("results.spend_axis", lang)),
    )
    return budget, cpa, lines


# --- HR: headcount against plan ---------------------------------------------------------------
