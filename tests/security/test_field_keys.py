"""Key rotation over the database: every encrypted column re-encrypted under the newest key,
after which the old key can go; the run is audited and can be repeated."""

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from backoffice import config
from backoffice.platform import audit
from backoffice.security import field_keys, fields
from models.audit import AuditEntry
from models.customers import Customer
from models.identity import User
from tests.factories import make_customer, make_user


def _use_keys(monkeypatch, keys):
    settings = config.Settings(**{**config.get_settings().__dict__, "field_keys": keys})
    monkeypatch.setattr(fields, "get_settings", lambda: settings)


def test_every_cipher_column_is_found():
    found = {(t.name, c.name) for t, columns in field_keys.cipher_columns() for c in columns}
    assert {
        ("customer", "id_number_cipher"),
        ("customer", "name_cipher"),
        ("employee", "salary_cipher"),
        ("app_user", "totp_secret_cipher"),
    } <= found


def test_rotation_re_encrypts_everything_under_the_new_key(session, monkeypatch):
    old_key = config.get_settings().field_keys[0]
    customer = make_customer(session)
    user, secret = make_user(session, "rotate.a", ["compliance"])
    session.commit()
    before = customer.id_number_cipher
    new_key = Fernet.generate_key().decode()
    _use_keys(monkeypatch, (new_key, old_key))
    counts = field_keys.rotate_all(batch=1)
    assert counts["customer.id_number_cipher"] == 1 and counts["app_user.totp_secret_cipher"] >= 1
    _use_keys(monkeypatch, (new_key,))  # the old key is gone
    session.expire_all()
    customer = session.exec(select(Customer)).one()
    assert customer.id_number_cipher != before
    assert fields.decrypt(customer.address_cipher).startswith("北京市")
    assert fields.decrypt(session.get(User, user.id).totp_secret_cipher) == secret
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "field_keys.rotate")).one()
    assert audit.verify_chain(session).ok
    assert field_keys.rotate_all()["customer.name_cipher"] == 1  # a second run is harmless


def test_a_value_no_key_opens_stops_the_rotation(session, monkeypatch):
    make_customer(session)
    _use_keys(monkeypatch, (Fernet.generate_key().decode(),))  # not the key it was written with
    with pytest.raises(field_keys.RotationError, match="customer"):
        field_keys.rotate_all()
