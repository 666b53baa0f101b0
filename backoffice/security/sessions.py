"""Server-side sign-in sessions: a random token in the browser, its hash in the database.

The browser holds the token only in an HttpOnly cookie (``COOKIE_NAME``) set by an HTTP
response: the sign-in step hands the page a claim code (the new token, encrypted, valid
``CLAIM_SECONDS``), and ``claim`` exchanges it once for a fresh token that replaces the first,
so neither the code nor the token it hides is worth anything after the exchange."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from backoffice.security import fields
from models.base import utcnow
from models.identity import StaffSession, User

IDLE_MINUTES = int(os.environ.get("BACKOFFICE_SESSION_IDLE_MINUTES", "30"))
ABSOLUTE_HOURS = int(os.environ.get("BACKOFFICE_SESSION_ABSOLUTE_HOURS", "12"))
TOUCH_EVERY = timedelta(seconds=30)  # last_seen_at is written at most this often
COOKIE_NAME = "bo_session"
CLAIM_SECONDS = 120
_CLAIM_PREFIX = "claim:"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, *, user: User, client: str = "", user_agent: str = "") -> str:
    """Start a session for a user who just passed both factors; returns the browser's token."""
    token = secrets.token_urlsafe(32)  # 256 bits
    now = utcnow()
    session.add(
        StaffSession(
            token_hash=hash_token(token),
            user_id=user.id,
            last_seen_at=now,
            expires_at=now + timedelta(hours=ABSOLUTE_HOURS),
            totp_verified_at=now,
            client=client[:100],
            user_agent=user_agent[:300],
        )
    )
    session.flush()
    return token


def claim_code(token: str) -> str:
    """What the page may hold for a moment after sign-in: the token, encrypted and dated."""
    return fields.encrypt(_CLAIM_PREFIX + token)


def claim(session: Session, code: str) -> tuple[str, int] | None:
    """Exchange a claim code, once, for the token the browser's cookie will hold: a new one
    replaces the session's token, so a second exchange (or the first token) finds nothing.
    Returns (new token, session id), or None for an unknown, used or stale code."""
    if not code or len(code) > 1000:
        return None
    try:
        plain = fields.decrypt(code, max_age_seconds=CLAIM_SECONDS)
    except fields.DecryptionError:
        return None
    if not plain.startswith(_CLAIM_PREFIX):
        return None
    old_hash = hash_token(plain.removeprefix(_CLAIM_PREFIX))
    row = session.execute(
        sa.select(StaffSession.id).where(
            StaffSession.token_hash == old_hash, StaffSession.revoked_at.is_(None)
        )
    ).first()
    if row is None:
        return None
    token = secrets.token_urlsafe(32)
    swapped = session.execute(
        sa.update(StaffSession)
        .where(StaffSession.id == row.id, StaffSession.token_hash == old_hash)
        .values(token_hash=hash_token(token), last_seen_at=utcnow())
    )
    return (token, row.id) if swapped.rowcount == 1 else None


def token_from_cookie_header(header: str) -> str:
    """The session token in a request's Cookie header, or ""."""
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE_NAME:
            return value.strip()
    return ""


@dataclass(frozen=True)
class Live:
    """A live session with what ``resolve`` needs of its user (one indexed query for both)."""

    id: int
    user_id: int
    totp_verified_at: datetime
    username: str
    display_name: str
    user_active: bool


def live(session: Session, token: str, now: datetime | None = None) -> Live | None:
    """The session for a token if it is neither revoked, idle too long nor past its end."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    row = session.execute(
        sa.select(
            StaffSession.id,
            StaffSession.user_id,
            StaffSession.revoked_at,
            StaffSession.expires_at,
            StaffSession.last_seen_at,
            StaffSession.totp_verified_at,
            User.username,
            User.display_name,
            User.is_active,
        )
        .join(User, User.id == StaffSession.user_id)
        .where(StaffSession.token_hash == hash_token(token))
    ).first()
    if row is None or row.revoked_at is not None:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= timedelta(minutes=IDLE_MINUTES):
        session.execute(
            sa.update(StaffSession)
            .where(StaffSession.id == row.id)
            .values(revoked_at=now, revoked_reason="expired")
        )
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        _touch(session, row.id, now)
    return Live(
        id=row.id,
        user_id=row.user_id,
        totp_verified_at=row.totp_verified_at,
        username=row.username,
        display_name=row.display_name,
        user_active=row.is_active,
    )


def _touch(session: Session, session_id: int, now: datetime) -> None:
    """Move last_seen_at on; best effort. With several workers on SQLite, a transaction that
    has read cannot write once another process committed (SQLITE_BUSY_SNAPSHOT, "database is
    locked"); failing the caller's event for that would be wrong, and the next event touches
    again. The savepoint keeps the caller's transaction usable."""
    try:
        with session.begin_nested():
            session.execute(
                sa.update(StaffSession)
                .where(StaffSession.id == session_id)
                .values(last_seen_at=now)
            )
    except sa.exc.OperationalError as error:
        if "locked" not in str(error):
            raise


def revoke(session: Session, *, session_id: int, reason: str) -> bool:
    result = session.execute(
        sa.update(StaffSession)
        .where(StaffSession.id == session_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason[:40])
    )
    return result.rowcount > 0


def revoke_all_for_user(
    session: Session, *, user_id: int, reason: str, except_session_id: int | None = None
) -> int:
    query = sa.update(StaffSession).where(
        StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None)
    )
    if except_session_id is not None:
        query = query.where(StaffSession.id != except_session_id)
    return session.execute(query.values(revoked_at=utcnow(), revoked_reason=reason[:40])).rowcount


def mark_totp_verified(session: Session, *, session_id: int) -> None:
    session.execute(
        sa.update(StaffSession)
        .where(StaffSession.id == session_id)
        .values(totp_verified_at=utcnow())
    )
