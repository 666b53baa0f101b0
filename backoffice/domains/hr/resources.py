"""HR: teams and their managers, employees (salary encrypted, readable by HR and executives
only), the headcount plan, openings and candidates through the hiring stages, training
programmes, sessions and attendance, appraisal cycles, team KPIs, appraisals and promotions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from backoffice.domains.hr import rules
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Queue, Resource, register
from backoffice.engine.workflow import Transition as T
from backoffice.engine.workflow import Workflow
from backoffice.i18n import translate
from models.hr import (
    Appraisal,
    AppraisalCycle,
    AppraisalStatus,
    Candidate,
    CandidateStage,
    Employee,
    EmployeeStatus,
    HeadcountPlan,
    HiringChannel,
    JobOpening,
    OpeningStatus,
    Promotion,
    PromotionStatus,
    Rating,
    Team,
    TeamKpi,
    TrainingKind,
    TrainingProgram,
    TrainingRecord,
    TrainingResult,
    TrainingSession,
)

SALARY_READ = ("salary", "view")
SALARY_EDIT = ("salary", "edit")


def _salary(name: str) -> F:
    return F(
        name,
        kind="money",
        min_value=0,
        encrypted=True,
        read_permission=SALARY_READ,
        edit_permission=SALARY_EDIT,
        help=True,
    )


def _team_summary(
    session: Any, team: Any, lang: str, _principal: Any = None
) -> list[tuple[str, str]]:
    members = session.execute(
        sa.select(sa.func.count()).where(
            Employee.team_id == team.id, Employee.status != EmployeeStatus.LEFT
        )
    ).scalar_one()
    return [(translate("summary.team.staff", lang), str(members))]


TEAM = register(
    Resource(
        key="team",
        model=Team,
        permission="employee",
        module="hr",
        icon="network",
        fields=(
            F("code", required=True, max_length=40, fixed=True),
            F("name_zh", required=True, max_length=100),
            F("name_en", required=True, max_length=100),
            F("manager_id", kind="ref", ref="employee"),
        ),
        list_columns=("code", "name_zh", "name_en", "manager_id"),
        title_field="name_zh",
        search_fields=("code", "name_zh", "name_en"),
        default_sort="id",
        summary=_team_summary,
        importable=False,
    )
)


def _employee_rules(values: dict[str, Any]) -> dict[str, str]:
    errors = {}
    if values.get("status") == EmployeeStatus.LEFT and not values.get("left_on"):
        errors["left_on"] = "hr.left_needs_date"
    if values.get("status") != EmployeeStatus.LEFT and values.get("left_on"):
        errors["left_on"] = "hr.left_date_only_when_left"
    left_on, hired = values.get("left_on"), values.get("hire_date")
    if left_on and hired and left_on < hired:
        errors["left_on"] = "hr.left_before_hire"
    return errors


def _employee_summary(
    session: Any, employee: Any, lang: str, _principal: Any = None
) -> list[tuple[str, str]]:
    accounts = rules.accounts_of(session, employee.id)
    reports = len(rules.reports_of(session, employee.id))
    years = (rules.local_today() - employee.hire_date).days / 365.25
    return [
        (translate("summary.employee.accounts", lang), ", ".join(accounts) or "—"),
        (translate("summary.employee.direct_reports", lang), str(reports)),
        (translate("summary.employee.years_of_service", lang), f"{max(years, 0):.1f}"),
    ]


def _employee_edit_guard(record: Any, changes: dict[str, Any]) -> dict[str, str]:
    if "manager_id" in changes and changes["manager_id"] == record.id:
        return {"manager_id": "hr.own_manager"}
    return {}


def _employee_before_create(session: Any, principal: Any, values: dict[str, Any]) -> dict[str, str]:
    if not values.get("employee_no"):
        values["employee_no"] = rules.next_employee_no(session)
    return {}


EMPLOYEE = register(
    Resource(
        key="employee",
        model=Employee,
        permission="employee",
        module="hr",
        icon="user-round",
        fields=(
            F("employee_no", max_length=20, fixed=True, help=True),
            F("name", required=True, max_length=100),
            F("team_id", kind="ref", ref="team", required=True),
            F("position", required=True, max_length=100),
            F("grade", max_length=10),
            F("manager_id", kind="ref", ref="employee"),
            F("hire_date", kind="date", required=True),
            F(
                "status",
                kind="choice",
                required=True,
                choices=tuple(EmployeeStatus),
                choice_group="employee_status",
            ),
            F("left_on", kind="date"),
            F("email", max_length=200),
            F("phone", max_length=40),
            _salary("salary"),
        ),
        list_columns=(
            "employee_no",
            "name",
            "team_id",
            "position",
            "grade",
            "manager_id",
            "hire_date",
            "status",
        ),
        title_field="name",
        filters=("team_id", "status", "hire_date", "grade"),
        search_fields=("employee_no", "name", "position"),
        default_sort="employee_no",
        validator=_employee_rules,
        before_create=_employee_before_create,
        edit_guard=_employee_edit_guard,
        summary=_employee_summary,
        archivable=False,  # people leave (status), records stay
    )
)


def _quarter_rule(value: Any) -> str | None:
    try:
        rules.quarter_bounds(str(value))
    except rules.HrError:
        return "hr.bad_quarter"
    return None


HEADCOUNT_PLAN = register(
    Resource(
        key="headcount_plan",
        model=HeadcountPlan,
        permission="employee",
        module="hr",
        icon="users",
        fields=(
            F("team_id", kind="ref", ref="team", required=True),
            F("quarter", required=True, max_length=7, validator=_quarter_rule, help=True),
            F("planned", kind="int", required=True, min_value=0, max_value=10_000),
        ),
        list_columns=("quarter", "team_id", "planned"),
        title_field="quarter",
        filters=("team_id", "quarter"),
        default_sort="-quarter",
    )
)


JOB_OPENING = register(
    Resource(
        key="job_opening",
        model=JobOpening,
        permission="hiring",
        module="hr",
        icon="briefcase",
        fields=(
            F("title", required=True, max_length=200),
            F("team_id", kind="ref", ref="team", required=True),
            F("headcount", kind="int", required=True, min_value=1, max_value=100),
            F(
                "status",
                kind="choice",
                required=True,
                choices=tuple(OpeningStatus),
                choice_group="opening_status",
            ),
            F("opened_on", kind="date", required=True),
            F("closed_on", kind="date"),
            F("description", kind="longtext", max_length=10_000),
        ),
        list_columns=("title", "team_id", "headcount", "status", "opened_on", "closed_on"),
        title_field="title",
        filters=("team_id", "status", "opened_on"),
        search_fields=("title",),
    )
)


def _opening_still_open(session: Any, candidate: Any) -> str | None:
    """An offer or a hire only for an opening still recruiting (not filled, not closed)."""
    opening = session.get(JobOpening, candidate.opening_id)
    if opening is None or opening.status != OpeningStatus.OPEN:
        return "hr.opening_not_open"
    return None


def _on_hired(candidate: Any) -> dict[str, Any]:
    return {"hired_on": rules.local_today()}


C = CandidateStage
CANDIDATE_WORKFLOW = Workflow(
    state_field="stage",
    states=tuple(C),
    initial=C.APPLIED,
    editable_in=(C.APPLIED, C.SCREENED, C.INTERVIEWED, C.OFFER),
    transitions=(
        T("screen", (C.APPLIED,), C.SCREENED),
        T("interview", (C.SCREENED,), C.INTERVIEWED),
        T(
            "offer",
            (C.INTERVIEWED,),
            C.OFFER,
            required_fields=("offer_salary",),
            guard=_opening_still_open,
        ),
        T(
            "hire",
            (C.OFFER,),
            C.HIRED,
            required_fields=("start_on", "offer_salary"),
            guard=_opening_still_open,
            effect=_on_hired,
            after=rules.hire,
        ),
        T(
            "reject",
            (C.APPLIED, C.SCREENED, C.INTERVIEWED, C.OFFER),
            C.REJECTED,
            required_fields=("rejection_reason",),
        ),
    ),
)

CANDIDATE = register(
    Resource(
        key="candidate",
        model=Candidate,
        permission="hiring",
        module="hr",
        icon="user-plus",
        fields=(
            F("name", required=True, max_length=100),
            F("opening_id", kind="ref", ref="job_opening", required=True),
            F(
                "channel",
                kind="choice",
                required=True,
                choices=tuple(HiringChannel),
                choice_group="hiring_channel",
            ),
            F(
                "stage",
                kind="choice",
                required=True,
                choices=tuple(C),
                choice_group="candidate_stage",
                editable=False,
            ),
            F("applied_on", kind="date", required=True),
            F("email", max_length=200),
            _salary("offer_salary"),
            F("start_on", kind="date", help=True),
            F("hired_on", kind="date", editable=False),
            F("employee_id", kind="ref", ref="employee", editable=False),
            F("notes", kind="longtext", max_length=10_000),
            F("rejection_reason", kind="longtext", max_length=2000),
        ),
        list_columns=("name", "opening_id", "channel", "stage", "applied_on", "hired_on"),
        title_field="name",
        filters=("opening_id", "channel", "stage", "applied_on"),
        search_fields=("name", "email"),
        workflow=CANDIDATE_WORKFLOW,
        queues=(
            Queue(
                "in_process",
                lambda p: Candidate.stage.in_((C.APPLIED, C.SCREENED, C.INTERVIEWED, C.OFFER)),
            ),
            Queue("offers", lambda p: Candidate.stage == C.OFFER),
        ),
        attachments=True,
        attachment_categories=("resume", "offer_letter"),
    )
)


TRAINING_PROGRAM = register(
    Resource(
        key="training_program",
        model=TrainingProgram,
        permission="training",
        module="hr",
        icon="graduation-cap",
        fields=(
            F("title", required=True, max_length=200),
            F(
                "kind",
                kind="choice",
                required=True,
                choices=tuple(TrainingKind),
                choice_group="training_kind",
            ),
            F("mandatory", kind="bool"),
            F("hours", kind="decimal", min_value=0, max_value=1000),
            F("due_within_days", kind="int", min_value=0, max_value=3650),
        ),
        list_columns=("title", "kind", "mandatory", "hours", "due_within_days"),
        title_field="title",
        filters=("kind", "mandatory"),
        search_fields=("title",),
    )
)

TRAINING_SESSION = register(
    Resource(
        key="training_session",
        model=TrainingSession,
        permission="training",
        module="hr",
        icon="calendar-days",
        fields=(
            F("program_id", kind="ref", ref="training_program", required=True),
            F("held_on", kind="date", required=True),
            F("trainer", max_length=100),
            F("location", max_length=200),
            F("hours", kind="decimal", min_value=0, max_value=1000),
        ),
        list_columns=("held_on", "program_id", "trainer", "location", "hours"),
        title_field="held_on",
        filters=("program_id", "held_on"),
        default_sort="-held_on",
    )
)


def _attendance_from_session(
    session: Any, principal: Any, values: dict[str, Any]
) -> dict[str, str]:
    """An attendance at a session takes the session's programme and day (hours default to the
    session's); without a session both must be given."""
    if values.get("session_id"):
        held = session.get(TrainingSession, values["session_id"])
        if held is None:
            return {"session_id": "field.not_found"}
        if values.get("program_id") not in (None, held.program_id):
            return {"session_id": "hr.session_other_programme"}
        values["program_id"] = held.program_id
        values["attended_on"] = values.get("attended_on") or held.held_on
        if not values.get("hours"):
            values["hours"] = held.hours
    missing = {n: "field.required" for n in ("program_id", "attended_on") if not values.get(n)}
    return missing


