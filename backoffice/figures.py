"""Every figure the portal draws, in the one style of ``chart_style`` and in the language the
caller names (no builder defaults to a language: a page rebuilds its charts when staff switch).

States turn a figure into the JSON they keep (``state.charts.as_chart``); nothing here reads
the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

from backoffice import chart_style as style
from backoffice.domains.kpi.metrics import ChartData, Series
from backoffice.domains.projects import rules as plan_rules
from backoffice.i18n import choice_label, translate


def _floats(values: Sequence[Any]) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


def _labels(data: ChartData, lang: str) -> list[str]:
    return [style.day_text(x, lang) for x in data.x] if data.dates else [str(x) for x in data.x]


def _shown(data: ChartData) -> list[Series]:
    return [s for s in data.series if s.style != "band"]


def _colours(shown: list[Series]) -> list[str]:
    """A tone's colour; measured series take the palette in turn, the first the accent."""
    result, measured = [], 0
    for series in shown:
        result.append(style.colour(series.tone, measured))
        measured += not series.tone
    return result


def _partial_lines(data: ChartData) -> bool:
    return data.partial and data.kind != "bar" and len(data.x) > 0


# --- the KPI charts (and forecasts) from the catalogue's chart data ---------------------------
def kpi_figure(data: ChartData, lang: str, *, lie_down: bool | None = None) -> go.Figure:
    """A chart of the catalogue: bars (lying down when their labels are long) or lines; plan
    grey, less-is-better orange; a period not over drawn hollow and dotted, with a note."""
    shown, bands = _shown(data), [s for s in data.series if s.style == "band"]
    labels = _labels(data, lang)
    lie = data.kind == "bar" and not data.dates and style.horizontal(labels)
    if lie_down is not None and data.kind == "bar":
        lie = lie_down
    last = len(data.x) - 1
    traces: list[Any] = []
    for series, colour in zip(shown, _colours(shown), strict=True):
        y = _floats(series.values)
        tip = style.hover(labels, series.values, data.unit, lang)
        if data.kind == "bar":
            marker: dict[str, Any] = {"color": colour}
            if series.tone == "plan":
                marker = {"color": "rgba(139,141,152,0.35)", "line": {"color": colour, "width": 2}}
            if data.partial and last >= 0:
                marker["opacity"] = [1.0] * last + [0.45]
                marker["pattern"] = {"shape": [""] * last + ["/"]}
            values = {"x": y, "y": labels, "orientation": "h"} if lie else {"x": data.x, "y": y}
            traces.append(go.Bar(name=series.name, marker=marker, **values, **tip))
        else:
            if _partial_lines(data):
                y = [*y[:last], None]
            dash = "dash" if series.style == "dash" or series.tone == "plan" else "solid"
            traces.append(
                go.Scatter(
                    name=series.name,
                    x=data.x,
                    y=y,
                    mode="lines",
                    line={"color": colour, "width": 2, "dash": dash},
                    **tip,
                )
            )
    if len(bands) == 2:
        low, high = (_floats(b.values) for b in bands)
        traces.append(
            go.Scatter(
                x=data.x, y=high, mode="lines", line_width=0, showlegend=False, hoverinfo="skip"
            )
        )
        traces.append(
            go.Scatter(
                name=bands[0].name,
                x=data.x,
                y=low,
                mode="lines",
                line_width=0,
                fill="tonexty",
                fillcolor="rgba(62,99,221,0.15)",
                hoverinfo="skip",
            )
        )
    if _partial_lines(data):
        for series, colour in zip(shown, _colours(shown), strict=True):
            y = _floats(series.values)
            tail = [None] * len(y)
            tail[last] = y[last]
            if last >= 1:
                tail[last - 1] = y[last - 1]
            tip = style.hover(labels, series.values, data.unit, lang)
            traces.append(
                go.Scatter(
                    name=f"{series.name} · {style.partial_note(lang)}",
                    x=data.x,
                    y=tail,
                    mode="lines+markers",
                    line={"color": colour, "width": 2, "dash": "dot"},
                    marker={
                        "symbol": ["circle-open"] * len(y),
                        "size": [0] * last + [9],
                        "color": colour,
                    },
                    showlegend=False,
                    **tip,
                )
            )
    figure = go.Figure(traces)
    every = [v for s in data.series for v in s.values]
    value_axis = style.value_axis(
        every, data.unit, lang, _y_title(data, lang), from_zero=data.kind == "bar"
    )
    if data.dates:
        category = style.date_axis(lang, data.x_title)
    else:
        category = style.category_axis(data.x_title, labels)
    legend = len(shown) > 1 or bool(bands)
    layout = style.frame(title=data.title, lang=lang, legend=legend, height=_height(data, lie))
    if lie:
        category.pop("tickangle", None)
        layout |= {"xaxis": value_axis, "yaxis": {**category, "autorange": "reversed"}}
    else:
        layout |= {"xaxis": category, "yaxis": value_axis}
    figure.update_layout(barmode="group", bargap=0.25, **layout)
    if data.partial and last >= 0:
        figure.add_annotation(
            x=data.x[last] if not lie else None,
            y=1,
            yref="paper",
            yanchor="bottom",
            xanchor="right",
            text=style.partial_note(lang),
            showarrow=False,
            font={"size": 11, "color": style.PLAN},
        )
    return figure


