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
from backoffice.i18n import translate
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
    "phase", kind="choice", required=True, choices=tuple(ProjectPhase), choice_group="project_phase"
)
PROGRESS = F("progress", kind="int", min_value=0, max_value=100)
STATUS = F(
    "status",
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
        icon="folder-kanban",
        fields=(
            F("code", required=True, max_length=20, fixed=True),
            F("name", required=True, max_length=200),
            F("owner_id", kind="ref", ref="employee"),
            F("start_date", kind="date", required=True),
            F("end_date", kind="date", required=True),
            F(
                "status",
                kind="choice",
                required=True,
                choices=("active", "closed"),
                choice_group="project_status",
            ),
            F("description", kind="longtext"),
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
    today = rules.local_today()
    state = rules.health(m, today)
    earliest = rules.earliest_start(session, m)
    return [
        (translate("summary.milestone.health", lang), state.rag.upper()),
        (translate("summary.milestone.slip_days", lang), f"{rules.slip_days(m):+d}"),
        (
            translate("summary.milestone.expected_progress", lang),
            f"{rules.expected_progress(m, today)}%",
        ),
        (
            translate("summary.milestone.earliest_start", lang),
            earliest.isoformat() if earliest else "—",
        ),
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
        icon="flag",
        fields=(
            F("project_id", kind="ref", ref="project", required=True, fixed=True),
            PHASE,
            F("name", required=True, max_length=200),
            F("owner_id", kind="ref", ref="employee"),
            F("planned_start", kind="date", required=True, fixed=True, help=True),
            F("planned_end", kind="date", required=True, fixed=True),
            F("forecast_start", kind="date", editable=False),
            F("forecast_end", kind="date", editable=False),
            F("actual_start", kind="date", editable=False),
            F("actual_end", kind="date", editable=False),
            PROGRESS,
            STATUS,
            F("depends_on_id", kind="ref", ref="milestone", help=True),
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
        queues=(Queue("overdue", _overdue),),
    )
)

TASK = register(
    Resource(
        key="project_task",
        model=ProjectTask,
        permission="project",
        module="projects",
        icon="list-checks",
        fields=(
            F("milestone_id", kind="ref", ref="milestone", required=True),
            F("name", required=True, max_length=200),
            F("owner_id", kind="ref", ref="employee"),
            F("planned_start", kind="date", required=True),
            F("planned_end", kind="date", required=True),
            F("actual_start", kind="date"),
            F("actual_end", kind="date"),
            PROGRESS,
            STATUS,
            F("depends_on_id", kind="ref", ref="project_task"),
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
        (translate("summary.project_risk.score", lang), str(score)),
        (translate("summary.project_risk.level", lang), level.upper()),
    ]


RISK = register(
    Resource(
        key="project_risk",
        model=ProjectRisk,
        permission="project",
        module="projects",
        icon="triangle-alert",
        fields=(
            F("project_id", kind="ref", ref="project", required=True),
            F("title", required=True, max_length=200),
            F("probability", kind="int", required=True, min_value=1, max_value=5, help=True),
            F("impact", kind="int", required=True, min_value=1, max_value=5, help=True),
            F(
                "strategy",
                kind="choice",
                required=True,
                choices=tuple(RiskStrategy),
                choice_group="project_risk_strategy",
            ),
            F("response", kind="longtext"),
            F("owner_id", kind="ref", ref="employee"),
            F(
                "status",
                kind="choice",
                required=True,
                choices=tuple(RiskStatus),
                choice_group="project_risk_status",
            ),
            F("review_date", kind="date"),
            F("milestone_id", kind="ref", ref="milestone"),
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
        icon="gauge",
        fields=(
            F("project_id", kind="ref", ref="project", required=True),
            PHASE,
            F(
                "kind",
                kind="choice",
                required=True,
                choices=tuple(IndicatorKind),
                choice_group="project_indicator_kind",
            ),
            F("name", required=True, max_length=200),
            F("target", kind="decimal"),
            F("actual", kind="decimal"),
            F("unit", max_length=20),
            F("recorded_on", kind="date", required=True),
            F(
                "assessment",
                kind="choice",
                choices=tuple(Assessment),
                choice_group="project_assessment",
            ),
            F("evaluator_id", kind="ref", ref="employee"),
            F("comment", kind="longtext"),
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
        icon="history",
        fields=(
            F("project_id", kind="ref", ref="project", required=True),
            F("milestone_id", kind="ref", ref="milestone"),
            F(
                "kind",
                kind="choice",
                choices=tuple(AdjustmentKind),
                choice_group="project_adjustment_kind",
                editable=False,
            ),
            F("field", max_length=40, editable=False),
            F("old_value", max_length=100, editable=False),
            F("new_value", max_length=100, editable=False),
            F("reason", kind="longtext", required=True),
            F("made_by", max_length=100, editable=False, person=True),
            F("cause_id", kind="ref", ref="milestone", editable=False),
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
        icon="git-compare",
        fields=(
            F("project_id", kind="ref", ref="project", required=True, fixed=True),
            F("reason", kind="longtext", required=True, help=True),
            F(
                "status",
                kind="choice",
                choices=tuple(BaselineStatus),
                choice_group="project_baseline_status",
                editable=False,
            ),
            F("applied_on", kind="date", editable=False),
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
                    action="approve",
                    effect=lambda record: {"applied_on": rules.local_today()},
                    after=rules.baseline_after_approval,
                ),
                T("reject", (BaselineStatus.SUBMITTED,), BaselineStatus.REJECTED, action="approve"),
            ),
        ),
        importable=False,
        archivable=False,
    )
)
