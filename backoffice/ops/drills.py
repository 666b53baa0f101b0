"""Reliability drill: the database goes away for a few seconds while staff keep saving.

On a PostgreSQL server, the drill makes a database of its own (never the application's), runs
engine-service writes (create a partner, then edit it, each with its audit entry) from several
threads, and meanwhile shuts the database: ``ALLOW_CONNECTIONS false`` and every session of it
terminated, then reopened after a few seconds. It then checks what staff would care about:
failures came back as clear errors within a time limit, every save that reported success is
there, no record lacks its audit entry or the reverse, the audit chain verifies, and saves work
again. ``scripts/drill_db_outage.py`` (``make drill``) prints the figures.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, func, select

import backoffice.domains  # noqa: F401  (registers the partner resource)
import models  # noqa: F401  (every table, for create_all)
from backoffice.db import make_engine, normalise_url
from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.platform import audit
from backoffice.security.rbac import Principal
from models.audit import AuditEntry
from models.partners import Partner

PREFIX = "drill-"


@dataclass
class Outcome:
    kind: str  # "create" | "edit"
    started: float
    seconds: float
    ok: bool
    name: str = ""
    error: str = ""


@dataclass
class DrillReport:
    database: str
    threads: int
    outage_seconds: float
    outcomes: list[Outcome] = field(default_factory=list)
    outage_started: float = 0.0
    outage_ended: float = 0.0
    first_success_after: float | None = None
    rows: int = 0
    create_entries: int = 0
    edit_entries: int = 0
    chain_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def succeeded(self) -> int:
        return sum(o.ok for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def recovery_seconds(self) -> float | None:
        if self.first_success_after is None:
            return None
        return self.first_success_after - self.outage_ended

    def successes_inside_outage(self, margin: float = 0.5) -> int:
        """Saves that completed while the database was closed (its first moments aside)."""
        return sum(
            o.ok and self.outage_started + margin <= o.started + o.seconds < self.outage_ended
            for o in self.outcomes
        )

    def error_kinds(self) -> Counter[str]:
        return Counter(_kind(o.error) for o in self.failed)

    def summary(self) -> list[str]:
        during = [o for o in self.outcomes if self.outage_started <= o.started < self.outage_ended]
        slowest = max((o.seconds for o in self.failed), default=0.0)
        recovery = self.recovery_seconds
        lines = [
            f"database {self.database}; {self.threads} writer threads; "
            f"outage {self.outage_seconds:.1f}s",
            f"saves: {len(self.outcomes)} tried, {self.succeeded} succeeded, "
            f"{len(self.failed)} failed ({len(during)} started during the outage)",
            f"slowest failure {slowest:.2f}s; errors by kind: {dict(self.error_kinds())}",
            "first success after the database came back: "
            + (f"{recovery:.2f}s" if recovery is not None else "never"),
            f"afterwards: {self.rows} drill records, {self.create_entries} create and "
            f"{self.edit_entries} edit audit entries, chain of {self.chain_checked} verified",
        ]
        examples = {_kind(o.error): o.error for o in self.failed}
        lines += [f"  e.g. {text[:160]}" for text in list(examples.values())[:3]]
        lines += [f"PROBLEM: {problem}" for problem in self.problems]
        return lines


_KINDS = (
    ("not currently accepting connections", "refused at connect"),
    ("terminating connection", "session terminated mid-transaction"),
    ("server closed the connection", "session terminated mid-transaction"),
    ("consuming input failed", "session terminated mid-transaction"),
    ("QueuePool limit", "no free connection in time"),
    ("statement timeout", "statement timeout"),
)


def _kind(error: str) -> str:
    for needle, kind in _KINDS:
        if needle in error:
            return kind
    return error.split(":", 1)[0]


def _drill_principal() -> Principal:
    return Principal(
        user_id=0,
        username="drill",
        display_name="Drill",
        session_id=0,
        roles=frozenset({"drill"}),
        permissions=frozenset({("partner", "create"), ("partner", "edit"), ("partner", "view")}),
    )


def _describe(error: BaseException) -> str:
    text = " ".join(str(getattr(error, "orig", None) or error).split())
    return f"{type(error).__name__}: {text}"


class _Writers:
    def __init__(self, engine: Engine, threads: int, time_limit: float) -> None:
        self.engine = engine
        self.threads = threads
        self.time_limit = time_limit
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.outcomes: list[Outcome] = []
        self.confirmed_creates: set[str] = set()
        self.confirmed_edits: set[str] = set()
        self.pool: list[threading.Thread] = []

    def _note(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)

    def _save(self, kind: str, name: str, work) -> bool:  # noqa: ANN001
        started = time.monotonic()
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                result = work(session)
                if not result.ok:
                    raise RuntimeError(f"refused: {result.message or result.errors}")
                session.commit()
        except Exception as error:  # every failure is recorded and checked by the drill
            self._note(
                Outcome(kind, started, time.monotonic() - started, False, name, _describe(error))
            )
            time.sleep(0.05)
            return False
        self._note(Outcome(kind, started, time.monotonic() - started, True, name))
        with self.lock:
            (self.confirmed_creates if kind == "create" else self.confirmed_edits).add(name)
        return True

    def _loop(self, n: int) -> None:
        resource = get("partner")
        principal = _drill_principal()
        i = 0
        while not self.stop.is_set():
            i += 1
            name = f"{PREFIX}{n}-{i}"
            created: dict[str, int] = {}

            def create(session: Session, name: str = name, i: int = i, created: dict = created):
                result = service.create(
                    session,
                    principal=principal,
                    resource=resource,
                    values={
                        "name": name,
                        "kind": "bank",
                        "licence_no": f"L{n}{i:06d}",
                        "status": "prospect",
                    },
                )
                created["id"] = result.record_id or 0
                return result

            if not self._save("create", name, create):
                continue

            def edit(session: Session, created: dict = created):
                return service.update(
                    session,
                    principal=principal,
                    resource=resource,
                    record_id=created["id"],
                    version=1,
                    values={"notes": "edited in the drill"},
                )

            self._save("edit", name, edit)

    def start(self) -> None:
        self.pool = [
            threading.Thread(target=self._loop, args=(n,), daemon=True) for n in range(self.threads)
        ]
        for thread in self.pool:
            thread.start()

    def finish(self) -> list[str]:
        self.stop.set()
        stuck = []
        for thread in self.pool:
            thread.join(timeout=self.time_limit + 5)
            if thread.is_alive():
                stuck.append(thread.name)
        return stuck


def _admin(url: str) -> Engine:
    return make_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _block(admin: Engine, name: str, allow: bool) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}'))
        if not allow:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )


def _check(report: DrillReport, engine: Engine, writers: _Writers, time_limit: float) -> None:
    problems = report.problems
    for outcome in writers.outcomes:
        if outcome.seconds > time_limit:
            problems.append(
                f"a {outcome.kind} took {outcome.seconds:.1f}s (limit {time_limit:.0f}s)"
            )
            break
    unclear = [
        o
        for o in writers.outcomes
        if not o.ok
        and not o.error.startswith(
            ("OperationalError", "InterfaceError", "DBAPIError", "PendingRollbackError")
        )
    ]
    if unclear:
        problems.append(f"{len(unclear)} failures were not database errors: {unclear[0].error}")
    if not report.failed or report.successes_inside_outage():
        problems.append("saves went through while the database was closed: no real outage")
    with Session(engine) as session:
        partners = {
            p.name: p for p in session.exec(select(Partner).where(Partner.name.startswith(PREFIX)))
        }
        entries = session.exec(
            select(AuditEntry.action, AuditEntry.entity_id, func.count())
            .where(AuditEntry.entity == "partner")
            .group_by(AuditEntry.action, AuditEntry.entity_id)
        ).all()
        chain = audit.verify_chain(session)
    counts = {(action, entity_id): count for action, entity_id, count in entries}
    report.rows = len(partners)
    report.create_entries = sum(c for (a, _), c in counts.items() if a == "partner.create")
    report.edit_entries = sum(c for (a, _), c in counts.items() if a == "partner.edit")
    report.chain_checked = chain.checked
    lost = writers.confirmed_creates - partners.keys()
    if lost:
        problems.append(f"{len(lost)} confirmed creates are missing, e.g. {sorted(lost)[0]}")
    unedited = [n for n in writers.confirmed_edits if n in partners and partners[n].version != 2]
    if unedited:
        problems.append(f"{len(unedited)} confirmed edits are missing, e.g. {unedited[0]}")
    for partner in partners.values():
        key = str(partner.id)
        if counts.get(("partner.create", key)) != 1:
            problems.append(f"partner {partner.name} has no single create entry")
            break
        if counts.get(("partner.edit", key), 0) != partner.version - 1:
            problems.append(
                f"partner {partner.name} (v{partner.version}) and its edit entries differ"
            )
            break
    ids = {str(p.id) for p in partners.values()}
    orphans = [k for (_a, k) in counts if k not in ids]
    if orphans:
        problems.append(f"{len(orphans)} audit entries name no record, e.g. partner {orphans[0]}")
    if not chain.ok:
        problems.append(f"audit chain broken at {chain.first_broken_id}: {chain.reason}")
    if report.first_success_after is None:
        problems.append("no save succeeded after the database came back")


def run_db_outage(
    url: str,
    *,
    threads: int = 4,
    warmup: float = 2.0,
    outage: float = 4.0,
    after: float = 3.0,
    time_limit: float = 10.0,
    progress=print,  # noqa: ANN001
) -> DrillReport:
    """Run the drill on a throw-away database of the PostgreSQL server at ``url``."""
    url = normalise_url(url)
    base = make_url(url)
    if base.get_backend_name() != "postgresql":
        raise ValueError("the outage drill needs PostgreSQL (it closes a database of its own)")
    name = f"bo_drill_{secrets.token_hex(4)}"
    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    drill_url = base.set(database=name).render_as_string(hide_password=False)
    # A short connect timeout and statement timeout: a save never waits long for a dead server.
    engine = make_engine(
        drill_url,
        pool_size=threads,
        pool_timeout=5,
        connect_args={"connect_timeout": 3, "options": "-c statement_timeout=5000"},
    )
    report = DrillReport(database=name, threads=threads, outage_seconds=outage)
    try:
        SQLModel.metadata.create_all(engine)
        writers = _Writers(engine, threads, time_limit)
        progress(f"drill database {name} ready; {threads} writers start")
        writers.start()
        time.sleep(warmup)
        report.outage_started = time.monotonic()
        _block(admin, name, allow=False)
        progress(f"database closed (connections refused, sessions terminated) for {outage:.0f}s")
        deadline = report.outage_started + outage
        while time.monotonic() < deadline:
            time.sleep(0.5)
            _block(admin, name, allow=False)  # sessions that slipped in are closed again
        _block(admin, name, allow=True)
        report.outage_ended = time.monotonic()
        progress("database open again")
        time.sleep(after)
        stuck = writers.finish()
        if stuck:
            report.problems.append(f"{len(stuck)} writer threads still hang")
        report.outcomes = sorted(writers.outcomes, key=lambda o: o.started)
        report.first_success_after = min(
            (
                o.started + o.seconds
                for o in report.outcomes
                if o.ok and o.started + o.seconds >= report.outage_ended
            ),
            default=None,
        )
        _check(report, engine, writers, time_limit)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return report
