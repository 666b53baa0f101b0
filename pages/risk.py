"""The panel on the risk indicator page (the rest is the generic engine)."""

from __future__ import annotations

import reflex as rx

from pages.layout import scroll_region
from pages.ui import t
from state.risk import RiskPanelState

LEVEL_COLOURS = {"normal": "green", "warning": "amber", "breach": "red"}


def _record_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="value", placeholder=t("risk.value"), id="reading-value", width="9em"),
            rx.input(name="note", placeholder=t("risk.note"), id="reading-note", width="20em"),
            rx.button(t("risk.record"), type="submit", id="reading-submit"),
            spacing="2",
            wrap="wrap",
        ),
        on_submit=RiskPanelState.record,
        reset_on_submit=True,
    )


def indicator_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("activity", size=16),
                rx.text(t("risk.readings"), weight="bold"),
                rx.cond(
                    ~RiskPanelState.manual,
                    rx.text(t("risk.measured_note"), size="1", color_scheme="gray"),
                ),
                align="center",
            ),
            rx.cond(RiskPanelState.can_record, _record_form()),
            rx.cond(
                RiskPanelState.readings.length() > 0,
                scroll_region(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(t(f"risk.col.{c}"))
                                    for c in ("at", "value", "level", "by", "note")
                                ]
                            )
                        ),
                        rx.table.body(
                            rx.foreach(
                                RiskPanelState.readings,
                                lambda r: rx.table.row(
                                    rx.table.cell(r["at"]),
                                    rx.table.cell(r["value"]),
                                    rx.table.cell(
                                        rx.badge(
                                            r["level_label"],
                                            color_scheme=rx.match(
                                                r["level"],
                                                *LEVEL_COLOURS.items(),
                                                "gray",
                                            ),
                                        )
                                    ),
                                    rx.table.cell(r["by"]),
                                    rx.table.cell(r["note"]),
                                ),
                            )
                        ),
                        size="1",
                        width="100%",
                        id="readings",
                    ),
                    t("risk.readings"),
                ),
                rx.text(t("risk.no_readings"), size="2", color_scheme="gray"),
            ),
            width="100%",
        ),
        width="100%",
        on_mount=RiskPanelState.load,
    )
