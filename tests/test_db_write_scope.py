"""Write scopes on SQLite: with several processes (web workers, the scheduler) a transaction that
read and then writes is refused once another connection committed in between
(SQLITE_BUSY_SNAPSHOT, "database is locked"; busy_timeout does not help). A write scope begins
with BEGIN IMMEDIATE: the second writer waits for the first and both writes land. Reads stay
deferred, nested scopes included.

The SQLite tests use two engines on one file (two connections, as two processes would have);
they build their own engines, so they do not run again on PostgreSQL or MariaDB."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from backoffice import db
from models.base import utcnow
from models.jobs import JobRun

COUNTER = sa.text("SELECT n FROM counter WHERE id = 1")


def _increment(session: sa.orm.Session, seen: int) -> None:
    session.execute(sa.text("UPDATE counter SET n = :n WHERE id = 1"), {"n": seen + 1})


@pytest.fixture
def two_engines(tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one SQLite file holding a counter at 0."""
    url = f"sqlite:///{tmp_path / 'two.db'}"
    first, second = db.make_engine(url), db.make_engine(url)
    with first.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO counter (id, n) VALUES (1, 0)")
    yield first, second
    first.dispose()
    second.dispose()


@pytest.fixture
def scopes_on(monkeypatch: pytest.MonkeyPatch):
    """Point session_scope at an engine per thread, as if each thread were its own process."""
    chosen: dict[int, Engine] = {}

    def use(engine: Engine) -> None:
        chosen[threading.get_ident()] = engine

    monkeypatch.setattr(db, "engine", lambda: chosen[threading.get_ident()])
    return use


def _value(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(COUNTER).scalar_one()


def _begins(engine: Engine) -> list[str]:
    """The BEGIN statements the engine sends from now on."""
    seen: list[str] = []

    def listen(_conn, _cursor, statement, *_args) -> None:
        if statement.upper().startswith("BEGIN"):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listen)
    return seen


def test_a_deferred_read_then_write_is_refused_after_another_commit(two_engines, scopes_on):
    """The problem: busy_timeout (10 s here) does not help, the refusal is immediate."""
    first, second = two_engines
    scopes_on(first)
    started = time.perf_counter()
    with pytest.raises(sa.exc.OperationalError, match="locked"):
        with db.session_scope() as session:
            seen = session.execute(COUNTER).scalar_one()  # this worker's snapshot
            with second.begin() as other:  # another process saves meanwhile
                other.execute(sa.text("UPDATE counter SET n = 100 WHERE id = 1"))
            _increment(session, seen)
    assert time.perf_counter() - started < 5, "refused at once, without waiting"
    assert _value(second) == 100, "the refused transaction changed nothing"


def test_write_scopes_on_two_connections_wait_for_each_other_and_both_land(two_engines, scopes_on):
    first, second = two_engines
    in_scope, second_waiting = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def other_process() -> None:
        scopes_on(second)
        in_scope.wait(5)
        started = time.perf_counter()
        second_waiting.set()
        try:
            with db.session_scope(write=True) as session:
                seen = session.execute(COUNTER).scalar_one()  # waits for the first writer
                _increment(session, seen)
            outcome["seen"], outcome["waited"] = seen, time.perf_counter() - started
        except Exception as error:  # reported by the assertions below
            outcome["error"] = error

    thread = threading.Thread(target=other_process)
    thread.start()
    scopes_on(first)
    with db.session_scope(write=True) as session:
        seen = session.execute(COUNTER).scalar_one()
        in_scope.set()
        second_waiting.wait(5)
        time.sleep(0.3)  # the other connection is now trying to begin
        _increment(session, seen)
    thread.join(15)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["seen"] == 1, "the second writer read only after the first committed"
    assert outcome["waited"] >= 0.2
    assert _value(first) == 2, "both increments landed; none was lost"