TRAINING_RECORD = register(
    Resource(
        key="training_record",
        model=TrainingRecord,
        permission="training",
        module="hr",
        icon="clipboard-check",
        fields=(
            F("employee_id", kind="ref", ref="employee", required=True),
            F("program_id", kind="ref", ref="training_program", help=True),
            F("session_id", kind="ref", ref="training_session"),
            F("attended_on", kind="date", help=True),
            F("hours", kind="decimal", min_value=0, max_value=1000),
            F(
                "result",
                kind="choice",
                required=True,
                choices=tuple(TrainingResult),
                choice_group="training_result",
            ),
        ),
        list_columns=("attended_on", "employee_id", "program_id", "hours", "result"),
        title_field="attended_on",
        filters=("employee_id", "program_id", "result", "attended_on"),
        default_sort="-attended_on",
        before_create=_attendance_from_session,
    )
)


def _period_rule(values: dict[str, Any]) -> dict[str, str]:
    start, end = values.get("period_start"), values.get("period_end")
    if start and end and end < start:
        return {"period_end": "hr.period_order"}
    return {}


def _cycle_appraisals(session: Any, principal: Any, cycle: Any) -> None:
    """A new cycle opens an appraisal for everyone on the books, to be filled in."""
    staff = session.execute(
        sa.select(Employee.id).where(
            Employee.status != EmployeeStatus.LEFT,
            Employee.archived_at.is_(None),
            Employee.hire_date <= cycle.period_end,
        )
    ).scalars()
    for employee_id in staff:
        session.add(Appraisal(cycle_id=cycle.id, employee_id=employee_id))
    session.flush()


