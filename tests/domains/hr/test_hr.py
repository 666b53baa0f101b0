"""HR: salaries encrypted at rest and masked for anyone without the salary right, hiring a
candidate through the stages into an employee, headcount against plan, training gaps,
appraisals (self-assessment, the manager's rating, calibration) and promotions."""

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

import backoffice.domains  # noqa: F401
from backoffice.domains.hr import rules
from backoffice.engine import service, transfer
from backoffice.engine.resource import all_resources, get
from backoffice.security import fields
from models.audit import AuditEntry
from models.hr import (
    Appraisal,
    AppraisalCycle,
    Candidate,
    Employee,
    HeadcountPlan,
    JobOpening,
    Promotion,
    Team,
    TrainingProgram,
    TrainingSession,
)
from tests.factories import assert_refused_as_stale, make_principal, make_user, rename, sign_in

EMPLOYEE, CANDIDATE, PROMOTION = get("employee"), get("candidate"), get("promotion")
TODAY = rules.local_today()


@pytest.fixture(autouse=True)
def _today() -> None:
    """Read the company's day per test, not once at import (a run can cross midnight in
    Shanghai, 16:00 UTC, between the two)."""
    global TODAY
    TODAY = rules.local_today()


@pytest.fixture
def org(session):
    """A team with a manager (linked to account mgr.a) and two reports (rep.a linked), plus
    HR, a second HR officer, an executive, a product manager and the PMO."""
    team = Team(code="technology", name_zh="技术部", name_en="Technology")
    session.add(team)
    session.commit()
    people = {}
    manager = Employee(
        employee_no="E0001",
        name="王经理",
        team_id=team.id,
        position="经理",
        hire_date=date(2024, 1, 1),
        salary_cipher=fields.encrypt("50000"),
    )
    session.add(manager)
    session.commit()
    team.manager_id = manager.id
    reports = []
    for number, name in ((2, "李工"), (3, "张工")):
        reports.append(
            Employee(
                employee_no=f"E000{number}",
                name=name,
                team_id=team.id,
                position="工程师",
                manager_id=manager.id,
                hire_date=date(2025, 3, 1),
                salary_cipher=fields.encrypt("30000"),
            )
        )
    session.add_all([team, *reports])
    session.commit()
    people["team"], people["manager"], people["reports"] = team, manager, reports
    people["mgr"] = make_principal(session, "mgr.a", ["cs_lead"], manager.id)
    people["rep"] = make_principal(session, "rep.a", ["cs_agent"], reports[0].id)
    people["hr"] = make_principal(session, "hr.a", ["hr"])
    people["hr2"] = make_principal(session, "hr.b", ["hr"])
    people["ceo"] = make_principal(session, "ceo.a", ["executive"])
    people["pm"] = make_principal(session, "pm.a", ["product_manager"])
    people["pmo"] = make_principal(session, "pmo.a", ["pmo"])
    return people


def _employee(session, principal, **values):
    base = {
        "name": "新员工",
        "team_id": "",
        "position": "工程师",
        "hire_date": "2026-01-05",
        "status": "active",
    }
    result = service.create(
        session, principal=principal, resource=EMPLOYEE, values={**base, **values}
    )
    assert result.ok, (result.errors, result.message)
    session.commit()
    return session.get(Employee, result.record_id)


def test_salary_is_encrypted_at_rest_and_only_hr_and_executives_read_it(session, org):
    hr, ceo, pmo, pm = org["hr"], org["ceo"], org["pmo"], org["pm"]
    employee = _employee(session, hr, team_id=str(org["team"].id), salary="25000.00")
    assert employee.employee_no == "E0004"  # numbered after the highest
    assert "25000" not in employee.salary_cipher
    assert fields.decrypt(employee.salary_cipher) == "25000.00"
    schema = service.schema_of(session, EMPLOYEE)
    assert service.record_values(session, schema, employee, hr)["salary"] == Decimal("25000.00")
    assert service.record_values(session, schema, employee, ceo)["salary"] == Decimal("25000.00")
    assert service.record_values(session, schema, employee, pmo)["salary"] is None
    query = service.ListQuery(search="新员工")
    seen = service.list_page(
        session, principal=pmo, resource=EMPLOYEE, query=query, columns=("name", "salary")
    )
    assert seen.rows[0]["salary"] == service.MASK
    shown = service.list_page(
        session, principal=hr, resource=EMPLOYEE, query=query, columns=("name", "salary")
    )
    assert shown.rows[0]["salary"] == "¥25,000.00"
    # the audit never holds the figure
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "employee.create")).first()
    assert json.loads(entry.changes)["salary"] == [None, service.MASK]
    # export: HR's file has it, and an encrypted field can be neither sorted nor searched on
    content, _name, _rows = transfer.export_view(
        session, principal=hr, resource=EMPLOYEE, query=query, fmt="csv", lang="en"
    )
    assert "25000.00" in content.decode("utf-8-sig")
    assert "salary" not in service.sortable(EMPLOYEE)
    # a product manager sees no employee at all, so no salary by any path
    with pytest.raises(service.EngineError):
        service.list_page(session, principal=pm, resource=EMPLOYEE, query=service.ListQuery())
    with pytest.raises(service.EngineError):
        service.load(session, principal=pm, resource=EMPLOYEE, record_id=employee.id)


