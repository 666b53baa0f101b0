"""The security headers of every response the portal sends: the HTML pages, their scripts and
styles, the backend's routes (``/ping``, ``/_upload``, a 404) and the websocket's upgrade.

One ASGI middleware (`SecurityHeaders`) wraps the whole app, which in production serves the
built frontend and the backend on one port, so nothing the portal answers goes out without them.

- The content security policy allows scripts from the portal itself and, on each built HTML
  page, that page's own inline scripts (React Router's hydration context and module loader,
  Reflex's colour-mode script) by their SHA-256: no ``'unsafe-inline'`` for scripts. It does
  allow ``'unsafe-eval'``: Reflex evaluates the code of ``rx.call_script`` with ``eval()``, and
  the lists update the address bar with it (Chromium refuses the search otherwise).
  The hashes are computed at start-up from the built files, and
  a page's policy is looked up by the digest of the bytes served (the page or its precompressed
  sidecar): one policy naming every page's scripts would be a 9 KB header on every response,
  more than a reverse proxy's default header buffer. Any other HTML gets no inline script.
  Styles need ``'unsafe-inline'``: Radix Themes and emotion insert ``<style>`` elements at run
  time and the prerendered pages carry ``style`` attributes.
- The websocket may connect to the portal's own origins only (``ws:``/``wss:`` of each allowed
  origin, as older Safari does not count them as ``'self'``).
- ``Strict-Transport-Security`` goes only on responses to requests that came over HTTPS: the
  server's own TLS, or ``X-Forwarded-Proto: https`` from a trusted reverse proxy
  (``REFLEX_TRUSTED_PROXY_HOPS`` > 0). ``BACKOFFICE_HSTS=always`` sends it on every response (a
  proxy that terminates TLS but sends no ``X-Forwarded-Proto``); ``off`` never (the proxy adds
  its own).
- The ``server`` header says nothing about the software: granian names itself unless the app
  sets one, so the app sets a neutral one (uvicorn is started without its own).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from enum import StrEnum
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

NEUTRAL_SERVER = b"web"
HSTS_VALUE = "max-age=31536000; includeSubDomains"
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "serial",
    "usb",
    "xr-spatial-tracking",
)


class HstsMode(StrEnum):
    AUTO = "auto"  # only on responses to requests that came over HTTPS
    ALWAYS = "always"
    OFF = "off"


def hsts_mode_from_environment() -> HstsMode:
    value = os.environ.get("BACKOFFICE_HSTS", "").strip().lower() or HstsMode.AUTO
    try:
        return HstsMode(value)
    except ValueError:
        raise SystemExit(f"BACKOFFICE_HSTS must be auto, always or off, not {value!r}") from None


class _InlineScripts(HTMLParser):
    """Collects the text of every ``<script>`` without a ``src``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._current = []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.scripts.append("".join(self._current))
            self._current = None


def inline_scripts(html: str) -> list[str]:
    parser = _InlineScripts()
    parser.feed(html)
    parser.close()
    return parser.scripts


def script_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def inline_script_hashes(html: str) -> tuple[str, ...]:
    """The CSP source of each distinct inline script of one page."""
    return tuple(sorted({script_hash(script) for script in inline_scripts(html) if script.strip()}))


def built_page_policies(
    build_dir: Path, websocket_origins: Sequence[str] = ()
) -> dict[bytes, bytes]:
    """The policy of each built HTML page under ``build_dir``, keyed by the SHA-256 of its
    bytes and of each precompressed sidecar's (``page.html.gz``…): whichever is served."""
    policies: dict[bytes, bytes] = {}
    shared: dict[tuple[str, ...], bytes] = {}
    for page in sorted(build_dir.rglob("*.html")):
        raw = page.read_bytes()
        hashes = inline_script_hashes(raw.decode("utf-8"))
        if hashes not in shared:
            shared[hashes] = content_security_policy(hashes, websocket_origins).encode()
        for served in (page, *sorted(page.parent.glob(page.name + ".*"))):
            body = raw if served is page else served.read_bytes()
            policies[hashlib.sha256(body).digest()] = shared[hashes]
    return policies


def websocket_sources(origins: Iterable[str]) -> tuple[str, ...]:
    """``ws://host:port`` / ``wss://host`` for each ``http(s)://`` origin the portal serves."""
    sources: list[str] = []
    for origin in origins:
        parts = urlsplit(origin.strip())
        if parts.scheme in ("http", "https") and parts.netloc:
            scheme = "wss" if parts.scheme == "https" else "ws"
            source = f"{scheme}://{parts.netloc}"
            if source not in sources:
                sources.append(source)
    return tuple(sources)


