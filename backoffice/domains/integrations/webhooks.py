"""Webhooks: events of the back office delivered to subscribers, through an outbox.

A change that reports an event writes it (``emit``) in its own transaction, with one pending
delivery per subscription that wants its kind: committed together, so nothing is lost if the
process dies after the commit, and nothing is sent for a change that was rolled back. The
delivery job (``deliver_due``) claims due deliveries in a short transaction of their own, sends
them outside any transaction, then records each result: delivered, or tried again later with an
exponential backoff, or given up after ``MAX_ATTEMPTS``. A subscription that keeps failing is
disabled and the administrators are told.

A delivery is a POST of ``{"id", "type", "created_at", "data"}`` signed like Stripe's:
``Backoffice-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.config import get_settings
from backoffice.db import session_scope
from backoffice.platform import audit, like, notifications, numerals
from backoffice.platform.jobs import Outcome
from backoffice.platform.refusal import Refusal
from backoffice.security import auth, fields
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.integrations import WebhookDelivery, WebhookEvent, WebhookSubscription

# every kind of event a subscription may choose; labels `choice.webhook_event.<kind>`
KINDS: tuple[str, ...] = (
    "product.published",
    "product.suspended",
    "product.changed",
    "product.closed",
    "kyc_case.decided",
    "kyc_case.needs_information",
    "ticket.replied",
    "ticket.resolved",
    "campaign.started",
    "campaign.ended",
    "campaign.cancelled",
)
SECRET_PREFIX = "whsec_"  # noqa: S105 (a marker, not a secret)
NAME_LENGTH = 80
URL_LENGTH = 500
SEND_TIMEOUT = 5.0  # seconds: a slow receiver must not hold the job
MAX_ATTEMPTS = 8  # then the delivery is failed (an administrator may redeliver it)
FIRST_BACKOFF = timedelta(minutes=1)  # 1, 2, 4, 8 … minutes between attempts
MAX_BACKOFF = timedelta(hours=1)
DISABLE_AFTER = 10  # failed attempts in a row disable the subscription
# a claimed delivery is not due again for this long: if the sender dies before recording the
# result, the delivery is sent again after it (at least once; receivers dedupe on the event id)
CLAIM_LEASE = timedelta(minutes=2)
# a run sends for at most this long, then gives its remaining claims back: well inside the
# lease, so no claim of a slow run expires (and is taken by the next run) before it is sent
SEND_BUDGET = timedelta(minutes=1)
BATCH = 50
SIGNATURE_TOLERANCE = 300  # seconds a receiver accepts between the signature's time and now


class WebhookRefused(Refusal):
    """A subscription or delivery change that was refused; nothing was changed."""


class DeliveryStatus:
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)


# --- signatures -------------------------------------------------------------------------------
def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under the subscription's secret."""
    message = f"{int(timestamp)}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={int(timestamp)},v1={sign(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = SIGNATURE_TOLERANCE,
    now: float | None = None,
) -> bool:
    """What a receiver checks: a v1 signature of this body under the secret, made within
    ``tolerance`` seconds of ``now`` (an old signature is a replay)."""
    parts: dict[str, list[str]] = {}
    for item in str(header or "").split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    timestamp = numerals.whole(parts.get("t", [""])[0], 12)
    if timestamp is None:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))


# --- subscriptions ----------------------------------------------------------------------------
def new_secret() -> str:
    return f"{SECRET_PREFIX}{secrets.token_urlsafe(32)}"


PRIVATE_TARGETS_SETTING = "BACKOFFICE_WEBHOOK_PRIVATE_TARGETS"


def private_targets_allowed() -> bool:
    """Whether deliveries may go to loopback, private or link-local addresses: outside
    production (the simulator listens on 127.0.0.1), or where the operator says so
    (``BACKOFFICE_WEBHOOK_PRIVATE_TARGETS=1``: receivers inside the company's network). In
    production otherwise a subscription cannot make the portal call its own network."""
    flag = os.environ.get(PRIVATE_TARGETS_SETTING, "").lower() in ("1", "true", "yes")
    return flag or not get_settings().is_production


def _public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_global
    except ValueError:
        return False