def _cycle_summary(
    session: Any, cycle: Any, lang: str, _principal: Any = None
) -> list[tuple[str, str]]:
    counts = dict(
        session.execute(
            sa.select(Appraisal.status, sa.func.count())
            .where(Appraisal.cycle_id == cycle.id)
            .group_by(Appraisal.status)
        ).all()
    )
    from backoffice.i18n import choice_label

    return [
        (choice_label("appraisal_status", s.value, lang), str(counts.get(s.value, 0)))
        for s in AppraisalStatus
    ] + [(translate("summary.appraisal_cycle.appraisals", lang), str(sum(counts.values())))]


APPRAISAL_CYCLE = register(
    Resource(
        key="appraisal_cycle",
        model=AppraisalCycle,
        permission="appraisal",
        module="hr",
        icon="calendar-check",
        fields=(
            F("name", required=True, max_length=100),
            F("period_start", kind="date", required=True),
            F("period_end", kind="date", required=True),
            F(
                "status",
                kind="choice",
                required=True,
                choices=("open", "closed"),
                choice_group="cycle_status",
                editable=False,
            ),
        ),
        list_columns=("name", "period_start", "period_end", "status"),
        title_field="name",
        filters=("status",),
        default_sort="-period_start",
        validator=_period_rule,
        after_create=_cycle_appraisals,
        summary=_cycle_summary,
        workflow=Workflow(
            state_field="status",
            states=("open", "closed"),
            initial="open",
            transitions=(
                T(
                    "close",
                    ("open",),
                    "closed",
                    action="approve",
                    maker_checker_exempt=(
                        "a cycle's dates are no one's appraisal: each appraisal is rated by "
                        "the manager and calibrated by someone else (services/hr.calibrate)"
                    ),
                ),
                T(
                    "reopen",
                    ("closed",),
                    "open",
                    action="approve",
                    maker_checker_exempt="reopening lets the appraisals be worked on again",
                ),
            ),
        ),
        opens_module=False,
    )
)

