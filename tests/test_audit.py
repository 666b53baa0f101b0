"""The audit log is hash-chained: tampering with, or removing, any entry is detected."""

import sqlalchemy as sa

from backoffice import cli
from backoffice.services import audit
from models.audit import AuditEntry


def _write(session, n: int) -> list[AuditEntry]:
    entries = [
        audit.record(
            session,
            actor="alice",
            action="product.edit",
            entity="product",
            entity_id=i,
            changes={"yield_max": ["3.10", "3.25"], "name": ["稳盈", "稳盈A"]},
        )
        for i in range(n)
    ]
    session.commit()
    return entries


def test_chain_links_each_entry_to_the_previous(session):
    entries = _write(session, 3)
    assert entries[0].prev_hash == audit.GENESIS
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    report = audit.verify_chain(session)
    assert report.ok and report.checked == 3


def test_edited_entry_is_detected(session):
    entries = _write(session, 4)
    session.execute(
        sa.update(AuditEntry)
        .where(AuditEntry.id == entries[2].id)
        .values(changes='{"yield_max": ["3.10", "9.99"]}')
    )
    session.commit()
    report = audit.verify_chain(session)
    assert report.first_broken_id == entries[2].id
    assert report.checked == 2


def test_removed_entry_is_detected(session):
    entries = _write(session, 4)
    session.execute(sa.delete(AuditEntry).where(AuditEntry.id == entries[1].id))
    session.commit()
    assert audit.verify_chain(session).first_broken_id == entries[2].id


def test_removed_last_entry_is_detected(session):
    entries = _write(session, 3)
    session.execute(sa.delete(AuditEntry).where(AuditEntry.id == entries[2].id))
    session.commit()
    assert not audit.verify_chain(session).ok


def test_entry_rolls_back_with_the_change(session):
    _write(session, 1)
    audit.record(session, actor="bob", action="x", entity="y")
    session.rollback()
    assert session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one() == 1
    assert audit.verify_chain(session).ok


def test_verify_audit_command_reports_breakage(session, capsys):
    entries = _write(session, 2)
    assert cli.main(["verify-audit"]) == 0
    assert "intact: 2 entries" in capsys.readouterr().out
    session.execute(
        sa.update(AuditEntry).where(AuditEntry.id == entries[0].id).values(actor="mallory")
    )
    session.commit()
    assert cli.main(["verify-audit"]) == 1
    assert f"BROKEN at entry {entries[0].id}" in capsys.readouterr().out


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
