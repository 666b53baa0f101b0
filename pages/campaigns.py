"""Campaign results, comparable across campaigns."""

from __future__ import annotations

import reflex as rx

from pages.charts import chart
from pages.layout import scroll_region, template
from pages.ui import t
from state.campaigns import CampaignResultsState

COLUMNS = ("name", "status", "budget", "spent", "used", "new", "conversions", "rate", "cpa")


@template(
    "/campaigns/results",
    "results.title",
    on_load=CampaignResultsState.load,
    active_route="/campaigns",
)
def campaign_results() -> rx.Component:
    return rx.vstack(
        rx.heading(t("results.title"), size="6", id="page-title"),
        rx.text(t("results.help"), size="2", color_scheme="gray"),
        rx.grid(
            chart(CampaignResultsState.budget_chart, id="budget-chart"),
            chart(CampaignResultsState.cpa_chart, id="cpa-chart"),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        chart(CampaignResultsState.spend_chart, id="spend-chart", width="100%"),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[rx.table.column_header_cell(t(f"results.col.{c}")) for c in COLUMNS]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        CampaignResultsState.rows,
                        lambda r: rx.table.row(
                            rx.table.cell(
                                rx.link(r["name"], href="/r/campaign/record?id=" + r["id"])
                            ),
                            *[rx.table.cell(r[c]) for c in COLUMNS[1:]],
                            class_name="results-row",
                        ),
                    )
                ),
                width="100%",
                variant="surface",
                id="results-table",
            ),
            t("results.title"),
        ),
        width="100%",
        spacing="4",
    )
