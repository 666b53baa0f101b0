"""PMO pages: the project plan (Gantt with baseline and forecast/actual, dependencies and
today's line; the health rule; the milestone list with filters and the move dialog; indicators
and evaluations per phase; the plan-adjustment log) and the risk heat map."""

from __future__ import annotations

import reflex as rx

from backoffice.domains.projects.rules import BEHIND_POINTS, RED_SLIP_DAYS, RISK_HIGH, RISK_MEDIUM
from backoffice.i18n import catalogue
from models.projects import ProjectPhase
from pages.charts import chart
from pages.layout import scroll_region, template
from pages.ui import date_input, t
from state.projects import ALL, ProjectPlanState, RiskMapState
from state.ui import UIState


def _both(key: str, **numbers: int) -> rx.Var:
    """A label with the rule's numbers filled in, in the language the browser shows."""
    return rx.cond(
        UIState.lang == "en",
        catalogue("en")[key].format(**numbers),
        catalogue("zh")[key].format(**numbers),
    )


RESOURCE_LINKS = (
    ("resource.milestone", "/r/milestone"),
    ("resource.project_task", "/r/project_task"),
    ("resource.project_risk", "/r/project_risk"),
    ("resource.project_indicator", "/r/project_indicator"),
    ("resource.plan_adjustment", "/r/plan_adjustment"),
    ("resource.baseline_reset", "/r/baseline_reset"),
)


def _rag_badge(rag: rx.Var, **props: object) -> rx.Component:
    return rx.badge(
        rx.match(
            rag,
            ("red", t("project.rag.red")),
            ("amber", t("project.rag.amber")),
            t("project.rag.green"),
        ),
        color_scheme=rx.match(rag, ("red", "red"), ("amber", "amber"), "green"),
        variant="solid",
        **props,
    )


def _section(title_key: str, *children: rx.Component, **props: object) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(t(title_key), size="4"), *children, spacing="3", width="100%"),
        width="100%",
        **props,
    )


def _project_picker(state: type[ProjectPlanState] | type[RiskMapState]) -> rx.Component:
    return rx.hstack(
        rx.text(t("project.project"), size="2"),
        rx.select.root(
            rx.select.trigger(id="project-picker"),
            rx.select.content(
                rx.foreach(state.projects, lambda p: rx.select.item(p["label"], value=p["id"]))
            ),
            value=state.project_id,
            on_change=state.pick_project,
        ),
        align="center",
        spacing="2",
    )


def _summary() -> rx.Component:
    def stat(key: str, value: rx.Var) -> rx.Component:
        return rx.vstack(
            rx.text(t(key), size="1", color_scheme="gray"),
            rx.text(value, size="5", weight="bold"),
            spacing="0",
        )

    return rx.hstack(
        rx.vstack(
            rx.text(t("project.overall"), size="1", color_scheme="gray"),
            _rag_badge(ProjectPlanState.overall, size="3", id="project-health"),
            spacing="1",
        ),
        stat("project.total", ProjectPlanState.counts["total"]),
        stat("project.done", ProjectPlanState.counts["done"]),
        stat("project.rag.red", ProjectPlanState.counts["red"]),
        stat("project.rag.amber", ProjectPlanState.counts["amber"]),
        stat("project.rag.green", ProjectPlanState.counts["green"]),
        spacing="6",
        wrap="wrap",
        align="center",
    )


def _filters() -> rx.Component:
    return rx.hstack(
        rx.text(t("project.phase"), size="2"),
        rx.select.root(
            rx.select.trigger(id="filter-phase"),
            rx.select.content(
                rx.select.item(t("project.all"), value=ALL),
                *[
                    rx.select.item(t(f"choice.project_phase.{p}"), value=p.value)
                    for p in ProjectPhase
                ],
            ),
            value=ProjectPlanState.phase,
            on_change=ProjectPlanState.filter_phase,
        ),
        rx.text(t("project.owner"), size="2"),
        rx.select.root(
            rx.select.trigger(id="filter-owner"),
            rx.select.content(
                rx.select.item(t("project.all"), value=ALL),
                rx.foreach(ProjectPlanState.owners, lambda o: rx.select.item(o, value=o)),
            ),
            value=ProjectPlanState.owner,
            on_change=ProjectPlanState.filter_owner,
        ),
        rx.text(t("project.health"), size="2"),
        rx.select.root(
            rx.select.trigger(id="filter-health"),
            rx.select.content(
                rx.select.item(t("project.all"), value=ALL),
                *[
                    rx.select.item(t(f"project.rag.{r}"), value=r)
                    for r in ("red", "amber", "green")
                ],
            ),
            value=ProjectPlanState.rag,
            on_change=ProjectPlanState.filter_rag,
        ),
        spacing="2",
        align="center",
        wrap="wrap",
    )


