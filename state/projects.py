"""Project pages: the plan (Gantt with baseline beside forecast/actual, dependencies and today;
the milestone list with filters; moving a milestone with a reason; indicators; adjustments)
and the risk heat map."""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict

import reflex as rx

from backoffice.db import session_scope
from backoffice.domains.projects import rules
from backoffice.domains.projects.figures import gantt_figure
from backoffice.engine.resource import get as get_resource
from backoffice.i18n import choice_label, translate
from backoffice.platform.business_time import shown_time
from backoffice.platform.versioned import display_names
from models.projects import ProjectPhase, ProjectRisk
from state.auth import requires
from state.base import StaffState
from state.charts import Chart, as_chart

ALL = "all"


class ProjectOption(TypedDict):
    id: str
    label: str


class _ProjectsState(StaffState, rx.State):
    """The project both pages show: one choice, kept from the plan to the heat map."""

    project_id: str = ""
    projects: list[ProjectOption] = []

    def _pick_default(self, session: Any) -> int | None:
        found = rules.projects(session)
        self.projects = [{"id": str(p.id), "label": f"{p.code} {p.name}"} for p in found]
        wanted = str(self.router.url.query_parameters.get("project", "") or self.project_id)
        ids = [str(p.id) for p in found]
        self.project_id = wanted if wanted in ids else (ids[0] if ids else "")
        return int(self.project_id) if self.project_id else None


def _field_label(name: str, lang: str) -> str:
    """A milestone date's label for the adjustment log ("scope" entries keep their word)."""
    milestone = get_resource("milestone")
    spec = milestone.field(name) if milestone else None
    if spec is not None:
        return spec.label(lang)
    return choice_label("project_adjustment_kind", name, lang) if name == "scope" else name


class MilestoneRow(TypedDict):
    id: str
    version: str
    name: str
    phase_key: str
    phase: str
    owner: str
    baseline: str
    forecast: str
    actual: str
    forecast_start: str
    forecast_end: str
    actual_start: str
    actual_end: str
    progress: str
    slip: str
    earliest: str
    predecessor: str
    status: str
    rag: str
    why: str


class MilestoneCounts(TypedDict):
    total: str
    done: str
    red: str
    amber: str
    green: str


class Adjustment(TypedDict):
    id: str
    at: str
    milestone: str
    kind: str
    field: str
    change: str
    reason: str
    by: str
    cause: str  # the milestone whose move pushed this one, "" for a move of its own


class Indicator(TypedDict):
    id: str
    phase: str
    kind: str
    name: str
    target: str
    actual: str
    assessment: str
    assessment_key: str
    on: str


class MoveDates(TypedDict):
    forecast_start: str
    forecast_end: str
    actual_start: str
    actual_end: str


