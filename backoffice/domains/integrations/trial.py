"""A local trial of the interface layer: ``python -m backoffice simulate-platform`` without a key
makes (or renews) a demo client of the platform role and a webhook subscription to the
simulator's own receiver, on the portal's database, and picks demo customers and tickets to play
with. Refused in production: there an administrator creates clients on the Integrations page."""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.config import get_settings
from backoffice.domains.integrations import clients, webhooks
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.customers import RISK_TOLERANCES, Customer, KycStatus
from models.integrations import ApiClient, WebhookSubscription
from models.tickets import Ticket, TicketStatus

CLIENT_NAME = "customer-platform-demo"
SUBSCRIPTION_NAME = "simulator"
SYSTEM = Principal(
    user_id=0,
    username="system",
    display_name="System",
    session_id=0,
    roles=frozenset({"admin"}),
    permissions=frozenset(
        {("api_client", "create"), ("api_client", "manage")}
        | {("webhook", action) for action in ("create", "edit", "manage")}
    ),
)


@dataclass(frozen=True)
class Trial:
    key: str
    secret: str
    customers: tuple[int, ...]  # may buy: KYC approved, tolerance assessed
    resolved_tickets: tuple[tuple[int, int], ...]  # (customer, ticket) to rate


def _key(session: Session) -> str:
    client = session.exec(
        select(ApiClient).where(
            ApiClient.name == CLIENT_NAME,
            ApiClient.revoked_at.is_(None),
            ApiClient.archived_at.is_(None),
        )
    ).first()
    if client is None:
        taken = session.exec(select(ApiClient.id).where(ApiClient.name == CLIENT_NAME)).first()
        name = CLIENT_NAME if taken is None else f"{CLIENT_NAME}-{taken + 1}"
        _client, key = clients.create_client(session, actor=SYSTEM, name=name, role="platform")
        return key
    return clients.rotate_key(session, actor=SYSTEM, client_id=client.id, overlap_hours=0)


def _secret(session: Session, receiver_url: str) -> str:
    subscription = session.exec(
        select(WebhookSubscription).where(
            WebhookSubscription.name == SUBSCRIPTION_NAME,
            WebhookSubscription.archived_at.is_(None),
        )
    ).first()
    if subscription is None:
        _made, secret = webhooks.create_subscription(
            session,
            actor=SYSTEM,
            name=SUBSCRIPTION_NAME,
            url=receiver_url,
            events=webhooks.KINDS,
        )
        return secret
    webhooks.update_subscription(
        session,
        # the operator at the portal's own machine (never in production), who is about to be
        # handed the new secret: as stepped up as the secret's rotation below
        actor=replace(SYSTEM, totp_verified_at=utcnow()),
        subscription_id=subscription.id,
        url=receiver_url,
        events=webhooks.KINDS,
    )
    if not subscription.is_active:
        webhooks.set_active(session, actor=SYSTEM, subscription_id=subscription.id, active=True)
    return webhooks.rotate_secret(session, actor=SYSTEM, subscription_id=subscription.id)


def prepare(session: Session, receiver_url: str) -> Trial:
    """A fresh key and signing secret for the simulator (the previous ones stop working)."""
    if get_settings().is_production:
        raise clients.ClientRefused("api_client.trial_in_production")
    key = _key(session)
    secret = _secret(session, receiver_url)
    customers = session.exec(
        select(Customer.id)
        .where(
            Customer.kyc_status == KycStatus.APPROVED,
            Customer.risk_tolerance.in_(RISK_TOLERANCES),
            Customer.relationship_ended_on.is_(None),
        )
        .order_by(Customer.id)
        .limit(3)
    ).all()
    resolved = session.execute(
        sa.select(Ticket.customer_id, Ticket.id)
        .where(Ticket.status == TicketStatus.RESOLVED, Ticket.customer_id.is_not(None))
        .order_by(Ticket.id.desc())
        .limit(2)
    ).all()
    return Trial(key, secret, tuple(customers), tuple((c, t) for c, t in resolved))
