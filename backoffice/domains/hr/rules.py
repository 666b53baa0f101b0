"""HR rules: hiring a candidate, headcount against plan, training gaps, time to hire,
appraisals (self-assessment, the manager's rating, HR's calibration) and promotions."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.engine.fields import to_text
from backoffice.platform import audit, numerals
from backoffice.platform.business_time import local_today
from backoffice.platform.refusal import Refusal
from backoffice.platform.versioned import write_versioned
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.hr import (
    Appraisal,
    AppraisalCycle,
    AppraisalStatus,
    Candidate,
    CandidateStage,
    Employee,
    EmployeeStatus,
    HeadcountPlan,
    JobOpening,
    OpeningStatus,
    Promotion,
    PromotionStatus,
    Rating,
    Team,
    TrainingProgram,
    TrainingRecord,
    TrainingResult,
)
from models.identity import User

QUARTER = re.compile(r"\A([0-9]{4})-Q([1-4])\Z")
MASK = "******"


class HrError(Refusal):
    """A refusal with an i18n key and its parameters."""


# --- people ---------------------------------------------------------------------------------
def employee_of(session: Session, principal: Principal) -> Employee | None:
    """The employee record the caller's staff account belongs to, if any."""
    employee_id = session.execute(
        sa.select(User.employee_id).where(User.id == principal.user_id)
    ).scalar_one_or_none()
    return session.get(Employee, employee_id) if employee_id else None


def accounts_of(session: Session, employee_id: int) -> list[str]:
    return list(
        session.execute(
            sa.select(User.username).where(User.employee_id == employee_id).order_by(User.username)
        ).scalars()
    )


def next_employee_no(session: Session) -> str:
    numbers = session.execute(sa.select(Employee.employee_no)).scalars()
    highest = max((numerals.whole(n[1:], 18) or 0 for n in numbers), default=0)
    return f"E{highest + 1:04d}"


def reports_of(session: Session, manager_id: int) -> list[Employee]:
    return list(
        session.exec(
            select(Employee)
            .where(Employee.manager_id == manager_id, Employee.status != EmployeeStatus.LEFT)
            .order_by(Employee.employee_no)
        )
    )


@dataclass
class OrgNode:
    id: int
    name: str
    position: str
    team: str
    depth: int
    reports: int


def org_chart(session: Session, lang: str = "zh") -> list[OrgNode]:
    """Everyone who has not left, depth first from the top (people without a manager)."""
    staff = list(
        session.exec(
            select(Employee)
            .where(Employee.status != EmployeeStatus.LEFT, Employee.archived_at.is_(None))
            .order_by(Employee.employee_no)
        )
    )
    teams = {t.id: (t.name_en if lang == "en" else t.name_zh) for t in session.exec(select(Team))}
    ids = {e.id for e in staff}
    children: dict[int | None, list[Employee]] = defaultdict(list)
    for person in staff:
        children[person.manager_id if person.manager_id in ids else None].append(person)
    nodes: list[OrgNode] = []
    seen: set[int] = set()

    def walk(person: Employee, depth: int) -> None:
        if person.id in seen:  # a manager loop: shown once
            return
        seen.add(person.id)  # type: ignore[arg-type]
        below = children.get(person.id, [])
        nodes.append(
            OrgNode(
                person.id,
                person.name,
                person.position,
                teams.get(person.team_id, ""),  # type: ignore[arg-type]
                depth,
                len(below),
            )
        )
        for child in below:
            walk(child, depth + 1)

    for top in children[None]:
        walk(top, 0)
    return nodes


# --- headcount ------------------------------------------------------------------------------
def quarter_bounds(quarter: str) -> tuple[date, date]:
    match = QUARTER.match(quarter) if isinstance(quarter, str) else None
    if not match or not 1 <= int(match[1]) <= 9998:  # a date exists on both ends
        raise HrError("hr.bad_quarter")
    year, number = int(match[1]), int(match[2])
    start = date(year, 3 * number - 2, 1)
    end = date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1) - timedelta(days=1)
    return start, end


def quarter_of(day: date) -> str:
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