def literal_address(host: str) -> str:
    """The address a host names by itself, or "" for a name. Besides what ``ipaddress`` reads,
    the legacy IPv4 spellings the C library's resolver (and so the connection) also takes as
    an address: "0x7f000001", "2130706433", "127.1", "0177.0.0.1" all name 127.0.0.1."""
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        pass
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except (OSError, ValueError):  # ValueError: a NUL in the text
        return ""


def target_refusal(url: str, *, resolve: bool) -> str:
    """Why the portal may not deliver to ``url`` (an i18n key), or "". A literal address or
    ``localhost`` is judged at once; with ``resolve``, every address the name resolves to
    (at delivery: a name that later resolves inward is caught then)."""
    if private_targets_allowed():
        return ""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "webhook.private_target"
    address = literal_address(host)
    if address:
        return "" if _public(address) else "webhook.private_target"
    if not resolve:
        return ""
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return "webhook.unresolved"
    return "" if found and all(_public(a) for a in found) else "webhook.private_target"


class InwardConnection(httpcore.ConnectError):
    """The connection reached a loopback, private or link-local address: closed unused."""


class InwardGuard(httpcore.NetworkBackend):
    """httpcore's network backend with one more check: once connected, the peer address of the
    socket (what the name resolved to for this very connection, not for an earlier check) must
    be public, unless private targets are allowed. A name that answers a public address to the
    check and an inward one to the connection (DNS rebinding) is caught here, before a byte of
    the request is written (the TLS handshake, the request and its headers come after)."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        if private_targets_allowed():
            return stream
        peer = stream.get_extra_info("server_addr")
        address = str(peer[0]) if peer else ""
        if not _public(address):
            stream.close()
            raise InwardConnection(f"{host} connected to {address or 'an unknown address'}")
        return stream

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise InwardConnection("a webhook is never sent over a local socket")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over the ``InwardGuard`` backend: the connection pool is httpcore's
    own, built as httpx builds it, with the guard as its network backend. No proxy from the
    environment: a webhook goes straight to its receiver (through a proxy the peer would be the
    proxy, and the check would mean nothing)."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=BATCH,
            max_keepalive_connections=10,
            keepalive_expiry=5.0,
            http1=True,
            http2=False,
            network_backend=InwardGuard(),
        )


def checked_url(url: object) -> str:
    text = str(url or "").strip()
    parts = urlsplit(text)
    if len(text) > URL_LENGTH or parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("webhook.bad_url")
    if "@" in parts.netloc:  # user:password@host: a credential stored and shown in clear
        raise WebhookRefused("webhook.url_credentials")
    refusal = target_refusal(text, resolve=False)
    if refusal:
        raise WebhookRefused(refusal)
    return text


def checked_events(events: Iterable[str] | str) -> str:
    """The kinds as stored (comma-separated, in catalogue order); unknown or none refused."""
    items = events.split(",") if isinstance(events, str) else list(events)
    chosen = {str(item).strip() for item in items if str(item).strip()}
    unknown = sorted(chosen - set(KINDS))
    if unknown:
        raise WebhookRefused("webhook.unknown_event", value=unknown[0][:60])
    if not chosen:
        raise WebhookRefused("webhook.no_events")
    return ",".join(kind for kind in KINDS if kind in chosen)


def _checked_name(name: object) -> str:
    text = str(name or "").strip()
    if not text or len(text) > NAME_LENGTH:
        raise WebhookRefused("webhook.bad_name")
    return text


def _subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    found = session.get(WebhookSubscription, subscription_id)
    if found is None or found.archived_at is not None:
        raise WebhookRefused("error.not_found")
    return found


def _saved(
    session: Session,
    actor: Principal,
    subscription: WebhookSubscription,
    action: str,
    changes: dict[str, list[Any]],
) -> None:
    subscription.updated_at = utcnow()
    subscription.version += 1
    session.add(subscription)
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action=f"webhook_subscription.{action}",
        entity="webhook_subscription",
        entity_id=subscription.id,
        changes=changes,
    )


def create_subscription(
    session: Session, *, actor: Principal, name: str, url: str, events: Iterable[str] | str
) -> tuple[WebhookSubscription, str]:
    """A new active subscription and its signing secret (returned once, in clear)."""
    if not actor.can("webhook", "create"):
        raise WebhookRefused("auth.denied")
    name, url, kinds = _checked_name(name), checked_url(url), checked_events(events)
    secret = new_secret()
    subscription = WebhookSubscription(
        name=name, url=url, events=kinds, secret_cipher=fields.encrypt(secret)
    )
    session.add(subscription)
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="webhook_subscription.create",
        entity="webhook_subscription",
        entity_id=subscription.id,
        changes={"name": [None, name], "url": [None, url], "events": [None, kinds]},
    )
    return subscription, secret


def url_change_refusal(actor: Principal) -> str:
    """Why ``actor`` may not change where a subscription's signed events go (an i18n key), or
    "". Sending every later event elsewhere is worth as much as the secret: it needs what
    rotating the secret needs, the ``webhook`` manage right (never an API key's) and, for a
    person, an authenticator code entered within the step-up window."""
    if not actor.can("webhook", "manage"):
        return "webhook.url_change_denied"
    if auth.needs_step_up(actor):
        return "auth.step_up_required"
    return ""


def update_subscription(
    session: Session,
    *,
    actor: Principal,
    subscription_id: int,
    name: str | None = None,
    url: str | None = None,
    events: Iterable[str] | str | None = None,
) -> WebhookSubscription:
    """Change the name, address or kinds (those given); audited with before and after. A new
    address needs what a new secret needs (``url_change_refusal``)."""
    if not actor.can("webhook", "edit"):
        raise WebhookRefused("auth.denied")
    subscription = _subscription(session, subscription_id)
    wanted = {
        "name": None if name is None else _checked_name(name),
        "url": None if url is None else checked_url(url),
        "events": None if events is None else checked_events(events),
    }
    changes = {
        key: [getattr(subscription, key), value]
        for key, value in wanted.items()
        if value is not None and value != getattr(subscription, key)
    }
    if "url" in changes and (refusal := url_change_refusal(actor)):
        raise WebhookRefused(refusal)
    if changes:
        for key, (_before, after) in changes.items():
            setattr(subscription, key, after)
        _saved(session, actor, subscription, "edit", changes)
    return subscription


def set_active(
    session: Session, *, actor: Principal, subscription_id: int, active: bool
) -> WebhookSubscription:
    """Disable (deliveries wait) or enable (they resume; the failure count starts again)."""
    if not actor.can("webhook", "manage"):
        raise WebhookRefused("auth.denied")
    subscription = _subscription(session, subscription_id)
    if subscription.is_active == active:
        return subscription
    subscription.is_active = active
    subscription.disabled_at = None if active else utcnow()
    if active:
        subscription.consecutive_failures = 0
    _saved(
        session,
        actor,
        subscription,
        "enable" if active else "disable",
        {"is_active": [not active, active]},
    )
    return subscription


def rotate_secret(session: Session, *, actor: Principal, subscription_id: int) -> str:
    """A new signing secret (returned once); deliveries from now on are signed with it."""
    if not actor.can("webhook", "manage"):
        raise WebhookRefused("auth.denied")
    subscription = _subscription(session, subscription_id)
    secret = new_secret()
    subscription.secret_cipher = fields.encrypt(secret)
    _saved(session, actor, subscription, "rotate_secret", {"secret": [None, "rotated"]})
    return secret


def has_secret(subscription: WebhookSubscription) -> bool:
    """Whether a signing secret was made (and shown). A subscription made on the generic form
    has none until an administrator opens its page: nothing is sent to it before then."""
    return bool(subscription.secret_cipher)


def needs_first_secret(session: Session, subscription_id: int) -> bool:
    """Whether the subscription exists and still waits for its first secret."""
    found = session.get(WebhookSubscription, subscription_id)
    return found is not None and found.archived_at is None and not has_secret(found)


def issue_first_secret(session: Session, *, actor: Principal, subscription_id: int) -> str:
    """The first signing secret of a subscription made without one (returned once, in clear),
    or "" when it has one already: of two administrators opening the new subscription at the
    same moment, one gets the secret, the other sees that it was shown."""
    if not actor.can("webhook", "manage"):
        raise WebhookRefused("auth.denied")
    subscription = _subscription(session, subscription_id)
    if has_secret(subscription):
        return ""
    secret = new_secret()
    issued = session.execute(
        sa.update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription.id, WebhookSubscription.secret_cipher == "")
        .values(secret_cipher=fields.encrypt(secret))
        .execution_options(synchronize_session=False)
    ).rowcount
    if issued != 1:
        return ""
    session.refresh(subscription)
    _saved(session, actor, subscription, "issue_secret", {"secret": [None, "issued"]})
    return secret


def wants(subscription: WebhookSubscription, kind: str) -> bool:
    return kind in {item.strip() for item in subscription.events.split(",")}


# --- the outbox -------------------------------------------------------------------------------
def _json_value(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)  # exact: money is never a float
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def emit(
    session: Session, kind: str, entity: str, entity_id: object, data: dict[str, Any]
) -> WebhookEvent | None:
    """Write the event and a pending delivery for each subscription wanting its kind, in the
    caller's transaction (committed, or rolled back, with the change it reports). A disabled
    subscription's deliveries wait for it to be enabled again; with no subscriber nothing is
    written (None)."""
    if kind not in KINDS:
        raise ValueError(f"unknown webhook event kind: {kind}")
    subscribers = [
        subscription
        for subscription in session.exec(
            select(WebhookSubscription).where(
                WebhookSubscription.archived_at.is_(None),
                like.contains(WebhookSubscription.events, kind),
            )
        ).all()
        if wants(subscription, kind)  # a whole kind of the list, not a part of a longer one
    ]
    if not subscribers:
        return None
    event = WebhookEvent(
        event_id=str(uuid.uuid4()),
        kind=kind,
        entity=entity,
        entity_id=str(entity_id),
        payload=json.dumps(data, default=_json_value, ensure_ascii=False, sort_keys=True),
    )
    session.add(event)
    session.flush()
    now = utcnow()
    session.add_all(
        WebhookDelivery(event_id=event.id, subscription_id=s.id, next_attempt_at=now)
        for s in subscribers
    )
    session.flush()
    return event


def body_of(event: WebhookEvent) -> bytes:
    """What is sent for the event, the same on every attempt and redelivery."""
    return json.dumps(
        {
            "id": event.event_id,
            "type": event.kind,
            "created_at": event.created_at.isoformat(),
            "data": json.loads(event.payload or "{}"),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4 … minutes, capped."""
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    subscription_id: int
    url: str
    secret: str
    kind: str
    event_id: str
    body: bytes


SessionFactory = Callable[[], AbstractContextManager[Session]]


def _writer() -> AbstractContextManager[Session]:
    return session_scope(write=True)


def _due(
    session: Session, now: datetime, limit: int
) -> list[tuple[WebhookDelivery, WebhookSubscription, WebhookEvent]]:
    """The pending deliveries of active subscriptions with a secret whose time has come,
    oldest first."""
    return list(
        session.exec(
            select(WebhookDelivery, WebhookSubscription, WebhookEvent)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
                WebhookSubscription.is_active.is_(True),
                WebhookSubscription.archived_at.is_(None),
                WebhookSubscription.secret_cipher != "",  # a secret nobody was shown: it waits
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        ).all()
    )


def _take(
    session: Session,
    rows: list[tuple[WebhookDelivery, WebhookSubscription, WebhookEvent]],
    now: datetime,
) -> list[Claimed]:
    """Claim the rows read as due: each is moved past ``now`` by an update that holds only
    while it is still due, so of two runs that read the same rows one claims each row."""
    claimed = []
    for delivery, subscription, event in rows:
        taken = session.execute(
            sa.update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery.id,
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + CLAIM_LEASE, last_attempt_at=now)
        ).rowcount
        if taken == 1:
            claimed.append(
                Claimed(
                    delivery_id=delivery.id,
                    subscription_id=subscription.id,
                    url=subscription.url,
                    secret=fields.decrypt(subscription.secret_cipher),
                    kind=event.kind,
                    event_id=event.event_id,
                    body=body_of(event),
                )
            )
    return claimed