MILESTONE_COLUMNS = (
    "project.milestone",
    "project.health",
    "project.progress",
    "project.slip",
    "project.baseline",
    "project.forecast",
    "project.actual",
    "project.earliest",
    "project.predecessor",
    "project.phase",
    "project.owner",
)


def _milestone_row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(r["name"], href="/r/milestone/record?id=" + r["id"])),
        rx.table.cell(
            rx.hstack(
                _rag_badge(r["rag"]),
                rx.text(r["why"], size="1", color_scheme="gray"),
                spacing="1",
                align="center",
            )
        ),
        rx.table.cell(r["progress"]),
        rx.table.cell(r["slip"]),
        rx.table.cell(r["baseline"]),
        rx.table.cell(r["forecast"]),
        rx.table.cell(r["actual"]),
        rx.table.cell(r["earliest"], class_name="earliest"),
        rx.table.cell(r["predecessor"]),
        rx.table.cell(r["phase"]),
        rx.table.cell(r["owner"]),
        rx.table.cell(
            rx.cond(
                ProjectPlanState.can_edit,
                rx.button(
                    t("project.move"),
                    size="1",
                    variant="soft",
                    on_click=ProjectPlanState.open_move(r["id"]),
                    id="move-" + r["id"],
                ),
            )
        ),
        class_name="milestone-row",
        id="milestone-" + r["id"],
    )


def _milestones() -> rx.Component:
    return _section(
        "project.milestones",
        _filters(),
        rx.box(
            scroll_region(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[rx.table.column_header_cell(t(c)) for c in MILESTONE_COLUMNS],
                            rx.table.column_header_cell(""),
                        )
                    ),
                    rx.table.body(rx.foreach(ProjectPlanState.shown, _milestone_row)),
                    size="1",
                    width="100%",
                    white_space="nowrap",
                    id="milestone-table",
                ),
                t("project.milestones"),
            ),
            overflow_x="auto",
            width="100%",
        ),
    )


def _date_field(name: str, label_key: str) -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), size="2"),
        date_input(
            name=name,
            default_value=ProjectPlanState.move_dates[name],
            key=ProjectPlanState.move_id + "-" + ProjectPlanState.move_dates[name],
            id=f"move-{name.replace('_', '-')}",
        ),
        spacing="1",
    )


def _move_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("project.move_title")),
            rx.text(ProjectPlanState.move_name, weight="bold", id="move-name"),
            rx.text(t("project.move_help"), size="1", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    rx.grid(
                        _date_field("forecast_start", "project.forecast_start"),
                        _date_field("forecast_end", "project.forecast_end"),
                        _date_field("actual_start", "project.actual_start"),
                        _date_field("actual_end", "project.actual_end"),
                        columns="2",
                        spacing="3",
                        width="100%",
                    ),
                    rx.text(t("project.reason"), size="2"),
                    rx.text_area(name="reason", id="move-reason", width="100%", required=True),
                    rx.cond(
                        ProjectPlanState.move_error != "",
                        rx.callout(
                            ProjectPlanState.move_error,
                            color_scheme="red",
                            size="1",
                            id="move-error",
                        ),
                    ),
                    rx.hstack(
                        rx.button(
                            t("common.cancel"),
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=ProjectPlanState.close_move,
                        ),
                        rx.button(t("project.move_save"), type="submit", id="move-save"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=ProjectPlanState.move,
                reset_on_submit=False,
                key=ProjectPlanState.move_id,
            ),
            id="move-dialog",
        ),
        open=ProjectPlanState.move_open,
    )


def _small_table(
    rows: rx.Var,
    columns: tuple[str, ...],
    keys: tuple[str, ...],
    label: rx.Var,
    wraps: tuple[str, ...] = (),
    **props: object,
) -> rx.Component:
    """A plain table; only the ``wraps`` columns break their lines (wide enough to be read)."""
    return scroll_region(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(t(c)) for c in columns])),
            rx.table.body(
                rx.foreach(
                    rows,
                    lambda r: rx.table.row(
                        *[
                            rx.table.cell(r[k], white_space="normal", min_width="16em")
                            if k in wraps
                            else rx.table.cell(r[k], white_space="nowrap")
                            for k in keys
                        ]
                    ),
                )
            ),
            size="1",
            width="100%",
            **props,
        ),
        label,
    )


