"""Encryption at rest for personal and confidential fields.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256). ``BACKOFFICE_FIELD_KEYS`` holds one
or more keys, newest first: new values use the first key, older values still decrypt with any
key, and :func:`rotate` re-encrypts a value under the newest key. Exact look-ups (by ID number,
phone) use a keyed hash (blind index) so that the clear value never needs to be stored.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from backoffice.config import get_settings


class DecryptionError(ValueError):
    """The value was not encrypted with any configured key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(value: str) -> str:
    return _fernet(get_settings().field_keys).encrypt(value.encode()).decode()


def decrypt(token: str, max_age_seconds: int | None = None) -> str:
    """The plain value; ``max_age_seconds`` also refuses a value encrypted longer ago."""
    if not token:
        return ""
    try:
        return (
            _fernet(get_settings().field_keys).decrypt(token.encode(), ttl=max_age_seconds).decode()
        )
    except InvalidToken as exc:
        raise DecryptionError("the value cannot be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt a value under the newest key (after a new key was put first)."""
    return _fernet(get_settings().field_keys).rotate(token.encode()).decode()


def blind_index(value: str, purpose: str) -> str:
    """A keyed hash for exact look-up; ``purpose`` separates the indexes of different fields."""
    key = hashlib.sha256(f"{purpose}:{get_settings().secret_key}".encode()).digest()
    normalised = "".join(value.split()).upper()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def mask(value: str, keep_start: int = 3, keep_end: int = 4) -> str:
    """Mask the middle of a value: 110101199003071234 → 110***********1234."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return value[0] + "*" * (len(value) - 1)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_name(name: str) -> str:
    """Mask a person's name, keeping the family name: 张三 → 张*, 欧阳明华 → 欧**华."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
