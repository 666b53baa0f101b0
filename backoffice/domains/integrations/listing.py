"""The API clients as administrators see them (every key's public part and dates, never a
secret), and the form values a new client is made from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, select

from backoffice.config import get_settings
from backoffice.domains.integrations.clients import KEY_PREFIX, ClientRefused
from backoffice.platform.business_time import local_today
from models.base import utcnow
from models.integrations import ApiClient, ApiKey

MAX_RATE = 100_000


@dataclass(frozen=True)
class KeyView:
    prefix: str  # what the key starts with: enough to recognise it, useless to call with
    created_at: datetime
    last_used_at: datetime | None
    ends_at: datetime | None  # revoked or expiring, whichever is first
    status: str  # live, ending (works until ends_at), ended


@dataclass(frozen=True)
class ClientView:
    id: int
    name: str
    role: str
    allowed_ips: str
    expires_at: datetime | None
    rate_per_minute: int
    created_by: str
    status: str  # active, expired, revoked
    keys: tuple[KeyView, ...]


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # stored UTC without its zone (SQLite)
        return moment.replace(tzinfo=UTC)
    return moment


def _key_view(key: ApiKey, now: datetime) -> KeyView:
    revoked, expires = _aware(key.revoked_at), _aware(key.expires_at)
    ends = min((m for m in (revoked, expires) if m is not None), default=None)
    if ends is not None and ends <= now:
        status = "ended"
    elif ends is not None:
        status = "ending"
    else:
        status = "live"
    return KeyView(
        prefix=f"{KEY_PREFIX}{key.prefix}_",
        created_at=_aware(key.created_at),
        last_used_at=_aware(key.last_used_at),
        ends_at=ends,
        status=status,
    )


def client_status(client: ApiClient, now: datetime) -> str:
    if client.revoked_at is not None:
        return "revoked"
    expires = _aware(client.expires_at)
    if expires is not None and expires <= now:
        return "expired"
    return "active"


def list_clients(session: Session) -> list[ClientView]:
    """Every client not archived, newest first, each with its keys (newest first)."""
    now = utcnow()
    clients = session.exec(
        select(ApiClient).where(ApiClient.archived_at.is_(None)).order_by(ApiClient.id.desc())
    ).all()
    keys: dict[int, list[ApiKey]] = {}
    if clients:
        for key in session.exec(
            select(ApiKey)
            .where(ApiKey.client_id.in_([c.id for c in clients]))
            .order_by(ApiKey.id.desc())
        ).all():
            keys.setdefault(key.client_id, []).append(key)
    return [
        ClientView(
            id=client.id,
            name=client.name,
            role=client.role,
            allowed_ips=client.allowed_ips,
            expires_at=_aware(client.expires_at),
            rate_per_minute=client.rate_per_minute,
            created_by=client.created_by,
            status=client_status(client, now),
            keys=tuple(_key_view(k, now) for k in keys.get(client.id, [])),
        )
        for client in clients
    ]


def expiry_from_day(text: str) -> datetime | None:
    """A client's last day (YYYY-MM-DD, the company's calendar) as the moment it stops
    working: the start of the next day there. Empty: no expiry. Today or later only."""
    text = str(text or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise ClientRefused("api_client.bad_expiry") from error
    if day < local_today():
        raise ClientRefused("api_client.bad_expiry")
    zone = get_settings().zone
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def rate_from_text(text: object) -> int:
    """The limit per minute as typed; a value that is not a whole number in range refuses."""
    try:
        rate = int(str(text).strip())
    except ValueError as error:
        raise ClientRefused("api_client.bad_rate") from error
    if not 1 <= rate <= MAX_RATE:
        raise ClientRefused("api_client.bad_rate")
    return rate


def overlap_from_text(text: object) -> int:
    """The hours old keys keep working after a rotation, as typed."""
    try:
        return int(str(text).strip())
    except ValueError as error:
        raise ClientRefused("api_client.bad_overlap") from error
