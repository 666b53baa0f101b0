"""The unit of work of a writing call: one transaction, and with an ``Idempotency-Key`` the
first answer kept in that same transaction, so a replay gets it again and never repeats the
change. The same key with another body is refused; a key still being answered is a conflict.
The kept answer is sealed at rest and forgotten after 24 hours (``integrations.replays``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from fastapi import Request
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.responses import JSONResponse

from backoffice.api.problems import Problem
from backoffice.db import session_scope
from backoffice.domains.integrations import replays
from backoffice.domains.integrations.clients import Caller
from models.base import utcnow
from models.integrations import IdempotencyRecord

KEY_HEADER = "idempotency-key"
MAX_KEY_LENGTH = 100
REPLAYED_HEADER = "Idempotent-Replayed"

Work = Callable[[Session], tuple[int, Any]]


def plain(value: Any) -> Any:
    """A value as JSON holds it: money and rates as exact decimal strings, times in ISO 8601."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    """What the JSON encoder cannot write itself (it calls this only for those values)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


class FastJSONResponse(JSONResponse):
    """JSON as :func:`plain` would make it, written by the encoder in one pass (a page of 50
    rows no longer walks every value in Python first)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content,
            default=_json_default,
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
        ).encode("utf-8")


class EncodedJSONResponse(JSONResponse):
    """An answer whose JSON is already written (its UTF-8 bytes)."""

    def render(self, content: Any) -> bytes:
        return bytes(content)


def respond(status: int, payload: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return FastJSONResponse(payload, status_code=status, headers=headers)


def _digest(request: Request, body: Any) -> str:
    """The request as parsed (the same body in another key order or spacing is the same)."""
    text = json.dumps(plain(body), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    head = f"{request.method} {request.url.path}?{request.url.query}\n"
    return hashlib.sha256((head + text).encode()).hexdigest()


def idempotency_key(request: Request) -> str:
    key = request.headers.get(KEY_HEADER, "").strip()
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Problem(422, "api.idempotency_key_invalid", params={"limit": MAX_KEY_LENGTH})
    return key


# built once: every writing call with a key asks it first, and keeps its answer (a plain
# statement: no ORM object for a row nothing reads back)
_SEEN = sa.select(
    IdempotencyRecord.request_hash, IdempotencyRecord.status_code, IdempotencyRecord.response_cipher
).where(
    IdempotencyRecord.client_id == sa.bindparam("client_id"),
    IdempotencyRecord.key == sa.bindparam("key"),
)
_KEEP = sa.insert(IdempotencyRecord.__table__)


def write(request: Request, caller: Caller, body: Any, work: Work) -> JSONResponse:
    """Run ``work`` (which returns the status and the JSON payload, or raises a Problem or
    Refusal: then nothing it did is kept) once per idempotency key. ``body``: the request's
    parsed body (a model or a dict), which a replay must repeat. Endpoints calling this are
    plain functions: FastAPI runs them in its thread pool, off the event loop."""
    key = idempotency_key(request)
    if hasattr(body, "model_dump"):
        body = body.model_dump(mode="json")
    digest = _digest(request, body) if key else ""
    try:
        with session_scope(write=True) as session:
            if key:
                seen = session.execute(_SEEN, {"client_id": caller.client_id, "key": key}).first()
                if seen is not None:
                    if seen.request_hash != digest:
                        raise Problem(422, "api.idempotency_mismatch")
                    return EncodedJSONResponse(
                        replays.opened(seen.response_cipher).encode("utf-8"),
                        status_code=seen.status_code,
                        headers={REPLAYED_HEADER: "true"},
                    )
            status, payload = work(session)
            # encoded once: the answer sent is the text kept for a replay
            text = json.dumps(
                plain(payload), ensure_ascii=False, allow_nan=False, separators=(",", ":")
            )
            if key and status < 400:
                session.execute(
                    _KEEP,
                    {
                        "created_at": utcnow(),
                        "client_id": caller.client_id,
                        "key": key,
                        "request_hash": digest,
                        "status_code": status,
                        "response_cipher": replays.seal(text),
                    },
                )
    except IntegrityError as error:
        if key:  # another request with this key committed first
            raise Problem(409, "api.idempotency_in_progress") from error
        raise Problem(409, "record.not_unique") from error
    return EncodedJSONResponse(text.encode("utf-8"), status_code=status)