@dataclass
class HeadcountRow:
    team_id: int
    team: str
    planned: int
    actual: int

    @property
    def gap(self) -> int:
        return self.actual - self.planned


def headcount(session: Session, quarter: str, today: date, lang: str = "zh") -> list[HeadcountRow]:
    """Per team: the plan for the quarter and the staff on its books at the quarter's end (or
    today, for the quarter under way): hired by then and not left by then."""
    _start, end = quarter_bounds(quarter)
    as_of = min(end, today)
    plans = dict(
        session.execute(
            sa.select(HeadcountPlan.team_id, HeadcountPlan.planned).where(
                HeadcountPlan.quarter == quarter, HeadcountPlan.archived_at.is_(None)
            )
        ).all()
    )
    on_books = sa.and_(
        Employee.hire_date <= as_of,
        Employee.archived_at.is_(None),
        sa.or_(Employee.left_on.is_(None), Employee.left_on > as_of),
        sa.or_(Employee.status != EmployeeStatus.LEFT, Employee.left_on.is_not(None)),
    )
    actual = dict(
        session.execute(
            sa.select(Employee.team_id, sa.func.count()).where(on_books).group_by(Employee.team_id)
        ).all()
    )
    return [
        HeadcountRow(
            t.id,
            t.name_en if lang == "en" else t.name_zh,
            plans.get(t.id, 0),  # type: ignore[arg-type]
            actual.get(t.id, 0),
        )
        for t in session.exec(select(Team).where(Team.archived_at.is_(None)).order_by(Team.id))
    ]


# --- hiring ---------------------------------------------------------------------------------
def hire(session: Session, principal: Principal, candidate: Candidate) -> Employee:
    """The hired candidate becomes an employee on probation in the opening's team, reporting to
    the team's manager, paid the offered salary; the opening is filled once its headcount is."""
    opening = session.get(JobOpening, candidate.opening_id)
    assert opening is not None
    team = session.get(Team, opening.team_id)
    employee = Employee(
        employee_no=next_employee_no(session),
        name=candidate.name,
        team_id=opening.team_id,
        position=opening.title,
        manager_id=team.manager_id if team else None,
        hire_date=candidate.start_on or local_today(),
        status=EmployeeStatus.PROBATION,
        salary_cipher=candidate.offer_salary_cipher,
        email=candidate.email,
    )
    session.add(employee)
    session.flush()
    audit.record(
        session,
        actor=principal.username,
        action="employee.create",
        entity="employee",
        entity_id=employee.id,  # type: ignore[arg-type]
        changes={
            "employee_no": [None, employee.employee_no],
            "name": [None, employee.name],
            "team_id": [None, str(employee.team_id)],
            "position": [None, employee.position],
            "hire_date": [None, to_text(employee.hire_date)],
            "salary": [None, MASK if employee.salary_cipher else ""],
            "candidate": [None, str(candidate.id)],
        },
    )
    session.execute(
        sa.update(Candidate)
        .where(Candidate.id == candidate.id)
        .values(employee_id=employee.id, version=Candidate.version + 1)
    )
    hired = session.execute(
        sa.select(sa.func.count()).where(
            Candidate.opening_id == opening.id, Candidate.stage == CandidateStage.HIRED
        )
    ).scalar_one()
    if hired >= opening.headcount and opening.status == OpeningStatus.OPEN:
        session.execute(
            sa.update(JobOpening)
            .where(JobOpening.id == opening.id)
            .values(
                status=OpeningStatus.FILLED,
                closed_on=local_today(),
                version=JobOpening.version + 1,
                updated_at=utcnow(),
            )
        )
        audit.record(
            session,
            actor=principal.username,
            action="job_opening.filled",
            entity="job_opening",
            entity_id=opening.id,  # type: ignore[arg-type]
            changes={"status": [opening.status, OpeningStatus.FILLED]},
        )
    return employee


@dataclass
class HiringRow:
    key: str
    applicants: int = 0
    hired: int = 0
    rejected: int = 0
    days_to_hire: list[int] = field(default_factory=list)

    @property
    def mean_days(self) -> Decimal | None:
        if not self.days_to_hire:
            return None
        return (Decimal(sum(self.days_to_hire)) / len(self.days_to_hire)).quantize(Decimal("0.1"))


