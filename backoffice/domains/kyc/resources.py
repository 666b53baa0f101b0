"""KYC: customers (personal data masked), cases in work queues with maker ≠ checker decisions,
watch lists (importable) and screening hits."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from backoffice.domains.customers import national_id
from backoffice.domains.kyc import rules, screening
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Queue, Resource, register
from backoffice.engine.workflow import Transition as T
from backoffice.engine.workflow import Workflow
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.customers import RISK_TOLERANCES, Customer
from models.kyc import (
    OPEN_CASE_STATES,
    AmlRisk,
    HitStatus,
    KycCase,
    KycCaseKind,
    KycCaseStatus,
    ScreeningHit,
    WatchlistEntry,
    WatchlistKind,
)

S = KycCaseStatus
REVEAL = ("customer", "reveal")


def _open(principal: Principal) -> sa.ColumnElement[bool]:
    return KycCase.status.in_(OPEN_CASE_STATES)


def _open_hits(principal: Principal) -> sa.ColumnElement[bool]:
    """Open cases whose customer has an undecided watch-list hit; empty for anyone who does
    not work the watch lists (``screening.HITS_RIGHT``)."""
    if not principal.can(*screening.HITS_RIGHT):
        return sa.false()
    return sa.and_(
        _open(principal),
        sa.exists().where(
            ScreeningHit.customer_id == KycCase.customer_id,
            ScreeningHit.status == HitStatus.OPEN,
        ),
    )


QUEUES = (
    Queue("new", "新案件", "New", lambda p: KycCase.status == S.NEW),
    Queue(
        "mine",
        "我的案件",
        "Mine",
        lambda p: sa.and_(KycCase.assignee == p.username, KycCase.status.in_(OPEN_CASE_STATES)),
    ),
    Queue(
        "waiting",
        "等待客户",
        "Waiting for customer",
        lambda p: KycCase.status == S.WAITING_CUSTOMER,
    ),
    Queue("escalated", "已升级", "Escalated", lambda p: KycCase.status == S.ESCALATED),
    Queue("second", "待复核", "Second approval", lambda p: KycCase.status == S.PENDING_SECOND),
    Queue(
        "overdue",
        "已超时",
        "Overdue",
        lambda p: sa.and_(_open(p), KycCase.due_at < utcnow()),
    ),
    Queue("hits", "待处理命中", "Open watch-list hits", _open_hits),
)


def prepare_case(session: Any, _principal: Principal, values: dict[str, Any]) -> dict[str, str]:
    """A case opened by hand: numbered, timed, and its customer screened."""
    customer = session.get(Customer, values.get("customer_id"))
    if customer is None:
        return {"customer_id": "field.not_found"}
    if screening.open_case_of(session, customer.id):
        return {"customer_id": "kyc.case_already_open"}
    values.update(rules.opening(session))
    values["high_risk"] = values.get("aml_risk") == AmlRisk.HIGH
    return {}


def screen_new_case(session: Any, _principal: Principal, case: Any) -> None:
    customer = session.get(Customer, case.customer_id)
    if customer is not None:
        screening.screen_customer(session, customer, case_id=case.id)


def case_summary(
    session: Any, case: Any, lang: str, principal: Any = None
) -> list[tuple[str, str]]:
    """The case at a glance; its watch-list hits only for a caller who works the lists."""
    second = rules.needs_second(session, case)
    overdue = case.status in OPEN_CASE_STATES and case.due_at < utcnow()
    en = lang == "en"
    rows = [
        ("Second officer" if en else "双人复核", ("required" if en else "需要") if second
         else ("not required" if en else "不需要")),
        ("SLA" if en else "时效", ("overdue" if en else "已超时") if overdue
         else ("on time" if en else "正常")),
    ]  # fmt: skip
    if principal is None or principal.can(*screening.HITS_RIGHT):
        hits = session.exec(
            select(ScreeningHit.status).where(ScreeningHit.customer_id == case.customer_id)
        ).all()
        waiting = sum(1 for h in hits if h == HitStatus.OPEN)
        rows.insert(
            0,
            ("Watch-list hits", f"{len(hits)} ({waiting} open)")
            if en
            else ("名单命中", f"{len(hits)}（未处理 {waiting}）"),
        )
    return rows


OPEN_WORK = (S.IN_REVIEW, S.ESCALATED)
CASE_WORKFLOW = Workflow(
    state_field="status",
    states=tuple(S),
    initial=S.NEW,
    editable_in=(S.NEW, S.IN_REVIEW, S.WAITING_CUSTOMER, S.ESCALATED),
    awaiting_approval=(S.PENDING_SECOND,),
    returns_to=S.IN_REVIEW,
    # the officer's work on the case: the questionnaire's score, the watch-list decisions
    content_actions=("score", "hit_disposed"),
    transitions=(
        T(
            "request_info",
            OPEN_WORK,
            S.WAITING_CUSTOMER,
            "要求补充材料",
            "Request information",
            required_fields=("requested_items",),
            actor_guard=rules.only_assignee,
        ),
        T(
            "customer_replied",
            (S.WAITING_CUSTOMER,),
            S.IN_REVIEW,
            "客户已补充",
            "Customer replied",
            actor_guard=rules.only_assignee,
        ),
        T(
            "escalate",
            (S.IN_REVIEW,),
            S.ESCALATED,
            "升级",
            "Escalate",
            actor_guard=rules.only_assignee,
        ),
        T(
            "approve",
            OPEN_WORK,
            S.APPROVED,
            "审核通过",
            "Approve",
            action="approve",
            maker_checker_exempt=(
                "policy: a case with no high risk and no open watch-list hit is decided by its "
                "own officer; the others need propose, then a second officer's confirm"
            ),
            actor_guard=rules.approve_alone,
            effect=rules.on_approved,
        ),
        T(
            "propose",
            OPEN_WORK,
            S.PENDING_SECOND,
            "提交复核",
            "Submit for second approval",
            actor_guard=rules.propose,
        ),
        T(
            "confirm",
            (S.PENDING_SECOND,),
            S.APPROVED,
            "复核通过",
            "Second approval",
            action="approve",
            effect=rules.on_approved,
        ),
        T(
            "send_back",
            (S.PENDING_SECOND,),
            S.IN_REVIEW,
            "退回经办",
            "Send back",
            action="approve",
        ),
        T(
            "reject",
            OPEN_WORK,
            S.REJECTED,
            "拒绝",
            "Reject",
            action="approve",
            maker_checker_exempt=(
                "a refusal grants the customer nothing: the case's officer refuses alone, "
                "with a note"
            ),
            required_fields=("decision_note",),
            actor_guard=rules.only_assignee,
            effect=rules.on_rejected,
        ),
    ),
)

KYC_CASE = register(
    Resource(
        key="kyc_case",
        model=KycCase,
        permission="kyc_case",
        module="kyc",
        label_zh="KYC 案件",
        label_en="KYC cases",
        icon="file-search",
        fields=(
            F("case_no", "案件号", "Case no.", editable=False),
            F(
                "customer_id",
                "客户",
                "Customer",
                kind="ref",
                ref="customer",
                required=True,
                fixed=True,  # a case reviews one customer; another customer needs its own case
            ),
            F(
                "kind",
                "类型",
                "Kind",
                kind="choice",
                required=True,
                choices=tuple(KycCaseKind),
                choice_group="kyc_case_kind",
            ),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                required=True,
                choices=tuple(S),
                choice_group="kyc_case_status",
            ),
            F("assignee", "经办人", "Officer", editable=False, person=True),
            F(
                "aml_risk",
                "反洗钱风险等级",
                "AML risk",
                kind="choice",
                required=True,
                choices=tuple(AmlRisk),
                choice_group="aml_risk",
                help_zh="高风险案件须另一名合规专员复核",
                help_en="High-risk cases need a second officer",
            ),
            F(
                "questionnaire_score",
                "问卷得分",
                "Questionnaire score",
                kind="int",
                editable=False,  # scored from the answers with the questionnaire in use
            ),
            F(
                "risk_tolerance",
                "风险承受能力",
                "Risk tolerance",
                kind="choice",
                choices=RISK_TOLERANCES,
                editable=False,
            ),
            F(
                "questionnaire_id",
                "问卷版本",
                "Questionnaire version",
                kind="ref",
                ref="questionnaire",
                editable=False,
            ),
            F("opened_at", "开立时间", "Opened", kind="datetime", editable=False),
            F("due_at", "处理时限", "Due", kind="datetime", editable=False),
            F("escalated_at", "升级时间", "Escalated", kind="datetime", editable=False),
            F("decided_at", "决定时间", "Decided", kind="datetime", editable=False),
            F(
                "requested_items",
                "要求补充的材料",
                "Information requested",
                kind="longtext",
                max_length=2000,
            ),
            F("decision_note", "决定说明", "Decision note", kind="longtext", max_length=4000),
        ),
        list_columns=("case_no", "customer_id", "kind", "status", "aml_risk", "assignee", "due_at"),
        title_field="case_no",
        filters=("status", "kind", "aml_risk", "due_at", "opened_at"),
        search_fields=("case_no",),
        default_sort="due_at",
        workflow=CASE_WORKFLOW,
        queues=QUEUES,
        attachments=True,
        attachment_categories=(
            ("id_front", "身份证人像面", "ID card (photo side)"),
            ("id_back", "身份证国徽面", "ID card (back)"),
            ("proof", "证明材料", "Supporting document"),
        ),
        before_create=prepare_case,
        after_create=screen_new_case,
        summary=case_summary,
        importable=False,
        archivable=False,  # a case is decided, never removed
    )
)


def prepare_entry(_session: Any, _principal: Principal, values: dict[str, Any]) -> dict[str, str]:
    values["name_pinyin"] = screening.pinyin_of(values.get("name", ""))
    return {}


def _id_number(value: Any) -> str | None:
    """A resident ID (18 characters, check character) or another document's number."""
    text = str(value).strip().upper()
    if len(text) == 18 and text[:17].isdigit():
        return None if national_id.is_valid(text) else "field.not_an_id_number"
    if 5 <= len(text) <= 20 and text.isalnum() and text.isascii():
        return None
    return "field.not_an_id_number"


