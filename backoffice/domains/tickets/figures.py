"""The ticket report's volume and resolution as a figure."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from backoffice.i18n import translate
from backoffice.platform.figures import ChartData, Series, kpi_figure


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