def test_only_the_salary_right_changes_a_salary_and_the_change_is_audited_masked(session, org):
    hr, pmo = org["hr"], org["pmo"]
    employee = _employee(session, hr, team_id=str(org["team"].id), salary="25000")
    session.refresh(employee)
    result = service.update(
        session,
        principal=hr,
        resource=EMPLOYEE,
        record_id=employee.id,
        version=employee.version,
        values={"salary": "27000"},
    )
    assert result.ok
    session.commit()
    session.refresh(employee)
    assert fields.decrypt(employee.salary_cipher) == "27000.00"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "employee.edit")).first()
    assert json.loads(entry.changes) == {"salary": [service.MASK, service.MASK]}
    # someone with employee edit but no salary edit: the salary they send is ignored
    grant_edit = make_principal(session, "hr.junior", ["pmo"])
    assert not grant_edit.can("salary", "edit")
    schema = service.schema_of(session, EMPLOYEE)
    clean, _errors = service.validate(
        session,
        principal=pmo,
        resource=EMPLOYEE,
        values={"salary": "1"},
        creating=False,
        schema=schema,
    )
    assert "salary" not in clean
    bad = service.update(
        session,
        principal=hr,
        resource=EMPLOYEE,
        record_id=employee.id,
        version=employee.version,
        values={"salary": "-5"},
    )
    assert bad.errors == {"salary": "field.too_small"}


def test_every_encrypted_field_is_masked_for_callers_without_its_read_right(session, org):
    sealed = [(r, f) for r in all_resources() for f in r.fields if f.encrypted]
    assert {(r.key, f.name) for r, f in sealed} >= {
        ("employee", "salary"),
        ("candidate", "offer_salary"),
        ("promotion", "new_salary"),
    }
    for resource, spec in sealed:
        assert spec.read_permission == ("salary", "view")
        assert spec.name not in resource.filters + resource.search_fields
    for role in ("product_manager", "marketing", "compliance", "cs_agent", "cs_lead", "pmo"):
        principal = make_principal(session, f"{role}.x", [role])
        assert not principal.can("salary", "view"), role