def _y_title(data: ChartData, lang: str) -> str:
    return data.y_title or style.axis_title(data.unit, lang)


def _height(data: ChartData, lie: bool) -> int:
    if not lie:
        return 340
    per_row = 18 + 10 * max(1, len(_shown(data)))
    return max(340, 130 + per_row * len(data.x))


def trace_links(data: ChartData) -> list[list[str]]:
    """The records behind each point, per trace of ``kpi_figure`` (a click names its trace)."""
    shown = _shown(data)
    links = [s.links for s in shown]
    if len([s for s in data.series if s.style == "band"]) == 2:
        links += [[], []]
    if _partial_lines(data):
        links += [s.links for s in shown]
    return links


def history_figure(
    title: str, points: Sequence[tuple[date, Decimal]], unit: str, lang: str
) -> go.Figure:
    """A metric's daily snapshots (the catalogue page)."""
    data = ChartData(
        key="history",
        title=title,
        kind="line",
        x=[d.isoformat() for d, _v in points],
        unit=unit,
        dates=True,
        series=[Series(translate("kpi.history", lang), [v for _d, v in points], [])],
    )
    figure = kpi_figure(data, lang)
    figure.update_layout(height=300)
    return figure


# --- campaign results ---------------------------------------------------------------------------
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
            y=_floats(values),
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
def headcount_figure(rows: Sequence[Any], quarter: str, lang: str) -> go.Figure:
    """Per team, the plan (grey outline) beside the people in post (accent), lying down so
    that team names never overlap."""
    data = ChartData(
        key="headcount",
        title=f"{translate('hr.headcount', lang)} · {quarter}",
        kind="bar",
        x=[str(r.team) for r in rows],
        unit="count",
        x_title=translate("hr.team", lang),
        y_title=translate("chart.axis.people", lang),
        series=[
            Series(translate("hr.planned", lang), [r.planned for r in rows], [], "", "plan"),
            Series(translate("hr.actual", lang), [r.actual for r in rows], []),
        ],
    )
    return kpi_figure(data, lang, lie_down=True)  # team names of any length stay readable


# --- tickets: the desk's report ---------------------------------------------------------------
def ticket_report_figure(
    labels: Sequence[str], volume: Sequence[int], resolved: Sequence[int], lang: str
) -> go.Figure:
    """Tickets opened and resolved per group (opened is work coming in: less is better)."""
    data = ChartData(
        key="ticket_report",
        title=translate("tickets.report.chart", lang),
        kind="bar",
        x=list(labels),
        unit="count",
        x_title=translate("tickets.report.key", lang),
        y_title=translate("chart.axis.tickets", lang),
        series=[
            Series(translate("tickets.report.volume", lang), list(volume), [], tone="watch"),
            Series(translate("tickets.report.resolved", lang), list(resolved), [], tone="good"),
        ],
    )
    return kpi_figure(data, lang)


