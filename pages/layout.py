"""The shell around every signed-in page: sidebar of modules, top bar, content."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from backoffice.engine.resource import all_resources
from backoffice.i18n import translate
from backoffice.navigation import MODULES
from pages.notifications import notification_bell
from pages.ui import t
from state.account import AccountState
from state.auth import SessionState, StepUpState, gates_its_page
from state.ui import UIState

SIDEBAR_WIDTH = "15em"


def _nav_item(key: str, route: str, icon: str, active: bool) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=18),
            rx.text(t(f"nav.{key}"), size="2", weight="medium"),
            align="center",
            spacing="3",
            padding_x="0.75em",
            padding_y="0.5em",
            border_radius="var(--radius-2)",
            width="100%",
            background=rx.cond(active, rx.color("accent", 4), "transparent"),
            color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 12)),
            _hover={"background": rx.color("accent", 3)},
        ),
        href=route,
        underline="none",
        width="100%",
        id=f"nav-{key}",
    )


def _sub_item(label_key: str, route: str, icon: str, element_id: str) -> rx.Component:
    """An indented entry under a module: one of its resources or reports."""
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=14),
            rx.text(t(label_key), size="1"),
            align="center",
            spacing="2",
            padding_left="2.4em",
            padding_y="0.2em",
            color=rx.color("gray", 11),
            _hover={"color": rx.color("accent", 11)},
        ),
        href=route,
        underline="none",
        id=element_id,
    )


def _resource_item(key: str, route: str, icon: str) -> rx.Component:
    return rx.cond(
        SessionState.resources.contains(key),
        _sub_item(f"resource.{key}", route, icon, f"nav-resource-{key}"),
    )


def _link_item(label_key: str, route: str, icon: str) -> rx.Component:
    return _sub_item(label_key, route, icon, "nav-" + route.strip("/").replace("/", "-"))


def _nav_items(active_route: str) -> list[rx.Component]:
    items = [_nav_item("home", "/", "house", active_route == "/")]
    for m in MODULES:
        items.append(
            rx.cond(
                SessionState.modules.contains(m.key),
                _nav_item(m.key, m.route, m.icon, active_route.startswith(m.route)),
            )
        )
        items += [
            rx.cond(SessionState.reports.contains(route), _link_item(label, route, icon))
            for label, route, icon, _resource in m.reports
        ]
        # a resource that is the module itself (Products in 理财产品) needs no second entry
        items += [
            _resource_item(r.key, r.route, r.icon)
            for r in all_resources()
            if r.module == m.key and r.label_zh != translate(f"nav.{m.key}", "zh")
        ]
    return items


def sidebar(active_route: str) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.icon("landmark", size=22, color=rx.color("accent", 10)),
                rx.heading(t("app.short"), size="4"),
                align="center",
                padding="0.75em",
            ),
            rx.vstack(*_nav_items(active_route), spacing="1", width="100%"),
            width="100%",
            spacing="3",
        ),
        display=["none", "none", "block"],
        width=SIDEBAR_WIDTH,
        min_width=SIDEBAR_WIDTH,
        height="100vh",
        position="sticky",
        top="0",
        padding="0.75em",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
        overflow_y="auto",
        id="sidebar",
    )


def mobile_menu(active_route: str) -> rx.Component:
    return rx.box(
        rx.drawer.root(
            rx.drawer.trigger(
                rx.icon_button(rx.icon("menu"), variant="ghost", aria_label="menu"),
            ),
            rx.drawer.overlay(z_index="5"),
            rx.drawer.portal(
                rx.drawer.content(
                    rx.vstack(
                        rx.drawer.close(rx.icon_button(rx.icon("x"), variant="ghost")),
                        *_nav_items(active_route),
                        spacing="1",
                        width="100%",
                    ),
                    top="auto",
                    right="auto",
                    height="100%",
                    width="16em",
                    padding="1em",
                    background_color=rx.color("gray", 1),
                ),
            ),
            direction="left",
        ),
        display=["block", "block", "none"],
    )


def language_switch() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item("中文", value="zh"),
        rx.segmented_control.item("English", value="en"),
        value=UIState.lang,
        on_change=UIState.set_language,
        size="1",
        id="language-switch",
    )


def top_bar(active_route: str) -> rx.Component:
    return rx.hstack(
        mobile_menu(active_route),
        rx.heading(t("app.title"), size="4", id="app-title"),
        rx.spacer(),
        language_switch(),
        notification_bell(),
        rx.tooltip(
            rx.icon_button(
                rx.color_mode_cond(rx.icon("moon"), rx.icon("sun")),
                on_click=rx.toggle_color_mode,
                variant="ghost",
                id="theme-toggle",
            ),
            content=t("topbar.theme"),
        ),
        rx.hstack(
            rx.icon("circle-user", size=20),
            rx.text(SessionState.user_name, size="2", id="current-user"),
            rx.cond(
                SessionState.can_self_appraise,
                rx.tooltip(
                    rx.link(
                        rx.icon_button(rx.icon("star", size=16), variant="ghost"),
                        href="/me/appraisals",
                        id="my-appraisals",
                    ),
                    content=t("hr.my_appraisal"),
                ),
            ),
            rx.tooltip(
                rx.icon_button(
                    rx.icon("key-round", size=16),
                    on_click=AccountState.open_password_dialog,
                    variant="ghost",
                    id="change-password",
                ),
                content=t("password.change"),
            ),
            rx.tooltip(
                rx.icon_button(
                    rx.icon("log-out", size=16),
                    on_click=SessionState.sign_out,
                    variant="ghost",
                    id="sign-out",
                ),
                content=t("topbar.sign_out"),
            ),
            align="center",
            spacing="2",
        ),
        align="center",
        spacing="4",
        padding_x="1.5em",
        padding_y="0.75em",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        width="100%",
        position="sticky",
        top="0",
        background=rx.color("gray", 1),
        z_index="3",
    )


def step_up_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("stepup.title")),
            rx.dialog.description(t("stepup.description"), size="2"),
            rx.form(
                rx.vstack(
                    rx.input(
                        name="code",
                        placeholder="123456",
                        auto_complete="one-time-code",
                        input_mode="numeric",
                        max_length=6,
                        id="step-up-code",
                        width="100%",
                    ),
                    rx.cond(StepUpState.error != "", rx.text(StepUpState.error, color="red")),
                    rx.hstack(
                        rx.button(
                            t("common.cancel"),
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=StepUpState.close,
                        ),
                        rx.button(t("stepup.verify"), type="submit", id="step-up-submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    margin_top="1em",
                ),
                on_submit=StepUpState.submit,
                reset_on_submit=True,
            ),
        ),
        open=StepUpState.open,
    )


def _password_field(name: str, label_key: str, autocomplete: str) -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), size="2", weight="medium"),
        rx.input(
            name=name, type="password", auto_complete=autocomplete, width="100%", id=f"pw-{name}"
        ),
        spacing="1",
        width="100%",
    )


def password_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("password.change")),
            rx.dialog.description(t("password.change_help"), size="2"),
            rx.form(
                rx.vstack(
                    _password_field("current_password", "password.current", "current-password"),
                    _password_field("new_password", "password.new", "new-password"),
                    _password_field("confirm_password", "password.confirm", "new-password"),
                    rx.cond(
                        AccountState.error != "",
                        rx.text(AccountState.error, color="red", size="2", id="pw-error"),
                    ),
                    rx.hstack(
                        rx.button(
                            t("common.cancel"),
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=AccountState.close_password_dialog,
                        ),
                        rx.button(t("common.save"), type="submit", id="pw-submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    margin_top="1em",
                ),
                on_submit=AccountState.change_password,
            ),
        ),
        open=AccountState.password_dialog_open,
    )


def shell(content: rx.Component, active_route: str) -> rx.Component:
    return rx.hstack(
        step_up_dialog(),
        password_dialog(),
        sidebar(active_route),
        rx.vstack(
            top_bar(active_route),
            rx.box(content, padding=["1em", "1.5em", "2em"], width="100%", max_width="90em"),
            spacing="0",
            width="100%",
            min_width="0",
        ),
        spacing="0",
        width="100%",
        align="start",
    )


def page_title(title_key: str, subtitle_key: str | None = None) -> rx.Component:
    return rx.vstack(
        rx.heading(t(title_key), size="6", id="page-title"),
        rx.text(t(subtitle_key), color_scheme="gray") if subtitle_key else rx.fragment(),
        spacing="1",
        margin_bottom="1.5em",
    )


def template(
    route: str,
    title_key: str,
    on_load: Callable | list | None = None,
    active_route: str | None = None,
) -> Callable:
    """Register a page at ``route`` wrapped in the shell (``active_route`` lights the sidebar)."""

    def decorator(page: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        def wrapped() -> rx.Component:
            return shell(page(), active_route or route)

        wrapped.__name__ = page.__name__
        loads = on_load if isinstance(on_load, list) else [on_load] if on_load else []
        if not (loads and gates_its_page(loads[0])):
            loads = [SessionState.gate, *loads]
        registered_pages.append((route, title_key, wrapped, loads))
        return wrapped

    return decorator


registered_pages: list[tuple[str, str, Callable[[], rx.Component], Callable | list | None]] = []
