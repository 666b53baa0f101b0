"""The audit log: a keyed hash chain anchored by signed checkpoints outside the database, in a
table the database itself keeps append-only. Tampering, re-hashing without the key, removal,
truncation below a checkpoint and an edited checkpoint file are all detected."""

import hashlib
import hmac
import json
import logging

import pytest
import sqlalchemy as sa
from sqlmodel import select

from backoffice import cli, config
from backoffice.domains.audit import alerts as audit_alerts
from backoffice.domains.audit import anchor as audit_anchor
from backoffice.domains.audit import jobs as audit_jobs
from backoffice.platform import audit
from models.audit import AuditEntry, AuditHead
from models.notifications import Notification
from tests.factories import bypassing_audit_triggers


def _write(session, n: int, actor: str = "alice") -> list[AuditEntry]:
    entries = [
        audit.record(
            session,
            actor=actor,
            action="product.edit",
            entity="product",
            entity_id=i,
            changes={"yield_max": ["3.10", "3.25"], "name": ["稳盈", "稳盈A"]},
        )
        for i in range(n)
    ]
    session.commit()
    return entries


def _tamper(session, *statements) -> None:
    """Run statements with the append-only triggers lifted, as a DBA could, and commit."""
    connection = session.connection()
    with bypassing_audit_triggers(connection):
        for statement in statements:
            session.execute(statement)
    session.commit()


def _rehash_without_the_key(session, *, from_id: int, key: bytes, key_id: str | None) -> None:
    """What someone with database access but without the key can do: recompute every hash
    from ``from_id`` on (with a key they made up, or SHA-256 as before keyed hashing) and move
    the head, so the chain links again."""
    session.expunge_all()
    rows = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    previous = audit.GENESIS
    statements = []
    for entry in rows:
        if entry.id >= from_id:
            entry.prev_hash = previous
            entry.key_id = key_id if key_id is not None else entry.key_id
            entry.hash = audit.entry_hash(entry, {entry.key_id: key})
            statements.append(
                sa.update(AuditEntry)
                .where(AuditEntry.id == entry.id)
                .values(prev_hash=entry.prev_hash, hash=entry.hash, key_id=entry.key_id)
            )
        previous = entry.hash
    statements.append(sa.update(AuditHead).where(AuditHead.id == 1).values(last_hash=previous))
    session.expunge_all()  # the rows were changed in memory: only the statements write
    _tamper(session, *statements)


@pytest.fixture
def audit_keys(monkeypatch):
    """Set BACKOFFICE_AUDIT_KEYS for the test (``use("k2:…,k1:…")``): settings are read again."""

    def use(raw: str) -> None:
        monkeypatch.setenv("BACKOFFICE_AUDIT_KEYS", raw)
        config.get_settings.cache_clear()

    yield use
    monkeypatch.delenv("BACKOFFICE_AUDIT_KEYS", raising=False)
    config.get_settings.cache_clear()


K1 = "k1:" + "a" * 40
K2 = "k2:" + "b" * 40


def test_chain_links_each_entry_to_the_previous_with_a_keyed_hash(session):
    entries = _write(session, 3)
    assert entries[0].prev_hash == audit.GENESIS
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    key_id, _key = config.get_settings().audit_keys[0]
    assert entries[0].key_id == key_id
    plain = audit.entry_hash(AuditEntry(**{**entries[0].model_dump(), "key_id": ""}))
    assert entries[0].hash != plain, "the hash must depend on a key, not only on the content"
    report = audit.verify_chain(session)
    assert report.ok and report.checked == 3


def test_edited_entry_is_detected(session):
    entries = _write(session, 4)
    _tamper(
        session,
        sa.update(AuditEntry)
        .where(AuditEntry.id == entries[2].id)
        .values(changes='{"yield_max": ["3.10", "9.99"]}'),
    )
    report = audit.verify_chain(session)
    assert report.first_broken_id == entries[2].id
    assert report.checked == 2


def test_a_chain_rehashed_without_the_key_is_detected(session):
    entries = _write(session, 4)
    _tamper(
        session,
        sa.update(AuditEntry).where(AuditEntry.id == entries[1].id).values(actor="mallory"),
    )
    _rehash_without_the_key(session, from_id=entries[1].id, key=b"guessed" * 6, key_id=None)
    report = audit.verify_chain(session)
    assert report.first_broken_id == entries[1].id
    assert report.reason == "content does not match its hash"


