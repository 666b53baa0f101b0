"""KYC case work: claiming and handing over cases, decisions with a second officer where the
risk requires it, SLA escalation, periodic re-KYC, personal data revealed for a reason, and the
evidence pack for regulators."""

from __future__ import annotations

import csv
import io
import json
import secrets
import zipfile
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import object_session
from sqlmodel import Session, select

from backoffice.db import write_batches
from backoffice.domains.audit import anchor as audit_anchor
from backoffice.domains.kyc import screening
from backoffice.domains.questionnaire import rules as questionnaire
from backoffice.engine import service as engine
from backoffice.engine.fields import is_id, storable_text
from backoffice.i18n import choice_label
from backoffice.platform import attachments, audit, exports, notifications, pdf
from backoffice.platform.business_time import local_today, shown_time
from backoffice.platform.jobs import Outcome
from backoffice.platform.refusal import Refusal
from backoffice.platform.versioned import display_names, write_versioned
from backoffice.security import fields
from backoffice.security.rbac import Principal
from models.audit import AuditEntry
from models.base import utcnow
from models.customers import Customer, KycStatus
from models.identity import Role, User, UserRole
from models.kyc import (
    OPEN_CASE_STATES,
    AmlRisk,
    HitStatus,
    KycCase,
    KycCaseKind,
    KycCaseStatus,
    ScreeningHit,
)

S = KycCaseStatus
SLA = timedelta(days=3)  # from opening to decision
REVIEW_YEARS = {AmlRisk.HIGH: 1, AmlRisk.MEDIUM: 2, AmlRisk.LOW: 3}
RETENTION_YEARS = 5
REVEALABLE = {
    "name": "name_cipher",
    "id_number": "id_number_cipher",
    "phone": "phone_cipher",
    "address": "address_cipher",
}


class KycError(Refusal, ValueError):
    """A refusal of this domain (see backoffice.platform.refusal)."""


# --- who works the case ---------------------------------------------------------------------
def case_by_id(session: Session, case_id: int) -> KycCase | None:
    return session.get(KycCase, case_id)


