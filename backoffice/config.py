"""Settings read from the environment, with safe defaults for one machine.

Every setting has a ``BACKOFFICE_*`` variable; docs/operations.md lists them. In the default
setup the secret key and the field-encryption keys are generated once and kept under ``data/``;
with ``BACKOFFICE_ENV=production`` they must be given explicitly.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh", "en")


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    environment: str
    data_dir: Path
    db_url: str
    secret_key: str
    field_keys: tuple[str, ...]
    redis_url: str | None
    timezone: str
    default_language: str
    # the audit chain's HMAC keys, newest first: (key id, secret); never in the database
    audit_keys: tuple[tuple[str, bytes], ...] = ()
    # Ed25519 key signing the audit checkpoints and evidence packs (raw 32 bytes)
    audit_signing_key: bytes = b""
    # public keys of signing keys retired by a rotation: their checkpoints still verify
    audit_retired_signers: tuple[bytes, ...] = ()
    audit_checkpoint_path: Path = Path()

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _read_or_create(path: Path, make: str) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(make + "\n")
    path.chmod(0o600)
    return make


def _secret(name: str, data_dir: Path, production: bool, make: str) -> str:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if production:
        raise ConfigurationError(f"{name} must be set when BACKOFFICE_ENV=production")
    return _read_or_create(data_dir / f"{name.lower()}.txt", make)


AUDIT_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


def new_audit_key() -> str:
    """``id:secret`` for BACKOFFICE_AUDIT_KEYS (an id that sorts nowhere in particular)."""
    return f"k{secrets.token_hex(4)}:{secrets.token_urlsafe(32)}"


def parse_audit_keys(raw: str) -> tuple[tuple[str, bytes], ...]:
    keys: list[tuple[str, bytes]] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key_id, _, secret = item.partition(":")
        if not AUDIT_KEY_ID.match(key_id) or len(secret) < 32:
            raise ConfigurationError(
                "BACKOFFICE_AUDIT_KEYS holds a malformed key (id:secret, the secret ≥ 32 chars)"
            )
        if key_id in {k for k, _ in keys}:
            raise ConfigurationError(f"BACKOFFICE_AUDIT_KEYS names key {key_id} twice")
        keys.append((key_id, secret.encode()))
    if not keys:
        raise ConfigurationError("BACKOFFICE_AUDIT_KEYS holds no key")
    return tuple(keys)


def new_signing_key() -> str:
    return base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode()


def _raw_ed25519(value: str, name: str, public: bool) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
        if public:
            Ed25519PublicKey.from_public_bytes(raw)
        else:
            Ed25519PrivateKey.from_private_bytes(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} holds a malformed Ed25519 key (base64)") from exc
    return raw


def load_settings() -> Settings:
    environment = os.environ.get("BACKOFFICE_ENV", "development").strip() or "development"
    production = environment == "production"
    data_dir = Path(os.environ.get("BACKOFFICE_DATA_DIR", PROJECT_ROOT / "data")).resolve()
    db_url = os.environ.get("BACKOFFICE_DB_URL", "").strip()
    if not db_url:
        if production:
            raise ConfigurationError("BACKOFFICE_DB_URL must be set when BACKOFFICE_ENV=production")
        db_url = f"sqlite:///{data_dir / 'backoffice.db'}"
    secret_key = _secret("BACKOFFICE_SECRET_KEY", data_dir, production, secrets.token_urlsafe(48))
    if len(secret_key) < 32:
        raise ConfigurationError("BACKOFFICE_SECRET_KEY must be at least 32 characters")
    raw_keys = _secret(
        "BACKOFFICE_FIELD_KEYS", data_dir, production, Fernet.generate_key().decode()
    )
    field_keys = tuple(k.strip() for k in raw_keys.split(",") if k.strip())
    for key in field_keys:
        try:
            Fernet(key)
        except ValueError as exc:
            raise ConfigurationError("BACKOFFICE_FIELD_KEYS holds a malformed key") from exc
    timezone = os.environ.get("BACKOFFICE_TIMEZONE", "Asia/Shanghai")
    ZoneInfo(timezone)  # fails early on an unknown zone
    language = os.environ.get("BACKOFFICE_DEFAULT_LANG", "zh")
    if language not in LANGUAGES:
        raise ConfigurationError(f"BACKOFFICE_DEFAULT_LANG must be one of {LANGUAGES}")
    audit_keys = parse_audit_keys(
        _secret("BACKOFFICE_AUDIT_KEYS", data_dir, production, new_audit_key())
    )
    signing_key = _raw_ed25519(
        _secret("BACKOFFICE_AUDIT_SIGNING_KEY", data_dir, production, new_signing_key()),
        "BACKOFFICE_AUDIT_SIGNING_KEY",
        public=False,
    )
    retired = tuple(
        _raw_ed25519(k.strip(), "BACKOFFICE_AUDIT_RETIRED_SIGNERS", public=True)
        for k in os.environ.get("BACKOFFICE_AUDIT_RETIRED_SIGNERS", "").split(",")
        if k.strip()
    )
    checkpoints = os.environ.get("BACKOFFICE_AUDIT_CHECKPOINTS", "").strip()
    return Settings(
        environment=environment,
        data_dir=data_dir,
        db_url=db_url,
        secret_key=secret_key,
        field_keys=field_keys,
        redis_url=os.environ.get("REFLEX_REDIS_URL") or None,
        timezone=timezone,
        default_language=language,
        audit_keys=audit_keys,
        audit_signing_key=signing_key,
        audit_retired_signers=retired,
        audit_checkpoint_path=(
            Path(checkpoints).resolve() if checkpoints else data_dir / "audit-checkpoints.jsonl"
        ),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
