"""Project rules: milestone health (red/amber/green), moving dates through finish-to-start
dependencies with a logged reason, baseline re-sets, risk scores and the alert job."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import object_session
from sqlmodel import Session, select

from backoffice.engine.fields import to_text
from backoffice.platform import notifications
from backoffice.platform.business_time import local_today
from backoffice.platform.jobs import Outcome
from backoffice.platform.refusal import Refusal
from backoffice.platform.versioned import check_version, write_versioned
from backoffice.security.rbac import Principal
from models.hr import Employee
from models.identity import User
from models.projects import (
    AdjustmentKind,
    BaselineReset,
    Milestone,
    MilestoneStatus,
    PlanAdjustment,
    Project,
    ProjectIndicator,
    ProjectPhase,
    ProjectRisk,
    RiskStatus,
)

# --- the health rule: every number in one place (the pages show them) ----------------------
RED_SLIP_DAYS = 10  # red: the forecast (or actual) end is more than this many days past baseline
BEHIND_POINTS = 15  # amber: progress behind the share of time elapsed by more than this
# amber also: slipping by 1…RED_SLIP_DAYS days, or blocked; red also: overdue (end passed, not done)

# --- risk score bands (probability × impact, each 1–5) --------------------------------------
RISK_HIGH = 15  # ≥ 15 high
RISK_MEDIUM = 8  # ≥ 8 medium, below low

MAX_REASON = 2000


class ProjectError(Refusal):
    """A refusal with an i18n key and its parameters; nothing was changed."""


# --- dates ------------------------------------------------------------------------------------
def current_start(m: Any) -> date:
    return m.actual_start or m.forecast_start or m.planned_start


def current_end(m: Any) -> date:
    """The end the plan now expects (the forecast; the baseline when no forecast was set)."""
    return m.forecast_end or m.planned_end


def finish(m: Any) -> date:
    """When the milestone ended or is expected to end: what its dependants wait for."""
    return m.actual_end or current_end(m)


def is_done(m: Any) -> bool:
    return m.status == MilestoneStatus.DONE or m.actual_end is not None


def slip_days(m: Any) -> int:
    """Days the (actual or forecast) end lies past the baseline end; negative if ahead."""
    return (finish(m) - m.planned_end).days


def expected_progress(m: Any, today: date) -> int:
    """The share of the planned duration elapsed by today, in percent (0–100)."""
    start = m.forecast_start or m.planned_start
    end = current_end(m)
    if today < start:
        return 0
    if today >= end:
        return 100
    total = (end - start).days + 1
    return round(100 * ((today - start).days + 1) / total)


@dataclass(frozen=True)
class Health:
    rag: str  # red / amber / green
    reasons: tuple[str, ...] = ()  # i18n keys project.why.<reason>

    @property
    def overdue(self) -> bool:
        return "overdue" in self.reasons


def health(m: Any, today: date) -> Health:
    """RAG of one milestone (see RED_SLIP_DAYS and BEHIND_POINTS)."""
    slip = slip_days(m)
    if is_done(m):
        return Health("green", ("done",))
    red = []
    if today > current_end(m):
        red.append("overdue")
    if slip > RED_SLIP_DAYS:
        red.append("slipped")
    if red:
        return Health("red", tuple(red))
    amber = []
    if slip > 0:
        amber.append("slipping")
    if expected_progress(m, today) - m.progress > BEHIND_POINTS:
        amber.append("behind")
    if m.status == MilestoneStatus.BLOCKED:
        amber.append("blocked")
    if amber:
        return Health("amber", tuple(amber))
    return Health("green", ())


def worst(rags: list[str]) -> str:
    for rag in ("red", "amber"):
        if rag in rags:
            return rag
    return "green"


# --- dependencies -----------------------------------------------------------------------------
def indicators(session: Session, project_id: int) -> list[ProjectIndicator]:
    """A project's live indicators in phase order, then by the day recorded."""
    order = {p.value: n for n, p in enumerate(ProjectPhase)}
    found = session.exec(
        select(ProjectIndicator).where(
            ProjectIndicator.project_id == project_id,
            ProjectIndicator.archived_at.is_(None),
        )
    ).all()
    return sorted(found, key=lambda i: (order.get(i.phase, 9), i.recorded_on, i.id))


