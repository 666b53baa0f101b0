"""The risk questionnaire: configured as versions by compliance, approved by another officer,
one in use at a time; a case is scored with the version in use and keeps it."""

import json

import pytest
from sqlmodel import select

import backoffice.domains  # noqa: F401
from backoffice.domains.kyc import rules as kyc
from backoffice.domains.questionnaire import rules as questionnaire
from backoffice.engine import service
from backoffice.engine.resource import get
from models.audit import AuditEntry
from models.kyc import KycCase
from models.questionnaire import RiskQuestion, RiskQuestionnaire
from tests.factories import make_customer, make_principal, make_questionnaire, open_kyc_case, take

VERSIONS = get("questionnaire")
QUESTIONS = get("risk_question")


def _move(session, principal, version, key):
    return take(session, principal, VERSIONS, version, key)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("4 | 年轻 | Young\n0 | 年长 | Older", None),
        ("4 | 只有中文\n0 | 也只有中文", None),  # English falls back to the Chinese text
        ("4 | 只有一个答案 | One answer", "questionnaire.two_answers"),
        ("四 | 年轻 | Young\n0 | 年长 | Older", "questionnaire.answer_line"),
        ("4 年轻 Young\n0 | 年长 | Older", "questionnaire.answer_line"),
        ("400 | 年轻 | Young\n0 | 年长 | Older", "questionnaire.answer_points"),
    ],
)
def test_answer_lines_are_checked(text, problem):
    assert questionnaire.answers_problem(text) == problem


def test_bands_give_each_total_its_tolerance():
    version = RiskQuestionnaire(
        number=1, title_zh="t", title_en="t", c2_from=2, c3_from=4, c4_from=7, c5_from=9
    )
    assert [questionnaire.band(version, t) for t in (0, 1, 2, 3, 4, 6, 7, 8, 9, 10)] == [
        "C1", "C1", "C2", "C2", "C3", "C3", "C4", "C4", "C5", "C5",
    ]  # fmt: skip
    assert questionnaire.bands_problem({"c2_from": 5, "c3_from": 5}) == {
        "c3_from": "questionnaire.bands_rise"
    }


def test_a_version_is_drafted_submitted_and_approved_by_another_officer(session, officers):
    a, b = officers
    first = make_questionnaire(session)
    made = service.create(
        session,
        principal=a,
        resource=VERSIONS,
        values={"title_zh": "第二版", "title_en": "Second", "c2_from": "2", "c3_from": "4",
                "c4_from": "7", "c5_from": "50"},
    )  # fmt: skip
    session.commit()
    draft = session.get(RiskQuestionnaire, made.record_id)
    assert (draft.number, draft.status) == (2, "draft")
    again = service.create(
        session, principal=a, resource=VERSIONS, values={"title_zh": "x", "title_en": "x",
        "c2_from": "1", "c3_from": "2", "c4_from": "3", "c5_from": "4"},
    )  # fmt: skip
    assert again.errors == {"title_zh": "questionnaire.draft_exists"}
    draft.change_note = "新增一题"
    session.add(draft)
    session.commit()
    assert _move(session, a, draft, "submit").message == "questionnaire.no_questions"
    added = service.create(
        session,
        principal=a,
        resource=QUESTIONS,
        values={"questionnaire_id": str(draft.id), "position": "1", "text_zh": "年龄",
                "text_en": "Age", "weight": "2", "answers": "0 | 老 | Old\n5 | 年轻 | Young"},
    )  # fmt: skip
    session.commit()
    assert added.ok, added.errors
    assert _move(session, a, draft, "submit").message == "questionnaire.band_unreachable"
    assert service.update(
        session, principal=a, resource=VERSIONS, record_id=draft.id, version=draft.version,
        values={"c5_from": "9"},
    ).ok  # fmt: skip
    session.commit()
    assert _move(session, a, draft, "submit").ok
    assert _move(session, a, draft, "activate").message == "workflow.maker_checker"
    assert _move(session, b, draft, "activate").ok
    session.refresh(first)
    assert (draft.status, first.status) == ("active", "retired")
    assert draft.activated_at is not None and first.retired_at is not None
    assert questionnaire.active(session).id == draft.id
    question = session.get(RiskQuestion, added.record_id)
    refused = service.update(
        session, principal=a, resource=QUESTIONS, record_id=question.id,
        version=question.version, values={"weight": "3"},
    )  # fmt: skip
    assert refused.errors == {"weight": "questionnaire.not_draft"}
    archived = service.set_archived(
        session, principal=a, resource=QUESTIONS, record_id=question.id,
        version=question.version, archived=True,
    )  # fmt: skip
    assert archived.message == "questionnaire.not_draft"
    extra = service.create(
        session, principal=a, resource=QUESTIONS,
        values={"questionnaire_id": str(draft.id), "position": "2", "text_zh": "x",
                "text_en": "x", "weight": "1", "answers": "0 | a\n1 | b"},
    )  # fmt: skip
    assert extra.errors == {"questionnaire_id": "questionnaire.not_draft"}


