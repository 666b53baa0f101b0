"""Demo data of projects: the platform project itself."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from backoffice.platform.demo import DemoContext, bulk, ids_by
from models.hr import TeamCode
from models.projects import (
    AdjustmentKind,
    Assessment,
    IndicatorKind,
    Milestone,
    MilestoneStatus,
    PlanAdjustment,
    Project,
    ProjectIndicator,
    ProjectPhase,
    ProjectRisk,
    ProjectTask,
    RiskStatus,
    RiskStrategy,
)

# tickets: for the order only, their random draws come first
NEEDS = ("hr", "tickets")

# (phase, name, baseline start, baseline end (days after kickoff), finish-to-start predecessor
# (index), actual start, actual end, progress): kickoff is 170 days ago
MILESTONES: list[tuple[ProjectPhase, str, int, int, int | None, int | None, int | None, int]] = [
    (ProjectPhase.KICKOFF, "项目章程与立项审批", 0, 14, None, 0, 14, 100),
    (ProjectPhase.KICKOFF, "需求调研与范围确认", 15, 30, 0, 15, 33, 100),
    (ProjectPhase.DEVELOPMENT, "账户与KYC模块开发", 31, 90, 1, 34, 95, 100),
    (ProjectPhase.DEVELOPMENT, "产品与交易模块开发", 31, 110, 1, 34, 110, 100),
    (ProjectPhase.DEVELOPMENT, "支付与清算对接", 40, 120, 1, 40, 132, 100),
    (ProjectPhase.DEVELOPMENT, "运营后台开发", 45, 130, 1, 45, 137, 100),
    (ProjectPhase.TESTING, "系统集成测试", 131, 150, 5, 138, 158, 100),
    (ProjectPhase.TESTING, "安全测试与等保测评", 145, 165, 4, 146, None, 55),  # overdue
    (ProjectPhase.TESTING, "用户验收测试", 151, 175, 6, 159, None, 30),  # at risk
    (ProjectPhase.GO_LIVE, "灰度发布", 176, 185, 8, None, None, 0),
    (ProjectPhase.GO_LIVE, "正式上线", 186, 190, 9, None, None, 0),
    (ProjectPhase.MAINTENANCE, "上线后稳定性保障", 191, 250, 10, None, None, 0),
    (ProjectPhase.MAINTENANCE, "第一次版本迭代", 220, 280, 10, None, None, 0),
]
OVERDUE_MILESTONE = 7  # owned by the PMO's own employee record: the demo alert reaches pmo.xu
PROJECT_RISKS: list[tuple[str, int, int, RiskStrategy, RiskStatus, int | None, str]] = [
    (
        "关键开发人员流失",
        2,
        4,
        RiskStrategy.MITIGATE,
        RiskStatus.OPEN,
        None,
        "关键模块双人备份，完善文档",
    ),
    (
        "支付通道对接延期",
        3,
        4,
        RiskStrategy.MITIGATE,
        RiskStatus.CLOSED,
        4,
        "提前启动联调，准备备用通道",
    ),
    (
        "监管政策变化",
        2,
        5,
        RiskStrategy.ACCEPT,
        RiskStatus.OPEN,
        None,
        "合规部门持续跟踪，预留整改时间",
    ),
    ("性能不达标", 3, 3, RiskStrategy.MITIGATE, RiskStatus.MITIGATING, 8, "尽早压测，预留扩容预算"),
    ("数据迁移出错", 2, 3, RiskStrategy.MITIGATE, RiskStatus.OPEN, 10, "多轮演练，保留回滚方案"),
    ("第三方系统不稳定", 3, 2, RiskStrategy.TRANSFER, RiskStatus.OPEN, 9, "熔断降级，SLA 约束"),
    (
        "等保测评整改项过多",
        4,
        5,
        RiskStrategy.MITIGATE,
        RiskStatus.MITIGATING,
        7,
        "提前自查，整改专人跟进",
    ),
    (
        "验收测试用户参与不足",
        4,
        3,
        RiskStrategy.AVOID,
        RiskStatus.OPEN,
        8,
        "业务部门指定专人，排入工作计划",
    ),
    ("上线窗口与监管报送冲突", 1, 4, RiskStrategy.AVOID, RiskStatus.OPEN, 10, "避开月末报送日"),
    ("运维人手不足", 5, 2, RiskStrategy.TRANSFER, RiskStatus.OPEN, 11, "引入外包驻场运维"),
]
# (phase, kind, name, target, actual, unit, days after kickoff, assessment)
PROJECT_INDICATORS: list[
    tuple[ProjectPhase, IndicatorKind, str, str, str, str, int, Assessment]
] = [
    (ProjectPhase.KICKOFF, IndicatorKind.EVALUATION, "立项评审", "", "", "", 30, Assessment.MET),
    (
        ProjectPhase.DEVELOPMENT,
        IndicatorKind.INDICATOR,
        "单元测试覆盖率",
        "80",
        "76",
        "%",
        120,
        Assessment.PARTLY,
    ),
    (
        ProjectPhase.DEVELOPMENT,
        IndicatorKind.INDICATOR,
        "代码评审覆盖率",
        "100",
        "100",
        "%",
        130,
        Assessment.MET,
    ),
    (
        ProjectPhase.DEVELOPMENT,
        IndicatorKind.EVALUATION,
        "开发阶段评审",
        "",
        "",
        "",
        138,
        Assessment.PARTLY,
    ),
    (
        ProjectPhase.TESTING,
        IndicatorKind.INDICATOR,
        "缺陷修复率",
        "95",
        "88",
        "%",
        165,
        Assessment.PARTLY,
    ),
    (
        ProjectPhase.TESTING,
        IndicatorKind.INDICATOR,
        "遗留严重缺陷",
        "0",
        "2",
        "个",
        168,
        Assessment.NOT_MET,
    ),
    (
        ProjectPhase.TESTING,
        IndicatorKind.INDICATOR,
        "交易峰值吞吐量",
        "2000",
        "2350",
        "TPS",
        160,
        Assessment.MET,
    ),
]


def rows(demo: DemoContext) -> None:
    """The platform project: all five phases, finish-to-start links, done, overdue and at
    risk milestones, baseline against forecast and actual, the pushes logged, risks over
    the heat map, indicators and evaluations per phase, tasks and a change of scope."""
    c, rng = demo.conn, demo.rng
    kickoff = demo.today - timedelta(days=170)
    tech = demo.made["staff_by_team"][TeamCode.TECHNOLOGY.value]
    pmo_employee = tech[1]  # pmo.xu (see hr.demo)

    def day(offset: int) -> date:
        return kickoff + timedelta(days=offset)

    demo.counts["project"] = bulk(
        c,
        Project,
        [
            {
                **demo.stamp(),
                "code": "PLATFORM-1",
                "name": "互联网理财平台一期建设",
                "owner_id": demo.made["staff_by_team"][TeamCode.SENIOR_MANAGEMENT.value][1],
                "start_date": kickoff,
                "end_date": day(280),
                "status": "active",
                "description": (
                    "按平台规划第十章：项目启动、系统开发、系统测试、上线运行、后期维护。"
                ),
            }
        ],
    )
    project_id = ids_by(c, Project, "code")["PLATFORM-1"]
    ids: list[int] = []
    finishes: list[date] = []
    pushes: list[tuple[int, int, date, date, date, date]] = []  # who, cause, old/new dates
    for i, (phase, name, start, end, dep, a_start, a_end, progress) in enumerate(MILESTONES):
        planned_start, planned_end = day(start), day(end)
        forecast_start = planned_start
        if dep is not None:
            forecast_start = max(planned_start, finishes[dep] + timedelta(days=1))
        forecast_end = forecast_start + (planned_end - planned_start)
        if a_end is not None:
            status = MilestoneStatus.DONE
        elif a_start is not None:
            status = MilestoneStatus.IN_PROGRESS
        else:
            status = MilestoneStatus.NOT_STARTED
        result = c.execute(
            sa.insert(Milestone.__table__).values(
                **demo.stamp(),
                project_id=project_id,
                phase=phase.value,
                name=name,
                owner_id=pmo_employee if i == OVERDUE_MILESTONE else rng.choice(tech),
                planned_start=planned_start,
                planned_end=planned_end,
                forecast_start=forecast_start,
                forecast_end=forecast_end,
                actual_start=day(a_start) if a_start is not None else None,
                actual_end=day(a_end) if a_end is not None else None,
                progress=progress,
                status=status.value,
                depends_on_id=ids[dep] if dep is not None else None,
            )
        )
        ids.append(result.inserted_primary_key[0])
        finishes.append(day(a_end) if a_end is not None else forecast_end)
        if forecast_start != planned_start and dep is not None:
            pushes.append((i, dep, planned_start, forecast_start, planned_end, forecast_end))
    demo.counts["milestone"] = len(MILESTONES)
    adjustments = []
    for i, dep, old_start, new_start, old_end, new_end in pushes:
        reason = f"前置里程碑「{MILESTONES[dep][1]}」延期完成，按完成-开始依赖顺延"
        for name, old, new in (
            ("forecast_start", old_start, new_start),
            ("forecast_end", old_end, new_end),
        ):
            adjustments.append(
                {
                    **demo.stamp(),
                    "project_id": project_id,
                    "milestone_id": ids[i],
                    "kind": AdjustmentKind.DATES.value,
                    "field": name,
                    "old_value": old.isoformat(),
                    "new_value": new.isoformat(),
                    "reason": reason,
                    "made_by": "pmo.xu",
                    "cause_id": ids[dep],
                }
            )
    adjustments.append(
        {
            **demo.stamp(),
            "project_id": project_id,
            "milestone_id": ids[3],
            "kind": AdjustmentKind.SCOPE.value,
            "field": "scope",
            "old_value": "",
            "new_value": "基金定投",
            "reason": "业务部门要求一期增加基金定投功能，经项目指导委员会同意纳入范围",
            "made_by": "pmo.xu",
            "cause_id": None,
        }
    )
    demo.counts["plan_adjustment"] = bulk(c, PlanAdjustment, adjustments)
    demo.counts["project_task"] = bulk(
        c,
        ProjectTask,
        (
            {
                **demo.stamp(),
                "milestone_id": ids[m],
                "name": name,
                "owner_id": rng.choice(tech),
                "planned_start": day(start),
                "planned_end": day(end),
                "actual_start": day(start) if done is not None else None,
                "actual_end": day(done) if done else None,
                "progress": progress,
                "status": (
                    MilestoneStatus.DONE
                    if done
                    else MilestoneStatus.IN_PROGRESS
                    if done is not None
                    else MilestoneStatus.NOT_STARTED
                ).value,
                "depends_on_id": None,
            }
            for m, name, start, end, done, progress in (
                (7, "渗透测试", 146, 155, 156, 100),
                (7, "等保差距分析与整改", 150, 165, 0, 40),
                (7, "测评机构现场测评", 160, 165, None, 0),
                (8, "验收用例编写", 159, 165, 165, 100),
                (8, "业务部门验收执行", 166, 180, 0, 15),
            )
        ),
    )
    demo.counts["project_risk"] = bulk(
        c,
        ProjectRisk,
        (
            {
                **demo.stamp(),
                "project_id": project_id,
                "title": title,
                "probability": p,
                "impact": i,
                "strategy": strategy.value,
                "response": response,
                "owner_id": rng.choice(tech),
                "status": status.value,
                "review_date": demo.today + timedelta(days=rng.randrange(5, 40)),
                "milestone_id": ids[m] if m is not None else None,
            }
            for title, p, i, strategy, status, m, response in PROJECT_RISKS
        ),
    )
    demo.counts["project_indicator"] = bulk(
        c,
        ProjectIndicator,
        (
            {
                **demo.stamp(),
                "project_id": project_id,
                "phase": phase.value,
                "kind": kind.value,
                "name": name,
                "target": Decimal(target) if target else None,
                "actual": Decimal(actual) if actual else None,
                "unit": unit,
                "recorded_on": day(offset),
                "assessment": assessment.value,
                "evaluator_id": pmo_employee,
                "comment": "",
            }
            for phase, kind, name, target, actual, unit, offset, assessment in (PROJECT_INDICATORS)
        ),
    )