def content_security_policy(
    script_hashes: Sequence[str] = (), websocket_origins: Sequence[str] = ()
) -> str:
    directives = {
        "default-src": ["'self'"],
        # 'unsafe-eval': Reflex runs the code of `rx.call_script` with eval(), and the lists put
        # their filters in the address bar that way (state/resource.py `_go`); the code comes
        # from the server over the websocket, never from a page's text
        "script-src": ["'self'", "'unsafe-eval'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *websocket_origins],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def security_headers() -> list[tuple[bytes, bytes]]:
    """The headers every response carries besides its policy (and HSTS)."""
    return [
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        # no URL of the portal (record ids, search terms) goes to another site through a link
        (b"referrer-policy", b"no-referrer"),
        (b"permissions-policy", ", ".join(f"{name}=()" for name in DENIED_FEATURES).encode()),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"server", NEUTRAL_SERVER),
    ]


_CSP = b"content-security-policy"
_HSTS = b"strict-transport-security"
_OURS = frozenset(name for name, _ in security_headers()) | {_CSP, _HSTS}
_FORWARDED_PROTO = re.compile(r"\s*,\s*")
MAX_PAGE_BYTES = 4 * 1024 * 1024  # larger HTML is passed on as it comes, without page hashes


def came_over_https(scope: dict[str, Any], trusted_proxy_hops: int) -> bool:
    if scope.get("scheme") in ("https", "wss"):
        return True
    if trusted_proxy_hops <= 0:
        return False
    for name, value in scope.get("headers", ()):
        if name == b"x-forwarded-proto":
            protocols = _FORWARDED_PROTO.split(value.decode("latin-1").strip().lower())
            # each trusted proxy may append its own: the one facing the browser is the first
            return protocols[0] in ("https", "wss")
    return False


def _is_html(start: dict[str, Any]) -> bool:
    return any(
        name.lower() == b"content-type" and value.lower().startswith(b"text/html")
        for name, value in start.get("headers", ())
    )


class SecurityHeaders:
    """ASGI middleware: puts the security headers on every HTTP response and on the
    websocket's accept (the ``101 Switching Protocols`` answer), replacing any of the same name
    the app set. An HTML response is held until its body is complete, to give it its page's
    policy."""

    def __init__(
        self,
        app: Any,
        *,
        policy: str,
        page_policies: dict[bytes, bytes] | None = None,
        hsts: HstsMode = HstsMode.AUTO,
        trusted_proxy_hops: int = 0,
    ) -> None:
        self.app = app
        self.policy = policy.encode()
        self.page_policies = page_policies or {}
        self.headers = security_headers()
        self.hsts = hsts
        self.trusted_proxy_hops = trusted_proxy_hops

    def headers_for(self, scope: dict[str, Any], policy: bytes | None) -> list[tuple[bytes, bytes]]:
        added = [*self.headers] if policy is None else [(_CSP, policy), *self.headers]
        if self.hsts is HstsMode.ALWAYS or (
            self.hsts is HstsMode.AUTO and came_over_https(scope, self.trusted_proxy_hops)
        ):
            added.append((_HSTS, HSTS_VALUE.encode()))
        return added

    def _with_headers(
        self, message: dict[str, Any], scope: dict[str, Any], policy: bytes | None
    ) -> dict[str, Any]:
        kept = [(n, v) for n, v in message.get("headers", ()) if n.lower() not in _OURS]
        return {**message, "headers": [*kept, *self.headers_for(scope, policy)]}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] | None = None
        body: list[bytes] = []

        async def release(policy: bytes, rest: list[dict[str, Any]]) -> None:
            nonlocal held
            assert held is not None
            start, held = held, None
            await send(self._with_headers(start, scope, policy))
            for message in rest:
                await send(message)

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal held
            kind = message["type"]
            if kind == "http.response.start":
                if message["status"] == 304 or scope.get("method") == "HEAD":
                    # no body to judge: the policy stored with the page stands (a 304's or a
                    # HEAD's headers replace the stored ones; a header left out does not)
                    await send(self._with_headers(message, scope, None))
                elif self.page_policies and _is_html(message):
                    held = message
                else:
                    await send(self._with_headers(message, scope, self.policy))
            elif held is not None and kind == "http.response.body":
                body.append(message.get("body", b""))
                complete = b"".join(body)
                more = message.get("more_body", False)
                if more and len(complete) <= MAX_PAGE_BYTES:
                    return
                digest = hashlib.sha256(complete).digest()
                policy = self.policy if more else self.page_policies.get(digest, self.policy)
                await release(policy, [{**message, "body": complete}])
            elif held is not None and kind == "http.response.pathsend":
                digest = hashlib.sha256(Path(message["path"]).read_bytes()).digest()
                await release(self.page_policies.get(digest, self.policy), [message])
            elif kind in ("websocket.accept", "websocket.http.response.start"):
                await send(self._with_headers(message, scope, self.policy))
            else:
                await send(message)

        await self.app(scope, receive, send_with_headers)
