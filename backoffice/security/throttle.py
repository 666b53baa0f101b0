"""Brute-force protection: failures counted per account and per client, with lockout.

After ``MAX_FAILURES`` failures within ``WINDOW`` the key is locked for ``LOCKOUT``, doubling
with each further lockout up to ``MAX_LOCKOUT``.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from models.base import utcnow
from models.identity import LoginThrottle

MAX_FAILURES = 5
CLIENT_MAX_FAILURES = 20
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=5)
MAX_LOCKOUT = timedelta(hours=2)


def account_key(username: str) -> str:
    return f"user:{username.strip().lower()[:150]}"


def client_key(client: str) -> str:
    return f"client:{client[:150]}"


def is_locked(session: Session, key: str) -> bool:
    row = session.get(LoginThrottle, key)
    return bool(row and row.locked_until and row.locked_until > utcnow())


def register_failure(session: Session, key: str, limit: int = MAX_FAILURES) -> bool:
    """Count a failure; returns True when this failure locked the key."""
    now = utcnow()
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        row = LoginThrottle(key=key, failures=0, window_started_at=now)
    if now - row.window_started_at > WINDOW and not (row.locked_until and row.locked_until > now):
        row.failures, row.window_started_at = 0, now
    row.failures += 1
    locked = False
    if row.failures >= limit:
        lockouts = row.failures - limit  # 0 on the first lockout, then doubling
        row.locked_until = now + min(LOCKOUT * (2**lockouts), MAX_LOCKOUT)
        locked = True
    session.add(row)
    session.flush()
    return locked


def clear(session: Session, key: str) -> None:
    row = session.get(LoginThrottle, key)
    if row is not None:
        session.delete(row)
