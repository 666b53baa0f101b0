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


def _salary(name: str, zh: str, en: str) -> F:
    return F(
        name,
        zh,
        en,
        kind="money",
        min_value=0,
        encrypted=True,
        read_permission=SALARY_READ,
        edit_permission=SALARY_EDIT,
        help_zh="月薪（元），加密保存，仅人力资源与管理层可见",
        help_en="Monthly, CNY; encrypted, seen by HR and executives only",
    )


def _team_summary(
    session: Any, team: Any, lang: str, _principal: Any = None
) -> list[tuple[str, str]]:
    en = lang == "en"
    members = session.execute(
        sa.select(sa.func.count()).where(
            Employee.team_id == team.id, Employee.status != EmployeeStatus.LEFT
        )
    ).scalar_one()
    return [("Staff" if en else "在职人数", str(members))]


TEAM = register(
    Resource(
        key="team",
        model=Team,
        permission="employee",
        module="hr",
        label_zh="团队",
        label_en="Teams",
        icon="network",
        fields=(
            F("code", "代码", "Code", required=True, max_length=40, fixed=True),
            F("name_zh", "中文名称", "Name (Chinese)", required=True, max_length=100),
            F("name_en", "英文名称", "Name (English)", required=True, max_length=100),
            F("manager_id", "负责人", "Manager", kind="ref", ref="employee"),
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
    en = lang == "en"
    accounts = rules.accounts_of(session, employee.id)
    reports = len(rules.reports_of(session, employee.id))
    years = (rules.local_today() - employee.hire_date).days / 365.25
    return [
        ("Staff account" if en else "系统账号", ", ".join(accounts) or "—"),
        ("Direct reports" if en else "直接下属", str(reports)),
        ("Years of service" if en else "司龄（年）", f"{max(years, 0):.1f}"),
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
        label_zh="员工",
        label_en="Employees",
        icon="user-round",
        fields=(
            F(
                "employee_no",
                "工号",
                "Employee no.",
                max_length=20,
                fixed=True,
                help_zh="留空则自动编号",
                help_en="Left blank, the next number is given",
            ),
            F("name", "姓名", "Name", required=True, max_length=100),
            F("team_id", "团队", "Team", kind="ref", ref="team", required=True),
            F("position", "岗位", "Position", required=True, max_length=100),
            F("grade", "职级", "Grade", max_length=10),
            F("manager_id", "直属上级", "Manager", kind="ref", ref="employee"),
            F("hire_date", "入职日期", "Hire date", kind="date", required=True),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                required=True,
                choices=tuple(EmployeeStatus),
                choice_group="employee_status",
            ),
            F("left_on", "离职日期", "Left on", kind="date"),
            F("email", "邮箱", "Email", max_length=200),
            F("phone", "电话", "Phone", max_length=40),
            _salary("salary", "月薪", "Monthly salary"),
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
        label_zh="编制计划",
        label_en="Headcount plan",
        icon="users",
        fields=(
            F("team_id", "团队", "Team", kind="ref", ref="team", required=True),
            F(
                "quarter",
                "季度",
                "Quarter",
                required=True,
                max_length=7,
                validator=_quarter_rule,
                help_zh="格式 2026-Q4",
                help_en="As 2026-Q4",
            ),
            F(
                "planned",
                "计划人数",
                "Planned",
                kind="int",
                required=True,
                min_value=0,
                max_value=10_000,
            ),
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
        label_zh="招聘职位",
        label_en="Openings",
        icon="briefcase",
        fields=(
            F("title", "职位", "Title", required=True, max_length=200),
            F("team_id", "团队", "Team", kind="ref", ref="team", required=True),
            F(
                "headcount",
                "招聘人数",
                "Headcount",
                kind="int",
                required=True,
                min_value=1,
                max_value=100,
            ),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                required=True,
                choices=tuple(OpeningStatus),
                choice_group="opening_status",
            ),
            F("opened_on", "开放日期", "Opened", kind="date", required=True),
            F("closed_on", "关闭日期", "Closed", kind="date"),
            F("description", "职位描述", "Description", kind="longtext", max_length=10_000),
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
        T("screen", (C.APPLIED,), C.SCREENED, "通过筛选", "Pass screening"),
        T("interview", (C.SCREENED,), C.INTERVIEWED, "完成面试", "Interviewed"),
        T(
            "offer",
            (C.INTERVIEWED,),
            C.OFFER,
            "发放录用",
            "Make offer",
            required_fields=("offer_salary",),
            guard=_opening_still_open,
        ),
        T(
            "hire",
            (C.OFFER,),
            C.HIRED,
            "确认入职",
            "Hire",
            required_fields=("start_on", "offer_salary"),
            guard=_opening_still_open,
            effect=_on_hired,
            after=rules.hire,
        ),
        T(
            "reject",
            (C.APPLIED, C.SCREENED, C.INTERVIEWED, C.OFFER),
            C.REJECTED,
            "不予录用",
            "Reject",
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
        label_zh="候选人",
        label_en="Candidates",
        icon="user-plus",
        fields=(
            F("name", "姓名", "Name", required=True, max_length=100),
            F("opening_id", "应聘职位", "Opening", kind="ref", ref="job_opening", required=True),
            F(
                "channel",
                "来源渠道",
                "Source",
                kind="choice",
                required=True,
                choices=tuple(HiringChannel),
                choice_group="hiring_channel",
            ),
            F(
                "stage",
                "阶段",
                "Stage",
                kind="choice",
                required=True,
                choices=tuple(C),
                choice_group="candidate_stage",
                editable=False,
            ),
            F("applied_on", "投递日期", "Applied", kind="date", required=True),
            F("email", "邮箱", "Email", max_length=200),
            _salary("offer_salary", "录用月薪", "Offered salary"),
            F(
                "start_on",
                "入职日期",
                "Start date",
                kind="date",
                help_zh="确认入职前须填写",
                help_en="Needed before the hire",
            ),
            F("hired_on", "录用确认日", "Hired on", kind="date", editable=False),
            F(
                "employee_id",
                "员工档案",
                "Employee record",
                kind="ref",
                ref="employee",
                editable=False,
            ),
            F("notes", "面试记录", "Interview notes", kind="longtext", max_length=10_000),
            F(
                "rejection_reason",
                "不录用原因",
                "Rejection reason",
                kind="longtext",
                max_length=2000,
            ),
        ),
        list_columns=("name", "opening_id", "channel", "stage", "applied_on", "hired_on"),
        title_field="name",
        filters=("opening_id", "channel", "stage", "applied_on"),
        search_fields=("name", "email"),
        workflow=CANDIDATE_WORKFLOW,
        queues=(
            Queue(
                "in_process",
                "进行中",
                "In process",
                lambda p: Candidate.stage.in_((C.APPLIED, C.SCREENED, C.INTERVIEWED, C.OFFER)),
            ),
            Queue("offers", "待入职", "Offers out", lambda p: Candidate.stage == C.OFFER),
        ),
        attachments=True,
        attachment_categories=(
            ("resume", "简历", "Résumé"),
            ("offer_letter", "录用通知书", "Offer letter"),
        ),
    )
)


TRAINING_PROGRAM = register(
    Resource(
        key="training_program",
        model=TrainingProgram,
        permission="training",
        module="hr",
        label_zh="培训项目",
        label_en="Training programmes",
        icon="graduation-cap",
        fields=(
            F("title", "名称", "Title", required=True, max_length=200),
            F(
                "kind",
                "类型",
                "Kind",
                kind="choice",
                required=True,
                choices=tuple(TrainingKind),
                choice_group="training_kind",
            ),
            F("mandatory", "必修", "Mandatory", kind="bool"),
            F("hours", "学时", "Hours", kind="decimal", min_value=0, max_value=1000),
            F(
                "due_within_days",
                "完成期限（入职后天数）",
                "Due within (days of hire)",
                kind="int",
                min_value=0,
                max_value=3650,
            ),
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
        label_zh="培训场次",
        label_en="Training sessions",
        icon="calendar-days",
        fields=(
            F(
                "program_id",
                "培训项目",
                "Programme",
                kind="ref",
                ref="training_program",
                required=True,
            ),
            F("held_on", "日期", "Date", kind="date", required=True),
            F("trainer", "讲师", "Trainer", max_length=100),
            F("location", "地点", "Location", max_length=200),
            F("hours", "学时", "Hours", kind="decimal", min_value=0, max_value=1000),
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
        label_zh="培训记录",
        label_en="Training records",
        icon="clipboard-check",
        fields=(
            F("employee_id", "员工", "Employee", kind="ref", ref="employee", required=True),
            F(
                "program_id",
                "培训项目",
                "Programme",
                kind="ref",
                ref="training_program",
                help_zh="选择场次时自动带出",
                help_en="Taken from the session when one is chosen",
            ),
            F("session_id", "场次", "Session", kind="ref", ref="training_session"),
            F(
                "attended_on",
                "日期",
                "Date",
                kind="date",
                help_zh="选择场次时自动带出",
                help_en="Taken from the session when one is chosen",
            ),
            F("hours", "学时", "Hours", kind="decimal", min_value=0, max_value=1000),
            F(
                "result",
                "结果",
                "Result",
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
    en = lang == "en"
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
    ] + [("Appraisals" if en else "考核总数", str(sum(counts.values())))]


APPRAISAL_CYCLE = register(
    Resource(
        key="appraisal_cycle",
        model=AppraisalCycle,
        permission="appraisal",
        module="hr",
        label_zh="考核周期",
        label_en="Appraisal cycles",
        icon="calendar-check",
        fields=(
            F("name", "名称", "Name", required=True, max_length=100),
            F("period_start", "考核期开始", "Period start", kind="date", required=True),
            F("period_end", "考核期结束", "Period end", kind="date", required=True),
            F(
                "status",
                "状态",
                "Status",
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
                    "结束考核",
                    "Close cycle",
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
                    "重新开放",
                    "Reopen",
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
        label_zh="团队 KPI",
        label_en="Team KPIs",
        icon="target",
        fields=(
            F("cycle_id", "考核周期", "Cycle", kind="ref", ref="appraisal_cycle", required=True),
            F("team_id", "团队", "Team", kind="ref", ref="team", required=True),
            F("name", "指标", "Measure", required=True, max_length=200),
            F("unit", "单位", "Unit", max_length=20),
            F("target", "目标值", "Target", kind="decimal", required=True),
            F("actual", "实际值", "Actual", kind="decimal"),
            F("weight", "权重（%）", "Weight (%)", kind="int", min_value=0, max_value=100),
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
        label_zh="绩效考核",
        label_en="Appraisals",
        icon="star",
        fields=(
            F(
                "cycle_id",
                "考核周期",
                "Cycle",
                kind="ref",
                ref="appraisal_cycle",
                required=True,
                fixed=True,
            ),
            F(
                "employee_id",
                "员工",
                "Employee",
                kind="ref",
                ref="employee",
                required=True,
                fixed=True,
            ),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                required=True,
                choices=tuple(AppraisalStatus),
                choice_group="appraisal_status",
                editable=False,
            ),
            F("goals", "个人目标", "Individual goals", kind="longtext", max_length=4000),
            F("self_assessment", "自评", "Self-assessment", kind="longtext", editable=False),
            F(
                "manager_rating",
                "上级评级",
                "Manager's rating",
                kind="choice",
                choices=tuple(Rating),
                choice_group="rating",
                editable=False,
            ),
            F("manager_comment", "上级评语", "Manager's comment", kind="longtext", editable=False),
            F("rated_by", "评级人", "Rated by", editable=False, person=True),
            F(
                "final_rating",
                "最终评级",
                "Final rating",
                kind="choice",
                choices=tuple(Rating),
                choice_group="rating",
                editable=False,
            ),
            F("calibration_note", "校准说明", "Calibration note", kind="longtext", editable=False),
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
        label_zh="晋升",
        label_en="Promotions",
        icon="trending-up",
        fields=(
            F(
                "employee_id",
                "员工",
                "Employee",
                kind="ref",
                ref="employee",
                required=True,
                fixed=True,
            ),
            F("from_position", "原岗位", "From position", editable=False),
            F("from_grade", "原职级", "From grade", editable=False),
            F("to_position", "新岗位", "To position", required=True, max_length=100),
            F("to_grade", "新职级", "To grade", max_length=10),
            F("effective_on", "生效日期", "Effective on", kind="date", required=True),
            _salary("new_salary", "调整后月薪", "New monthly salary"),
            F("reason", "晋升理由", "Reason", kind="longtext", required=True, max_length=4000),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                required=True,
                choices=tuple(P),
                choice_group="promotion_status",
                editable=False,
            ),
            F("applied_at", "生效执行时间", "Applied at", kind="datetime", editable=False),
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
                T(
                    "approve",
                    (P.PROPOSED,),
                    P.APPROVED,
                    "批准",
                    "Approve",
                    action="approve",
                    after=_apply_if_due,
                ),
                T(
                    "reject",
                    (P.PROPOSED,),
                    P.REJECTED,
                    "驳回",
                    "Reject",
                    action="approve",
                ),
            ),
        ),
        archivable=False,
        importable=False,
        opens_module=False,
    )
)
