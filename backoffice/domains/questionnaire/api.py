"""The customer platform's risk assessment: the questionnaire in use
(``GET /api/v1/platform/questionnaire``) and a customer's answers scored with it
(``POST /api/v1/platform/customers/{id}/risk-assessments``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.responses import JSONResponse

from backoffice.api import calls
from backoffice.api.auth import caller, client_address
from backoffice.db import session_scope
from backoffice.domains.integrations.clients import Caller
from backoffice.domains.questionnaire import assessments

router = APIRouter(prefix="/platform", tags=["platform"])


class AnswerIn(BaseModel):
    question_id: int
    answer: int = Field(description="The chosen answer's position in the question's list, from 0")


class AssessmentIn(BaseModel):
    answers: list[AnswerIn] = Field(max_length=200)


@router.get("/questionnaire", summary="The risk questionnaire in use, in both languages")
def questionnaire(who: Caller = Depends(caller)) -> JSONResponse:
    with session_scope() as session:
        current, questions = assessments.in_use(session, who.principal)
        payload: dict[str, Any] = {
            "questionnaire_id": current.id,
            "version": current.number,
            "title": {"zh": current.title_zh, "en": current.title_en},
            "questions": [
                {
                    "question_id": q.id,
                    "text": {"zh": q.text_zh, "en": q.text_en},
                    "answers": [
                        {"answer": index, "text": {"zh": a.text_zh, "en": a.text_en}}
                        for index, a in enumerate(q.answers)
                    ],
                }
                for q in questions
            ],
        }
    return calls.respond(200, payload)


@router.post(
    "/customers/{customer_id}/risk-assessments",
    status_code=201,
    summary="Score a customer's answers with the questionnaire in use; sets their tolerance",
)
def risk_assessment(
    customer_id: int, body: AssessmentIn, request: Request, who: Caller = Depends(caller)
) -> JSONResponse:
    chosen = {a.question_id: a.answer for a in body.answers}

    def work(session: Session) -> tuple[int, dict[str, Any]]:
        done = assessments.assess(
            session, who.principal, customer_id, chosen, client_address(request)
        )
        return 201, {
            "customer_id": customer_id,
            "score": done.score,
            "risk_tolerance": done.tolerance,
            "questionnaire_id": done.questionnaire.id,
            "questionnaire_version": done.questionnaire.number,
        }

    return calls.write(request, who, body, work)