TEAM_KPI = register(
    Resource(
        key="team_kpi",
        model=TeamKpi,
        permission="appraisal",
        module="hr",
        icon="target",
        fields=(
            F("cycle_id", kind="ref", ref="appraisal_cycle", required=True),
            F("team_id", kind="ref", ref="team", required=True),
            F("name", required=True, max_length=200),
            F("unit", max_length=20),
            F("target", kind="decimal", required=True),
            F("actual", kind="decimal"),
            F("weight", kind="int", min_value=0, max_value=100),
        ),
        list_columns=("cycle_id", "team_id", "name", "target", "actual", "unit", "weight"),
        title_field="name",
        filters=("cycle_id", "team_id"),
        search_fields=("name",),
        opens_module=False,
    )
)

APPRAISAL = register(
    Resource(
        key="appraisal",
        model=Appraisal,
        permission="appraisal",
        module="hr",
        icon="star",
        fields=(
            F("cycle_id", kind="ref", ref="appraisal_cycle", required=True, fixed=True),
            F("employee_id", kind="ref", ref="employee", required=True, fixed=True),
            F(
                "status",
                kind="choice",
                required=True,
                choices=tuple(AppraisalStatus),
                choice_group="appraisal_status",
                editable=False,
            ),
            F("goals", kind="longtext", max_length=4000),
            F("self_assessment", kind="longtext", editable=False),
            F(
                "manager_rating",
                kind="choice",
                choices=tuple(Rating),
                choice_group="rating",
                editable=False,
            ),
            F("manager_comment", kind="longtext", editable=False),
            F("rated_by", editable=False, person=True),
            F(
                "final_rating",
                kind="choice",
                choices=tuple(Rating),
                choice_group="rating",
                editable=False,
            ),
            F("calibration_note", kind="longtext", editable=False),
        ),
        list_columns=(
            "cycle_id",
            "employee_id",
            "status",
            "manager_rating",
            "rated_by",
            "final_rating",
        ),
        title_field="id",
        filters=("cycle_id", "status", "manager_rating", "final_rating"),
        row_scope=rules.appraisal_scope,
        edit_guard=lambda record, changes: (
            {"goals": "appraisal.goals_locked"} if record.status != AppraisalStatus.OPEN else {}
        ),
        archivable=False,
        importable=False,
        opens_module=False,
    )
)


