"""Projects (PMO): projects, milestones and tasks by phase, the risk register, monitoring
indicators and evaluations, the plan-adjustment log, and baseline re-sets (maker ≠ checker).

Milestone dates other than the baseline move only through the Gantt page's "move" dialog
(:func:`backoffice.domains.projects.rules.move_milestone`): it needs a reason and pushes dependants.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from backoffice.domains.projects import rules
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Queue, Resource, register
from backoffice.engine.workflow import ContentPart, Workflow
from backoffice.engine.workflow import Transition as T
from models.projects import (
    AdjustmentKind,
    Assessment,
    BaselineReset,
    BaselineStatus,
    IndicatorKind,
    Milestone,
    MilestoneStatus,
    PlanAdjustment,
    Project,
    ProjectIndicator,
    ProjectPhase,
    ProjectRisk,
    ProjectTask,
    RiskStatus,
    RiskStrategy,
)

PHASE = F(
    "phase",
    "阶段",
    "Phase",
    kind="choice",
    required=True,
    choices=tuple(ProjectPhase),
    choice_group="project_phase",
)
PROGRESS = F("progress", "进度（%）", "Progress (%)", kind="int", min_value=0, max_value=100)
STATUS = F(
    "status",
    "状态",
    "Status",
    kind="choice",
    required=True,
    choices=tuple(MilestoneStatus),
    choice_group="milestone_status",
)


def _dates_in_order(values: dict[str, Any]) -> dict[str, str]:
    errors = {}
    for start, end in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
        if values.get(start) and values.get(end) and values[end] < values[start]:
            errors[end] = "project.end_before_start"
    if values.get("actual_end") and not values.get("actual_start", True):
        errors["actual_start"] = "project.actual_end_needs_start"
    return errors


PROJECT = register(
    Resource(
        key="project",
        model=Project,
        permission="project",
        module="projects",
        label_zh="项目",
        label_en="Projects",
        icon="folder-kanban",
        fields=(
            F("code", "项目编号", "Code", required=True, max_length=20, fixed=True),
            F("name", "项目名称", "Name", required=True, max_length=200),
            F("owner_id", "项目负责人", "Owner", kind="ref", ref="employee"),
            F("start_date", "开始日期", "Start", kind="date", required=True),
            F("end_date", "结束日期", "End", kind="date", required=True),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                required=True,
                choices=("active", "closed"),
                choice_group="project_status",
            ),
            F("description", "说明", "Description", kind="longtext"),
        ),
        list_columns=("code", "name", "owner_id", "start_date", "end_date", "status"),
        title_field="name",
        filters=("status",),
        search_fields=("code", "name"),
        default_sort="code",
        validator=lambda v: (
            {"end_date": "project.end_before_start"}
            if v.get("start_date") and v.get("end_date") and v["end_date"] < v["start_date"]
            else {}
        ),
    )
)


def _milestone_summary(
    session: Any, m: Any, lang: str, _principal: Any = None
) -> list[tuple[str, str]]:
    en = lang == "en"
    today = rules.local_today()
    state = rules.health(m, today)
    earliest = rules.earliest_start(session, m)
    return [
        ("Health" if en else "健康度", state.rag.upper()),
        ("Slip (days)" if en else "偏差（天）", f"{rules.slip_days(m):+d}"),
        ("Expected progress" if en else "应达进度", f"{rules.expected_progress(m, today)}%"),
        ("Earliest start" if en else "最早开始", earliest.isoformat() if earliest else "—"),
    ]


def _overdue(_principal: Any) -> sa.ColumnElement[bool]:
    end = sa.func.coalesce(Milestone.forecast_end, Milestone.planned_end)
    return sa.and_(Milestone.actual_end.is_(None), end < rules.local_today())


MILESTONE = register(
    Resource(
        key="milestone",
        model=Milestone,
        permission="project",
        module="projects",
        label_zh="里程碑",
        label_en="Milestones",
        icon="flag",
        fields=(
            F(
                "project_id",
                "项目",
                "Project",
                kind="ref",
                ref="project",
                required=True,
                fixed=True,
            ),
            PHASE,
            F("name", "名称", "Name", required=True, max_length=200),
            F("owner_id", "负责人", "Owner", kind="ref", ref="employee"),
            F(
                "planned_start",
                "基线开始",
                "Baseline start",
                kind="date",
                required=True,
                fixed=True,
                help_zh="基线只能经审批后整体重设",
                help_en="The baseline changes only by an approved re-set",
            ),
            F("planned_end", "基线完成", "Baseline end", kind="date", required=True, fixed=True),
            F("forecast_start", "计划开始", "Forecast start", kind="date", editable=False),
            F("forecast_end", "计划完成", "Forecast end", kind="date", editable=False),
            F("actual_start", "实际开始", "Actual start", kind="date", editable=False),
            F("actual_end", "实际完成", "Actual end", kind="date", editable=False),
            PROGRESS,
            STATUS,
            F(
                "depends_on_id",
                "前置里程碑",
                "Depends on",
                kind="ref",
                ref="milestone",
                help_zh="完成-开始依赖：前置完成后才能开始",
                help_en="Finish-to-start: starts after that one finishes",
            ),
        ),
        list_columns=(
            "name",
            "phase",
            "owner_id",
            "planned_end",
            "forecast_end",
            "actual_end",
            "progress",
            "status",
            "depends_on_id",
        ),
        title_field="name",
        filters=("project_id", "phase", "owner_id", "status", "planned_end", "forecast_end"),
        search_fields=("name",),
        default_sort="planned_start",
        before_create=rules.milestone_before_create,
        edit_guard=rules.milestone_edit_guard,
        summary=_milestone_summary,
        queues=(Queue("overdue", "已逾期", "Overdue", _overdue),),
    )
)

TASK = register(
    Resource(
        key="project_task",
        model=ProjectTask,
        permission="project",
        module="projects",
        label_zh="任务",
        label_en="Tasks",
        icon="list-checks",
        fields=(
            F("milestone_id", "里程碑", "Milestone", kind="ref", ref="milestone", required=True),
            F("name", "名称", "Name", required=True, max_length=200),
            F("owner_id", "负责人", "Owner", kind="ref", ref="employee"),
            F("planned_start", "计划开始", "Planned start", kind="date", required=True),
            F("planned_end", "计划完成", "Planned end", kind="date", required=True),
            F("actual_start", "实际开始", "Actual start", kind="date"),
            F("actual_end", "实际完成", "Actual end", kind="date"),
            PROGRESS,
            STATUS,
            F("depends_on_id", "前置任务", "Depends on", kind="ref", ref="project_task"),
        ),
        list_columns=(
            "name",
            "milestone_id",
            "owner_id",
            "planned_end",
            "actual_end",
            "progress",
            "status",
        ),
        title_field="name",
        filters=("milestone_id", "owner_id", "status"),
        search_fields=("name",),
        default_sort="planned_start",
        validator=_dates_in_order,
        edit_guard=lambda record, changes: (
            {"depends_on_id": "project.dependency_cycle"}
            if changes.get("depends_on_id") == record.id
            else {}
        ),
    )
)


def _risk_summary(
    session: Any, risk: Any, lang: str, _principal: Any = None
) -> list[tuple[str, str]]:
    score = risk.probability * risk.impact
    level = rules.risk_level(score)
    return [
        ("Score" if lang == "en" else "风险值", str(score)),
        ("Level" if lang == "en" else "等级", level.upper()),
    ]


SCALE_ZH = "1（很低）至 5（很高）"
SCALE_EN = "1 (very low) to 5 (very high)"

RISK = register(
    Resource(
        key="project_risk",
        model=ProjectRisk,
        permission="project",
        module="projects",
        label_zh="风险登记册",
        label_en="Risk register",
        icon="triangle-alert",
        fields=(
            F("project_id", "项目", "Project", kind="ref", ref="project", required=True),
            F("title", "风险", "Risk", required=True, max_length=200),
            F(
                "probability",
                "可能性",
                "Probability",
                kind="int",
                required=True,
                min_value=1,
                max_value=5,
                help_zh=SCALE_ZH,
                help_en=SCALE_EN,
            ),
            F(
                "impact",
                "影响",
                "Impact",
                kind="int",
                required=True,
                min_value=1,
                max_value=5,
                help_zh=SCALE_ZH,
                help_en=SCALE_EN,
            ),
            F(
                "strategy",
                "应对策略",
                "Strategy",
                kind="choice",
                required=True,
                choices=tuple(RiskStrategy),
                choice_group="project_risk_strategy",
            ),
            F("response", "应对措施", "Response", kind="longtext"),
            F("owner_id", "负责人", "Owner", kind="ref", ref="employee"),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                required=True,
                choices=tuple(RiskStatus),
                choice_group="project_risk_status",
            ),
            F("review_date", "复核日期", "Review date", kind="date"),
            F("milestone_id", "关联里程碑", "Milestone", kind="ref", ref="milestone"),
        ),
        list_columns=(
            "title",
            "probability",
            "impact",
            "strategy",
            "owner_id",
            "status",
            "review_date",
            "milestone_id",
        ),
        title_field="title",
        filters=("project_id", "status", "strategy", "owner_id", "milestone_id", "review_date"),
        search_fields=("title",),
        default_sort="review_date",
        summary=_risk_summary,
        queues=(
            Queue(
                "high",
                "高风险未关闭",
                "High, not closed",
                lambda p: sa.and_(
                    ProjectRisk.status != RiskStatus.CLOSED,
                    ProjectRisk.probability * ProjectRisk.impact >= rules.RISK_HIGH,
                ),
            ),
        ),
    )
)

INDICATOR = register(
    Resource(
        key="project_indicator",
        model=ProjectIndicator,
        permission="project",
        module="projects",
        label_zh="监控指标与评估",
        label_en="Indicators and evaluations",
        icon="gauge",
        fields=(
            F("project_id", "项目", "Project", kind="ref", ref="project", required=True),
            PHASE,
            F(
                "kind",
                "类型",
                "Kind",
                kind="choice",
                required=True,
                choices=tuple(IndicatorKind),
                choice_group="project_indicator_kind",
            ),
            F("name", "名称", "Name", required=True, max_length=200),
            F("target", "目标值", "Target", kind="decimal"),
            F("actual", "实际值", "Actual", kind="decimal"),
            F("unit", "单位", "Unit", max_length=20),
            F("recorded_on", "记录日期", "Recorded on", kind="date", required=True),
            F(
                "assessment",
                "评估结论",
                "Assessment",
                kind="choice",
                choices=tuple(Assessment),
                choice_group="project_assessment",
            ),
            F("evaluator_id", "评估人", "Evaluator", kind="ref", ref="employee"),
            F("comment", "说明", "Comment", kind="longtext"),
        ),
        list_columns=(
            "phase",
            "kind",
            "name",
            "target",
            "actual",
            "unit",
            "recorded_on",
            "assessment",
        ),
        title_field="name",
        filters=("project_id", "phase", "kind", "assessment", "recorded_on"),
        search_fields=("name",),
        default_sort="-recorded_on",
    )
)


def _adjustment_before_create(
    session: Any, principal: Any, values: dict[str, Any]
) -> dict[str, str]:
    """By hand only scope changes are entered; dated moves come from the Gantt page."""
    if not str(values.get("reason") or "").strip():
        return {"reason": "project.reason_required"}
    values["kind"] = AdjustmentKind.SCOPE
    values["made_by"] = principal.username
    return {}


ADJUSTMENT = register(
    Resource(
        key="plan_adjustment",
        model=PlanAdjustment,
        permission="project",
        module="projects",
        label_zh="计划调整记录",
        label_en="Plan adjustments",
        icon="history",
        fields=(
            F("project_id", "项目", "Project", kind="ref", ref="project", required=True),
            F("milestone_id", "里程碑", "Milestone", kind="ref", ref="milestone"),
            F(
                "kind",
                "类型",
                "Kind",
                kind="choice",
                choices=tuple(AdjustmentKind),
                choice_group="project_adjustment_kind",
                editable=False,
            ),
            F("field", "调整项", "What changed", max_length=40, editable=False),
            F("old_value", "原值", "Before", max_length=100, editable=False),
            F("new_value", "新值", "After", max_length=100, editable=False),
            F("reason", "原因", "Reason", kind="longtext", required=True),
            F("made_by", "调整人", "By", max_length=100, editable=False, person=True),
            F("cause_id", "由此引起", "Pushed by", kind="ref", ref="milestone", editable=False),
        ),
        list_columns=(
            "created_at",
            "milestone_id",
            "kind",
            "field",
            "old_value",
            "new_value",
            "reason",
            "made_by",
            "cause_id",
        ),
        title_field="reason",
        filters=("project_id", "milestone_id", "kind", "made_by"),
        search_fields=("reason",),
        default_sort="-id",
        before_create=_adjustment_before_create,
        edit_guard=lambda record, changes: {
            name: "project.adjustment_is_final" for name in changes
        },
        importable=False,
        archivable=False,  # the log of the plan is kept whole
    )
)

BASELINE_RESET = register(
    Resource(
        key="baseline_reset",
        model=BaselineReset,
        permission="project",
        module="projects",
        label_zh="基线重设",
        label_en="Baseline re-sets",
        icon="git-compare",
        fields=(
            F(
                "project_id",
                "项目",
                "Project",
                kind="ref",
                ref="project",
                required=True,
                fixed=True,
            ),
            F(
                "reason",
                "原因",
                "Reason",
                kind="longtext",
                required=True,
                help_zh="批准后，各里程碑的基线改为当前计划日期",
                help_en="Once approved, every milestone's baseline becomes its current plan",
            ),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                choices=tuple(BaselineStatus),
                choice_group="project_baseline_status",
                editable=False,
            ),
            F("applied_on", "生效日期", "Applied on", kind="date", editable=False),
        ),
        list_columns=("project_id", "reason", "status", "applied_on", "created_at"),
        title_field="reason",
        filters=("project_id", "status"),
        default_sort="-id",
        workflow=Workflow(
            state_field="status",
            states=tuple(BaselineStatus),
            initial=BaselineStatus.SUBMITTED,
            editable_in=(BaselineStatus.SUBMITTED,),
            awaiting_approval=(BaselineStatus.SUBMITTED,),
            # the plan it makes the baseline: who moves a milestone meanwhile is a maker
            content_parts=(
                ContentPart(
                    "milestone",
                    via="project_id",
                    matches="project_id",
                    verbs=("create", "edit", "move", "pushed", "archive", "restore"),
                ),
            ),
            transitions=(
                T(
                    "approve",
                    (BaselineStatus.SUBMITTED,),
                    BaselineStatus.APPROVED,
                    "批准并重设基线",
                    "Approve and re-set the baseline",
                    action="approve",
                    effect=lambda record: {"applied_on": rules.local_today()},
                    after=rules.baseline_after_approval,
                ),
                T(
                    "reject",
                    (BaselineStatus.SUBMITTED,),
                    BaselineStatus.REJECTED,
                    "驳回",
                    "Reject",
                    action="approve",
                ),
            ),
        ),
        importable=False,
        archivable=False,
    )
)
