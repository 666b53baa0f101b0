"""The HTTP routes that set and clear the session cookie, served by the app's backend.

The cookie is HttpOnly (no script reads it), SameSite=Strict and, over HTTPS, Secure: the
websocket handshake carries it, and every event is resolved from the handshake's cookie, never
from what a tab's state holds. See ``_secure`` for when the
request counts as HTTPS.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backoffice.db import session_scope
from backoffice.security import auth, sessions

MAX_CODE_BYTES = 2000


def _secure(request: Request) -> bool:
    """Over HTTPS: this request's own scheme, or what the trusted proxy in front of the app
    says (``X-Forwarded-Proto``, trusted as far as ``REFLEX_TRUSTED_PROXY_HOPS`` trusts
    ``X-Forwarded-For``), or ``BACKOFFICE_SECURE_COOKIE=1``."""
    if os.environ.get("BACKOFFICE_SECURE_COOKIE", "").lower() in ("1", "true", "yes"):
        return True
    if request.url.scheme == "https":
        return True
    hops = int(os.environ.get("REFLEX_TRUSTED_PROXY_HOPS", "0") or 0)
    protos = [p.strip() for p in request.headers.get("x-forwarded-proto", "").split(",")]
    return hops > 0 and len(protos) >= hops and protos[-hops] == "https"


def _same_site(request: Request) -> bool:
    """The request comes from the portal's own pages: its Origin (browsers send one with every
    POST) names the host it was sent to. Another site may not set or clear the cookie."""
    origin = request.headers.get("origin", "")
    return bool(origin) and urlsplit(origin).netloc == request.headers.get("host", "")


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


async def claim(request: Request) -> Response:
    """Exchange the page's single-use claim code for the session cookie."""
    if not _same_site(request):
        return _no_store(Response(status_code=403))
    body = await request.body()
    if len(body) > MAX_CODE_BYTES:
        return _no_store(Response(status_code=413))
    with session_scope(write=True) as session:
        token = auth.claim(session, code=body.decode(errors="replace"), client=_client(request))
    if token is None:
        return _no_store(Response(status_code=403))
    response = _no_store(Response(status_code=204))
    response.set_cookie(
        sessions.COOKIE_NAME,
        token,
        max_age=sessions.ABSOLUTE_HOURS * 3600,
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    return response


async def sign_out(request: Request) -> Response:
    """End the cookie's session (if still live) and clear the cookie."""
    if not _same_site(request):
        return _no_store(Response(status_code=403))
    token = request.cookies.get(sessions.COOKIE_NAME, "")
    if token:
        with session_scope(write=True) as session:
            auth.sign_out(session, token=token, client=_client(request))
    response = _no_store(Response(status_code=204))
    response.delete_cookie(
        sessions.COOKIE_NAME,
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    return response


def routes_app() -> Starlette:
    """The routes, as the Starlette app Reflex mounts its own backend under."""
    return Starlette(
        routes=[
            Route("/auth/claim", claim, methods=["POST"]),
            Route("/auth/sign-out", sign_out, methods=["POST"]),
        ]
    )
