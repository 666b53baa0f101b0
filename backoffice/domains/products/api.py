"""The customer platform's catalogue: ``GET /api/v1/platform/catalogue``."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import JSONResponse

from backoffice.api import calls
from backoffice.api.auth import caller
from backoffice.db import session_scope
from backoffice.domains.integrations.clients import Caller
from backoffice.domains.products import catalogue as offer

router = APIRouter(prefix="/platform", tags=["platform"])


@router.get(
    "/catalogue",
    summary="Products on sale (yields, fees, windows, disclosures) and campaigns running today",
)
def catalogue(who: Caller = Depends(caller)) -> JSONResponse:
    with session_scope() as session:
        payload = {
            "products": offer.products_on_sale(session, who.principal),
            "campaigns": offer.running_campaigns(session, who.principal),
        }
    return calls.respond(200, payload)
