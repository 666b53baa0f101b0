"""The platform's implementation project: phases, milestones and the risk register."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

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
    __tablename__ = "milestone"

    project_id: int = Field(foreign_key="project.id", index=True)
    phase: str = code_field(20, index=True)
    name: str = code_field(200)
    owner_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    planned_start: date
    planned_end: date = Field(index=True)
    actual_start: date | None = None
    actual_end: date | None = None
    progress: int = 0  # percent, 0-100
    status: str = code_field(20, default=MilestoneStatus.NOT_STARTED, index=True)
    depends_on_id: int | None = Field(default=None, foreign_key="milestone.id")


class ProjectRisk(EditableBase, table=True):
    __tablename__ = "project_risk"

    project_id: int = Field(foreign_key="project.id", index=True)
    title: str = code_field(200)
    probability: int  # 1-5
    impact: int  # 1-5
    response: str = text_field()
    owner_id: int | None = Field(default=None, foreign_key="employee.id")
    status: str = code_field(20, default="open", index=True)
    review_date: date | None = None
    milestone_id: int | None = Field(default=None, foreign_key="milestone.id")
