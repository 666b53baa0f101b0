"""HR pages: overview (headcount against plan with a chart, the organisation chart, training
gaps, time to hire), the hiring board, and the appraisal desk."""

from __future__ import annotations

import reflex as rx

from pages.charts import chart
from pages.layout import scroll_region, template
from pages.ui import t
from state.hr import (
    RATINGS,
    AppraisalDeskState,
    EmployeePanelState,
    HiringBoardState,
    HrOverviewState,
)


def _section(title_key: str, *children: rx.Component, **props: object) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(t(title_key), size="4"), *children, spacing="3", width="100%"),
        width="100%",
        **props,
    )


def _headcount() -> rx.Component:
    return _section(
        "hr.headcount",
        rx.hstack(
            rx.text(t("hr.quarter"), size="2"),
            rx.select(
                HrOverviewState.quarters,
                value=HrOverviewState.quarter,
                on_change=HrOverviewState.pick_quarter,
                id="hr-quarter",
            ),
            rx.text(t("hr.headcount_help"), size="1", color_scheme="gray"),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        chart(HrOverviewState.headcount_chart, width="100%", id="hr-headcount-chart"),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(k))
                            for k in ("hr.team", "hr.planned", "hr.actual", "hr.gap")
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        HrOverviewState.headcount,
                        lambda r: rx.table.row(
                            rx.table.cell(r["team"]),
                            rx.table.cell(r["planned"]),
                            rx.table.cell(r["actual"]),
                            rx.table.cell(
                                rx.text(r["gap"], color=rx.cond(r["short"], "red", "inherit"))
                            ),
                            class_name="headcount-row",
                        ),
                    ),
                    rx.table.row(
                        rx.table.cell(rx.text(t("hr.total"), weight="bold")),
                        rx.table.cell(rx.text(HrOverviewState.total["planned"], weight="bold")),
                        rx.table.cell(
                            rx.text(HrOverviewState.total["actual"], weight="bold"),
                            id="headcount-actual",
                        ),
                        rx.table.cell(rx.text(HrOverviewState.total["gap"], weight="bold")),
                    ),
                ),
                width="100%",
                variant="surface",
                id="headcount-table",
            ),
            t("hr.headcount"),
        ),
        id="hr-headcount",
    )


def _org_chart() -> rx.Component:
    return _section(
        "hr.org_chart",
        rx.vstack(
            rx.foreach(
                HrOverviewState.org,
                lambda n: rx.hstack(
                    rx.icon("corner-down-right", size=14, color=rx.color("gray", 8)),
                    rx.link(n["name"], href="/r/employee/record?id=" + n["id"], weight="medium"),
                    rx.text(n["position"], size="2", color_scheme="gray"),
                    rx.badge(n["team"], variant="soft", size="1"),
                    rx.cond(
                        n["reports"] != "",
                        rx.text("· " + n["reports"], size="1", color_scheme="gray"),
                    ),
                    padding_left=n["indent"],
                    align="center",
                    spacing="2",
                    class_name="org-node",
                ),
            ),
            spacing="1",
            width="100%",
            max_height="32em",
            overflow_y="auto",
        ),
        id="hr-org-chart",
    )


def _training_gaps() -> rx.Component:
    return _section(
        "hr.training_gaps",
        rx.text(t("hr.training_gaps_help"), size="1", color_scheme="gray"),
        rx.hstack(
            rx.badge(
                HrOverviewState.gaps.length().to(str) + " ", t("hr.gaps_open"), color_scheme="amber"
            ),
            rx.badge(
                HrOverviewState.overdue_gaps.to(str) + " ", t("hr.gaps_overdue"), color_scheme="red"
            ),
        ),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(k))
                            for k in ("hr.employee", "hr.program", "hr.due")
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        HrOverviewState.gaps,
                        lambda g: rx.table.row(
                            rx.table.cell(
                                rx.link(
                                    g["employee"], href="/r/employee/record?id=" + g["employee_id"]
                                )
                            ),
                            rx.table.cell(g["program"]),
                            rx.table.cell(
                                rx.text(g["due"], color=rx.cond(g["overdue"], "red", "inherit"))
                            ),
                            class_name="gap-row",
                        ),
                    )
                ),
                width="100%",
                size="1",
            ),
            t("hr.training_gaps"),
        ),
        max_height="36em",
        overflow_y="auto",
        id="hr-training-gaps",
    )


