"""The API application, mounted at ``/api/v1`` beside the portal's pages in the same backend
(Reflex's ``api_transformer``): its own errors (problem+json), its own body limit, its OpenAPI
document at ``/api/v1/openapi.json``."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.applications import Starlette
from starlette.routing import Mount

from backoffice import domains
from backoffice.api import docs, problems, resources
from backoffice.api.auth import bearer, caller, key_header
from backoffice.domains.integrations.clients import Caller
from backoffice.security.request_limits import MIB, BodyLimit

PREFIX = "/api/v1"
# JSON bodies; attachments travel base64-encoded inside them (at most 10 MB of file)
BODY_LIMIT = 14 * MIB
TITLE = "Wealth Platform Back Office API"
DESCRIPTION = (
    "The interface between the customer platform and the back office. Every call carries an "
    "API key (`Authorization: Bearer bo_…`) created by an administrator; the key acts with one "
    "role's rights, never as a person. Money is an exact decimal string. Errors are "
    "`application/problem+json` (RFC 9457). POSTs accept an `Idempotency-Key`."
)


class _WritesLimited(BodyLimit):
    """Every writing request of the API, whatever its path."""

    def _guards(self, scope: MutableMapping[str, Any]) -> bool:
        return scope.get("type") == "http" and scope.get("method") in ("POST", "PUT", "PATCH")


def _status_router() -> APIRouter:
    router = APIRouter(tags=["status"])

    @router.get("/whoami", summary="The calling client, its role and rights")
    def whoami(who: Caller = Depends(caller)) -> dict[str, Any]:
        return {
            "client": who.name,
            "roles": sorted(who.principal.roles),
            "rights": sorted(f"{r}.{a}" for r, a in who.principal.permissions),
        }

    return router


def build() -> FastAPI:
    """The API's FastAPI application (its paths relative to ``/api/v1``)."""
    api = FastAPI(
        title=TITLE,
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        exception_handlers=problems.HANDLERS,
        dependencies=[],
    )
    api.include_router(_status_router(), dependencies=[Depends(bearer), Depends(key_header)])
    api.include_router(resources.router, dependencies=[Depends(bearer), Depends(key_header)])
    api.include_router(docs.router)
    for module in domains.parts("api"):
        api.include_router(module.router, dependencies=[Depends(bearer), Depends(key_header)])

    @api.api_route(
        "/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    def unknown(request: Request, rest: str) -> None:
        raise problems.Problem(404, "error.not_found")

    return api


def mounted() -> Starlette:
    """The transformer Reflex applies: the API under ``/api/v1``, the portal under the rest."""
    limited = _WritesLimited(build(), path="", limit=BODY_LIMIT)
    return Starlette(routes=[Mount(PREFIX, app=limited)])
