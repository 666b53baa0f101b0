"""Backups of the SQLite database: an online copy checked before it counts, and a restore that
refuses anything it cannot trust.

PostgreSQL and MySQL/MariaDB have their own tools (``pg_dump -Fc``, ``mariadb-dump
--single-transaction``); the README's production recipe gives the commands.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from backoffice import migrations
from backoffice.services import audit
from models.base import utcnow

PREFIX = "backoffice-"
SUFFIX = ".db"
NOT_SQLITE = (
    "backup/restore here covers the SQLite database only; this one is {dialect}. "
    "Use the database's own tools (README, 'Production setup' → 'Backups'): "
    "pg_dump -Fc / pg_restore for PostgreSQL, mariadb-dump --single-transaction / mariadb "
    "for MySQL and MariaDB."
)


class BackupError(RuntimeError):
    """The backup or restore cannot go ahead; the message says why. Nothing was changed."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    seconds: float
    audit_entries: int
    revision: str
    removed: tuple[Path, ...] = ()


@dataclass(frozen=True)
class RestoreResult:
    source: Path
    kept_aside: Path | None
    revision: str
    audit_entries: int
    seconds: float


def database_path(engine: Engine) -> Path:
    if engine.dialect.name != "sqlite":
        raise BackupError(NOT_SQLITE.format(dialect=engine.dialect.name))
    name = engine.url.database
    if not name or name == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    return Path(name).resolve()


def default_directory(engine: Engine) -> Path:
    return database_path(engine).parent / "backups"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _actor() -> str:
    try:
        return f"system:{getpass.getuser()}"[:100]
    except (KeyError, OSError):  # no name for this uid (some containers)
        return "system"


def _read_only_engine(path: Path) -> Engine:
    # A plain engine: the app's engine would switch the file to WAL on connect.
    return sa.create_engine("sqlite://", creator=lambda: _open_read_only(path), poolclass=NullPool)


def _open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def head_revision() -> str:
    return ScriptDirectory.from_config(migrations.alembic_config()).get_current_head() or ""


def check(path: Path, name: str | None = None) -> tuple[str, int]:
    """Raise BackupError unless ``path`` is a sound backup this code can run on.

    Returns the file's migration revision and the number of audit entries verified;
    ``name`` is how messages call the file (a staged copy is named after its source).
    """
    label = name or str(path)
    try:
        conn = _open_read_only(path)
    except sqlite3.Error as error:
        raise BackupError(f"{label} cannot be opened ({error})") from error
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
        if result != [("ok",)]:
            problems = "; ".join(str(line[0]) for line in result[:3])
            raise BackupError(f"{label} fails SQLite's integrity check: {problems}")
        has_version = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if not has_version:
            raise BackupError(f"{label} is not a back-office database (no migration version)")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{label} is not a readable SQLite database ({error})") from error
    finally:
        conn.close()
    if row is None:
        raise BackupError(f"{label} has an empty migration version table")
    revision = row[0]
    script = ScriptDirectory.from_config(migrations.alembic_config())
    try:
        known = script.get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupError(
            f"{label} is at migration {revision}, which this code does not know "
            f"(its newest is {script.get_current_head()}): it comes from a newer version"
        )
    reader = _read_only_engine(path)
    try:
        with Session(reader) as session:
            report = audit.verify_chain(session)
    except sa.exc.DBAPIError as error:
        raise BackupError(f"{label}: the audit log cannot be read ({error.orig})") from error
    finally:
        reader.dispose()
    if not report.ok:
        raise BackupError(
            f"{label}: the audit chain is broken at entry {report.first_broken_id} "
            f"({report.reason}); refusing to trust this file"
        )
    return revision, report.checked


def _prune(directory: Path, keep: int) -> tuple[Path, ...]:
    backups = sorted(directory.glob(f"{PREFIX}*{SUFFIX}"))
    doomed = tuple(backups[:-keep]) if keep > 0 else ()
    for path in doomed:
        path.unlink()
    return doomed


def backup(engine: Engine, to: Path | None = None, *, keep: int | None = None) -> BackupResult:
    """Copy the live database with SQLite's online backup API, check the copy, audit it.

    Writers carry on meanwhile: the copy is one read transaction, a consistent snapshot.
    ``to`` may be a file or a directory (default ``<data>/backups/``); ``keep`` prunes the
    oldest timestamped backups in that directory down to that many.
    """
    source = database_path(engine)
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    target = to if to is not None else default_directory(engine)
    if target.is_dir() or to is None:
        target = target / f"{PREFIX}{stamp}{SUFFIX}"
    target = target.resolve()
    if target.exists() or target == source:
        raise BackupError(f"{target} already exists; choose another name")
    if to is None:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    started = time.perf_counter()
    try:
        partial.touch(mode=0o600)  # personal data (encrypted) and the audit log: owner only
        src = sqlite3.connect(source)
        dst = sqlite3.connect(partial)
        try:
            src.execute("PRAGMA busy_timeout=10000")
            src.backup(dst)  # all pages in one step: one read snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
            src.close()
        revision, entries = check(partial)
        os.replace(partial, target)
    except (BackupError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, BackupError):
            raise
        raise BackupError(f"the copy failed: {error}") from error
    seconds = time.perf_counter() - started
    size = target.stat().st_size
    removed = _prune(target.parent, keep) if keep else ()
    with Session(engine, expire_on_commit=False) as session:
        audit.record(
            session,
            actor=_actor(),
            action="system.backup",
            entity="database",
            changes={
                "file": [None, str(target)],
                "bytes": [None, size],
                "sha256": [None, _sha256(target)],
                "revision": [None, revision],
                "audit_entries": [None, entries],
                **({"pruned": [None, [p.name for p in removed]]} if removed else {}),
            },
        )
        session.commit()
    return BackupResult(target, size, seconds, entries, revision, removed)


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file; refuse while another connection holds it."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA busy_timeout=2000")
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    if busy:
        raise BackupError(
            "the database is in use (the write-ahead log could not be emptied): "
            "stop the app and the scheduler, then restore"
        )


def restore(engine: Engine, source: Path) -> RestoreResult:
    """Put a checked backup in place of the live database, keeping the current one aside.

    The backup is staged next to the live file and checked there; the swap is one rename, so
    the live path always names a whole database. Afterwards the schema is brought to this
    code's head and the restore is appended to the (restored) audit chain.
    """
    live = database_path(engine)
    source = source.resolve()
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    if source == live:
        raise BackupError("that is the live database itself")
    started = time.perf_counter()
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    staging = live.with_name(f"{live.name}.restoring-{stamp}")
    aside: Path | None = live.with_name(f"{live.name}.before-restore-{stamp}")
    shutil.copyfile(source, staging)
    try:
        revision, entries = check(staging, str(source))
        engine.dispose()
        if live.exists():
            _checkpoint(live)
            os.link(live, aside)  # the current database stays, under another name
        else:
            aside = None
        for leftover in ("-wal", "-shm"):
            live.with_name(live.name + leftover).unlink(missing_ok=True)
        os.replace(staging, live)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    engine.dispose()
    if revision != head_revision():
        migrations.upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        audit.record(
            session,
            actor=_actor(),
            action="system.restore",
            entity="database",
            changes={
                "from": [None, str(source)],
                "sha256": [None, _sha256(source)],
                "revision": [revision, head_revision()],
                "previous_kept_as": [None, str(aside) if aside else ""],
            },
        )
        session.commit()
    return RestoreResult(source, aside, revision, entries, time.perf_counter() - started)
