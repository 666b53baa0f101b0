"""The panels on the webhook subscription and delivery pages (the rest is the generic engine)."""

from __future__ import annotations

import reflex as rx

from pages.ui import t
from state.webhooks import WebhookPanelState


def subscription_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("key-round", size=16),
                rx.text(t("webhook.secret"), weight="bold"),
                align="center",
            ),
            rx.text(t("webhook.secret_note"), size="2", color_scheme="gray"),
            rx.cond(
                WebhookPanelState.secret != "",
                rx.callout(
                    rx.vstack(
                        rx.code(
                            WebhookPanelState.secret,
                            id="webhook-secret",
                            size="3",
                            custom_attrs={"data-lang-free": "true"},
                        ),
                        rx.cond(
                            WebhookPanelState.first_secret,
                            rx.text(t("webhook.secret_first"), size="2", weight="bold"),
                        ),
                        rx.text(t("webhook.secret_once"), size="2"),
                        rx.button(
                            t("webhook.secret_copied"),
                            on_click=WebhookPanelState.forget_secret,
                            variant="soft",
                            size="1",
                        ),
                        spacing="2",
                    ),
                    icon="triangle-alert",
                    color_scheme="amber",
                    width="100%",
                ),
            ),
            rx.cond(
                WebhookPanelState.waiting_for_secret,
                rx.callout(
                    t("webhook.secret_waiting"),
                    icon="clock",
                    color_scheme="gray",
                    width="100%",
                    id="webhook-secret-waiting",
                ),
            ),
            rx.cond(
                WebhookPanelState.can_manage,
                rx.button(
                    t("webhook.rotate_secret"),
                    on_click=WebhookPanelState.rotate_secret,
                    id="webhook-rotate-secret",
                ),
            ),
            width="100%",
        ),
        width="100%",
        on_mount=WebhookPanelState.load,
    )


def delivery_panel() -> rx.Component:
    return rx.box(
        rx.cond(
            WebhookPanelState.can_manage,
            rx.card(
                rx.hstack(
                    rx.text(t("webhook.redeliver_note"), size="2", color_scheme="gray"),
                    rx.button(
                        t("webhook.redeliver"),
                        on_click=WebhookPanelState.redeliver,
                        id="webhook-redeliver",
                    ),
                    align="center",
                    justify="between",
                    width="100%",
                ),
                width="100%",
            ),
        ),
        width="100%",
        on_mount=WebhookPanelState.load,
    )
