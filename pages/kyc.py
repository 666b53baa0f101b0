"""Panels on the KYC case and customer pages (the rest of those pages is the generic engine)."""

from __future__ import annotations

import reflex as rx

from pages.layout import scroll_region
from pages.ui import t
from state.kyc import KycPanelState


def _identity() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("id-card", size=16),
                rx.text(t("kyc.identity.title"), weight="bold"),
                rx.text(t("kyc.identity.masked_note"), size="1", color_scheme="gray"),
                align="center",
            ),
            rx.grid(
                rx.foreach(
                    KycPanelState.identity,
                    lambda item: rx.hstack(
                        rx.text(item["label"], size="2", color_scheme="gray", min_width="5em"),
                        rx.text(
                            item["value"],
                            size="2",
                            weight="medium",
                            font_family="monospace",
                            id="identity-" + item["field"],
                        ),
                        rx.cond(
                            item["revealed"],
                            rx.badge(t("kyc.revealed_badge"), color_scheme="amber"),
                            rx.cond(
                                KycPanelState.can_reveal,
                                rx.icon_button(
                                    rx.icon("eye", size=12),
                                    size="1",
                                    variant="soft",
                                    on_click=KycPanelState.open_reveal(item["field"]),
                                    id="reveal-" + item["field"],
                                    title=t("kyc.reveal"),
                                ),
                            ),
                        ),
                        align="center",
                        spacing="2",
                    ),
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        width="100%",
    )


def _reveal_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("kyc.reveal_title")),
            rx.dialog.description(t("kyc.reveal_help"), size="2"),
            rx.form(
                rx.vstack(
                    rx.text_area(
                        name="reason",
                        placeholder=t("kyc.reveal_reason_placeholder"),
                        id="reveal-reason",
                        width="100%",
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(t("common.cancel"), variant="soft", type="button")
                        ),
                        rx.button(t("kyc.reveal"), type="submit", id="reveal-submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    padding_top="0.75em",
                ),
                on_submit=KycPanelState.reveal,
                reset_on_submit=True,
            ),
        ),
        open=KycPanelState.reveal_field != "",
        on_open_change=KycPanelState.close_reveal,
    )


def _work_bar() -> rx.Component:
    return rx.hstack(
        rx.icon("user-check", size=16),
        rx.text(t("kyc.officer"), size="2"),
        rx.text(
            rx.cond(KycPanelState.assignee != "", KycPanelState.assignee_name, t("kyc.unassigned")),
            weight="bold",
            size="2",
            id="case-assignee",
        ),
        rx.spacer(),
        rx.cond(
            KycPanelState.is_open & ~KycPanelState.mine & KycPanelState.can_work,
            rx.button(t("kyc.claim"), on_click=KycPanelState.claim, id="case-claim", size="2"),
        ),
        rx.cond(
            KycPanelState.is_open & KycPanelState.mine,
            rx.button(
                t("kyc.release"),
                on_click=KycPanelState.release,
                variant="soft",
                id="case-release",
                size="2",
            ),
        ),
        rx.cond(
            KycPanelState.is_open & KycPanelState.can_work,
            rx.select.root(
                rx.select.trigger(placeholder=t("kyc.reassign")),
                rx.select.content(
                    rx.foreach(
                        KycPanelState.officers,
                        lambda o: rx.select.item(o["label"], value=o["value"]),
                    )
                ),
                on_change=KycPanelState.reassign,
                id="case-reassign",
                size="2",
            ),
        ),
        rx.cond(
            KycPanelState.can_export,
            rx.button(
                rx.icon("package", size=14),
                t("kyc.evidence_pack"),
                on_click=KycPanelState.evidence_pack,
                variant="outline",
                id="case-evidence",
                size="2",
            ),
        ),
        width="100%",
        align="center",
        wrap="wrap",
    )


