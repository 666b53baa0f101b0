"""Gives a web worker's free heap pages back to the system every so often (glibc only).

glibc keeps the memory of freed blocks inside its heaps for reuse, and hands back to the system
only what lies free at the top of a heap. A worker's heap grows to its busiest moment; after it
the free pages in the middle stay resident, and as later events touch other pages for the first
time the worker's RSS creeps up although the memory in use is flat (``memory_probe`` shows it).
``malloc_trim(0)`` returns every whole free page of every arena (``madvise(MADV_DONTNEED)``), so
the resident size follows the memory in use. A call takes a few milliseconds on a worker's heap;
it runs in a thread so the event loop goes on serving meanwhile.

``BACKOFFICE_HEAP_TRIM_EVERY``: seconds between trims (default 30; ``0`` turns it off).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
from collections.abc import Callable

DEFAULT_EVERY = 30.0


def interval_from_environment() -> float:
    value = os.environ.get("BACKOFFICE_HEAP_TRIM_EVERY", "").strip() or str(DEFAULT_EVERY)
    try:
        every = float(value)
    except ValueError:
        raise SystemExit(
            f"BACKOFFICE_HEAP_TRIM_EVERY must be a number of seconds (0 = off), not {value!r}"
        ) from None
    if every < 0:
        raise SystemExit(f"BACKOFFICE_HEAP_TRIM_EVERY must not be negative, not {value!r}")
    return every


def _glibc_trim() -> Callable[[], bool] | None:
    """``malloc_trim(0)`` of the C library, or None where it has none (musl, macOS)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: bool(trim(0))


trim = _glibc_trim()


async def run(every: float) -> None:
    """A lifespan task: trims the heap every ``every`` seconds until the worker stops."""
    if not every or trim is None:
        return
    while True:
        await asyncio.sleep(every)
        await asyncio.to_thread(trim)