def _claim(session: Session, now: datetime, limit: int) -> list[Claimed]:
    return _take(session, _due(session, now, limit), now)


def _send(client: httpx.Client, item: Claimed) -> tuple[int | None, str]:
    """(HTTP status or None, error text: empty when the receiver took it with a 2xx)."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "backoffice-webhooks/1",
        "Backoffice-Event": item.kind,
        "Backoffice-Delivery": item.event_id,
        "Backoffice-Signature": signature_header(item.secret, int(time.time()), item.body),
    }
    refusal = target_refusal(item.url, resolve=True)
    if refusal:
        return None, f"not sent: {refusal}"
    try:
        response = client.post(item.url, content=item.body, headers=headers)
    except httpx.HTTPError as error:
        if isinstance(error.__cause__, InwardConnection):  # the name changed its answer
            return None, f"not sent: webhook.private_target ({error})"[:300]
        return None, f"{type(error).__name__}: {error}"[:300]
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}"


def _record(
    session: Session,
    item: Claimed,
    status: int | None,
    error: str,
    *,
    max_attempts: int,
    disable_after: int,
) -> bool:
    """Write one attempt's result; True when delivered."""
    now = utcnow()
    delivery = session.get(WebhookDelivery, item.delivery_id)
    subscription = session.get(WebhookSubscription, item.subscription_id)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status = status
    delivery.last_error = error
    if not error:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        session.execute(
            sa.update(WebhookSubscription)
            .where(WebhookSubscription.id == subscription.id)
            .values(consecutive_failures=0)
        )
        session.add(delivery)
        return True
    if delivery.attempts >= max_attempts:
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    session.add(delivery)
    session.execute(
        sa.update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription.id)
        .values(consecutive_failures=WebhookSubscription.consecutive_failures + 1)
    )
    session.refresh(subscription)
    if subscription.is_active and subscription.consecutive_failures >= disable_after:
        _disable_failing(session, subscription, now)
    return False