def _birth_date(value: Any) -> str | None:
    if not value:
        return None
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return "field.not_a_date"
    return None


WATCHLIST = register(
    Resource(
        key="watchlist_entry",
        model=WatchlistEntry,
        permission="watchlist",
        module="kyc",
        label_zh="名单",
        label_en="Watch lists",
        icon="list-x",
        fields=(
            F(
                "list_kind",
                "名单类型",
                "List",
                kind="choice",
                required=True,
                choices=tuple(WatchlistKind),
                choice_group="watchlist_kind",
            ),
            F("name", "姓名", "Name", required=True, max_length=200),
            F("name_pinyin", "拼音", "Pinyin", editable=False),
            F(
                "birth_date",
                "出生日期",
                "Date of birth",
                max_length=10,
                validator=_birth_date,
                help_zh="YYYY-MM-DD，可空",
                help_en="YYYY-MM-DD, optional",
            ),
            F(
                "id_number_hash",
                "证件号码",
                "ID number",
                max_length=30,
                validator=_id_number,
                one_way=screening.ID_PURPOSE,
                help_zh="只保存散列值，用于与客户证件号精确比对；不再显示",
                help_en="Only a keyed hash is kept, to match customers' ID numbers exactly; "
                "never shown again",
            ),
            F("source", "来源", "Source", max_length=200),
            F("reason", "列入原因", "Reason", kind="longtext", max_length=2000),
        ),
        list_columns=("list_kind", "name", "name_pinyin", "birth_date", "source"),
        title_field="name",
        filters=("list_kind",),
        search_fields=("name", "name_pinyin"),
        default_sort="name",
        before_create=prepare_entry,
    )
)
