"""Attachments live outside the public upload folder and are read only with permission."""

import pytest
import reflex as rx
from sqlmodel import select

import backoffice.domains  # noqa: F401
from backoffice.config import get_settings
from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.platform import attachments
from models.audit import AuditEntry
from models.partners import Partner
from tests.factories import make_principal

PARTNER = get("partner")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def record(session):
    partner = Partner(name="甲", kind="bank", licence_no="L", status="active")
    session.add(partner)
    session.commit()
    return partner.id


def test_files_are_stored_privately_checked_and_audited(session, record):
    pm = make_principal(session, "pm.a", ["product_manager"])
    item, problem = attachments.add(
        session,
        principal=pm,
        resource=PARTNER,
        record_id=record,
        filename="../../合作协议.pdf",
        data=PDF,
    )
    session.commit()
    assert problem == "" and item.filename == "合作协议.pdf"
    stored = attachments.store_dir() / item.sha256[:2] / item.sha256
    assert stored.read_bytes() == PDF
    assert get_settings().data_dir in stored.parents
    assert rx.get_upload_dir().resolve() not in stored.resolve().parents
    content = attachments.read(session, principal=pm, resource=PARTNER, attachment_id=item.id)
    assert content.data == PDF and content.content_type == "application/pdf"
    actions = session.exec(select(AuditEntry.action)).all()
    assert "partner.attach" in actions and "partner.download" in actions


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("x.exe", b"MZ", "attachment.type"),
        ("fake.pdf", b"<html>", "attachment.content_mismatch"),
        ("empty.pdf", b"", "attachment.empty"),
    ],
)
def test_unsafe_or_wrong_files_are_refused(session, record, name, data, problem):
    pm = make_principal(session, "pm.b", ["product_manager"])
    item, found = attachments.add(
        session, principal=pm, resource=PARTNER, record_id=record, filename=name, data=data
    )
    assert item is None and found == problem


def test_reading_needs_view_permission_and_tampering_is_detected(session, record):
    pm = make_principal(session, "pm.c", ["product_manager"])
    item, _ = attachments.add(
        session, principal=pm, resource=PARTNER, record_id=record, filename="a.pdf", data=PDF
    )
    session.commit()
    agent = make_principal(session, "agent.c", ["cs_agent"])
    with pytest.raises(service.EngineError):
        attachments.read(session, principal=agent, resource=PARTNER, attachment_id=item.id)
    with pytest.raises(service.EngineError):
        attachments.add(
            session, principal=agent, resource=PARTNER, record_id=record, filename="b.pdf", data=PDF
        )
    path = attachments.store_dir() / item.sha256[:2] / item.sha256
    path.write_bytes(PDF + b"tampered")
    with pytest.raises(service.EngineError, match=r"attachment\.corrupt"):
        attachments.read(session, principal=pm, resource=PARTNER, attachment_id=item.id)


def test_removal_archives(session, record):
    pm = make_principal(session, "pm.d", ["product_manager"])
    item, _ = attachments.add(
        session, principal=pm, resource=PARTNER, record_id=record, filename="a.pdf", data=PDF
    )
    assert attachments.archive(session, principal=pm, resource=PARTNER, attachment_id=item.id)
    session.commit()
    assert attachments.listing(session, principal=pm, resource=PARTNER, record_id=record) == []
    archived = attachments.listing(
        session, principal=pm, resource=PARTNER, record_id=record, archived=True
    )
    assert [a.id for a in archived] == [item.id]


def test_a_removed_file_is_refused_as_missing_and_its_refusal_audits_nothing(session, record):
    """The page's download and view and the API read through ``read``: an archived file is no
    longer the record's, even for the person who may archive (no screen lists it)."""
    pm = make_principal(session, "pm.e", ["product_manager"])
    item, _ = attachments.add(
        session, principal=pm, resource=PARTNER, record_id=record, filename="a.pdf", data=PDF
    )
    assert attachments.archive(session, principal=pm, resource=PARTNER, attachment_id=item.id)
    session.commit()
    before = len(session.exec(select(AuditEntry.id)).all())
    for purpose in ("download", "view", ""):
        with pytest.raises(service.EngineError, match=r"error\.not_found"):
            attachments.read(
                session, principal=pm, resource=PARTNER, attachment_id=item.id, purpose=purpose
            )
    assert len(session.exec(select(AuditEntry.id)).all()) == before
