"""`reflex run` with granian respawning a worker that dies.

Reflex 0.10.1 starts granian (``reflex run --env prod``) without ``respawn_failed_workers``, and
granian then treats one worker's unexpected exit (killed, out of memory) as fatal: it stops every
worker and the whole backend goes away. ``scripts/drill_worker_kill.py`` shows it. This launcher
turns respawning on and otherwise runs Reflex's own command unchanged:

    python scripts/serve_prod.py --env prod --frontend-port 3000

Sessions of the dead worker reconnect (to the surviving workers or the new one) and find their
state in Redis; a worker is replaced ``respawn_interval`` (3.5 s) after it died.
"""

from __future__ import annotations

import sys
from typing import Any

from granian import server as granian_server


def _respawn_failed_workers() -> None:
    server_class = granian_server.Server
    original = server_class.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("respawn_failed_workers", True)
        original(self, *args, **kwargs)

    server_class.__init__ = init


def main() -> None:
    _respawn_failed_workers()
    from reflex.reflex import cli

    cli(["run", *sys.argv[1:]])


if __name__ == "__main__":
    main()
