"""KPI pages: the dashboard (areas, date range, cards with the change against the previous
period, charts that open their records, forecasts, alerts, reports) and the metric catalogue."""

from __future__ import annotations

import reflex as rx

from pages.charts import chart
from pages.layout import scroll_region, template
from pages.ui import date_input, t
from state.kpi import CHART_SLOTS, KpiCatalogueState, KpiState


def _section(title_key: str, *children: rx.Component, **props: object) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(t(title_key), size="4"), *children, spacing="3", width="100%"),
        width="100%",
        **props,
    )


def _areas() -> rx.Component:
    return rx.hstack(
        rx.foreach(
            KpiState.areas,
            lambda a: rx.button(
                a["label"],
                variant=rx.cond(KpiState.area == a["key"], "solid", "soft"),
                on_click=KpiState.choose_area(a["key"]),
                id="area-" + a["key"],
                size="2",
            ),
        ),
        wrap="wrap",
        spacing="2",
    )


def _range() -> rx.Component:
    return rx.hstack(
        rx.form(
            rx.hstack(
                rx.text(t("kpi.start"), size="2"),
                date_input(
                    name="start",
                    default_value=KpiState.start,
                    key=KpiState.start,
                    id="kpi-start",
                    width="8em",
                ),
                rx.text(t("kpi.end"), size="2"),
                date_input(
                    name="end",
                    default_value=KpiState.end,
                    key=KpiState.end,
                    id="kpi-end",
                    width="8em",
                ),
                rx.button(t("kpi.apply"), type="submit", id="kpi-apply"),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            on_submit=KpiState.apply_range,
        ),
        *[
            rx.button(
                t(f"kpi.preset.{p}"), variant="outline", size="1", on_click=KpiState.preset(p)
            )
            for p in ("7", "30", "90", "ytd")
        ],
        rx.cond(
            KpiState.can_export,
            rx.button(
                rx.icon("download", size=14),
                t("kpi.export_page"),
                variant="soft",
                size="1",
                on_click=KpiState.export_page,
                id="kpi-export-page",
            ),
        ),
        align="center",
        spacing="3",
        wrap="wrap",
    )


def _card(c: rx.Var) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.text(c["name"], size="2", color_scheme="gray"),
                rx.text(c["value"], size="6", weight="bold", class_name="kpi-value"),
                rx.hstack(
                    rx.badge(c["change"], color_scheme=c["tone"], class_name="kpi-change"),
                    rx.text(t("kpi.previous"), ": ", c["previous"], size="1", color_scheme="gray"),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                spacing="1",
            ),
            width="100%",
        ),
        href=c["link"],
        underline="none",
        id="card-" + c["key"],
        class_name="kpi-card",
    )


def _chart(slot: int) -> rx.Component:
    data = getattr(KpiState, f"chart{slot}")
    return rx.cond(
        KpiState.chart_titles.length() > slot,
        rx.card(
            rx.vstack(
                chart(
                    data,
                    on_click=lambda points: KpiState.drill(slot, points),
                    width="100%",
                    id=f"kpi-chart-{slot}",
                ),
                rx.hstack(
                    rx.text(t("kpi.open_records"), size="1", color_scheme="gray"),
                    rx.spacer(),
                    rx.cond(
                        KpiState.can_export,
                        rx.button(
                            rx.icon("file-down", size=14),
                            t("kpi.export_csv"),
                            size="1",
                            variant="soft",
                            on_click=KpiState.export_chart(slot),
                            id=f"kpi-export-{slot}",
                        ),
                    ),
                    width="100%",
                    align="center",
                ),
                width="100%",
                spacing="1",
            ),
            width="100%",
        ),
    )


def _forecast() -> rx.Component:
    return rx.cond(
        KpiState.show_forecast,
        _section(
            "kpi.forecasts",
            rx.hstack(
                rx.text(t("kpi.horizon"), size="2"),
                rx.select(
                    ["30", "90"],
                    value=KpiState.horizon,
                    on_change=KpiState.set_horizon,
                    id="kpi-horizon",
                ),
                align="center",
                spacing="2",
            ),
            rx.grid(
                chart(KpiState.forecast_aum, width="100%", id="kpi-forecast-aum"),
                chart(KpiState.forecast_sales, width="100%", id="kpi-forecast-sales"),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="3",
                width="100%",
            ),
            rx.text(
                KpiState.forecast_note, size="1", color_scheme="gray", id="kpi-forecast-method"
            ),
        ),
    )


