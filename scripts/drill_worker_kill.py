"""`make drill-worker`: kill a backend worker (SIGKILL) while signed-in staff work.

The production backend runs with several workers (the default web server: uvicorn; with
``BACKOFFICE_WEB_SERVER=granian``, granian's) and its state in Redis, against the
bench data set (scripts/bench_ws.py starts it and provides the load client). Readers work the
transactions list; writers (product managers) each keep one partner record open and save its
notes through the generic record form (``ResourceRecordState.save``), every save with a unique
value. After ``--before`` seconds one worker is killed; the tabs it served see their websocket
close and reconnect as the browser does (back-off 200 ms × attempt, full rehydrate on the same
page), landing on a surviving or respawned worker that loads their state from Redis.

Afterwards every save the client saw acknowledged (the record's version came back raised) must
be in the database: its value in the partner's audit trail (written in the same transaction as
the change) and the last one in the record itself. Saves whose answer never came (sent to the
killed worker) are reported separately, with whether they landed. Figures go to
bench-results/drill.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_ws
import redis
import sqlalchemy as sa
from bench_ws import (
    ROOT,
    BrowserTab,
    Closed,
    ErrorToast,
    Refused,
    Server,
    StaffSession,
    Stats,
    _form,
    percentile,
    staff_tokens,
)

RECORD = "/r/partner/record"


@dataclass
class Writer:
    partner_id: int
    acked: list[str] = field(default_factory=list)
    in_doubt: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


async def write_loop(
    tab: BrowserTab, writer: Writer, run_id: str, index: int, stop: asyncio.Event
) -> None:
    try:
        await _write_loop(tab, writer, run_id, index, stop)
    except Exception as error:  # a client fault must show, not end a tab silently
        tab.fail(f"load client: {type(error).__name__}: {error}")
    finally:
        await tab.close()


async def _write_loop(
    tab: BrowserTab, writer: Writer, run_id: str, index: int, stop: asyncio.Event
) -> None:
    names = tab.names
    tab.path, tab.query = RECORD, f"id={writer.partner_id}"
    rng = random.Random(index)
    try:
        tab.stats.samples.append((time.monotonic(), "hydrate + record", await tab.hydrate()))
    except (Closed, Refused, OSError) as error:
        tab.fail(f"connect: {error}")
        return
    count = 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.uniform(0.5, 1.5))
        if stop.is_set():
            break
        record = tab.state.get(names.record_state, {})
        before = record.get("version_rx_state_", 0)
        entries = {
            f["name"]: f["text"]
            for f in record.get("fields_rx_state_", [])
            if f.get("editable") and f.get("kind") not in ("multi_choice", "multi_ref")
        }
        count += 1
        value = f"drill {run_id} w{index} #{count}"
        entries["notes"] = value

        def answered(update: dict[str, Any], _events: list) -> bool:
            delta = (update.get("delta") or {}).get(names.record_state, {})
            return "version_rx_state_" in delta or bool(delta.get("message_rx_state_"))

        try:
            ms, _events = await tab.call(
                names.record_state, "save", {"form_data": _form(entries)}, answered
            )
        except ErrorToast as error:  # answered with an error: rolled back, not acknowledged
            writer.refused.append(value)
            tab.fail(f"save refused: {error}")
            continue
        except (Closed, Refused, OSError) as error:
            writer.in_doubt.append(value)
            tab.fail(f"save: {type(error).__name__}: {error}")
            closed = time.perf_counter()
            try:
                await tab.reconnect()
            except (Closed, Refused, OSError) as again:
                tab.fail(f"reconnect failed: {again}")
                return
            tab.reconnected((time.perf_counter() - closed) * 1000)
            continue
        after = tab.state.get(names.record_state, {}).get("version_rx_state_", 0)
        if after > before:
            writer.acked.append(value)
            tab.stats.samples.append((time.monotonic(), "save", ms))
        else:
            writer.refused.append(value)
            message = tab.state.get(names.record_state, {}).get("message_rx_state_", "")
            tab.fail(f"save refused: {message}")
    await tab.close()


def partner_ids(count: int) -> list[int]:
    from backoffice import db

    with db.session_scope() as session:
        rows = session.execute(
            sa.text("SELECT id FROM partner WHERE archived_at IS NULL ORDER BY id LIMIT :n"),
            {"n": count},
        ).all()
    return [r[0] for r in rows]


def verify(writers: list[Writer]) -> dict[str, Any]:
    """Every acknowledged value in the audit trail, and the record holding the last write."""
    from backoffice import db

    lost, doubtful_landed, stale_records = [], 0, []
    with db.session_scope() as session:
        for writer in writers:
            trail = [
                r[0]
                for r in session.execute(
                    sa.text(
                        "SELECT changes FROM audit_entry WHERE entity = 'partner' "
                        "AND entity_id = :id AND changes LIKE '%drill %'"
                    ),
                    {"id": str(writer.partner_id)},
                ).all()
            ]
            text = "\n".join(trail)
            lost += [v for v in writer.acked if f'"{v}"' not in text]
            doubtful_landed += sum(1 for v in writer.in_doubt if f'"{v}"' in text)
            notes = session.execute(
                sa.text("SELECT notes FROM partner WHERE id = :id"), {"id": writer.partner_id}
            ).scalar_one()
            written = [v for v in writer.acked + writer.in_doubt if f'"{v}"' in text]
            if written and notes not in written:
                stale_records.append(writer.partner_id)
    return {
        "acknowledged": sum(len(w.acked) for w in writers),
        "lost": lost,
        "in_doubt": sum(len(w.in_doubt) for w in writers),
        "in_doubt_landed": doubtful_landed,
        "refused": sum(len(w.refused) for w in writers),
        "records_not_holding_a_written_value": stale_records,
    }


async def drill(args: argparse.Namespace, server: Server, names: bench_ws.Names) -> dict[str, Any]:
    stats = Stats()
    stop = asyncio.Event()
    run_id = uuid.uuid4().hex[:8]
    partners = partner_ids(args.writers)
    writers = [Writer(p) for p in partners]
    writer_tokens = staff_tokens(len(writers), roles=("product_manager",), prefix="bench.drill")
    reader_tokens = staff_tokens(args.readers)
    rng = random.Random(7)
    tabs = [BrowserTab(names, server, token, stats) for token in writer_tokens + reader_tokens]
    tasks = [
        asyncio.create_task(write_loop(tab, writer, run_id, i, stop))
        for i, (writer, tab) in enumerate(zip(writers, tabs, strict=False))
    ]
    for tab in tabs[len(writers) :]:
        tasks.append(asyncio.create_task(StaffSession(tab, rng, (1.0, 3.0)).run(stop)))
        await asyncio.sleep(0.1)
    await asyncio.sleep(args.before)
    workers_before = server.worker_pids()
    victim = workers_before[0]
    print(f"{len(tasks)} tabs working; killing worker {victim} of {workers_before}", flush=True)
    killed_at = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    await asyncio.sleep(args.after)
    workers_after = server.worker_pids()
    # a tab works again if an interaction finished well in the last third of the window
    working = sum(1 for tab in tabs if tab.last_ok > killed_at + args.after * 2 / 3)
    stuck = [
        [f"{t - killed_at:+.1f}s {m[:120]}" for t, m in tab.trail]
        + [
            f"last answer {tab.last_ok - killed_at:+.1f}s, last sent {tab.last_sent[1]} "
            f"{tab.last_sent[0] - killed_at:+.1f}s, socket open: {tab.connected}, "
            f"queued updates: {tab.updates.qsize()}"
        ]
        for tab in tabs
        if tab.last_ok <= killed_at + args.after * 2 / 3
    ]
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    before = bench_ws.summarise(stats, 0, killed_at)
    during = bench_ws.summarise(stats, killed_at, killed_at + args.after)
    result = {
        "workers_before": len(workers_before),
        "workers_after": len(workers_after),
        "respawned": sorted(set(workers_after) - set(workers_before)),
        "tabs": len(tasks),
        "tabs_working_at_the_end": working,
        "tabs_not_working": stuck,
        "writers": len(writers),
        "before_kill": before,
        "after_kill": during,
        "reconnects": len(stats.reconnects),
        "reconnect_ms": {
            "p50": round(percentile(stats.reconnects, 50), 1),
            "max": round(max(stats.reconnects), 1) if stats.reconnects else None,
        },
        "writes": verify(writers),
    }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--writers", type=int, default=12)
    parser.add_argument("--readers", type=int, default=30)
    parser.add_argument("--before", type=float, default=20.0)
    parser.add_argument("--after", type=float, default=30.0)
    parser.add_argument("--redis-db", type=int, default=bench_ws.DEFAULT_REDIS_DB + 1)
    parser.add_argument(
        "--launcher",
        choices=("serve_prod", "reflex"),
        default="serve_prod",
        help="scripts/serve_prod.py (respawns workers) or plain `reflex run`",
    )
    args = parser.parse_args()
    redis.Redis.from_url(f"redis://127.0.0.1:6379/{args.redis_db}").flushdb()
    server = Server(
        args.workers,
        args.redis_db,
        ROOT / "bench-results" / "drill-server.log",
        respawn=args.launcher == "serve_prod",
    )
    print(f"backend: {args.launcher}, {args.workers} workers", flush=True)
    try:
        server.start()
        result = asyncio.run(drill(args, server, bench_ws.app_names()))
    finally:
        server.stop()
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(server.redis_url).flushdb()
    w, after = result["writes"], result["after_kill"]
    print(
        f"workers {result['workers_before']} → {result['workers_after']} after the kill "
        f"(respawned: {result['respawned'] or 'none'})"
    )
    print(
        f"after the kill: {after['interactions']} interactions, {after['errors']} failed, "
        f"{result['reconnects']} reconnects, "
        f"reconnect p50 {result['reconnect_ms']['p50']} ms, max {result['reconnect_ms']['max']} ms"
    )
    print(
        f"writes: {w['acknowledged']} acknowledged, {len(w['lost'])} of them lost; "
        f"{w['in_doubt']} unanswered (in flight on the killed worker), {w['in_doubt_landed']} "
        f"of those landed; {w['refused']} refused"
    )
    checks = [
        (
            "no acknowledged write lost",
            not w["lost"] and not w["records_not_holding_a_written_value"],
        ),
        (
            f"every tab working again after the kill ({result['tabs_working_at_the_end']} of "
            f"{result['tabs']})",
            result["tabs_working_at_the_end"] == result["tabs"],
        ),
        ("some writes acknowledged", w["acknowledged"] > 0),
    ]
    for text, ok in checks:
        print(f"{'ok    ' if ok else 'MISSED'}  {text}")
    result["checks"] = [{"check": t, "ok": ok} for t, ok in checks]
    result["launcher"] = args.launcher
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "drill.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if all(ok for _t, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
