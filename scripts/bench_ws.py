"""`make bench-ws`: signed-in staff sessions over the real websocket, against the production
backend (several granian workers, state in Redis) and the large bench data set.

The load client speaks what the browser's socket.io-client speaks (Engine.IO v4 / Socket.IO v5
over a websocket to ``/_event``) and sends what Reflex's compiled frontend sends:
``hydrate_and_load`` inside the namespace CONNECT packet, with the browser storage values (the
``bo_session`` cookie, the ``bo_lang`` local-storage value) and the compiled state hashes;
``update_vars_internal`` + ``on_load_internal`` on every client-side navigation; handler events
named ``state.sub_state.handler`` with the router data of the page. Each session then works the
transactions list like staff do (page, sort, filter, open a record, back), thinking 1–3 s
between clicks. Every interaction's round trip is timed from the first frame sent to the delta
that finishes it (``is_hydrated`` back to true for a page load; for a list handler the update
carrying its rows and the ``history.pushState`` of its URL, or a ``_redirect``, which the tab
then loads as a navigation).

Figures are printed and written to bench-results/ws.json. ``--soak 600`` holds the last level
ten minutes, sampling the server's memory every 30 s. ``--memory-probe`` has each worker list
what it holds every minute (``backoffice/ops/memory_probe.py``) and prints what grew, first sample
under load to last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("BACKOFFICE_DATA_DIR", str(ROOT / "data" / "bench"))
os.environ.pop("BACKOFFICE_DB_URL", None)

import redis  # noqa: E402
from wsproto import ConnectionType, WSConnection  # noqa: E402
from wsproto.connection import ConnectionState  # noqa: E402
from wsproto.events import (  # noqa: E402
    AcceptConnection,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError  # noqa: E402

from backoffice.ops import heap_trim  # noqa: E402
from backoffice.ops.memory_probe import proc_kb  # noqa: E402

DEFAULT_REDIS_DB = 11
LIST_PATH = "/r/transaction"
RECORD_PATH = "/r/transaction/record"
GOALS_P95_MS = {50: 100.0, 200: 250.0}
GOAL_KB_PER_SESSION = 200.0
EVENT_TIMEOUT = 30.0
DEBUG = bool(os.environ.get("BENCH_WS_DEBUG"))
ERROR_TOAST = '["error"]('  # rx.toast.error(...) as the frontend receives it
ERROR_GRACE = 2.0


# --------------------------------------------------------------------------- the app's names


@dataclass(frozen=True)
class Names:
    """Event and state names exactly as the compiled frontend has them."""

    root: str
    hydrate: str
    update_vars: str
    on_load: str
    list_state: str
    record_state: str
    lang_key: str
    state_schema: str
    hashes: list[str]
    version: str

    def handler(self, state: str, name: str) -> str:
        return f"{state}.{name}"


def _run_apart(coroutine: Any) -> Any:
    """Run a coroutine to completion in a thread of its own, with this context: a caller may
    already run an event loop in this thread (a test after the browser tests)."""
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(contextvars.copy_context().run, asyncio.run, coroutine).result()


def app_names() -> Names:
    """Import the app (as the backend does) and read the names the frontend is compiled with."""
    import reflex
    from reflex.compiler.utils import compile_client_storage
    from reflex.state import (
        OnLoadInternalState,
        State,
        UpdateVarsInternalState,
        _resolve_delta,
        state_snapshot_hashes,
    )

    import backoffice.backoffice  # noqa: F401  (registers every state)
    from state.resource import ResourceListState, ResourceRecordState

    storage = compile_client_storage(State)
    lang_key = next(k for k, v in storage["local_storage"].items() if v.get("name") == "bo_lang")

    async def hashes() -> list[str]:
        snapshot = State(_reflex_internal_init=True).dict(initial=True)
        return state_snapshot_hashes(await _resolve_delta(snapshot))

    return Names(
        root=State.get_name(),
        hydrate=f"{State.get_name()}.hydrate_and_load",
        update_vars=f"{UpdateVarsInternalState.get_full_name()}.update_vars_internal",
        on_load=f"{OnLoadInternalState.get_full_name()}.on_load_internal",
        list_state=ResourceListState.get_full_name(),
        record_state=ResourceRecordState.get_full_name(),
        lang_key=lang_key,
        state_schema=State._to_frontend_schema(),
        hashes=_run_apart(hashes()),
        version=reflex.constants.Reflex.VERSION,
    )


# --------------------------------------------------------------------------- data and sessions

ROLES = ("executive", "compliance", "product_manager")


def staff_tokens(count: int, roles: tuple[str, ...] = ROLES, prefix: str = "bench.ws") -> list[str]:
    """The bench data set (scripts/bench.py prepares it once) and ``count`` live staff
    sessions spread over one bench user per role, created server-side as a sign-in would."""
    import secrets

    import bench
    from sqlmodel import select

    from backoffice import db
    from backoffice.domains.admin import users
    from backoffice.security import sessions
    from models.identity import User

    bench.prepare()
    tokens = []
    with db.session_scope(write=True) as session:
        users.ensure_roles(session)
        staff = []
        for role in roles:
            name = f"{prefix}.{role}"
            user = session.exec(select(User).where(User.username == name)).first()
            if user is None:
                user, _ = users.create_user(
                    session,
                    actor=None,
                    username=name,
                    display_name=f"Bench {role}",
                    password=secrets.token_urlsafe(24),  # nobody signs in as this user
                    roles=[role],
                )
            staff.append(user)
        for index in range(count):
            tokens.append(sessions.create(session, user=staff[index % len(staff)]))
    return tokens


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


class Server:
    """The production backend on a free port, in its own process group: scripts/serve_prod.py
    (granian respawns a worker that died; the jobs in one scheduler process beside the web
    workers), or with ``respawn=False`` plain ``reflex run --env prod --backend-only`` (the
    scheduler then runs inside every web worker)."""

    def __init__(self, workers: int, redis_db: int, log: Path, respawn: bool = True) -> None:
        self.workers = workers
        self.respawn = respawn
        self.redis_url = f"redis://127.0.0.1:6379/{redis_db}"
        self.log = log
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{free_port()}"  # the frontend the browser came from
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 240) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "REFLEX_REDIS_URL": self.redis_url,
            "GRANIAN_WORKERS": str(self.workers),
            "WEB_CONCURRENCY": str(self.workers),
            "BACKOFFICE_ALLOWED_ORIGINS": self.origin,
            "REFLEX_USE_NPM": "1",
            "REFLEX_TELEMETRY_ENABLED": "false",
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        }
        with self.log.open("w") as out:
            self.process = subprocess.Popen(  # noqa: S603  (our own interpreter, fixed args)
                [
                    sys.executable,
                    *(
                        (str(ROOT / "scripts" / "serve_prod.py"),)
                        if self.respawn
                        else ("-m", "reflex", "run")
                    ),
                    *("--env", "prod", "--backend-only"),
                    *("--backend-port", str(self.port), "--backend-host", "127.0.0.1"),
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the backend exited early:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ping", timeout=2):
                    if len(self.worker_pids()) >= self.workers:
                        return
            except OSError:
                pass
            time.sleep(1)
        raise RuntimeError(
            f"the backend did not answer in {timeout}s:\n{self.log.read_text()[-3000:]}"
        )

    def _leaves(self) -> list[int]:
        if self.process is None:
            return []
        tree = _children()
        leaves, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            kids = tree.get(pid, [])
            if kids:
                todo.extend(kids)
            elif pid != self.process.pid:
                leaves.append(pid)
        return sorted(leaves)

    @staticmethod
    def _cmdline_has(pid: int, text: bytes) -> bool:
        try:
            return text in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False

    @classmethod
    def _is_scheduler(cls, pid: int) -> bool:
        return cls._cmdline_has(pid, b"backoffice\0scheduler")

    def worker_pids(self) -> list[int]:
        """The web workers: the processes of the tree that have no children, but the
        scheduler and multiprocessing's resource tracker (uvicorn's spawned workers)."""
        return [
            pid
            for pid in self._leaves()
            if not self._is_scheduler(pid) and not self._cmdline_has(pid, b"resource_tracker")
        ]

    def scheduler_pids(self) -> list[int]:
        return [pid for pid in self._leaves() if self._is_scheduler(pid)]

    def cpu_seconds(self, pids: list[int] | None = None) -> float:
        """User + system CPU time used so far by the live workers (or by ``pids``)."""
        total = 0
        for pid in self.worker_pids() if pids is None else pids:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def memory_kb(self) -> dict[str, int]:
        """RSS and PSS (shared pages counted once) summed over the workers; the scheduler's."""
        pids, scheduler = self.worker_pids(), self.scheduler_pids()
        return {
            "workers": len(pids),
            "rss_kb": sum(proc_kb(p, "status", "VmRSS") for p in pids),
            "pss_kb": sum(proc_kb(p, "smaps_rollup", "Pss") for p in pids),
            "scheduler_rss_kb": sum(proc_kb(p, "status", "VmRSS") for p in scheduler),
        }

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def redis_figures(url: str) -> dict[str, int]:
    """Memory of this run's Redis database (sum of MEMORY USAGE of its keys) and the server's."""
    client = redis.Redis.from_url(url)
    keys = used = 0
    for key in client.scan_iter(count=1000):
        keys += 1
        used += client.memory_usage(key, samples=0) or 0
    info = client.info("memory")
    return {"keys": keys, "db_bytes": used, "server_used_bytes": int(info["used_memory"])}


