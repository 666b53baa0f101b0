"""The production launcher: which web server it runs and how (the browser tests and
`make bench-ws` / `make drill-worker` run it for real)."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from reflex.utils import exec as reflex_exec
from uvicorn.config import Config

from tests.factories import run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def serve_prod(monkeypatch: pytest.MonkeyPatch) -> Any:
    spec = importlib.util.spec_from_file_location("serve_prod", ROOT / "scripts" / "serve_prod.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # whatever the launcher replaces is put back after the test
    monkeypatch.setattr(
        reflex_exec, "run_granian_backend_prod", reflex_exec.run_granian_backend_prod
    )
    monkeypatch.setattr(Config, "bind_socket", Config.bind_socket)
    return module


def test_uvicorn_replaces_reflexs_granian_entry_point(serve_prod, monkeypatch):
    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    serve_prod._serve_with_uvicorn()
    reflex_exec.run_granian_backend_prod("127.0.0.1", 8123, reflex_exec.LogLevel.ERROR, "app:app")
    (target,), options = calls[0]
    assert target == "app:app" and options["factory"] is True
    assert (options["host"], options["port"], options["workers"]) == ("127.0.0.1", 8123, 3)
    assert options["ws"] == "wsproto" and options["lifespan"] == "on"
    assert options["proxy_headers"] is False, "the client address is Reflex's to work out"
    assert options["server_header"] is False, "the app's neutral server header is the only one"


def test_an_unknown_web_server_is_refused_by_name(serve_prod, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_WEB_SERVER", "apache")
    monkeypatch.setenv("BACKOFFICE_SCHEDULER", "off")
    monkeypatch.setattr(sys, "argv", ["serve_prod.py"])
    with pytest.raises(SystemExit, match="granian or uvicorn, not 'apache'"):
        serve_prod.main()


def test_uvicorn_serves_unless_granian_is_asked_for(serve_prod, monkeypatch):
    import reflex.reflex

    chosen: list[str] = []
    monkeypatch.setattr(serve_prod, "_serve_with_uvicorn", lambda: chosen.append("uvicorn"))
    monkeypatch.setattr(serve_prod, "_respawn_failed_workers", lambda: chosen.append("granian"))
    monkeypatch.setattr(reflex.reflex, "cli", lambda args: chosen.append(" ".join(args)))
    for name, value in (
        ("BACKOFFICE_SCHEDULER", "off"),  # main() sets these three: restored after the test
        ("REFLEX_OPLOCK_ENABLED", "false"),
        ("REFLEX_USE_GRANIAN", "true"),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["serve_prod.py", "--env", "prod"])
    monkeypatch.delenv("BACKOFFICE_WEB_SERVER", raising=False)
    serve_prod.main()
    monkeypatch.setenv("BACKOFFICE_WEB_SERVER", "granian")
    serve_prod.main()
    assert chosen == ["uvicorn", "run --env prod", "granian", "run --env prod"]


def nagle_off_on_accepted(listening: socket.socket) -> bool:
    """Whether asyncio serving ``listening`` (as each uvicorn worker does) turns Nagle's
    algorithm off on the connection it accepts."""

    async def accept_one() -> bool:
        made: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                made.set_result(bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
        with socket.create_connection(listening.getsockname()[:2]):
            nodelay = await asyncio.wait_for(made, 5)
        server.close()
        return nodelay

    return run(accept_one())


def test_uvicorns_workers_answer_without_waiting_for_acks(serve_prod):
    """uvicorn binds its workers' socket with protocol 0, and asyncio then leaves Nagle on: a
    reply in two writes waited for the browser's delayed ACK (40 ms, found by bench_ws)."""
    as_uvicorn_binds = Config(app="app:app", host="127.0.0.1", port=0).bind_socket()
    assert not nagle_off_on_accepted(as_uvicorn_binds), (
        "the fault this launcher mends; if uvicorn now binds as TCP itself (its issue #3149), "
        "_bind_tcp_sockets can go"
    )

    serve_prod._bind_tcp_sockets(Config)
    wrapped = Config.bind_socket
    serve_prod._bind_tcp_sockets(Config)
    assert Config.bind_socket is wrapped, "wrapped once, however often the launcher runs"
    as_launched = Config(app="app:app", host="127.0.0.1", port=0).bind_socket()
    assert as_launched.proto == socket.IPPROTO_TCP and as_launched.get_inheritable()
    assert nagle_off_on_accepted(as_launched)