def _time_to_hire() -> rx.Component:
    columns = ("hr.channel", "hr.applicants", "hr.hired", "hr.rejected", "hr.days_to_hire")
    return _section(
        "hr.time_to_hire",
        rx.text(t("hr.time_to_hire_help"), size="1", color_scheme="gray"),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(*[rx.table.column_header_cell(t(k)) for k in columns])
                ),
                rx.table.body(
                    rx.foreach(
                        HrOverviewState.hiring,
                        lambda r: rx.table.row(
                            *[
                                rx.table.cell(r[k])
                                for k in ("channel", "applicants", "hired", "rejected", "days")
                            ],
                            class_name="hiring-row",
                        ),
                    )
                ),
                width="100%",
                size="1",
            ),
            t("hr.time_to_hire"),
        ),
        id="hr-time-to-hire",
    )


@template("/hr/overview", "hr.overview", on_load=HrOverviewState.load, active_route="/hr")
def overview() -> rx.Component:
    return rx.vstack(
        rx.heading(t("hr.overview"), size="6", id="page-title"),
        rx.grid(
            _headcount(),
            _org_chart(),
            rx.cond(HrOverviewState.can_train, _training_gaps()),
            rx.cond(HrOverviewState.can_hire, _time_to_hire()),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
            align_items="start",
        ),
        width="100%",
        spacing="4",
    )


def _card(card: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.link(card["name"], href="/r/candidate/record?id=" + card["id"], weight="bold"),
            rx.text(card["opening"], size="1"),
            rx.hstack(
                rx.badge(card["channel"], variant="soft", size="1"),
                rx.text(card["applied"], size="1", color_scheme="gray"),
                rx.text("· " + card["days"] + "d", size="1", color_scheme="gray"),
                spacing="1",
                wrap="wrap",
            ),
            rx.cond(
                card["employee_id"] != "",
                rx.link(
                    t("hr.employee_record"),
                    href="/r/employee/record?id=" + card["employee_id"],
                    size="1",
                    class_name="employee-link",
                ),
            ),
            rx.hstack(
                rx.foreach(
                    card["moves"],
                    lambda m: rx.el.span(
                        rx.button(
                            m["label"],
                            size="1",
                            variant=rx.cond(m["key"] == "reject", "soft", "solid"),
                            color_scheme=rx.cond(m["key"] == "reject", "red", "indigo"),
                            on_click=HiringBoardState.move(card["id"], card["version"], m["key"]),
                            disabled=m["reason"] != "",
                            class_name="move-" + m["key"],
                        ),
                        title=m["reason"],  # a disabled button shows no tooltip of its own
                    ),
                ),
                spacing="1",
                wrap="wrap",
            ),
            rx.foreach(
                card["moves"],
                lambda m: rx.cond(
                    m["reason"] != "",
                    rx.text(
                        m["label"] + "：" + m["reason"],
                        size="1",
                        color_scheme="gray",
                        class_name="move-reason-" + m["key"],
                    ),
                ),
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        size="1",
        class_name="candidate-card",
        data_name=card["name"],
    )


@template("/hr/hiring", "hr.hiring_board", on_load=HiringBoardState.load, active_route="/hr")
def hiring_board() -> rx.Component:
    return rx.vstack(
        rx.heading(t("hr.hiring_board"), size="6", id="page-title"),
        rx.text(t("hr.hiring_help"), size="2", color_scheme="gray"),
        rx.hstack(
            rx.text(t("hr.opening"), size="2"),
            rx.select.root(
                rx.select.trigger(placeholder=t("hr.all_openings"), id="hiring-opening"),
                rx.select.content(
                    rx.foreach(
                        HiringBoardState.openings,
                        lambda o: rx.select.item(o["title"], value=o["id"]),
                    )
                ),
                value=HiringBoardState.opening,
                on_change=HiringBoardState.pick_opening,
            ),
            rx.cond(
                HiringBoardState.opening != "",
                rx.button(
                    t("hr.all_openings"),
                    variant="ghost",
                    on_click=HiringBoardState.pick_opening(""),
                ),
            ),
            align="center",
            spacing="2",
        ),
        rx.cond(
            HiringBoardState.message != "",
            rx.callout(HiringBoardState.message, icon="info", color_scheme="red"),
        ),
        rx.grid(
            rx.foreach(
                HiringBoardState.columns,
                lambda column: rx.vstack(
                    rx.hstack(
                        rx.text(column["label"], weight="bold"),
                        rx.badge(column["count"]),
                        align="center",
                    ),
                    rx.foreach(column["cards"], _card),
                    width="100%",
                    min_width="0",
                    padding="0.5em",
                    background=rx.color("gray", 2),
                    border_radius="var(--radius-3)",
                    spacing="2",
                    id="stage-" + column["stage"],
                ),
            ),
            # the stages wrap onto further rows rather than scroll sideways
            grid_template_columns="repeat(auto-fill, minmax(11em, 1fr))",
            align_items="start",
            spacing="3",
            width="100%",
            padding_bottom="1em",
        ),
        width="100%",
        spacing="3",
    )


def _rating_select(name: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder=t("hr.rating")),
        rx.select.content(*[rx.select.item(r, value=r) for r in RATINGS]),
        name=name,
    )


