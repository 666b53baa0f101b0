"""Customer-service tickets and the desk's configuration: SLA policies, the business calendar
and holidays, assignment rules per category, canned replies."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from backoffice.domains.tickets import rules
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Queue, Resource, register
from backoffice.engine.workflow import Transition as T
from backoffice.engine.workflow import Workflow
from backoffice.platform.business_time import parse_clock, parse_weekdays
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.tickets import (
    OPEN_TICKET_STATES,
    AssignmentMethod,
    AssignmentRule,
    BusinessHoliday,
    CannedReply,
    HolidayKind,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketMessage,
    TicketPriority,
    TicketSettings,
    TicketStatus,
)

S = TicketStatus
CATEGORY = F(
    "category",
    "分类",
    "Category",
    kind="choice",
    required=True,
    choices=tuple(TicketCategory),
    choice_group="ticket_category",
)
PRIORITY = F(
    "priority",
    "优先级",
    "Priority",
    kind="choice",
    required=True,
    choices=tuple(TicketPriority),
    choice_group="ticket_priority",
)

QUEUES = (
    Queue("mine", "我的工单", "Mine", lambda p: rules.mine(p.username)),
    Queue("unassigned", "待分配", "Unassigned", lambda p: Ticket.status == S.NEW),
    Queue(
        "waiting",
        "等待客户",
        "Waiting on customer",
        lambda p: Ticket.status == S.WAITING_CUSTOMER,
    ),
    Queue(
        "overdue",
        "已超时",
        "Overdue",
        lambda p: rules.overdue_clause(utcnow()),
    ),
    Queue(
        "unrated",
        "待评价",
        "Awaiting rating",
        lambda p: sa.and_(
            Ticket.status.in_((S.RESOLVED, S.CLOSED)),
            Ticket.satisfaction.is_(None),
            Ticket.merged_into_id.is_(None),
        ),
    ),
)

WORKING = (S.IN_PROGRESS, S.WAITING_CUSTOMER)
TICKET_WORKFLOW = Workflow(
    state_field="status",
    states=tuple(S),
    initial=S.NEW,
    editable_in=tuple(OPEN_TICKET_STATES),
    transitions=(
        T(
            "take",
            (S.NEW, S.ASSIGNED),
            S.IN_PROGRESS,
            "接手处理",
            "Take",
            actor_guard=rules.may_take,
            assign_to="assignee",
        ),
        T(
            "wait",
            (S.IN_PROGRESS,),
            S.WAITING_CUSTOMER,
            "等待客户",
            "Wait on customer",
            actor_guard=rules.only_assignee,
            guard=rules.replied,
            effect=rules.on_waiting,
        ),
        T(
            "resume",
            (S.WAITING_CUSTOMER,),
            S.IN_PROGRESS,
            "继续处理",
            "Resume",
            actor_guard=rules.only_assignee,
            effect=rules.on_resumed,
        ),
        T(
            "resolve",
            WORKING,
            S.RESOLVED,
            "已解决",
            "Resolve",
            required_fields=("resolution_note",),
            actor_guard=rules.only_assignee,
            guard=rules.replied,
            effect=rules.on_resolved,
        ),
        T(
            "close",
            (S.RESOLVED,),
            S.CLOSED,
            "关闭",
            "Close",
            actor_guard=rules.only_assignee,
            effect=rules.on_closed,
            bulk=True,
        ),
        T(
            "reopen",
            (S.RESOLVED, S.CLOSED),
            S.IN_PROGRESS,
            "重新打开",
            "Reopen",
            guard=rules.within_reopen_window,
            effect=rules.on_reopened,
        ),
    ),
)


def ticket_summary(
    session: Any, ticket: Any, lang: str, _principal: Any = None
) -> list[tuple[str, str]]:
    now = utcnow()
    en = lang == "en"
    if ticket.status in (S.RESOLVED, S.CLOSED):
        met = ticket.resolution_due is None or (
            ticket.resolved_at is not None and ticket.resolved_at <= ticket.resolution_due
        )
        sla = ("met" if en else "达标") if met else ("missed" if en else "未达标")
    elif ticket.status == S.WAITING_CUSTOMER:
        sla = "paused (waiting on customer)" if en else "已暂停（等待客户）"
    elif rules.is_overdue(ticket, now):
        sla = "overdue" if en else "已超时"
    else:
        sla = "on time" if en else "正常"
    messages = session.execute(
        sa.select(sa.func.count()).where(
            TicketMessage.ticket_id.in_(rules.thread_ids(session, ticket.id))
        )
    ).scalar_one()
    rating = f"{ticket.satisfaction}/5" if ticket.satisfaction else "—"
    merged = ""
    if ticket.merged_into_id:
        target = session.get(Ticket, ticket.merged_into_id)
        merged = target.ticket_no if target else "?"
    rows = [
        ("SLA" if en else "时效", sla),
        ("Messages" if en else "会话条数", str(messages)),
        ("Satisfaction" if en else "满意度", rating),
    ]
    if merged:
        rows.append(("Merged into" if en else "已合并至", merged))
    return rows


TICKET = register(
    Resource(
        key="ticket",
        model=Ticket,
        permission="ticket",
        module="tickets",
        label_zh="工单",
        label_en="Tickets",
        icon="headset",
        fields=(
            F("ticket_no", "工单号", "Ticket no.", editable=False),
            F(
                "customer_id",
                "客户",
                "Customer",
                kind="ref",
                ref="customer",
                required=True,
                fixed=True,
            ),
            F(
                "channel",
                "渠道",
                "Channel",
                kind="choice",
                required=True,
                choices=tuple(TicketChannel),
                choice_group="ticket_channel",
            ),
            CATEGORY,
            PRIORITY,
            F("subject", "主题", "Subject", required=True, max_length=300),
            F(
                "description",
                "客户描述",
                "Customer's message",
                kind="longtext",
                max_length=10_000,
                fixed=True,
                help_zh="客户的原话，作为会话的第一条",
                help_en="The customer's words; the first message of the conversation",
            ),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                required=True,
                choices=tuple(S),
                choice_group="ticket_status",
                editable=False,
            ),
            F("team_id", "团队", "Team", kind="ref", ref="team", editable=False),
            F("assignee", "处理人", "Agent", editable=False, person=True),
            F("product_id", "关联产品", "Product", kind="ref", ref="product"),
            F("kyc_case_id", "关联 KYC 案件", "KYC case", kind="ref", ref="kyc_case"),
            F(
                "first_response_due",
                "首次响应时限",
                "First response due",
                kind="datetime",
                editable=False,
            ),
            F("resolution_due", "解决时限", "Resolution due", kind="datetime", editable=False),
            F(
                "first_responded_at",
                "首次响应时间",
                "First responded",
                kind="datetime",
                editable=False,
            ),
            F("resolved_at", "解决时间", "Resolved", kind="datetime", editable=False),
            F("closed_at", "关闭时间", "Closed", kind="datetime", editable=False),
            F("reopened_count", "重开次数", "Reopened", kind="int", editable=False),
            F("merged_into_id", "合并至", "Merged into", kind="ref", ref="ticket", editable=False),
            F("resolution_note", "解决说明", "Resolution", kind="longtext", max_length=4000),
            F("satisfaction", "满意度", "Satisfaction", kind="int", editable=False),
            F(
                "satisfaction_comment",
                "客户评价",
                "Customer's comment",
                kind="longtext",
                editable=False,
            ),
        ),
        list_columns=(
            "ticket_no",
            "subject",
            "customer_id",
            "category",
            "priority",
            "status",
            "assignee",
            "resolution_due",
        ),
        title_field="ticket_no",
        filters=(
            "status",
            "priority",
            "category",
            "channel",
            "assignee",
            "created_at",
            "resolution_due",
            "satisfaction",
        ),
        search_fields=("ticket_no", "subject"),
        default_sort="-id",
        workflow=TICKET_WORKFLOW,
        queues=QUEUES,
        row_scope=rules.scope,
        attachments=True,
        before_create=rules.prepare,
        after_create=rules.route,
        summary=ticket_summary,
        importable=False,
        archivable=False,  # tickets are closed, never removed
    )
)


# --- the desk's configuration ---------------------------------------------------------------
def _settings_rules(values: dict[str, Any]) -> dict[str, str]:
    problems = {}
    start, end = (
        parse_clock(values.get("workday_start", "")),
        parse_clock(values.get("workday_end", "")),
    )
    if start is None:
        problems["workday_start"] = "ticket.bad_clock"
    if end is None:
        problems["workday_end"] = "ticket.bad_clock"
    if start and end and end <= start:
        problems["workday_end"] = "ticket.day_ends_before_start"
    if parse_weekdays(values.get("workdays", "")) is None:
        problems["workdays"] = "ticket.bad_weekdays"
    return problems


def _one_settings_row(session: Any, _principal: Principal, _values: dict) -> dict[str, str]:
    exists = session.exec(
        select(TicketSettings.id).where(TicketSettings.archived_at.is_(None))
    ).first()
    return {"workday_start": "ticket.settings_exist"} if exists else {}


register(
    Resource(
        key="ticket_settings",
        model=TicketSettings,
        permission="ticket_config",
        module="tickets",
        label_zh="服务时间与期限",
        label_en="Desk hours and windows",
        icon="clock",
        fields=(
            F(
                "workday_start",
                "上班时间",
                "Opens",
                required=True,
                max_length=5,
                help_zh="HH:MM，当地时间",
                help_en="HH:MM, local time",
            ),
            F(
                "workday_end",
                "下班时间",
                "Closes",
                required=True,
                max_length=5,
                help_zh="HH:MM，当地时间",
                help_en="HH:MM, local time",
            ),
            F(
                "workdays",
                "工作日",
                "Working weekdays",
                required=True,
                max_length=20,
                help_zh="周一=1 … 周日=7，逗号分隔",
                help_en="Monday = 1 … Sunday = 7, comma separated",
            ),
            F(
                "reopen_days",
                "可重开天数",
                "Reopen window (days)",
                kind="int",
                required=True,
                min_value=0,
                max_value=365,
            ),
            F(
                "auto_close_days",
                "自动关闭天数",
                "Auto-close after (days)",
                kind="int",
                required=True,
                min_value=1,
                max_value=365,
            ),
        ),
        list_columns=("workday_start", "workday_end", "workdays", "reopen_days", "auto_close_days"),
        title_field="workdays",
        default_sort="id",
        validator=_settings_rules,
        before_create=_one_settings_row,
        importable=False,
        exportable=False,
    )
)

register(
    Resource(
        key="business_holiday",
        model=BusinessHoliday,
        permission="ticket_config",
        module="tickets",
        label_zh="节假日",
        label_en="Holidays",
        icon="calendar-off",
        fields=(
            F("day", "日期", "Date", kind="date", required=True),
            F("name", "名称", "Name", required=True, max_length=100),
            F(
                "kind",
                "类型",
                "Kind",
                kind="choice",
                required=True,
                choices=tuple(HolidayKind),
                choice_group="holiday_kind",
                help_zh="调休上班日：周末也计入工作时间",
                help_en="A worked weekend day counts as business hours",
            ),
        ),
        list_columns=("day", "name", "kind"),
        title_field="name",
        filters=("kind", "day"),
        default_sort="-day",
    )
)


def _policy_rules(values: dict[str, Any]) -> dict[str, str]:
    first, resolution = values.get("first_response_minutes"), values.get("resolution_minutes")
    if first is not None and resolution is not None and resolution < first:
        return {"resolution_minutes": "ticket.resolution_before_response"}
    return {}


register(
    Resource(
        key="sla_policy",
        model=SlaPolicy,
        permission="ticket_config",
        module="tickets",
        label_zh="SLA 策略",
        label_en="SLA policies",
        icon="timer",
        fields=(
            PRIORITY,
            F(
                "first_response_minutes",
                "首次响应（分钟）",
                "First response (minutes)",
                kind="int",
                required=True,
                min_value=1,
                max_value=100_000,
            ),
            F(
                "resolution_minutes",
                "解决（分钟）",
                "Resolution (minutes)",
                kind="int",
                required=True,
                min_value=1,
                max_value=1_000_000,
            ),
            F(
                "business_hours",
                "按工作时间计",
                "Business hours only",
                kind="bool",
                help_zh="否：全天候计时（如紧急工单）",
                help_en="No: the clock runs around the clock",
            ),
        ),
        list_columns=("priority", "first_response_minutes", "resolution_minutes", "business_hours"),
        title_field="priority",
        default_sort="id",
        validator=_policy_rules,
        importable=False,
    )
)

register(
    Resource(
        key="assignment_rule",
        model=AssignmentRule,
        permission="ticket_config",
        module="tickets",
        label_zh="分配规则",
        label_en="Assignment rules",
        icon="shuffle",
        fields=(
            CATEGORY,
            F("team_id", "团队", "Team", kind="ref", ref="team", required=True),
            F(
                "method",
                "分配方式",
                "Method",
                kind="choice",
                required=True,
                choices=tuple(AssignmentMethod),
                choice_group="assignment_method",
                help_zh="轮询：团队成员依次分配；最少负载：分给未结工单最少的人；手动：留在团队队列",
                help_en="Round robin: members in turn; least loaded: fewest open tickets; "
                "manual: left in the team queue",
            ),
            F("last_assignee", "上次分配给", "Last assigned to", editable=False, person=True),
        ),
        list_columns=("category", "team_id", "method", "last_assignee"),
        title_field="category",
        default_sort="id",
        importable=False,
    )
)


def _canned_rules(values: dict[str, Any]) -> dict[str, str]:
    return (
        {"body": "ticket.unknown_placeholder"}
        if rules.unknown_placeholders(values.get("body") or "")
        else {}
    )


register(
    Resource(
        key="canned_reply",
        model=CannedReply,
        permission="ticket_config",
        module="tickets",
        label_zh="快捷回复",
        label_en="Canned replies",
        icon="message-square-quote",
        fields=(
            F("title", "标题", "Title", required=True, max_length=100),
            F(
                "category",
                "适用分类",
                "Category",
                kind="choice",
                choices=tuple(TicketCategory),
                choice_group="ticket_category",
                help_zh="留空：所有分类可用",
                help_en="Blank: offered for every category",
            ),
            F(
                "body",
                "内容",
                "Text",
                kind="longtext",
                required=True,
                max_length=4000,
                help_zh="可用占位符：{customer_name} {ticket_no} {subject} {agent_name}",
                help_en="Placeholders: {customer_name} {ticket_no} {subject} {agent_name}",
            ),
        ),
        list_columns=("title", "category"),
        title_field="title",
        filters=("category",),
        search_fields=("title",),
        default_sort="title",
        validator=_canned_rules,
    )
)
