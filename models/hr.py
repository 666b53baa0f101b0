"""Teams, employees, headcount plan, hiring, training and appraisals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import EditableBase, code_field, text_field


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
    salary_cipher: str = Field(default="", sa_type=sa.Text)
    email: str = code_field(200, default="")
    phone: str = code_field(40, default="")


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


class JobOpening(EditableBase, table=True):
    __tablename__ = "job_opening"

    title: str = code_field(200)
    team_id: int = Field(foreign_key="team.id", index=True)
    headcount: int = 1
    status: str = code_field(20, default="open", index=True)
    opened_on: date
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


class TrainingRecord(EditableBase, table=True):
    __tablename__ = "training_record"

    program_id: int = Field(foreign_key="training_program.id", index=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    attended_on: date
    hours: Decimal = Field(default=Decimal("0"), sa_type=sa.Numeric(6, 1))
    result: str = code_field(20, default="passed")


class AppraisalCycle(EditableBase, table=True):
    __tablename__ = "appraisal_cycle"

    name: str = code_field(100)
    period_start: date
    period_end: date
    status: str = code_field(20, default="open", index=True)


class Appraisal(EditableBase, table=True):
    __tablename__ = "appraisal"
    __table_args__ = (sa.UniqueConstraint("cycle_id", "employee_id"),)

    cycle_id: int = Field(foreign_key="appraisal_cycle.id")
    employee_id: int = Field(foreign_key="employee.id", index=True)
    goals: str = text_field()
    self_assessment: str = text_field()
    manager_rating: str | None = code_field(2, default=None)  # A/B/C/D
    final_rating: str | None = code_field(2, default=None)
