"""The bell in the top bar: the caller's notifications grouped by kind, and which kinds reach it."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pages.ui import t
from state.notifications import NotificationState


def _item(n: Any) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon(
                rx.cond(n["severity"] == "info", "info", "triangle-alert"),
                size=14,
                color=rx.cond(n["severity"] == "critical", "red", "orange"),
                flex_shrink="0",
            ),
            rx.vstack(
                rx.text(
                    n["title"],
                    size="2",
                    weight=rx.cond(n["read"], "regular", "bold"),
                ),
                rx.text(n["at"], size="1", color_scheme="gray"),
                spacing="0",
            ),
            align="start",
        ),
        href=n["link"],
        underline="none",
        class_name="notification",
    )


def _group(g: Any) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(g["label"], size="2", weight="medium", color_scheme="gray"),
            rx.cond(
                g["unread"] > 0,
                rx.badge(g["unread_text"], color_scheme="red", radius="full", size="1"),
            ),
            rx.spacer(),
            rx.cond(
                g["unread"] > 0,
                rx.button(
                    t("notify.mark_group_read"),
                    size="1",
                    variant="ghost",
                    on_click=NotificationState.mark_group_read(g["kind"]),
                    class_name="mark-group-read",
                ),
            ),
            align="center",
            width="100%",
        ),
        rx.foreach(g["items"], _item),
        spacing="1",
        width="100%",
        padding_y="0.25em",
        border_top=f"1px solid {rx.color('gray', 4)}",
        class_name="notification-group",
        data_kind=g["kind"],
    )


def preferences_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("notify.settings")),
            rx.dialog.description(t("notify.settings_hint"), size="2", color_scheme="gray"),
            rx.vstack(
                rx.foreach(
                    NotificationState.preferences,
                    lambda p: rx.hstack(
                        rx.text(p["label"], size="2"),
                        rx.spacer(),
                        rx.cond(
                            p["locked"],
                            rx.text(t("notify.always_on"), size="1", color_scheme="gray"),
                        ),
                        rx.switch(
                            checked=p["bell"],
                            disabled=p["locked"],
                            on_change=lambda on: NotificationState.set_bell(p["kind"], on),
                            id="pref-" + p["kind"],
                        ),
                        align="center",
                        width="100%",
                    ),
                ),
                rx.cond(
                    NotificationState.error != "",
                    rx.callout(NotificationState.error, color_scheme="red", icon="triangle-alert"),
                ),
                spacing="3",
                margin_top="1em",
            ),
            rx.flex(
                rx.button(
                    t("notify.done"),
                    variant="soft",
                    on_click=NotificationState.close_settings,
                    id="close-notification-settings",
                ),
                justify="end",
                margin_top="1em",
            ),
            max_width="26em",
        ),
        open=NotificationState.settings_open,
        on_open_change=NotificationState.settings_changed,
    )


def notification_bell() -> rx.Component:
    return rx.fragment(
        rx.popover.root(
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
                            id="mark-all-read",
                        ),
                        rx.tooltip(
                            rx.popover.close(
                                rx.icon_button(
                                    rx.icon("settings-2", size=14),
                                    size="1",
                                    variant="ghost",
                                    on_click=NotificationState.open_settings,
                                    id="notification-settings",
                                ),
                            ),
                            content=t("notify.settings"),
                        ),
                        align="center",
                        width="100%",
                    ),
                    rx.foreach(NotificationState.groups, _group),
                    rx.cond(
                        NotificationState.groups.length() == 0,
                        rx.text(t("notify.none"), size="2", color_scheme="gray"),
                    ),
                    spacing="2",
                    width="min(22em, calc(100vw - 2em))",
                    max_height="28em",
                    overflow_y="auto",
                ),
            ),
            on_open_change=NotificationState.open_bell,
        ),
        preferences_dialog(),
    )