def _hidden(row: rx.Var) -> list[rx.Component]:
    return [
        rx.el.input(type="hidden", name="id", value=row["id"]),
        rx.el.input(type="hidden", name="version", value=row["version"]),
    ]


def _mine() -> rx.Component:
    m = AppraisalDeskState.mine
    return _section(
        "hr.my_appraisal",
        rx.cond(
            m.contains("id"),
            rx.vstack(
                rx.badge(m["status_label"], id="my-appraisal-status"),
                rx.text(t("hr.goals"), weight="bold", size="2"),
                rx.text(m["goals"], size="2", white_space="pre-wrap"),
                rx.cond(
                    m["status"] == "open",
                    rx.form(
                        *_hidden(m),
                        rx.text_area(
                            name="self_assessment",
                            placeholder=t("hr.self_assessment"),
                            rows="5",
                            width="100%",
                            id="self-assessment",
                        ),
                        rx.button(t("hr.submit_self"), type="submit", id="submit-self"),
                        on_submit=AppraisalDeskState.submit_self,
                        key=m["id"] + "-" + m["version"],
                        reset_on_submit=False,
                        width="100%",
                    ),
                    rx.vstack(
                        rx.text(t("hr.self_assessment"), weight="bold", size="2"),
                        rx.text(m["self_assessment"], size="2", white_space="pre-wrap"),
                        rx.text(t("hr.manager_rating"), ": ", m["manager_rating_label"], size="2"),
                        rx.text(m["manager_comment"], size="2", color_scheme="gray"),
                        rx.text(t("hr.final_rating"), ": ", m["final_rating_label"], size="2"),
                        spacing="1",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            rx.text(
                rx.cond(AppraisalDeskState.no_employee, t("hr.no_employee"), t("hr.no_appraisal")),
                size="2",
                color_scheme="gray",
            ),
        ),
        id="my-appraisal",
    )


def _rating_cell(
    row: rx.Var,
    waiting_in: str,
    inputs: tuple[str, str, str],
    submit: tuple[str, rx.EventHandler],
    shown: tuple[str, str],
) -> rx.Component:
    """A rating form while the appraisal waits for it (``waiting_in``), else what was given."""
    rating, note, note_label = inputs
    return rx.table.cell(
        rx.cond(
            row["status"] == waiting_in,
            rx.form(
                *_hidden(row),
                rx.hstack(
                    _rating_select(rating),
                    rx.input(name=note, placeholder=t(note_label), width="13em"),
                    rx.button(t(submit[0]), type="submit", size="2"),
                    spacing="2",
                    wrap="wrap",
                ),
                on_submit=submit[1],
                reset_on_submit=False,
                key=row["id"] + "-" + row["version"],
            ),
            rx.text(row[shown[0]], " ", row[shown[1]], size="2"),
        )
    )


def _report_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.text(row["employee"], weight="medium"), rx.text(row["position"], size="1")
        ),
        rx.table.cell(rx.badge(row["status_label"])),
        rx.table.cell(rx.text(row["self_assessment"], size="1", white_space="pre-wrap")),
        _rating_cell(
            row,
            "self_assessed",
            ("rating", "comment", "hr.comment"),
            ("hr.submit_rating", AppraisalDeskState.submit_rating),
            ("manager_rating_label", "manager_comment"),
        ),
        class_name="report-appraisal",
        data_name=row["employee"],
    )


def _reports() -> rx.Component:
    return _section(
        "hr.my_reports",
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(k))
                            for k in ("hr.employee", "hr.status", "hr.self_assessment", "hr.rating")
                        ]
                    )
                ),
                rx.table.body(rx.foreach(AppraisalDeskState.reports, _report_row)),
                width="100%",
            ),
            t("hr.my_reports"),
        ),
        id="my-reports",
    )