def test_hiring_a_candidate_creates_the_employee_and_fills_the_opening(session, org):
    hr, team = org["hr"], org["team"]
    opening = JobOpening(title="后端工程师", team_id=team.id, headcount=1, opened_on=TODAY)
    session.add(opening)
    session.commit()
    result = service.create(
        session,
        principal=hr,
        resource=CANDIDATE,
        values={
            "name": "陈晨",
            "opening_id": str(opening.id),
            "channel": "referral",
            "applied_on": str(TODAY - timedelta(days=30)),
            "email": "chen@example.cn",
        },
    )
    assert result.ok, result.errors
    session.commit()
    candidate = session.get(Candidate, result.record_id)
    before = {r.team_id: r.actual for r in rules.headcount(session, rules.quarter_of(TODAY), TODAY)}

    def step(key):
        session.refresh(candidate)
        outcome = service.transition(
            session,
            principal=hr,
            resource=CANDIDATE,
            record_id=candidate.id,
            version=candidate.version,
            transition_key=key,
        )
        session.commit()
        return outcome

    assert step("screen").ok and step("interview").ok
    refused = step("offer")
    assert refused.message == "workflow.missing_fields"  # no offered salary yet: it says so
    assert refused.message_params == {"fields_zh": "录用月薪", "fields_en": "Offered salary"}
    session.refresh(candidate)
    edit = service.update(
        session,
        principal=hr,
        resource=CANDIDATE,
        record_id=candidate.id,
        version=candidate.version,
        values={"offer_salary": "28000", "start_on": str(TODAY)},
    )
    assert edit.ok, edit.errors
    session.commit()
    assert step("offer").ok
    assert step("hire").ok
    session.refresh(candidate)
    employee = session.get(Employee, candidate.employee_id)
    assert (employee.name, employee.team_id, employee.position) == ("陈晨", team.id, "后端工程师")
    assert employee.manager_id == org["manager"].id and employee.status == "probation"
    assert employee.hire_date == TODAY and candidate.hired_on == TODAY
    assert fields.decrypt(employee.salary_cipher) == "28000.00"
    session.refresh(opening)
    assert opening.status == "filled" and opening.closed_on == TODAY
    after = {r.team_id: r.actual for r in rules.headcount(session, rules.quarter_of(TODAY), TODAY)}
    assert after[team.id] == before[team.id] + 1
    actions = [a for (a,) in session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id))]
    assert actions[-3:] == ["candidate.transition.hire", "employee.create", "job_opening.filled"]
    # the opening is filled: another offer cannot be turned into a hire
    late = Candidate(
        opening_id=opening.id,
        name="迟到者",
        channel="campus",
        stage="offer",
        applied_on=TODAY,
        start_on=TODAY,
        offer_salary_cipher=fields.encrypt("1"),
    )
    session.add(late)
    session.commit()
    refused = service.transition(
        session,
        principal=hr,
        resource=CANDIDATE,
        record_id=late.id,
        version=late.version,
        transition_key="hire",
    )
    assert refused.message == "hr.opening_not_open"
    # nor can a new offer be made for it
    interviewed = Candidate(
        opening_id=opening.id,
        name="又一位",
        channel="headhunter",
        stage="interviewed",
        applied_on=TODAY,
        offer_salary_cipher=fields.encrypt("2"),
    )
    session.add(interviewed)
    session.commit()
    offer = service.transition(
        session,
        principal=hr,
        resource=CANDIDATE,
        record_id=interviewed.id,
        version=interviewed.version,
        transition_key="offer",
    )
    assert offer.message == "hr.opening_not_open"
    session.rollback()
    session.refresh(interviewed)
    assert interviewed.stage == "interviewed"
    report = {r.key: r for r in rules.time_to_hire(session, TODAY - timedelta(days=60))}
    assert report["referral"].hired == 1 and report["referral"].mean_days == Decimal("30.0")
    assert report["campus"].applicants == 1 and report["campus"].mean_days is None


