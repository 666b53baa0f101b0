"""A customer's own risk assessment, answered on the customer platform: scored with the
questionnaire version in use, the customer's risk tolerance set from it, and the same scoring
kept on the customer's open KYC case (so the officer decides on it, as on one they scored)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session, select

from backoffice.domains.questionnaire import rules
from backoffice.engine.fields import is_id
from backoffice.platform.versioned import write_versioned
from backoffice.security.rbac import Principal
from models.customers import Customer
from models.kyc import KycCase
from models.questionnaire import RiskQuestionnaire


@dataclass(frozen=True)
class Assessment:
    score: int
    tolerance: str
    questionnaire: RiskQuestionnaire
    case_id: int | None  # the open case the scoring was kept on, if any


def in_use(
    session: Session, principal: Principal
) -> tuple[RiskQuestionnaire, list[rules.Question]]:
    """The version new assessments are scored with, and its questions."""
    if not principal.can("questionnaire", "view"):
        raise rules.QuestionnaireError("auth.denied")
    current = rules.active(session)
    if current is None:
        raise rules.QuestionnaireError("questionnaire.none_active")
    return current, rules.questions_of(session, current.id)


def assess(
    session: Session,
    principal: Principal,
    customer_id: int,
    chosen: dict[int, int],
    client: str = "",
) -> Assessment:
    """Score ``chosen`` (question id → index of the answer) for the customer; every question
    of the version in use answered, and no other."""
    if not principal.can("customer", "edit"):
        raise rules.QuestionnaireError("auth.denied")
    current, questions = in_use(session, principal)
    customer = (
        session.exec(select(Customer).where(Customer.id == customer_id).with_for_update()).first()
        if is_id(customer_id)
        else None
    )
    if customer is None or customer.archived_at is not None:
        raise rules.QuestionnaireError("error.not_found")
    if set(chosen) - {q.id for q in questions}:
        raise rules.QuestionnaireError("questionnaire.not_in_version", number=current.number)
    total = rules.score(questions, chosen)
    tolerance = rules.band(current, total)
    answers = json.dumps(
        {str(q.id): chosen[q.id] for q in questions}, sort_keys=True, separators=(",", ":")
    )
    write_versioned(
        session,
        Customer,
        customer,
        customer.version,
        {"risk_tolerance": tolerance},
        actor=principal.username,
        action="customer.risk_assessed",
        entity="customer",
        changes={
            "risk_tolerance": [customer.risk_tolerance, tolerance],
            "questionnaire_score": [None, total],
            "questionnaire_number": [None, current.number],
            "answers": [None, answers],
        },
        client=client,
        refuse=rules.QuestionnaireError,
    )
    case = session.exec(
        select(KycCase)
        .where(KycCase.customer_id == customer.id, KycCase.status.in_(rules.SCORABLE))
        .order_by(KycCase.id.desc())
        .with_for_update()
    ).first()
    if case is not None:
        rules.keep_score(session, principal, case, current, answers, total, tolerance, client)
    return Assessment(total, tolerance, current, case.id if case is not None else None)