def _hit(hit: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(hit["list"]),
        rx.table.cell(hit["entry"]),
        rx.table.cell(hit["score"]),
        rx.table.cell(hit["matched_on"]),
        rx.table.cell(
            rx.cond(
                (hit["status"] == "open") & KycPanelState.is_open & KycPanelState.can_work,
                rx.form(
                    rx.hstack(
                        rx.input(name="hit", type="hidden", value=hit["id"]),
                        rx.input(
                            name="reason",
                            placeholder=t("kyc.hit_reason"),
                            size="1",
                            width="14em",
                            class_name="hit-reason",
                        ),
                        rx.select.root(
                            rx.select.trigger(class_name="hit-status"),
                            rx.select.content(
                                rx.select.item(
                                    t("choice.hit_status.false_positive"), value="false_positive"
                                ),
                                rx.select.item(
                                    t("choice.hit_status.true_match"), value="true_match"
                                ),
                            ),
                            name="status",
                            default_value="false_positive",
                            size="1",
                        ),
                        rx.button(t("kyc.dispose"), size="1", type="submit", class_name="hit-save"),
                        spacing="1",
                    ),
                    on_submit=KycPanelState.dispose,
                    key=hit["id"],
                ),
                rx.vstack(
                    rx.badge(hit["status_label"]),
                    rx.text(hit["decided"], size="1", color_scheme="gray"),
                    spacing="1",
                ),
            )
        ),
        class_name="hit-row",
    )


def _hits() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("shield-alert", size=16),
                rx.text(t("kyc.hits_title"), weight="bold"),
                align="center",
            ),
            rx.cond(
                KycPanelState.hits.length() > 0,
                scroll_region(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(t(f"kyc.hit.{c}"))
                                    for c in ("list", "entry", "score", "matched_on", "decision")
                                ]
                            )
                        ),
                        rx.table.body(rx.foreach(KycPanelState.hits, _hit)),
                        width="100%",
                        size="1",
                        id="hits",
                    ),
                    t("kyc.hits_title"),
                ),
                rx.text(t("kyc.no_hits"), size="2", color_scheme="gray", id="no-hits"),
            ),
            width="100%",
        ),
        width="100%",
    )


def _question(question: rx.Var) -> rx.Component:
    key = question["id"]
    return rx.vstack(
        rx.text(question["text"], size="2", weight="medium"),
        rx.select.root(
            rx.select.trigger(placeholder="—", width="100%", class_name="answer"),
            rx.select.content(
                rx.foreach(
                    KycPanelState.options[key],
                    lambda option: rx.select.item(option["label"], value=option["value"]),
                )
            ),
            name="q-" + key,
            size="2",
        ),
        spacing="1",
        width="100%",
    )


def _questionnaire() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("clipboard-list", size=16),
                rx.text(t("kyc.questionnaire_title"), weight="bold"),
                rx.text(
                    rx.cond(
                        KycPanelState.score_text != "",
                        KycPanelState.score_text,
                        t("kyc.not_scored"),
                    ),
                    size="2",
                    color_scheme="gray",
                    id="case-score",
                ),
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                KycPanelState.scored.length() > 0,
                scroll_region(
                    rx.table.root(
                        rx.table.body(
                            rx.foreach(
                                KycPanelState.scored,
                                lambda row: rx.table.row(
                                    rx.table.cell(row["question"]),
                                    rx.table.cell(row["answer"]),
                                    rx.table.cell(row["points"]),
                                ),
                            )
                        ),
                        size="1",
                        width="100%",
                        id="scored-answers",
                    ),
                    t("kyc.questionnaire_title"),
                ),
            ),
            rx.cond(
                KycPanelState.can_score,
                rx.form(
                    rx.vstack(
                        rx.grid(
                            rx.foreach(KycPanelState.questions, _question),
                            columns=rx.breakpoints(initial="1", md="2"),
                            spacing="3",
                            width="100%",
                        ),
                        rx.button(
                            rx.icon("calculator", size=14),
                            t("kyc.score"),
                            type="submit",
                            id="case-score-submit",
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=KycPanelState.score,
                    width="100%",
                ),
            ),
            width="100%",
        ),
        width="100%",
    )


def case_panel() -> rx.Component:
    return rx.vstack(
        _work_bar(),
        _identity(),
        _questionnaire(),
        _hits(),
        _reveal_dialog(),
        width="100%",
        spacing="3",
        on_mount=KycPanelState.load_case,
        id="kyc-panel",
    )


def customer_panel() -> rx.Component:
    return rx.vstack(
        _identity(),
        _hits(),
        _reveal_dialog(),
        width="100%",
        spacing="3",
        on_mount=KycPanelState.load_customer,
        id="kyc-panel",
    )