def test_headcount_counts_staff_on_the_books_at_the_quarter_end(session, org):
    team = org["team"]
    session.add_all(
        [
            HeadcountPlan(team_id=team.id, quarter="2026-Q1", planned=5),
            Employee(
                employee_no="E0100",
                name="已离职",
                team_id=team.id,
                position="工程师",
                hire_date=date(2025, 1, 1),
                status="left",
                left_on=date(2026, 2, 15),
            ),
            Employee(
                employee_no="E0101",
                name="四月入职",
                team_id=team.id,
                position="工程师",
                hire_date=date(2026, 4, 1),
            ),
        ]
    )
    session.commit()
    assert rules.quarter_bounds("2026-Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    assert rules.quarter_bounds("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    with pytest.raises(rules.HrError):
        rules.quarter_bounds("2026-Q5")
    q4_2025 = {r.team_id: r for r in rules.headcount(session, "2025-Q4", date(2026, 11, 25))}
    q1 = {r.team_id: r for r in rules.headcount(session, "2026-Q1", date(2026, 11, 25))}
    q2 = {r.team_id: r for r in rules.headcount(session, "2026-Q2", date(2026, 11, 25))}
    assert q4_2025[team.id].actual == 4  # manager, two reports hired 2025-03, the leaver
    assert (q1[team.id].planned, q1[team.id].actual, q1[team.id].gap) == (5, 3, -2)
    assert q2[team.id].actual == 4  # the April joiner


def test_a_leaver_needs_a_leaving_date_and_nobody_manages_themselves(session, org):
    hr = org["hr"]
    result = service.create(
        session,
        principal=hr,
        resource=EMPLOYEE,
        values={
            "name": "甲",
            "team_id": str(org["team"].id),
            "position": "工程师",
            "hire_date": "2026-01-05",
            "status": "left",
        },
    )
    assert result.errors == {"left_on": "hr.left_needs_date"}
    manager = org["manager"]
    refused = service.update(
        session,
        principal=hr,
        resource=EMPLOYEE,
        record_id=manager.id,
        version=manager.version,
        values={"manager_id": str(manager.id)},
    )
    assert refused.errors == {"manager_id": "hr.own_manager"}


def test_training_gaps_list_who_lacks_mandatory_training_until_they_pass(session, org):
    hr = org["hr"]
    program = TrainingProgram(
        title="反洗钱必修",
        kind="on_the_job",
        mandatory=True,
        hours=Decimal("4"),
        due_within_days=30,
    )
    optional = TrainingProgram(title="选修", kind="external", hours=Decimal("8"))
    session.add_all([program, optional])
    session.commit()
    held = TrainingSession(program_id=program.id, held_on=TODAY, hours=Decimal("4"))
    session.add(held)
    session.commit()
    gaps = rules.training_gaps(session)
    assert len(gaps) == 3 and {g.program_id for g in gaps} == {program.id}
    rep = org["reports"][0]
    gap = next(g for g in gaps if g.employee_id == rep.id)
    assert gap.due_on == date(2025, 3, 31) and gap.overdue(TODAY)
    records = get("training_record")
    absent = service.create(
        session,
        principal=hr,
        resource=records,
        values={
            "employee_id": str(rep.id),
            "program_id": str(program.id),
            "session_id": str(held.id),
            "attended_on": "",
            "result": "absent",
        },
    )
    assert absent.ok, absent.errors
    session.commit()
    assert rep.id in {g.employee_id for g in rules.training_gaps(session)}
    passed = service.create(
        session,
        principal=hr,
        resource=records,
        values={
            "employee_id": str(rep.id),
            "program_id": "",
            "session_id": str(held.id),
            "attended_on": "",
            "result": "passed",
        },
    )
    assert passed.ok, passed.errors
    session.commit()
    assert rep.id not in {g.employee_id for g in rules.training_gaps(session)}
    assert rules.training_hours(session, TODAY)[rep.id] == Decimal("4")  # absence not counted
    wrong = service.create(
        session,
        principal=hr,
        resource=records,
        values={
            "employee_id": str(rep.id),
            "program_id": str(optional.id),
            "session_id": str(held.id),
            "attended_on": "",
            "result": "passed",
        },
    )
    assert wrong.errors == {"session_id": "hr.session_other_programme"}


@pytest.fixture
def cycle(session, org):
    cycle = AppraisalCycle(
        name="2026 年度", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
    )
    session.add(cycle)
    session.commit()
    appraisals = {}
    for person in (org["manager"], *org["reports"]):
        appraisal = Appraisal(cycle_id=cycle.id, employee_id=person.id, goals="完成 OKR")
        session.add(appraisal)
        session.commit()
        appraisals[person.name] = appraisal
    return cycle, appraisals


def test_self_assessment_then_the_managers_rating_then_calibration(session, org, cycle):
    _cycle, appraisals = cycle
    mine = appraisals["李工"]  # rep.a's own
    other = appraisals["张工"]  # also mgr.a's report, but not rep.a
    rep, mgr, hr, hr2 = org["rep"], org["mgr"], org["hr"], org["hr2"]
    with pytest.raises(rules.HrError, match=r"appraisal.not_yours"):
        rules.self_assess(session, rep, other.id, other.version, "不是我的")
    session.rollback()
    with pytest.raises(rules.HrError, match=r"appraisal.needs_self_assessment"):
        rules.rate(session, mgr, mine.id, mine.version, "A", "不错")
    session.rollback()
    with pytest.raises(rules.HrError, match=r"appraisal.self_assessment_required"):
        rules.self_assess(session, rep, mine.id, mine.version, "  ")
    session.rollback()
    rules.self_assess(session, rep, mine.id, mine.version, "完成了全部目标")
    session.commit()
    session.refresh(mine)
    assert mine.status == "self_assessed"
    # only the manager rates, with a comment and a valid rating
    with pytest.raises(rules.HrError, match=r"appraisal.not_your_report"):
        rules.rate(session, rep, mine.id, mine.version, "S", "我很好")
    session.rollback()
    with pytest.raises(rules.HrError, match=r"appraisal.comment_required"):
        rules.rate(session, mgr, mine.id, mine.version, "A", "")
    session.rollback()
    with pytest.raises(rules.HrError, match=r"field.not_a_choice"):
        rules.rate(session, mgr, mine.id, mine.version, "E", "好")
    session.rollback()
    with pytest.raises(rules.HrError, match=r"record.stale"):
        rules.rate(session, mgr, mine.id, mine.version - 1, "A", "表现突出")
    session.rollback()
    rules.rate(session, mgr, mine.id, mine.version, "A", "表现突出")
    session.commit()
    session.refresh(mine)
    assert (mine.status, mine.manager_rating, mine.rated_by) == ("rated", "A", "mgr.a")
    # calibration: HR only; a change needs a reason
    with pytest.raises(rules.HrError, match=r"auth.denied"):
        rules.calibrate(session, mgr, mine.id, mine.version, "A", "")
    session.rollback()
    with pytest.raises(rules.HrError, match=r"appraisal.calibration_reason"):
        rules.calibrate(session, hr, mine.id, mine.version, "B", "")
    session.rollback()
    rules.calibrate(session, hr2, mine.id, mine.version, "B", "部门间强制分布校准")
    session.commit()
    session.refresh(mine)
    assert (mine.status, mine.final_rating) == ("calibrated", "B")
    assert rules.rating_distribution(session, mine.cycle_id)["A"] == {"manager": 1, "final": 0}
    verbs = (
        session.execute(
            sa.select(AuditEntry.action)
            .where(AuditEntry.entity == "appraisal")
            .order_by(AuditEntry.id)
        )
        .scalars()
        .all()
    )
    assert verbs == ["appraisal.self_assess", "appraisal.manager_rate", "appraisal.calibrate"]


def test_nobody_calibrates_their_own_appraisal_and_closed_cycles_are_frozen(session, org, cycle):
    the_cycle, appraisals = cycle
    boss = appraisals["王经理"]
    hr_self = make_principal(session, "hr.self", ["hr"], org["manager"].id)
    boss.status, boss.manager_rating, boss.self_assessment = "rated", "A", "好"
    session.add(boss)
    session.commit()
    with pytest.raises(rules.HrError, match=r"workflow.maker_checker"):
        rules.calibrate(session, hr_self, boss.id, boss.version, "A", "")
    session.rollback()
    the_cycle.status = "closed"
    session.add(the_cycle)
    session.commit()
    mine = appraisals["李工"]
    with pytest.raises(rules.HrError, match=r"appraisal.cycle_closed"):
        rules.self_assess(session, org["rep"], mine.id, mine.version, "迟交")


def test_a_view_right_alone_shows_own_and_reports_appraisals_only(session, org, cycle):
    """HR and executives see every appraisal; a role given only the view right (an
    administrator's choice in the matrix) sees its own and its direct reports'."""
    resource = get("appraisal")
    _cycle, appraisals = cycle

    def visible(principal):
        page = service.list_page(
            session, principal=principal, resource=resource, query=service.ListQuery()
        )
        return {int(r["id"]) for r in page.rows}

    def viewer(principal):
        return replace(principal, permissions=principal.permissions | {("appraisal", "view")})

    everyone = {a.id for a in appraisals.values()}
    assert visible(org["hr"]) == everyone and visible(org["ceo"]) == everyone
    assert visible(viewer(org["mgr"])) == everyone  # their own and both reports'
    assert visible(viewer(org["rep"])) == {appraisals["李工"].id}
    assert visible(viewer(org["pm"])) == set()  # no employee record linked
    with pytest.raises(service.EngineError):
        service.load(
            session,
            principal=viewer(org["rep"]),
            resource=resource,
            record_id=appraisals["张工"].id,
        )
    with pytest.raises(service.EngineError):  # the desk's right is not the list's
        visible(org["mgr"])


def test_a_promotion_needs_a_second_approver_and_applies_on_its_date(session, org):
    hr, hr2, ceo = org["hr"], org["hr2"], org["ceo"]
    rep = org["reports"][0]

    def propose(effective_on):
        result = service.create(
            session,
            principal=hr,
            resource=PROMOTION,
            values={
                "employee_id": str(rep.id),
                "to_position": "高级工程师",
                "to_grade": "P7",
                "effective_on": str(effective_on),
                "new_salary": "36000",
                "reason": "年度考核 A",
            },
        )
        assert result.ok, result.errors
        session.commit()
        return session.get(Promotion, result.record_id)

    now = propose(TODAY)
    assert (now.from_position, now.status) == ("工程师", "proposed")
    refused = service.transition(
        session,
        principal=hr,
        resource=PROMOTION,
        record_id=now.id,
        version=now.version,
        transition_key="approve",
    )
    assert refused.message == "workflow.maker_checker"
    approved = service.transition(
        session,
        principal=ceo,
        resource=PROMOTION,
        record_id=now.id,
        version=now.version,
        transition_key="approve",
    )
    assert approved.ok
    session.commit()
    session.refresh(rep)
    session.refresh(now)
    assert (rep.position, rep.grade, now.status) == ("高级工程师", "P7", "applied")
    assert fields.decrypt(rep.salary_cipher) == "36000.00"
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "employee.promotion")
    ).first()
    assert "36000" not in entry.changes and json.loads(entry.changes)["salary"] == ["******"] * 2
    later = propose(TODAY + timedelta(days=10))
    service.transition(
        session,
        principal=hr2,
        resource=PROMOTION,
        record_id=later.id,
        version=later.version,
        transition_key="approve",
    )
    session.commit()
    session.refresh(later)
    assert later.status == "approved"
    assert rules.apply_due_promotions(session, TODAY) == 0
    assert rules.apply_due_promotions(session, TODAY + timedelta(days=10)) == 1
    session.commit()
    session.refresh(later)
    assert later.status == "applied"


