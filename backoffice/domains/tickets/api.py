"""What customers write on the customer platform: ``POST /api/v1/platform/messages`` and
``POST /api/v1/platform/tickets/{id}/satisfaction``."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.responses import JSONResponse

from backoffice.api import calls
from backoffice.api.auth import caller, client_address
from backoffice.api.problems import invalid
from backoffice.domains.integrations.clients import Caller
from backoffice.domains.tickets import messages

router = APIRouter(prefix="/platform", tags=["platform"])


class FileIn(BaseModel):
    filename: str = Field(max_length=255, description="e.g. statement.pdf (pdf, png, jpg, txt…)")
    content_base64: str


class MessageIn(BaseModel):
    customer_id: int
    subject: str = Field(max_length=1000)
    body: str = Field(max_length=20_000)
    category: str = Field(
        "", description="account, transaction, investment_consultation, complaint or other"
    )
    ticket_id: int | None = Field(None, description="The customer's ticket this answers, if any")
    attachments: list[FileIn] = Field(default_factory=list, max_length=10)


class SatisfactionIn(BaseModel):
    customer_id: int
    score: int = Field(description="1 (poor) to 5 (excellent)")
    comment: str = Field("", max_length=2000)


def _ticket(ticket: Any) -> dict[str, Any]:
    return {
        "ticket_id": ticket.id,
        "ticket_no": ticket.ticket_no,
        "status": ticket.status,
        "category": ticket.category,
        "team_id": ticket.team_id,
        "assigned": bool(ticket.assignee),
    }


def _refused(refusal: messages.MessageRefused) -> Exception:
    return invalid(refusal.errors) if refusal.errors else refusal


@router.post(
    "/messages",
    status_code=201,
    summary="A customer's message: a new routed ticket, or their words on a ticket of theirs",
)
def message(body: MessageIn, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    files, errors = [], {}
    for index, item in enumerate(body.attachments):
        try:
            files.append(
                messages.File(item.filename, base64.b64decode(item.content_base64, validate=True))
            )
        except (binascii.Error, ValueError):
            errors[f"attachments.{index}.content_base64"] = "field.invalid"
    if errors:
        raise invalid(errors)
    wanted = messages.CustomerMessage(
        customer_id=body.customer_id,
        subject=body.subject,
        body=body.body,
        category=body.category,
        ticket_id=body.ticket_id,
        files=tuple(files),
    )

    def work(session: Session) -> tuple[int, dict[str, Any]]:
        try:
            taken = messages.take(session, who.principal, wanted, client_address(request))
        except messages.MessageRefused as refusal:
            raise _refused(refusal) from refusal
        return (201 if taken.outcome == messages.OPENED else 200), {
            "outcome": taken.outcome,
            **_ticket(taken.ticket),
        }

    return calls.write(request, who, body, work)


@router.post(
    "/tickets/{ticket_id}/satisfaction",
    summary="The customer's rating of their resolved ticket",
)
def satisfaction(
    ticket_id: int, body: SatisfactionIn, request: Request, who: Caller = Depends(caller)
) -> JSONResponse:
    def work(session: Session) -> tuple[int, dict[str, Any]]:
        try:
            ticket = messages.rate(
                session,
                who.principal,
                body.customer_id,
                ticket_id,
                body.score,
                body.comment,
                client_address(request),
            )
        except messages.MessageRefused as refusal:
            raise _refused(refusal) from refusal
        return 200, {
            **_ticket(ticket),
            "satisfaction": ticket.satisfaction,
            "rated_at": ticket.rated_at,
        }

    return calls.write(request, who, body, work)
