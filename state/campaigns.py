"""Campaign results: acquisition, conversion, cost per acquisition and budget use."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from backoffice.db import session_scope
from backoffice.domains.campaigns import figures
from backoffice.domains.campaigns import rules as campaigns
from backoffice.i18n import choice_label
from state.auth import requires
from state.base import StaffState
from state.charts import Chart, as_chart


class CampaignResult(TypedDict):
    id: str
    name: str
    status: str
    budget: str
    spent: str
    used: str
    new: str
    conversions: str
    rate: str
    cpa: str


class CampaignResultsState(StaffState, rx.State):
    rows: list[CampaignResult] = []
    budget_chart: Chart = {}
    cpa_chart: Chart = {}
    spend_chart: Chart = {}

    @rx.event
    @requires("campaign", "view")
    async def load(self) -> None:
        lang = await self._lang()
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
        budget, cpa, spend = figures.campaign_figures(data, series, lang)
        self.budget_chart, self.cpa_chart = as_chart(budget), as_chart(cpa)
        self.spend_chart = as_chart(spend)
