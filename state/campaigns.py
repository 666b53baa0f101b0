"""Campaign results: acquisition, conversion, cost per acquisition and budget use."""

from __future__ import annotations

import plotly.graph_objects as go
import reflex as rx

from backoffice.db import session_scope
from backoffice.i18n import choice_label, translate
from backoffice.services import campaigns
from state.auth import requires
from state.charts import Chart, as_chart
from state.ui import UIState


class CampaignResultsState(rx.State):
    rows: list[dict[str, str]] = []
    budget_chart: Chart = {}
    cpa_chart: Chart = {}
    spend_chart: Chart = {}

    @rx.event
    @requires("campaign", "view")
    async def load(self) -> None:
        lang = (await self.get_state(UIState)).lang
        with session_scope() as session:
            data = campaigns.results(session)
            series = campaigns.spend_over_time(session)
        self.rows = [
            {
                "id": str(r["id"]),
                "name": r["name"],
                "status": choice_label("campaign_status", r["status"], lang),
                "budget": f"¥{r['budget']:,.0f}",
                "spent": f"¥{r['spent']:,.0f}",
                "used": f"{r['used']:.0f}%",
                "new": f"{r['new_customers']:,}",
                "conversions": f"{r['conversions']:,}",
                "rate": f"{r['conversions'] / r['new_customers'] * 100:.0f}%"
                if r["new_customers"]
                else "—",
                "cpa": f"¥{r['cpa']:,.2f}" if r["cpa"] is not None else "—",
            }
            for r in data
        ]
        names = [r["name"] for r in data]
        budget = go.Figure(
            [
                go.Bar(
                    name=translate("results.budget", lang),
                    x=names,
                    y=[float(r["budget"]) for r in data],
                ),
                go.Bar(
                    name=translate("results.spent", lang),
                    x=names,
                    y=[float(r["spent"]) for r in data],
                ),
            ]
        )
        budget.update_layout(
            barmode="group",
            title=translate("results.budget_chart", lang),
            margin={"t": 40, "b": 80},
            height=360,
        )
        with_cpa = [r for r in data if r["cpa"] is not None]
        cpa = go.Figure(
            [
                go.Bar(
                    x=[r["name"] for r in with_cpa],
                    y=[float(r["cpa"]) for r in with_cpa],
                    marker_color="#6e56cf",
                )
            ]
        )
        cpa.update_layout(
            title=translate("results.cpa_chart", lang), margin={"t": 40, "b": 80}, height=360
        )
        self.budget_chart, self.cpa_chart = as_chart(budget), as_chart(cpa)
        names_by_id = {r["id"]: r["name"] for r in data}
        spend = go.Figure(
            [
                go.Scatter(
                    x=[day.isoformat() for day, _share in points],
                    y=[float(share) for _day, share in points],
                    mode="lines+markers",
                    line_shape="hv",
                    name=names_by_id.get(campaign_id, str(campaign_id)),
                )
                for campaign_id, points in series.items()
                if campaign_id in names_by_id
            ]
        )
        for level, colour in ((80, "#f5a524"), (100, "#e5484d")):
            spend.add_hline(
                y=level, line_dash="dot", line_color=colour, annotation_text=f"{level}%"
            )
        spend.update_layout(
            title=translate("results.spend_chart", lang),
            yaxis_title=translate("results.spend_axis", lang),
            margin={"t": 40, "b": 40},
            height=400,
        )
        self.spend_chart = as_chart(spend)