def time_to_hire(session: Session, since: date, by: str = "channel") -> list[HiringRow]:
    """Candidates who applied since a day, per source channel (or opening): how many, how many
    hired and rejected, and the days from application to the recorded hire."""
    column = Candidate.channel if by == "channel" else Candidate.opening_id
    rows: dict[str, HiringRow] = {}
    query = sa.select(column, Candidate.stage, Candidate.applied_on, Candidate.hired_on).where(
        Candidate.applied_on >= since, Candidate.archived_at.is_(None)
    )
    for key, stage, applied_on, hired_on in session.execute(query):
        row = rows.setdefault(str(key), HiringRow(str(key)))
        row.applicants += 1
        if stage == CandidateStage.HIRED:
            row.hired += 1
            if hired_on is not None:
                row.days_to_hire.append((hired_on - applied_on).days)
        elif stage == CandidateStage.REJECTED:
            row.rejected += 1
    return sorted(rows.values(), key=lambda r: r.key)


def open_openings(session: Session) -> list[JobOpening]:
    """The openings not archived, for the hiring board's picker."""
    return list(
        session.exec(
            select(JobOpening).where(JobOpening.archived_at.is_(None)).order_by(JobOpening.id)
        )
    )


def candidate(session: Session, candidate_id: int) -> Candidate | None:
    return session.get(Candidate, candidate_id)


def pipeline(session: Session, opening_id: int | None = None) -> dict[str, list[Candidate]]:
    """Candidates by stage for the kanban board, oldest application first."""
    query = select(Candidate).where(Candidate.archived_at.is_(None))
    if opening_id:
        query = query.where(Candidate.opening_id == opening_id)
    board: dict[str, list[Candidate]] = {stage.value: [] for stage in CandidateStage}
    for candidate in session.exec(query.order_by(Candidate.applied_on, Candidate.id)):
        board.setdefault(candidate.stage, []).append(candidate)
    return board


# --- training -------------------------------------------------------------------------------
@dataclass
class TrainingGap:
    employee_id: int
    employee: str
    team_id: int
    program_id: int
    program: str
    due_on: date

    def overdue(self, today: date) -> bool:
        return self.due_on < today


def training_gaps(session: Session) -> list[TrainingGap]:
    """Each current employee without a pass (or, for programmes with no assessment, an
    attendance) in each mandatory programme, with the day it falls due (hire + allowance)."""
    programs = list(
        session.exec(
            select(TrainingProgram).where(
                TrainingProgram.mandatory.is_(True), TrainingProgram.archived_at.is_(None)
            )
        )
    )
    staff = list(
        session.exec(
            select(Employee)
            .where(Employee.status != EmployeeStatus.LEFT, Employee.archived_at.is_(None))
            .order_by(Employee.hire_date.desc(), Employee.id)
        )
    )
    done = set(
        session.execute(
            sa.select(TrainingRecord.employee_id, TrainingRecord.program_id).where(
                TrainingRecord.result.in_((TrainingResult.PASSED, TrainingResult.ATTENDED)),
                TrainingRecord.archived_at.is_(None),
            )
        ).all()
    )
    return sorted(
        (
            TrainingGap(
                person.id,
                person.name,
                person.team_id,
                program.id,
                program.title,  # type: ignore[arg-type]
                person.hire_date + timedelta(days=program.due_within_days),
            )
            for person in staff
            for program in programs
            if (person.id, program.id) not in done
        ),
        key=lambda g: (g.due_on, g.employee),
    )


def training_hours(session: Session, since: date) -> dict[int, Decimal]:
    """Hours of training attended per employee since a day (absences not counted)."""
    return {
        employee_id: Decimal(hours)
        for employee_id, hours in session.execute(
            sa.select(TrainingRecord.employee_id, sa.func.sum(TrainingRecord.hours))
            .where(
                TrainingRecord.attended_on >= since,
                TrainingRecord.result != TrainingResult.ABSENT,
                TrainingRecord.archived_at.is_(None),
            )
            .group_by(TrainingRecord.employee_id)
        ).all()
    }


