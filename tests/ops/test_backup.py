"""SQLite backups: an online copy taken while others write is consistent and checked; restore
puts it back with the audit chain intact and refuses anything it cannot trust, changing nothing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from backoffice import cli, db, migrations
from backoffice.db import make_engine
from backoffice.ops import backup
from backoffice.platform import audit
from models.attachments import Attachment
from models.audit import AuditEntry
from models.base import utcnow
from models.jobs import JobRun
from models.kpi import KpiReport

WRITE = "test.write"


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrations.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def live(tmp_path: Path, migrated_file: Path) -> Engine:
    path = tmp_path / "data" / "backoffice.db"
    path.parent.mkdir()
    shutil.copyfile(migrated_file, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def _write(engine: Engine, n: int) -> None:
    """One unit of work: a row and its audit entry, committed together."""
    with Session(engine) as session:
        run = JobRun(name="w", holder=str(n), started_at=utcnow())
        session.add(run)
        session.flush()
        audit.record(session, actor="writer", action=WRITE, entity="job_run", entity_id=run.id)
        session.commit()


def _counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        rows = session.exec(select(func.count()).select_from(JobRun)).one()
        entries = session.exec(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == WRITE)
        ).one()
    return rows, entries


def _file_counts(path: Path) -> tuple[int, int]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        return _counts(engine)
    finally:
        engine.dispose()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_backup_while_writing_is_consistent_and_restores_with_the_chain_intact(live, tmp_path):
    for n in range(50):
        _write(live, n)
    stop = threading.Event()
    written = {"n": 50}
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            while not stop.is_set():
                _write(live, written["n"])
                written["n"] += 1
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written["n"] < 120:  # the writer is well under way
            stop.wait(0.01)
        before = written["n"]
        made = backup.backup(live)
        after = written["n"]
        while written["n"] < after + 30:  # and carries on after the copy
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()
    assert not errors, errors

    assert made.path.parent == tmp_path / "data" / "backups"
    assert made.path.name.startswith("backoffice-") and made.size > 0
    assert made.path.stat().st_mode & 0o777 == 0o600
    rows, entries = _file_counts(made.path)
    assert rows == entries, "every row in the copy has its audit entry and no entry lacks its row"
    assert before <= rows <= after + 1
    with sqlite3.connect(made.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    live_rows, _ = _counts(live)
    assert live_rows == written["n"] > rows
    with Session(live) as session:
        logged = session.exec(select(AuditEntry).where(AuditEntry.action == "system.backup")).one()
    assert str(made.path) in logged.changes

    done = backup.restore(live, made.path)
    assert _counts(live) == (rows, rows)
    with Session(live) as session:
        report = audit.verify_chain(session)
        last = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert report.ok and report.checked == rows + 1  # the copy's entries and the restore's
    assert last.action == "system.restore" and str(made.path) in last.changes
    assert done.kept_aside is not None and _file_counts(done.kept_aside)[0] == written["n"]
    _write(live, -1)  # the restored database takes writes
    assert _counts(live) == (rows + 1, rows + 1)


def _garbage(made: Path, tmp_path: Path) -> Path:
    bad = tmp_path / "garbage.db"
    bad.write_bytes(b"this is not a database\n" * 400)
    return bad


def _truncated(made: Path, tmp_path: Path) -> Path:
    bad = tmp_path / "truncated.db"
    data = made.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    return bad


def _page_damaged(made: Path, tmp_path: Path) -> Path:
    bad = tmp_path / "damaged.db"
    data = bytearray(made.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = b"\xff" * 4096
    bad.write_bytes(bytes(data))
    return bad


def _foreign(made: Path, tmp_path: Path) -> Path:
    bad = tmp_path / "other.db"
    with sqlite3.connect(bad) as conn:
        conn.execute("CREATE TABLE t (x)")
    return bad


def _tampered(made: Path, tmp_path: Path) -> Path:
    bad = tmp_path / "tampered.db"
    shutil.copyfile(made, bad)
    with sqlite3.connect(bad) as conn:  # the append-only triggers dropped first, as a DBA could
        conn.execute("DROP TRIGGER audit_entry_no_update")
        conn.execute("UPDATE audit_entry SET actor = 'mallory' WHERE id = 3")
    return bad


def _newer(made: Path, tmp_path: Path) -> Path:
    bad = tmp_path / "newer.db"
    shutil.copyfile(made, bad)
    with sqlite3.connect(bad) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    return bad


@pytest.mark.parametrize(
    ("make_bad", "reason"),
    [
        (_garbage, "not a readable SQLite database"),
        (_truncated, "SQLite"),
        (_page_damaged, "SQLite"),
        (_foreign, "no migration version"),
        (_tampered, "audit chain is broken"),
        (_newer, "comes from a newer version"),
    ],
)
def test_a_file_that_is_not_a_sound_backup_is_refused_and_nothing_changes(
    live, tmp_path, make_bad, reason
):
    for n in range(5):
        _write(live, n)
    made = backup.backup(live).path
    _write(live, 99)
    bad = make_bad(made, tmp_path)
    live_path = backup.database_path(live)
    live.dispose()
    before = (_digest(live_path), sorted(p.name for p in live_path.parent.iterdir()))

    with pytest.raises(backup.BackupError, match=reason) as refused:
        backup.restore(live, bad)

    assert str(bad) in str(refused.value), "the message names the file given, not a staged copy"
    live.dispose()
    assert (_digest(live_path), sorted(p.name for p in live_path.parent.iterdir())) == before
    assert _counts(live) == (6, 6)


def test_restore_brings_an_older_backup_to_the_current_schema(tmp_path):
    path = tmp_path / "old.db"
    old = make_engine(f"sqlite:///{path}")
    migrations.upgrade(old, "0014")
    # an entry as the code of that time wrote it: plain SHA-256, no key id column
    entry = AuditEntry(
        at=utcnow(), actor="a", action="old.thing", entity="x", prev_hash=audit.GENESIS, hash=""
    )
    entry.hash = audit.entry_hash(entry)
    with old.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_entry (at, actor, action, entity, entity_id, changes, client, "
                "prev_hash, hash) VALUES (:at, 'a', 'old.thing', 'x', '', '{}', '', :prev, :hash)"
            ),
            {"at": entry.at.replace(tzinfo=None), "prev": entry.prev_hash, "hash": entry.hash},
        )
        conn.execute(
            sa.text("INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 1, :hash)"),
            {"hash": entry.hash},
        )
    old.dispose()
    live_path = tmp_path / "live" / "backoffice.db"
    live_path.parent.mkdir()
    live = make_engine(f"sqlite:///{live_path}")
    try:
        done = backup.restore(live, path)
        assert done.revision == "0014" and done.kept_aside is None
        with live.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert version == backup.head_revision() != "0014"
        with Session(live) as session:
            assert audit.verify_chain(session).checked == 2
    finally:
        live.dispose()


def test_the_command_backs_up_keeps_the_newest_and_restores(live, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(db, "engine", lambda: live)
    _write(live, 1)
    folder = tmp_path / "kept"
    for _ in range(3):  # a trailing slash names a folder, made if missing
        assert cli.main(["backup", "--to", f"{folder}/", "--keep", "2"]) == 0
    kept = sorted(folder.glob("backoffice-*.db"))
    assert len(kept) == 2
    assert "removed old backup" in capsys.readouterr().out
    assert cli.main(["backup", "--keep", "0"]) == 2
    assert cli.main(["restore", str(kept[0])]) == 0
    assert "previous database is kept as" in capsys.readouterr().out
    assert cli.main(["verify-audit"]) == 0
    assert cli.main(["restore", str(tmp_path / "missing.db")]) == 1
    assert "restore refused, nothing changed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "mysql+pymysql://root:@127.0.0.1:3306/test",
    ],
)
def test_other_databases_are_pointed_to_their_own_tools(url, monkeypatch, capsys):
    server = make_engine(url)  # never connected: the refusal comes first
    monkeypatch.setattr(db, "engine", lambda: server)
    assert cli.main(["backup"]) == 1
    message = capsys.readouterr().out
    assert "pg_dump -Fc" in message and "mariadb-dump --single-transaction" in message
    assert "docs/operations.md" in message
    with pytest.raises(backup.BackupError):
        backup.restore(server, Path(__file__))


def test_restore_refuses_while_the_live_database_is_being_read(live, tmp_path):
    _write(live, 1)
    made = backup.backup(live).path
    _write(live, 2)  # the write-ahead log holds something
    live_path = backup.database_path(live)
    reader = sqlite3.connect(live_path)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM job_run").fetchone()
        with pytest.raises(backup.BackupError, match="in use"):
            backup.restore(live, made)
    finally:
        reader.close()
    assert not list(live_path.parent.glob("*.before-restore-*"))
    assert not list(live_path.parent.glob("*.restoring-*"))
    assert _counts(live) == (2, 2)


def _attach(engine: Engine, store: Path, data: bytes, *, report: bool = False) -> str:
    """A file in the content-addressed store and the record that refers to it."""
    digest = hashlib.sha256(data).hexdigest()
    path = store / digest[:2] / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    with Session(engine) as session:
        if report:
            day = utcnow().date()
            session.add(
                KpiReport(
                    period_start=day, period_end=day, title="周报", summary="", file_sha256=digest
                )
            )
        else:
            session.add(
                Attachment(
                    resource="customer",
                    record_id=1,
                    filename="id.pdf",
                    content_type="application/pdf",
                    size=len(data),
                    sha256=digest,
                    uploaded_by="kyc.wang",
                )
            )
        session.commit()
    return digest


def _stored(store: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in store.glob("??/*")}


def test_backups_carry_the_files_they_refer_to_and_a_restore_puts_them_back(live, tmp_path):
    store, folder = tmp_path / "live-files", tmp_path / "backups"
    folder.mkdir()
    first = _attach(live, store, b"%PDF-1.7 passport scan")
    report = _attach(live, store, b"<html>weekly</html>", report=True)
    (store / "ab").mkdir()
    (store / "ab" / ("ab" + "0" * 62)).write_bytes(b"orphan")  # referred to by no record
    one = backup.backup(live, folder, files=store)
    assert (one.files, one.files_copied, one.files_missing) == (2, 2, ())
    assert _stored(folder / backup.FILES) == {
        first: b"%PDF-1.7 passport scan",
        report: b"<html>weekly</html>",
    }
    second = _attach(live, store, b"%PDF-1.7 bank card")
    two = backup.backup(live, folder, files=store)
    assert (two.files, two.files_copied) == (3, 1), "the store is shared: only the new file"
    with Session(live) as session:
        entry = session.exec(
            select(AuditEntry)
            .where(AuditEntry.action == "system.backup")
            .order_by(AuditEntry.id.desc())
        ).first()
    changes = json.loads(entry.changes)
    assert changes["files"] == [None, 3] and changes["files_copied"] == [None, 1]

    shutil.rmtree(store)  # the machine is lost: database and files
    done = backup.restore(live, one.path, files=store)
    assert done.files_restored == 2 and done.files_missing == ()
    assert set(_stored(store)) == {first, report}, "only what that backup refers to"
    assert second in _stored(folder / backup.FILES)


def test_a_restore_missing_a_file_is_refused_and_nothing_changes(live, tmp_path):
    store, folder = tmp_path / "live-files", tmp_path / "backups"
    folder.mkdir()
    kept = _attach(live, store, b"%PDF-1.7 kept")
    lost = _attach(live, store, b"%PDF-1.7 lost")
    made = backup.backup(live, folder, files=store)
    (folder / backup.FILES / lost[:2] / lost).write_bytes(b"damaged")  # no longer its hash
    shutil.rmtree(store)
    _write(live, 7)
    live_path = backup.database_path(live)
    live.dispose()
    before = _digest(live_path)

    with pytest.raises(backup.BackupError, match=r"1 attachment file.*allow-missing-files"):
        backup.restore(live, made.path, files=store)
    assert _digest(live_path) == before and not store.exists()

    done = backup.restore(live, made.path, files=store, allow_missing_files=True)
    assert (done.files_restored, done.files_missing) == (1, (lost,))
    assert set(_stored(store)) == {kept}


def test_a_file_missing_from_the_live_store_is_reported_and_the_rest_is_saved(
    live, tmp_path, monkeypatch, capsys
):
    store, folder = tmp_path / "live-files", tmp_path / "backups"
    folder.mkdir()
    present = _attach(live, store, b"%PDF-1.7 here")
    gone = _attach(live, store, b"%PDF-1.7 gone")
    (store / gone[:2] / gone).unlink()
    made = backup.backup(live, folder, files=store)
    assert made.path.exists() and made.files_missing == (gone,)
    assert set(_stored(folder / backup.FILES)) == {present}
    with Session(live) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "system.backup")).one()
    assert json.loads(entry.changes)["files_missing"] == [None, [gone]]

    monkeypatch.setattr(backup.attachments, "store_dir", lambda: store)
    monkeypatch.setattr(db, "engine", lambda: live)
    assert cli.main(["backup", "--to", f"{folder}/"]) == 1, "a cron job must notice"
    assert "1 attachment file(s) are missing" in capsys.readouterr().out


def test_pruning_old_backups_removes_the_files_only_they_referred_to(live, tmp_path):
    store, folder = tmp_path / "live-files", tmp_path / "backups"
    folder.mkdir()
    shared = _attach(live, store, b"%PDF-1.7 always")
    early = _attach(live, store, b"%PDF-1.7 deleted later")
    backup.backup(live, folder, files=store)
    with Session(live) as session:
        session.exec(sa.delete(Attachment).where(Attachment.sha256 == early))
        session.commit()
    backup.backup(live, folder, files=store)
    assert set(_stored(folder / backup.FILES)) == {shared, early}
    pruned = backup.backup(live, folder, files=store, keep=2)
    assert len(pruned.removed) == 1
    assert set(_stored(folder / backup.FILES)) == {shared}
