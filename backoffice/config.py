"""Settings read from the environment, with safe defaults for one machine.

Every setting has a ``BACKOFFICE_*`` variable; the README lists them. In the default setup the
secret key and the field-encryption keys are generated once and kept under ``data/``; with
``BACKOFFICE_ENV=production`` they must be given explicitly.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet

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
    return Settings(
        environment=environment,
        data_dir=data_dir,
        db_url=db_url,
        secret_key=secret_key,
        field_keys=field_keys,
        redis_url=os.environ.get("REFLEX_REDIS_URL") or None,
        timezone=timezone,
        default_language=language,
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
