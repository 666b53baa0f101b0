"""A closed tab's id replayed without the session cookie acts as nobody: the production backend
(two uvicorn workers sharing their state in Redis) spoken to over the real Socket.IO protocol."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import bench_ws  # noqa: E402

from tests.factories import run  # noqa: E402

DESK = "/tickets/workspace"
REDIS_DB = bench_ws.DEFAULT_REDIS_DB + 3


def _token(env: dict[str, str], username: str) -> str:
    """A live session for a seeded user, created as the last sign-in step creates it."""
    code = (
        "from sqlmodel import select\n"
        "from backoffice import db\n"
        "from backoffice.security import sessions\n"
        "from models.identity import User\n"
        "with db.session_scope(write=True) as s:\n"
        f"    user = s.exec(select(User).where(User.username == {username!r})).one()\n"
        "    print(sessions.create(s, user=user))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip().splitlines()[-1]


def _rows(update: dict[str, Any], desk: str) -> list:
    delta = (update.get("delta") or {}).get(desk, {})
    return [v for k, v in delta.items() if k.startswith("rows") and v]


async def _updates(tab: bench_ws.BrowserTab, seconds: float) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            update = await asyncio.wait_for(tab.updates.get(), left)
        except TimeoutError:
            break
        if update is None:
            break
        seen.append(update)
    return seen


@pytest.mark.timeout(600)
def test_a_closed_tabs_id_without_the_cookie_is_refused(app_env, tmp_path, monkeypatch):
    import redis

    from state.tickets import TicketDeskState

    subprocess.run(
        [sys.executable, "-m", "backoffice", "seed", "--size", "small"],
        cwd=ROOT,
        env=app_env,
        check=True,
        capture_output=True,
    )
    token = _token(app_env, "cs.wu")
    for name in ("BACKOFFICE_DATA_DIR", "BACKOFFICE_DB_URL", "BACKOFFICE_SCHEDULER"):
        monkeypatch.setenv(name, app_env[name])
    redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}").flushdb()
    names = bench_ws.app_names()
    desk = TicketDeskState.get_full_name()
    server = bench_ws.Server(2, REDIS_DB, tmp_path / "server.log")
    server.start()
    try:

        async def scenario() -> tuple[list[dict], list[dict]]:
            stats = bench_ws.Stats()
            signed_in = bench_ws.BrowserTab(names, server, token, stats)
            signed_in.path, signed_in.query = DESK, "queue=team"
            await signed_in.connect()
            first = await _updates(signed_in, 20)
            await signed_in.close()

            replay = bench_ws.BrowserTab(names, server, "", stats)
            replay.token, replay.path, replay.query = signed_in.token, DESK, "queue=team"
            # no hydrate: straight to the handler, as the attack goes
            await replay.connect(first=False, hydrate=False)
            replayed = await _updates(replay, 5)
            await replay._emit(replay._event(names.handler(desk, "load")))
            replayed += await _updates(replay, 15)
            await replay.close()
            return first, replayed

        first, replayed = run(scenario())
    finally:
        server.stop()

    assert any(_rows(u, desk) for u in first), json.dumps(first, ensure_ascii=False)[:3000]
    assert not [u for u in replayed if _rows(u, desk)], "the replayed tab id got tickets"
    events = [e for u in replayed for e in (u.get("events") or [])]
    redirects = [e for e in events if e.get("name") == "_redirect"]
    assert redirects and all(str(e["payload"]["path"]).startswith("/login") for e in redirects), (
        json.dumps(events)[:2000]
    )
    engine = sa.create_engine(app_env["BACKOFFICE_DB_URL"])
    with engine.connect() as conn:
        denied = conn.execute(
            sa.text(
                "SELECT count(*) FROM audit_entry WHERE action = 'access.denied' "
                "AND entity_id LIKE 'TicketDeskState.load%' AND actor = 'anonymous'"
            )
        ).scalar_one()
    assert denied == 1, "the replayed load was refused and audited"
