"""The commission report: what each partner's products earned the platform in a month."""

from __future__ import annotations

import reflex as rx

from pages.layout import scroll_region, template
from pages.ui import t
from state.partners import CommissionState, ProductCommissionState


@template(
    "/partners/commission",
    "commission.title",
    on_load=CommissionState.load,
    active_route="/partners",
)
def commission_report() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(t("commission.title"), size="6", id="page-title"),
            rx.spacer(),
            rx.select.root(
                rx.select.trigger(id="commission-month"),
                rx.select.content(
                    rx.foreach(CommissionState.months, lambda m: rx.select.item(m, value=m))
                ),
                value=CommissionState.month,
                on_change=CommissionState.choose_month,
            ),
            rx.button(
                rx.icon("download", size=14),
                t("list.export"),
                variant="soft",
                on_click=CommissionState.export,
                id="commission-export",
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.text(t("commission.help"), size="2", color_scheme="gray"),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(f"commission.col.{c}"))
                            for c in ("partner", "volume", "transactions", "rate", "commission")
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        CommissionState.rows,
                        lambda r: rx.table.row(
                            rx.table.cell(
                                rx.link(r["partner"], href="/r/partner/record?id=" + r["id"])
                            ),
                            rx.table.cell(r["volume"]),
                            rx.table.cell(r["transactions"]),
                            rx.table.cell(r["rate"]),
                            rx.table.cell(r["commission"]),
                            class_name="commission-row",
                        ),
                    ),
                    rx.table.row(
                        rx.table.cell(rx.text(t("commission.total"), weight="bold")),
                        rx.table.cell(rx.text(CommissionState.total_volume, weight="bold")),
                        rx.table.cell(""),
                        rx.table.cell(""),
                        rx.table.cell(
                            rx.text(
                                CommissionState.total_commission,
                                weight="bold",
                                id="commission-total",
                            )
                        ),
                    ),
                ),
                width="100%",
                variant="surface",
                id="commission-table",
            ),
            t("commission.title"),
        ),
        width="100%",
        spacing="4",
    )


def product_commission_panel() -> rx.Component:
    """Above a product's record page: its partner's commission tiers, as the monthly report
    prices them (read-only; the tiers are edited on the partner's commission tier list)."""
    return rx.box(
        rx.cond(
            ProductCommissionState.shown,
            rx.card(
                rx.vstack(
                    rx.hstack(
                        rx.icon("layers", size=16),
                        rx.text(t("commission.tiers.title"), weight="bold"),
                        rx.link(
                            ProductCommissionState.partner,
                            href="/r/partner/record?id="
                            + ProductCommissionState.partner_id.to(str),
                            id="product-partner-link",
                        ),
                        align="center",
                        wrap="wrap",
                    ),
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell(t("commission.tiers.from")),
                                rx.table.column_header_cell(t("commission.col.rate")),
                                rx.table.column_header_cell(""),
                            )
                        ),
                        rx.table.body(
                            rx.foreach(
                                ProductCommissionState.ladder,
                                lambda step: rx.table.row(
                                    rx.table.cell(step["from"]),
                                    rx.table.cell(step["rate"]),
                                    rx.table.cell(
                                        rx.cond(
                                            step["reached"],
                                            rx.badge(
                                                t("commission.tiers.applies"), color_scheme="green"
                                            ),
                                        )
                                    ),
                                    class_name="commission-tier",
                                ),
                            )
                        ),
                        size="1",
                        id="product-commission-tiers",
                    ),
                    rx.text(
                        t("commission.tiers.this_month"),
                        ": ",
                        ProductCommissionState.month_volume,
                        " · ",
                        ProductCommissionState.month_rate,
                        size="2",
                        id="product-commission-month",
                    ),
                    rx.text(t("commission.tiers.note"), size="1", color_scheme="gray"),
                    spacing="2",
                    width="100%",
                ),
                width="100%",
            ),
        ),
        on_mount=ProductCommissionState.load,
        width="100%",
    )
