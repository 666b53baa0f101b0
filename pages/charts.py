"""A chart on a page, from a ``state.charts.Chart`` var (plotly.js JSON held in state)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import reflex as rx


def chart(data: rx.Var, **props: Any) -> rx.Component:
    """``rx.plotly`` over a JSON chart var: the component declares its ``data`` as a Figure, and
    the JSON is what it renders from a Figure, so the var is only re-typed, not converted."""
    # the chart takes its box's width and follows it when the window is resized (a grid or flex
    # cell must not grow to a chart's previous, wider size: min-width 0)
    props.setdefault("width", "100%")
    props.setdefault("min_width", "0")
    props.setdefault("use_resize_handler", True)
    return rx.plotly(data=data.to(go.Figure), **props)