def _milestones(session: Session, project_id: int) -> list[Milestone]:
    return list(
        session.exec(
            select(Milestone)
            .where(Milestone.project_id == project_id, Milestone.archived_at.is_(None))
            .order_by(Milestone.planned_start, Milestone.id)
        )
    )


def would_cycle(session: Session, milestone_id: int | None, predecessor_id: int | None) -> bool:
    """True if making ``milestone_id`` depend on ``predecessor_id`` closes a loop."""
    if predecessor_id is None or milestone_id is None:
        return False
    seen: set[int] = set()
    current: int | None = predecessor_id
    while current is not None and current not in seen:
        if current == milestone_id:
            return True
        seen.add(current)
        current = session.execute(
            sa.select(Milestone.depends_on_id).where(Milestone.id == current)
        ).scalar_one_or_none()
    return current is not None  # a loop already there: refuse to join it


def dependency_problem(
    session: Session, milestone_id: int | None, project_id: int | None, predecessor_id: int | None
) -> str | None:
    """Why this finish-to-start dependency is refused (an i18n key), or None."""
    if predecessor_id is None:
        return None
    predecessor = session.get(Milestone, predecessor_id)
    if predecessor is None or predecessor.archived_at is not None:
        return "error.not_found"
    if project_id is not None and predecessor.project_id != project_id:
        return "project.dependency_other_project"
    if would_cycle(session, milestone_id, predecessor_id):
        return "project.dependency_cycle"
    return None


def _starts_too_early(session: Session, predecessor_id: int | None, start: date) -> bool:
    """Finish-to-start: a start on or before the predecessor's finish breaks the link (move the
    dates first, then link)."""
    if predecessor_id is None:
        return False
    predecessor = session.get(Milestone, predecessor_id)
    return predecessor is not None and start <= finish(predecessor)


def milestone_edit_guard(record: Any, changes: dict[str, Any]) -> dict[str, str]:
    """Engine edits of a milestone: no loops, same project; done needs an actual end."""
    session = object_session(record)
    if "depends_on_id" in changes and session is not None:
        problem = dependency_problem(
            session,
            record.id,
            changes.get("project_id", record.project_id),
            changes["depends_on_id"],
        )
        if problem:
            return {"depends_on_id": problem}
        if _starts_too_early(session, changes["depends_on_id"], current_start(record)):
            return {"depends_on_id": "project.starts_before_predecessor"}
    if changes.get("status") == MilestoneStatus.DONE and record.actual_end is None:
        return {"status": "project.done_needs_actual_end"}
    return {}


def milestone_before_create(
    session: Session, principal: Principal, values: dict[str, Any]
) -> dict[str, str]:
    problem = dependency_problem(
        session, None, values.get("project_id"), values.get("depends_on_id")
    )
    if problem:
        return {"depends_on_id": problem}
    start = values.get("planned_start")
    if start is not None and _starts_too_early(session, values.get("depends_on_id"), start):
        return {"depends_on_id": "project.starts_before_predecessor"}
    if values.get("status") == MilestoneStatus.DONE:
        return {"status": "project.done_needs_actual_end"}
    values["forecast_start"] = values.get("planned_start")
    values["forecast_end"] = values.get("planned_end")
    return {}


def earliest_start(session: Session, m: Milestone) -> date | None:
    """The day after the predecessor finishes (finish-to-start), or None."""
    if m.depends_on_id is None:
        return None
    predecessor = session.get(Milestone, m.depends_on_id)
    if predecessor is None or predecessor.archived_at is not None:
        return None
    return finish(predecessor) + timedelta(days=1)


# --- moving dates -----------------------------------------------------------------------------
@dataclass
class Move:
    milestone_id: int
    name: str
    changes: dict[str, tuple[date | None, date | None]] = field(default_factory=dict)
    pushed: bool = False  # moved because a predecessor moved