# --- appraisals -----------------------------------------------------------------------------
def _locked_appraisal(session: Session, appraisal_id: int) -> Appraisal:
    appraisal = session.exec(
        select(Appraisal).where(Appraisal.id == appraisal_id).with_for_update()
    ).first()
    if appraisal is None:
        raise HrError("error.not_found")
    return appraisal


def _write_appraisal(
    session: Session,
    appraisal: Appraisal,
    seen_version: int,
    values: dict[str, Any],
    *,
    actor: str,
    action: str,
) -> None:
    write_versioned(
        session,
        Appraisal,
        appraisal,
        seen_version,
        values,
        actor=actor,
        action=action,
        entity="appraisal",
        refuse=HrError,
    )


def _cycle_open(session: Session, appraisal: Appraisal) -> None:
    cycle = session.get(AppraisalCycle, appraisal.cycle_id)
    if cycle is None or cycle.status != "open":
        raise HrError("appraisal.cycle_closed")


def self_assess(
    session: Session, principal: Principal, appraisal_id: int, version: int, text: str
) -> None:
    """The employee's own account of the period; only they may give it, once, before rating."""
    if not principal.can("self_appraisal", "view"):
        raise HrError("auth.denied")
    appraisal = _locked_appraisal(session, appraisal_id)
    me = employee_of(session, principal)
    if me is None or me.id != appraisal.employee_id:
        raise HrError("appraisal.not_yours")
    _cycle_open(session, appraisal)
    if appraisal.status != AppraisalStatus.OPEN:
        raise HrError("workflow.not_from_this_state")
    text = text.strip()
    if not text:
        raise HrError("appraisal.self_assessment_required")
    if len(text) > 4000:
        raise HrError("field.too_long")
    _write_appraisal(
        session,
        appraisal,
        version,
        {"self_assessment": text, "status": AppraisalStatus.SELF_ASSESSED},
        actor=principal.username,
        action="appraisal.self_assess",
    )


def rate(
    session: Session,
    principal: Principal,
    appraisal_id: int,
    version: int,
    rating: str,
    comment: str,
) -> None:
    """The manager's rating of a direct report, after the self-assessment."""
    if not principal.can("self_appraisal", "view"):
        raise HrError("auth.denied")
    appraisal = _locked_appraisal(session, appraisal_id)
    me = employee_of(session, principal)
    subject = session.get(Employee, appraisal.employee_id)
    if me is None or subject is None or subject.manager_id != me.id:
        raise HrError("appraisal.not_your_report")
    _cycle_open(session, appraisal)
    if appraisal.status != AppraisalStatus.SELF_ASSESSED:
        raise HrError("appraisal.needs_self_assessment")
    if rating not in tuple(Rating):
        raise HrError("field.not_a_choice")
    comment = comment.strip()
    if not comment:
        raise HrError("appraisal.comment_required")
    _write_appraisal(
        session,
        appraisal,
        version,
        {
            "manager_rating": rating,
            "manager_comment": comment[:4000],
            "rated_by": principal.username,
            "status": AppraisalStatus.RATED,
        },
        actor=principal.username,
        action="appraisal.manager_rate",
    )


def calibrate(
    session: Session,
    principal: Principal,
    appraisal_id: int,
    version: int,
    final_rating: str,
    note: str,
) -> None:
    """HR fixes the final rating; moving away from the manager's rating needs a reason, and
    nobody calibrates their own appraisal or one they rated."""
    if not principal.can("appraisal", "approve"):
        raise HrError("auth.denied")
    appraisal = _locked_appraisal(session, appraisal_id)
    _cycle_open(session, appraisal)
    if appraisal.status != AppraisalStatus.RATED:
        raise HrError("appraisal.needs_rating")
    me = employee_of(session, principal)
    if (me is not None and me.id == appraisal.employee_id) or (
        appraisal.rated_by == principal.username
    ):
        raise HrError("workflow.maker_checker")
    if final_rating not in tuple(Rating):
        raise HrError("field.not_a_choice")
    note = note.strip()
    if final_rating != appraisal.manager_rating and not note:
        raise HrError("appraisal.calibration_reason")
    _write_appraisal(
        session,
        appraisal,
        version,
        {
            "final_rating": final_rating,
            "calibration_note": note[:4000],
            "status": AppraisalStatus.CALIBRATED,
        },
        actor=principal.username,
        action="appraisal.calibrate",
    )


