"""Demo data of HR: the launch plan's teams and staff (with the demo accounts of the staff
linked to their employee records), headcount plans, hiring, training, appraisals and one
promotion waiting for approval."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from backoffice.domains.admin.demo import DEMO_USERS
from backoffice.platform.demo import AwaitingApproval, DemoContext, bulk, ids_by
from backoffice.security import fields
from models.hr import (
    Appraisal,
    AppraisalCycle,
    AppraisalStatus,
    Candidate,
    CandidateStage,
    Employee,
    EmployeeStatus,
    HeadcountPlan,
    HiringChannel,
    JobOpening,
    OpeningStatus,
    Promotion,
    PromotionStatus,
    Team,
    TeamCode,
    TeamKpi,
    TrainingKind,
    TrainingProgram,
    TrainingRecord,
    TrainingResult,
    TrainingSession,
)
from models.identity import User

NEEDS = ("admin",)  # the demo accounts, linked to their employee records
AWAITING_APPROVAL = (
    AwaitingApproval("promotion", Promotion, (PromotionStatus.PROPOSED,), maker="hr.zheng"),
)

TEAMS: list[tuple[TeamCode, str, str, int]] = [
    (TeamCode.SENIOR_MANAGEMENT, "高级管理层", "Senior management", 3),
    (TeamCode.TECHNOLOGY, "技术部", "Technology", 8),
    (TeamCode.PRODUCT_DESIGN, "产品与设计部", "Product & design", 4),
    (TeamCode.MARKETING, "市场营销部", "Marketing", 4),
    (TeamCode.RISK_COMPLIANCE, "风险管理与合规部", "Risk & compliance", 4),
    (TeamCode.CUSTOMER_SERVICE, "客户服务与运营部", "Customer service & operations", 6),
]
POSITIONS: dict[TeamCode, list[str]] = {
    TeamCode.SENIOR_MANAGEMENT: ["首席执行官 CEO", "首席技术官 CTO", "首席财务官 CFO"],
    TeamCode.TECHNOLOGY: ["后端工程师", "前端工程师", "测试工程师", "运维工程师", "架构师"],
    TeamCode.PRODUCT_DESIGN: ["产品经理", "高级产品经理", "交互设计师"],
    TeamCode.MARKETING: ["市场经理", "渠道专员", "内容运营"],
    TeamCode.RISK_COMPLIANCE: ["合规专员", "反洗钱专员", "风控经理"],
    TeamCode.CUSTOMER_SERVICE: ["客服专员", "客服主管", "运营专员"],
}


def rows(demo: DemoContext) -> None:
    _teams_and_staff(demo)
    _link_staff(demo)
    _hiring(demo)
    _training(demo)
    _appraisals(demo)


def _teams_and_staff(demo: DemoContext) -> None:
    c, rng = demo.conn, demo.rng
    demo.counts["team"] = bulk(
        c,
        Team,
        (
            {
                **demo.stamp(),
                "code": code.value,
                "name_zh": zh,
                "name_en": en,
                "manager_id": None,
            }
            for code, zh, en, _ in TEAMS
        ),
    )
    team_ids = ids_by(c, Team, "code")
    rows = []
    number = 0
    for code, _zh, _en, headcount in TEAMS:
        for i in range(headcount):
            number += 1
            positions = POSITIONS[code]
            position = (
                positions[i]
                if code == TeamCode.SENIOR_MANAGEMENT
                else (
                    positions[-2]
                    if i == 0 and code == TeamCode.CUSTOMER_SERVICE
                    else rng.choice(positions)
                )
            )
            salary = rng.randrange(15, 60) * 1000 if i else rng.randrange(50, 120) * 1000
            rows.append(
                {
                    **demo.stamp(),
                    "employee_no": f"E{number:04d}",
                    "name": demo.fake.name(),
                    "team_id": team_ids[code.value],
                    "position": position,
                    "manager_id": None,
                    "hire_date": demo.today - timedelta(days=rng.randrange(30, 900)),
                    "status": EmployeeStatus.PROBATION
                    if rng.random() < 0.1
                    else EmployeeStatus.ACTIVE,
                    "salary_cipher": fields.encrypt(str(Decimal(salary))),
                    "email": f"e{number:04d}@wealth.example.cn",
                    "phone": f"0571-8{rng.randrange(1000000, 9999999)}",
                    "grade": ("M4" if code == TeamCode.SENIOR_MANAGEMENT else "M2")
                    if i == 0
                    else f"P{rng.randrange(4, 8)}",
                    "left_on": None,
                }
            )
    for code, days in ((TeamCode.TECHNOLOGY, 200), (TeamCode.MARKETING, 40)):
        number += 1  # former staff: on the books until they left
        rows.append(
            {
                **demo.stamp(),
                "employee_no": f"E{number:04d}",
                "name": demo.fake.name(),
                "team_id": team_ids[code.value],
                "position": POSITIONS[code][0],
                "manager_id": None,
                "hire_date": demo.today - timedelta(days=days + 400),
                "status": EmployeeStatus.LEFT,
                "salary_cipher": fields.encrypt("20000"),
                "email": "",
                "phone": "",
                "grade": "P5",
                "left_on": demo.today - timedelta(days=days),
            }
        )
    demo.counts["employee"] = bulk(c, Employee, rows)
    employees = c.execute(
        sa.select(Employee.id, Employee.team_id)
        .where(Employee.status != EmployeeStatus.LEFT)
        .order_by(Employee.id)
    ).all()
    by_team: dict[int, list[int]] = {}
    for emp_id, team_id in employees:
        by_team.setdefault(team_id, []).append(emp_id)
    ceo = by_team[team_ids[TeamCode.SENIOR_MANAGEMENT.value]][0]
    for team_id, members in by_team.items():
        head = members[0]
        c.execute(
            sa.update(Team.__table__).where(Team.__table__.c.id == team_id).values(manager_id=head)
        )
        c.execute(
            sa.update(Employee.__table__)
            .where(Employee.__table__.c.id.in_(members[1:]))
            .values(manager_id=head)
        )
        if head != ceo:
            c.execute(
                sa.update(Employee.__table__)
                .where(Employee.__table__.c.id == head)
                .values(manager_id=ceo)
            )
    # for the domains after: team ids by code, and each team's staff (not those who left),
    # its head first
    demo.made["team_ids"] = team_ids
    demo.made["staff_by_team"] = {code: by_team[tid] for code, tid in team_ids.items()}
    quarters = [f"{demo.today.year}-Q{q}" for q in range(1, 5)]
    demo.counts["headcount_plan"] = bulk(
        c,
        HeadcountPlan,
        (
            {
                **demo.stamp(),
                "team_id": team_ids[code.value],
                "quarter": quarter,
                "planned": headcount + (q // 2),
            }
            for code, _zh, _en, headcount in TEAMS
            for q, quarter in enumerate(quarters)
        ),
    )


def _link_staff(demo: DemoContext) -> None:
    """Demo staff accounts belong to employees of their teams (customer service is linked
    with the desk, see ``tickets.demo``): the managers among them rate their reports."""
    names = {username: name for username, name, _roles in DEMO_USERS}
    links = (
        ("ceo.huang", TeamCode.SENIOR_MANAGEMENT, 0, "首席执行官 CEO"),
        ("pm.li", TeamCode.PRODUCT_DESIGN, 0, "产品总监"),
        ("pm.zhao", TeamCode.PRODUCT_DESIGN, 1, "产品经理"),
        ("mkt.chen", TeamCode.MARKETING, 0, "市场总监"),
        ("mkt.lin", TeamCode.MARKETING, 1, "市场经理"),
        ("kyc.liu", TeamCode.RISK_COMPLIANCE, 0, "合规总监"),
        ("kyc.sun", TeamCode.RISK_COMPLIANCE, 1, "反洗钱专员"),
        ("pmo.xu", TeamCode.TECHNOLOGY, 1, "项目经理"),
        ("pmo.gao", TeamCode.TECHNOLOGY, 3, "项目经理"),
        ("hr.zheng", TeamCode.CUSTOMER_SERVICE, -1, "人力资源经理"),
        ("hr.qian", TeamCode.CUSTOMER_SERVICE, -2, "人力资源专员"),
    )
    for username, team, index, position in links:
        employee_id = demo.made["staff_by_team"][team.value][index]
        demo.conn.execute(
            sa.update(User.__table__)
            .where(User.__table__.c.username == username)
            .values(employee_id=employee_id)
        )
        values = {"name": names[username], "position": position}
        if username.startswith("hr."):  # HR reports to the CEO, whatever team holds it
            values["manager_id"] = demo.made["staff_by_team"][TeamCode.SENIOR_MANAGEMENT.value][0]
        demo.conn.execute(
            sa.update(Employee.__table__)
            .where(Employee.__table__.c.id == employee_id)
            .values(**values)
        )


def _hiring(demo: DemoContext) -> None:
    c, rng = demo.conn, demo.rng
    openings = [
        ("高级后端工程师", TeamCode.TECHNOLOGY, 2, OpeningStatus.OPEN),
        ("反洗钱分析师", TeamCode.RISK_COMPLIANCE, 1, OpeningStatus.OPEN),
        ("客服专员", TeamCode.CUSTOMER_SERVICE, 2, OpeningStatus.OPEN),
        ("增长营销经理", TeamCode.MARKETING, 1, OpeningStatus.OPEN),
        ("数据产品经理", TeamCode.PRODUCT_DESIGN, 1, OpeningStatus.OPEN),
        ("测试工程师", TeamCode.TECHNOLOGY, 1, OpeningStatus.FILLED),
    ]
    demo.counts["job_opening"] = bulk(
        c,
        JobOpening,
        (
            {
                **demo.stamp(),
                "title": title,
                "team_id": demo.made["team_ids"][team.value],
                "headcount": headcount,
                "status": status,
                "opened_on": demo.today - timedelta(days=rng.randrange(20, 90)),
                "closed_on": demo.today - timedelta(days=10)
                if status == OpeningStatus.FILLED
                else None,
                "description": f"负责{title}相关工作，向团队负责人汇报。",
            }
            for title, team, headcount, status in openings
        ),
    )
    opening_rows = c.execute(
        sa.select(JobOpening.id, JobOpening.title, JobOpening.team_id, JobOpening.status)
    ).all()
    open_ids = [row.id for row in opening_rows if row.status == OpeningStatus.OPEN]
    filled = next(row for row in opening_rows if row.status == OpeningStatus.FILLED)
    reasons = ("经验与岗位要求不符", "薪资期望差距较大", "候选人接受了其他录用")
    stages = [CandidateStage.APPLIED] * 10 + [CandidateStage.SCREENED] * 6
    stages += [CandidateStage.INTERVIEWED] * 5 + [CandidateStage.OFFER] * 3
    stages += [CandidateStage.REJECTED] * 6
    rows = []
    for index, stage in enumerate(stages):
        applied = demo.today - timedelta(days=rng.randrange(1, 50))
        offered = stage == CandidateStage.OFFER
        first_offer = offered and stages[index - 1] != CandidateStage.OFFER
        rows.append(
            {
                **demo.stamp(),
                "opening_id": rng.choice(open_ids),
                "name": demo.fake.name(),
                "channel": rng.choice(list(HiringChannel)).value,
                "stage": stage.value,
                "applied_on": applied,
                "email": demo.fake.email(),
                "notes": "",
                "offer_salary_cipher": fields.encrypt(str(rng.randrange(15, 40) * 1000))
                if offered
                else "",
                "start_on": (
                    demo.today  # one accepted offer starts today
                    if first_offer
                    else demo.today + timedelta(days=rng.randrange(7, 30))
                )
                if offered
                else None,
                "hired_on": None,
                "employee_id": None,
                "rejection_reason": rng.choice(reasons) if stage == CandidateStage.REJECTED else "",
            }
        )
    # the people hired through the system are the most recent joiners of each team
    joiners = c.execute(
        sa.select(Employee.id, Employee.name, Employee.team_id, Employee.hire_date)
        .where(Employee.hire_date >= demo.today - timedelta(days=240))
        .order_by(Employee.hire_date.desc())
    ).all()
    team_openings = {row.team_id: row.id for row in opening_rows}
    team_openings[filled.team_id] = filled.id
    for joiner in joiners[:6]:
        hired_on = joiner.hire_date - timedelta(days=rng.randrange(7, 21))
        rows.append(
            {
                **demo.stamp(),
                "opening_id": team_openings.get(joiner.team_id, filled.id),
                "name": joiner.name,
                "channel": rng.choice(list(HiringChannel)).value,
                "stage": CandidateStage.HIRED.value,
                "applied_on": hired_on - timedelta(days=rng.randrange(14, 60)),
                "email": demo.fake.email(),
                "notes": "",
                "offer_salary_cipher": fields.encrypt(str(rng.randrange(15, 40) * 1000)),
                "start_on": joiner.hire_date,
                "hired_on": hired_on,
                "employee_id": joiner.id,
                "rejection_reason": "",
            }
        )
    demo.counts["candidate"] = bulk(c, Candidate, rows)


def _training(demo: DemoContext) -> None:
    c, rng = demo.conn, demo.rng
    programs = [
        ("新员工入职培训", TrainingKind.ONBOARDING, True, "8", 14),
        ("反洗钱与合规必修课", TrainingKind.ON_THE_JOB, True, "4", 30),
        ("信息安全意识培训", TrainingKind.ON_THE_JOB, True, "2", 60),
        ("理财产品知识进阶", TrainingKind.ON_THE_JOB, False, "6", 0),
        ("CFA 外部研修", TrainingKind.EXTERNAL, False, "16", 0),
    ]
    demo.counts["training_program"] = bulk(
        c,
        TrainingProgram,
        (
            {
                **demo.stamp(),
                "title": t,
                "kind": k.value,
                "mandatory": m,
                "hours": Decimal(h),
                "due_within_days": d,
            }
            for t, k, m, h, d in programs
        ),
    )
    program_rows = c.execute(
        sa.select(TrainingProgram.id, TrainingProgram.hours, TrainingProgram.mandatory)
    ).all()
    trainers = ("郑敏", "刘洋", "外部讲师", "技术部")
    bulk(
        c,
        TrainingSession,
        (
            {
                **demo.stamp(),
                "program_id": program.id,
                "held_on": demo.today - timedelta(days=days),
                "trainer": rng.choice(trainers),
                "location": rng.choice(("总部 3 楼培训室", "线上会议", "外部机构")),
                "hours": program.hours,
            }
            for program in program_rows
            for days in (20, 110, 250)
        ),
    )
    sessions: dict[int, list[tuple[int, date]]] = {}
    for session_id, program_id, held_on in c.execute(
        sa.select(TrainingSession.id, TrainingSession.program_id, TrainingSession.held_on)
    ):
        sessions.setdefault(program_id, []).append((session_id, held_on))
    staff = c.execute(sa.select(Employee.id, Employee.hire_date)).all()
    records = []
    for person in staff:
        for program in program_rows:
            attended = [s for s in sessions[program.id] if s[1] >= person.hire_date]
            recent = (demo.today - person.hire_date).days < 60
            if not attended or (recent and rng.random() < 0.6):
                continue  # new joiners have mandatory training still to do
            if not program.mandatory and rng.random() < 0.6:
                continue
            session_id, held_on = rng.choice(attended)
            result = rng.choice(
                (TrainingResult.PASSED,) * 6 + (TrainingResult.FAILED, TrainingResult.ABSENT)
            )
            records.append(
                {
                    **demo.stamp(),
                    "program_id": program.id,
                    "session_id": session_id,
                    "employee_id": person.id,
                    "attended_on": held_on,
                    "hours": Decimal(0) if result == TrainingResult.ABSENT else program.hours,
                    "result": result.value,
                }
            )
    demo.counts["training_record"] = bulk(c, TrainingRecord, records)


def _appraisals(demo: DemoContext) -> None:
    c, rng = demo.conn, demo.rng
    year = demo.today.year
    demo.counts["appraisal_cycle"] = bulk(
        c,
        AppraisalCycle,
        [
            {
                **demo.stamp(),
                "name": f"{year - 1} 年度考核",
                "period_start": date(year - 1, 1, 1),
                "period_end": date(year - 1, 12, 31),
                "status": "closed",
            },
            {
                **demo.stamp(),
                "name": f"{year} 年度考核",
                "period_start": date(year, 1, 1),
                "period_end": date(year, 12, 31),
                "status": "open",
            },
        ],
    )
    last, current = (
        c.execute(sa.select(AppraisalCycle.id).order_by(AppraisalCycle.period_start))
        .scalars()
        .all()
    )
    staff = c.execute(
        sa.select(Employee.id, Employee.hire_date, Employee.manager_id).order_by(Employee.id)
    ).all()
    cs_agents = set(demo.made["staff_by_team"][TeamCode.CUSTOMER_SERVICE.value][1:3])
    goals = "完成年度 OKR；提升客户满意度；按时完成必修培训"
    rows = []
    for person in staff:
        if person.hire_date <= date(year - 1, 12, 31):
            rating = rng.choice("ABBBC")
            final = rating if rng.random() < 0.8 else rng.choice("SABC")
            rows.append(
                {**demo.stamp(), "cycle_id": last, "employee_id": person.id,
                 "status": AppraisalStatus.CALIBRATED, "goals": goals,
                 "self_assessment": "按计划完成了主要目标。", "manager_rating": rating,
                 "manager_comment": "表现稳定。", "rated_by": "", "final_rating": final,
                 "calibration_note": "" if final == rating else "跨团队校准后调整"}
            )  # fmt: skip
        if person.manager_id is None:
            status = AppraisalStatus.OPEN
        elif person.id in cs_agents:
            status = AppraisalStatus.SELF_ASSESSED  # waiting for cs.wu's rating
        else:
            status = rng.choice(
                (AppraisalStatus.OPEN, AppraisalStatus.SELF_ASSESSED, AppraisalStatus.RATED)
            )
        assessed = status != AppraisalStatus.OPEN
        rated = status == AppraisalStatus.RATED
        rows.append(
            {
                **demo.stamp(),
                "cycle_id": current,
                "employee_id": person.id,
                "status": status,
                "goals": goals,
                "self_assessment": "上半年完成了主要目标，下半年重点提升专业能力。"
                if assessed
                else "",
                "manager_rating": rng.choice("ABBC") if rated else None,
                "manager_comment": "完成目标，沟通顺畅。" if rated else "",
                "rated_by": "",
                "final_rating": None,
                "calibration_note": "",
            }
        )
    demo.counts["appraisal"] = bulk(c, Appraisal, rows)
    kpis = {
        TeamCode.TECHNOLOGY: ("系统可用性", "%", "99.9"),
        TeamCode.PRODUCT_DESIGN: ("新上架产品数", "个", "12"),
        TeamCode.MARKETING: ("新增注册客户", "人", "20000"),
        TeamCode.RISK_COMPLIANCE: ("KYC 按时完成率", "%", "95"),
        TeamCode.CUSTOMER_SERVICE: ("客户满意度", "分", "4.5"),
        TeamCode.SENIOR_MANAGEMENT: ("管理资产规模", "亿元", "50"),
    }
    bulk(
        c,
        TeamKpi,
        (
            {
                **demo.stamp(),
                "cycle_id": cycle,
                "team_id": demo.made["team_ids"][team.value],
                "name": name,
                "unit": unit,
                "target": Decimal(target),
                "actual": (Decimal(target) * Decimal(rng.choice(("0.9", "0.97", "1.02")))).quantize(
                    Decimal("0.01")
                )
                if cycle == last
                else None,
                "weight": 100,
            }
            for cycle in (last, current)
            for team, (name, unit, target) in kpis.items()
        ),
    )
    engineer = demo.made["staff_by_team"][TeamCode.TECHNOLOGY.value][2]
    position, grade = c.execute(
        sa.select(Employee.position, Employee.grade).where(Employee.id == engineer)
    ).one()
    bulk(
        c,
        Promotion,
        [
            {
                **demo.stamp(),
                "employee_id": engineer,
                "from_position": position,
                "to_position": "高级" + position,
                "from_grade": grade,
                "to_grade": "P7",
                "effective_on": date(year + 1, 1, 1),
                "reason": f"{year - 1} 年度考核优秀，承担核心系统开发",
                "new_salary_cipher": fields.encrypt("42000"),
                "status": PromotionStatus.PROPOSED,
                "applied_at": None,
            }
        ],
    )