def test_the_org_chart_walks_down_from_the_top(session, org):
    nodes = rules.org_chart(session)
    assert [(n.name, n.depth, n.reports) for n in nodes] == [
        ("王经理", 0, 2),
        ("李工", 1, 0),
        ("张工", 1, 0),
    ]


def test_an_administrator_links_an_account_to_its_employee_record(session, org):
    from backoffice.domains.admin import users
    from models.identity import User

    admin = make_principal(session, "admin.a", ["admin"])
    hr_user = session.exec(select(User).where(User.username == "hr.a")).one()
    employee = org["reports"][1]
    assert users.link_employee(session, actor=admin, user_id=hr_user.id, employee_no="e0099") == [
        "user.employee_not_found"
    ]
    assert users.link_employee(session, actor=admin, user_id=hr_user.id, employee_no="E0002") == [
        "user.employee_taken"
    ]  # rep.a's record
    assert (
        users.link_employee(session, actor=admin, user_id=hr_user.id, employee_no=" e0003 ") == []
    )
    session.commit()
    assert rules.employee_of(session, org["hr"]).id == employee.id
    assert users.link_employee(session, actor=admin, user_id=hr_user.id, employee_no="") == []
    session.commit()
    assert rules.employee_of(session, org["hr"]) is None
    changes = (
        session.execute(
            sa.select(AuditEntry.changes)
            .where(AuditEntry.action == "user.link_employee")
            .order_by(AuditEntry.id)
        )
        .scalars()
        .all()
    )
    assert [json.loads(c)["employee_id"] for c in changes] == [
        [None, employee.id],
        [employee.id, None],
    ]


