"""The upload route refuses a body larger than any file the portal accepts, before reading it.

Without this the web server reads a 200 MB upload whole (to disk, as the form is parsed)
before a handler can say it is too large. A declared ``Content-Length`` over the limit is
refused with 413 without reading a byte; a body without one (chunked) is counted as it
arrives and cut at the limit, the inner app being told the client went away.

Plain ASGI (no Reflex import): ``backoffice/backoffice.py`` wraps the app with it, for the
path Reflex serves uploads on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

MIB = 1024 * 1024
# The largest file accepted (imports and attachments: 20 MB) with room for the form's framing.
UPLOAD_BODY_LIMIT = 21 * MIB


async def _refuse(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: POST bodies to ``path`` (exactly, or with a trailing slash) of at most
    ``limit`` bytes; every other request passes untouched."""

    def __init__(self, app: ASGIApp, *, path: str, limit: int = UPLOAD_BODY_LIMIT) -> None:
        self.app, self.path, self.limit = app, path.rstrip("/"), limit

    def _guards(self, scope: MutableMapping[str, Any]) -> bool:
        return (
            scope.get("type") == "http"
            and scope.get("method") == "POST"
            and str(scope.get("path", "")).rstrip("/") == self.path
        )

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if not self._guards(scope):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():  # bytes: ASCII digits only
                await _refuse(send, 400, "Bad Content-Length")
                return
            if int(declared) > self.limit:
                await _refuse(send, 413, "Upload too large")
                return
        received, cut, answered = 0, False, False

        async def counted() -> Message:
            nonlocal received, cut
            if cut:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    cut = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal answered
            if cut:
                return  # the inner app's answer to a body it never fully got
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not cut:
                raise
        if cut and not answered:
            await _refuse(send, 413, "Upload too large")


def limiting_uploads(path: str, limit: int = UPLOAD_BODY_LIMIT) -> Callable[[ASGIApp], ASGIApp]:
    """An ``api_transformer`` for ``rx.App``: wraps the backend's ASGI app in ``BodyLimit``."""

    def wrap(app: ASGIApp) -> ASGIApp:
        return BodyLimit(app, path=path, limit=limit)

    return wrap
