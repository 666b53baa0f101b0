"""The worker memory probe bench_ws.py --soak reads: what it samples and where it writes."""

import asyncio
import json
import os

import pytest

from backoffice.ops import memory_probe
from tests.factories import run


class _Kept:
    pass


def test_a_sample_counts_the_objects_a_worker_holds():
    before = memory_probe.sample()
    kept = [_Kept() for _ in range(200_000)]
    after = memory_probe.sample()
    assert after["pid"] == os.getpid()
    assert after["rss_kb"] > 0 and after["py_blocks"] > before["py_blocks"]
    assert after["types"]["_Kept"] == 200_000  # the most numerous kind is named, with its count
    assert "_Kept" not in before["types"]
    assert after["malloc_used_kb"] > 0 and after["malloc_free_kb"] >= 0
    assert len(kept) == 200_000


def test_the_lifespan_task_appends_a_line_per_interval(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_MEMORY_PROBE", str(tmp_path / "probe"))
    monkeypatch.setenv("BACKOFFICE_MEMORY_PROBE_EVERY", "0.2")

    path = tmp_path / "probe" / f"memory-{os.getpid()}.jsonl"

    def written() -> list[str]:
        return path.read_text().splitlines() if path.exists() else []

    async def run_for_three_lines() -> None:
        task = asyncio.create_task(memory_probe.run())
        for _ in range(600):  # a sample of a big test process's heap takes a while
            if len(written()) >= 3:
                break
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(run_for_three_lines())
    lines = written()
    assert len(lines) >= 3
    assert len({json.loads(line)["at"] for line in lines}) == len(lines)  # one per interval
    assert {"rss_kb", "py_blocks", "gc_objects", "types"} <= json.loads(lines[-1]).keys()