def _alerts() -> rx.Component:
    return rx.cond(
        KpiState.can_alerts,
        _section(
            "kpi.alerts_open",
            rx.foreach(
                KpiState.open_alerts,
                lambda a: rx.link(
                    rx.hstack(
                        rx.icon("siren", size=14, color=rx.color("amber", 10)),
                        rx.text(a["no"], weight="medium"),
                        rx.text(a["metric"]),
                        rx.text(a["value"], color_scheme="gray"),
                        rx.badge(a["status"]),
                        spacing="2",
                        align="center",
                    ),
                    href="/r/kpi_alert/record?id=" + a["id"],
                    class_name="kpi-alert",
                ),
            ),
            rx.hstack(
                rx.link(t("resource.kpi_alert"), href="/r/kpi_alert?queue=open", size="2"),
                rx.cond(
                    KpiState.can_rules,
                    rx.link(
                        t("resource.kpi_alert_rule"),
                        href="/r/kpi_alert_rule",
                        size="2",
                        id="kpi-alert-rules",
                    ),
                ),
                spacing="4",
            ),
        ),
    )


def _reports() -> rx.Component:
    return rx.cond(
        KpiState.can_reports,
        _section(
            "kpi.reports",
            rx.text(t("kpi.reports_help"), size="1", color_scheme="gray"),
            rx.foreach(
                KpiState.reports,
                lambda r: rx.hstack(
                    rx.icon("file-text", size=14),
                    rx.text(r["title"], size="2"),
                    rx.text(r["period"], size="1", color_scheme="gray"),
                    rx.button(
                        t("kpi.download"),
                        size="1",
                        variant="soft",
                        on_click=KpiState.download_report(r["id"]),
                    ),
                    align="center",
                    spacing="2",
                    class_name="kpi-report",
                ),
            ),
            rx.cond(
                KpiState.can_export,
                rx.button(
                    t("kpi.generate_report"),
                    size="1",
                    on_click=KpiState.generate_report,
                    id="kpi-generate-report",
                ),
            ),
        ),
    )


@template("/kpi", "kpi.title", on_load=KpiState.load)
def kpi_dashboard() -> rx.Component:
    return rx.vstack(
        rx.heading(t("kpi.title"), size="6", id="page-title"),
        rx.text(t("kpi.subtitle"), size="2", color_scheme="gray"),
        rx.cond(
            KpiState.has_metrics,
            rx.vstack(
                _areas(),
                _range(),
                rx.cond(
                    KpiState.error != "",
                    rx.callout(KpiState.error, color_scheme="red", icon="triangle-alert"),
                ),
                rx.text(
                    t("kpi.vs_previous"),
                    ": ",
                    KpiState.previous_label,
                    size="1",
                    color_scheme="gray",
                ),
                rx.grid(
                    rx.foreach(KpiState.cards, _card),
                    columns=rx.breakpoints(initial="1", sm="2", lg="4"),
                    spacing="3",
                    width="100%",
                    id="kpi-cards",
                ),
                rx.grid(
                    *[_chart(slot) for slot in range(CHART_SLOTS)],
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="3",
                    width="100%",
                ),
                _forecast(),
                rx.grid(
                    _alerts(),
                    _reports(),
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="3",
                    width="100%",
                ),
                width="100%",
                spacing="4",
            ),
            rx.vstack(
                rx.callout(t("kpi.no_metrics"), icon="info", id="kpi-no-metrics"),
                _alerts(),
                width="100%",
                spacing="3",
            ),
        ),
        width="100%",
        spacing="3",
    )


@template("/kpi/metrics", "kpi.catalogue", on_load=KpiCatalogueState.load, active_route="/kpi")
def kpi_catalogue() -> rx.Component:
    columns = ("name", "area", "formula", "unit", "owner", "roles", "latest")
    return rx.vstack(
        rx.heading(t("kpi.catalogue"), size="6", id="page-title"),
        rx.text(t("kpi.catalogue_help"), size="2", color_scheme="gray"),
        chart(KpiCatalogueState.history, width="100%", id="kpi-history"),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(*[rx.table.column_header_cell(t(f"kpi.col.{c}")) for c in columns])
                ),
                rx.table.body(
                    rx.foreach(
                        KpiCatalogueState.rows,
                        lambda r: rx.table.row(
                            rx.table.cell(
                                rx.link(
                                    r["name"],
                                    on_click=KpiCatalogueState.pick(r["key"]),
                                    cursor="pointer",
                                )
                            ),
                            *[rx.table.cell(r[c], white_space="normal") for c in columns[1:]],
                            class_name="metric-row",
                        ),
                    )
                ),
                width="100%",
                variant="surface",
                id="metric-table",
            ),
            t("kpi.catalogue"),
        ),
        width="100%",
        spacing="3",
    )
