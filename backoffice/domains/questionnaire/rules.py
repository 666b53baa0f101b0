"""The risk questionnaire (风险测评问卷): versions configured by compliance, scoring of a KYC
case with the active version, and the score bands that give the risk tolerance C1…C5 which the
suitability rule then applies.

A version is edited only as a draft; another officer approves it, which retires the version in
use. A case keeps the version and the answers it was scored with, so a later version never
changes an earlier assessment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import object_session
from sqlmodel import Session, select

from backoffice.engine.fields import is_id
from backoffice.platform import audit, numerals
from backoffice.platform.refusal import Refusal
from backoffice.platform.versioned import write_versioned
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.customers import RISK_TOLERANCES
from models.kyc import KycCase, KycCaseStatus
from models.questionnaire import QuestionnaireStatus, RiskQuestion, RiskQuestionnaire

Q = QuestionnaireStatus
MAX_POINTS = 100
SCORABLE = (KycCaseStatus.NEW, KycCaseStatus.IN_REVIEW, KycCaseStatus.ESCALATED)


def version_by_id(session: Session, questionnaire_id: int) -> RiskQuestionnaire | None:
    return session.get(RiskQuestionnaire, questionnaire_id)


class QuestionnaireError(Refusal, ValueError):
    """A refusal of this domain (see backoffice.platform.refusal)."""


def version_of(session: Session, questionnaire_id: int) -> RiskQuestionnaire | None:
    return session.get(RiskQuestionnaire, questionnaire_id) if is_id(questionnaire_id) else None


@dataclass(frozen=True)
class Answer:
    points: int
    text_zh: str
    text_en: str

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text_zh


@dataclass(frozen=True)
class Question:
    id: int
    position: int
    text_zh: str
    text_en: str
    weight: int
    answers: tuple[Answer, ...]

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text_zh


# --- the answers of a question, one per line: "points | 中文 | English" -----------------------
def parse_answers(text: str) -> tuple[Answer, ...]:
    answers = []
    for line in str(text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        size = numerals.whole(parts[0].removeprefix("-"))
        if len(parts) not in (2, 3) or size is None or not parts[1]:
            raise QuestionnaireError("questionnaire.answer_line")
        points = -size if parts[0].startswith("-") else size
        if not 0 <= points <= MAX_POINTS:
            raise QuestionnaireError("questionnaire.answer_points")
        answers.append(
            Answer(points, parts[1], parts[2] if len(parts) == 3 and parts[2] else parts[1])
        )
    if len(answers) < 2:
        raise QuestionnaireError("questionnaire.two_answers")
    return tuple(answers)


def answers_problem(text: Any) -> str | None:
    """A field validator: the i18n key of what is wrong with the answers, or None."""
    try:
        parse_answers(str(text))
    except QuestionnaireError as error:
        return error.key
    return None


def bands_problem(values: dict[str, Any]) -> dict[str, str]:
    """The bands rise strictly: 0 < C2 < C3 < C4 < C5 (C1 is everything below C2)."""
    previous = 0
    for name in ("c2_from", "c3_from", "c4_from", "c5_from"):
        value = values.get(name)
        if value is None:
            continue
        if value <= previous:
            return {name: "questionnaire.bands_rise"}
        previous = value
    return {}


def questions_of(session: Session, questionnaire_id: int) -> list[Question]:
    rows = session.exec(
        select(RiskQuestion)
        .where(
            RiskQuestion.questionnaire_id == questionnaire_id, RiskQuestion.archived_at.is_(None)
        )
        .order_by(RiskQuestion.position, RiskQuestion.id)
    ).all()
    return [
        Question(r.id, r.position, r.text_zh, r.text_en, r.weight, parse_answers(r.answers))
        for r in rows
    ]


def max_score(questions: list[Question]) -> int:
    return sum(q.weight * max(a.points for a in q.answers) for q in questions)


def band(questionnaire: RiskQuestionnaire, total: int) -> str:
    """The risk tolerance a total falls in."""
    bounds = (
        questionnaire.c2_from,
        questionnaire.c3_from,
        questionnaire.c4_from,
        questionnaire.c5_from,
    )
    return RISK_TOLERANCES[sum(1 for bound in bounds if total >= bound)]


def bands_text(questionnaire: RiskQuestionnaire) -> list[tuple[str, str]]:
    """[("C1", "0–19"), …, ("C5", "≥ 80")] for the page."""
    bounds = [
        0,
        questionnaire.c2_from,
        questionnaire.c3_from,
        questionnaire.c4_from,
        questionnaire.c5_from,
    ]
    rows = []
    for index, tolerance in enumerate(RISK_TOLERANCES):
        low = bounds[index]
        rows.append((tolerance, f"≥ {low}" if index == 4 else f"{low}–{bounds[index + 1] - 1}"))
    return rows


def score(questions: list[Question], chosen: dict[int, int]) -> int:
    """Σ weight × points of the chosen answer; every question must be answered."""
    total = 0
    for question in questions:
        index = chosen.get(question.id)
        if index is None or not 0 <= index < len(question.answers):
            raise QuestionnaireError("questionnaire.unanswered")
        total += question.weight * question.answers[index].points
    return total


def active(session: Session) -> RiskQuestionnaire | None:
    return session.exec(
        select(RiskQuestionnaire).where(RiskQuestionnaire.status == Q.ACTIVE)
    ).first()


# --- the version's life: draft → pending → active → retired --------------------------------
def question_guard(question: RiskQuestion, changes: dict[str, Any]) -> dict[str, str]:
    session = object_session(question)
    parent = session.get(RiskQuestionnaire, question.questionnaire_id) if session else None
    if parent is None or parent.status != Q.DRAFT:
        return {next(iter(changes), "text_zh"): "questionnaire.not_draft"}
    return {}


def check_new_question(
    session: Session, _principal: Principal, values: dict[str, Any]
) -> dict[str, str]:
    parent = session.get(RiskQuestionnaire, values.get("questionnaire_id"))
    if parent is None or parent.status != Q.DRAFT:
        return {"questionnaire_id": "questionnaire.not_draft"}
    return {}


def ready_to_submit(session: Session, questionnaire: RiskQuestionnaire) -> str | None:
    """A version goes for approval with questions, and bands every score range can reach."""
    try:
        questions = questions_of(session, questionnaire.id)
    except QuestionnaireError:
        return "questionnaire.answer_line"
    if not questions:
        return "questionnaire.no_questions"
    if (
        not 0
        < questionnaire.c2_from
        < questionnaire.c3_from
        < questionnaire.c4_from
        < questionnaire.c5_from
    ):
        return "questionnaire.bands_rise"
    if questionnaire.c5_from > max_score(questions):
        return "questionnaire.band_unreachable"
    return None


def on_activated(questionnaire: RiskQuestionnaire) -> dict[str, Any]:
    """The approved version replaces the one in use (one active version at a time)."""
    session = object_session(questionnaire)
    assert session is not None
    now = utcnow()
    session.execute(
        sa.update(RiskQuestionnaire)
        .where(RiskQuestionnaire.status == Q.ACTIVE, RiskQuestionnaire.id != questionnaire.id)
        .values(status=Q.RETIRED, retired_at=now, version=RiskQuestionnaire.version + 1)
    )
    return {"activated_at": now}


def _next_number(session: Session) -> int:
    return (session.execute(sa.select(sa.func.max(RiskQuestionnaire.number))).scalar() or 0) + 1


def _draft_exists(session: Session) -> bool:
    draft = select(RiskQuestionnaire.id).where(RiskQuestionnaire.status == Q.DRAFT)
    return session.exec(draft).first() is not None


def prepare_version(
    session: Session, _principal: Principal, values: dict[str, Any]
) -> dict[str, str]:
    """A version made from the form: numbered next; one draft at a time."""
    if _draft_exists(session):
        return {"title_zh": "questionnaire.draft_exists"}
    values["number"] = _next_number(session)
    return {}


def new_draft(
    session: Session, principal: Principal, source: RiskQuestionnaire, client: str = ""
) -> RiskQuestionnaire:
    """The next version as a draft, starting from a copy of ``source``."""
    if not principal.can("questionnaire", "create"):
        raise QuestionnaireError("auth.denied")
    if _draft_exists(session):
        raise QuestionnaireError("questionnaire.draft_exists")
    number = _next_number(session)
    draft = RiskQuestionnaire(
        number=number,
        title_zh=source.title_zh,
        title_en=source.title_en,
        c2_from=source.c2_from,
        c3_from=source.c3_from,
        c4_from=source.c4_from,
        c5_from=source.c5_from,
        change_note="",
    )
    session.add(draft)
    session.flush()
    for row in session.exec(
        select(RiskQuestion).where(
            RiskQuestion.questionnaire_id == source.id, RiskQuestion.archived_at.is_(None)
        )
    ).all():
        session.add(
            RiskQuestion(
                questionnaire_id=draft.id,
                position=row.position,
                text_zh=row.text_zh,
                text_en=row.text_en,
                weight=row.weight,
                answers=row.answers,
            )
        )
    session.flush()
    audit.record(
        session,
        actor=principal.username,
        action="questionnaire.new_version",
        entity="questionnaire",
        entity_id=draft.id,
        changes={"number": [source.number, number]},
        client=client,
    )
    return draft


# --- scoring a case -------------------------------------------------------------------------
def score_case(
    session: Session,
    principal: Principal,
    case: KycCase,
    chosen: dict[int, int],
    client: str = "",
) -> tuple[int, str]:
    """Score the case with the active version: (total, tolerance), kept on the case."""
    if not principal.can("kyc_case", "edit"):
        raise QuestionnaireError("auth.denied")
    if case.status not in SCORABLE:
        raise QuestionnaireError("workflow.not_editable")
    if case.assignee != principal.username:
        raise QuestionnaireError("kyc.not_yours")
    current = active(session)
    if current is None:
        raise QuestionnaireError("questionnaire.none_active")
    questions = questions_of(session, current.id)
    total = score(questions, chosen)
    tolerance = band(current, total)
    answers = json.dumps(
        {str(q.id): chosen[q.id] for q in questions}, sort_keys=True, separators=(",", ":")
    )
    keep_score(session, principal, case, current, answers, total, tolerance, client)
    return total, tolerance


def keep_score(
    session: Session,
    principal: Principal,
    case: KycCase,
    current: RiskQuestionnaire,
    answers: str,
    total: int,
    tolerance: str,
    client: str = "",
) -> None:
    """The case's score, tolerance and answers under the version used, audited (the one write
    of a scoring, by an officer on the case or by the customer platform's assessment)."""
    before = (case.questionnaire_score, case.risk_tolerance, case.questionnaire_id)
    write_versioned(
        session,
        KycCase,
        case,
        case.version,
        {
            "questionnaire_id": current.id,
            "answers": answers,
            "questionnaire_score": total,
            "risk_tolerance": tolerance,
        },
        actor=principal.username,
        action="kyc_case.score",
        entity="kyc_case",
        changes={
            "questionnaire_score": [before[0], total],
            "risk_tolerance": [before[1], tolerance],
            "questionnaire_number": [before[2] and _number_of(session, before[2]), current.number],
            "answers": [None, answers],
        },
        client=client,
        refuse=QuestionnaireError,
    )


def _number_of(session: Session, questionnaire_id: int) -> int | None:
    row = session.get(RiskQuestionnaire, questionnaire_id)
    return row.number if row else None


def scored_answers(session: Session, case: KycCase, lang: str) -> list[dict[str, str]]:
    """The case's answers as scored, in the version it was scored with."""
    if not case.questionnaire_id or not case.answers:
        return []
    chosen = {int(k): v for k, v in json.loads(case.answers).items()}
    rows = []
    for question in questions_of(session, case.questionnaire_id):
        index = chosen.get(question.id)
        if index is None or index >= len(question.answers):
            continue
        answer = question.answers[index]
        rows.append(
            {
                "question": question.text(lang),
                "answer": answer.text(lang),
                "points": f"{answer.points} × {question.weight}",
            }
        )
    return rows
