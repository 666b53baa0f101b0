"""The KPI part of `make bench`: a full dashboard refresh (every card with its previous period,
every chart, the forecasts) through the real handler over the large data set, against running
the very statements that handler sent, on a bare connection.

The statements are captured from the engine while the handler runs, so "the same SQL" is
exactly what the page needed; the difference is the handler's own work (session check,
Decimal arithmetic, formatting, plotly figures).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from reflex.istate.data import RouterData
from reflex.state import State

from backoffice import db
from backoffice.domains.kpi import rules as kpi
from models.kpi import KpiSnapshot
from state.auth import carry_cookie
from state.kpi import KpiState

RUNS = 15
GOAL_MS, GOAL_RATIO = 500.0, 2.0
AREAS = ("overview", "products", "customers", "service", "compliance", "people", "projects")


def ensure_snapshots() -> None:
    """What the daily snapshot job keeps in production (done once for the bench data)."""
    with db.session_scope(write=True) as session:
        if session.execute(sa.select(KpiSnapshot.id).limit(1)).first() is None:
            print("taking the KPI daily snapshots (once)…", flush=True)
            print("  " + kpi.take_snapshots(session), flush=True)


def _state(token: str, url: str) -> KpiState:
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {"headers": {"origin": "http://localhost:3000"}, "asPath": url, "pathname": "/kpi"}
    )
    carry_cookie(root, token)
    return root.get_substate(KpiState.get_full_name().split(".")[1:])


def _refresh(token: str, url: str, statements: list[tuple[str, Any]] | None = None) -> float:
    state = _state(token, url)
    engine = db.engine()

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        # the reads: the session bookkeeping around them (BEGIN, last-seen UPDATE) is not KPI SQL
        if statements is not None and statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        started = time.perf_counter()
        asyncio.run(KpiState.event_handlers["load"].fn(state))
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    assert state.cards, f"no cards for {url}"
    return elapsed


def _raw(statements: list[tuple[str, Any]]) -> float:
    connection = db.engine().raw_connection()
    try:
        cursor = connection.cursor()
        started = time.perf_counter()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        elapsed = (time.perf_counter() - started) * 1000
        connection.rollback()
        return elapsed
    finally:
        connection.close()


def run(token: str) -> tuple[dict[str, Any], bool]:
    ensure_snapshots()
    today = kpi.local_today()
    start = (today - timedelta(days=29)).isoformat()
    print(
        f"\nKPI dashboard refresh (last 30 days + previous 30, charts, forecasts), "
        f"median of {RUNS} runs (p95 in brackets)\n"
    )
    print(f"{'area':<13}{'queries':>8}{'handler ms':>16}{'raw SQL ms':>16}{'ratio':>8}  goal")
    results: dict[str, Any] = {}
    failed = False
    for area in AREAS:
        url = f"/kpi?area={area}&start={start}&end={today.isoformat()}"
        statements: list[tuple[str, Any]] = []
        _refresh(token, url, statements)  # warm caches, capture the SQL
        handler = sorted(_refresh(token, url) for _ in range(RUNS))
        raw = sorted(_raw(statements) for _ in range(RUNS))
        h, r = statistics.median(handler), statistics.median(raw)
        h95, r95 = handler[int(RUNS * 0.95) - 1], raw[int(RUNS * 0.95) - 1]
        ratio = h / r if r else float("inf")
        ok = h < GOAL_MS and ratio < GOAL_RATIO
        failed |= not ok
        results[area] = {
            "queries": len(statements),
            "handler_ms": round(h, 1),
            "handler_p95_ms": round(h95, 1),
            "raw_ms": round(r, 1),
            "raw_p95_ms": round(r95, 1),
            "ratio": round(ratio, 2),
            "meets_goal": ok,
        }
        print(
            f"{area:<13}{len(statements):>8}{h:>9.1f} ({h95:>4.0f}){r:>9.1f} ({r95:>4.0f})"
            f"{ratio:>8.2f}  {'ok' if ok else 'MISSED'}"
        )
    print(f"goal: a full refresh under {GOAL_MS:.0f} ms and within {GOAL_RATIO:.0f}x raw SQL")
    return results, failed