# --- projects: the Gantt ----------------------------------------------------------------------
RAG_COLOURS = {"red": style.BAD, "amber": "#f5a623", "green": style.GOOD}
DONE_COLOUR = style.ACCENT


def _ms(days: int) -> int:
    return days * 86_400_000


def _iso(day: date) -> str:
    return datetime.combine(day, time()).isoformat()


def gantt_figure(rows: list[plan_rules.Row], today: date, lang: str) -> go.Figure:
    """Two bars per milestone (baseline in grey; the current plan, or actual dates where known,
    coloured by health), arrows for finish-to-start links, and today's line."""
    labels = [r.m.name for r in rows]
    by_id = {r.m.id: (label, r) for label, r in zip(labels, rows, strict=True)}

    def span(first: date, end: date) -> str:
        return f"{style.day_text(first, lang)} → {style.day_text(end, lang)}"

    figure = go.Figure()
    figure.add_bar(
        name=translate("project.baseline", lang),
        orientation="h",
        y=labels,
        base=[_iso(r.m.planned_start) for r in rows],
        x=[_ms((r.m.planned_end - r.m.planned_start).days + 1) for r in rows],
        marker={"color": "rgba(139,141,152,0.45)", "line": {"color": style.PLAN, "width": 1}},
        offsetgroup="baseline",
        hovertext=[
            f"{choice_label('project_phase', r.m.phase, lang)} · "
            f"{span(r.m.planned_start, r.m.planned_end)}"
            for r in rows
        ],
        hoverinfo="text+name",
    )
    starts = [plan_rules.current_start(r.m) for r in rows]
    ends = [plan_rules.finish(r.m) for r in rows]
    figure.add_bar(
        name=translate("project.gantt_current", lang),
        orientation="h",
        y=labels,
        base=[_iso(s) for s in starts],
        x=[_ms((e - s).days + 1) for s, e in zip(starts, ends, strict=True)],
        marker_color=[
            DONE_COLOUR if plan_rules.is_done(r.m) else RAG_COLOURS[r.health.rag] for r in rows
        ],
        offsetgroup="current",
        text=[f"{r.m.progress}%" for r in rows],
        textposition="inside",
        hovertext=[
            f"{span(s, e)} · {r.m.progress}% · {translate(f'project.rag.{r.health.rag}', lang)}"
            for s, e, r in zip(starts, ends, rows, strict=True)
        ],
        hoverinfo="text+name",
    )
    for r in rows:
        if r.m.depends_on_id in by_id:
            pred_label, pred = by_id[r.m.depends_on_id]
            figure.add_annotation(
                x=_iso(plan_rules.current_start(r.m)),
                y=labels[rows.index(r)],
                ax=_iso(plan_rules.finish(pred.m) + timedelta(days=1)),
                ay=pred_label,
                xref="x",
                yref="y",
                axref="x",
                ayref="y",
                showarrow=True,
                arrowhead=2,
                arrowsize=1,
                arrowwidth=1,
                arrowcolor="#6f6e77",
                text="",
            )
    figure.add_shape(
        type="line",
        x0=_iso(today),
        x1=_iso(today),
        y0=0,
        y1=1,
        yref="paper",
        line={"color": style.BAD, "width": 2, "dash": "dash"},
    )
    figure.add_annotation(
        x=_iso(today),
        y=1,
        yref="paper",
        text=translate("project.today", lang),
        showarrow=False,
        yanchor="bottom",
        font={"color": style.BAD},
    )
    layout = style.frame(title="", lang=lang, height=max(320, 44 * len(rows) + 140))
    layout["margin"] |= {"t": 56}
    figure.update_layout(
        **layout,
        barmode="group",
        bargap=0.25,
        xaxis={**style.date_axis(lang), "showgrid": True},
        yaxis={"autorange": "reversed", "automargin": True, "tickfont": {"size": 12}},
    )
    figure.update_layout(legend={"y": 1.06})
    return figure