# --------------------------------------------------------------------------- the load client


class Closed(Exception):
    """The websocket closed (a worker went away, or the server refused it)."""


class Refused(Exception):
    """The server answered, but not as a signed-in staff member's browser expects."""


class ErrorToast(Refused):
    """The interaction finished with an error toast (a backend exception, a refusal)."""


@dataclass
class Stats:
    samples: list[tuple[float, str, float]] = field(default_factory=list)  # (end, kind, ms)
    errors: list[tuple[float, str]] = field(default_factory=list)
    reconnects: list[float] = field(default_factory=list)  # ms from close to hydrated again

    def window(self, start: float, end: float) -> tuple[list[float], list[str], dict]:
        times = [ms for t, _k, ms in self.samples if start <= t < end]
        errors = [e for t, e in self.errors if start <= t < end]
        kinds: dict[str, list[float]] = {}
        for t, kind, ms in self.samples:
            if start <= t < end:
                kinds.setdefault(kind, []).append(ms)
        return times, errors, kinds


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)  # nearest rank
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def _form(entries: dict[str, str]) -> dict[str, Any]:
    """Form data as the frontend sends it (``getFormData`` + ``encodeFormDataArgs``)."""
    return {"__reflex_form_data__": [[k, v] for k, v in entries.items()]}


