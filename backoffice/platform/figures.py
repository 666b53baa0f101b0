"""The portal's figures from chart data (``ChartData``: categories or days, series with their
drill-down links), in the one style of ``chart_style`` and in the language the caller names (no
builder defaults to a language: a page rebuilds its charts when staff switch). A domain's own
figures (``domains/<name>/figures.py``) build on these.

States turn a figure into the JSON they keep (``state.charts.as_chart``); nothing here reads
the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

from backoffice.platform import chart_style as style


@dataclass
class Series:
    name: str
    values: list[Decimal]
    links: list[str]  # one list URL per point (the drill-down)
    style: str = ""  # "" | "band" (the lower/upper of an uncertainty band) | "dash"
    tone: str = ""  # "" (measured) | "plan" | "good" | "bad" | "watch" (less is better)


@dataclass
class ChartData:
    key: str
    title: str
    kind: str  # bar | line
    x: list[str]
    series: list[Series] = field(default_factory=list)
    unit: str = ""
    note: str = ""  # e.g. the forecasting method
    x_title: str = ""
    y_title: str = ""  # by default what the unit measures ("金额（元）")
    dates: bool = False  # x holds ISO days
    partial: bool = False  # the last x is a period not over yet (today)


def floats(values: Sequence[Any]) -> list[float | None]:
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
        y = floats(series.values)
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
        low, high = (floats(b.values) for b in bands)
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
            y = floats(series.values)
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