def test_a_stale_appraisal_write_names_who_changed_it_and_the_fields_by_label(session, org, cycle):
    _cycle, appraisals = cycle
    mine = appraisals["李工"]
    rename(session, "rep.a", "周婷")
    seen = mine.version  # the manager opened the appraisal here …
    rules.self_assess(session, org["rep"], mine.id, seen, "完成了全部目标")  # … 周婷 meanwhile
    session.commit()
    before = session.exec(select(AuditEntry.id)).all()
    with pytest.raises(rules.HrError) as refused:
        rules.rate(session, org["mgr"], mine.id, seen, "A", "表现突出")
    session.rollback()
    labels = [get("appraisal").field(n) for n in ("self_assessment", "status")]
    assert_refused_as_stale(
        refused.value.key,
        refused.value.params,
        who="周婷",
        fields=[(s.label("zh"), s.label("en")) for s in labels],
    )
    session.refresh(mine)
    assert (mine.status, mine.manager_rating, mine.version) == ("self_assessed", None, seen + 1)
    assert session.exec(select(AuditEntry.id)).all() == before


@pytest.mark.parametrize("who", ["mgr", "rep", "hr", "ceo", "pm", "pmo"])
def test_the_appraisal_list_and_the_desk_follow_one_visibility_rule(session, org, cycle, who):
    """Own and direct reports' appraisals (a leaver's included: the manager still rates it),
    or all of them with the approval right: the same in the engine's list and on the desk."""
    _cycle, appraisals = cycle
    leaver = org["reports"][1]
    leaver.status, leaver.left_on = "left", TODAY
    session.add(leaver)
    session.commit()
    principal = org[who]
    listed = {
        int(r["id"])
        for r in service.list_page(
            session,
            principal=replace(
                principal, permissions=principal.permissions | {("appraisal", "view")}
            ),
            resource=get("appraisal"),
            query=service.ListQuery(page_size=100),
        ).rows
    }
    desk = rules.appraisal_desk(session, principal, _cycle.id)
    on_desk = {a.id for a, _e in desk.reports} | ({desk.mine.id} if desk.mine else set())
    expected = {
        "mgr": {a.id for a in appraisals.values()},  # own, a report's and the leaver's
        "rep": {appraisals["李工"].id},
    }
    if principal.can("appraisal", "approve"):
        assert listed == {a.id for a in appraisals.values()} and on_desk <= listed
    else:
        assert listed == on_desk == expected.get(who, set())


