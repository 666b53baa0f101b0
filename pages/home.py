"""The overview (home) page and the module pages that show what each module holds."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.engine.resource import all_resources
from backoffice.platform.navigation import MODULES, Module
from pages.layout import page_title, template
from pages.ui import t
from state.auth import SessionState
from state.home import LandingState, OverviewState


def _countable(stat: str) -> rx.Var:
    """Shown while loading ("…") and then only when the caller may count it."""
    return ~OverviewState.loaded | OverviewState.counts.contains(stat)


def stat_card(stat: str) -> rx.Component:
    return rx.cond(_countable(stat), _stat_card(stat))


def _stat_card(stat: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(t(f"stat.{stat}"), size="2", color_scheme="gray"),
            rx.heading(
                rx.cond(OverviewState.loaded, OverviewState.counts[stat], "…"),
                size="7",
                id=f"stat-{stat}",
            ),
            spacing="1",
        ),
        min_width="12em",
    )


def module_card(module: Module) -> rx.Component:
    return rx.cond(SessionState.modules.contains(module.key), _module_link(module))


def _module_link(module: Module) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon(module.icon, size=20, color=rx.color("accent", 10)),
                    rx.heading(t(f"nav.{module.key}"), size="4"),
                    align="center",
                ),
                rx.text(t(f"module.{module.key}.desc"), size="2", color_scheme="gray"),
                rx.hstack(
                    *[
                        rx.cond(
                            _countable(s),
                            rx.badge(
                                t(f"stat.{s}"),
                                ": ",
                                rx.cond(OverviewState.loaded, OverviewState.counts[s], "…"),
                                variant="soft",
                            ),
                        )
                        for s in module.stats
                    ],
                    wrap="wrap",
                ),
                spacing="2",
            ),
            height="100%",
        ),
        href=module.route,
        underline="none",
        id=f"card-{module.key}",
    )


@template("/", "nav.home", on_load=OverviewState.load)
def home() -> rx.Component:
    return rx.vstack(
        page_title("home.title", "home.subtitle"),
        rx.grid(
            *[module_card(m) for m in MODULES],
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            spacing="4",
            width="100%",
        ),
        width="100%",
    )


SHORTCUT_ICONS = ("plus", "coins", "chart-column", "inbox", "kanban", "chart-gantt", "grid-3x3")


def _count_tile(tile: Any) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.heading(tile["shown"], size="7", color_scheme=tile["tone"]),
                rx.text(tile["label"], size="2", color_scheme="gray"),
                spacing="1",
            ),
            height="100%",
        ),
        href=tile["href"],
        underline="none",
        id=tile["id"],
        class_name="landing-count",
    )


def _tiles(tiles: Any) -> rx.Component:
    return rx.grid(
        rx.foreach(tiles, _count_tile),
        columns=rx.breakpoints(initial="2", sm="3", lg="4"),
        spacing="3",
        width="100%",
    )


def _approval(group: Any) -> rx.Component:
    return rx.cond(
        group["count"] > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text(group["label"], weight="medium"),
                    rx.badge(group["shown"], color_scheme="amber", radius="full"),
                    align="center",
                ),
                rx.foreach(
                    group["items"],
                    lambda item: rx.link(item["title"], href=item["href"], size="2"),
                ),
                spacing="2",
            ),
            id=group["id"],
            width="100%",
        ),
    )


def _shortcut(shortcut: Any) -> rx.Component:
    return rx.link(
        rx.button(
            rx.match(
                shortcut["icon"],
                *[(name, rx.icon(name, size=16)) for name in SHORTCUT_ICONS],
                rx.icon("arrow-right", size=16),
            ),
            shortcut["label"],
            variant="soft",
        ),
        href=shortcut["href"],
    )


def _section(title_key: str, *children: rx.Component, **props: Any) -> rx.Component:
    return rx.vstack(
        rx.heading(t(title_key), size="4"),
        *children,
        spacing="3",
        width="100%",
        **props,
    )


def module_page(module: Module) -> None:
    @template(
        module.route,
        f"nav.{module.key}",
        on_load=[OverviewState.load, LandingState.load(module.key)],
    )
    def page() -> rx.Component:
        return rx.vstack(
            rx.vstack(
                rx.heading(t(f"nav.{module.key}"), size="6", id="page-title"),
                rx.text(t(f"module.{module.key}.desc"), color_scheme="gray"),
                spacing="1",
                margin_bottom="0.5em",
            ),
            rx.cond(
                LandingState.shortcuts.length() > 0,
                rx.flex(rx.foreach(LandingState.shortcuts, _shortcut), wrap="wrap", gap="2"),
            ),
            rx.cond(
                LandingState.work.length() > 0,
                _section("landing.work", _tiles(LandingState.work), id="landing-work"),
            ),
            rx.cond(
                LandingState.approvals.length() > 0,
                _section(
                    "landing.approvals",
                    rx.text(t("landing.approvals_hint"), size="1", color_scheme="gray"),
                    rx.cond(
                        LandingState.has_approvals,
                        rx.grid(
                            rx.foreach(LandingState.approvals, _approval),
                            columns=rx.breakpoints(initial="1", md="2"),
                            spacing="3",
                            width="100%",
                        ),
                        rx.text(t("landing.nothing_waiting"), size="2", id="nothing-waiting"),
                    ),
                    id="landing-approvals",
                ),
            ),
            _section(
                "landing.figures",
                _tiles(LandingState.figures),
                rx.hstack(*[stat_card(s) for s in module.stats], wrap="wrap", spacing="3"),
            ),
            _section(
                "landing.lists",
                rx.flex(
                    *[
                        rx.link(
                            rx.card(
                                rx.hstack(
                                    rx.icon(r.icon, size=18),
                                    rx.text(t(f"resource.{r.key}"), weight="medium"),
                                ),
                            ),
                            href=r.route,
                            id=f"open-{r.key}",
                        )
                        for r in all_resources()
                        if r.module == module.key
                    ],
                    *[
                        rx.cond(
                            SessionState.reports.contains(route),
                            rx.link(
                                rx.card(
                                    rx.hstack(
                                        rx.icon(icon, size=18),
                                        rx.text(t(label), weight="medium"),
                                    )
                                ),
                                href=route,
                                id=f"open-{route.strip('/').replace('/', '-')}",
                            ),
                        )
                        for label, route, icon, _resource in module.reports
                    ],
                    wrap="wrap",
                    gap="3",
                ),
            ),
            width="100%",
            spacing="5",
        )

    page.__name__ = f"{module.key}_page"


for _module in MODULES:
    # KPI's own page is the dashboard (pages/kpi.py), the audit module's the log, the
    # integrations module's its API clients (pages/integrations.py)
    if _module.key not in ("admin", "kpi", "audit", "integrations"):
        module_page(_module)
