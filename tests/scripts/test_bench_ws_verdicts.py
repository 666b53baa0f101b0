"""The websocket bench's verdicts: which memory figure decides "memory per session", and that a
missed goal is reported as missed (the bench itself runs under `make bench-ws`)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench_ws() -> Iterator[Any]:
    spec = importlib.util.spec_from_file_location("bench_ws", ROOT / "scripts" / "bench_ws.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_ws"] = module  # its dataclasses look their module up while being made
    path = list(sys.path)  # it puts scripts/ first, for its own imports
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("bench_ws", None)
        sys.path[:] = path


def level(sessions: int, p95: float, over_baseline: float, added: float | None = None) -> dict:
    figures = {
        "sessions": sessions,
        "p95_ms": p95,
        "errors": 0,
        "ramp_errors": 0,
        "pss_kb_per_session": over_baseline,
        "redis_db_kb_per_session": 14.0,
        "memory_samples": [],
    }
    if added is not None:
        figures["pss_kb_per_added_session"] = added
    return figures


def memory_checks(checks: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    return [check for check in checks if check[0].startswith("memory per session")]


def test_with_two_levels_memory_per_session_is_what_each_added_session_costs(bench_ws):
    result = {"levels": [level(50, 60, over_baseline=400), level(200, 200, 150, added=120)]}
    (check,) = memory_checks(bench_ws.verdicts(result, soak=0))
    assert check[1] is True and "each added session: worker PSS 120" in check[0]
    assert "over the warm baseline 150" in check[0], "the stricter figure is printed beside"

    result["levels"][1]["pss_kb_per_added_session"] = 190  # 190 + 14 of Redis
    (check,) = memory_checks(bench_ws.verdicts(result, soak=0))
    assert check[1] is False


def test_a_single_level_is_judged_on_its_growth_over_the_warm_baseline(bench_ws):
    (check,) = memory_checks(bench_ws.verdicts({"levels": [level(200, 200, 190)]}, soak=0))
    assert check[1] is False and "first use's rise is counted in" in check[0]
    (check,) = memory_checks(bench_ws.verdicts({"levels": [level(200, 200, 150)]}, soak=0))
    assert check[1] is True


def test_latency_and_errors_are_judged_at_every_level(bench_ws):
    slow = level(200, 251, 100, added=100)
    slow["errors"] = 1
    checks = dict(bench_ws.verdicts({"levels": [level(50, 99, 300), slow]}, soak=0))
    verdicts = {text.split(" (")[0]: passed for text, passed in checks.items()}
    assert verdicts["p95 under 100 ms at 50 sessions"] is True
    assert verdicts["p95 under 250 ms at 200 sessions"] is False
    assert verdicts["zero errors at 200 sessions"] is False
    assert verdicts["zero errors at 50 sessions"] is True
