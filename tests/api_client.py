"""The served API for tests: the real ASGI app (``backoffice.api.app.mounted``) under uvicorn on a
free local port, on the test database, called with a real HTTP client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import httpx
import uvicorn
from sqlmodel import Session

from backoffice.api.app import PREFIX, mounted
from backoffice.domains.admin import users
from backoffice.domains.integrations import clients
from backoffice.security.rbac import Principal

ADMIN = Principal(
    user_id=0,
    username="admin.api-tests",
    display_name="Admin",
    session_id=0,
    roles=frozenset({"admin"}),
    permissions=frozenset({("api_client", "create"), ("api_client", "manage")}),
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served() -> Iterator[str]:
    """The API's base URL (ending in /api/v1) while it is served."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(mounted(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}{PREFIX}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class ApiClients:
    """Makes API clients (each with its own key) and HTTP clients that call as them."""

    def __init__(self, session: Session, base_url: str) -> None:
        self.session = session
        self.base_url = base_url
        self._opened: list[httpx.Client] = []

    def key(
        self,
        role: str = "platform",
        *,
        name: str = "",
        allowed_ips: str = "",
        expires_at: datetime | None = None,
        rate_per_minute: int = 600,
    ) -> tuple[int, str]:
        """A new client with ``role``: (its id, its key)."""
        users.ensure_roles(self.session)
        client, key = clients.create_client(
            self.session,
            actor=ADMIN,
            name=name or f"{role}-{len(self._opened) + 1}-{time.monotonic_ns() % 10**6}",
            role=role,
            allowed_ips=allowed_ips,
            expires_at=expires_at,
            rate_per_minute=rate_per_minute,
        )
        self.session.commit()
        return client.id, key

    def http(self, key: str | None = None, *, language: str = "en") -> httpx.Client:
        """An HTTP client of the served API sending ``key`` (none: unauthenticated)."""
        headers = {"Accept-Language": language}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        client = httpx.Client(base_url=self.base_url, headers=headers, timeout=30)
        self._opened.append(client)
        return client

    def as_role(self, role: str = "platform", **kwargs: object) -> httpx.Client:
        """An HTTP client calling as a new client of ``role``."""
        _id, key = self.key(role, **kwargs)  # type: ignore[arg-type]
        return self.http(key)

    def close(self) -> None:
        for client in self._opened:
            client.close()
