"""KYC: customers (personal data masked), cases in work queues with maker ≠ checker decisions,
watch lists (importable) and screening hits."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from backoffice.domains.customers import national_id
from backoffice.domains.integrations import webhooks
from backoffice.domains.kyc import rules, screening
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Queue, Resource, register
from backoffice.engine.workflow import Transition as T
from backoffice.engine.workflow import Workflow
from backoffice.i18n import translate
from backoffice.platform import numerals
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
ASSESSMENT = ("kyc_assessment", "view")  # the AML risk and the decision note


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
    Queue("new", lambda p: KycCase.status == S.NEW),
    Queue(
        "mine",
        lambda p: sa.and_(KycCase.assignee == p.username, KycCase.status.in_(OPEN_CASE_STATES)),
    ),
    Queue("waiting", lambda p: KycCase.status == S.WAITING_CUSTOMER),
    Queue("escalated", lambda p: KycCase.status == S.ESCALATED),
    Queue("second", lambda p: KycCase.status == S.PENDING_SECOND),
    Queue("overdue", lambda p: sa.and_(_open(p), KycCase.due_at < utcnow())),
    Queue("hits", _open_hits),
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
    second_officer = (
        "summary.kyc_case.second_required" if second else "summary.kyc_case.second_not_required"
    )
    sla = "summary.kyc_case.overdue" if overdue else "summary.kyc_case.on_time"
    rows = [
        (translate("summary.kyc_case.second_officer", lang), translate(second_officer, lang)),
        (translate("summary.kyc_case.sla", lang), translate(sla, lang)),
    ]
    if principal is None or principal.can(*screening.HITS_RIGHT):
        hits = session.exec(
            select(ScreeningHit.status).where(ScreeningHit.customer_id == case.customer_id)
        ).all()
        waiting = sum(1 for h in hits if h == HitStatus.OPEN)
        rows.insert(
            0,
            (
                translate("summary.kyc_case.hits", lang),
                translate("summary.kyc_case.hits_open", lang, hits=len(hits), open=waiting),
            ),
        )
    return rows


OPEN_WORK = (S.IN_REVIEW, S.ESCALATED)
DECIDED = webhooks.after_transition("kyc_case.decided", rules.event_data)
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
            required_fields=("requested_items",),
            actor_guard=rules.only_assignee,
            after=webhooks.after_transition("kyc_case.needs_information", rules.event_data),
        ),
        T("customer_replied", (S.WAITING_CUSTOMER,), S.IN_REVIEW, actor_guard=rules.only_assignee),
        T("escalate", (S.IN_REVIEW,), S.ESCALATED, actor_guard=rules.only_assignee),
        T(
            "approve",
            OPEN_WORK,
            S.APPROVED,
            action="approve",
            maker_checker_exempt=(
                "policy: a case with no high risk and no open watch-list hit is decided by its "
                "own officer; the others need propose, then a second officer's confirm"
            ),
            actor_guard=rules.approve_alone,
            effect=rules.on_approved,
            after=DECIDED,
        ),
        T("propose", OPEN_WORK, S.PENDING_SECOND, actor_guard=rules.propose),
        T(
            "confirm",
            (S.PENDING_SECOND,),
            S.APPROVED,
            action="approve",
            effect=rules.on_approved,
            after=DECIDED,
        ),
        T("send_back", (S.PENDING_SECOND,), S.IN_REVIEW, action="approve"),
        T(
            "reject",
            OPEN_WORK,
            S.REJECTED,
            action="approve",
            maker_checker_exempt=(
                "a refusal grants the customer nothing: the case's officer refuses alone, "
                "with a note"
            ),
            required_fields=("decision_note",),
            actor_guard=rules.only_assignee,
            effect=rules.on_rejected,
            after=DECIDED,
        ),
    ),
)

KYC_CASE = register(
    Resource(
        key="kyc_case",
        model=KycCase,
        permission="kyc_case",
        module="kyc",
        icon="file-search",
        fields=(
            F("case_no", editable=False),
            F(
                "customer_id",
                kind="ref",
                ref="customer",
                required=True,
                fixed=True,  # a case reviews one customer; another customer needs its own case
            ),
            F(
                "kind",
                kind="choice",
                required=True,
                choices=tuple(KycCaseKind),
                choice_group="kyc_case_kind",
            ),
            F(
                "status",
                kind="choice",
                required=True,
                choices=tuple(S),
                choice_group="kyc_case_status",
            ),
            F("assignee", editable=False, person=True),
            F(
                "aml_risk",
                kind="choice",
                required=True,
                choices=tuple(AmlRisk),
                choice_group="aml_risk",
                help=True,
                read_permission=ASSESSMENT,
            ),
            F(
                "questionnaire_score",
                kind="int",
                editable=False,  # scored from the answers with the questionnaire in use
            ),
            F("risk_tolerance", kind="choice", choices=RISK_TOLERANCES, editable=False),
            F("questionnaire_id", kind="ref", ref="questionnaire", editable=False),
            F("opened_at", kind="datetime", editable=False),
            F("due_at", kind="datetime", editable=False),
            F("escalated_at", kind="datetime", editable=False),
            F("decided_at", kind="datetime", editable=False),
            F("requested_items", kind="longtext", max_length=2000),
            F("decision_note", kind="longtext", max_length=4000, read_permission=ASSESSMENT),
        ),
        list_columns=("case_no", "customer_id", "kind", "status", "aml_risk", "assignee", "due_at"),
        title_field="case_no",
        filters=("status", "kind", "aml_risk", "due_at", "opened_at"),
        search_fields=("case_no",),
        default_sort="due_at",
        workflow=CASE_WORKFLOW,
        queues=QUEUES,
        attachments=True,
        attachment_categories=("id_front", "id_back", "proof"),
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
    if len(text) == 18 and numerals.is_digits(text[:17], 17):
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
        icon="list-x",
        fields=(
            F(
                "list_kind",
                kind="choice",
                required=True,
                choices=tuple(WatchlistKind),
                choice_group="watchlist_kind",
            ),
            F("name", required=True, max_length=200),
            F("name_pinyin", editable=False),
            F("birth_date", max_length=10, validator=_birth_date, help=True),
            F(
                "id_number_hash",
                max_length=30,
                validator=_id_number,
                one_way=screening.ID_PURPOSE,
                help=True,
            ),
            F("source", max_length=200),
            F("reason", kind="longtext", max_length=2000),
        ),
        list_columns=("list_kind", "name", "name_pinyin", "birth_date", "source"),
        title_field="name",
        filters=("list_kind",),
        search_fields=("name", "name_pinyin"),
        default_sort="name",
        before_create=prepare_entry,
    )
)