def _locked(session: Session, milestone_id: int) -> Milestone:
    m = session.exec(
        select(Milestone).where(Milestone.id == milestone_id).with_for_update()
    ).first()
    if m is None:
        raise ProjectError("error.not_found")
    return m


def _write_milestone(
    session: Session,
    m: Milestone,
    seen_version: int,
    values: dict[str, Any],
    *,
    actor: str,
    action: str,
    reason: str,
    kind: str,
    cause_id: int | None,
) -> None:
    """A version-checked write of a milestone, one adjustment row per changed date, audited."""
    before = {name: getattr(m, name) for name in values}
    changed = {k: v for k, v in values.items() if before[k] != v}
    write_versioned(
        session,
        Milestone,
        m,
        seen_version,
        values,
        actor=actor,
        action=action,
        entity="milestone",
        changes={
            **{k: [to_text(before[k]), to_text(v)] for k, v in changed.items()},
            "reason": [None, reason[:200]],
        },
        refuse=ProjectError,
    )
    for name, value in changed.items():
        if name not in DATE_FIELDS:
            continue
        session.add(
            PlanAdjustment(
                project_id=m.project_id,
                milestone_id=m.id,
                kind=kind,
                field=name,
                old_value=to_text(before[name]),
                new_value=to_text(value),
                reason=reason,
                made_by=actor,
                cause_id=cause_id,
            )
        )
    session.flush()


DATE_FIELDS = (
    "planned_start",
    "planned_end",
    "forecast_start",
    "forecast_end",
    "actual_start",
    "actual_end",
)


def move_milestone(
    session: Session,
    *,
    principal: Principal,
    milestone_id: int,
    version: int,
    reason: str,
    forecast_start: date | None = None,
    forecast_end: date | None = None,
    actual_start: date | None = None,
    actual_end: date | None = None,
    today: date | None = None,
) -> list[Move]:
    """Move a milestone's forecast or actual dates (None: unchanged) for a reason; its
    dependants are pushed to start after it finishes, transitively. Every change goes to the
    plan-adjustment log and the audit. Returns what moved, the milestone first."""
    if not principal.can("project", "edit"):
        raise ProjectError("auth.denied")
    today = today or local_today()
    reason = (reason or "").strip()
    if not reason:
        raise ProjectError("project.reason_required")
    if len(reason) > MAX_REASON:
        raise ProjectError("field.too_long")
    for value in (forecast_start, forecast_end, actual_start, actual_end):
        if value is not None and not isinstance(value, date):
            raise ProjectError("field.not_a_date")
    m = _locked(session, milestone_id)
    if m.archived_at is not None:
        raise ProjectError("record.archived")
    check_version(session, "milestone", m, version, refuse=ProjectError)
    new_start = forecast_start or m.forecast_start or m.planned_start
    new_end = forecast_end or current_end(m)
    if new_end < new_start:
        raise ProjectError("project.end_before_start")
    new_actual_start = actual_start or m.actual_start
    new_actual_end = actual_end or m.actual_end
    if new_actual_end is not None and new_actual_start is None:
        raise ProjectError("project.actual_end_needs_start")
    if new_actual_start and new_actual_end and new_actual_end < new_actual_start:
        raise ProjectError("project.end_before_start")
    if any(d is not None and d > today for d in (actual_start, actual_end)):
        raise ProjectError("project.actual_in_future")
    earliest = earliest_start(session, m)
    if earliest is not None and forecast_start is not None and forecast_start < earliest:
        raise ProjectError("project.starts_before_predecessor")
    values: dict[str, Any] = {
        "forecast_start": new_start,
        "forecast_end": new_end,
        "actual_start": new_actual_start,
        "actual_end": new_actual_end,
    }
    if new_actual_end is not None:
        values.update(status=MilestoneStatus.DONE, progress=100)
    elif new_actual_start is not None and m.status == MilestoneStatus.NOT_STARTED:
        values["status"] = MilestoneStatus.IN_PROGRESS
    before = {k: getattr(m, k) for k in values}
    if all(before[k] == v for k, v in values.items()):
        raise ProjectError("project.nothing_to_move")
    _write_milestone(
        session,
        m,
        version,
        values,
        actor=principal.username,
        action="milestone.move",
        reason=reason,
        kind=AdjustmentKind.DATES,
        cause_id=None,
    )
    moves = [
        Move(
            m.id,  # type: ignore[arg-type]
            m.name,
            {k: (before[k], v) for k, v in values.items() if k in DATE_FIELDS and before[k] != v},
        )
    ]
    moves.extend(_push_dependants(session, m, principal.username, reason))
    return moves