def _calibration_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["employee"]),
        rx.table.cell(row["manager_rating_label"], rx.text(row["rated_by"], size="1")),
        rx.table.cell(rx.text(row["manager_comment"], size="1")),
        _rating_cell(
            row,
            "rated",
            ("final_rating", "note", "hr.calibration_note"),
            ("hr.calibrate", AppraisalDeskState.submit_calibration),
            ("final_rating_label", "calibration_note"),
        ),
        class_name="calibration-row",
    )


def _calibration() -> rx.Component:
    return _section(
        "hr.calibration",
        rx.text(t("hr.calibration_help"), size="1", color_scheme="gray"),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(k))
                            for k in ("hr.rating", "hr.manager_rating", "hr.final_rating")
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        AppraisalDeskState.distribution,
                        lambda d: rx.table.row(
                            rx.table.cell(d["rating"]),
                            rx.table.cell(d["manager"]),
                            rx.table.cell(d["final"]),
                        ),
                    )
                ),
                size="1",
                id="rating-distribution",
            ),
            t("hr.calibration"),
        ),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(k))
                            for k in (
                                "hr.employee",
                                "hr.manager_rating",
                                "hr.comment",
                                "hr.final_rating",
                            )
                        ]
                    )
                ),
                rx.table.body(rx.foreach(AppraisalDeskState.calibration, _calibration_row)),
                width="100%",
            ),
            t("hr.calibration"),
        ),
        id="calibration",
    )


@template("/me/appraisals", "hr.appraisals", on_load=AppraisalDeskState.load, active_route="/me")
def appraisals() -> rx.Component:
    return rx.vstack(
        rx.heading(t("hr.appraisals"), size="6", id="page-title"),
        rx.hstack(
            rx.text(t("hr.cycle"), size="2"),
            rx.select.root(
                rx.select.trigger(id="appraisal-cycle"),
                rx.select.content(
                    rx.foreach(
                        AppraisalDeskState.cycles,
                        lambda c: rx.select.item(c["name"], value=c["id"]),
                    )
                ),
                value=AppraisalDeskState.cycle_id,
                on_change=AppraisalDeskState.pick_cycle,
            ),
            align="center",
            spacing="2",
        ),
        _mine(),
        rx.cond(AppraisalDeskState.reports.length() > 0, _reports()),
        rx.cond(AppraisalDeskState.can_calibrate, _calibration()),
        width="100%",
        spacing="4",
    )


def _small_table(
    rows: rx.Var, columns: tuple[str, ...], keys: tuple[str, ...], label: rx.Var
) -> rx.Component:
    return scroll_region(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(t(c)) for c in columns])),
            rx.table.body(
                rx.foreach(rows, lambda r: rx.table.row(*[rx.table.cell(r[k]) for k in keys]))
            ),
            size="1",
            width="100%",
        ),
        label,
    )


def employee_panel() -> rx.Component:
    return rx.card(
        rx.grid(
            rx.vstack(
                rx.text(t("hr.file.training"), weight="bold"),
                _small_table(
                    EmployeePanelState.training,
                    ("hr.program", "hr.file.date", "hr.file.hours", "hr.file.result"),
                    ("program", "date", "hours", "result"),
                    t("hr.file.training"),
                ),
                spacing="2",
                id="employee-training",
            ),
            rx.vstack(
                rx.text(t("hr.file.appraisals"), weight="bold"),
                _small_table(
                    EmployeePanelState.appraisals,
                    ("hr.cycle", "hr.status", "hr.manager_rating", "hr.final_rating"),
                    ("cycle", "status", "manager", "final"),
                    t("hr.file.appraisals"),
                ),
                rx.text(t("hr.file.promotions"), weight="bold"),
                _small_table(
                    EmployeePanelState.promotions,
                    ("hr.file.change", "hr.file.effective", "hr.status"),
                    ("change", "date", "status"),
                    t("hr.file.promotions"),
                ),
                spacing="2",
                id="employee-appraisals",
            ),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        width="100%",
        on_mount=EmployeePanelState.load,
        id="employee-panel",
    )