def test_read_scopes_take_no_lock_and_nested_scopes_begin_with_their_own_flag(
    two_engines, scopes_on
):
    first, second = two_engines
    scopes_on(first)
    begins = _begins(first)
    with db.session_scope(write=True) as outer:
        outer.execute(COUNTER)
        with db.session_scope() as inner:
            inner.execute(COUNTER)
        with db.session_scope() as read:  # another after the first nested one ended
            read.execute(COUNTER)
        _increment(outer, 0)
    assert begins == ["BEGIN IMMEDIATE", "BEGIN", "BEGIN"]

    begins.clear()
    with db.session_scope() as outer:
        outer.execute(COUNTER)
        with db.session_scope(write=True) as inner:
            inner.execute(COUNTER)
            _increment(inner, 1)
        outer.execute(COUNTER)
    with db.session_scope() as after:
        after.execute(COUNTER)
    assert begins == ["BEGIN", "BEGIN IMMEDIATE", "BEGIN"]

    begins.clear()
    with pytest.raises(RuntimeError), db.session_scope(write=True) as failed:
        failed.execute(COUNTER)
        raise RuntimeError("the unit of work fails")
    with db.session_scope() as after:
        after.execute(COUNTER)
    assert begins == ["BEGIN IMMEDIATE", "BEGIN"], "the flag is reset when a scope raises"

    # a read scope holds no lock: another connection writes while it is open
    with db.session_scope() as reading:
        reading.execute(COUNTER)
        with second.begin() as other:
            other.execute(sa.text("UPDATE counter SET n = 7 WHERE id = 1"))
    assert _value(first) == 7


def test_a_write_scope_commits_and_rolls_back_on_every_database(clean_db):
    """On PostgreSQL and MariaDB the flag changes nothing: the unit of work is the same."""
    with db.session_scope(write=True) as session:
        session.add(JobRun(name="write-scope", holder="t", started_at=utcnow()))
    with pytest.raises(RuntimeError), db.session_scope(write=True) as session:
        session.add(JobRun(name="write-scope", holder="rolled back", started_at=utcnow()))
        session.flush()
        raise RuntimeError("the unit of work fails")
    with db.session_scope() as session:
        holders = session.exec(select(JobRun.holder).where(JobRun.name == "write-scope")).all()
    assert holders == ["t"]


def test_a_long_job_lets_a_waiting_save_in_between_its_batches(two_engines, scopes_on):
    """A web worker waits for the write lock inside its event loop: a job's page of slow items
    (screening names, opening cases) must not hold the lock to its end, nor take it again the
    moment it commits, or a save waits for the whole job."""
    first, second = two_engines
    job_started, job_done = threading.Event(), threading.Event()

    def job() -> None:
        scopes_on(first)
        with db.session_scope() as session, db.write_batches(session) as batches:
            for _item in range(20):  # one page of rows, 2 s of work in all
                session.execute(sa.text("UPDATE counter SET n = n + 1 WHERE id = 1"))
                job_started.set()
                time.sleep(0.1)  # the item's work, holding the write lock
                batches.done_one()
            batches.commit()
        job_done.set()

    thread = threading.Thread(target=job)
    thread.start()
    job_started.wait(5)
    scopes_on(second)
    with db.session_scope(write=True) as session:
        items_before_the_save = session.execute(COUNTER).scalar_one()
        session.execute(sa.text("UPDATE counter SET n = n + 100 WHERE id = 1"))
    thread.join(15)
    assert job_done.is_set()
    assert items_before_the_save < 10, "the save waited for the job's whole page"
    assert _value(first) == 120, "every item and the save landed"


def test_a_jobs_batches_begin_immediate_after_its_set_up_reads(two_engines, scopes_on):
    """A job's session reads its set-up (lists, settings) deferred; write_batches ends that
    transaction and begins each batch IMMEDIATE, so a save committed between the set-up and a
    batch cannot get the batch refused (which would start the whole job again)."""
    first, second = two_engines
    scopes_on(first)
    begins = _begins(first)
    with db.session_scope() as session:
        seen = session.execute(COUNTER).scalar_one()  # the job's set-up read
        with second.begin() as other:  # a save lands meanwhile
            other.execute(sa.text("UPDATE counter SET n = n + 100 WHERE id = 1"))
        with db.write_batches(session) as batches:
            for _batch in range(2):
                now = session.execute(COUNTER).scalar_one()
                _increment(session, now)
                batches.commit()
        after = session.execute(COUNTER).scalar_one()
    assert begins == ["BEGIN", "BEGIN IMMEDIATE", "BEGIN IMMEDIATE", "BEGIN"]
    assert seen == 0 and after == 102 and _value(second) == 102
