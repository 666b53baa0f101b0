"""Password hashing (argon2id via passlib) and the password policy."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from passlib.context import CryptContext

MIN_LENGTH = 12
MAX_LENGTH = 256
# OWASP ASVS / Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1.
_context = CryptContext(
    schemes=["argon2"],
    argon2__type="ID",
    argon2__memory_cost=19_456,
    argon2__time_cost=2,
    argon2__parallelism=1,
)
_COMMON = Path(__file__).resolve().parent / "common_passwords.txt"


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(
        line.strip().lower() for line in _COMMON.read_text().splitlines() if line.strip()
    )


def hash_password(password: str) -> str:
    return _context.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _context.verify(password, password_hash)
    except (ValueError, TypeError):
        return False


# A hash of a random password, verified when the user does not exist, so that an unknown
# username costs the same time as a wrong password.
_DUMMY_HASH = _context.hash("unused-password-for-timing-equalisation")


def burn_time(password: str) -> None:
    _context.verify(password, _DUMMY_HASH)


def policy_problems(password: str, username: str = "") -> list[str]:
    """i18n keys of every rule the password breaks (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append("password.too_short")
    if len(password) > MAX_LENGTH:
        problems.append("password.too_long")
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(password)) < 4:
        problems.append("password.too_common")
    if username and len(username) >= 3 and username.lower() in lowered:
        problems.append("password.contains_username")
    return problems