def appraisal_cycles(session: Session) -> list[AppraisalCycle]:
    """Every appraisal cycle, the latest period first."""
    return list(session.exec(select(AppraisalCycle).order_by(AppraisalCycle.period_start.desc())))


def rating_distribution(session: Session, cycle_id: int) -> dict[str, dict[str, int]]:
    """How many of each rating the managers gave and HR settled on, in a cycle."""
    result: dict[str, dict[str, int]] = {r.value: {"manager": 0, "final": 0} for r in Rating}
    for manager, final in session.execute(
        sa.select(Appraisal.manager_rating, Appraisal.final_rating).where(
            Appraisal.cycle_id == cycle_id
        )
    ):
        if manager in result:
            result[manager]["manager"] += 1
        if final in result:
            result[final]["final"] += 1
    return result


def _own_or_reports(principal: Principal) -> sa.ColumnElement[bool]:
    """Appraisals of the caller's own employee record and of their direct reports (leavers
    included: a manager still rates a leaver's appraisal, see :func:`rate`)."""
    mine = (
        sa.select(User.employee_id)
        .where(User.id == principal.user_id, User.employee_id.is_not(None))
        .scalar_subquery()
    )
    reports = sa.select(Employee.id).where(Employee.manager_id == mine)
    return sa.or_(Appraisal.employee_id == mine, Appraisal.employee_id.in_(reports))


def appraisal_scope(principal: Principal) -> sa.ColumnElement[bool] | None:
    """The one rule for which appraisals a caller sees (the engine's list, the appraisal
    desk): all with HR's or executives' approval right; otherwise their own and their direct
    reports'. None: no limit."""
    if principal.can("appraisal", "approve"):
        return None
    return _own_or_reports(principal)


@dataclass(frozen=True)
class AppraisalDesk:
    """What the appraisal desk shows for one cycle: the caller's own appraisal, their direct
    reports' (to rate), and for calibrators every rated one."""

    employee: Employee | None
    mine: Appraisal | None
    reports: list[tuple[Appraisal, Employee]]
    calibration: list[tuple[Appraisal, Employee]]


def appraisal_desk(session: Session, principal: Principal, cycle_id: int) -> AppraisalDesk:
    me = employee_of(session, principal)
    own_and_reports = session.exec(
        select(Appraisal, Employee)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(Appraisal.cycle_id == cycle_id, _own_or_reports(principal))
        .order_by(Appraisal.employee_id)
    ).all()
    mine = next((a for a, e in own_and_reports if me is not None and e.id == me.id), None)
    reports = [(a, e) for a, e in own_and_reports if me is None or e.id != me.id]
    calibration: list[tuple[Appraisal, Employee]] = []
    if principal.can("appraisal", "approve"):
        calibration = list(
            session.exec(
                select(Appraisal, Employee)
                .join(Employee, Employee.id == Appraisal.employee_id)
                .where(
                    Appraisal.cycle_id == cycle_id,
                    Appraisal.status.in_((AppraisalStatus.RATED, AppraisalStatus.CALIBRATED)),
                )
                .order_by(Appraisal.status.desc(), Appraisal.employee_id)
                .limit(300)
            ).all()
        )
    return AppraisalDesk(me, mine, list(reports), calibration)


def appraisal_work(session: Session, principal: Principal) -> tuple[int, int]:
    """In the open cycles, the appraisals waiting for the caller: to rate (a direct report's
    self-assessment is in, :func:`rate`) and to calibrate (rated by someone else, not their
    own, :func:`calibrate`)."""
    to_rate = to_calibrate = 0
    cycles = session.execute(
        sa.select(AppraisalCycle.id).where(AppraisalCycle.status == "open")
    ).scalars()
    for cycle_id in cycles:
        desk = appraisal_desk(session, principal, cycle_id)
        to_rate += sum(
            1
            for a, e in desk.reports
            if desk.employee is not None
            and e.manager_id == desk.employee.id
            and a.status == AppraisalStatus.SELF_ASSESSED
        )
        to_calibrate += sum(
            1
            for a, _e in desk.calibration
            if a.status == AppraisalStatus.RATED
            and a.rated_by != principal.username
            and (desk.employee is None or a.employee_id != desk.employee.id)
        )
    return to_rate, to_calibrate


