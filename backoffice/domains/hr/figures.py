"""Headcount against plan as a figure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from backoffice.i18n import translate
from backoffice.platform.figures import ChartData, Series, kpi_figure


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