def _push_dependants(session: Session, root: Milestone, actor: str, reason: str) -> list[Move]:
    """Breadth-first through finish-to-start links: a dependant not yet started whose start is
    before its predecessor's finish + 1 day moves there, keeping its duration. Pushes only
    (a predecessor finishing earlier frees, but does not pull, its dependants)."""
    moves: list[Move] = []
    queue: deque[int] = deque([root.id])  # type: ignore[arg-type]
    visited: set[int] = {root.id}  # type: ignore[arg-type]
    while queue:
        predecessor = session.get(Milestone, queue.popleft())
        assert predecessor is not None
        earliest = finish(predecessor) + timedelta(days=1)
        dependants = session.exec(
            select(Milestone)
            .where(Milestone.depends_on_id == predecessor.id, Milestone.archived_at.is_(None))
            .order_by(Milestone.id)
            .with_for_update()
        ).all()
        for d in dependants:
            if d.id in visited:
                continue
            visited.add(d.id)  # type: ignore[arg-type]
            start = d.forecast_start or d.planned_start
            if d.actual_start is None and start < earliest:
                shift = earliest - start
                values = {"forecast_start": earliest, "forecast_end": current_end(d) + shift}
                before = {k: getattr(d, k) for k in values}
                _write_milestone(
                    session,
                    d,
                    d.version,
                    values,
                    actor=actor,
                    action="milestone.pushed",
                    reason=reason,
                    kind=AdjustmentKind.DATES,
                    cause_id=root.id,
                )
                moves.append(
                    Move(
                        d.id,  # type: ignore[arg-type]
                        d.name,
                        {k: (before[k], v) for k, v in values.items()},
                        pushed=True,
                    )
                )
            queue.append(d.id)  # type: ignore[arg-type]
    return moves


# --- baseline ---------------------------------------------------------------------------------
def baseline_after_approval(session: Session, principal: Principal, reset: BaselineReset) -> None:
    """The approved re-set: every milestone's baseline becomes its current plan (logged)."""
    for m in _milestones(session, reset.project_id):
        values = {
            "planned_start": m.forecast_start or m.planned_start,
            "planned_end": current_end(m),
        }
        if all(getattr(m, k) == v for k, v in values.items()):
            continue
        _write_milestone(
            session,
            m,
            m.version,
            values,
            actor=principal.username,
            action="milestone.rebaseline",
            reason=reset.reason or "baseline re-set",
            kind=AdjustmentKind.BASELINE,
            cause_id=None,
        )


# --- risks --------------------------------------------------------------------------------------
def risk_score(probability: int, impact: int) -> int:
    if not (1 <= probability <= 5 and 1 <= impact <= 5):
        raise ProjectError("project.risk_scale")
    return probability * impact


def risk_level(score: int) -> str:
    if score >= RISK_HIGH:
        return "high"
    if score >= RISK_MEDIUM:
        return "medium"
    return "low"


def heat_map(session: Session, project_id: int) -> dict[tuple[int, int], list[ProjectRisk]]:
    """Open risks (not closed, not archived) by (probability, impact)."""
    cells: dict[tuple[int, int], list[ProjectRisk]] = {}
    for risk in session.exec(
        select(ProjectRisk)
        .where(
            ProjectRisk.project_id == project_id,
            ProjectRisk.archived_at.is_(None),
            ProjectRisk.status != RiskStatus.CLOSED,
        )
        .order_by(ProjectRisk.id)
    ):
        cells.setdefault((risk.probability, risk.impact), []).append(risk)
    return cells