class BrowserTab:
    """One browser tab of a signed-in staff member: a websocket to ``/_event`` and the little
    of the frontend's event loop that matters (navigation, redirects, reconnects)."""

    def __init__(self, names: Names, server: Server, cookie: str, stats: Stats) -> None:
        self.names = names
        self.server = server
        self.cookie = cookie
        self.stats = stats
        self.token = str(uuid.uuid4())  # the tab token (sessionStorage), not a secret
        self.path, self.query = LIST_PATH, ""
        self.state: dict[str, dict[str, Any]] = {}
        self.updates: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.ws: WSConnection | None = None
        self.receiver: asyncio.Task | None = None
        self.connected = False
        self.last_ok = 0.0  # when an interaction last finished well
        self.last_sent = (0.0, "")
        self.trail: list[tuple[float, str]] = []  # this tab's failures and reconnects

    def fail(self, message: str) -> None:
        now = time.monotonic()
        self.stats.errors.append((now, message))
        self.trail.append((now, message))

    def reconnected(self, ms: float) -> None:
        self.stats.reconnects.append(ms)
        self.trail.append((time.monotonic(), f"reconnected in {ms:.0f} ms"))

    # ----- wire

    def _router_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "pathname": self.path,
            "asPath": self.path + (f"?{self.query}" if self.query else ""),
        }
        if self.query:
            data["query"] = dict(parse_qsl(self.query))
        return data

    def _storage_vars(self) -> dict[str, str]:
        return {self.names.lang_key: "zh"}

    async def _send_text(self, text: str) -> None:
        if self.writer is None or self.ws is None or self.writer.is_closing():
            raise Closed("not connected")
        if self.ws.state is not ConnectionState.OPEN:
            raise Closed("the websocket closed")
        try:
            self.writer.write(self.ws.send(TextMessage(data=text)))
            await self.writer.drain()
        except (ConnectionError, RuntimeError, LocalProtocolError) as error:
            raise Closed(str(error)) from error

    async def _receive(self) -> None:
        assert self.reader is not None and self.ws is not None and self.writer is not None
        parts: list[str] = []
        try:
            while True:
                data = await self.reader.read(65536)
                self.ws.receive_data(data or None)
                for event in self.ws.events():
                    if isinstance(event, TextMessage):
                        parts.append(event.data)
                        if event.message_finished:
                            await self._packet("".join(parts))
                            parts = []
                    elif isinstance(event, Ping):
                        self.writer.write(self.ws.send(event.response()))
                    elif isinstance(event, CloseConnection):
                        return
                if not data:
                    return
        except (ConnectionError, OSError, LocalProtocolError, RemoteProtocolError):
            return
        finally:
            self.connected = False
            self.updates.put_nowait(None)

    async def _packet(self, text: str) -> None:
        kind, body = text[:1], text[1:]
        if kind == "2":  # Engine.IO ping from the server
            await self._send_text("3")
        elif kind == "4":  # Engine.IO message: a Socket.IO packet
            if body.startswith("2/_event,"):
                name, *args = json.loads(body[len("2/_event,") :])
                if name == "event":
                    self.updates.put_nowait(args[0])
            elif body.startswith("0/_event"):
                self.connected = True
            elif body.startswith("4/_event"):
                self.updates.put_nowait({"connect_error": body})
            elif body.startswith("1/_event"):
                self.updates.put_nowait(None)

    async def _emit(self, event: dict[str, Any]) -> None:
        self.last_sent = (time.monotonic(), event["name"].rsplit(".", 1)[-1])
        await self._send_text("42/_event," + json.dumps(["event", event], ensure_ascii=False))

    def _event(self, name: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        event: dict[str, Any] = {"name": name}
        if payload:
            event["payload"] = payload
        event["router_data"] = self._router_data()
        return event

    # ----- what the frontend does

    async def connect(self, first: bool = True, hydrate: bool = True) -> None:
        """Open the websocket and hydrate with the boot event in the CONNECT packet (or, with
        ``hydrate=False``, connect without one, as a hand-written client may)."""
        host, port = "127.0.0.1", self.server.port
        self.reader, self.writer = await asyncio.open_connection(host, port)
        self.ws = WSConnection(ConnectionType.CLIENT)
        target = "/_event/?" + urlencode(
            {"token": self.token, "EIO": "4", "transport": "websocket"}
        )
        self.writer.write(
            self.ws.send(
                Request(
                    host=f"{host}:{port}",
                    target=target,
                    subprotocols=[self.names.version],
                    extra_headers=[
                        (b"origin", self.server.origin.encode()),
                        # the HttpOnly session cookie the browser sends with the handshake
                        *(
                            [(b"cookie", f"bo_session={self.cookie}".encode())]
                            if self.cookie
                            else []
                        ),
                        (b"user-agent", b"bench_ws (Reflex socket.io protocol)"),
                    ],
                )
            )
        )
        await self.writer.drain()
        while True:  # the HTTP upgrade answer
            data = await self.reader.read(65536)
            if not data:
                raise Closed("closed during the websocket handshake")
            self.ws.receive_data(data)
            events = list(self.ws.events())
            if any(isinstance(e, (RejectConnection, RejectData)) for e in events):
                raise Refused("websocket upgrade refused")
            if any(isinstance(e, AcceptConnection) for e in events):
                break
        self.updates = asyncio.Queue()
        self.receiver = asyncio.create_task(self._receive())
        payload: dict[str, Any] = {"vars": self._storage_vars()}
        if first:
            payload["hashes"] = self.names.hashes
        boot = {
            "name": self.names.hydrate,
            "payload": payload,
            "router_data": self._router_data(),
        }
        auth = {"event": boot, "state_schema": self.names.state_schema}
        if not hydrate:
            del auth["event"]
        await self._send_text("40/_event," + json.dumps(auth, ensure_ascii=False))

    async def close(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(Exception):
                await self._send_text("41/_event,")
                self.writer.write(self.ws.send(CloseConnection(code=1000)))
                await self.writer.drain()
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        if self.receiver is not None:
            self.receiver.cancel()
            with contextlib.suppress(BaseException):
                await self.receiver

    def _apply(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        for name, delta in (update.get("delta") or {}).items():
            self.state.setdefault(name, {}).update(delta)
        return list(update.get("events") or [])

    async def _until(self, done: Callable[[dict[str, Any], list], bool]) -> list[dict]:
        """Apply updates until ``done(update, frontend events)``; the events seen on the way."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + EVENT_TIMEOUT
        failed: list[dict[str, Any]] = []
        while True:
            try:
                update = await asyncio.wait_for(self.updates.get(), deadline - time.monotonic())
            except TimeoutError as error:
                if failed:  # a handler raised: its chain may never finish
                    raise ErrorToast(json.dumps(failed[0]["payload"])[:300]) from error
                raise Refused(f"no answer in {EVENT_TIMEOUT:.0f}s") from error
            if update is None:
                raise Closed("the websocket closed")
            if "connect_error" in update:
                raise Refused(update["connect_error"][:200])
            events = self._apply(update)
            seen.extend(events)
            if not failed:
                failed = [
                    e
                    for e in events
                    if ERROR_TOAST in str((e.get("payload") or {}).get("function", ""))
                ]
                if failed:  # wait a moment for the rest of the chain, not the full timeout
                    deadline = min(deadline, time.monotonic() + ERROR_GRACE)
            if DEBUG and events:
                print("frontend events:", json.dumps(events, ensure_ascii=False)[:600])
            for event in events:
                if event.get("name") == "_redirect" and str(
                    (event.get("payload") or {}).get("path", "")
                ).startswith("/login"):
                    raise Refused("sent to the sign-in page")
            if done(update, events):
                if failed:
                    raise ErrorToast(json.dumps(failed[0]["payload"], ensure_ascii=False)[:300])
                self.last_ok = time.monotonic()
                return seen

    def _hydrated(self, update: dict[str, Any], _events: list) -> bool:
        root = (update.get("delta") or {}).get(self.names.root, {})
        return root.get("is_hydrated_rx_state_") is True

    @staticmethod
    def _pushed(event: dict[str, Any]) -> str:
        """The URL a list handler put in the address bar (``history.pushState``), or ""."""
        code = str((event.get("payload") or {}).get("javascript_code", ""))
        if event.get("name") != "_call_script" or "history.pushState" not in code:
            return ""
        return json.loads(code[code.index('"') : code.rindex('"') + 1])

    @classmethod
    def _moved(cls, _update: dict[str, Any], events: list) -> bool:
        return any(e.get("name") == "_redirect" or cls._pushed(e) for e in events)

    async def hydrate(self, first: bool = True) -> float:
        started = time.perf_counter()
        await self.connect(first)
        await self._until(self._hydrated)
        return (time.perf_counter() - started) * 1000

    async def navigate(self, path: str, query: str = "") -> float:
        """A client-side navigation: the page's on_load handlers through on_load_internal."""
        self.path, self.query = path, query
        started = time.perf_counter()
        await self._emit(self._event(self.names.update_vars, {"vars": self._storage_vars()}))
        await self._emit(self._event(self.names.on_load))
        await self._until(self._hydrated)
        return (time.perf_counter() - started) * 1000

    async def click(
        self, state: str, handler: str, payload: dict[str, Any]
    ) -> tuple[float, str | None]:
        """A list handler: it answers with the new rows and the URL it pushed into the address
        bar (the tab is then on that URL, nothing more to load), or with a redirect whose path
        is returned for the caller to load."""
        started = time.perf_counter()
        await self._emit(self._event(self.names.handler(state, handler), payload))
        events = await self._until(self._moved)
        elapsed = (time.perf_counter() - started) * 1000
        for event in events:
            if event.get("name") == "_redirect":
                return elapsed, event["payload"]["path"]
            if pushed := self._pushed(event):
                parts = urlsplit(pushed)
                self.path, self.query = parts.path, parts.query
                return elapsed, None
        raise AssertionError("unreachable")

    async def call(
        self, state: str, handler: str, payload: dict[str, Any], until: Callable
    ) -> tuple[float, list]:
        started = time.perf_counter()
        await self._emit(self._event(self.names.handler(state, handler), payload))
        events = await self._until(until)
        return (time.perf_counter() - started) * 1000, events

    async def follow(self, path: str) -> float:
        parts = urlsplit(path)
        return await self.navigate(parts.path, parts.query)

    async def reconnect(self) -> float:
        """Like socket.io-client after a transport close: retry with 200 ms × attempt back-off,
        rehydrating in full (no hashes) on the page the tab is on."""
        started = time.perf_counter()
        attempt = 0
        while True:
            await self.close()
            attempt = min(attempt + 1, 10)
            try:
                await self.hydrate(first=False)
                return (time.perf_counter() - started) * 1000
            except (Closed, OSError, Refused):
                await asyncio.sleep(0.2 * attempt)
                if time.perf_counter() - started > 120:
                    raise


# --------------------------------------------------------------------------- staff-like work

SORTS = ("amount", "occurred_at", "txn_no")
FILTERS = (
    {"kind": "redemption", "status": "__all", "amount__min": "10000"},
    {"kind": "__all", "status": "settled", "amount__min": ""},
    {"kind": "subscription", "status": "__all", "amount__min": "50000"},
    {"kind": "__all", "status": "__all", "amount__min": ""},
)


class StaffSession:
    """Works the transactions list: page, sort, filter, open a record and go back."""

    def __init__(self, tab: BrowserTab, rng: random.Random, think: tuple[float, float]) -> None:
        self.tab = tab
        self.rng = rng
        self.think = think
        self.list_url = LIST_PATH

    def _record(self, t: float, kind: str, ms: float) -> None:
        self.tab.stats.samples.append((t, kind, ms))

    async def _step(self) -> None:
        tab, names = self.tab, self.tab.names
        rows = tab.state.get(names.list_state, {}).get("rows_rx_state_", [])
        choice = self.rng.random()
        if tab.path != LIST_PATH:  # on a record: back to the list
            self._record(time.monotonic(), "back to list", await tab.follow(self.list_url))
            return
        if choice < 0.35:
            page = tab.state.get(names.list_state, {}).get("page_rx_state_", 1)
            page = page + 1 if self.rng.random() < 0.8 else max(1, page - 1)
            ms, path = await tab.click(names.list_state, "go_to_page", {"page": page})
            self._record(time.monotonic(), "page (handler)", ms)
        elif choice < 0.55:
            ms, path = await tab.click(
                names.list_state, "sort_by", {"name": self.rng.choice(SORTS)}
            )
            self._record(time.monotonic(), "sort (handler)", ms)
        elif choice < 0.75:
            entries = {"q": "", **self.rng.choice(FILTERS), "amount__max": ""}
            ms, path = await tab.click(names.list_state, "apply", {"form_data": _form(entries)})
            self._record(time.monotonic(), "filter (handler)", ms)
        else:
            if not rows:
                self._record(time.monotonic(), "page load", await tab.follow(LIST_PATH))
                return
            self.list_url = LIST_PATH + (f"?{tab.query}" if tab.query else "")
            row = self.rng.choice(rows)
            ms = await tab.follow(f"{RECORD_PATH}?id={row['id']}")
            self._record(time.monotonic(), "open record", ms)
            return
        if path is not None:  # redirected: the browser loads that page
            self._record(time.monotonic(), "page load", await tab.follow(path))

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await self._work(stop)
        except Exception as error:  # a client fault must show, not end a tab silently
            self.tab.fail(f"load client: {type(error).__name__}: {error}")
        finally:
            await self.tab.close()

    async def _work(self, stop: asyncio.Event) -> None:
        tab = self.tab
        try:
            self._record(time.monotonic(), "hydrate + list", await tab.hydrate())
        except (Closed, Refused, OSError) as error:
            tab.fail(f"connect: {error}")
            return
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.rng.uniform(*self.think))
            if stop.is_set():
                break
            try:
                await self._step()
            except ErrorToast as error:  # answered, with an error: the page still works
                tab.fail(f"error toast: {error}")
            except (Closed, Refused, OSError) as error:
                tab.fail(f"{type(error).__name__}: {error}")
                closed = time.perf_counter()
                try:
                    await tab.reconnect()
                except (Closed, Refused, OSError) as again:
                    tab.fail(f"reconnect failed: {again}")
                    return
                tab.reconnected((time.perf_counter() - closed) * 1000)


# --------------------------------------------------------------------------- the run


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def summarise(stats: Stats, start: float, end: float) -> dict[str, Any]:
    times, errors, kinds = stats.window(start, end)
    seconds = max(end - start, 1e-9)
    return {
        "interactions": len(times),
        "per_second": round(len(times) / seconds, 1),
        "p50_ms": round(percentile(times, 50), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "p99_ms": round(percentile(times, 99), 1),
        "max_ms": round(max(times), 1) if times else None,
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "by_kind": {
            kind: {
                "n": len(v),
                "p50_ms": round(percentile(v, 50), 1),
                "p95_ms": round(percentile(v, 95), 1),
            }
            for kind, v in sorted(kinds.items())
        },
    }


async def run_levels(args: argparse.Namespace, names: Names, server: Server) -> dict[str, Any]:
    stats = Stats()
    stop = asyncio.Event()
    tokens = staff_tokens(max(args.sessions) + 2 * args.workers)
    rng = random.Random(args.seed)
    tasks: list[asyncio.Task] = []
    think = (args.think_min, args.think_max)

    # warm-up: a few sessions (enough to reach every worker) click through everything for a
    # while and leave, so the baseline holds the imports, caches and pools, not the sessions
    warm_stop, warm_stats = asyncio.Event(), Stats()
    warm_tasks = [
        asyncio.create_task(
            StaffSession(BrowserTab(names, server, token, warm_stats), rng, (0.2, 0.5)).run(
                warm_stop
            )
        )
        for token in tokens[: 2 * args.workers]
    ]
    await asyncio.sleep(args.warmup)
    warm_stop.set()
    await asyncio.gather(*warm_tasks)
    await asyncio.sleep(3)
    if warm_stats.errors:
        print(f"warm-up errors: {sorted({e for _t, e in warm_stats.errors})[:3]}", flush=True)
    baseline = {**await settled_memory_kb(server), **redis_figures(server.redis_url)}
    print(
        f"baseline after warm-up: {baseline['workers']} workers, RSS "
        f"{baseline['rss_kb'] / 1024:.0f} MiB, PSS {baseline['pss_kb'] / 1024:.0f} MiB",
        flush=True,
    )
    levels = []
    for level in args.sessions:
        ramp_start = time.monotonic()
        new = level - len(tasks)
        for _ in range(new):
            session = StaffSession(BrowserTab(names, server, tokens.pop(), stats), rng, think)
            # tokens[: 2 * workers] served the warm-up: the measured sessions are new ones
            tasks.append(asyncio.create_task(session.run(stop)))
            await asyncio.sleep(args.ramp / max(new, 1))
        hold_start = time.monotonic()
        cpu_start, client_cpu_start = server.cpu_seconds(), time.process_time()
        scheduler_cpu_start = server.cpu_seconds(server.scheduler_pids())
        hold = args.hold if level != args.sessions[-1] or not args.soak else args.soak
        print(
            f"{level} sessions connected in {hold_start - ramp_start:.0f}s; holding {hold}s",
            flush=True,
        )
        samples = []
        end = hold_start + hold
        while time.monotonic() < end:
            await asyncio.sleep(min(30.0, end - time.monotonic()))
            samples.append(
                {
                    "t": round(time.monotonic() - hold_start),
                    **server.memory_kb(),
                    "load": load_average(),
                }
            )
        hold_end = time.monotonic()
        cpu = server.cpu_seconds() - cpu_start
        scheduler_cpu = server.cpu_seconds(server.scheduler_pids()) - scheduler_cpu_start
        client_cpu = time.process_time() - client_cpu_start
        memory = server.memory_kb()
        rds = redis_figures(server.redis_url)
        figures = summarise(stats, hold_start, hold_end)
        figures.update(
            {
                "sessions": level,
                "ramp_s": round(hold_start - ramp_start, 1),
                "hold_s": round(hold_end - hold_start, 1),
                "ramp_errors": len(stats.window(ramp_start, hold_start)[1]),
                "workers": memory["workers"],
                "rss_kb": memory["rss_kb"],
                "pss_kb": memory["pss_kb"],
                "server_cpu_ms_per_interaction": round(
                    1000 * cpu / max(figures["interactions"], 1), 1
                ),
                "server_cpu_cores": round(cpu / (hold_end - hold_start), 2),
                "client_cpu_cores": round(client_cpu / (hold_end - hold_start), 2),
                "scheduler_cpu_cores": round(scheduler_cpu / (hold_end - hold_start), 2),
                "scheduler_rss_kb": memory["scheduler_rss_kb"],
                "rss_kb_per_session": round((memory["rss_kb"] - baseline["rss_kb"]) / level, 1),
                "pss_kb_per_session": round((memory["pss_kb"] - baseline["pss_kb"]) / level, 1),
                "redis_keys": rds["keys"],
                "redis_db_kb_per_session": round(
                    (rds["db_bytes"] - baseline["db_bytes"]) / 1024 / level, 1
                ),
                "redis_server_kb_per_session": round(
                    (rds["server_used_bytes"] - baseline["server_used_bytes"]) / 1024 / level, 1
                ),
                "load_average": load_average(),
                "memory_samples": samples,
            }
        )
        if levels:  # what each added session costs, between this level and the previous one
            previous = levels[-1]
            figures["pss_kb_per_added_session"] = round(
                (memory["pss_kb"] - previous["pss_kb"]) / (level - previous["sessions"]), 1
            )
        levels.append(figures)
        print_level(figures)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    if levels:  # what the sessions themselves held: the last level's memory less what stays
        await asyncio.sleep(heap_trim.interval_from_environment() + 5)  # their heap given back
        left = await settled_memory_kb(server)
        last = levels[-1]
        last["pss_kb_after_sessions_left"] = left["pss_kb"]
        last["pss_kb_held_per_session"] = round(
            (last["pss_kb"] - left["pss_kb"]) / last["sessions"], 1
        )
        print(
            f"after the {last['sessions']} sessions left: workers PSS "
            f"{left['pss_kb'] / 1024:.0f} MiB (baseline {baseline['pss_kb'] / 1024:.0f} MiB); "
            f"the sessions held {last['pss_kb_held_per_session']} KB each",
            flush=True,
        )
    return {"baseline": baseline, "levels": levels, "reconnects": len(stats.reconnects)}


async def settled_memory_kb(server: Server, samples: int = 5, every: float = 2.0) -> dict:
    """The workers' memory as the median of a few samples: one sample moved by 20 MB between
    runs (a trim, a collection or a late task caught mid-way)."""
    taken = []
    for n in range(samples):
        taken.append(server.memory_kb())
        if n < samples - 1:
            await asyncio.sleep(every)
    return {key: sorted(sample[key] for sample in taken)[samples // 2] for key in taken[0].keys()}


def print_level(f: dict[str, Any]) -> None:
    print(
        f"  {f['sessions']:>4} sessions, {f['workers']} workers: {f['interactions']} interactions "
        f"({f['per_second']}/s), p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms, "
        f"p99 {f['p99_ms']} ms, errors {f['errors']} (+{f['ramp_errors']} while ramping)",
        flush=True,
    )
    print(
        f"        CPU: workers {f['server_cpu_cores']} cores "
        f"({f['server_cpu_ms_per_interaction']} ms per interaction), load client "
        f"{f['client_cpu_cores']} cores, scheduler process {f['scheduler_cpu_cores']} cores "
        f"(RSS {f['scheduler_rss_kb'] / 1024:.0f} MiB)",
        flush=True,
    )
    added = f.get("pss_kb_per_added_session")
    print(
        f"        memory per session: workers RSS {f['rss_kb_per_session']} KB, "
        f"PSS {f['pss_kb_per_session']} KB; Redis {f['redis_db_kb_per_session']} KB "
        f"({f['redis_keys']} keys); load average {f['load_average']}"
        + (f"; each added session: worker PSS {added} KB" if added is not None else ""),
        flush=True,
    )
    for kind, k in f["by_kind"].items():
        print(f"        {kind:<16} n={k['n']:<6} p50 {k['p50_ms']:>7} ms  p95 {k['p95_ms']:>7} ms")


def verdicts(result: dict[str, Any], soak: int) -> list[tuple[str, bool]]:
    checks = []
    for f in result["levels"]:
        goal = GOALS_P95_MS.get(f["sessions"])
        if goal is not None:
            checks.append(
                (
                    f"p95 under {goal:.0f} ms at {f['sessions']} sessions (p95 {f['p95_ms']} ms)",
                    f["p95_ms"] < goal,
                )
            )
        checks.append(
            (
                f"zero errors at {f['sessions']} sessions ({f['errors'] + f['ramp_errors']})",
                f["errors"] + f["ramp_errors"] == 0,
            )
        )
        checks.extend(memory_verdict(f, only_level=len(result["levels"]) == 1))
    if soak and result["levels"]:
        last = result["levels"][-1]
        samples = last["memory_samples"]
        if len(samples) >= 3:
            first, final = samples[1]["pss_kb"], samples[-1]["pss_kb"]
            growth = (final - first) / last["sessions"]
            last["soak_growth_kb_per_session"] = round(growth, 1)
            checks.append(
                (
                    f"memory flat over {soak}s ({growth:+.1f} KB per session, minute 1 to end)",
                    abs(growth) < GOAL_KB_PER_SESSION / 10,
                )
            )
    return checks


def memory_verdict(f: dict[str, Any], only_level: bool) -> list[tuple[str, bool]]:
    """Memory per session is what one more session costs: the growth from the previous level
    divided by the sessions added, plus its Redis keys. The growth over the warm baseline
    divided by the sessions also holds a rise that comes once, with the first real use (caches,
    pooled connections, the heap's high-water mark), which no later session adds to; it is
    printed beside, and is the verdict only where there is no previous level to measure from."""
    redis = max(0.0, f["redis_db_kb_per_session"])
    added = f.get("pss_kb_per_added_session")
    if added is None:
        if not only_level:
            return []  # the first of several levels: its cost is measured at the next
        per = f["pss_kb_per_session"] + redis
        return [
            (
                f"memory per session under {GOAL_KB_PER_SESSION:.0f} KB at {f['sessions']} "
                f"(worker PSS over the warm baseline {f['pss_kb_per_session']} + Redis "
                f"{f['redis_db_kb_per_session']} KB; one level only, so the first use's rise "
                "is counted in)",
                per < GOAL_KB_PER_SESSION,
            )
        ]
    return [
        (
            f"memory per session under {GOAL_KB_PER_SESSION:.0f} KB at {f['sessions']} "
            f"(each added session: worker PSS {added} + Redis {f['redis_db_kb_per_session']} KB; "
            f"over the warm baseline {f['pss_kb_per_session']} KB)",
            added + redis < GOAL_KB_PER_SESSION,
        )
    ]


def probe_growth(directory: Path) -> list[dict[str, Any]]:
    """Per worker, what grew from its second sample (under load) to its last, printed."""
    growth = []
    for path in sorted(directory.glob("memory-*.jsonl")):
        samples = [json.loads(line) for line in path.read_text().splitlines() if line]
        if len(samples) < 3:
            continue
        first, last = samples[1], samples[-1]
        minutes = (last["at"] - first["at"]) / 60
        kinds = {
            kind: last["types"].get(kind, 0) - first["types"].get(kind, 0)
            for kind in set(first["types"]) | set(last["types"])
        }
        grown = dict(sorted(kinds.items(), key=lambda item: -abs(item[1]))[:8])
        figures = {
            "pid": last["pid"],
            "minutes": round(minutes, 1),
            **{
                f"{key}_growth": last.get(key, 0) - first.get(key, 0)
                for key in (
                    "rss_kb",
                    "anon_kb",
                    "py_blocks",
                    "gc_objects",
                    "pymalloc_arenas",
                    "pymalloc_free_kb",
                    "malloc_system_kb",
                    "malloc_used_kb",
                    "malloc_free_kb",
                )
            },
            "kinds_grown": grown,
        }
        growth.append(figures)
        print(
            f"worker {figures['pid']} over {minutes:.1f} min: RSS {figures['rss_kb_growth']:+} KB "
            f"(anonymous {figures['anon_kb_growth']:+} KB), Python blocks "
            f"{figures['py_blocks_growth']:+}, tracked objects {figures['gc_objects_growth']:+}, "
            f"Python arenas {figures['pymalloc_arenas_growth']:+} (free in them "
            f"{figures['pymalloc_free_kb_growth']:+} KB), "
            f"malloc heap {figures['malloc_system_kb_growth']:+} KB "
            f"in {last.get('malloc_arenas')} arenas, in use "
            f"{figures['malloc_used_kb_growth']:+} KB, malloc free "
            f"{figures['malloc_free_kb_growth']:+} KB; most changed: {grown}"
        )
    return growth


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="50,200", help="levels, e.g. 50,200")
    parser.add_argument("--hold", type=int, default=60, help="seconds held at each level")
    parser.add_argument("--ramp", type=float, default=20.0, help="seconds to reach a level")
    parser.add_argument("--soak", type=int, default=0, help="hold the last level this long instead")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="web workers (one a core)"
    )
    parser.add_argument(
        "--launcher",
        choices=("serve_prod", "reflex"),
        default="serve_prod",
        help="scripts/serve_prod.py (the production recipe: jobs in their own process) or plain "
        "`reflex run` (jobs inside every web worker)",
    )
    parser.add_argument(
        "--server",
        choices=("granian", "uvicorn"),
        default=os.environ.get("BACKOFFICE_WEB_SERVER", "uvicorn"),
        help="the web server serve_prod.py runs (BACKOFFICE_WEB_SERVER)",
    )
    parser.add_argument(
        "--memory-probe",
        action="store_true",
        help="each worker samples its objects every minute; what grew is printed at the end",
    )
    parser.add_argument("--redis-db", type=int, default=DEFAULT_REDIS_DB)
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds of warm-up clicks")
    args = parser.parse_args()
    args.sessions = [int(s) for s in args.sessions.split(",")]

    names = app_names()
    probe = ROOT / "bench-results" / "memory-probe"
    if args.memory_probe:
        for old in probe.glob("memory-*.jsonl"):
            old.unlink()
        os.environ["BACKOFFICE_MEMORY_PROBE"] = str(probe)
    os.environ["BACKOFFICE_WEB_SERVER"] = args.server  # the backend's environment inherits it
    redis.Redis.from_url(f"redis://127.0.0.1:6379/{args.redis_db}").flushdb()
    server = Server(
        args.workers,
        args.redis_db,
        ROOT / "bench-results" / "ws-server.log",
        respawn=args.launcher == "serve_prod",
    )
    print(
        f"starting the production backend ({args.server}, {args.workers} workers, "
        f"Redis db {args.redis_db})…",
        flush=True,
    )
    try:
        server.start()
        print(f"workers running: {server.worker_pids()} on port {server.port}", flush=True)
        result = asyncio.run(run_levels(args, names, server))
    finally:
        server.stop()
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(server.redis_url).flushdb()
    checks = verdicts(result, args.soak)
    if args.memory_probe:
        result["memory_probe"] = probe_growth(probe)
    print()
    for text, ok in checks:
        print(f"{'ok    ' if ok else 'MISSED'}  {text}")
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    result.update(
        {
            "workers": args.workers,
            "launcher": args.launcher,
            "server": args.server,
            "think_s": [args.think_min, args.think_max],
            "hold_s": args.hold,
            "soak_s": args.soak,
            "cpus": os.cpu_count(),
            "checks": [{"check": t, "ok": ok} for t, ok in checks],
        }
    )
    (out / "ws.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print("written to bench-results/ws.json (server log: bench-results/ws-server.log)")
    return 0 if all(ok for _t, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
