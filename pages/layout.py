"""The shell around every signed-in page: sidebar of modules, top bar, content."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from backoffice.engine.resource import all_resources
from backoffice.i18n import translate
from backoffice.platform.navigation import MODULES
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
            if r.module == m.key and r.label("zh") != translate(f"nav.{m.key}", "zh")
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
        display=["none", "none", "none", "block"],
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
                rx.icon_button(
                    rx.icon("menu"),
                    variant="ghost",
                    aria_label=t("topbar.navigation"),
                    id="nav-menu",
                ),
            ),
            rx.drawer.overlay(z_index="5"),
            rx.drawer.portal(
                rx.drawer.content(
                    rx.vstack(
                        rx.drawer.close(
                            rx.icon_button(
                                rx.icon("x"), variant="ghost", aria_label=t("common.close")
                            )
                        ),
                        *_nav_items(active_route),
                        spacing="1",
                        width="100%",
                    ),
                    top="auto",
                    right="auto",
                    height="100%",
                    width="16em",
                    max_width="85vw",
                    padding="1em",
                    overflow_y="auto",
                    background_color=rx.color("gray", 1),
                ),
            ),
            direction="left",
        ),
        display=["block", "block", "block", "none"],
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


# Below this width the top bar is compact: the short title, the bell and one menu holding the
# language, theme and account actions; from it up, every control sits in the bar.
WIDE = ["none", "none", "none", "none", "flex"]
NARROW = ["flex", "flex", "flex", "flex", "none"]


def _account_actions() -> rx.Component:
    """The language, theme and account controls in the bar (wide screens)."""
    return rx.hstack(
        language_switch(),
        rx.tooltip(
            rx.icon_button(
                rx.color_mode_cond(rx.icon("moon"), rx.icon("sun")),
                on_click=rx.toggle_color_mode,
                variant="ghost",
                id="theme-toggle",
            ),
            content=t("topbar.theme"),
        ),
        rx.icon("circle-user", size=20),
        rx.text(SessionState.user_name, size="2", id="current-user", white_space="nowrap"),
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
        spacing="3",
        display=WIDE,
    )


def _menu_item(icon: str, label: rx.Component | rx.Var, element_id: str, **props) -> rx.Component:
    return rx.menu.item(
        rx.hstack(rx.icon(icon, size=16), label, align="center", spacing="2"),
        id=element_id,
        **props,
    )


def account_menu() -> rx.Component:
    """The same controls in one menu behind the user's icon (phones and tablets)."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(
                rx.icon("circle-user", size=20),
                variant="ghost",
                aria_label=t("topbar.account_menu"),
                id="account-menu",
            ),
        ),
        rx.menu.content(
            rx.text(
                SessionState.user_name,
                size="2",
                weight="medium",
                padding_x="0.75em",
                padding_y="0.25em",
                id="menu-user",
            ),
            rx.menu.separator(),
            rx.menu.item(
                "中文",
                on_click=UIState.set_language("zh"),
                id="menu-lang-zh",
                disabled=UIState.lang == "zh",
            ),
            rx.menu.item(
                "English",
                on_click=UIState.set_language("en"),
                id="menu-lang-en",
                disabled=UIState.lang == "en",
            ),
            rx.menu.separator(),
            _menu_item("sun-moon", t("topbar.theme"), "menu-theme", on_click=rx.toggle_color_mode),
            rx.cond(
                SessionState.can_self_appraise,
                _menu_item(
                    "star",
                    t("hr.my_appraisal"),
                    "menu-appraisals",
                    on_click=rx.redirect("/me/appraisals"),
                ),
            ),
            _menu_item(
                "key-round",
                t("password.change"),
                "menu-password",
                on_click=AccountState.open_password_dialog,
            ),
            _menu_item(
                "log-out",
                t("topbar.sign_out"),
                "menu-sign-out",
                on_click=SessionState.sign_out,
                color="red",
            ),
            align="end",
        ),
    )


def top_bar(active_route: str) -> rx.Component:
    return rx.hstack(
        mobile_menu(active_route),
        rx.heading(t("app.title"), size="4", id="app-title", white_space="nowrap", display=WIDE),
        rx.heading(
            t("app.short"),
            size="3",
            white_space="nowrap",
            overflow="hidden",
            text_overflow="ellipsis",
            min_width="0",
            display=NARROW,
        ),
        rx.spacer(),
        notification_bell(),
        _account_actions(),
        rx.box(account_menu(), display=NARROW),
        align="center",
        spacing=rx.breakpoints(initial="3", lg="4"),
        padding_x=rx.breakpoints(initial="0.75em", sm="1.5em"),
        padding_y=rx.breakpoints(initial="0.4em", sm="0.75em"),
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        width="100%",
        min_width="0",
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


SCROLL_HINTS = "/scroll_hints.js"  # a file, not an inline script: the CSP lets it run


def shell(content: rx.Component, active_route: str) -> rx.Component:
    return rx.hstack(
        rx.script(src=SCROLL_HINTS),
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


def scroll_region(
    content: rx.Component, label: rx.Var | str, min_width: str | None = None, **props: object
) -> rx.Component:
    """A wide table or board that scrolls sideways inside its own box, never the page: a
    labelled region (keyboard-scrollable) with a hint above it while it is wider than its box.
    ``min_width`` (of what it holds) keeps columns readable instead of squeezing them."""
    return rx.box(
        rx.hstack(
            rx.icon("move-horizontal", size=14),
            rx.text(t("layout.scroll_hint"), size="1"),
            color=rx.color("gray", 10),
            align="center",
            spacing="1",
            justify="end",
            padding_bottom="0.25em",
            class_name="scroll-hint",
        ),
        rx.box(
            content,
            role="region",
            aria_label=label,
            tab_index=0,
            overflow_x="auto",
            width="100%",
            max_width="100%",
            class_name="scroll-region",
            # a header never breaks a character a line; the table scrolls instead
            style={"& th": {"white_space": "nowrap"}, "& > *": {"min_width": min_width}}
            if min_width
            else {"& th": {"white_space": "nowrap"}},
        ),
        width="100%",
        max_width="100%",
        min_width="0",
        # SCROLL_HINTS marks the box while its content is wider than the region
        style={
            "& > .scroll-hint": {"display": "none"},
            "&[data-overflowing] > .scroll-hint": {"display": "flex"},
        },
        **props,
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
