"""Errors as ``application/problem+json`` (RFC 9457): a type, a title, the status, a detail in
the caller's language (``Accept-Language``: zh or en, English by default), the i18n ``code`` a
program can rely on, and for bad input one entry per field. Whatever is refused changed nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from backoffice.i18n import translate
from backoffice.platform.refusal import Refusal

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "/api/v1/problems/"

# the status each kind of refusal answers with (by its i18n key); anything else is 422
STATUS_OF_KEY = {
    "auth.denied": 403,
    "error.not_found": 404,
    "record.stale": 412,
    "record.stale_by": 412,
    "api.stale": 412,
    "api.unauthenticated": 401,
    "api.rate_limited": 429,
    "api.idempotency_mismatch": 422,
    "api.idempotency_in_progress": 409,
    "api.precondition_required": 428,
    "api.body_too_large": 413,
    "record.not_unique": 409,
}

TITLE_OF_STATUS = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
}


def language(request: Request | None) -> str:
    header = request.headers.get("accept-language", "") if request is not None else ""
    return "zh" if header.strip().lower().startswith("zh") else "en"


def _text(key: Any, lang: str, params: Mapping[str, Any] | None = None) -> str:
    try:
        return translate(key, lang, **dict(params or {}))
    except (KeyError, IndexError, ValueError):
        return str(key)


class Problem(Exception):
    """A refusal on its way out as problem+json."""

    def __init__(
        self,
        status: int,
        code: str,
        *,
        params: Mapping[str, Any] | None = None,
        errors: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = str(code)
        self.key = code
        self.params = dict(params or {})
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    @classmethod
    def from_refusal(cls, refusal: Refusal) -> Problem:
        code = str(refusal.key)
        return cls(STATUS_OF_KEY.get(code, 422), refusal.key, params=refusal.params)

    def body(self, lang: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.code,
            "title": TITLE_OF_STATUS.get(self.status, "Error"),
            "status": self.status,
            "detail": _text(self.key, lang, self.params),
            "code": self.code,
        }
        if self.errors:
            body["errors"] = [
                {"field": name, "code": key, "message": _text(key, lang)}
                for name, key in self.errors.items()
            ]
        body.update(self.extra)
        return body

    def response(self, request: Request | None) -> JSONResponse:
        return JSONResponse(
            self.body(language(request)),
            status_code=self.status,
            headers=self.headers,
            media_type=MEDIA_TYPE,
        )


def invalid(errors: Mapping[str, str]) -> Problem:
    """Bad input: one message per field."""
    return Problem(422, "api.invalid", errors=errors)


async def _problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return exc.response(request)


async def _refusal(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refusal)
    return Problem.from_refusal(exc).response(request)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors: dict[str, str] = {}
    for error in exc.errors():
        location = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        kind = error.get("type")
        errors[".".join(location) or "body"] = (
            "field.required"
            if kind == "missing"
            else "api.unknown_field"
            if kind == "extra_forbidden"
            else "field.invalid"
        )
    return invalid(errors).response(request)


# what the framework itself refuses (before any handler ran): the caller's fault, each with a
# code of its own; only a 5xx is an internal error
CODE_OF_HTTP_STATUS = {
    400: "api.bad_request",  # e.g. a body that is no JSON, or JSON nested too deeply
    404: "error.not_found",
    405: "api.method_not_allowed",
    413: "api.body_too_large",
    415: "api.unsupported_media_type",
}


def code_of_http_status(status: int) -> str:
    """The problem code of a status the framework answered with (another 4xx: a bad request)."""
    if status in CODE_OF_HTTP_STATUS:
        return CODE_OF_HTTP_STATUS[status]
    return "api.bad_request" if 400 <= status < 500 else "api.error"


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = code_of_http_status(status)
    return Problem(status, code, headers=getattr(exc, "headers", None) or {}).response(request)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    return Problem(500, "api.error").response(request)


HANDLERS = {
    Problem: _problem,
    Refusal: _refusal,
    RequestValidationError: _validation,
    StarletteHTTPException: _http,
    Exception: _unexpected,
}
