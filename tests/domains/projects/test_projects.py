"""Projects: the health rule, moving dates through finish-to-start dependencies (a chain and a
branch, logged and audited), refused moves and loops, baseline re-sets by a second person, the
alert job (owner and PMO, once), risk scores and the heat map, and who may act."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from backoffice.domains.projects import rules
from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.engine.service import EngineError
from backoffice.platform import audit, jobs
from models.audit import AuditEntry
from models.hr import Employee, Team
from models.notifications import Notification
from models.projects import (
    BaselineReset,
    Milestone,
    MilestoneStatus,
    PlanAdjustment,
    Project,
    ProjectRisk,
    RiskStatus,
)
from tests.factories import assert_refused_as_stale, make_principal, rename, take

MILESTONE, ADJUSTMENT, BASELINE = get("milestone"), get("plan_adjustment"), get("baseline_reset")
TODAY = date(2026, 6, 15)
D = timedelta


def _milestone(**kw) -> Milestone:
    values = {
        "project_id": 1,
        "phase": "development",
        "name": "m",
        "planned_start": TODAY - D(10),
        "planned_end": TODAY + D(9),
        "progress": 50,
        "status": MilestoneStatus.IN_PROGRESS,
    }
    values.update(kw)
    values.setdefault("forecast_start", values["planned_start"])
    values.setdefault("forecast_end", values["planned_end"])
    return Milestone(**values)


@pytest.fixture
def plan(session):
    """A project with a chain A → B → C, a branch A → E, and an unrelated F; the owner of A has
    a staff account (owner.a)."""
    team = Team(code="technology", name_zh="技术部", name_en="Technology")
    session.add(team)
    session.commit()
    owner = Employee(
        employee_no="E0001",
        name="王工",
        position="工程师",
        hire_date=date(2024, 1, 1),
        team_id=team.id,
    )
    other = Employee(
        employee_no="E0002",
        name="李工",
        position="工程师",
        hire_date=date(2024, 1, 1),
        team_id=team.id,
    )
    session.add_all([owner, other])
    session.commit()
    project = Project(
        code="P1", name="平台", start_date=TODAY - D(60), end_date=TODAY + D(200), status="active"
    )
    session.add(project)
    session.commit()

    def add(name, start, end, depends_on=None, owner_id=None, **kw):
        m = Milestone(
            project_id=project.id,
            phase="development",
            name=name,
            owner_id=owner_id,
            planned_start=TODAY + D(start),
            planned_end=TODAY + D(end),
            forecast_start=TODAY + D(start),
            forecast_end=TODAY + D(end),
            depends_on_id=depends_on.id if depends_on else None,
            **kw,
        )
        session.add(m)
        session.commit()
        return m

    a = add("A", 0, 9, owner_id=owner.id)
    b = add("B", 10, 19, a)
    c = add("C", 20, 29, b)
    e = add("E", 15, 24, a)
    f = add("F", 0, 30, owner_id=other.id)
    return {
        "project": project,
        "owner": owner,
        "other": other,
        "A": a,
        "B": b,
        "C": c,
        "E": e,
        "F": f,
        "pmo": make_principal(session, "pmo.a", ["pmo"]),
        "pmo2": make_principal(session, "pmo.b", ["pmo"]),
        "exec": make_principal(session, "exec.a", ["executive"]),
        "hr": make_principal(session, "hr.a", ["hr"]),
        "owner_user": make_principal(session, "owner.a", ["cs_agent"], owner.id),
    }


# --- health ---------------------------------------------------------------------------------
def test_health_rule_with_its_boundaries():
    on_track = _milestone(progress=50)  # 11 of 20 days elapsed: 55 % expected
    assert rules.expected_progress(on_track, TODAY) == 55
    assert rules.health(on_track, TODAY) == rules.Health("green", ())

    behind_limit = _milestone(progress=55 - rules.BEHIND_POINTS)
    assert rules.health(behind_limit, TODAY).rag == "green"
    behind = _milestone(progress=55 - rules.BEHIND_POINTS - 1)
    assert rules.health(behind, TODAY) == rules.Health("amber", ("behind",))

    slipping = _milestone(forecast_end=TODAY + D(9 + rules.RED_SLIP_DAYS))
    assert rules.slip_days(slipping) == rules.RED_SLIP_DAYS
    assert rules.health(slipping, TODAY).rag == "amber"
    assert "slipping" in rules.health(slipping, TODAY).reasons
    slipped = _milestone(forecast_end=TODAY + D(10 + rules.RED_SLIP_DAYS))
    assert rules.health(slipped, TODAY) == rules.Health("red", ("slipped",))

    overdue = _milestone(planned_end=TODAY - D(1), progress=90)
    state = rules.health(overdue, TODAY)
    assert state.rag == "red" and state.overdue
    # the same milestone finished (even late) is green
    finished = _milestone(
        planned_end=TODAY - D(1),
        actual_start=TODAY - D(10),
        actual_end=TODAY,
        status=MilestoneStatus.DONE,
        progress=100,
    )
    assert rules.health(finished, TODAY) == rules.Health("green", ("done",))
    blocked = _milestone(status=MilestoneStatus.BLOCKED)
    assert rules.health(blocked, TODAY) == rules.Health("amber", ("blocked",))
    assert rules.worst(["green", "amber", "red"]) == "red"
    assert rules.worst(["green", "amber"]) == "amber"
    assert rules.worst([]) == "green"


# --- moving dates ---------------------------------------------------------------------------
def test_moving_a_milestone_pushes_its_dependants_transitively_and_logs_each_change(session, plan):
    a, b, c, e, f = (plan[k] for k in "ABCEF")
    moves = rules.move_milestone(
        session,
        principal=plan["pmo"],
        milestone_id=a.id,
        version=a.version,
        reason="接口联调延期",
        forecast_end=TODAY + D(16),
        today=TODAY,
    )
    session.commit()
    assert [m.name for m in moves] == ["A", "B", "E", "C"]
    assert [m.pushed for m in moves] == [False, True, True, True]
    for m in (a, b, c, e, f):
        session.refresh(m)
    assert a.forecast_end == TODAY + D(16)
    assert a.planned_end == TODAY + D(9), "the baseline stays"
    # B starts the day after A, keeping its 10 days; C follows B; E follows A
    assert (b.forecast_start, b.forecast_end) == (TODAY + D(17), TODAY + D(26))
    assert (c.forecast_start, c.forecast_end) == (TODAY + D(27), TODAY + D(36))
    assert (e.forecast_start, e.forecast_end) == (TODAY + D(17), TODAY + D(26))
    assert (f.forecast_start, f.forecast_end) == (TODAY, TODAY + D(30)), "unrelated"
    assert a.version == 2 and b.version == 2 and c.version == 2 and f.version == 1
    assert rules.earliest_start(session, c) == TODAY + D(27)

    log = session.exec(select(PlanAdjustment).order_by(PlanAdjustment.id)).all()
    assert [(x.milestone_id, x.field) for x in log] == [
        (a.id, "forecast_end"),
        (b.id, "forecast_start"),
        (b.id, "forecast_end"),
        (e.id, "forecast_start"),
        (e.id, "forecast_end"),
        (c.id, "forecast_start"),
        (c.id, "forecast_end"),
    ]
    assert all(x.reason == "接口联调延期" and x.made_by == "pmo.a" for x in log)
    assert log[0].cause_id is None and all(x.cause_id == a.id for x in log[1:])
    assert (log[0].old_value, log[0].new_value) == (
        (TODAY + D(9)).isoformat(),
        (TODAY + D(16)).isoformat(),
    )
    actions = session.exec(
        select(AuditEntry.action, AuditEntry.entity_id).where(AuditEntry.entity == "milestone")
    ).all()
    assert sorted(actions) == sorted(
        [
            ("milestone.move", str(a.id)),
            ("milestone.pushed", str(b.id)),
            ("milestone.pushed", str(e.id)),
            ("milestone.pushed", str(c.id)),
        ]
    )
    assert audit.verify_chain(session).ok


def test_a_dependant_with_room_or_already_started_is_not_moved(session, plan):
    a, b, e = plan["A"], plan["B"], plan["E"]
    b.actual_start = TODAY
    b.forecast_start = TODAY + D(10)
    session.add(b)
    session.commit()
    rules.move_milestone(
        session,
        principal=plan["pmo"],
        milestone_id=a.id,
        version=a.version,
        reason="r",
        forecast_end=TODAY + D(12),
        today=TODAY,
    )
    session.commit()
    session.refresh(b)
    session.refresh(e)
    assert b.forecast_start == TODAY + D(10), "already started: not pushed"
    assert e.forecast_start == TODAY + D(15), "E (day 15) still starts after A (day 12)"
    assert session.exec(select(PlanAdjustment)).all()[0].milestone_id == a.id
    assert len(session.exec(select(PlanAdjustment)).all()) == 1


def test_recording_the_actual_end_finishes_the_milestone_and_pushes_dependants(session, plan):
    a, b = plan["A"], plan["B"]
    rules.move_milestone(
        session,
        principal=plan["pmo"],
        milestone_id=a.id,
        version=a.version,
        reason="验收通过",
        actual_start=TODAY - D(3),
        actual_end=TODAY,
        today=TODAY + D(11),
    )
    session.commit()
    session.refresh(a)
    session.refresh(b)
    assert a.status == MilestoneStatus.DONE and a.progress == 100
    assert b.forecast_start == TODAY + D(10), "A finished before B's start: nothing to push"


def _state(session):
    return (
        session.exec(
            select(Milestone.id, Milestone.version, Milestone.forecast_end).order_by(Milestone.id)
        ).all(),
        session.execute(sa.select(sa.func.count()).select_from(PlanAdjustment)).scalar_one(),
        session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one(),
    )


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"reason": "  ", "forecast_end": TODAY + D(20)}, "project.reason_required"),
        ({"reason": "r", "forecast_end": TODAY - D(5)}, "project.end_before_start"),
        ({"reason": "r", "actual_start": TODAY + D(1)}, "project.actual_in_future"),
        ({"reason": "r", "actual_end": TODAY - D(1)}, "project.actual_end_needs_start"),
        ({"reason": "r", "version": 99, "forecast_end": TODAY + D(20)}, "record.stale"),
        ({"reason": "r"}, "project.nothing_to_move"),
        ({"reason": "r", "forecast_start": "2026-07-01"}, "field.not_a_date"),
    ],
)
def test_a_refused_move_says_why_and_changes_nothing(session, plan, kwargs, key):
    a = plan["A"]
    before = _state(session)
    kwargs = {"version": a.version, **kwargs}
    with pytest.raises(rules.ProjectError) as refused:
        rules.move_milestone(
            session, principal=plan["pmo"], milestone_id=a.id, today=TODAY, **kwargs
        )
    session.rollback()
    assert refused.value.key == key
    assert _state(session) == before


def test_a_dependant_cannot_be_moved_before_its_predecessor_finishes(session, plan):
    b = plan["B"]
    with pytest.raises(rules.ProjectError) as refused:
        rules.move_milestone(
            session,
            principal=plan["pmo"],
            milestone_id=b.id,
            version=b.version,
            reason="r",
            forecast_start=TODAY + D(9),
            today=TODAY,
        )
    assert refused.value.key == "project.starts_before_predecessor"


def test_dependency_loops_and_links_across_projects_are_refused(session, plan):
    a, c = plan["A"], plan["C"]
    for target, predecessor, key in (
        (a, c, "project.dependency_cycle"),  # A → B → C → A
        (a, a, "project.dependency_cycle"),
    ):
        result = service.update(
            session,
            principal=plan["pmo"],
            resource=MILESTONE,
            record_id=target.id,
            version=target.version,
            values={"depends_on_id": str(predecessor.id)},
        )
        assert result.errors == {"depends_on_id": key}
        session.rollback()
    other = Project(code="P2", name="另一个", start_date=TODAY, end_date=TODAY + D(9))
    session.add(other)
    session.commit()
    created = service.create(
        session,
        principal=plan["pmo"],
        resource=MILESTONE,
        values={
            "project_id": str(other.id),
            "phase": "testing",
            "name": "X",
            "planned_start": TODAY.isoformat(),
            "planned_end": (TODAY + D(3)).isoformat(),
            "status": "not_started",
            "depends_on_id": str(a.id),
        },
    )
    assert created.errors == {"depends_on_id": "project.dependency_other_project"}
    assert rules.would_cycle(session, a.id, c.id) and not rules.would_cycle(session, c.id, a.id)
    # F (days 0–30) cannot follow B (ends day 19): move it first
    f = plan["F"]
    early = service.update(
        session,
        principal=plan["pmo"],
        resource=MILESTONE,
        record_id=f.id,
        version=f.version,
        values={"depends_on_id": str(plan["B"].id)},
    )
    assert early.errors == {"depends_on_id": "project.starts_before_predecessor"}
    session.rollback()
    session.refresh(f)
    assert f.depends_on_id is None and f.version == 1


def test_engine_milestones_start_with_the_baseline_as_plan_and_need_an_actual_end_to_be_done(
    session, plan
):
    created = service.create(
        session,
        principal=plan["pmo"],
        resource=MILESTONE,
        values={
            "project_id": str(plan["project"].id),
            "phase": "go_live",
            "name": "上线",
            "planned_start": (TODAY + D(40)).isoformat(),
            "planned_end": (TODAY + D(45)).isoformat(),
            "status": "not_started",
            "depends_on_id": str(plan["C"].id),
        },
    )
    session.commit()
    assert created.ok, created
    m = session.get(Milestone, created.record_id)
    assert (m.forecast_start, m.forecast_end) == (TODAY + D(40), TODAY + D(45))
    refused = service.update(
        session,
        principal=plan["pmo"],
        resource=MILESTONE,
        record_id=m.id,
        version=m.version,
        values={"status": "done"},
    )
    assert refused.errors == {"status": "project.done_needs_actual_end"}


# --- adjustments and baseline ---------------------------------------------------------------
def test_scope_changes_are_logged_by_hand_and_no_entry_is_ever_edited(session, plan):
    result = service.create(
        session,
        principal=plan["pmo"],
        resource=ADJUSTMENT,
        values={"project_id": str(plan["project"].id), "reason": "增加基金定投功能"},
    )
    session.commit()
    entry = session.get(PlanAdjustment, result.record_id)
    assert (entry.kind, entry.made_by) == ("scope", "pmo.a")
    edit = service.update(
        session,
        principal=plan["pmo"],
        resource=ADJUSTMENT,
        record_id=entry.id,
        version=entry.version,
        values={"reason": "改写"},
    )
    assert edit.errors == {"reason": "project.adjustment_is_final"}
    blank = service.create(
        session,
        principal=plan["pmo"],
        resource=ADJUSTMENT,
        values={"project_id": str(plan["project"].id), "reason": ""},
    )
    assert "reason" in blank.errors


def test_baseline_reset_needs_a_second_person_and_copies_the_plan(session, plan):
    a, b = plan["A"], plan["B"]
    rules.move_milestone(
        session,
        principal=plan["pmo"],
        milestone_id=a.id,
        version=a.version,
        reason="延期",
        forecast_end=TODAY + D(14),
        today=TODAY,
    )
    session.commit()
    created = service.create(
        session,
        principal=plan["pmo"],
        resource=BASELINE,
        values={"project_id": str(plan["project"].id), "reason": "指导委员会批准新计划"},
    )
    session.commit()
    reset = session.get(BaselineReset, created.record_id)
    assert reset.status == "submitted"
    refused = take(session, plan["pmo"], BASELINE, reset, "approve")
    assert refused.message == "workflow.maker_checker"
    viewer = take(session, plan["exec"], BASELINE, reset, "approve")
    assert viewer.message == "auth.denied"
    session.refresh(a)
    assert a.planned_end == TODAY + D(9), "nothing applied yet"

    approved = take(session, plan["pmo2"], BASELINE, reset, "approve")
    assert approved.ok, approved
    assert reset.status == "approved" and reset.applied_on is not None
    for m in (a, b):
        session.refresh(m)
    assert (a.planned_start, a.planned_end) == (TODAY, TODAY + D(14))
    assert (b.planned_start, b.planned_end) == (TODAY + D(15), TODAY + D(24))
    assert rules.slip_days(a) == 0 and rules.slip_days(b) == 0
    baseline_rows = session.exec(
        select(PlanAdjustment).where(PlanAdjustment.kind == "baseline")
    ).all()
    assert {(x.milestone_id, x.field) for x in baseline_rows} >= {
        (a.id, "planned_end"),
        (b.id, "planned_start"),
        (b.id, "planned_end"),
    }
    assert all(x.made_by == "pmo.b" for x in baseline_rows)
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "milestone.rebaseline")).all()


def test_who_moves_the_plan_while_a_reset_waits_cannot_approve_it(session, plan):
    a = plan["A"]
    created = service.create(
        session,
        principal=plan["pmo"],
        resource=BASELINE,
        values={"project_id": str(plan["project"].id), "reason": "指导委员会批准新计划"},
    )
    session.commit()
    reset = session.get(BaselineReset, created.record_id)
    rules.move_milestone(  # the plan the reset would make the baseline changes meanwhile
        session,
        principal=plan["pmo2"],
        milestone_id=a.id,
        version=a.version,
        reason="供应商延期",
        forecast_end=TODAY + D(14),
        today=TODAY,
    )
    session.commit()
    for who in ("pmo", "pmo2"):
        assert take(session, plan[who], BASELINE, reset, "approve").message == (
            "workflow.maker_checker"
        )
    third = make_principal(session, "pmo.c", ["pmo"])
    assert take(session, third, BASELINE, reset, "approve").ok


# --- the alert job --------------------------------------------------------------------------
def _notes(session):
    return session.exec(select(Notification).order_by(Notification.id)).all()


def test_the_alert_job_tells_the_owner_and_the_pmo_once(session, plan):
    a, f = plan["A"], plan["F"]
    late = TODAY + D(12)  # A (due day 9) is overdue; F is behind its time but has no account
    first = rules.milestone_alerts(session, late)
    session.commit()
    notes = _notes(session)
    about_a = [n for n in notes if "A (" in n.title_en]
    assert {(n.role, n.user_id) for n in about_a} == {
        ("pmo", None),
        (None, plan["owner_user"].user_id),
    }
    assert all(n.severity == "critical" and "overdue" in n.title_en for n in about_a)
    assert "new alerts" in first
    # F (progress 0, 12 of 31 days gone) is at risk: the PMO hears of it (its owner has no account)
    about_f = [n for n in notes if "F (" in n.title_en]
    assert [(n.role, n.severity) for n in about_f] == [("pmo", "warning")]
    count = len(notes)
    assert rules.milestone_alerts(session, late).endswith(" 0 new alerts")
    session.commit()
    assert len(_notes(session)) == count, "a second run posts nothing new"

    # finished milestones raise nothing
    session.refresh(a)
    rules.move_milestone(
        session,
        principal=plan["pmo"],
        milestone_id=a.id,
        version=a.version,
        reason="完成",
        actual_start=TODAY,
        actual_end=TODAY + D(11),
        today=late,
    )
    session.commit()
    rules.milestone_alerts(session, late + D(1))
    session.commit()
    assert not [n for n in _notes(session)[count:] if "A (" in n.title_en]
    assert f.id


def test_the_alert_job_is_registered():
    names = {j.name for j in jobs.registered()}
    assert "projects.milestone_alerts" in names


# --- risks ------------------------------------------------------------------------------------
def test_risk_score_levels_and_the_heat_map(session, plan):
    assert rules.risk_score(3, 4) == 12
    assert rules.risk_level(rules.risk_score(5, 3)) == "high"
    assert rules.risk_level(rules.risk_score(3, 5)) == "high"
    assert rules.risk_level(rules.risk_score(2, 4)) == "medium"
    assert rules.risk_level(rules.RISK_MEDIUM - 1) == "low"
    with pytest.raises(rules.ProjectError):
        rules.risk_score(0, 3)
    with pytest.raises(rules.ProjectError):
        rules.risk_score(3, 6)
    pid = plan["project"].id
    session.add_all(
        [
            ProjectRisk(project_id=pid, title="r1", probability=4, impact=5),
            ProjectRisk(project_id=pid, title="r2", probability=4, impact=5),
            ProjectRisk(project_id=pid, title="r3", probability=1, impact=2),
            ProjectRisk(
                project_id=pid, title="closed", probability=2, impact=2, status=RiskStatus.CLOSED
            ),
        ]
    )
    session.commit()
    heat = rules.heat_map(session, pid)
    assert {k: [r.title for r in v] for k, v in heat.items()} == {
        (4, 5): ["r1", "r2"],
        (1, 2): ["r3"],
    }


def test_risk_probability_and_impact_are_one_to_five_in_the_register(session, plan):
    result = service.create(
        session,
        principal=plan["pmo"],
        resource=get("project_risk"),
        values={
            "project_id": str(plan["project"].id),
            "title": "x",
            "probability": "6",
            "impact": "0",
            "strategy": "mitigate",
            "status": "open",
        },
    )
    assert set(result.errors) == {"probability", "impact"}


# --- who may act ------------------------------------------------------------------------------
def test_roles_without_the_project_right_cannot_act(session, plan):
    a = plan["A"]
    for who in ("hr", "exec"):
        with pytest.raises(rules.ProjectError) as refused:
            rules.move_milestone(
                session,
                principal=plan[who],
                milestone_id=a.id,
                version=a.version,
                reason="r",
                forecast_end=TODAY + D(20),
                today=TODAY,
            )
        assert refused.value.key == "auth.denied"
    with pytest.raises(EngineError):
        service.create(
            session,
            principal=plan["hr"],
            resource=MILESTONE,
            values={"project_id": str(plan["project"].id), "name": "x"},
        )
    session.refresh(a)
    assert a.version == 1 and a.forecast_end == TODAY + D(9)


def test_the_plan_view_rows(session, plan):
    rows = rules.plan(session, plan["project"].id, TODAY)
    by_name = {r.m.name: r for r in rows}
    assert by_name["B"].predecessor == "A" and by_name["B"].earliest == TODAY + D(10)
    assert by_name["A"].owner == "王工" and by_name["F"].owner == "李工"
    assert by_name["A"].health.rag == "green"


# --- the demo project ---------------------------------------------------------------------------
def test_the_demo_project_shows_a_real_picture(clean_db, session, monkeypatch):
    from tests.factories import seed_tiny_demo

    seed_tiny_demo(clean_db, monkeypatch)
    project = session.exec(select(Project).where(Project.code == "PLATFORM-1")).one()
    today = rules.local_today()
    rows = rules.plan(session, project.id, today)
    assert {r.m.phase for r in rows} == {
        "kickoff",
        "development",
        "testing",
        "go_live",
        "maintenance",
    }
    assert sum(1 for r in rows if r.m.depends_on_id) >= 10
    assert sum(1 for r in rows if rules.is_done(r.m)) >= 5
    overdue = [r for r in rows if r.health.overdue]
    assert [r.m.name for r in overdue] == ["安全测试与等保测评"]
    assert any(r.health.rag == "amber" for r in rows)
    assert any(r.m.forecast_end != r.m.planned_end for r in rows)
    assert any(r.m.actual_end and r.m.actual_end != r.m.planned_end for r in rows)
    for r in rows:  # the demo plan keeps its own finish-to-start links
        if r.earliest is not None and r.m.actual_start is None:
            assert (r.m.forecast_start or r.m.planned_start) >= r.earliest, r.m.name
    assert len(rules.heat_map(session, project.id)) >= 7
    kinds = set(session.exec(select(PlanAdjustment.kind)).all())
    assert kinds == {"dates", "scope"}
    owner_accounts = session.execute(
        sa.text("SELECT username FROM app_user WHERE employee_id = :e"),
        {"e": overdue[0].m.owner_id},
    ).scalars()
    assert list(owner_accounts) == ["pmo.xu"]


def test_a_stale_move_names_who_moved_the_milestone_and_the_fields_by_label(session, plan):
    a = plan["A"]
    rename(session, "pmo.b", "周婷")
    seen = a.version  # pmo.a opened the plan here …
    rules.move_milestone(  # … and 周婷 moved A meanwhile
        session,
        principal=plan["pmo2"],
        milestone_id=a.id,
        version=seen,
        reason="接口联调延期",
        forecast_end=TODAY + D(16),
        today=TODAY,
    )
    session.commit()
    before = _state(session)
    with pytest.raises(rules.ProjectError) as refused:
        rules.move_milestone(
            session,
            principal=plan["pmo"],
            milestone_id=a.id,
            version=seen,
            reason="供应商延期",
            forecast_end=TODAY + D(30),
            today=TODAY,
        )
    session.rollback()
    forecast_end = get("milestone").field("forecast_end")
    assert_refused_as_stale(
        refused.value.key,
        refused.value.params,
        who="周婷",
        fields=[(forecast_end.label("zh"), forecast_end.label("en")), ("理由", "Reason")],
    )
    assert _state(session) == before
