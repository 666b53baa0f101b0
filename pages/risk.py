"""Panels on the risk indicator and questionnaire pages (the rest is the generic engine)."""

from __future__ import annotations

import reflex as rx

from pages.layout import scroll_region
from pages.resource import RECORD_PANELS
from pages.ui import t
from state.risk import QuestionnairePanelState as Q
from state.risk import RiskPanelState as R

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
        on_submit=R.record,
        reset_on_submit=True,
    )


def indicator_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("activity", size=16),
                rx.text(t("risk.readings"), weight="bold"),
                rx.cond(
                    ~R.manual,
                    rx.text(t("risk.measured_note"), size="1", color_scheme="gray"),
                ),
                align="center",
            ),
            rx.cond(R.can_record, _record_form()),
            rx.cond(
                R.readings.length() > 0,
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
                                R.readings,
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
        on_mount=R.load,
    )


def questionnaire_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("clipboard-list", size=16),
                rx.text(t("questionnaire.preview"), weight="bold"),
                rx.text(t("questionnaire.max_score"), size="2", color_scheme="gray"),
                rx.text(Q.max_score, size="2", weight="bold", id="questionnaire-max"),
                rx.spacer(),
                rx.cond(
                    Q.can_copy,
                    rx.button(
                        rx.icon("copy-plus", size=14),
                        t("questionnaire.new_version"),
                        on_click=Q.new_version,
                        variant="outline",
                        id="questionnaire-new-version",
                    ),
                ),
                align="center",
                width="100%",
            ),
            rx.hstack(
                rx.foreach(
                    Q.bands,
                    lambda b: rx.badge(b["band"] + " " + b["range"], variant="soft", size="2"),
                ),
                wrap="wrap",
                id="questionnaire-bands",
            ),
            rx.foreach(
                Q.questions,
                lambda q: rx.vstack(
                    rx.hstack(
                        rx.text(q["text"], size="2", weight="medium"),
                        rx.text(q["weight"], size="1", color_scheme="gray"),
                    ),
                    rx.text(q["answers"], size="1", color_scheme="gray"),
                    spacing="0",
                    class_name="questionnaire-question",
                ),
            ),
            rx.link(
                t("questionnaire.edit_questions"),
                href="/r/risk_question?questionnaire_id=" + Q.questionnaire_id.to(str),
                size="2",
            ),
            width="100%",
            spacing="2",
        ),
        width="100%",
        on_mount=Q.load,
    )


RECORD_PANELS["risk_indicator"] = indicator_panel
RECORD_PANELS["questionnaire"] = questionnaire_panel