def test_a_chain_rehashed_with_the_old_keyless_scheme_is_detected(session):
    """Downgrading edited entries to plain SHA-256 (no key needed) is refused after keyed
    entries (a chain rewritten wholly that way is caught by the checkpoint: next test)."""
    entries = _write(session, 4)
    _rehash_without_the_key(session, from_id=entries[2].id, key=b"", key_id="")
    report = audit.verify_chain(session)
    assert report.first_broken_id == entries[2].id
    assert report.reason == "an unkeyed hash after keyed entries"


def test_a_wholly_rewritten_chain_fails_against_the_signed_checkpoint(session):
    entries = _write(session, 4)
    assert audit_anchor.write_checkpoint(session) is not None
    _rehash_without_the_key(session, from_id=0, key=b"", key_id="")
    checked = audit_anchor.verify(session)
    assert not checked.ok
    assert checked.report.first_broken_id == entries[-1].id
    assert "signed checkpoint 1" in checked.report.reason


def test_entries_from_before_keyed_hashing_still_verify(session):
    legacy = AuditEntry(
        actor="old",
        action="product.edit",
        entity="product",
        entity_id="1",
        changes="{}",
        prev_hash=audit.GENESIS,
        hash="",
        key_id="",
    )
    legacy.at = audit.utcnow()
    legacy.hash = hashlib.sha256(
        "\x1f".join(
            [
                legacy.prev_hash,
                legacy.at.isoformat(timespec="microseconds"),
                "old",
                "product.edit",
                "product",
                "1",
                "{}",
                "",
            ]
        ).encode()
    ).hexdigest()
    session.add(legacy)
    session.add(AuditHead(id=1, seq=1, last_hash=legacy.hash))
    session.commit()
    keyed = _write(session, 2)
    assert keyed[0].prev_hash == legacy.hash and keyed[0].key_id
    report = audit.verify_chain(session)
    assert report.ok and report.checked == 3


def test_with_a_rotated_key_old_and_new_entries_verify(session, audit_keys):
    audit_keys(K1)
    old = _write(session, 2)
    audit_keys(f"{K2},{K1}")  # the new key first, the old one kept for verification
    new = _write(session, 2)
    assert [e.key_id for e in old + new] == ["k1", "k1", "k2", "k2"]
    assert audit.verify_chain(session).ok
    audit_keys(K2)  # the old key dropped: its entries cannot be vouched for any more
    report = audit.verify_chain(session)
    assert report.first_broken_id == old[0].id
    assert "'k1', which is not configured" in report.reason


def test_removed_entry_is_detected(session):
    entries = _write(session, 4)
    _tamper(session, sa.delete(AuditEntry).where(AuditEntry.id == entries[1].id))
    assert audit.verify_chain(session).first_broken_id == entries[2].id


def test_removed_last_entry_is_detected(session):
    entries = _write(session, 3)
    _tamper(session, sa.delete(AuditEntry).where(AuditEntry.id == entries[2].id))
    assert not audit.verify_chain(session).ok


def test_truncation_below_a_checkpoint_is_detected_even_with_the_head_moved_back(session):
    entries = _write(session, 5)
    checkpoint = audit_anchor.write_checkpoint(session)
    assert checkpoint.entry_id == entries[-1].id and checkpoint.head == entries[-1].hash
    _tamper(
        session,
        sa.delete(AuditEntry).where(AuditEntry.id > entries[2].id),
        sa.update(AuditHead).where(AuditHead.id == 1).values(last_hash=entries[2].hash),
    )
    assert audit.verify_chain(session).ok, "without the anchor the cut chain looks whole"
    report = audit_anchor.verify(session).report
    assert report.first_broken_id == entries[-1].id
    assert report.reason == f"the chain ends at entry {entries[2].id}, below signed checkpoint 1"


def test_checkpoints_are_signed_lines_appended_only_when_the_head_moved(session):
    _write(session, 2)
    first = audit_anchor.write_checkpoint(session)
    assert audit_anchor.write_checkpoint(session) is None, "the head has not moved"
    entries = _write(session, 1)
    second = audit_anchor.write_checkpoint(session)
    assert (first.seq, second.seq) == (1, 2) and second.entry_id == entries[0].id
    lines = audit_anchor.checkpoint_path().read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2]
    assert audit_anchor.read_checkpoints() == [first, second]
    checked = audit_anchor.verify(session)
    assert checked.ok and checked.checkpoints == 2


