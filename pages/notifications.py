"""The bell in the top bar: the caller's notifications grouped by kind, and which kinds reach it."""

from __future__ import annotations

import reflex as rx

from pages.ui import t
from state.notifications import NotificationState


def notification_bell() -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(
            rx.box(
                rx.icon_button(rx.icon("bell", size=18), variant="ghost", id="bell"),
                rx.cond(
                    NotificationState.unread > 0,
                    rx.badge(
                        NotificationState.unread_text,
                        color_scheme="red",
                        variant="solid",
                        radius="full",
                        size="1",
                        position="absolute",
                        top="-6px",
                        right="-8px",
                        pointer_events="none",
                        id="bell-count",
                    ),
                ),
                position="relative",
            ),
        ),
        rx.popover.content(
            rx.vstack(
                rx.hstack(
                    rx.text(t("notify.title"), weight="bold"),
                    rx.spacer(),
                    rx.button(
                        t("notify.mark_read"),
                        size="1",
                        variant="ghost",
                        on_click=NotificationState.mark_all_read,
                    ),
                    width="100%",
                ),
                rx.foreach(
                    NotificationState.items,
                    lambda n: rx.link(
                        rx.hstack(
                            rx.icon(
                                rx.cond(n["severity"] == "info", "info", "triangle-alert"),
                                size=14,
                                color=rx.cond(n["severity"] == "critical", "red", "orange"),
                            ),
                            rx.vstack(
                                rx.text(
                                    n["title"],
                                    size="2",
                                    weight=rx.cond(n["read"].to(bool), "regular", "bold"),
                                ),
                                rx.text(n["at"], size="1", color_scheme="gray"),
                                spacing="0",
                            ),
                            align="start",
                        ),
                        href=n["link"].to(str),
                        underline="none",
                        class_name="notification",
                    ),
                ),
                rx.cond(
                    NotificationState.items.length() == 0,
                    rx.text(t("notify.none"), size="2", color_scheme="gray"),
                ),
                spacing="2",
                width="22em",
                max_height="28em",
                overflow_y="auto",
            ),
        ),
        on_open_change=NotificationState.open_bell,
    )
