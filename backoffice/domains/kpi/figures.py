"""A metric's history as a figure (the catalogue page)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import plotly.graph_objects as go

from backoffice.i18n import translate
from backoffice.platform.figures import ChartData, Series, kpi_figure


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