@template(
    "/projects/gantt", "project.plan_title", on_load=ProjectPlanState.load, active_route="/projects"
)
def project_plan() -> rx.Component:
    return rx.vstack(
        rx.heading(t("project.plan_title"), size="6", id="page-title"),
        _project_picker(ProjectPlanState),
        _summary(),
        rx.callout(
            _both("project.rule", red=RED_SLIP_DAYS, behind=BEHIND_POINTS),
            icon="info",
            size="1",
            color_scheme="gray",
            width="100%",
            id="health-rule",
        ),
        _section(
            "project.gantt",
            rx.text(t("project.gantt_help"), size="1", color_scheme="gray"),
            chart(ProjectPlanState.gantt, id="gantt", width="100%"),
        ),
        _milestones(),
        rx.grid(
            _section(
                "project.indicators",
                _small_table(
                    ProjectPlanState.indicators,
                    (
                        "project.phase",
                        "project.kind",
                        "project.name",
                        "project.target",
                        "project.actual_value",
                        "project.assessment",
                        "project.recorded_on",
                    ),
                    ("phase", "kind", "name", "target", "actual", "assessment", "on"),
                    t("project.indicators"),
                    id="indicator-table",
                ),
            ),
            _section(
                "project.adjustments",
                _small_table(
                    ProjectPlanState.adjustments,
                    (
                        "project.when",
                        "project.milestone",
                        "project.kind",
                        "project.field",
                        "project.change",
                        "project.reason",
                        "project.by",
                        "project.pushed_by",
                    ),
                    ("at", "milestone", "kind", "field", "change", "reason", "by", "cause"),
                    t("project.adjustments"),
                    wraps=("reason",),
                    id="adjustment-table",
                ),
            ),
            columns="1",
            spacing="4",
            width="100%",
        ),
        rx.hstack(
            *[rx.link(t(key), href=href, size="2") for key, href in RESOURCE_LINKS],
            spacing="4",
            wrap="wrap",
        ),
        _move_dialog(),
        width="100%",
        spacing="4",
    )


LEVEL_COLOURS = (("high", "var(--red-9)"), ("medium", "var(--amber-9)"), "var(--green-9)")


def _heat_cell(cell: rx.Var) -> rx.Component:
    return rx.tooltip(
        rx.center(
            rx.text(cell["count"], weight="bold", size="5", color="white"),
            background=rx.match(cell["level"], *LEVEL_COLOURS),
            opacity=rx.cond(cell["count"] == "", "0.35", "1"),
            width="64px",
            height="56px",
            border_radius="6px",
            class_name="heat-cell",
            id="heat-" + cell["p"] + "-" + cell["i"],
        ),
        content=cell["titles"],
    )


def _heat_map() -> rx.Component:
    return rx.vstack(
        rx.text(t("project.impact") + " ↑", size="2"),
        rx.vstack(
            rx.foreach(
                RiskMapState.cells,
                lambda row: rx.hstack(
                    rx.text(row[0]["i"], size="2", width="1.5em"),
                    rx.foreach(row, _heat_cell),
                    spacing="1",
                    align="center",
                ),
            ),
            rx.hstack(
                rx.box(width="1.5em"),
                *[rx.center(rx.text(str(p), size="2"), width="64px") for p in range(1, 6)],
                spacing="1",
            ),
            rx.center(rx.text(t("project.probability") + " →", size="2"), width="100%"),
            spacing="1",
            id="heat-map",
        ),
        spacing="1",
    )


@template(
    "/projects/risks", "project.risk_map", on_load=RiskMapState.load, active_route="/projects"
)
def risk_map() -> rx.Component:
    return rx.vstack(
        rx.heading(t("project.risk_map"), size="6", id="page-title"),
        _project_picker(RiskMapState),
        rx.callout(
            _both("project.risk_bands", high=RISK_HIGH, medium=RISK_MEDIUM),
            icon="info",
            size="1",
            color_scheme="gray",
            width="100%",
            id="risk-bands",
        ),
        rx.grid(
            _section("project.heat_map", _heat_map()),
            _section(
                "project.open_risks",
                scroll_region(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(t(c))
                                    for c in (
                                        "project.risk",
                                        "project.probability",
                                        "project.impact",
                                        "project.score",
                                        "project.strategy",
                                        "project.status",
                                        "project.review_date",
                                    )
                                ]
                            )
                        ),
                        rx.table.body(
                            rx.foreach(
                                RiskMapState.risks,
                                lambda r: rx.table.row(
                                    rx.table.cell(
                                        rx.link(
                                            r["title"], href="/r/project_risk/record?id=" + r["id"]
                                        )
                                    ),
                                    rx.table.cell(r["p"]),
                                    rx.table.cell(r["i"]),
                                    rx.table.cell(
                                        rx.badge(
                                            r["score"],
                                            color_scheme=rx.match(
                                                r["level"],
                                                ("high", "red"),
                                                ("medium", "amber"),
                                                "green",
                                            ),
                                            variant="solid",
                                        )
                                    ),
                                    rx.table.cell(r["strategy"]),
                                    rx.table.cell(r["status"]),
                                    rx.table.cell(r["review"]),
                                    class_name="risk-row",
                                ),
                            )
                        ),
                        size="1",
                        width="100%",
                        white_space="nowrap",
                        id="risk-table",
                    ),
                    t("project.open_risks"),
                ),
            ),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        rx.link(t("resource.project_risk"), href="/r/project_risk", size="2"),
        width="100%",
        spacing="4",
    )
