"""The panel on the questionnaire page (the rest is the generic engine)."""

from __future__ import annotations

import reflex as rx

from pages.ui import t
from state.questionnaire import QuestionnairePanelState


def questionnaire_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("clipboard-list", size=16),
                rx.text(t("questionnaire.preview"), weight="bold"),
                rx.text(t("questionnaire.max_score"), size="2", color_scheme="gray"),
                rx.text(
                    QuestionnairePanelState.max_score,
                    size="2",
                    weight="bold",
                    id="questionnaire-max",
                ),
                rx.spacer(),
                rx.cond(
                    QuestionnairePanelState.can_copy,
                    rx.button(
                        rx.icon("copy-plus", size=14),
                        t("questionnaire.new_version"),
                        on_click=QuestionnairePanelState.new_version,
                        variant="outline",
                        id="questionnaire-new-version",
                    ),
                ),
                align="center",
                width="100%",
            ),
            rx.hstack(
                rx.foreach(
                    QuestionnairePanelState.bands,
                    lambda b: rx.badge(b["band"] + " " + b["range"], variant="soft", size="2"),
                ),
                wrap="wrap",
                id="questionnaire-bands",
            ),
            rx.foreach(
                QuestionnairePanelState.questions,
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
                href="/r/risk_question?questionnaire_id="
                + QuestionnairePanelState.questionnaire_id.to(str),
                size="2",
            ),
            width="100%",
            spacing="2",
        ),
        width="100%",
        on_mount=QuestionnairePanelState.load,
    )
