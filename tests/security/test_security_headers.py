"""The security headers: on every kind of response (page, asset, API route, 404, websocket
upgrade), HSTS only over HTTPS, the policy naming the built pages' inline scripts."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
from reflex.utils.precompressed_staticfiles import PrecompressedStaticFiles
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket

from backoffice.security import headers
from tests.factories import run

HTML = """<!DOCTYPE html><html><head>
<script src="/assets/entry.js" type="module"></script>
<script>window.__context = {"a": 1};</script>
</head><body><script type="module">import("/assets/entry.js");</script></body></html>"""


def portal(static_dir: Path) -> Starlette:
    """A stand-in for the portal's ASGI app: the built frontend mounted beside backend
    routes, as Reflex serves them on one port in production."""

    async def ping(request):
        return JSONResponse("pong", headers={"server": "granian", "x-frame-options": "ALLOW"})

    async def upload(request):
        return PlainTextResponse("stored")

    async def error_page(request):  # HTML the build did not make
        return HTMLResponse("<html><script>alert('injected')</script></html>", status_code=500)

    async def event(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    return Starlette(
        routes=[
            Route("/ping", ping),
            Route("/_upload", upload, methods=["POST"]),
            Route("/error", error_page),
            WebSocketRoute("/_event/", event),
            # as Reflex serves the built frontend: a page's .gz sidecar when the browser takes it
            Mount(
                "/",
                app=PrecompressedStaticFiles(directory=static_dir, html=True, encodings=["gzip"]),
            ),
        ]
    )


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(HTML)
    (tmp_path / "index.html.gz").write_bytes(gzip.compress(HTML.encode()))
    # larger than one chunk of a file response: its body comes in several messages
    (tmp_path / "long.html").write_text(HTML.replace('"a": 1', '"a": 3') + " " * 200_000)
    (tmp_path / "assets" / "entry.js").write_text("console.log(1)")
    return tmp_path


def client(
    built: Path,
    base_url: str = "http://testserver",
    hsts: headers.HstsMode = headers.HstsMode.AUTO,
    trusted_proxy_hops: int = 0,
) -> TestClient:
    websocket = headers.websocket_sources(["http://127.0.0.1:3000"])
    app = headers.SecurityHeaders(
        portal(built),
        policy=headers.content_security_policy((), websocket),
        page_policies=headers.built_page_policies(built, websocket),
        hsts=hsts,
        trusted_proxy_hops=trusted_proxy_hops,
    )
    return TestClient(app, base_url=base_url)


def assert_protected(response_headers) -> None:
    policy = response_headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ):
        assert directive in policy
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src "))
    assert "'unsafe-inline'" not in script_src
    assert response_headers["x-frame-options"] == "DENY"
    assert response_headers["x-content-type-options"] == "nosniff"
    assert response_headers["referrer-policy"] == "no-referrer"
    assert "camera=()" in response_headers["permissions-policy"]
    assert "microphone=()" in response_headers["permissions-policy"]
    assert response_headers["cross-origin-opener-policy"] == "same-origin"
    assert response_headers["server"] == headers.NEUTRAL_SERVER.decode()


def test_every_kind_of_response_carries_the_headers(built):
    with client(built) as http:
        page = http.get("/")
        asset = http.get("/assets/entry.js")
        api = http.get("/ping")
        upload = http.post("/_upload", content=b"x")
        missing = http.get("/no/such/file.js")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert asset.status_code == 200 and api.status_code == 200 and upload.status_code == 200
    assert missing.status_code == 404
    for response in (page, asset, api, upload, missing):
        assert_protected(response.headers)
        assert "strict-transport-security" not in response.headers


def test_the_apps_own_values_are_replaced_not_doubled(built):
    with client(built) as http:
        response = http.get("/ping")
    assert response.headers.get_list("server") == ["web"]
    assert response.headers.get_list("x-frame-options") == ["DENY"]


def test_the_websocket_upgrade_carries_the_headers(built):
    seen: list[dict] = []
    inner = client(built).app

    async def recording(scope, receive, send):
        async def record(message):
            seen.append(message)
            await send(message)

        await inner(scope, receive, record)

    with TestClient(recording) as http, http.websocket_connect("/_event/") as socket:
        assert socket.receive_text() == "hello"
    accept = next(m for m in seen if m["type"] == "websocket.accept")
    names = {name.decode(): value.decode() for name, value in accept["headers"]}
    assert_protected(names)


def test_hsts_only_over_https(built):
    with client(built, base_url="https://testserver") as https:
        assert https.get("/").headers["strict-transport-security"].startswith("max-age=31536000")
    with client(built) as http:
        assert "strict-transport-security" not in http.get("/").headers


def test_hsts_behind_a_trusted_proxy_that_says_https(built):
    forwarded = {"x-forwarded-proto": "https"}
    with client(built, trusted_proxy_hops=1) as behind_proxy:
        assert "strict-transport-security" in behind_proxy.get("/", headers=forwarded).headers
        plain = behind_proxy.get("/", headers={"x-forwarded-proto": "http"})
        assert "strict-transport-security" not in plain.headers
    # without a trusted proxy, the header is anyone's to send and is not believed
    with client(built, trusted_proxy_hops=0) as direct:
        assert "strict-transport-security" not in direct.get("/", headers=forwarded).headers


def test_hsts_setting(built, monkeypatch):
    with client(built, hsts=headers.HstsMode.ALWAYS) as http:
        assert "strict-transport-security" in http.get("/ping").headers
    with client(built, base_url="https://testserver", hsts=headers.HstsMode.OFF) as https:
        assert "strict-transport-security" not in https.get("/ping").headers
    monkeypatch.setenv("BACKOFFICE_HSTS", "sometimes")
    with pytest.raises(SystemExit, match="auto, always or off"):
        headers.hsts_mode_from_environment()
    monkeypatch.setenv("BACKOFFICE_HSTS", "Always")
    assert headers.hsts_mode_from_environment() is headers.HstsMode.ALWAYS


def script_sources(response_headers) -> list[str]:
    policy = response_headers["content-security-policy"]
    return next(d for d in policy.split("; ") if d.startswith("script-src ")).split()[1:]


STRICT = ["'self'", "'unsafe-eval'"]  # no inline script; eval for Reflex's call_script
PAGE_SCRIPTS = ['window.__context = {"a": 1};', 'import("/assets/entry.js");']


def test_the_script_hash_is_the_one_browsers_compute():
    # the example of the CSP specification: this script's hash is this value
    assert (
        headers.script_hash("alert('Hello, world.');")
        == "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
    )
    assert headers.inline_script_hashes(HTML) == tuple(
        sorted(headers.script_hash(script) for script in PAGE_SCRIPTS)
    )  # the external script is not hashed


def test_a_built_page_allows_its_own_inline_scripts_only(built):
    own = sorted(headers.script_hash(script) for script in PAGE_SCRIPTS)
    long_page = headers.script_hash('window.__context = {"a": 3};')
    with client(built) as http:
        compressed = http.get("/")  # the client takes gzip: the sidecar is served
        plain = http.get("/", headers={"accept-encoding": "identity"})
        long = http.get("/long.html", headers={"accept-encoding": "identity"})
        other = http.get("/error")
        asset = http.get("/assets/entry.js")
    assert compressed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert script_sources(compressed.headers) == script_sources(plain.headers) == [*STRICT, *own]
    assert long.text.startswith("<!DOCTYPE") and len(long.content) > 200_000
    assert long_page in script_sources(long.headers)
    assert headers.script_hash(PAGE_SCRIPTS[0]) not in script_sources(long.headers)
    # HTML that is not a built page, and anything not HTML, may run the portal's files only
    assert "<script>" in other.text and script_sources(other.headers) == STRICT
    assert script_sources(asset.headers) == STRICT


def test_a_page_sent_by_path_gets_its_policy(built):
    page = built / "index.html"
    messages: list[dict] = []

    async def app(scope, receive, send):  # how a file goes out where the server can send it
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/html")],
            }
        )
        await send({"type": "http.response.pathsend", "path": str(page)})

    async def collect(message):
        messages.append(message)

    page_policies = headers.built_page_policies(built)
    middleware = headers.SecurityHeaders(
        app, policy="script-src 'self'", page_policies=page_policies
    )
    run(middleware({"type": "http", "headers": []}, None, collect))
    start, pathsend = messages
    assert pathsend["type"] == "http.response.pathsend"
    policy = dict(start["headers"])[b"content-security-policy"]
    assert policy == page_policies[hashlib.sha256(page.read_bytes()).digest()]
    assert headers.script_hash(PAGE_SCRIPTS[0]).encode() in policy


def test_nothing_built_nothing_allowed(tmp_path):
    assert headers.built_page_policies(tmp_path / "nothing-built-here") == {}


def test_the_websocket_may_reach_the_portals_own_origins_only():
    sources = headers.websocket_sources(
        ["https://backoffice.example.com", "http://127.0.0.1:3000", " http://127.0.0.1:3000"]
    )
    assert sources == ("wss://backoffice.example.com", "ws://127.0.0.1:3000")
    policy = headers.content_security_policy((), sources)
    assert "connect-src 'self' wss://backoffice.example.com ws://127.0.0.1:3000" in policy.split(
        "; "
    )
    assert "ws: " not in policy and "wss: " not in policy


def test_the_portal_app_is_wrapped_outermost(monkeypatch):
    import reflex as rx

    from backoffice.backoffice import app

    async def reflex_asgi(scope, receive, send):  # what Reflex builds: CORS, routes, mounts
        await PlainTextResponse("x")(scope, receive, send)

    monkeypatch.setattr(rx.App, "__call__", lambda self: reflex_asgi)
    served = app()  # the factory the web server calls in each worker
    assert isinstance(served, headers.SecurityHeaders) and served.app is reflex_asgi
    assert_protected(TestClient(served).get("/").headers)


def test_a_revalidated_page_keeps_the_policy_stored_with_it(built):
    with client(built) as http:
        first = http.get("/", headers={"accept-encoding": "identity"})
        again = http.get(
            "/", headers={"accept-encoding": "identity", "if-none-match": first.headers["etag"]}
        )
        head = http.head("/", headers={"accept-encoding": "identity"})
    assert len(script_sources(first.headers)) == 4
    # a 304 or HEAD has no body to hash: its headers would replace the stored page's policy
    # with the one that allows no inline script, and the page would stop working
    for response in (again, head):
        assert response.status_code in (200, 304)
        assert "content-security-policy" not in response.headers
        assert response.headers["x-frame-options"] == "DENY"
    assert again.status_code == 304
