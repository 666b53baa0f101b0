"""The security headers of every response the portal sends: the HTML pages, their scripts and
styles, the backend's routes (``/ping``, ``/_upload``, a 404) and the websocket's upgrade.

One ASGI middleware (`SecurityHeaders`) wraps the whole app, which in production serves the
built frontend and the backend on one port, so nothing the portal answers goes out without them.

- The content security policy allows scripts from the portal itself and, by their SHA-256, the
  inline scripts of the built HTML pages (React Router's hydration context and module loader),
  computed at start-up from the built files: no ``'unsafe-inline'`` and no ``'unsafe-eval'``
  for scripts. Styles need ``'unsafe-inline'``: Radix Themes and emotion insert ``<style>``
  elements at run time and the prerendered pages carry ``style`` attributes.
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
    "bluetooth",
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


def inline_script_hashes(build_dir: Path) -> tuple[str, ...]:
    """The CSP source of each distinct inline script in the built HTML pages under
    ``build_dir`` (none when nothing is built there)."""
    hashes = {
        script_hash(script)
        for page in sorted(build_dir.rglob("*.html"))
        for script in inline_scripts(page.read_text(encoding="utf-8"))
        if script.strip()
    }
    return tuple(sorted(hashes))


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
        "script-src": ["'self'", *script_hashes],
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


def security_headers(policy: str) -> list[tuple[bytes, bytes]]:
    """The headers every response carries (HSTS aside)."""
    return [
        (b"content-security-policy", policy.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        # no URL of the portal (record ids, search terms) goes to another site through a link
        (b"referrer-policy", b"no-referrer"),
        (b"permissions-policy", ", ".join(f"{name}=()" for name in DENIED_FEATURES).encode()),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"server", NEUTRAL_SERVER),
    ]


_OURS = frozenset(name for name, _ in security_headers("")) | {b"strict-transport-security"}
_FORWARDED_PROTO = re.compile(r"\s*,\s*")


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


class SecurityHeaders:
    """ASGI middleware: puts the security headers on every HTTP response and on the
    websocket's accept (the ``101 Switching Protocols`` answer), replacing any of the same name
    the app set."""

    def __init__(
        self,
        app: Any,
        *,
        policy: str,
        hsts: HstsMode = HstsMode.AUTO,
        trusted_proxy_hops: int = 0,
    ) -> None:
        self.app = app
        self.headers = security_headers(policy)
        self.hsts = hsts
        self.trusted_proxy_hops = trusted_proxy_hops

    def headers_for(self, scope: dict[str, Any]) -> list[tuple[bytes, bytes]]:
        if self.hsts is HstsMode.ALWAYS or (
            self.hsts is HstsMode.AUTO and came_over_https(scope, self.trusted_proxy_hops)
        ):
            return [*self.headers, (b"strict-transport-security", HSTS_VALUE.encode())]
        return self.headers

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        added = self.headers_for(scope)

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] in (
                "http.response.start",
                "websocket.accept",
                "websocket.http.response.start",
            ):
                kept = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() not in _OURS
                ]
                message = {**message, "headers": [*kept, *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
