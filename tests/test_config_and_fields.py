"""Settings from the environment, and encryption, blind indexes and masking of fields."""

import pytest
from cryptography.fernet import Fernet

from backoffice import config
from backoffice.security import fields


def test_default_setup_generates_and_keeps_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BACKOFFICE_SECRET_KEY", raising=False)
    monkeypatch.delenv("BACKOFFICE_FIELD_KEYS", raising=False)
    first = config.load_settings()
    second = config.load_settings()
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    assert first.field_keys == second.field_keys
    assert first.audit_keys == second.audit_keys and first.audit_keys[0][0].startswith("k")
    assert first.audit_signing_key == second.audit_signing_key
    assert first.audit_checkpoint_path == tmp_path / "audit-checkpoints.jsonl"
    assert (tmp_path / "backoffice_audit_keys.txt").stat().st_mode & 0o077 == 0
    assert first.db_url == f"sqlite:///{tmp_path / 'backoffice.db'}"
    assert first.db_url.startswith("sqlite:////"), "the SQLite path must be absolute"
    assert (tmp_path / "backoffice_secret_key.txt").stat().st_mode & 0o077 == 0


def test_production_requires_explicit_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_ENV", "production")
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BACKOFFICE_DB_URL", "postgresql://db/backoffice")
    monkeypatch.delenv("BACKOFFICE_SECRET_KEY", raising=False)
    with pytest.raises(config.ConfigurationError, match="BACKOFFICE_SECRET_KEY"):
        config.load_settings()
    monkeypatch.setenv("BACKOFFICE_SECRET_KEY", "x" * 40)
    monkeypatch.delenv("BACKOFFICE_FIELD_KEYS", raising=False)
    with pytest.raises(config.ConfigurationError, match="BACKOFFICE_FIELD_KEYS"):
        config.load_settings()
    monkeypatch.setenv("BACKOFFICE_FIELD_KEYS", Fernet.generate_key().decode())
    for name in ("BACKOFFICE_AUDIT_KEYS", "BACKOFFICE_AUDIT_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(config.ConfigurationError, match="BACKOFFICE_AUDIT_KEYS"):
        config.load_settings()
    monkeypatch.setenv("BACKOFFICE_AUDIT_KEYS", config.new_audit_key())
    with pytest.raises(config.ConfigurationError, match="BACKOFFICE_AUDIT_SIGNING_KEY"):
        config.load_settings()
    monkeypatch.setenv("BACKOFFICE_AUDIT_SIGNING_KEY", config.new_signing_key())
    settings = config.load_settings()
    assert settings.is_production
    assert list(tmp_path.iterdir()) == [], "production must not write secrets to disk"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BACKOFFICE_FIELD_KEYS", "not-a-key", "malformed"),
        ("BACKOFFICE_SECRET_KEY", "short", "at least 32"),
        ("BACKOFFICE_DEFAULT_LANG", "fr", "BACKOFFICE_DEFAULT_LANG"),
        ("BACKOFFICE_AUDIT_KEYS", "k1:short", "malformed"),
        ("BACKOFFICE_AUDIT_KEYS", "bad id!:" + "x" * 40, "malformed"),
        ("BACKOFFICE_AUDIT_KEYS", f"k1:{'x' * 40},k1:{'y' * 40}", "twice"),
        ("BACKOFFICE_AUDIT_SIGNING_KEY", "bm90IGEga2V5", "malformed Ed25519"),
    ],
)
def test_malformed_settings_are_refused(tmp_path, monkeypatch, name, value, message):
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(name, value)
    with pytest.raises(config.ConfigurationError, match=message):
        config.load_settings()


def test_encryption_round_trip_is_not_plaintext():
    token = fields.encrypt("110105194912310021")
    assert "110105" not in token
    assert fields.decrypt(token) == "110105194912310021"
    assert fields.encrypt("x") != fields.encrypt("x"), "encryption must be randomised"


def test_key_rotation_keeps_old_values_readable(monkeypatch):
    old_key = config.get_settings().field_keys[0]
    token = fields.encrypt("13800138000")
    new_key = Fernet.generate_key().decode()
    rotated_settings = config.Settings(
        **{**config.get_settings().__dict__, "field_keys": (new_key, old_key)}
    )
    monkeypatch.setattr(fields, "get_settings", lambda: rotated_settings)
    assert fields.decrypt(token) == "13800138000"
    rotated = fields.rotate(token)
    only_new = config.Settings(**{**rotated_settings.__dict__, "field_keys": (new_key,)})
    monkeypatch.setattr(fields, "get_settings", lambda: only_new)
    assert fields.decrypt(rotated) == "13800138000"
    with pytest.raises(fields.DecryptionError):
        fields.decrypt(token)


def test_blind_index_is_keyed_normalised_and_purpose_bound():
    a = fields.blind_index("11010519491231002x", "customer.id_number")
    assert a == fields.blind_index(" 11010519491231002X ", "customer.id_number")
    assert a != fields.blind_index("11010519491231002X", "customer.phone")
    assert "110105" not in a


def test_masking():
    assert fields.mask("110105194912310021") == "110***********0021"
    assert fields.mask("13800138000", 3, 4) == "138****8000"
    assert fields.mask("") == ""
    assert fields.mask_name("张三") == "张*"
    assert fields.mask_name("欧阳明华") == "欧**华"
