"""Where a worker's memory goes, sampled while it serves (for `bench_ws.py --soak`).

With ``BACKOFFICE_MEMORY_PROBE`` set to a directory, each web worker appends a JSON line to
``memory-<pid>.jsonl`` there every ``BACKOFFICE_MEMORY_PROBE_EVERY`` seconds (default 60):

- ``rss_kb`` / ``anon_kb``: the process's resident memory, and the part of it no file backs
  (heap, Python's own arenas, thread stacks);
- ``py_blocks``: objects and buffers Python's allocator holds (``sys.getallocatedblocks``);
- ``pymalloc_*``: Python's own allocator (objects up to 512 bytes): its 1 MiB arenas, the
  bytes in use in them and the bytes free in them; an arena is given back only when empty, so
  a few long-lived objects scattered over many arenas show as arenas growing, not bytes;
- ``malloc_*``: glibc's heap over all its arenas: what it took from the system, has handed
  out, holds free without giving back (fragmentation shows as that growing), and has mapped
  for large blocks;
- ``types``: the 30 most numerous kinds of objects the garbage collector tracks.

A leak shows as ``py_blocks`` and one kind of object growing with the clicks; a heap that only
fragments shows as RSS growing while they stay flat. Off unless the variable is set: listing
every object costs a worker a few hundred milliseconds.
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

from backoffice.platform import numerals

TOP_TYPES = 30


def _malloc_kb() -> dict[str, int]:
    """glibc's heap over all its arenas (``malloc_info``; ``mallinfo2`` sees the main one only,
    and the threads that run database calls allocate in arenas of their own)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.fopen.restype = ctypes.c_void_p
        libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
        libc.fclose.argtypes = [ctypes.c_void_p]
    except (OSError, AttributeError):
        return {}
    with tempfile.NamedTemporaryFile(suffix=".xml") as report:
        stream = libc.fopen(report.name.encode(), b"w")
        if not stream:
            return {}
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        root = ElementTree.parse(report.name).getroot()  # noqa: S314 (glibc's own report)
    totals = {(item.tag, item.get("type")): int(item.get("size", 0)) for item in root}
    system = totals.get(("system", "current"), 0)
    free = totals.get(("total", "fast"), 0) + totals.get(("total", "rest"), 0)
    return {
        "malloc_arenas": len(root.findall("heap")),
        "malloc_system_kb": system // 1024,
        "malloc_used_kb": (system - free) // 1024,
        "malloc_free_kb": free // 1024,
        "malloc_mmap_kb": totals.get(("total", "mmap"), 0) // 1024,
    }


def _pymalloc_kb() -> dict[str, int]:
    """Python's own allocator: its 1 MiB arenas, and the bytes in them in use and free.

    ``sys._debugmallocstats`` writes to the C stderr, so that is pointed at a file meanwhile
    (another thread's stderr output in that millisecond would land there too: a diagnostic).
    """
    with tempfile.TemporaryFile() as report:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(report.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        report.seek(0)
        text = report.read().decode()
    figures: dict[str, int] = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        number = numerals.whole(value.strip().replace(",", ""), 20)
        if name.startswith("# ") and number is not None:
            figures[name.strip()] = number
    return {
        "pymalloc_arenas": figures.get("# arenas allocated current", 0),
        "pymalloc_used_kb": figures.get("# bytes in allocated blocks", 0) // 1024,
        "pymalloc_free_kb": figures.get("# bytes in available blocks", 0) // 1024,
    }


def proc_kb(pid: int | str, path: str, field: str) -> int:
    """A KB figure of ``/proc/<pid>/<path>`` (``status``, ``smaps_rollup``), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def sample() -> dict[str, object]:
    counts = collections.Counter(type(item).__qualname__ for item in gc.get_objects())
    return {
        "pid": os.getpid(),
        "at": round(time.time(), 1),
        "rss_kb": proc_kb("self", "status", "VmRSS"),
        "anon_kb": proc_kb("self", "smaps_rollup", "Anonymous"),
        "py_blocks": sys.getallocatedblocks(),
        **_pymalloc_kb(),
        **_malloc_kb(),
        "gc_objects": sum(counts.values()),
        "types": dict(counts.most_common(TOP_TYPES)),
    }


async def run() -> None:
    """A lifespan task: samples until the worker stops."""
    directory = Path(os.environ["BACKOFFICE_MEMORY_PROBE"])
    directory.mkdir(parents=True, exist_ok=True)
    every = float(os.environ.get("BACKOFFICE_MEMORY_PROBE_EVERY", "60"))
    path = directory / f"memory-{os.getpid()}.jsonl"
    while True:
        with path.open("a") as out:
            out.write(json.dumps(sample()) + "\n")
        await asyncio.sleep(every)
