"""The customer platform's orders: ``POST /api/v1/platform/orders``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.responses import JSONResponse

from backoffice.api import calls
from backoffice.api.auth import caller, client_address
from backoffice.api.problems import Problem, invalid
from backoffice.domains.integrations.clients import Caller
from backoffice.domains.transactions import orders

router = APIRouter(prefix="/platform", tags=["platform"])


class OrderIn(BaseModel):
    customer_id: int
    product_id: int
    kind: str = Field(description="subscription or redemption")
    amount: str = Field(max_length=40, description='Yuan, an exact decimal string: "1000.00"')
    campaign_code: str = Field("", max_length=40, description="A live campaign's code, if any")


@router.post(
    "/orders",
    status_code=201,
    summary="A subscription or redemption, recorded if the suitability rules allow it",
    responses={422: {"description": "Refused: `reason` says why (suitability, sale_closed…)"}},
)
def order(body: OrderIn, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    wanted = orders.Order(
        body.customer_id, body.product_id, body.kind, body.amount, body.campaign_code
    )

    def work(session: Session) -> tuple[int, dict[str, Any]]:
        try:
            transaction = orders.place(session, who.principal, wanted, client_address(request))
        except orders.OrderRefused as refusal:
            if refusal.errors:
                raise invalid(refusal.errors) from refusal
            if refusal.reason is None:
                raise
            raise Problem(
                422, refusal.key, params=refusal.params, extra={"reason": refusal.reason}
            ) from refusal
        return 201, {
            "transaction_id": transaction.id,
            "txn_no": transaction.txn_no,
            "customer_id": transaction.customer_id,
            "product_id": transaction.product_id,
            "kind": transaction.kind,
            "amount": transaction.amount,
            "fee": transaction.fee,
            "status": transaction.status,
            "campaign_id": transaction.campaign_id,
            "occurred_at": transaction.occurred_at,
        }

    return calls.write(request, who, body, work)
