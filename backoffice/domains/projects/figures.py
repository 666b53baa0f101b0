"""The project plan as a Gantt figure: baseline beside forecast/actual, dependencies, today."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import plotly.graph_objects as go

from backoffice.domains.projects import rules as plan_rules
from backoffice.i18n import choice_label, translate
from backoffice.platform import chart_style as style

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
