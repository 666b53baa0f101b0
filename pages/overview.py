"""The overview (home) page and the module pages that show what each module holds."""

from __future__ import annotations

import reflex as rx

from backoffice.engine.resource import all_resources
from backoffice.navigation import MODULES, Module
from pages.layout import page_title, template
from pages.ui import t
from state.auth import SessionState
from state.overview import OverviewState


def stat_card(stat: str) -> rx.Component:
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
                        rx.badge(
                            t(f"stat.{s}"),
                            ": ",
                            rx.cond(OverviewState.loaded, OverviewState.counts[s], "…"),
                            variant="soft",
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


def module_page(module: Module) -> None:
    @template(module.route, f"nav.{module.key}", on_load=OverviewState.load)
    def page() -> rx.Component:
        return rx.vstack(
            rx.vstack(
                rx.heading(t(f"nav.{module.key}"), size="6", id="page-title"),
                rx.text(t(f"module.{module.key}.desc"), color_scheme="gray"),
                spacing="1",
                margin_bottom="1em",
            ),
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
                            rx.hstack(rx.icon(icon, size=18), rx.text(t(label), weight="medium"))
                        ),
                        href=route,
                        id=f"open-{route.strip('/').replace('/', '-')}",
                    ),
                )
                for label, route, icon, _resource in module.reports
            ],
            rx.callout(t("module.placeholder"), icon="info", width="100%"),
            rx.hstack(*[stat_card(s) for s in module.stats], wrap="wrap", spacing="4"),
            width="100%",
            spacing="4",
        )

    page.__name__ = f"{module.key}_page"


for _module in MODULES:
    # KPI's own page is the dashboard (pages/kpi.py), the audit module's the log
    if _module.key not in ("admin", "kpi", "audit"):
        module_page(_module)
