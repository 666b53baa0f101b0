"""Who is calling: the API key in ``Authorization: Bearer <key>`` (or ``X-API-Key``), resolved on
every request, then counted against the client's rate limit."""

from __future__ import annotations

from fastapi import Request
from fastapi.security import APIKeyHeader, HTTPBearer

from backoffice.api import limits
from backoffice.api.problems import Problem
from backoffice.db import session_scope
from backoffice.domains.integrations import clients

# declared for the OpenAPI document (the "Authorize" of a reader); the check is ``caller``
bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer bo_…`")
key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def presented_key(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-api-key", "").strip()


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def caller(request: Request) -> clients.Caller:
    """The calling client (a dependency of every endpoint): 401 without a good key, 429 past
    its rate limit, with ``Retry-After``."""
    key = presented_key(request)
    if not key:
        raise Problem(401, "api.unauthenticated", headers={"WWW-Authenticate": "Bearer"})
    with session_scope(write=False) as session:
        found = clients.authenticate(session, key, client_address(request))
    if found is None:
        raise Problem(401, "api.unauthenticated", headers={"WWW-Authenticate": "Bearer"})
    if found.stale_key_id is not None:
        with session_scope(write=True) as session:
            clients.touch_key(session, found.stale_key_id)
    wait = limits.retry_after(found.client_id, found.rate_per_minute)
    if wait is not None:
        raise Problem(
            429,
            "api.rate_limited",
            params={"seconds": wait},
            headers={"Retry-After": str(wait)},
        )
    request.state.caller = found
    return found