class ProjectPlanState(_ProjectsState):
    gantt: Chart = {}
    rows: list[MilestoneRow] = []
    owners: list[str] = []
    phase: str = ALL
    owner: str = ALL
    rag: str = ALL
    counts: MilestoneCounts = {}  # type: ignore[typeddict-item]
    overall: str = ""
    adjustments: list[Adjustment] = []
    indicators: list[Indicator] = []
    can_edit: bool = False
    move_open: bool = False
    move_id: str = ""
    move_name: str = ""
    move_version: str = ""
    move_dates: MoveDates = {}  # type: ignore[typeddict-item]
    move_error: str = ""

    @rx.var
    def shown(self) -> list[MilestoneRow]:
        return [
            r
            for r in self.rows
            if self.phase in (ALL, r["phase_key"])
            and self.owner in (ALL, r["owner"])
            and self.rag in (ALL, r["rag"])
        ]

    @rx.event
    @requires("project", "view")
    async def load(self) -> None:
        await self._fill()

    @rx.event
    @requires("project", "view")
    async def pick_project(self, project_id: str) -> None:
        if project_id in [p["id"] for p in self.projects]:
            self.project_id = project_id
            await self._fill()

    @rx.event
    @requires("project", "view")
    def filter_phase(self, value: str) -> None:
        self.phase = value if value in (ALL, *ProjectPhase) else ALL

    @rx.event
    @requires("project", "view")
    def filter_owner(self, value: str) -> None:
        self.owner = value if value in (ALL, *self.owners) else ALL

    @rx.event
    @requires("project", "view")
    def filter_rag(self, value: str) -> None:
        self.rag = value if value in (ALL, "red", "amber", "green") else ALL

    @rx.event
    @requires("project", "edit")
    def open_move(self, milestone_id: str) -> None:
        row = next((r for r in self.rows if r["id"] == str(milestone_id)), None)
        if row is None:
            return
        self.move_id, self.move_name, self.move_version = row["id"], row["name"], row["version"]
        self.move_dates = {
            "forecast_start": row["forecast_start"],
            "forecast_end": row["forecast_end"],
            "actual_start": row["actual_start"],
            "actual_end": row["actual_end"],
        }
        self.move_error = ""
        self.move_open = True

    @rx.event
    @requires("project", "view")
    def close_move(self) -> None:
        self.move_open = False
        self.move_error = ""

    @rx.event
    @requires("project", "edit")
    async def move(self, form_data: dict) -> Any:
        lang, principal = await self._lang(), await self._principal()
        dates: dict[str, date | None] = {}
        for name in ("forecast_start", "forecast_end", "actual_start", "actual_end"):
            raw = str(form_data.get(name) or "").strip()
            if raw == self.move_dates.get(name, ""):
                dates[name] = None  # unchanged
                continue
            try:
                dates[name] = date.fromisoformat(raw) if raw else None
            except ValueError:
                self.move_error = translate("field.not_a_date", lang)
                return None
        try:
            with self._write_scope() as session:
                moves = rules.move_milestone(
                    session,
                    principal=principal,
                    milestone_id=int(self.move_id or 0),
                    version=int(self.move_version or 0),
                    reason=str(form_data.get("reason") or ""),
                    **dates,
                )
        except rules.ProjectError as error:
            self.move_error = translate(error.key, lang, **error.params)
            return None
        self.move_open = False
        await self._fill()
        pushed = sum(1 for m in moves if m.pushed)
        return rx.toast.success(translate("project.moved", lang, pushed=pushed))

    async def _fill(self) -> None:
        lang, principal = await self._lang(), await self._principal()
        today = rules.local_today()
        self.can_edit = bool(principal and principal.can("project", "edit"))
        with session_scope() as session:
            project_id = self._pick_default(session)
            if project_id is None:
                self.rows, self.owners, self.adjustments, self.indicators = [], [], [], []
                self.counts, self.overall, self.gantt = {}, "", {}
                return
            plan = rules.plan(session, project_id, today)
            self.gantt = as_chart(gantt_figure(plan, today, lang))
            self.rows = [self._row(r, lang) for r in plan]
            self.owners = sorted({r.owner for r in plan if r.owner})
            rags = [r.health.rag for r in plan]
            self.counts = {
                "total": str(len(plan)),
                "done": str(sum(1 for r in plan if rules.is_done(r.m))),
                "red": str(rags.count("red")),
                "amber": str(rags.count("amber")),
                "green": str(rags.count("green")),
            }
            self.overall = rules.worst(rags)
            names = {r.m.id: r.m.name for r in plan}
            adjustments = rules.adjustments(session, project_id, limit=30)
            people = display_names(session, {a.made_by for a in adjustments}, lang)
            self.adjustments = [
                {
                    "id": str(a.id),
                    "at": shown_time(a.created_at),
                    "milestone": names.get(a.milestone_id, "—") if a.milestone_id else "—",
                    "kind": choice_label("project_adjustment_kind", a.kind, lang),
                    "field": _field_label(a.field, lang),
                    "change": f"{a.old_value or '—'} → {a.new_value or '—'}",
                    "reason": a.reason,
                    "by": people.get(a.made_by, a.made_by),
                    "cause": names.get(a.cause_id, "") if a.cause_id else "",
                }
                for a in adjustments
            ]
            self.indicators = [
                {
                    "id": str(i.id),
                    "phase": choice_label("project_phase", i.phase, lang),
                    "kind": choice_label("project_indicator_kind", i.kind, lang),
                    "name": i.name,
                    "target": f"{i.target} {i.unit}".strip() if i.target is not None else "—",
                    "actual": f"{i.actual} {i.unit}".strip() if i.actual is not None else "—",
                    "assessment": choice_label("project_assessment", i.assessment, lang)
                    if i.assessment
                    else "—",
                    "assessment_key": i.assessment,
                    "on": i.recorded_on.isoformat(),
                }
                for i in rules.indicators(session, project_id)
            ]

    @staticmethod
    def _row(r: rules.Row, lang: str) -> MilestoneRow:
        m = r.m
        reasons = " · ".join(translate(f"project.why.{k}", lang) for k in r.health.reasons)
        return {
            "id": str(m.id),
            "version": str(m.version),
            "name": m.name,
            "phase_key": m.phase,
            "phase": choice_label("project_phase", m.phase, lang),
            "owner": r.owner,
            "baseline": f"{m.planned_start} → {m.planned_end}",
            "forecast": f"{m.forecast_start or m.planned_start} → {rules.current_end(m)}",
            "actual": f"{m.actual_start or '—'} → {m.actual_end or '—'}",
            "forecast_start": (m.forecast_start or m.planned_start).isoformat(),
            "forecast_end": rules.current_end(m).isoformat(),
            "actual_start": m.actual_start.isoformat() if m.actual_start else "",
            "actual_end": m.actual_end.isoformat() if m.actual_end else "",
            "progress": f"{m.progress}% / {r.expected}%",
            "slip": f"{r.slip:+d}",
            "earliest": r.earliest.isoformat() if r.earliest else "—",
            "predecessor": r.predecessor or "—",
            "status": choice_label("milestone_status", m.status, lang),
            "rag": r.health.rag,
            "why": reasons,
        }