def _disable_failing(session: Session, subscription: WebhookSubscription, now: datetime) -> None:
    subscription.is_active = False
    subscription.disabled_at = now
    subscription.updated_at = now
    subscription.version += 1
    session.add(subscription)
    audit.record(
        session,
        actor="system",
        action="webhook_subscription.disable",
        entity="webhook_subscription",
        entity_id=subscription.id,
        changes={
            "is_active": [True, False],
            "consecutive_failures": [None, subscription.consecutive_failures],
        },
    )
    notifications.notify(
        session,
        kind="webhook",
        role="admin",
        severity="warning",
        link=f"/r/webhook_subscription/record?id={subscription.id}",
        dedupe_key=f"webhook:{subscription.id}:disabled:{now.isoformat()}",
        title_zh=f"Webhook 订阅“{subscription.name}”连续投递失败，已停用",
        title_en=f"Webhook subscription “{subscription.name}” kept failing and was disabled",
    )


def deliver_due(
    session_factory: SessionFactory = _writer,
    now: datetime | None = None,
    *,
    limit: int = BATCH,
    timeout: float = SEND_TIMEOUT,
    max_attempts: int = MAX_ATTEMPTS,
    disable_after: int = DISABLE_AFTER,
    budget: timedelta = SEND_BUDGET,
) -> str:
    """Send every due delivery once (claimed first, so concurrent runs never send one twice)
    and record the results; a short summary for the jobs page."""
    now = now or utcnow()
    with session_factory() as session:
        claimed = _claim(session, now, limit)
    delivered = failed = 0
    disabled: set[int] = set()
    started = time.monotonic()
    with httpx.Client(
        timeout=timeout, follow_redirects=False, transport=GuardedTransport()
    ) as client:
        for item in claimed:
            out_of_time = time.monotonic() - started > budget.total_seconds()
            if out_of_time or item.subscription_id in disabled:  # it waits for the next run
                with session_factory() as session:
                    _release(session, item, now)
                continue
            status, error = _send(client, item)
            with session_factory() as session:
                ok = _record(
                    session,
                    item,
                    status,
                    error,
                    max_attempts=max_attempts,
                    disable_after=disable_after,
                )
                if not ok and not session.get(WebhookSubscription, item.subscription_id).is_active:
                    disabled.add(item.subscription_id)
            delivered, failed = delivered + ok, failed + (not ok)
    return Outcome("job.result.webhooks.delivered", delivered=delivered, failed=failed)


