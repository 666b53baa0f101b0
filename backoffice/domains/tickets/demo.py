"""Demo data of the service desk: its calendar, SLA policies, routing rules and canned
replies, the demo agents linked to the customer-service team, half a year of tickets with their
numbers and targets as the ticket rules make them, the targets missed, and conversations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.domains.admin.demo import DEMO_USERS
from backoffice.domains.tickets import rules as desk
from backoffice.platform.demo import DemoContext, bulk
from models.hr import Employee, TeamCode
from models.identity import User
from models.tickets import (
    AssignmentRule,
    BusinessHoliday,
    CannedReply,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketMessage,
    TicketSettings,
    TicketSlaBreach,
    TicketStatus,
)

# kyc: for the order only, its random draws come first
NEEDS = ("hr", "customers", "kyc")

AGENTS = ("cs.zhou", "cs.he")  # cs.wu leads them
# priority, first response and resolution targets in minutes, counted in business hours
SLA_POLICIES = (
    ("urgent", 30, 240, False),
    ("high", 60, 480, True),
    ("normal", 120, 1440, True),
    ("low", 480, 4320, True),
)
ASSIGNMENT = (
    ("account", "round_robin"),
    ("transaction", "round_robin"),
    ("investment_consultation", "least_loaded"),
    ("complaint", "least_loaded"),
    ("other", "manual"),
)
HOLIDAYS = (  # the public holidays of the demo years and the weekend days worked instead
    ("2026-01-01", "元旦", "holiday"),
    ("2026-01-02", "元旦", "holiday"),
    ("2026-01-04", "元旦调休上班", "workday"),
    ("2026-02-16", "春节", "holiday"),
    ("2026-02-17", "春节", "holiday"),
    ("2026-02-18", "春节", "holiday"),
    ("2026-02-19", "春节", "holiday"),
    ("2026-02-20", "春节", "holiday"),
    ("2026-02-14", "春节调休上班", "workday"),
    ("2026-02-28", "春节调休上班", "workday"),
    ("2026-04-06", "清明节", "holiday"),
    ("2026-05-01", "劳动节", "holiday"),
    ("2026-05-04", "劳动节", "holiday"),
    ("2026-05-05", "劳动节", "holiday"),
    ("2026-06-19", "端午节", "holiday"),
    ("2026-09-25", "中秋节", "holiday"),
    ("2026-10-01", "国庆节", "holiday"),
    ("2026-10-02", "国庆节", "holiday"),
    ("2026-10-05", "国庆节", "holiday"),
    ("2026-10-06", "国庆节", "holiday"),
    ("2026-10-07", "国庆节", "holiday"),
    ("2026-09-27", "国庆调休上班", "workday"),
    ("2026-10-10", "国庆调休上班", "workday"),
    ("2027-01-01", "元旦", "holiday"),
)
CANNED_REPLIES = (
    (
        "问候与受理",
        None,
        "{customer_name}您好，您的工单 {ticket_no}（{subject}）已受理，"
        "我是客服{agent_name}，将尽快为您处理。",
    ),
    (
        "请补充信息",
        None,
        "{customer_name}您好，为尽快处理工单 {ticket_no}，请您补充相关截图或"
        "交易流水号，我们收到后会立即跟进。",
    ),
    (
        "赎回到账说明",
        "transaction",
        "{customer_name}您好，赎回资金一般在 T+1 个工作日内到账，"
        "节假日顺延。工单 {ticket_no} 我们会持续跟踪。",
    ),
    (
        "登录问题处理",
        "account",
        "{customer_name}您好，请您在 App 登录页点击“忘记密码”重置，"
        "若仍无法登录请回复本工单 {ticket_no}。",
    ),
    (
        "投诉已升级",
        "complaint",
        "{customer_name}您好，非常抱歉给您带来不便，您的投诉 {ticket_no} "
        "已提交主管处理，我们将在 1 个工作日内回复。",
    ),
    (
        "结案确认",
        None,
        "{customer_name}您好，工单 {ticket_no} 已处理完毕，如仍有疑问欢迎随时联系，"
        "祝您投资顺利！——{agent_name}",
    ),
)

TICKET_SUBJECTS: dict[TicketCategory, list[str]] = {
    TicketCategory.ACCOUNT: ["无法登录账户", "修改绑定手机号", "实名认证失败", "账户被锁定"],
    TicketCategory.TRANSACTION: ["赎回资金未到账", "申购扣款失败", "交易记录不一致", "手续费疑问"],
    TicketCategory.INVESTMENT_CONSULTATION: [
        "适合我的理财产品",
        "基金收益如何计算",
        "风险等级说明",
        "定期产品能否提前赎回",
    ],
    TicketCategory.COMPLAINT: ["对产品收益不满", "客服响应太慢", "营销短信过多"],
    TicketCategory.OTHER: ["发票申请", "App功能建议", "活动规则咨询"],
}


def rows(demo: DemoContext) -> None:
    c, rng = demo.conn, demo.rng
    team_id = demo.made["team_ids"][TeamCode.CUSTOMER_SERVICE.value]
    _link_agents(demo, team_id)
    _desk(demo, team_id)
    with Session(bind=c) as session:  # the desk's rules, read as the service reads them
        calendar = desk.calendar_of(session)
        policies = {p.priority: p for p in session.exec(select(SlaPolicy)).all()}
    categories = list(TicketCategory)
    span = 180 * 86400
    start = demo.now - timedelta(seconds=span)

    def later(start: datetime, priority: str, minutes: int) -> datetime:
        return desk.due_after(policies[priority], calendar, start, minutes)

    def new_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, demo.size.tickets + 1):
            created = start + timedelta(seconds=int(span * n / demo.size.tickets))
            age_days = (demo.now - created).days
            category = rng.choice(categories)
            priority = rng.choice(("low", "normal", "normal", "normal", "high", "urgent"))
            if age_days > 14:
                status = rng.choice(
                    (TicketStatus.CLOSED, TicketStatus.CLOSED, TicketStatus.RESOLVED)
                )
            else:
                status = rng.choice(list(TicketStatus))
            assigned = status != TicketStatus.NEW
            responded = status not in (TicketStatus.NEW, TicketStatus.ASSIGNED)
            done = status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
            policy = policies[priority]
            first, total = policy.first_response_minutes, policy.resolution_minutes
            due = desk.targets_of(policy, calendar, created)
            # most tickets meet their targets, some miss them (the reports show both)
            first_response = later(created, priority, rng.randrange(3, int(first * 1.2)))
            resolved = later(first_response, priority, rng.randrange(20, int(total * 1.1)))
            if responded and first_response > demo.now:
                first_response = demo.now - timedelta(minutes=1)
            if done and resolved > demo.now:
                resolved = demo.now - timedelta(minutes=1)
            closed = resolved + timedelta(days=3) if status == TicketStatus.CLOSED else None
            yield {
                **demo.stamp(created),
                "ticket_no": desk.ticket_number(n),
                "customer_id": rng.choice(demo.made["customers"])[0],
                "channel": rng.choice(list(TicketChannel)).value,
                "category": category.value,
                "priority": priority,
                "subject": rng.choice(TICKET_SUBJECTS[category]),
                "description": "您好，我遇到了问题，请尽快帮我处理，谢谢。",
                "status": status.value,
                "team_id": team_id,
                "assignee": rng.choice(AGENTS) if assigned else "",
                "first_response_due": due["first_response_due"],
                "resolution_due": due["resolution_due"],
                "first_responded_at": first_response if responded else None,
                "waiting_since": demo.now - timedelta(hours=rng.randrange(1, 30))
                if status == TicketStatus.WAITING_CUSTOMER
                else None,
                "resolved_at": resolved if done else None,
                "closed_at": min(closed, demo.now) if closed else None,
                "reopened_count": 0,
                "resolution_note": "已为客户处理完毕并电话确认。" if done else "",
                "satisfaction": rng.choice((3, 4, 4, 5, 5, 5, 2, 1))
                if done and rng.random() < 0.6
                else None,
                "satisfaction_comment": "",
            }

    demo.counts["ticket"] = bulk(c, Ticket, new_rows())
    _breaches(demo)
    if demo.size.tickets > 20_000:
        return  # conversations are only needed where people read them
    tickets = c.execute(
        sa.select(Ticket.id, Ticket.status, Ticket.assignee, Ticket.created_at)
    ).all()

    def messages() -> Iterator[dict[str, Any]]:
        for ticket_id, status, assignee, created in tickets:
            yield {
                "created_at": created,
                "ticket_id": ticket_id,
                "kind": "customer",
                "author": assignee or AGENTS[0],
                "body": "您好，我遇到了问题，请尽快帮我处理，谢谢。",
            }
            if status not in (TicketStatus.NEW, TicketStatus.ASSIGNED):
                yield {
                    "created_at": created + timedelta(minutes=3),
                    "ticket_id": ticket_id,
                    "kind": "note",
                    "author": assignee,
                    "body": "已核实客户身份，查询交易记录中。",
                }
                yield {
                    "created_at": created + timedelta(minutes=4),
                    "ticket_id": ticket_id,
                    "kind": "reply",
                    "author": assignee,
                    "body": "您好，您的问题已收到，我们正在处理，稍后回复您。",
                }

    demo.counts["ticket_message"] = bulk(c, TicketMessage, messages())


def _link_agents(demo: DemoContext, team_id: int) -> None:
    """The demo agents' staff accounts belong to customer-service employees (the team an
    assignment rule hands tickets to), who carry their names."""
    members = demo.made["staff_by_team"][TeamCode.CUSTOMER_SERVICE.value]
    names = {username: name for username, name, _roles in DEMO_USERS}
    for username, employee_id in zip(("cs.wu", *AGENTS), members, strict=False):
        demo.conn.execute(
            sa.update(User.__table__)
            .where(User.__table__.c.username == username)
            .values(employee_id=employee_id)
        )
        demo.conn.execute(
            sa.update(Employee.__table__)
            .where(Employee.__table__.c.id == employee_id)
            .values(name=names[username].split("（")[0])
        )


def _desk(demo: DemoContext, team_id: int) -> None:
    c = demo.conn
    bulk(c, TicketSettings, [{**demo.stamp(), "workday_start": "09:00",
          "workday_end": "18:00", "workdays": "1,2,3,4,5", "reopen_days": 7,
          "auto_close_days": 3}])  # fmt: skip
    demo.counts["business_holiday"] = bulk(
        c,
        BusinessHoliday,
        (
            {**demo.stamp(), "day": date.fromisoformat(day), "name": name, "kind": kind}
            for day, name, kind in HOLIDAYS
        ),
    )
    demo.counts["sla_policy"] = bulk(
        c,
        SlaPolicy,
        (
            {
                **demo.stamp(),
                "priority": priority,
                "first_response_minutes": first,
                "resolution_minutes": total,
                "business_hours": business,
            }
            for priority, first, total, business in SLA_POLICIES
        ),
    )
    demo.counts["assignment_rule"] = bulk(
        c,
        AssignmentRule,
        (
            {**demo.stamp(), "category": category, "team_id": team_id, "method": method,
             "last_assignee": ""}
            for category, method in ASSIGNMENT
        ),
    )  # fmt: skip
    demo.counts["canned_reply"] = bulk(
        c,
        CannedReply,
        (
            {**demo.stamp(), "title": title, "category": category, "body": body}
            for title, category, body in CANNED_REPLIES
        ),
    )


def _breaches(demo: DemoContext) -> None:
    """Targets the demo history missed, recorded as the escalation job would have."""
    c = demo.conn
    table = Ticket.__table__
    open_states = [s.value for s in (TicketStatus.NEW, TicketStatus.ASSIGNED,
                                     TicketStatus.IN_PROGRESS)]  # fmt: skip
    rows = []
    for target, due, done in (
        ("first_response", table.c.first_response_due, table.c.first_responded_at),
        ("resolution", table.c.resolution_due, table.c.resolved_at),
    ):
        missed = sa.or_(
            sa.and_(done.is_not(None), done > due),
            sa.and_(done.is_(None), due < demo.now, table.c.status.in_(open_states)),
        )
        found = c.execute(
            sa.select(table.c.id, due, table.c.priority, table.c.assignee).where(missed)
        ).all()
        for ticket_id, due_at, priority, assignee in found:
            at = min(demo.now, due_at + timedelta(minutes=15))
            rows.append(
                {
                    "created_at": at,
                    "ticket_id": ticket_id,
                    "target": target,
                    "due_at": due_at,
                    "breached_at": at,
                    "priority_before": priority,
                    "priority_after": priority,
                    "assignee": assignee,
                }
            )
        c.execute(
            sa.update(table)
            .where(missed)
            .values({f"{target}_breached_at": sa.func.coalesce(due, demo.now)})
        )
    demo.counts["ticket_sla_breach"] = bulk(c, TicketSlaBreach, rows)


# --- project ---------------------------------------------------------------------------------
