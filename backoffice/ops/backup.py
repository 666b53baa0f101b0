"""Backups of the SQLite database: an online copy checked before it counts, and a restore that
refuses anything it cannot trust.

The attachment files the copy refers to (KYC documents, ticket evidence, generated reports)
go with it into ``attachments/`` beside the backups: one content-addressed store the backups
share, so each backup copies only the files the last one did not have. A restore puts back
any file the live store lacks, and refuses when a file is in neither store.

PostgreSQL and MySQL/MariaDB have their own tools (``pg_dump -Fc``, ``mariadb-dump
--single-transaction``); docs/operations.md gives the commands.
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
from backoffice.platform import attachments, audit
from models.base import utcnow

PREFIX = "backoffice-"
SUFFIX = ".db"
FILES = "attachments"  # beside the backups: the store of the files they refer to
NOT_SQLITE = (
    "backup/restore here covers the SQLite database only; this one is {dialect}. "
    "Use the database's own tools (docs/operations.md, 'Backups and restore'): "
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
    files: int = 0  # attachment files the backup refers to
    files_copied: int = 0  # of which this backup added to the backups' store
    files_missing: tuple[str, ...] = ()  # referred to, but absent or damaged in the live store


@dataclass(frozen=True)
class RestoreResult:
    source: Path
    kept_aside: Path | None
    revision: str
    audit_entries: int
    seconds: float
    files_restored: int = 0  # attachment files put back into the live store
    files_missing: tuple[str, ...] = ()  # in neither store (only with allow_missing_files)


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


def referenced_files(path: Path) -> set[str]:
    """The SHA-256 names of the stored files a database file refers to."""
    conn = _open_read_only(path)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        digests: set[str] = set()
        if "attachment" in tables:  # an old backup may predate a table
            digests |= {row[0] for row in conn.execute("SELECT sha256 FROM attachment")}
        if "kpi_report" in tables:
            digests |= {
                row[0] for row in conn.execute("SELECT file_sha256 FROM kpi_report") if row[0]
            }
    finally:
        conn.close()
    return digests


def _stored(store: Path, digest: str) -> Path:
    return store / digest[:2] / digest


def _sound(store: Path, digest: str) -> bytes | None:
    """A stored file's bytes if they still hash to its name."""
    try:
        data = _stored(store, digest).read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None


def _put(store: Path, digest: str, data: bytes) -> None:
    target = _stored(store, digest)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.touch(mode=0o600)  # ID documents: owner only
    partial.write_bytes(data)
    os.replace(partial, target)


def _copy_lacking(
    digests: set[str], source: Path, target: Path, *, dry_run: bool = False
) -> tuple[int, tuple[str, ...]]:
    """Copy the files ``target`` lacks from ``source``; (copied, not sound in ``source``).
    A file already in ``target`` is taken as is: a content-addressed name is its bytes."""
    copied, missing = 0, []
    for digest in sorted(digests):
        if _stored(target, digest).exists():
            continue
        data = _sound(source, digest)
        if data is None:
            missing.append(digest)
        elif not dry_run:
            _put(target, digest, data)
            copied += 1
    return copied, tuple(missing)


def _prune(directory: Path, keep: int) -> tuple[Path, ...]:
    backups = sorted(directory.glob(f"{PREFIX}*{SUFFIX}"))
    doomed = tuple(backups[:-keep]) if keep > 0 else ()
    for path in doomed:
        path.unlink()
    saved = directory / FILES
    if doomed and saved.is_dir():  # files no kept backup refers to go with the backups
        wanted = set().union(*(referenced_files(path) for path in backups[-keep:]))
        for stored in saved.glob("??/*"):
            if stored.name not in wanted:
                stored.unlink()
    return doomed


def backup(
    engine: Engine,
    to: Path | None = None,
    *,
    keep: int | None = None,
    files: Path | None = None,
) -> BackupResult:
    """Copy the live database with SQLite's online backup API, check the copy, save the
    attachment files it refers to, audit it.

    Writers carry on meanwhile: the copy is one read transaction, a consistent snapshot.
    ``to`` may be a file or a directory (default ``<data>/backups/``); ``keep`` prunes the
    oldest timestamped backups in that directory down to that many. ``files`` is the live
    attachment store (default: the app's). A file missing from it is reported, not fatal:
    the database copy is still the best backup there is.
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
        digests = referenced_files(partial)
        copied, missing = _copy_lacking(
            digests, files or attachments.store_dir(), target.parent / FILES
        )
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
                "files": [None, len(digests)],
                "files_copied": [None, copied],
                **({"files_missing": [None, list(missing)]} if missing else {}),
                **({"pruned": [None, [p.name for p in removed]]} if removed else {}),
            },
        )
        session.commit()
    return BackupResult(
        target, size, seconds, entries, revision, removed, len(digests), copied, missing
    )


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


def restore(
    engine: Engine,
    source: Path,
    *,
    files: Path | None = None,
    allow_missing_files: bool = False,
) -> RestoreResult:
    """Put a checked backup in place of the live database, keeping the current one aside.

    The backup is staged next to the live file and checked there; the swap is one rename, so
    the live path always names a whole database. The attachment files it refers to that the
    live store (``files``, default the app's) lacks are copied from the store beside the
    backup first; if one is in neither, the restore is refused unless
    ``allow_missing_files``. Afterwards the schema is brought to this code's head and the
    restore is appended to the (restored) audit chain.
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
        digests, saved = referenced_files(staging), source.parent / FILES
        live_files = files or attachments.store_dir()
        _, missing = _copy_lacking(digests, saved, live_files, dry_run=True)
        if missing and not allow_missing_files:
            raise BackupError(
                f"{len(missing)} attachment file(s) the backup refers to are neither in the "
                f"live store nor sound in {saved} (first: {missing[0]}); "
                "find them, or restore without them (--allow-missing-files)"
            )
        engine.dispose()
        if live.exists():
            _checkpoint(live)
            os.link(live, aside)  # the current database stays, under another name
        else:
            aside = None
        restored, missing = _copy_lacking(digests, saved, live_files)
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
                "files_restored": [None, restored],
                **({"files_missing": [None, list(missing)]} if missing else {}),
            },
        )
        session.commit()
    return RestoreResult(
        source, aside, revision, entries, time.perf_counter() - started, restored, missing
    )
