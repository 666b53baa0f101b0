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
