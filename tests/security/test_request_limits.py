"""The upload route refuses an oversized body by its Content-Length, unread, and cuts a body
without one at the limit while it streams."""

from backoffice.security.request_limits import UPLOAD_BODY_LIMIT, BodyLimit, limiting_uploads
from tests.factories import run

CHUNK = 64 * 1024


class Inner:
    """An app that reads the whole body, as a form parser does, then answers 200."""

    def __init__(self) -> None:
        self.calls, self.body = 0, 0

    async def __call__(self, scope, receive, send) -> None:
        self.calls += 1
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ConnectionResetError("client went away")  # like Starlette's ClientDisconnect
            self.body += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _call(app, *, path="/_upload", headers=(), chunks=None, method="POST"):
    """One request through ``app``; ``chunks`` None means an endless body. Returns the
    status, the body sent back and how many body messages the server had to read."""
    read, sent = 0, []

    async def receive():
        nonlocal read
        read += 1
        if chunks is None:
            return {"type": "http.request", "body": b"x" * CHUNK, "more_body": True}
        last = read >= len(chunks)
        return {
            "type": "http.request",
            "body": chunks[min(read, len(chunks)) - 1],
            "more_body": not last,
        }

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": list(headers)}
    run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, read


def test_a_declared_200_mb_body_is_refused_before_a_byte_is_read():
    inner = Inner()
    status, body, read = _call(
        BodyLimit(inner, path="/_upload"), headers=[(b"content-length", str(200 * 2**20).encode())]
    )
    assert (status, read, inner.calls) == (413, 0, 0)
    assert body == b"Upload too large"


def test_a_body_without_a_length_is_cut_at_the_limit():
    inner = Inner()
    status, _body, read = _call(BodyLimit(inner, path="/_upload"), chunks=None)
    assert status == 413
    assert read <= UPLOAD_BODY_LIMIT // CHUNK + 1, "stopped at the limit, not at 200 MB"
    assert inner.body <= UPLOAD_BODY_LIMIT


def test_a_body_under_the_limit_and_other_routes_pass_untouched():
    inner = Inner()
    small = [b"a" * 1000, b"b" * 1000]
    status, body, _ = _call(
        BodyLimit(inner, path="/_upload"), headers=[(b"content-length", b"2000")], chunks=small
    )
    assert (status, body, inner.body) == (200, b"ok", 2000)
    big = [b"x" * CHUNK] * (UPLOAD_BODY_LIMIT // CHUNK + 2)
    elsewhere = Inner()
    assert _call(BodyLimit(elsewhere, path="/_upload"), path="/other", chunks=big)[0] == 200
    assert elsewhere.body > UPLOAD_BODY_LIMIT
    bad = _call(BodyLimit(Inner(), path="/_upload"), headers=[(b"content-length", b"-1")])
    assert bad[0] == 400


def test_the_app_guards_the_path_reflex_serves_uploads_on():
    """Fails loudly if a Reflex upgrade moves the upload route or stops building it so."""
    import inspect

    from reflex.app import App

    import backoffice.backoffice as app_module
    from state import reflex_seam

    source = inspect.getsource(App._add_optional_endpoints)
    assert "prepend_backend_path(str(constants.Endpoint.UPLOAD))" in source
    assert reflex_seam.upload_path() == "/_upload"
    from starlette.applications import Starlette

    (limiter,) = [t for t in app_module.app.api_transformer if not isinstance(t, Starlette)]
    wrapped = limiter(Inner())
    assert isinstance(wrapped, BodyLimit) and wrapped.path == "/_upload"
    status, _, read = _call(wrapped, headers=[(b"content-length", str(200 * 2**20).encode())])
    assert (status, read) == (413, 0)
    assert limiting_uploads("/_upload")(Inner()).limit == UPLOAD_BODY_LIMIT