def test_a_case_keeps_the_version_it_was_scored_with(session, officers):
    a, b = officers
    first = make_questionnaire(session)
    customer = make_customer(session)
    case = open_kyc_case(session, a, customer)
    ids = [q.id for q in questionnaire.questions_of(session, first.id)]
    with pytest.raises(questionnaire.QuestionnaireError, match=r"kyc\.not_yours"):
        questionnaire.score_case(session, a, case, {ids[0]: 2, ids[1]: 2})
    kyc.claim(session, a, case)
    session.commit()
    session.refresh(case)
    with pytest.raises(questionnaire.QuestionnaireError, match=r"questionnaire\.unanswered"):
        questionnaire.score_case(session, a, case, {ids[0]: 2})
    with pytest.raises(questionnaire.QuestionnaireError, match=r"questionnaire\.unanswered"):
        questionnaire.score_case(session, a, case, {ids[0]: 2, ids[1]: 7})
    assert questionnaire.score_case(session, a, case, {ids[0]: 2, ids[1]: 2}) == (10, "C5")
    session.commit()
    draft = questionnaire.new_draft(session, a, first)
    session.commit()
    copied = session.exec(
        select(RiskQuestion).where(RiskQuestion.questionnaire_id == draft.id)
    ).all()
    assert [q.text_zh for q in copied] == ["年龄", "可承受亏损"] and draft.number == 2
    copied[0].weight = 2
    draft.change_note = "年龄题权重上调"
    session.commit()
    assert _move(session, a, draft, "submit").ok
    assert _move(session, b, draft, "activate").ok
    case = session.get(KycCase, case.id)
    assert (case.questionnaire_id, case.questionnaire_score) == (first.id, 10)
    shown = questionnaire.scored_answers(session, case, "en")
    assert [row["answer"] for row in shown] == ["18–35", "Over 10%"]
    assert shown[0]["points"] == "4 × 1"  # still the weight of the version it was scored with
    assert json.loads(case.answers) == {str(ids[0]): 2, str(ids[1]): 2}
    trail = session.exec(select(AuditEntry).where(AuditEntry.action == "kyc_case.score")).one()
    assert json.loads(trail.changes)["risk_tolerance"] == [None, "C5"]
    assert kyc.approve_alone(session, a, case) is None
    assert session.get(KycCase, case.id).risk_tolerance == "C5"


def test_only_officers_score_and_nothing_scores_without_a_version_in_use(session, officers):
    a, _b = officers
    customer = make_customer(session)
    case = open_kyc_case(session, a, customer)
    kyc.claim(session, a, case)
    session.commit()
    session.refresh(case)
    with pytest.raises(questionnaire.QuestionnaireError, match=r"questionnaire\.none_active"):
        questionnaire.score_case(session, a, case, {})
    agent = make_principal(session, "cs.a", ["cs_agent"])
    with pytest.raises(questionnaire.QuestionnaireError, match=r"auth\.denied"):
        questionnaire.score_case(session, agent, case, {})
    with pytest.raises(service.EngineError):
        service.create(session, principal=agent, resource=VERSIONS, values={})
