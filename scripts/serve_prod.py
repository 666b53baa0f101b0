"""The production backend: `reflex run` with a worker that dies started again (uvicorn's
supervisor, or granian), and the scheduled jobs in one process of their own.

    python scripts/serve_prod.py --env prod --frontend-port 3000

Everything but the web server is Reflex's own command. ``BACKOFFICE_WEB_SERVER`` picks it:

- ``uvicorn`` (default): Reflex's backend on uvicorn's multi-process supervisor, workers from
  ``WEB_CONCURRENCY`` (else ``GRANIAN_WORKERS``, else Reflex's default), a dead one started
  again. Each worker is spawned and imports the app itself, and a websocket costs it a few KB
  (wsproto). Measured with ``make bench-ws`` (2 workers, 200 sessions, same data and hour):
  126 KB more worker memory per added session against granian's 194 KB, which keeps a 128 KiB
  read buffer per connection that cannot be sized; CPU and p95 within the run-to-run noise
  (15.0 and 14.5 ms a click). The socket its workers share is bound as TCP, so each connection
  has Nagle's algorithm off (``_bind_tcp_sockets``).
- ``granian``: Reflex 0.10.1's own server, with ``respawn_failed_workers`` turned on. Plain
  ``reflex run --env prod`` leaves it off, and granian then treats one worker's unexpected exit
  as fatal: every worker stops (``scripts/drill_worker_kill.py`` shows it).

Sessions of a dead worker reconnect to the others or its replacement and find their state in
Redis.

The web workers run with ``BACKOFFICE_SCHEDULER=off``, and this launcher keeps one
``python -m backoffice scheduler`` beside them (started again if it ends), so a long job never
takes CPU, memory or the GIL from staff members' events. With ``BACKOFFICE_SCHEDULER=off`` in
this launcher's own environment no scheduler runs here at all (a second host of the same site:
the job lease would let only one of them run each tick anyway).

Reflex's opportunistic lock is off unless ``REFLEX_OPLOCK_ENABLED=true``: it keeps a tab's state
in its worker for the hold time after each event, and with staff clicking every few seconds that
is half the sessions' states in memory at once (90 KB more a session on granian, 225 KB on
uvicorn) for no CPU saved (a click cost about 1 ms more with it on either server).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from granian import server as granian_server

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WEB_SERVER = "uvicorn"
RESTART_AFTER = 5.0  # seconds between a scheduler's exit and its replacement


def _respawn_failed_workers() -> None:
    server_class = granian_server.Server
    original = server_class.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("respawn_failed_workers", True)
        original(self, *args, **kwargs)

    server_class.__init__ = init


def _serve_with_uvicorn() -> None:
    """Reflex's granian entry point replaced by uvicorn's multi-process supervisor.

    Reflex would pick uvicorn only under gunicorn (``--preload``, one worker by default). Here
    each worker is spawned and imports the app itself: no pages shared with a parent, so none
    copied on write as sessions touch them.
    """
    from reflex.utils import exec as reflex_exec
    from reflex.utils import processes

    def run(host: str, port: int, loglevel: Any, app_target: str | None = None) -> None:
        import uvicorn
        from uvicorn.config import Config

        _bind_tcp_sockets(Config)
        workers = os.environ.get("WEB_CONCURRENCY") or os.environ.get("GRANIAN_WORKERS")
        uvicorn.run(
            app_target or reflex_exec.get_app_instance_from_file(),
            factory=True,
            host=host,
            port=port,
            workers=int(workers or processes.get_num_workers()),
            ws="wsproto",
            http="h11",
            lifespan="on",
            proxy_headers=False,  # the client address is Reflex's (REFLEX_TRUSTED_PROXY_HOPS)
            server_header=False,  # the app sends a neutral one (backoffice.security.headers)
            log_level=str(getattr(loglevel, "value", loglevel)),
            timeout_graceful_shutdown=10,
        )

    reflex_exec.run_granian_backend_prod = run


def _bind_tcp_sockets(config_class: Any) -> None:
    """The listening socket uvicorn binds for its workers says it is TCP, so that asyncio turns
    Nagle's algorithm off on every connection it accepts.

    uvicorn makes that socket with ``socket.socket(family)``, protocol 0, and asyncio sets
    TCP_NODELAY only on sockets whose protocol reads IPPROTO_TCP (``_set_nodelay``). With Nagle
    on, a reply written in two parts (a list's rows, then the address bar's URL) waited for the
    browser's delayed ACK: 40 ms more on one click in five of a tab that had paused a second
    (``make bench-ws``, 50 sessions: p95 52 ms with a second mode at 45–55 ms). Reported upstream
    as uvicorn issue #3149; once uvicorn binds with IPPROTO_TCP itself this changes nothing.
    """
    if getattr(config_class.bind_socket, "binds_tcp", False):
        return
    bind_socket = config_class.bind_socket

    def bind_tcp_socket(self: Any) -> socket.socket:
        sock = bind_socket(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        return sock

    bind_tcp_socket.binds_tcp = True  # type: ignore[attr-defined]
    config_class.bind_socket = bind_tcp_socket


def _die_with_parent() -> None:
    """In the child: SIGTERM when this launcher goes away, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Scheduler(threading.Thread):
    """Keeps one `python -m backoffice scheduler` running until ``stop()``."""

    def __init__(self) -> None:
        super().__init__(name="scheduler-supervisor", daemon=True)
        self.stopping = threading.Event()
        self.process: subprocess.Popen | None = None
        self.env = {**os.environ, "BACKOFFICE_SCHEDULER": "on"}

    def run(self) -> None:
        while not self.stopping.is_set():
            self.process = subprocess.Popen(
                [sys.executable, "-m", "backoffice", "scheduler"],
                cwd=ROOT,
                env=self.env,
                preexec_fn=_die_with_parent,
            )
            code = self.process.wait()
            if not self.stopping.is_set():
                print(f"serve_prod: the scheduler exited ({code}); starting it again", flush=True)
                self.stopping.wait(RESTART_AFTER)

    def stop(self) -> None:
        self.stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)  # a running job is let finish
            except subprocess.TimeoutExpired:
                self.process.kill()


def main() -> None:
    server = os.environ.get("BACKOFFICE_WEB_SERVER", DEFAULT_WEB_SERVER)
    if server == "uvicorn":
        os.environ["REFLEX_USE_GRANIAN"] = "true"  # Reflex's granian entry point, replaced
        _serve_with_uvicorn()
    elif server == "granian":
        _respawn_failed_workers()
    else:
        sys.exit(f"BACKOFFICE_WEB_SERVER must be granian or uvicorn, not {server!r}")
    scheduler = None
    if os.environ.get("BACKOFFICE_SCHEDULER", "on") != "off":
        scheduler = Scheduler()
        scheduler.start()
    os.environ["BACKOFFICE_SCHEDULER"] = "off"  # the web workers schedule nothing
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "false")
    from reflex.reflex import cli

    try:
        cli(["run", *sys.argv[1:]])
    finally:
        if scheduler is not None:
            scheduler.stop()


if __name__ == "__main__":
    main()