def test_the_hiring_board_shows_every_move_and_why_one_cannot_be_taken(session, org):
    """A new applicant: screening and rejection are both on the card; rejection is disabled
    until a reason is written, and the card says which field is missing."""
    from reflex.istate.data import RouterData
    from reflex.state import State

    from state.auth import carry_cookie
    from state.hr import HiringBoardState
    from tests.factories import run

    opening = JobOpening(title="数据分析师", team_id=org["team"].id, headcount=1, opened_on=TODAY)
    session.add(opening)
    session.commit()
    session.add(
        Candidate(opening_id=opening.id, name="周一", channel="campus", stage="applied",
                  applied_on=TODAY)
    )  # fmt: skip
    session.commit()
    user, _ = make_user(session, "hr.board", ["hr"])
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {"headers": {"origin": "http://localhost:3000"}, "asPath": "/hr/hiring",
         "pathname": "/hr/hiring"}
    )  # fmt: skip
    carry_cookie(root, sign_in(session, user))
    board = root.get_substate(HiringBoardState.get_full_name().split(".")[1:])
    run(HiringBoardState.load.fn(board))
    (card,) = [c for column in board.columns for c in column["cards"] if c["name"] == "周一"]
    moves = {m["key"]: m["reason"] for m in card["moves"]}
    assert moves == {"screen": "", "reject": "请先填写必需的字段：不录用原因。"}


def test_the_desk_shows_a_leavers_appraisal_the_list_shows_and_the_manager_rates(
    session, org, cycle
):
    """The manager's desk lists a report who has left, as the appraisal list does and as the
    rating rule allows: the page and the core follow the one visibility rule."""
    from models.identity import User
    from state.hr import AppraisalDeskState
    from tests.factories import run, state_for

    _cycle, appraisals = cycle
    leaver = org["reports"][1]
    leaver.status, leaver.left_on = "left", TODAY
    session.add(leaver)
    session.commit()
    manager = session.exec(select(User).where(User.username == "mgr.a")).one()
    principal = org["mgr"]
    listed = {
        int(r["id"])
        for r in service.list_page(
            session,
            principal=replace(
                principal, permissions=principal.permissions | {("appraisal", "view")}
            ),
            resource=get("appraisal"),
            query=service.ListQuery(page_size=100),
        ).rows
    }
    desk = state_for(session, manager, AppraisalDeskState, "/me/appraisals")
    desk.cycle_id = str(_cycle.id)
    run(AppraisalDeskState.load.fn(desk))
    on_desk = {int(desk.mine["id"])} | {int(r["id"]) for r in desk.reports}
    assert appraisals["张工"].id in on_desk
    assert [r["employee"] for r in desk.reports] == ["李工", "张工"]
    assert on_desk == listed == {a.id for a in appraisals.values()}