# --- the plan as pages see it -----------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    m: Milestone
    health: Health
    expected: int
    slip: int
    earliest: date | None
    owner: str
    predecessor: str


def plan(session: Session, project_id: int, today: date) -> list[Row]:
    milestones = _milestones(session, project_id)
    names = {m.id: m.name for m in milestones}
    by_id = {m.id: m for m in milestones}
    owner_ids = {m.owner_id for m in milestones if m.owner_id}
    owners = dict(
        session.execute(
            sa.select(Employee.id, Employee.name).where(Employee.id.in_(owner_ids))
        ).all()
    )
    rows = []
    for m in milestones:
        pred = by_id.get(m.depends_on_id) if m.depends_on_id else None
        rows.append(
            Row(
                m=m,
                health=health(m, today),
                expected=expected_progress(m, today),
                slip=slip_days(m),
                earliest=finish(pred) + timedelta(days=1) if pred else None,
                owner=owners.get(m.owner_id, "") if m.owner_id else "",
                predecessor=names.get(m.depends_on_id, "") if m.depends_on_id else "",
            )
        )
    return rows


def projects(session: Session) -> list[Project]:
    return list(
        session.exec(select(Project).where(Project.archived_at.is_(None)).order_by(Project.code))
    )


def adjustments(session: Session, project_id: int, limit: int = 50) -> list[PlanAdjustment]:
    return list(
        session.exec(
            select(PlanAdjustment)
            .where(PlanAdjustment.project_id == project_id)
            .order_by(PlanAdjustment.id.desc())
            .limit(limit)
        )
    )


# --- the alert job ------------------------------------------------------------------------------
def milestone_alerts(session: Session, today: date | None = None) -> str:
    """Overdue (red) and at-risk (amber or red) milestones of active projects: one notice to
    the owner's staff account(s) and one to the PMO, once per milestone, state and planned
    end (a rerun posts nothing new; a new plan or a worse state posts again)."""
    today = today or local_today()
    rows = session.exec(
        select(Milestone)
        .join(Project, Project.id == Milestone.project_id)
        .where(
            Project.status == "active",
            Project.archived_at.is_(None),
            Milestone.archived_at.is_(None),
            Milestone.actual_end.is_(None),
            Milestone.status != MilestoneStatus.DONE,
        )
        .order_by(Milestone.id)
    ).all()
    flagged = posted = 0
    for m in rows:
        state = health(m, today)
        if state.rag == "green":
            continue
        flagged += 1
        kind = "overdue" if state.overdue else "at_risk"
        end = current_end(m)
        key = f"milestone:{m.id}:{kind}:{end.isoformat()}"
        if state.overdue:
            late = (today - end).days
            zh = f"里程碑逾期：{m.name}（计划完成 {end}，已逾期 {late} 天）"
            en = f"Milestone overdue: {m.name} (due {end}, {late} days late)"
        else:
            zh = f"里程碑存在风险：{m.name}（进度 {m.progress}%，计划完成 {end}）"
            en = f"Milestone at risk: {m.name} ({m.progress}% done, due {end})"
        link = f"/projects/gantt?project={m.project_id}"
        severity = "critical" if state.rag == "red" else "warning"
        targets: list[dict[str, Any]] = [{"role": "pmo"}]
        if m.owner_id:
            targets += [
                {"user_id": uid}
                for uid in session.execute(
                    sa.select(User.id).where(User.employee_id == m.owner_id, User.is_active)
                ).scalars()
            ]
        for target in targets:
            suffix = f"user:{target['user_id']}" if "user_id" in target else "role:pmo"
            posted += notifications.notify(
                session,
                kind="milestone",
                dedupe_key=f"{key}:{suffix}",
                title_zh=zh,
                title_en=en,
                link=link,
                severity=severity,
                **target,
            )
    return Outcome("job.result.projects.milestones", flagged=flagged, posted=posted)
