"""API clients: created by administrators, each with one staff role's rights; keys shown once and
kept hashed, rotated with an overlap, revoked at once.

A client never acts as a person: its principal holds none of the actions that need a person's
fresh second factor (approve, publish, export, reveal, manage), so maker-checker approvals and
step-up actions stay with staff whatever role the client is given.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.platform import audit
from backoffice.platform.refusal import Refusal
from backoffice.security import rbac
from models.base import utcnow
from models.identity import Role, RolePermission
from models.integrations import ApiClient, ApiKey

KEY_PREFIX = "bo_"
NAME_LENGTH = 80
MAX_OVERLAP = timedelta(days=30)
ACTOR_PREFIX = "api:"
# a last-used time is written at most this often per key (not on every call)
TOUCH_EVERY = timedelta(minutes=1)


class ClientRefused(Refusal):
    """A client or key change that was refused; nothing was changed."""


@dataclass(frozen=True)
class Caller:
    """The API client behind a request, as the server resolved it from the key."""

    client_id: int
    name: str
    rate_per_minute: int
    principal: rbac.Principal
    stale_key_id: int | None = None  # the key whose last-used time is due to be written


def actor_name(name: str) -> str:
    """How a client is named in the audit trail and as a record's maker."""
    return f"{ACTOR_PREFIX}{name}"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_key(session: Session, client_id: int, expires_at: datetime | None = None) -> str:
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKey(client_id=client_id, prefix=prefix, secret_hash=_hash(secret), expires_at=expires_at)
    )
    session.flush()
    return f"{KEY_PREFIX}{prefix}_{secret}"


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The allow-list as networks; a bad entry refuses the whole list."""
    networks = []
    for part in (p.strip() for p in str(text or "").split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as error:
            raise ClientRefused("api_client.bad_network", value=part[:60]) from error
    return networks


def _checked(session: Session, name: str, role: str, allowed_ips: str, rate: int) -> str:
    name = str(name or "").strip()
    if not name or len(name) > NAME_LENGTH:
        raise ClientRefused("api_client.bad_name")
    if role not in rbac.ROLES:
        raise ClientRefused("api_client.bad_role")
    if not 1 <= int(rate) <= 100_000:
        raise ClientRefused("api_client.bad_rate")
    parse_networks(allowed_ips)
    return name


def create_client(
    session: Session,
    *,
    actor: rbac.Principal,
    name: str,
    role: str,
    allowed_ips: str = "",
    expires_at: datetime | None = None,
    rate_per_minute: int = 600,
) -> tuple[ApiClient, str]:
    """A new client and its first key (returned once, in clear)."""
    if not actor.can("api_client", "create"):
        raise ClientRefused("auth.denied")
    name = _checked(session, name, role, allowed_ips, rate_per_minute)
    if session.exec(select(ApiClient.id).where(ApiClient.name == name)).first() is not None:
        raise ClientRefused("api_client.name_taken")
    client = ApiClient(
        name=name,
        role=role,
        allowed_ips=allowed_ips.strip(),
        expires_at=expires_at,
        rate_per_minute=rate_per_minute,
        created_by=actor.username,
    )
    session.add(client)
    session.flush()
    key = _new_key(session, client.id)
    audit.record(
        session,
        actor=actor.username,
        action="api_client.create",
        entity="api_client",
        entity_id=client.id,
        changes={
            "name": [None, name],
            "role": [None, role],
            "allowed_ips": [None, client.allowed_ips],
            "expires_at": [None, expires_at.isoformat() if expires_at else None],
            "rate_per_minute": [None, rate_per_minute],
        },
    )
    return client, key


def _client(session: Session, client_id: int) -> ApiClient:
    client = session.get(ApiClient, client_id)
    if client is None or client.archived_at is not None:
        raise ClientRefused("error.not_found")
    return client


def rotate_key(
    session: Session, *, actor: rbac.Principal, client_id: int, overlap_hours: int = 24
) -> str:
    """A new key; the client's live keys stop working after ``overlap_hours`` (0: at once),
    so the calling system can switch without an outage."""
    if not actor.can("api_client", "manage"):
        raise ClientRefused("auth.denied")
    client = _client(session, client_id)
    if client.revoked_at is not None:
        raise ClientRefused("api_client.revoked")
    overlap = timedelta(hours=int(overlap_hours))
    if overlap < timedelta(0) or overlap > MAX_OVERLAP:
        raise ClientRefused("api_client.bad_overlap")
    now = utcnow()
    ends = now + overlap
    for key in _live_keys(session, client.id, now):
        if key.expires_at is None or key.expires_at > ends:
            key.expires_at = ends
            session.add(key)
    new_key = _new_key(session, client.id)
    audit.record(
        session,
        actor=actor.username,
        action="api_client.rotate_key",
        entity="api_client",
        entity_id=client.id,
        changes={"old_keys_end": [None, ends.isoformat()]},
    )
    return new_key


def revoke_client(session: Session, *, actor: rbac.Principal, client_id: int) -> None:
    """The client and every key of it stop working at once."""
    if not actor.can("api_client", "manage"):
        raise ClientRefused("auth.denied")
    client = _client(session, client_id)
    if client.revoked_at is not None:
        return
    now = utcnow()
    client.revoked_at = now
    client.updated_at = now
    client.version += 1
    session.add(client)
    session.execute(
        sa.update(ApiKey)
        .where(ApiKey.client_id == client.id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    audit.record(
        session,
        actor=actor.username,
        action="api_client.revoke",
        entity="api_client",
        entity_id=client.id,
        changes={"revoked_at": [None, now.isoformat()]},
    )


def _live_keys(session: Session, client_id: int, now: datetime) -> list[ApiKey]:
    return list(
        session.exec(
            select(ApiKey).where(
                ApiKey.client_id == client_id,
                ApiKey.revoked_at.is_(None),
                sa.or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
            )
        ).all()
    )


def _address_allowed(allowed_ips: str, address: str) -> bool:
    networks = parse_networks(allowed_ips)
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


# a key by its public prefix, with its client and the client's role (none if unknown)
_KEY_CHECK = (
    sa.select(
        ApiKey.id,
        ApiKey.secret_hash,
        ApiKey.revoked_at,
        ApiKey.expires_at,
        ApiKey.last_used_at,
        ApiClient.id.label("client_id"),
        ApiClient.name,
        ApiClient.role,
        ApiClient.allowed_ips,
        ApiClient.rate_per_minute,
        ApiClient.archived_at.label("client_archived_at"),
        ApiClient.revoked_at.label("client_revoked_at"),
        ApiClient.expires_at.label("client_expires_at"),
        Role.id.label("role_id"),
        Role.version,
        Role.updated_at,
        Role.archived_at.label("role_archived_at"),
    )
    .join(ApiClient, ApiClient.id == ApiKey.client_id)
    .outerjoin(Role, Role.code == ApiClient.role)
    .where(ApiKey.prefix == sa.bindparam("prefix"))
)
_ROLE_GRANTS = sa.select(RolePermission.resource, RolePermission.action).where(
    RolePermission.role_id == sa.bindparam("role_id")
)


def authenticate(session: Session, key: str, address: str) -> Caller | None:
    """The caller a presented key stands for, or None: unknown, wrong, revoked or expired key,
    a revoked, archived or expired client, or an address outside its allow-list. Reads only:
    the key, its client and the client's role in one query, the role's grants only when the
    role changed since they were last read (see :func:`_role_grants`)."""
    key = str(key or "")
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    prefix, _, secret = key[len(KEY_PREFIX) :].partition("_")
    # plain rows on the session's connection (no ORM objects to build), by one statement built
    # once: a new one each call costs SQLAlchemy more than the query does
    found = session.connection().execute(_KEY_CHECK, {"prefix": prefix}).first()
    if found is None:
        return None
    (
        key_id,
        secret_hash,
        key_revoked_at,
        key_expires_at,
        last_used_at,
        client_id,
        name,
        role,
        allowed_ips,
        rate_per_minute,
        archived_at,
        revoked_at,
        expires_at,
        *role_row,
    ) = found
    if not hmac.compare_digest(secret_hash, _hash(secret)):
        return None
    now = utcnow()
    if key_revoked_at is not None or (key_expires_at is not None and key_expires_at <= now):
        return None
    if (
        archived_at is not None
        or revoked_at is not None
        or (expires_at is not None and expires_at <= now)
        or not _address_allowed(allowed_ips, address)
    ):
        return None
    due = last_used_at is None or now - last_used_at > TOUCH_EVERY
    return Caller(
        client_id=client_id,
        name=name,
        rate_per_minute=rate_per_minute,
        principal=_principal(name, role, _role_grants(session, role, *role_row)),
        stale_key_id=key_id if due else None,
    )


# The grants of each role as last read, keyed by the role row as it was then (its id, version
# and last change: ``users.set_permission`` bumps both with every cell it changes, in the same
# transaction), and by the database: a changed matrix is read afresh on the very next call.
_GRANTS: dict[tuple[str, str, int, int, datetime], frozenset[tuple[str, str]]] = {}
_GRANTS_KEPT = 1000  # roles × changes remembered before the oldest are forgotten


def _role_grants(
    session: Session,
    role: str,
    role_id: int | None,
    version: int | None,
    updated_at: datetime | None,
    archived_at: datetime | None,
) -> frozenset[tuple[str, str]]:
    """A role's grants less the step-up actions; none for an unknown or archived role."""
    if role_id is None or version is None or updated_at is None or archived_at is not None:
        return frozenset()
    stamp = (str(session.get_bind().url), role, role_id, version, updated_at)
    grants = _GRANTS.get(stamp)
    if grants is None:
        rows = session.connection().execute(_ROLE_GRANTS, {"role_id": role_id})
        grants = frozenset(
            (resource, action) for resource, action in rows if action not in rbac.STEP_UP_ACTIONS
        )
        if len(_GRANTS) >= _GRANTS_KEPT:
            _GRANTS.clear()
        _GRANTS[stamp] = grants
    return grants


def _principal(name: str, role: str, grants: frozenset[tuple[str, str]]) -> rbac.Principal:
    return rbac.Principal(
        user_id=0,
        username=actor_name(name),
        display_name=name,
        session_id=0,
        roles=frozenset({role}),
        permissions=grants,
        totp_verified_at=None,
    )


def touch_key(session: Session, key_id: int) -> None:
    """Note when a key was last used (at most once a minute per key, in its own write)."""
    session.execute(sa.update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utcnow()))


def principal_for(session: Session, client: ApiClient) -> rbac.Principal:
    """The client's rights: its role's grants in the live matrix, less every action that
    needs a person's fresh second factor."""
    role = session.exec(
        select(Role.id, Role.version, Role.updated_at, Role.archived_at).where(
            Role.code == client.role
        )
    ).first()
    grants = _role_grants(session, client.role, *(role or (None, None, None, None)))
    return _principal(client.name, client.role, grants)
