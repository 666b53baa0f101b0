"""The production backend: `reflex run` with granian respawning a worker that dies, and the
scheduled jobs in one process of their own.

Reflex 0.10.1 starts granian (``reflex run --env prod``) without ``respawn_failed_workers``, and
granian then treats one worker's unexpected exit (killed, out of memory) as fatal: it stops every
worker and the whole backend goes away. ``scripts/drill_worker_kill.py`` shows it. This launcher
turns respawning on and otherwise runs Reflex's own command unchanged:

    python scripts/serve_prod.py --env prod --frontend-port 3000

Sessions of the dead worker reconnect (to the surviving workers or the new one) and find their
state in Redis; a worker is replaced ``respawn_interval`` (3.5 s) after it died.

The web workers run with ``BACKOFFICE_SCHEDULER=off``, and this launcher keeps one
``python -m backoffice scheduler`` beside them (started again if it ends), so a long job never
takes CPU, memory or the GIL from staff members' events. With ``BACKOFFICE_SCHEDULER=off`` in
this launcher's own environment no scheduler runs here at all (a second host of the same site:
the job lease would let only one of them run each tick anyway).

Reflex's opportunistic lock is on unless set otherwise (``REFLEX_OPLOCK_ENABLED``,
``REFLEX_OPLOCK_HOLD_TIME``, default ``1000ms``): a tab's state stays in its worker for a second
after an event, so the events of one navigation take the tab's Redis lock once instead of four
times. A worker killed meanwhile loses at most that second of the tab's view state, never a saved
record.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from granian import server as granian_server

ROOT = Path(__file__).resolve().parent.parent
RESTART_AFTER = 5.0  # seconds between a scheduler's exit and its replacement


def _respawn_failed_workers() -> None:
    server_class = granian_server.Server
    original = server_class.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("respawn_failed_workers", True)
        original(self, *args, **kwargs)

    server_class.__init__ = init


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
    _respawn_failed_workers()
    scheduler = None
    if os.environ.get("BACKOFFICE_SCHEDULER", "on") != "off":
        scheduler = Scheduler()
        scheduler.start()
    os.environ["BACKOFFICE_SCHEDULER"] = "off"  # the web workers schedule nothing
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")
    if "REFLEX_OPLOCK_HOLD_TIME_MS" not in os.environ:  # the older name (deprecated) wins if set
        os.environ.setdefault("REFLEX_OPLOCK_HOLD_TIME", "1000ms")
    from reflex.reflex import cli

    try:
        cli(["run", *sys.argv[1:]])
    finally:
        if scheduler is not None:
            scheduler.stop()


if __name__ == "__main__":
    main()
