"""HR pages: the overview (headcount, organisation chart, training gaps, time to hire), the
hiring board, and the appraisal desk (my appraisal, my reports, HR's calibration)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, TypedDict

import reflex as rx

from backoffice.db import session_scope
from backoffice.domains.hr import figures, rules
from backoffice.engine import service
from backoffice.engine.resource import get as get_resource
from backoffice.i18n import choice_label, translate
from backoffice.platform import numerals
from backoffice.platform.versioned import display_names
from models.hr import (
    Appraisal,
    Employee,
    Rating,
)
from state.auth import requires
from state.base import StaffState
from state.charts import Chart, as_chart
from state.resource import record_id_param

CANDIDATE = "candidate"


class HeadcountRow(TypedDict):
    team: str
    planned: int
    actual: int
    gap: str  # signed, "0" when on plan
    short: bool  # fewer people than planned


class HeadcountTotal(TypedDict):
    planned: str
    actual: str
    gap: str


class OrgNode(TypedDict):
    id: str
    name: str
    position: str
    team: str
    indent: str  # CSS padding for the node's depth
    reports: str  # how many report to them, "" for none


class TrainingGap(TypedDict):
    employee_id: str
    employee: str
    program: str
    due: str
    overdue: bool


class HiringChannel(TypedDict):
    channel: str
    applicants: str
    hired: str
    rejected: str
    days: str  # mean days to hire, "—" without hires


class HrOverviewState(StaffState, rx.State):
    quarter: str = ""
    quarters: list[str] = []
    headcount: list[HeadcountRow] = []
    headcount_chart: Chart = {}
    total: HeadcountTotal = {}  # type: ignore[typeddict-item]
    org: list[OrgNode] = []
    gaps: list[TrainingGap] = []
    overdue_gaps: int = 0
    hiring: list[HiringChannel] = []
    can_train: bool = False
    can_hire: bool = False

    @rx.event
    @requires("employee", "view")
    async def load(self) -> None:
        today = rules.local_today()
        if not self.quarter:
            self.quarter = rules.quarter_of(today)
        self.quarters = [f"{y}-Q{q}" for y in (today.year - 1, today.year) for q in range(1, 5)]
        await self._fill()

    @rx.event
    @requires("employee", "view")
    async def pick_quarter(self, quarter: str | list[str]) -> None:
        try:
            rules.quarter_bounds(quarter)  # a quarter with real dates, e.g. not 0000-Q1
        except rules.HrError:
            return
        self.quarter = str(quarter)
        await self._fill()

    async def _fill(self) -> None:
        lang, principal = await self._lang(), await self._principal()
        today = rules.local_today()
        self.can_train = principal.can("training", "view")
        self.can_hire = principal.can("hiring", "view")
        with session_scope() as session:
            rows = rules.headcount(session, self.quarter, today, lang)
            self.headcount_chart = as_chart(figures.headcount_figure(rows, self.quarter, lang))
            self.headcount = [
                {
                    "team": r.team,
                    "planned": r.planned,
                    "actual": r.actual,
                    "gap": f"{r.gap:+d}" if r.gap else "0",
                    "short": r.gap < 0,
                }
                for r in rows
            ]
            planned, actual = sum(r.planned for r in rows), sum(r.actual for r in rows)
            self.total = {
                "planned": str(planned),
                "actual": str(actual),
                "gap": f"{actual - planned:+d}" if actual != planned else "0",
            }
            self.org = [
                {
                    "id": str(n.id),
                    "name": n.name,
                    "position": n.position,
                    "team": n.team,
                    "indent": f"{n.depth * 1.5}em",
                    "reports": str(n.reports) if n.reports else "",
                }
                for n in rules.org_chart(session, lang)
            ]
            self.gaps, self.overdue_gaps = [], 0
            if self.can_train:
                gaps = rules.training_gaps(session)
                self.overdue_gaps = sum(1 for g in gaps if g.overdue(today))
                self.gaps = [
                    {
                        "employee_id": str(g.employee_id),
                        "employee": g.employee,
                        "program": g.program,
                        "due": g.due_on.isoformat(),
                        "overdue": g.overdue(today),
                    }
                    for g in gaps[:200]
                ]
            self.hiring = []
            if self.can_hire:
                self.hiring = [
                    {
                        "channel": choice_label("hiring_channel", r.key, lang),
                        "applicants": str(r.applicants),
                        "hired": str(r.hired),
                        "rejected": str(r.rejected),
                        "days": str(r.mean_days) if r.mean_days is not None else "—",
                    }
                    for r in rules.time_to_hire(session, today - timedelta(days=365))
                ]


class Opening(TypedDict):
    id: str
    title: str


class CandidateMove(TypedDict):
    key: str
    label: str
    reason: str  # why the caller may not take it now, "" when they may


class CandidateCard(TypedDict):
    id: str
    version: str
    name: str
    opening: str
    channel: str
    applied: str
    days: str  # since applying
    employee_id: str  # "" until hired
    moves: list[CandidateMove]


class StageColumn(TypedDict):
    stage: str
    label: str
    count: str
    cards: list[CandidateCard]


class HiringBoardState(StaffState, rx.State):
    opening: str = ""  # an opening id, or "" for all
    openings: list[Opening] = []
    columns: list[StageColumn] = []
    message: str = ""

    @rx.event
    @requires("hiring", "view")
    async def load(self) -> None:
        raw = str(self.router.url.query_parameters.get("opening", ""))
        self.opening = raw if numerals.is_digits(raw) else ""
        self.message = ""
        await self._fill()

    @rx.event
    @requires("hiring", "view")
    async def pick_opening(self, opening: str | list[str]) -> Any:
        self.opening = opening if numerals.is_digits(opening) else ""
        await self._fill()
        # in the address bar: a reload or a language switch loads the same opening
        url = "/hr/hiring" + (f"?opening={self.opening}" if self.opening else "")
        return rx.call_script(f"window.history.replaceState(null, '', {json.dumps(url)})")

    async def _fill(self) -> None:
        lang, principal = await self._lang(), await self._principal()
        resource = get_resource(CANDIDATE)
        assert resource is not None and resource.workflow is not None
        workflow = resource.workflow
        today = rules.local_today()
        with session_scope() as session:
            openings = rules.open_openings(session)
            titles = {o.id: o.title for o in openings}
            self.openings = [
                {
                    "id": str(o.id),
                    "title": f"{o.title}（{choice_label('opening_status', o.status, lang)}）",
                }
                for o in openings
            ]
            board = rules.pipeline(session, int(self.opening) if self.opening else None)
            columns: list[StageColumn] = []
            for stage, candidates in board.items():
                cards: list[CandidateCard] = []
                for c in candidates:
                    moves: list[CandidateMove] = []  # every move; the refused ones say why
                    for step in workflow.available_from(c.stage):
                        if not principal.can(resource.permission, step.action):
                            continue
                        problem = service.transition_problem(
                            session,
                            principal=principal,
                            resource=resource,
                            record=c,
                            transition_key=step.key,
                        )
                        reason = translate(problem[0], lang, **problem[1]) if problem else ""
                        moves.append({"key": step.key, "label": step.label(lang), "reason": reason})
                    cards.append(
                        {
                            "id": str(c.id),
                            "version": str(c.version),
                            "name": c.name,
                            "opening": titles.get(c.opening_id, ""),
                            "channel": choice_label("hiring_channel", c.channel, lang),
                            "applied": c.applied_on.isoformat(),
                            "days": str((today - c.applied_on).days),
                            "employee_id": str(c.employee_id or ""),
                            "moves": moves,
                        }
                    )
                columns.append(
                    {
                        "stage": stage,
                        "label": choice_label("candidate_stage", stage, lang),
                        "count": str(len(cards)),
                        "cards": cards,
                    }
                )
            self.columns = columns

    @rx.event
    @requires("hiring", "view")
    async def move(self, candidate_id: str, version: str, transition: str) -> Any:
        """Take a stage transition from the board (the engine checks the right and the rules)."""
        caller = await self._caller()
        lang = caller.lang
        record_id, seen = numerals.whole(candidate_id), numerals.whole(version)
        if record_id is None or seen is None:
            return None
        with self._write_scope() as session:
            result = service.transition(
                session,
                principal=caller.principal,
                resource=get_resource(CANDIDATE),
                record_id=record_id,
                version=seen,
                transition_key=str(transition),
                client=caller.client,
            )
            hired = None
            if result.ok and transition == "hire":
                hired = rules.candidate(session, record_id)
        if not result.ok:
            self.message = translate(
                result.message or "record.invalid", lang, **result.message_params
            )
            await self._fill()
            return rx.toast.error(self.message)
        self.message = ""
        await self._fill()
        if hired is not None and hired.employee_id:
            return rx.toast.success(translate("hr.hired_toast", lang, name=hired.name))
        return rx.toast.success(translate("record.saved", lang))


class Cycle(TypedDict):
    id: str
    name: str


class AppraisalRow(TypedDict):
    id: str
    version: str
    employee: str
    position: str
    status: str
    status_label: str
    goals: str
    self_assessment: str
    manager_rating: str
    manager_rating_label: str
    manager_comment: str
    rated_by: str
    final_rating_label: str
    calibration_note: str


class RatingCount(TypedDict):
    rating: str
    manager: str
    final: str


class AppraisalDeskState(StaffState, rx.State):
    cycle_id: str = ""
    cycles: list[Cycle] = []
    # {} when the caller has no appraisal in the cycle
    mine: AppraisalRow = {}  # type: ignore[typeddict-item]
    reports: list[AppraisalRow] = []
    calibration: list[AppraisalRow] = []
    distribution: list[RatingCount] = []
    can_calibrate: bool = False
    no_employee: bool = False

    @rx.event
    @requires("self_appraisal", "view")
    async def load(self) -> None:
        with session_scope() as session:
            cycles = rules.appraisal_cycles(session)
        self.cycles = [{"id": str(c.id), "name": c.name} for c in cycles]
        open_ids = [str(c.id) for c in cycles if c.status == "open"]
        if self.cycle_id not in {c["id"] for c in self.cycles}:
            self.cycle_id = open_ids[0] if open_ids else (self.cycles[0]["id"] if cycles else "")
        await self._fill()

    @rx.event
    @requires("self_appraisal", "view")
    async def pick_cycle(self, cycle_id: str | list[str]) -> None:
        if isinstance(cycle_id, str) and cycle_id in {c["id"] for c in self.cycles}:
            self.cycle_id = cycle_id
            await self._fill()

    def _row(
        self,
        appraisal: Appraisal,
        employee: Employee | None,
        lang: str,
        names: dict[str, str] | None = None,
    ) -> AppraisalRow:
        def rating(value: str | None) -> str:
            return choice_label("rating", value, lang) if value else "—"

        return {
            "id": str(appraisal.id),
            "version": str(appraisal.version),
            "employee": employee.name if employee else "?",
            "position": employee.position if employee else "",
            "status": appraisal.status,
            "status_label": choice_label("appraisal_status", appraisal.status, lang),
            "goals": appraisal.goals,
            "self_assessment": appraisal.self_assessment,
            "manager_rating": appraisal.manager_rating or "",
            "manager_rating_label": rating(appraisal.manager_rating),
            "manager_comment": appraisal.manager_comment,
            "rated_by": (names or {}).get(appraisal.rated_by, appraisal.rated_by),
            "final_rating_label": rating(appraisal.final_rating),
            "calibration_note": appraisal.calibration_note,
        }

    async def _fill(self) -> None:
        lang, principal = await self._lang(), await self._principal()
        self.can_calibrate = principal.can("appraisal", "approve")
        self.mine, self.reports, self.calibration, self.distribution = {}, [], [], []
        if not self.cycle_id:
            return
        cycle_id = int(self.cycle_id)
        with session_scope() as session:
            desk = rules.appraisal_desk(session, principal, cycle_id)
            self.no_employee = desk.employee is None
            everyone = [
                desk.mine,
                *(a for a, _e in desk.reports),
                *(a for a, _e in desk.calibration),
            ]
            names = display_names(session, {a.rated_by for a in everyone if a}, lang)
            self.mine = self._row(desk.mine, desk.employee, lang, names) if desk.mine else {}
            self.reports = [self._row(a, e, lang, names) for a, e in desk.reports]
            if self.can_calibrate:
                self.calibration = [self._row(a, e, lang, names) for a, e in desk.calibration]
                counts = rules.rating_distribution(session, cycle_id)
                self.distribution = [
                    {
                        "rating": choice_label("rating", r, lang),
                        "manager": str(counts[r]["manager"]),
                        "final": str(counts[r]["final"]),
                    }
                    for r in counts
                ]

    async def _act(self, action: Any) -> Any:
        lang, principal = await self._lang(), await self._principal()
        try:
            with self._write_scope() as session:
                action(session, principal)
        except rules.HrError as error:
            await self._fill()
            return self._refusal(error, lang)
        await self._fill()
        return rx.toast.success(translate("record.saved", lang))

    @rx.event
    @requires("self_appraisal", "view")
    async def submit_self(self, form: dict) -> Any:
        target, text = _target(form), str(form.get("self_assessment", ""))
        if target is None:
            return None
        return await self._act(lambda s, p: rules.self_assess(s, p, *target, text))

    @rx.event
    @requires("self_appraisal", "view")
    async def submit_rating(self, form: dict) -> Any:
        target = _target(form)
        rating, comment = str(form.get("rating", "")), str(form.get("comment", ""))
        if target is None:
            return None
        return await self._act(lambda s, p: rules.rate(s, p, *target, rating, comment))

    @rx.event
    @requires("appraisal", "approve")
    async def submit_calibration(self, form: dict) -> Any:
        target = _target(form)
        final, note = str(form.get("final_rating", "")), str(form.get("note", ""))
        if target is None:
            return None
        return await self._act(lambda s, p: rules.calibrate(s, p, *target, final, note))


def _target(form: dict) -> tuple[int, int] | None:
    """(appraisal id, the version the user saw) from a desk form's hidden fields."""
    appraisal_id = numerals.whole(str(form.get("id", "")))
    version = numerals.whole(str(form.get("version", "")))
    if appraisal_id is None or version is None:
        return None
    return appraisal_id, version


