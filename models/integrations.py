"""The interface layer: API clients and their keys, idempotent replays, webhook subscriptions,
the outbox of events and their deliveries."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from models.base import (
    EditableBase,
    TableBase,
    UTCDateTime,
    code_field,
    text_field,
    time_field,
    utcnow,
)


class ApiClient(EditableBase, table=True):
    """A system that calls the API (the customer platform): it acts with one staff role's
    rights, never as a person."""

    __tablename__ = "api_client"

    name: str = code_field(80, unique=True)
    role: str = code_field(40)
    allowed_ips: str = code_field(500, default="")  # addresses or networks, comma-separated
    expires_at: datetime | None = time_field(None)
    rate_per_minute: int = Field(default=600, nullable=False)
    revoked_at: datetime | None = time_field(None)
    created_by: str = code_field(64, default="")


class ApiKey(TableBase, table=True):
    """One key of a client: shown once, kept as a hash. Rotation gives the old key an end
    (the overlap) instead of revoking it at once."""

    __tablename__ = "api_key"

    client_id: int = Field(foreign_key="api_client.id", index=True)
    prefix: str = code_field(16, unique=True)  # the public part that finds the key
    secret_hash: str = code_field(64)
    expires_at: datetime | None = time_field(None)
    revoked_at: datetime | None = time_field(None)
    last_used_at: datetime | None = time_field(None)


class IdempotencyRecord(TableBase, table=True):
    """The first answer to a POST sent with an ``Idempotency-Key``: a replay gets it again.
    The answer is sealed (field encryption: it may name a salary) and kept 24 hours."""

    __tablename__ = "api_idempotency"
    __table_args__ = (sa.UniqueConstraint("client_id", "key", name="uq_api_idempotency_key"),)

    client_id: int = Field(foreign_key="api_client.id")
    key: str = code_field(100)
    request_hash: str = code_field(64)
    status_code: int = Field(default=200, nullable=False)
    response_cipher: str = text_field()  # the answer's JSON, sealed


class WebhookSubscription(EditableBase, table=True):
    """Where events of the chosen kinds are delivered, signed with the subscription's secret."""

    __tablename__ = "webhook_subscription"

    name: str = code_field(80)
    url: str = code_field(500)
    events: str = code_field(1000)  # event kinds, comma-separated
    secret_cipher: str = text_field()
    is_active: bool = True
    consecutive_failures: int = Field(default=0, nullable=False)
    disabled_at: datetime | None = time_field(None)


class WebhookEvent(TableBase, table=True):
    """The outbox: written in the same transaction as the change it reports."""

    __tablename__ = "webhook_event"

    event_id: str = code_field(36, unique=True)
    kind: str = code_field(60, index=True)
    entity: str = code_field(40, default="")
    entity_id: str = code_field(64, default="")
    payload: str = text_field()


class WebhookDelivery(TableBase, table=True):
    """One event to one subscription: attempted until delivered or given up."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)

    event_id: int = Field(foreign_key="webhook_event.id", index=True)
    subscription_id: int = Field(foreign_key="webhook_subscription.id", index=True)
    status: str = code_field(12, default="pending")  # pending, delivered, failed
    attempts: int = Field(default=0, nullable=False)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_attempt_at: datetime | None = time_field(None)
    delivered_at: datetime | None = time_field(None)
    last_status: int | None = None
    last_error: str = code_field(300, default="")