def _release(session: Session, item: Claimed, now: datetime) -> None:
    """Give a claimed delivery back unsent: due again as soon as it may be sent."""
    session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == item.delivery_id)
        .values(next_attempt_at=now)
    )


def redeliver(session: Session, *, actor: Principal, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again (the same event id and body) at the next run, with its attempts
    counted afresh; only one that is over (delivered or given up): a pending one is already on
    its way (perhaps being sent this moment) and waits out its backoff. Refused while its
    subscription is disabled."""
    if not actor.can("webhook", "manage"):
        raise WebhookRefused("auth.denied")
    delivery = session.get(WebhookDelivery, delivery_id) if isinstance(delivery_id, int) else None
    if delivery is None:
        raise WebhookRefused("error.not_found")
    subscription = _subscription(session, delivery.subscription_id)
    if not subscription.is_active:
        raise WebhookRefused("webhook.subscription_disabled")
    before = delivery.status
    if before == DeliveryStatus.PENDING:
        raise WebhookRefused("webhook.delivery_pending")
    now = utcnow()
    # conditional: of two redeliveries at the same moment, one holds; the other is refused
    reopened = session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id, WebhookDelivery.status == before)
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if reopened != 1:
        raise WebhookRefused("webhook.delivery_pending")
    session.refresh(delivery)
    audit.record(
        session,
        actor=actor.username,
        action="webhook_delivery.redeliver",
        entity="webhook_delivery",
        entity_id=delivery.id,
        changes={"status": [before, DeliveryStatus.PENDING]},
    )
    return delivery


# --- retention ----------------------------------------------------------------------------------
RETENTION_SETTING = "BACKOFFICE_WEBHOOK_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 90


def retention() -> timedelta:
    """How long finished deliveries and their events are kept: ``BACKOFFICE_WEBHOOK_RETENTION_DAYS``
    (a whole number of days, at least 1; 90 unless set)."""
    raw = os.environ.get(RETENTION_SETTING, "").strip()
    if not raw:
        return timedelta(days=DEFAULT_RETENTION_DAYS)
    days = numerals.whole(raw, 6)
    if days is None or days < 1:
        raise ValueError(f"{RETENTION_SETTING} must be a whole number of days (1 or more): {raw!r}")
    return timedelta(days=days)


def purge_finished(
    session: Session, now: datetime | None = None, keep: timedelta | None = None
) -> str:
    """Delete the deliveries that are over (delivered, or given up) whose last attempt is older
    than the retention period, then the events older than it that no delivery needs any more.
    A pending delivery (due, in backoff, claimed or waiting for its subscription) and its event
    are kept whatever their age. One summary entry in the audit log when anything went."""
    cutoff = (now or utcnow()) - (keep or retention())
    finished = WebhookDelivery.status.in_((DeliveryStatus.DELIVERED, DeliveryStatus.FAILED))
    last_touched = sa.func.coalesce(WebhookDelivery.last_attempt_at, WebhookDelivery.created_at)
    deliveries = session.execute(
        sa.delete(WebhookDelivery).where(finished, last_touched < cutoff)
    ).rowcount
    still_needed = (
        sa.select(WebhookDelivery.id).where(WebhookDelivery.event_id == WebhookEvent.id).exists()
    )
    events = session.execute(
        sa.delete(WebhookEvent).where(WebhookEvent.created_at < cutoff, ~still_needed)
    ).rowcount
    if deliveries or events:
        audit.record(
            session,
            actor="system",
            action="webhook_event.purge",
            entity="webhook_event",
            changes={
                "deliveries_deleted": [None, deliveries],
                "events_deleted": [None, events],
                "older_than": [None, cutoff.isoformat()],
            },
        )
    return Outcome(
        "job.result.webhooks.purged",
        deliveries=deliveries,
        events=events,
        cutoff=f"{cutoff:%Y-%m-%d}",
    )


def after_transition(
    kind: str, data: Callable[[Any], dict[str, Any]]
) -> Callable[[Session, Principal, Any], None]:
    """A workflow transition's ``after``: emit ``kind`` for the record, in its transaction."""

    def emit_for(session: Session, _principal: Principal, record: Any) -> None:
        emit(session, kind, record.__tablename__, record.id, data(record))

    return emit_for