def customer_by_id(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def case_and_customer(session: Session, case_id: int) -> tuple[KycCase | None, Customer | None]:
    """A case and the customer it is about (both None if there is no such case)."""
    case = session.get(KycCase, case_id)
    return case, session.get(Customer, case.customer_id) if case else None


def dispose_hit(
    session: Session,
    principal: Principal,
    *,
    customer_id: int,
    hit_id: int | None,
    status: str,
    reason: str,
    client: str = "",
) -> str | None:
    """An officer's decision on one of this customer's watch-list hits; returns an i18n
    refusal (and leaves nothing written) or None."""
    hit = session.get(ScreeningHit, hit_id) if hit_id is not None else None
    if hit is None or hit.customer_id != customer_id:
        return "error.not_found"
    problem = screening.dispose(
        session,
        hit_id=hit.id,
        status=status,
        reason=reason,
        actor=principal.username,
        client=client,
    )
    if problem:
        session.rollback()
    return problem


def officers(session: Session) -> list[str]:
    """Active users holding the compliance role (the people a case can be handed to)."""
    return list(
        session.exec(
            select(User.username)
            .join(UserRole, UserRole.user_id == User.id)
            .join(Role, Role.id == UserRole.role_id)
            .where(Role.code == "compliance", User.is_active.is_(True))
            .order_by(User.username)
        ).all()
    )


def _assign(
    session: Session, case: KycCase, principal: Principal, assignee: str, verb: str, client: str
) -> None:
    values: dict[str, Any] = {"assignee": assignee}
    if case.status == S.NEW and assignee:
        values["status"] = S.IN_REVIEW
    write_versioned(
        session,
        KycCase,
        case,
        case.version,
        values,
        actor=principal.username,
        action=f"kyc_case.{verb}",
        entity="kyc_case",
        client=client,
        refuse=KycError,
    )


def claim(session: Session, principal: Principal, case: KycCase, client: str = "") -> None:
    if case.status not in OPEN_CASE_STATES:
        raise KycError("kyc.case_closed")
    if case.assignee and case.assignee != principal.username:
        raise KycError("kyc.claimed_by_other")
    _assign(session, case, principal, principal.username, "claim", client)


def release(session: Session, principal: Principal, case: KycCase, client: str = "") -> None:
    if case.assignee != principal.username:
        raise KycError("kyc.not_yours")
    _assign(session, case, principal, "", "release", client)


def reassign(
    session: Session, principal: Principal, case: KycCase, to: str, client: str = ""
) -> None:
    """Hand a case to another officer (the assignee or an officer with approval rights)."""
    if case.status not in OPEN_CASE_STATES:
        raise KycError("kyc.case_closed")
    if to not in officers(session):
        raise KycError("kyc.not_an_officer")
    if case.assignee not in ("", principal.username) and not principal.can("kyc_case", "approve"):
        raise KycError("kyc.not_yours")
    _assign(session, case, principal, to, "reassign", client)


# --- decisions (workflow guards and effects) ------------------------------------------------
def needs_second(session: Session, case: KycCase) -> bool:
    """High risk, or a watch-list hit that is not cleared as a false positive."""
    if case.aml_risk == AmlRisk.HIGH:
        return True
    unresolved = session.exec(
        select(ScreeningHit.id).where(
            ScreeningHit.customer_id == case.customer_id,
            ScreeningHit.status != HitStatus.FALSE_POSITIVE,
        )
    ).first()
    return unresolved is not None


def only_assignee(_session: Session, principal: Principal, case: KycCase) -> str | None:
    return None if case.assignee == principal.username else "kyc.not_yours"


def _scored(case: KycCase) -> str | None:
    """A decision stands on a scored questionnaire (it gives the customer's risk tolerance)."""
    return None if case.questionnaire_id and case.risk_tolerance else "kyc.not_scored"


def approve_alone(session: Session, principal: Principal, case: KycCase) -> str | None:
    return (
        only_assignee(session, principal, case)
        or _scored(case)
        or ("kyc.needs_second" if needs_second(session, case) else None)
    )


def propose(session: Session, principal: Principal, case: KycCase) -> str | None:
    return (
        only_assignee(session, principal, case)
        or _scored(case)
        or (None if needs_second(session, case) else "kyc.no_second_needed")
    )


def _decide(case: KycCase, approved: bool) -> None:
    session = object_session(case)
    assert session is not None
    today = local_today()
    case.decided_at = utcnow()
    customer = session.get(Customer, case.customer_id)
    if customer is None:
        return
    customer.kyc_status = KycStatus.APPROVED if approved else KycStatus.REJECTED
    if approved:
        customer.risk_tolerance = case.risk_tolerance or customer.risk_tolerance
        years = REVIEW_YEARS.get(AmlRisk(case.aml_risk), 3)
        customer.kyc_review_due = _add_years(today, years)
    customer.version += 1
    session.add(customer)


def event_data(case: KycCase) -> dict[str, Any]:
    """What a webhook tells of a case: no identity, no notes (the platform asks the API)."""
    return {
        "case_id": case.id,
        "case_no": case.case_no,
        "customer_id": case.customer_id,
        "status": case.status,
    }


def on_approved(case: KycCase) -> None:
    _decide(case, True)


def on_rejected(case: KycCase) -> None:
    _decide(case, False)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def retention_date(ended_on: date) -> date:
    return _add_years(ended_on, RETENTION_YEARS)


# --- scheduled work -------------------------------------------------------------------------
def escalate_overdue(session: Session, batch: int = 100) -> str:
    """Open cases past their due time are escalated once, and compliance is told. In batches,
    each committed: write locks stay short and a stopped run keeps its progress."""
    now = utcnow()
    escalated = 0
    with write_batches(session) as batches:
        while True:
            overdue = session.exec(
                select(KycCase)
                .where(
                    KycCase.due_at < now,
                    KycCase.escalated_at.is_(None),
                    KycCase.status.in_((S.NEW, S.IN_REVIEW, S.WAITING_CUSTOMER)),
                )
                .order_by(KycCase.id)
                .limit(batch)
            ).all()
            for case in overdue:
                before = case.status
                case.status, case.escalated_at = S.ESCALATED, now
                case.version += 1
                session.add(case)
                audit.record(
                    session,
                    actor="system",
                    action="kyc_case.sla_breach",
                    entity="kyc_case",
                    entity_id=case.id,
                    changes={"status": [before, S.ESCALATED]},
                )
                notifications.notify(
                    session,
                    kind="kyc_overdue",
                    dedupe_key=f"kyc.overdue.{case.id}",
                    severity="warning",
                    role="compliance",
                    title_zh=f"KYC 案件 {case.case_no} 已超时，已升级",
                    title_en=f"KYC case {case.case_no} is overdue and was escalated",
                    link=f"/r/kyc_case/record?id={case.id}",
                )
                batches.done_one()
            escalated += len(overdue)
            batches.commit()
            if len(overdue) < batch:
                return Outcome("job.result.kyc.escalated", escalated=escalated)


def open_periodic_reviews(session: Session, today: date | None = None, batch: int = 200) -> str:
    """Customers whose periodic review is due get a new case (one at a time). In batches of
    customers, each committed."""
    today = today or local_today()
    opened, last_id = 0, 0
    with write_batches(session) as batches:
        while True:
            due = session.exec(
                select(Customer)
                .where(
                    Customer.id > last_id,
                    Customer.kyc_review_due.is_not(None),
                    Customer.kyc_review_due <= today,
                    Customer.archived_at.is_(None),
                )
                .order_by(Customer.id)
                .limit(batch)
            ).all()
            for customer in due:
                if screening.open_case_of(session, customer.id):
                    continue
                case = new_case(session, customer, kind=KycCaseKind.PERIODIC)
                audit.record(
                    session,
                    actor="system",
                    action="kyc_case.create",
                    entity="kyc_case",
                    entity_id=case.id,
                    changes={"kind": [None, "periodic"], "customer_id": [None, str(customer.id)]},
                )
                opened += 1
                batches.done_one()
            batches.commit()
            if len(due) < batch:
                return Outcome("job.result.kyc.periodic", opened=opened)
            last_id = due[-1].id


def opening(session: Session) -> dict[str, Any]:
    """The number and times of a case opened now (by a job or by hand)."""
    now = utcnow()
    last = session.execute(sa.select(sa.func.max(KycCase.id))).scalar() or 0
    return {"case_no": f"K{last + 1:09d}", "opened_at": now, "due_at": now + SLA}


def new_case(session: Session, customer: Customer, *, kind: str) -> KycCase:
    previous = session.exec(
        select(KycCase)
        .where(KycCase.customer_id == customer.id, KycCase.status == S.APPROVED)
        .order_by(KycCase.id.desc())
    ).first()
    case = KycCase(
        **{
            **opening(session),
            # numbered from its id once inserted, so that cases opened at one instant (two
            # sign-ups) never draw the same number as they would from the largest id
            "case_no": f"T{secrets.token_hex(9)}",
        },
        customer_id=customer.id,
        kind=kind,
        status=S.NEW,
        aml_risk=previous.aml_risk if previous else AmlRisk.LOW,
        high_risk=previous.high_risk if previous else False,
        risk_tolerance=previous.risk_tolerance if previous else None,
    )
    session.add(case)
    session.flush()
    case.case_no = f"K{case.id:09d}"
    session.flush()
    screening.screen_customer(session, customer, case_id=case.id)
    return case


# --- personal data --------------------------------------------------------------------------
def reveal(
    session: Session,
    *,
    principal: Principal,
    customer_id: int,
    field: str,
    reason: str,
    client: str = "",
    case_id: int | None = None,
) -> str:
    """The clear value of one personal-data field, for a stated reason; audited. The caller
    must hold customer.reveal (and the state's guard asks for a fresh TOTP)."""
    if not principal.can("customer", "reveal"):
        raise KycError("auth.denied")
    if not isinstance(field, str) or field not in REVEALABLE:
        raise KycError("kyc.not_revealable")
    reason = " ".join(reason.split()) if isinstance(reason, str) else ""
    if len(reason) < 4 or not storable_text(reason):
        raise KycError("kyc.reveal_reason")
    customer = session.get(Customer, customer_id) if is_id(customer_id) else None
    if customer is None:
        raise KycError("error.not_found")
    cipher = getattr(customer, REVEALABLE[field])
    value = fields.decrypt(cipher) if cipher else ""
    audit.record(  # on the case when revealed while working one: its trail shows why
        session,
        actor=principal.username,
        action="kyc_case.reveal" if case_id else "customer.reveal",
        entity="kyc_case" if case_id else "customer",
        entity_id=case_id or customer.id,
        changes={
            "customer": [None, customer.customer_no],
            field: ["***", "revealed"],
            "reason": [None, reason[:500]],
        },
        client=client,
    )
    return value


def masked_identity(customer: Customer) -> dict[str, str]:
    """What any officer sees by default: every personal-data field masked."""
    id_number = fields.decrypt(customer.id_number_cipher) if customer.id_number_cipher else ""
    phone = fields.decrypt(customer.phone_cipher) if customer.phone_cipher else ""
    address = fields.decrypt(customer.address_cipher) if customer.address_cipher else ""
    return {
        "name": customer.name_masked,
        "id_number": fields.mask(id_number, 3, 4) if id_number else "—",
        "phone": fields.mask(phone, 3, 4) if phone else "—",
        "address": (address[:6] + "****") if address else "—",
    }


# --- evidence pack --------------------------------------------------------------------------
IDENTITY_LABELS = {
    "name": "姓名 Name",
    "id_number": "证件号码 ID number",
    "phone": "手机 Phone",
    "address": "地址 Address",
}


def evidence_pack(
    session: Session, *, principal: Principal, case: KycCase, client: str = ""
) -> tuple[str, bytes]:
    """One ZIP for a regulator: the case as the officer saw it (personal data masked), its
    documents, screening hits and decisions, and the audit trail (CSV with each entry's previous
    hash and hash). ``manifest.json`` holds every file's SHA-256 and the signed checkpoint
    covering the trail, signed as a whole (``python -m backoffice verify-pack``)."""
    if not principal.can("kyc_case", "export"):
        raise KycError("auth.denied")
    customer = session.get(Customer, case.customer_id)
    identity = masked_identity(customer) if customer else {}
    hits = screening.hits_of(session, case.customer_id)
    trail = session.exec(
        select(AuditEntry)
        .where(
            sa.or_(
                sa.and_(AuditEntry.entity == "kyc_case", AuditEntry.entity_id == str(case.id)),
                sa.and_(
                    AuditEntry.entity == "customer", AuditEntry.entity_id == str(case.customer_id)
                ),
            )
        )
        .order_by(AuditEntry.id)
    ).all()

    def when(value: datetime | None) -> str:
        return shown_time(value)

    def both(group: str, value: str | None) -> str:
        """A choice in both languages, as the document is bilingual."""
        if not value:
            return "—"
        zh, en = (choice_label(group, value, lang) for lang in ("zh", "en"))
        return zh if zh == en else f"{zh} {en}"

    people = display_names(
        session,
        {principal.username, case.assignee, *(hit.decided_by for hit, _entry in hits)},
        "zh",
    )
    score = case.questionnaire_score if case.questionnaire_score is not None else "—"
    described = engine.describe_trail(session, principal=principal, entries=list(trail), lang="zh")
    lines = [
        pdf.Line(f"KYC 案件证据包 Evidence pack — {case.case_no}", 16),
        pdf.Line(f"生成 Generated: {when(utcnow())} · {people.get(principal.username, '')}", 9),
        pdf.Line(""),
        pdf.Line("案件 Case", 13),
        pdf.Line(
            f"类型 Kind: {both('kyc_case_kind', case.kind)}    "
            f"状态 Status: {both('kyc_case_status', case.status)}"
        ),
        pdf.Line(
            f"经办 Officer: {people.get(case.assignee, '—') if case.assignee else '—'}    "
            f"AML 风险 Risk: {both('aml_risk', case.aml_risk)}"
        ),
        pdf.Line(
            f"问卷得分 Score: {score}    风险承受能力 Tolerance: {case.risk_tolerance or '—'}"
        ),
        pdf.Line(
            f"开立 Opened: {when(case.opened_at)}    到期 Due: {when(case.due_at)}    "
            f"决定 Decided: {when(case.decided_at)}"
        ),
        *(
            pdf.Line(f"  {row['question']}: {row['answer']} ({row['points']})", 9)
            for row in questionnaire.scored_answers(session, case, "zh")
        ),
        pdf.Line(f"补充材料 Requested: {case.requested_items or '—'}"),
        pdf.Line(f"决定说明 Decision note: {case.decision_note or '—'}"),
        pdf.Line(""),
        pdf.Line("客户（已脱敏） Customer (masked)", 13),
        *(pdf.Line(f"{IDENTITY_LABELS.get(k, k)}: {v}") for k, v in identity.items()),
        pdf.Line(""),
        pdf.Line("名单筛查 Screening", 13),
        *(
            pdf.Line(
                f"#{hit.id} {both('watchlist_kind', entry.list_kind)} {entry.name} "
                f"相似度 score {hit.score} → {both('hit_status', hit.status)} "
                f"{people.get(hit.decided_by, '') if hit.decided_by else ''} "
                f"{when(hit.decided_at) if hit.decided_at else ''} {hit.reason}"
            )
            for hit, entry in hits
        ),
        pdf.Line("" if hits else "无命中 No hits"),
        pdf.Line("审计记录 Audit trail", 13),
        *(
            pdf.Line(
                f"{row['at']} {row['actor']} {row['action']} "
                f"{row['changes'].replace(chr(10), '；')[:160]}",
                9,
            )
            for row in described
        ),
    ]
    files: dict[str, bytes] = {"case.pdf": pdf.render(lines, title=f"Evidence {case.case_no}")}
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(audit_anchor.AUDIT_COLUMNS)
    for e in trail:
        writer.writerow(audit_anchor.audit_row(e))
    files["audit.csv"] = ("\ufeff" + table.getvalue()).encode()
    files["screening.json"] = json.dumps(
        [
            {
                "hit": hit.id,
                "list": entry.list_kind,
                "entry": entry.name,
                "score": hit.score,
                "matched_on": hit.matched_on,
                "status": hit.status,
                "reason": hit.reason,
                "decided_by": hit.decided_by,
            }
            for hit, entry in hits
        ],
        ensure_ascii=False,
        indent=1,
    ).encode()
    from backoffice.engine.resource import get as get_resource

    resource = get_resource("kyc_case")
    if resource is not None:
        for item in attachments.listing(
            session, principal=principal, resource=resource, record_id=case.id
        ):
            content = attachments.read(
                session,
                principal=principal,
                resource=resource,
                attachment_id=item.id,
                purpose="",
            )
            files[f"documents/{item.id}-{content.filename}"] = content.data
    # the signed checkpoint covering the trail (one is written now if none covers it yet)
    try:
        audit_anchor.check_rows(trail)
        checkpoint = audit_anchor.pack_checkpoint(session, trail[-1].id if trail else 0)
    except (audit_anchor.ChainBroken, audit_anchor.CheckpointError) as error:
        raise KycError("kyc.pack_chain_broken") from error
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        for name, data in files.items():
            pack.writestr(name, data)
        pack.writestr(
            audit_anchor.MANIFEST,
            audit_anchor.sign_manifest(files, checkpoint, f"evidence pack {case.case_no}"),
        )
    exports.audit_export(
        session,
        principal=principal,
        what="kyc_case.evidence_pack",
        entity="kyc_case",
        entity_id=case.id,  # type: ignore[arg-type]
        rows=None,
        client=client,
        details={"evidence_pack": f"{len(trail)} audit entries, {len(hits)} hits"},
    )
    return f"evidence-{case.case_no}.zip", buffer.getvalue()