class HeatCell(TypedDict):
    p: str  # probability
    i: str  # impact
    count: str  # "" for none
    level: str
    titles: str


class RiskRow(TypedDict):
    id: str
    title: str
    p: str
    i: str
    score: str
    level: str
    strategy: str
    status: str
    review: str


class RiskMapState(_ProjectsState):
    cells: list[list[HeatCell]] = []  # rows: impact 5 → 1; columns: probability 1 → 5
    risks: list[RiskRow] = []

    @rx.event
    @requires("project", "view")
    async def load(self) -> None:
        await self._fill()

    @rx.event
    @requires("project", "view")
    async def pick_project(self, project_id: str) -> None:
        if project_id in [p["id"] for p in self.projects]:
            self.project_id = project_id
            await self._fill()

    async def _fill(self) -> None:
        lang = await self._lang()
        with session_scope() as session:
            project_id = self._pick_default(session)
            self.cells, self.risks = [], []
            if project_id is None:
                return
            heat = rules.heat_map(session, project_id)
            self.cells = [
                [
                    {
                        "p": str(p),
                        "i": str(i),
                        "count": str(len(heat.get((p, i), []))) if heat.get((p, i)) else "",
                        "level": rules.risk_level(p * i),
                        "titles": "、".join(r.title for r in heat.get((p, i), [])),
                    }
                    for p in range(1, 6)
                ]
                for i in range(5, 0, -1)
            ]
            risks: list[ProjectRisk] = [r for cell in heat.values() for r in cell]
            risks.sort(key=lambda r: (-r.probability * r.impact, r.id))
            self.risks = [
                {
                    "id": str(r.id),
                    "title": r.title,
                    "p": str(r.probability),
                    "i": str(r.impact),
                    "score": str(r.probability * r.impact),
                    "level": rules.risk_level(r.probability * r.impact),
                    "strategy": choice_label("project_risk_strategy", r.strategy, lang),
                    "status": choice_label("project_risk_status", r.status, lang),
                    "review": r.review_date.isoformat() if r.review_date else "—",
                }
                for r in risks
            ]
