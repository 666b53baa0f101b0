"""The web workers' heap trimmer: its setting, and that it trims on its interval."""

import asyncio
import subprocess
import sys

import pytest

from backoffice.ops import heap_trim
from tests.factories import run


@pytest.mark.parametrize(("value", "every"), [("", 30.0), ("0", 0.0), ("12.5", 12.5)])
def test_the_interval_comes_from_the_environment(monkeypatch, value, every):
    monkeypatch.setenv("BACKOFFICE_HEAP_TRIM_EVERY", value)
    assert heap_trim.interval_from_environment() == every


@pytest.mark.parametrize("value", ["soon", "-1"])
def test_a_bad_interval_stops_the_app_with_a_clear_message(monkeypatch, value):
    monkeypatch.setenv("BACKOFFICE_HEAP_TRIM_EVERY", value)
    with pytest.raises(SystemExit, match="BACKOFFICE_HEAP_TRIM_EVERY"):
        heap_trim.interval_from_environment()


_FRAGMENTED_HEAP = """
from backoffice.ops import heap_trim
from backoffice.ops.memory_probe import proc_kb

blocks = [bytearray(4000) for _ in range(25_000)]  # 100 MB of heap blocks
kept = blocks[::10]  # one block in ten stays, so no free memory lies at the heap's top
del blocks
before = proc_kb("self", "smaps_rollup", "Anonymous")
heap_trim.trim()
after = proc_kb("self", "smaps_rollup", "Anonymous")
print(before, after, len(kept))
"""


def test_glibc_trim_gives_back_the_free_pages_inside_the_heap():
    assert heap_trim.trim is not None  # the workers run on glibc (Debian)
    out = subprocess.run(
        [sys.executable, "-c", _FRAGMENTED_HEAP], capture_output=True, text=True, check=True
    ).stdout.split()
    before, after = int(out[0]), int(out[1])
    assert before - after > 50_000  # KB: most of the 90 MB freed between kept blocks


def test_the_task_trims_every_interval_until_cancelled(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(heap_trim, "trim", lambda: calls.append(1) or True)

    async def for_a_while() -> None:
        task = asyncio.create_task(heap_trim.run(every=0.05))
        await asyncio.sleep(0.4)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(for_a_while())
    assert 3 <= len(calls) <= 9


def test_off_means_no_trimming(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(heap_trim, "trim", lambda: calls.append(1) or True)
    run(asyncio.wait_for(heap_trim.run(every=0), 1))  # returns at once: nothing scheduled
    assert calls == []
