"""The API application, mounted at ``/api/v1`` beside the portal's pages in the same backend
(Reflex's ``api_transformer``): its own errors (problem+json), its own body limit, its OpenAPI
document at ``/api/v1/openapi.json``."""

from __future__ import annotations

import copy
import threading
from collections.abc import MutableMapping
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.applications import Starlette
from starlette.routing import Mount

from backoffice import domains
from backoffice.api import docs, problems, resources, schemas
from backoffice.api.auth import bearer, caller, key_header
from backoffice.db import session_scope
from backoffice.domains.integrations.clients import Caller
from backoffice.engine import custom, service
from backoffice.engine.resource import all_resources
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


# what every secured router declares for the OpenAPI document (the check is ``auth.caller``);
# they never refuse (``auto_error=False``), so the applications that answer leave them out
SECURED = [Depends(bearer), Depends(key_header)]


def _unknown_route(api: FastAPI) -> None:
    """Last: any other address under /api/v1 is a 404 problem, never a page of the portal."""

    @api.api_route(
        "/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    def unknown(request: Request, rest: str) -> None:
        raise problems.Problem(404, "error.not_found")


class _Document:
    """The OpenAPI document: FastAPI's (built once, from the declarations) with the custom
    fields administrators added since, built again only when the set of custom fields changed
    (``custom.generation``: one small aggregate query per request of the document)."""

    def __init__(self, api: FastAPI) -> None:
        self.declared = api.openapi  # FastAPI's own, cached on the application
        self.key: tuple[int, int, int] | None = None
        self.document: dict[str, Any] = {}
        self.lock = threading.Lock()

    def __call__(self) -> dict[str, Any]:
        with session_scope(write=False) as session:
            key = custom.generation(session)
            if key == self.key:
                return self.document
            with self.lock:
                if key != self.key:
                    document = copy.deepcopy(self.declared())
                    for resource in all_resources():
                        specs = custom.specs(session, resource.key)
                        if specs:
                            schemas.with_custom_fields(
                                document, resource, specs, ranged_kinds=service.RANGE_KINDS
                            )
                    self.document, self.key = document, key
        return self.document


def build(*, resource_routes: bool = True, documented: bool = True) -> FastAPI:
    """The API's FastAPI application (its paths relative to ``/api/v1``): every route, and the
    OpenAPI document of them all. ``resource_routes=False``: all but each resource's own routes
    (``mounted()`` sends those straight to the resource's application); ``documented=False``:
    without the declarations that only the document needs (``SECURED``)."""
    secured = SECURED if documented else []
    api = FastAPI(
        title=TITLE,
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        exception_handlers=problems.HANDLERS,
    )
    api.include_router(_status_router(), dependencies=secured)
    api.include_router(resources.router, dependencies=secured)
    if resource_routes:
        for router in resources.ROUTERS.values():
            api.include_router(router, dependencies=secured)
    api.include_router(docs.router)
    for module in domains.parts("api"):
        api.include_router(module.router, dependencies=secured)
    _unknown_route(api)
    api.openapi = _Document(api)  # type: ignore[method-assign]
    return api


def _resource_app(router: APIRouter) -> FastAPI:
    """One resource's routes on their own (documented by ``build()``'s application)."""
    api = FastAPI(
        openapi_url=None, docs_url=None, redoc_url=None, exception_handlers=problems.HANDLERS
    )
    api.include_router(router)
    _unknown_route(api)
    return api


class ByResource:
    """ASGI: a request under ``/resources/<key>`` goes straight to that resource's own
    application; everything else to the application of the other routes. With every
    resource's routes in one application each request was matched against some 340 routes in
    turn (about 2 ms; the platform's and status routes came after all of them)."""

    def __init__(self, whole: FastAPI, each: dict[str, FastAPI]) -> None:
        self.whole, self.each = whole, each

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        target = self.whole
        if scope.get("type") == "http":
            path, root = str(scope.get("path", "")), str(scope.get("root_path", ""))
            parts = path.removeprefix(root).split("/", 3)
            if len(parts) > 2 and parts[1] == "resources":
                target = self.each.get(parts[2], self.whole)
        await target(scope, receive, send)


def mounted() -> Starlette:
    """The transformer Reflex applies: the API under ``/api/v1``, the portal under the rest."""
    rest = build(resource_routes=False, documented=False)
    rest.openapi = build().openapi  # type: ignore[method-assign]  (the document of every route)
    dispatch = ByResource(
        rest, {key: _resource_app(router) for key, router in resources.ROUTERS.items()}
    )
    limited = _WritesLimited(dispatch, path="", limit=BODY_LIMIT)
    return Starlette(routes=[Mount(PREFIX, app=limited)])
