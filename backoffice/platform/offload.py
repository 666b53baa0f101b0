"""Work that takes seconds runs in a worker thread, never on the event loop.

A Reflex worker answers every tab it serves from one event loop: a handler that parses a big
upload or builds an export there holds every other tab's clicks (and the health check) until it
ends. Handlers hand such work to ``run``; the loop keeps answering while it goes on. The calls
passed here take plain values and open their own database scopes: no state object is touched
from the thread.

Few at a time: the machine has few cores, and a crowd of threads would only share them worse.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

THREADS = 4

P = ParamSpec("P")
T = TypeVar("T")

_pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="offload")


async def run(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` in a worker thread; the caller's loop stays free meanwhile."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool, functools.partial(fn, *args, **kwargs))
