"""The sign-in page (a placeholder until the identity module lands)."""

from __future__ import annotations

import reflex as rx

from pages.layout import language_switch
from pages.ui import t


def login() -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(rx.spacer(), language_switch(), width="100%"),
                rx.icon("landmark", size=36, color=rx.color("accent", 10)),
                rx.heading(t("app.title"), size="6"),
                rx.text(t("login.subtitle"), color_scheme="gray", size="2"),
                rx.input(placeholder=t("login.username"), disabled=True, width="100%"),
                rx.input(
                    placeholder=t("login.password"), type="password", disabled=True, width="100%"
                ),
                rx.callout(t("login.placeholder_note"), icon="info", size="1"),
                rx.link(
                    rx.button(t("login.enter_demo"), width="100%", id="enter-demo"),
                    href="/",
                    width="100%",
                ),
                spacing="4",
                align="center",
                width="100%",
            ),
            width="24em",
            max_width="92vw",
            padding="2em",
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
    )