@pytest.mark.parametrize("edit", ["head", "drop_first", "forged"])
def test_an_edited_checkpoint_file_is_detected(session, edit):
    entries = _write(session, 2)
    audit_anchor.write_checkpoint(session)
    _write(session, 1)
    audit_anchor.write_checkpoint(session)
    path = audit_anchor.checkpoint_path()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    if edit == "head":  # pointed at another entry's hash: the signature no longer holds
        lines[0]["head"] = entries[0].hash
        expected = "checkpoint 1 has a bad signature"
    elif edit == "drop_first":
        lines = lines[1:]
        expected = "checkpoint 2 is out of order"
    else:  # signed again by a key of the forger's own
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        forger = Ed25519PrivateKey.generate()
        lines[0]["signer"] = audit_anchor._b64(forger.public_key().public_bytes_raw())
        body = audit_anchor.Checkpoint(**{**lines[0], "sig": ""}).body()
        lines[0]["sig"] = audit_anchor._b64(forger.sign(body))
        expected = "checkpoint 1 is signed by an unknown key"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    checked = audit_anchor.verify(session)
    assert not checked.ok and expected in checked.report.reason


def test_the_database_refuses_update_and_delete_on_audit_entries(session):
    """On every database: the ORM and raw SQL alike; the head row stays updatable."""
    entries = _write(session, 2)
    refused = sa.exc.DBAPIError  # IntegrityError, OperationalError or ProgrammingError
    attempts = [
        lambda: session.execute(
            sa.update(AuditEntry).where(AuditEntry.id == entries[0].id).values(actor="mallory")
        ),
        lambda: session.execute(sa.delete(AuditEntry).where(AuditEntry.id == entries[1].id)),
        lambda: session.execute(sa.text("UPDATE audit_entry SET changes = '{}'")),
        lambda: session.execute(sa.text("DELETE FROM audit_entry")),
    ]
    for attempt in attempts:
        with pytest.raises(refused, match="append-only"):
            attempt()
            session.flush()
        session.rollback()
    entry = session.get(AuditEntry, entries[0].id)
    entry.actor = "mallory"
    with pytest.raises(refused, match="append-only"):
        session.flush()
    session.rollback()
    session.expunge_all()
    _write(session, 1)  # an append still moves the head
    assert session.exec(select(sa.func.count()).select_from(AuditEntry)).one() == 3
    assert audit.verify_chain(session).ok


def test_entry_rolls_back_with_the_change(session):
    _write(session, 1)
    audit.record(session, actor="bob", action="x", entity="y")
    session.rollback()
    assert session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one() == 1
    assert audit.verify_chain(session).ok


def test_verify_audit_command_reports_breakage(session, capsys):
    entries = _write(session, 2)
    assert cli.main(["audit-checkpoint"]) == 0
    assert "checkpoint 1 appended" in capsys.readouterr().out
    assert cli.main(["verify-audit"]) == 0
    assert "intact: 2 entries verified (keyed hashes, 1 signed checkpoints)" in (
        capsys.readouterr().out
    )
    later = _write(session, 1)[0]
    _tamper(session, sa.update(AuditEntry).where(AuditEntry.id == later.id).values(actor="x"))
    assert cli.main(["verify-audit"]) == 1
    assert f"BROKEN at entry {later.id}" in capsys.readouterr().out
    assert cli.main(["audit-checkpoint"]) == 1, "a broken chain is never anchored"
    assert "the chain is broken" in capsys.readouterr().out
    _tamper(
        session,
        sa.update(AuditEntry).where(AuditEntry.id == entries[0].id).values(actor="mallory"),
    )
    assert cli.main(["verify-audit"]) == 1
    assert f"BROKEN at entry {entries[0].id}" in capsys.readouterr().out


def _notifications(session, prefix: str) -> list[Notification]:
    return list(
        session.exec(select(Notification).where(Notification.dedupe_key.startswith(prefix))).all()
    )


def test_the_verify_job_tells_compliance_and_admins_once_per_break(session, caplog):
    entries = _write(session, 3)
    assert audit_jobs.audit_verify(session).startswith("intact: 3 entries")
    assert not _notifications(session, "audit.break")
    _tamper(
        session,
        sa.update(AuditEntry).where(AuditEntry.id == entries[1].id).values(actor="mallory"),
    )
    with caplog.at_level(logging.ERROR, logger="backoffice.audit"):
        assert audit_jobs.audit_verify(session).startswith(f"BROKEN at entry {entries[1].id}")
    session.commit()
    assert f"audit chain BROKEN at entry {entries[1].id}" in caplog.text
    for _ in range(2):  # the next runs find the same break: nobody is told again
        audit_jobs.audit_verify(session)
        session.commit()
    told = _notifications(session, "audit.break")
    assert sorted(n.role for n in told) == ["admin", "compliance"]
    assert all(n.severity == "critical" and str(entries[1].id) in n.title_en for n in told)


