"""The customer platform signs customers up: ``POST /api/v1/platform/sign-ups``."""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.responses import JSONResponse

from backoffice.api import calls
from backoffice.api.auth import caller, client_address
from backoffice.api.problems import Problem, invalid
from backoffice.domains.customers import sign_up as signing
from backoffice.domains.integrations.clients import Caller

router = APIRouter(prefix="/platform", tags=["platform"])


class DocumentIn(BaseModel):
    category: str = Field(description="id_front, id_back or proof")
    filename: str = Field(max_length=255, description="e.g. id-front.jpg (pdf, png, jpg)")
    content_base64: str = Field(description="The file, base64-encoded")


class SignUpIn(BaseModel):
    name: str = Field(max_length=200)
    id_number: str = Field(max_length=40, description="Resident identity number (18 characters)")
    phone: str = Field(max_length=40)
    address: str = Field("", max_length=1000)
    city: str = Field("", max_length=200)
    channel: str = Field("app", description="app, web or partner")
    campaign_code: str = Field("", max_length=40, description="A live campaign's code, if any")
    documents: list[DocumentIn] = Field(default_factory=list, max_length=10)


def _application(body: SignUpIn) -> signing.Application:
    documents, errors = [], {}
    for index, document in enumerate(body.documents):
        try:
            data = base64.b64decode(document.content_base64, validate=True)
        except (binascii.Error, ValueError):
            errors[f"documents.{index}.content_base64"] = "field.invalid"
            continue
        documents.append(signing.Document(document.category, document.filename, data))
    if errors:
        raise invalid(errors)
    return signing.Application(
        name=body.name,
        id_number=body.id_number,
        phone=body.phone,
        address=body.address,
        city=body.city,
        channel=body.channel,
        campaign_code=body.campaign_code,
        documents=tuple(documents),
    )


@router.post(
    "/sign-ups",
    status_code=201,
    summary="Sign a customer up: the customer, a KYC case screened at once",
    responses={409: {"description": "The ID number is registered already"}},
)
def sign_up(body: SignUpIn, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    application = _application(body)

    def work(session: Session) -> tuple[int, dict[str, object]]:
        try:
            done = signing.sign_up(session, who.principal, application, client_address(request))
        except signing.SignUpRefused as refusal:
            if refusal.errors:
                raise invalid(refusal.errors) from refusal
            if refusal.key == signing.DUPLICATE:
                raise Problem(409, signing.DUPLICATE) from refusal
            raise
        return 201, {
            "customer_id": done.customer.id,
            "customer_no": done.customer.customer_no,
            "kyc_case_id": done.case.id,
            "kyc_case_no": done.case.case_no,
            "kyc_status": done.customer.kyc_status,
            "screening": done.screening,
        }

    return calls.write(request, who, body, work)
