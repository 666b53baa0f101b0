"""The database engine and sessions: one engine per process, configured per dialect."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from backoffice.config import get_settings

T = TypeVar("T")

# SQLite keeps NUMERIC as a number; SQLAlchemy converts it back to Decimal with the column's
# scale, which is exact for every amount this platform stores (< 10^13 CNY).
warnings.filterwarnings("ignore", message=".*does \\*not\\* support Decimal objects natively")


def normalise_url(url: str) -> str:
    """Use the drivers the project ships and a full Unicode charset on MySQL/MariaDB."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("mysql://") or url.startswith("mariadb://"):
        url = "mysql+pymysql://" + url.split("://", 1)[1]
    if url.startswith("mysql+pymysql://") and "charset=" not in url:
        url += ("&" if "?" in url else "?") + "charset=utf8mb4"
    return url


def _on_sqlite_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
    # pysqlite's own transaction handling breaks SAVEPOINT (a RELEASE would commit); let
    # SQLAlchemy emit BEGIN itself (see _on_sqlite_begin), as its documentation recommends.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # LIKE 'abc%' then uses the column's index, as on PostgreSQL; searches also try upper case.
    cursor.execute("PRAGMA case_sensitive_like=ON")
    cursor.close()


# Whether the transactions begun now are units of work that will write (see session_scope).
_writing: ContextVar[bool] = ContextVar("backoffice_db_writing", default=False)


def _on_sqlite_begin(connection: sa.Connection) -> None:
    # IMMEDIATE takes the write lock now (waiting up to busy_timeout), so a later write cannot
    # be refused for a snapshot another connection made stale; reads stay deferred (no lock).
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing.get() else "BEGIN")


def make_engine(url: str, **kwargs: object) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    if url.startswith("postgresql") and "connect_timeout" not in url:
        # libpq waits for the operating system's TCP timeout (minutes) on an unreachable
        # server; a save should fail clearly instead (PyMySQL's own default is 10 s).
        kwargs["connect_args"] = {"connect_timeout": 10, **dict(kwargs.get("connect_args") or {})}
    return sa.create_engine(url, pool_pre_ping=True, pool_recycle=3600, **kwargs)


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    settings = get_settings()
    if settings.db_url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.db_url)


def set_engine(engine: Engine) -> None:
    """Point the whole process at another engine (tests use this for their own schema)."""
    get_engine.cache_clear()
    _override.clear()
    _override.append(engine)


_override: list[Engine] = []


def engine() -> Engine:
    return _override[0] if _override else get_engine()


@contextmanager
def session_scope(write: bool = False) -> Iterator[Session]:
    """A unit of work: commits when the block succeeds, rolls back when it raises.

    Pass ``write=True`` when the block may write. On SQLite (WAL) a transaction that read and
    then writes is refused ("database is locked", SQLITE_BUSY_SNAPSHOT) if another process
    committed in between, and busy_timeout does not help; a write scope therefore begins with
    ``BEGIN IMMEDIATE``, taking the write lock up front. Read-only scopes (the hot path) stay
    deferred and take no lock. The flag holds for every transaction begun while the block runs
    (a nested scope sets its own until it ends); on PostgreSQL and MySQL/MariaDB it changes
    nothing.
    """
    token = _writing.set(write)
    try:
        with Session(engine(), expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        _writing.reset(token)


# A long job's transaction on SQLite holds the one write lock; a web worker waiting for it waits
# inside its event loop (the driver is synchronous), so every tab of that worker stalls. A job
# therefore commits at least every BATCH_SECONDS, then leaves the lock free for longer than the
# busy handler's longest sleep (100 ms), so the waiting save gets it before the next batch.
BATCH_SECONDS = 0.25
BATCH_GAP_SECONDS = 0.15


class WriteBatches:
    """A job's batch loop: ``commit()`` after each page of rows, ``done_one()`` after each row
    (on SQLite it commits when the batch has held the write lock BATCH_SECONDS; an item that
    screens names or opens cases can take 100 ms, and 200 of them held saves for 20 s)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.started = time.monotonic()

    def done_one(self) -> None:
        if self.sqlite and time.monotonic() - self.started >= BATCH_SECONDS:
            self.commit()

    def commit(self) -> None:
        self.session.commit()
        if self.sqlite:
            time.sleep(BATCH_GAP_SECONDS)
        self.started = time.monotonic()


@contextmanager
def write_batches(session: Session) -> Iterator[WriteBatches]:
    """Around a job's batch loop: end the transaction its set-up reads opened, then begin every
    batch IMMEDIATE on SQLite, so no batch is refused because a save committed after it read
    (the whole job would start again)."""
    session.commit()
    token = _writing.set(True)
    try:
        yield WriteBatches(session)
    finally:
        _writing.reset(token)


def refresh_statistics(engine: Engine) -> None:
    """Give the query planner fresh table statistics (after bulk loads, and nightly).

    Without them SQLite may pick a poor index for a filtered list over millions of rows.
    """
    if engine.dialect.name in ("sqlite", "postgresql"):
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def retry_when_busy(work: Callable[[], T], attempts: int = 8) -> T:
    """Run ``work`` again when SQLite refuses a write that raced another connection.

    With WAL, a transaction that read before another one committed cannot then write
    (SQLITE_BUSY_SNAPSHOT) and busy_timeout does not help; a fresh transaction does.
    """
    for attempt in range(attempts):
        try:
            return work()
        except sa.exc.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")