def _promotion_from(session: Any, principal: Any, values: dict[str, Any]) -> dict[str, str]:
    """The current position and grade are taken from the employee when proposed."""
    employee = session.get(Employee, values["employee_id"])
    if employee is None or employee.status == EmployeeStatus.LEFT:
        return {"employee_id": "hr.employee_left"}
    values["from_position"] = employee.position
    values["from_grade"] = employee.grade
    return {}


def _apply_if_due(session: Any, principal: Any, promotion: Any) -> None:
    if promotion.effective_on <= rules.local_today():
        rules.apply_promotion(session, promotion, principal.username)


P = PromotionStatus
PROMOTION = register(
    Resource(
        key="promotion",
        model=Promotion,
        permission="appraisal",
        module="hr",
        icon="trending-up",
        fields=(
            F("employee_id", kind="ref", ref="employee", required=True, fixed=True),
            F("from_position", editable=False),
            F("from_grade", editable=False),
            F("to_position", required=True, max_length=100),
            F("to_grade", max_length=10),
            F("effective_on", kind="date", required=True),
            _salary("new_salary"),
            F("reason", kind="longtext", required=True, max_length=4000),
            F(
                "status",
                kind="choice",
                required=True,
                choices=tuple(P),
                choice_group="promotion_status",
                editable=False,
            ),
            F("applied_at", kind="datetime", editable=False),
        ),
        list_columns=(
            "employee_id",
            "from_position",
            "to_position",
            "to_grade",
            "effective_on",
            "status",
        ),
        title_field="to_position",
        filters=("status", "effective_on"),
        default_sort="-effective_on",
        before_create=_promotion_from,
        workflow=Workflow(
            state_field="status",
            states=tuple(P),
            initial=P.PROPOSED,
            editable_in=(P.PROPOSED,),
            awaiting_approval=(P.PROPOSED,),
            transitions=(
                T("approve", (P.PROPOSED,), P.APPROVED, action="approve", after=_apply_if_due),
                T("reject", (P.PROPOSED,), P.REJECTED, action="approve"),
            ),
        ),
        archivable=False,
        importable=False,
        opens_module=False,
    )
)
