"""Brute-force protection that no stranger can turn into a lock-out of someone else.

Two counters per failed attempt:

- per account *and* client address: after ``MAX_FAILURES`` failures within ``WINDOW`` that pair
  is locked for ``LOCKOUT``, doubling with each further failure up to ``MAX_LOCKOUT``. Whoever
  guesses from one address stops there; the owner signing in from elsewhere is not affected,
  and other accounts behind the same address (a proxy without ``trusted_proxy_hops``) are not
  either.
- per account across addresses: after ``FREE_FAILURES`` failures within ``WINDOW`` each further
  failure makes the next attempt on that account wait 2, 4, 8 … seconds, at most
  ``MAX_DELAY``. Guessing from rotating addresses is slowed to a crawl, yet the owner is never
  kept out for longer than ``MAX_DELAY``.

A success clears the account's counter and its pair; ``python -m backoffice unlock USER`` clears
all of an account's counters (``clear_account``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from backoffice.platform import like
from models.base import utcnow
from models.identity import LoginThrottle

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=5)
MAX_LOCKOUT = timedelta(hours=2)
FREE_FAILURES = 5
MAX_DELAY = timedelta(seconds=60)

LOCKED = "login.locked"
SLOW_DOWN = "login.slow_down"


def _user(username: str) -> str:
    return username.strip().lower()[:64]


def account_key(username: str) -> str:
    return f"user:{_user(username)}"


def pair_key(username: str, client: str) -> str:
    """One account from one client address (200 characters at most, the column's size)."""
    return f"pair:{_user(username)}|{client[:120]}"


def _until(session: Session, key: str) -> datetime | None:
    row = session.get(LoginThrottle, key)
    return row.locked_until if row and row.locked_until and row.locked_until > utcnow() else None


def refusal(session: Session, username: str, client: str) -> str:
    """Why an attempt on this account from this address may not be tried now ("" if it may):
    ``LOCKED`` for a locked pair, ``SLOW_DOWN`` while the account's delay runs."""
    if _until(session, pair_key(username, client)):
        return LOCKED
    if _until(session, account_key(username)):
        return SLOW_DOWN
    return ""


def _count(session: Session, key: str) -> tuple[LoginThrottle, datetime]:
    now = utcnow()
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        row = LoginThrottle(key=key, failures=0, window_started_at=now)
    if now - row.window_started_at > WINDOW and not (row.locked_until and row.locked_until > now):
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    row.failures += 1
    return row, now


def register_failure(session: Session, username: str, client: str) -> datetime | None:
    """Count a failure on both counters; returns when the pair's lock ends if this failure
    locked it (a lock-out to report), else None."""
    pair, now = _count(session, pair_key(username, client))
    locked_until = None
    if pair.failures >= MAX_FAILURES:
        lockouts = pair.failures - MAX_FAILURES  # 0 on the first lockout, then doubling
        pair.locked_until = locked_until = now + min(LOCKOUT * (2**lockouts), MAX_LOCKOUT)
    session.add(pair)
    account, now = _count(session, account_key(username))
    if account.failures >= FREE_FAILURES:
        delay = timedelta(seconds=2 ** (account.failures - FREE_FAILURES + 1))
        account.locked_until = now + min(delay, MAX_DELAY)
    session.add(account)
    session.flush()
    return locked_until


def clear_pair(session: Session, username: str, client: str) -> None:
    """After a success: this account's delay and its lock from this address go."""
    session.execute(
        sa.delete(LoginThrottle).where(
            LoginThrottle.key.in_([account_key(username), pair_key(username, client)])
        )
    )


def clear_account(session: Session, username: str) -> int:
    """Every counter of this account, from every address; returns how many there were."""
    result = session.execute(
        sa.delete(LoginThrottle).where(
            sa.or_(
                LoginThrottle.key == account_key(username),
                like.starts_with(LoginThrottle.key, f"pair:{_user(username)}|"),
            )
        )
    )
    return int(result.rowcount or 0)
