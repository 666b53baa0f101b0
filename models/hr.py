"""Teams, employees, headcount plan, hiring, training and appraisals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import EditableBase, code_field, text_field, time_field


class TeamCode(StrEnum):
    SENIOR_MANAGEMENT = "senior_management"
    TECHNOLOGY = "technology"
    PRODUCT_DESIGN = "product_design"
    MARKETING = "marketing"
    RISK_COMPLIANCE = "risk_compliance"
    CUSTOMER_SERVICE = "customer_service"


class Team(EditableBase, table=True):
    __tablename__ = "team"

    code: str = code_field(40, unique=True)
    name_zh: str = code_field(100)
    name_en: str = code_field(100)
    manager_id: int | None = None  # an employee id; no FK, employees point at teams


class EmployeeStatus(StrEnum):
    PROBATION = "probation"
    ACTIVE = "active"
    ON_LEAVE = "on_leave"
    LEFT = "left"


class Employee(EditableBase, table=True):
    __tablename__ = "employee"

    employee_no: str = code_field(20, unique=True, index=True)
    name: str = code_field(100, index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    position: str = code_field(100)
    manager_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    hire_date: date
    status: str = code_field(20, default=EmployeeStatus.ACTIVE, index=True)
    salary_cipher: str = Field(default="", sa_type=sa.Text)  # monthly, CNY, encrypted
    email: str = code_field(200, default="")
    phone: str = code_field(40, default="")
    grade: str = code_field(10, default="")  # e.g. P5, M2
    left_on: date | None = None


class HeadcountPlan(EditableBase, table=True):
    __tablename__ = "headcount_plan"
    __table_args__ = (sa.UniqueConstraint("team_id", "quarter"),)

    team_id: int = Field(foreign_key="team.id")
    quarter: str = code_field(7)  # e.g. 2026-Q4
    planned: int


class HiringChannel(StrEnum):
    CAMPUS = "campus"
    REFERRAL = "referral"
    HEADHUNTER = "headhunter"
    JOB_SITE = "job_site"


class CandidateStage(StrEnum):
    APPLIED = "applied"
    SCREENED = "screened"
    INTERVIEWED = "interviewed"
    OFFER = "offer"
    HIRED = "hired"
    REJECTED = "rejected"


class OpeningStatus(StrEnum):
    OPEN = "open"
    FILLED = "filled"
    CLOSED = "closed"


class JobOpening(EditableBase, table=True):
    __tablename__ = "job_opening"

    title: str = code_field(200)
    team_id: int = Field(foreign_key="team.id", index=True)
    headcount: int = 1
    status: str = code_field(20, default=OpeningStatus.OPEN, index=True)
    opened_on: date
    closed_on: date | None = None
    description: str = text_field()


class Candidate(EditableBase, table=True):
    __tablename__ = "candidate"

    opening_id: int = Field(foreign_key="job_opening.id", index=True)
    name: str = code_field(100)
    channel: str = code_field(20)
    stage: str = code_field(20, default=CandidateStage.APPLIED, index=True)
    applied_on: date
    email: str = code_field(200, default="")
    notes: str = text_field()
    offer_salary_cipher: str = Field(default="", sa_type=sa.Text)  # monthly, CNY, encrypted
    start_on: date | None = None  # the agreed first day, needed to hire
    hired_on: date | None = None  # the day the hire was recorded
    employee_id: int | None = Field(default=None, foreign_key="employee.id")  # once hired
    rejection_reason: str = text_field()


class TrainingKind(StrEnum):
    ONBOARDING = "onboarding"
    ON_THE_JOB = "on_the_job"
    EXTERNAL = "external"


class TrainingProgram(EditableBase, table=True):
    __tablename__ = "training_program"

    title: str = code_field(200)
    kind: str = code_field(20, index=True)
    mandatory: bool = False
    hours: Decimal = Field(default=Decimal("0"), sa_type=sa.Numeric(6, 1))
    due_within_days: int = 30  # a mandatory programme: to pass within this many days of hire


class TrainingSession(EditableBase, table=True):
    __tablename__ = "training_session"

    program_id: int = Field(foreign_key="training_program.id", index=True)
    held_on: date
    trainer: str = code_field(100, default="")
    location: str = code_field(200, default="")
    hours: Decimal = Field(default=Decimal("0"), sa_type=sa.Numeric(6, 1))


class TrainingResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ATTENDED = "attended"  # no assessment
    ABSENT = "absent"


class TrainingRecord(EditableBase, table=True):
    __tablename__ = "training_record"

    program_id: int = Field(foreign_key="training_program.id", index=True)
    session_id: int | None = Field(default=None, foreign_key="training_session.id", index=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    attended_on: date
    hours: Decimal = Field(default=Decimal("0"), sa_type=sa.Numeric(6, 1))
    result: str = code_field(20, default=TrainingResult.PASSED)


class AppraisalCycle(EditableBase, table=True):
    __tablename__ = "appraisal_cycle"

    name: str = code_field(100)
    period_start: date
    period_end: date
    status: str = code_field(20, default="open", index=True)


class AppraisalStatus(StrEnum):
    OPEN = "open"  # goals set, waiting for the self-assessment
    SELF_ASSESSED = "self_assessed"
    RATED = "rated"  # the manager's rating is in
    CALIBRATED = "calibrated"  # HR fixed the final rating


class Rating(StrEnum):
    S = "S"
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Appraisal(EditableBase, table=True):
    __tablename__ = "appraisal"
    __table_args__ = (sa.UniqueConstraint("cycle_id", "employee_id"),)

    cycle_id: int = Field(foreign_key="appraisal_cycle.id")
    employee_id: int = Field(foreign_key="employee.id", index=True)
    status: str = code_field(20, default=AppraisalStatus.OPEN, index=True)
    goals: str = text_field()
    self_assessment: str = text_field()
    manager_rating: str | None = code_field(2, default=None)
    manager_comment: str = text_field()
    rated_by: str = code_field(80, default="")  # the manager's username
    final_rating: str | None = code_field(2, default=None)
    calibration_note: str = text_field()


class TeamKpi(EditableBase, table=True):
    """A team's objective in an appraisal cycle: a measure with its target and what was reached."""

    __tablename__ = "team_kpi"

    cycle_id: int = Field(foreign_key="appraisal_cycle.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    name: str = code_field(200)
    unit: str = code_field(20, default="")
    target: Decimal = Field(sa_type=sa.Numeric(18, 2))
    actual: Decimal | None = Field(default=None, sa_type=sa.Numeric(18, 2))
    weight: int = 100  # percent of the team's score


class PromotionStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"  # waiting for its effective date
    APPLIED = "applied"
    REJECTED = "rejected"


class Promotion(EditableBase, table=True):
    """A change of position and grade (and pay) from a date, proposed by HR and approved by a
    second person; applied to the employee on its effective date."""

    __tablename__ = "promotion"

    employee_id: int = Field(foreign_key="employee.id", index=True)
    from_position: str = code_field(100, default="")
    to_position: str = code_field(100)
    from_grade: str = code_field(10, default="")
    to_grade: str = code_field(10, default="")
    effective_on: date = Field(index=True)
    reason: str = text_field()
    new_salary_cipher: str = Field(default="", sa_type=sa.Text)  # monthly, CNY, encrypted
    status: str = code_field(20, default=PromotionStatus.PROPOSED, index=True)
    applied_at: datetime | None = time_field()