# --- promotions -----------------------------------------------------------------------------
def apply_promotion(session: Session, promotion: Promotion, actor: str) -> None:
    """Give the employee the new position, grade and (if set) salary, and mark it applied."""
    employee = session.get(Employee, promotion.employee_id)
    assert employee is not None
    values: dict[str, Any] = {"position": promotion.to_position}
    if promotion.to_grade:
        values["grade"] = promotion.to_grade
    if promotion.new_salary_cipher:
        values["salary_cipher"] = promotion.new_salary_cipher
    changes = {
        "position": [employee.position, promotion.to_position],
        "grade": [employee.grade, values.get("grade", employee.grade)],
    }
    if "salary_cipher" in values:
        changes["salary"] = [MASK, MASK]
    session.execute(
        sa.update(Employee)
        .where(Employee.id == employee.id)
        .values(**values, version=Employee.version + 1, updated_at=utcnow())
    )
    session.execute(
        sa.update(Promotion)
        .where(Promotion.id == promotion.id)
        .values(
            status=PromotionStatus.APPLIED,
            applied_at=utcnow(),
            version=Promotion.version + 1,
            updated_at=utcnow(),
        )
    )
    session.expire(employee)
    audit.record(
        session,
        actor=actor,
        action="employee.promotion",
        entity="employee",
        entity_id=employee.id,  # type: ignore[arg-type]
        changes={**changes, "promotion": [None, str(promotion.id)]},
    )
    audit.record(
        session,
        actor=actor,
        action="promotion.applied",
        entity="promotion",
        entity_id=promotion.id,  # type: ignore[arg-type]
        changes={"status": [promotion.status, PromotionStatus.APPLIED]},
    )


def apply_due_promotions(session: Session, today: date) -> int:
    """The daily job: approved promotions whose effective date has come."""
    due = list(
        session.exec(
            select(Promotion)
            .where(Promotion.status == PromotionStatus.APPROVED, Promotion.effective_on <= today)
            .order_by(Promotion.effective_on, Promotion.id)
            .with_for_update()
        )
    )
    for promotion in due:
        apply_promotion(session, promotion, "system")
    return len(due)


# --- an employee's file ---------------------------------------------------------------------
@dataclass
class EmployeeFile:
    training: list[tuple[str, date, Decimal, str]] = field(default_factory=list)
    appraisals: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)
    promotions: list[tuple[str, str, date, str]] = field(default_factory=list)


def employee_file(session: Session, principal: Principal, employee_id: int) -> EmployeeFile:
    """Training, appraisals and promotions of one employee, each only with its view right."""
    if not principal.can("employee", "view"):
        raise HrError("auth.denied")
    file = EmployeeFile()
    if principal.can("training", "view"):
        file.training = [
            (title, row.attended_on, row.hours, row.result)
            for row, title in session.execute(
                sa.select(TrainingRecord, TrainingProgram.title)
                .join(TrainingProgram, TrainingProgram.id == TrainingRecord.program_id)
                .where(TrainingRecord.employee_id == employee_id)
                .order_by(TrainingRecord.attended_on.desc())
                .limit(100)
            ).all()
        ]
    if principal.can("appraisal", "view") and principal.can("appraisal", "approve"):
        file.appraisals = [
            (name, row.status, row.manager_rating, row.final_rating)
            for row, name in session.execute(
                sa.select(Appraisal, AppraisalCycle.name)
                .join(AppraisalCycle, AppraisalCycle.id == Appraisal.cycle_id)
                .where(Appraisal.employee_id == employee_id)
                .order_by(AppraisalCycle.period_start.desc())
            ).all()
        ]
        file.promotions = [
            (p.from_position, p.to_position, p.effective_on, p.status)
            for p in session.exec(
                select(Promotion)
                .where(Promotion.employee_id == employee_id)
                .order_by(Promotion.effective_on.desc())
            )
        ]
    return file
