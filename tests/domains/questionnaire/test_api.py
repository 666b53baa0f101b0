"""A customer's risk assessment from the customer platform through the served API: scored
with the version in use, the customer's tolerance and their open KYC case updated."""

from __future__ import annotations

import json

from sqlmodel import select

from models.audit import AuditEntry
from models.customers import Customer
from models.kyc import KycCase
from tests.factories import make_questionnaire
from tests.platform_data import customer, fresh, problem


def _answers(version, session, chosen: tuple[int, ...]) -> dict:
    from backoffice.domains.questionnaire import rules

    questions = rules.questions_of(session, version.id)
    return {
        "answers": [
            {"question_id": q.id, "answer": index}
            for q, index in zip(questions, chosen, strict=False)
        ]
    }


def test_the_questionnaire_in_use_is_offered_in_both_languages(api, session):
    make_questionnaire(session, status="retired", number=1)
    version = make_questionnaire(session, number=2)
    answer = api.as_role().get("/platform/questionnaire").json()
    assert (answer["questionnaire_id"], answer["version"]) == (version.id, 2)
    first = answer["questions"][0]
    assert first["text"] == {"zh": "年龄", "en": "Age"}
    assert [a["text"]["en"] for a in first["answers"]] == ["Over 70", "36–70", "18–35"]


def test_answers_are_scored_with_the_version_in_use_and_set_the_tolerance(api, session):
    version = make_questionnaire(session, number=3)
    person = customer(session, 1, tolerance="C1", approved=False)
    case = KycCase(
        case_no="K1", customer_id=person.id, opened_at=person.registered_at,
        due_at=person.registered_at,
    )  # fmt: skip
    session.add(case)
    session.commit()
    _id, key = api.key(name="app")
    response = api.http(key).post(
        f"/platform/customers/{person.id}/risk-assessments",
        json=_answers(version, session, (2, 1)),  # 4 × 1 + 1 × 2 = 6: C3 (4 to 6)
    )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "customer_id": person.id,
        "score": 6,
        "risk_tolerance": "C3",
        "questionnaire_id": version.id,
        "questionnaire_version": 3,
    }
    fresh(session)
    assert session.get(Customer, person.id).risk_tolerance == "C3"
    scored = session.get(KycCase, case.id)
    assert (scored.questionnaire_id, scored.questionnaire_score, scored.risk_tolerance) == (
        version.id,
        6,
        "C3",
    )
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "customer.risk_assessed")
    ).one()
    assert entry.actor == "api:app"
    assert json.loads(entry.changes)["risk_tolerance"] == ["C1", "C3"]


def test_unanswered_questions_or_none_in_use_are_refused_and_change_nothing(api, session):
    person = customer(session, 2, tolerance="C2")
    http = api.as_role()
    path = f"/platform/customers/{person.id}/risk-assessments"
    problem(http.post(path, json={"answers": []}), 422, "questionnaire.none_active")
    version = make_questionnaire(session, number=4)
    problem(http.post(path, json=_answers(version, session, (2,))), 422, "questionnaire.unanswered")
    stray = _answers(version, session, (2, 1))
    stray["answers"].append({"question_id": 999_999, "answer": 0})
    problem(http.post(path, json=stray), 422, "questionnaire.not_in_version")
    problem(
        http.post(path, json=_answers(version, session, (2, 7))), 422, "questionnaire.unanswered"
    )
    fresh(session)
    assert session.get(Customer, person.id).risk_tolerance == "C2"


def test_an_unknown_customer_is_not_found_and_another_role_is_forbidden(api, session):
    version = make_questionnaire(session, number=5)
    person = customer(session, 3, tolerance="C2")
    body = _answers(version, session, (2, 1))
    problem(
        api.as_role().post("/platform/customers/999999/risk-assessments", json=body),
        404,
        "error.not_found",
    )
    problem(
        api.as_role("cs_agent").post(
            f"/platform/customers/{person.id}/risk-assessments", json=body
        ),
        403,
        "auth.denied",
    )
    fresh(session)
    assert session.get(Customer, person.id).risk_tolerance == "C2"
