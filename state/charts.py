"""Charts in state as the JSON plotly.js draws, not as ``plotly.graph_objects.Figure``.

A Figure var costs on every event that touches its state: Reflex deep-copies a Figure default
for each hydration (a new tab, a reload: every chart var of every state, about 20 ms each, most
of a hydration's 220 ms), and pickles the figure into Redis after each event. A plain dict is
copied and stored for almost nothing. The page's ``rx.plotly`` merges its light/dark template
over the figure, so the figure's own template (most of its JSON) is left out.
"""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go

Chart = dict[str, Any]


def as_chart(figure: go.Figure) -> Chart:
    """The figure's data and layout, as plotly.js takes them, without its template."""
    chart = json.loads(figure.to_json())
    chart.get("layout", {}).pop("template", None)
    return chart