def test_the_checkpoint_job_anchors_a_moved_head_and_reports_a_break_instead(session):
    entries = _write(session, 2)
    assert audit_jobs.audit_checkpoint(session) == f"checkpoint 1 at entry {entries[-1].id}"
    assert audit_jobs.audit_checkpoint(session) == "head unchanged"
    more = _write(session, 2)
    _tamper(
        session,
        sa.update(AuditEntry).where(AuditEntry.id == more[0].id).values(actor="mallory"),
    )
    assert audit_jobs.audit_checkpoint(session).startswith("not written: chain broken")
    session.commit()
    assert len(audit_anchor.read_checkpoints()) == 1
    assert len(_notifications(session, "audit.break")) == 2


def _reveal(session, actor: str) -> AuditEntry:
    entry = audit.record(
        session,
        actor=actor,
        action="customer.reveal",
        entity="customer",
        entity_id=1,
        changes={"reason": [None, "call back"]},
    )
    session.commit()
    return entry


def test_a_burst_of_reveals_by_one_person_tells_compliance_once(session):
    rule = audit_alerts.REVEAL_BURST
    for _ in range(rule.count - 1):
        _reveal(session, "eve")
        _reveal(session, "officer")
    assert not _notifications(session, "audit.burst")
    _reveal(session, "eve")
    told = _notifications(session, "audit.burst:reveal:eve:")
    assert len(told) == 1 and told[0].role == "compliance"
    assert "eve" in told[0].title_en and str(rule.count) in told[0].title_en
    for _ in range(rule.count):  # the same burst goes on: nothing more
        _reveal(session, "eve")
    assert len(_notifications(session, "audit.burst")) == 1


def test_a_burst_of_exports_and_a_lockout_storm_tell_compliance(session):
    for _ in range(audit_alerts.EXPORT_BURST.count):
        audit.record(session, actor="dan", action="transaction.export", entity="transaction")
    for n in range(audit_alerts.LOCKOUT_STORM.count):
        audit.record(session, actor=f"user{n}", action="auth.locked_out", entity="user")
    session.commit()
    assert len(_notifications(session, "audit.burst:export:dan:")) == 1
    assert len(_notifications(session, "audit.burst:lockout:*:")) == 1


def test_the_first_appends_racing_on_an_empty_log_both_land_in_one_chain(clean_db):
    """Two transactions append to a log that has no head row yet: both commit, chained."""
    import threading

    from sqlmodel import Session

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def append(n: int) -> None:
        try:
            with Session(clean_db) as session:
                barrier.wait(timeout=10)
                audit.record(session, actor=f"w{n}", action="race", entity="x", entity_id=n)
                session.commit()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with Session(clean_db) as session:
        report = audit.verify_chain(session)
    assert report.ok and report.checked == 2


def test_hmac_is_what_the_entry_hash_is(session):
    """The keyed hash is the standard HMAC-SHA256 of the documented payload (a regulator
    holding the key can recompute it with any tool)."""
    entry = _write(session, 1)[0]
    _key_id, key = config.get_settings().audit_keys[0]
    payload = "\x1f".join(
        [
            entry.prev_hash,
            entry.at.isoformat(timespec="microseconds"),
            entry.actor,
            entry.action,
            entry.entity,
            entry.entity_id,
            entry.changes,
            entry.client,
        ]
    )
    assert entry.hash == hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def test_new_audit_key_install_rotates_the_chain_key_and_keeps_the_old_one(
    session, monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BACKOFFICE_AUDIT_KEYS", raising=False)
    config.get_settings.cache_clear()
    try:
        first = _write(session, 1)[0]
        assert cli.main(["new-audit-key", "--install"]) == 0
        config.get_settings.cache_clear()
        assert "put first in" in capsys.readouterr().out
        second = _write(session, 1)[0]
        assert second.key_id != first.key_id
        assert [k for k, _ in config.get_settings().audit_keys] == [second.key_id, first.key_id]
        assert audit.verify_chain(session).ok
    finally:
        config.get_settings.cache_clear()