RATINGS = tuple(r.value for r in Rating)


class TrainingRecord(TypedDict):
    program: str
    date: str
    hours: str
    result: str


class PastAppraisal(TypedDict):
    cycle: str
    status: str
    manager: str
    final: str


class Promotion(TypedDict):
    change: str
    date: str
    status: str


class EmployeePanelState(StaffState, rx.State):
    """Above an employee's record page: their training, appraisals and promotions."""

    training: list[TrainingRecord] = []
    appraisals: list[PastAppraisal] = []
    promotions: list[Promotion] = []

    @rx.event
    @requires("employee", "view")
    async def load(self) -> None:
        lang, principal = await self._lang(), await self._principal()
        with session_scope() as session:
            file = rules.employee_file(session, principal, record_id_param(self))

        def rating(value: str | None) -> str:
            return choice_label("rating", value, lang) if value else "—"

        self.training = [
            {
                "program": title,
                "date": day.isoformat(),
                "hours": f"{hours.normalize():f}",
                "result": choice_label("training_result", result, lang),
            }
            for title, day, hours, result in file.training
        ]
        self.appraisals = [
            {
                "cycle": cycle,
                "status": choice_label("appraisal_status", status, lang),
                "manager": rating(manager),
                "final": rating(final),
            }
            for cycle, status, manager, final in file.appraisals
        ]
        self.promotions = [
            {
                "change": f"{before or '—'} → {after}",
                "date": day.isoformat(),
                "status": choice_label("promotion_status", status, lang),
            }
            for before, after, day, status in file.promotions
        ]
