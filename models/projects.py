"""The platform's implementation project: phases, milestones and tasks, the risk register,
monitoring indicators and evaluations, the log of plan adjustments and baseline re-sets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import EditableBase, code_field, text_field


class ProjectPhase(StrEnum):
    KICKOFF = "kickoff"
    DEVELOPMENT = "development"
    TESTING = "testing"
    GO_LIVE = "go_live"
    MAINTENANCE = "maintenance"


class MilestoneStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"


class RiskStatus(StrEnum):
    OPEN = "open"
    MITIGATING = "mitigating"
    CLOSED = "closed"


class RiskStrategy(StrEnum):
    AVOID = "avoid"
    MITIGATE = "mitigate"
    TRANSFER = "transfer"
    ACCEPT = "accept"


class IndicatorKind(StrEnum):
    INDICATOR = "indicator"  # a measured monitoring indicator with a target
    EVALUATION = "evaluation"  # a phase evaluation (review) with a verdict


class Assessment(StrEnum):
    MET = "met"
    PARTLY = "partly"
    NOT_MET = "not_met"


class AdjustmentKind(StrEnum):
    DATES = "dates"
    SCOPE = "scope"
    BASELINE = "baseline"


class BaselineStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class Project(EditableBase, table=True):
    __tablename__ = "project"

    code: str = code_field(20, unique=True)
    name: str = code_field(200)
    owner_id: int | None = Field(default=None, foreign_key="employee.id")
    start_date: date
    end_date: date
    status: str = code_field(20, default="active", index=True)
    description: str = text_field()


class Milestone(EditableBase, table=True):
    """Baseline dates are ``planned_*``; the current plan is ``forecast_*`` (moves through
    :func:`backoffice.domains.projects.rules.move_milestone`, with a reason)."""

    __tablename__ = "milestone"

    project_id: int = Field(foreign_key="project.id", index=True)
    phase: str = code_field(20, index=True)
    name: str = code_field(200)
    owner_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    planned_start: date
    planned_end: date = Field(index=True)
    forecast_start: date | None = None
    forecast_end: date | None = Field(default=None, index=True)
    actual_start: date | None = None
    actual_end: date | None = None
    progress: int = 0  # percent, 0-100
    status: str = code_field(20, default=MilestoneStatus.NOT_STARTED, index=True)
    # finish-to-start: this milestone starts after that one ends
    depends_on_id: int | None = Field(default=None, foreign_key="milestone.id")


class ProjectTask(EditableBase, table=True):
    __tablename__ = "project_task"

    milestone_id: int = Field(foreign_key="milestone.id", index=True)
    name: str = code_field(200)
    owner_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    planned_start: date
    planned_end: date
    actual_start: date | None = None
    actual_end: date | None = None
    progress: int = 0
    status: str = code_field(20, default=MilestoneStatus.NOT_STARTED, index=True)
    depends_on_id: int | None = Field(default=None, foreign_key="project_task.id")


class ProjectRisk(EditableBase, table=True):
    __tablename__ = "project_risk"

    project_id: int = Field(foreign_key="project.id", index=True)
    title: str = code_field(200)
    probability: int  # 1-5
    impact: int  # 1-5
    strategy: str = code_field(20, default=RiskStrategy.MITIGATE)
    response: str = text_field()
    owner_id: int | None = Field(default=None, foreign_key="employee.id")
    status: str = code_field(20, default="open", index=True)
    review_date: date | None = None
    milestone_id: int | None = Field(default=None, foreign_key="milestone.id")


class ProjectIndicator(EditableBase, table=True):
    """Monitoring indicators and phase evaluations (plan 10.2), recorded per phase."""

    __tablename__ = "project_indicator"

    project_id: int = Field(foreign_key="project.id", index=True)
    phase: str = code_field(20, index=True)
    kind: str = code_field(20, default=IndicatorKind.INDICATOR)
    name: str = code_field(200)
    target: Decimal | None = Field(default=None, sa_type=sa.Numeric(18, 2))
    actual: Decimal | None = Field(default=None, sa_type=sa.Numeric(18, 2))
    unit: str = code_field(20, default="")
    recorded_on: date
    assessment: str = code_field(20, default="")
    evaluator_id: int | None = Field(default=None, foreign_key="employee.id")
    comment: str = text_field()


class PlanAdjustment(EditableBase, table=True):
    """One change to the plan with its reason: a date moved (by hand or pushed through a
    dependency), a change of scope, a baseline re-set. Written once, never edited."""

    __tablename__ = "plan_adjustment"

    project_id: int = Field(foreign_key="project.id", index=True)
    milestone_id: int | None = Field(default=None, foreign_key="milestone.id", index=True)
    kind: str = code_field(20, default=AdjustmentKind.DATES, index=True)
    field: str = code_field(40, default="")
    old_value: str = code_field(100, default="")
    new_value: str = code_field(100, default="")
    reason: str = text_field()
    made_by: str = code_field(100, default="")
    # the milestone whose move pushed this one (None: moved by hand)
    cause_id: int | None = Field(default=None, foreign_key="milestone.id")


class BaselineReset(EditableBase, table=True):
    """A request to re-set a project's baseline to its current plan; a second person approves."""

    __tablename__ = "baseline_reset"

    project_id: int = Field(foreign_key="project.id", index=True)
    reason: str = text_field()
    status: str = code_field(20, default=BaselineStatus.SUBMITTED, index=True)
    applied_on: date | None = None
