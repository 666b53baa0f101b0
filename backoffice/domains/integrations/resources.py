"""Webhook subscriptions, the outbox of events and the delivery log, as engine resources: the
administrators' list and form pages under the right ``webhook``. The signing secret is not a
field: the engine never shows it (the subscription's panel makes it when the new
subscription's page is first opened, and on rotation, and shows it once). The delivery log is
read-only: a delivery has no version column, so the engine's workflow steps cannot run on it;
``webhooks.redeliver`` is the redelivery rule."""

from __future__ import annotations

from typing import Any

from backoffice.domains.integrations import webhooks
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Lookup, Resource, register
from backoffice.platform.refusal import Refusal
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.integrations import WebhookDelivery, WebhookEvent, WebhookSubscription


def _url_problem(value: Any) -> str | None:
    try:
        webhooks.checked_url(value)
    except Refusal as refused:
        return refused.key
    return None


def _address_change(principal: Principal, _record: Any, changes: dict[str, Any]) -> dict[str, str]:
    """A new address needs what a new secret needs (``webhooks.url_change_refusal``)."""
    refusal = webhooks.url_change_refusal(principal) if "url" in changes else ""
    return {"url": refusal} if refusal else {}


def _new_subscription(
    _session: Any, _principal: Principal, values: dict[str, Any]
) -> dict[str, str]:
    """A subscription made on the form (or through the API) gets no secret yet: the form's save
    opens its page, whose panel makes the secret and shows it once
    (``webhooks.issue_first_secret``). Until someone who may manage webhooks was shown one,
    its events wait: nothing is sent signed with a secret nobody has."""
    values["secret_cipher"] = ""
    return {}


def _active_state(session: Any, _principal: Principal, subscription: Any) -> None:
    """Enabled again: the failure count starts afresh; disabled: when it was."""
    if subscription.is_active and (subscription.disabled_at or subscription.consecutive_failures):
        subscription.disabled_at, subscription.consecutive_failures = None, 0
        session.add(subscription)
    elif not subscription.is_active and subscription.disabled_at is None:
        subscription.disabled_at = utcnow()
        session.add(subscription)


WEBHOOK_SUBSCRIPTION = register(
    Resource(
        key="webhook_subscription",
        model=WebhookSubscription,
        permission="webhook",
        module="integrations",
        icon="webhook",
        fields=(
            F("name", required=True, max_length=webhooks.NAME_LENGTH),
            F("url", required=True, max_length=webhooks.URL_LENGTH, validator=_url_problem),
            F(
                "events",
                kind="multi_choice",
                required=True,
                choices=webhooks.KINDS,
                choice_group="webhook_event",
            ),
            F("is_active", kind="bool"),
            F("consecutive_failures", kind="int", editable=False),
            F("disabled_at", kind="datetime", editable=False),
        ),
        list_columns=("name", "url", "events", "is_active", "consecutive_failures"),
        title_field="name",
        filters=("is_active",),
        search_fields=("name", "url"),
        default_sort="name",
        exportable=False,
        importable=False,
        before_create=_new_subscription,
        after_update=_active_state,
        change_guard=_address_change,
    )
)


WEBHOOK_EVENT = register(
    Resource(
        key="webhook_event",
        model=WebhookEvent,
        permission="webhook",
        module="integrations",
        icon="radio",
        fields=(
            F("event_id", editable=False),
            F(
                "kind",
                kind="choice",
                choices=webhooks.KINDS,
                choice_group="webhook_event",
                editable=False,
            ),
            F("entity", editable=False),
            F("entity_id", editable=False),
            F("payload", kind="longtext", editable=False),
        ),
        list_columns=("event_id", "kind", "entity", "entity_id", "created_at"),
        title_field="event_id",
        filters=("kind", "entity"),
        search_fields=("event_id", "entity_id"),
        default_sort="-id",
        archivable=False,
        importable=False,
        opens_module=False,
        creatable=False,
    )
)


WEBHOOK_DELIVERY = register(
    Resource(
        key="webhook_delivery",
        model=WebhookDelivery,
        permission="webhook",
        module="integrations",
        icon="send",
        fields=(
            F("event_id", kind="ref", ref="webhook_event", editable=False),
            F("subscription_id", kind="ref", ref="webhook_subscription", editable=False),
            F(
                "status",
                kind="choice",
                choices=webhooks.STATUSES,
                choice_group="webhook_delivery_status",
                editable=False,
            ),
            F("attempts", kind="int", editable=False),
            F("next_attempt_at", kind="datetime", editable=False),
            F("last_attempt_at", kind="datetime", editable=False),
            F("delivered_at", kind="datetime", editable=False),
            F("last_status", kind="int", editable=False),
            F("last_error", editable=False),
        ),
        list_columns=(
            "event_id",
            "subscription_id",
            "status",
            "attempts",
            "last_attempt_at",
            "last_status",
        ),
        title_field="id",
        filters=("status", "subscription_id", "next_attempt_at"),
        lookups=(Lookup("kind", via="event_id"),),
        default_sort="-id",
        archivable=False,
        importable=False,
        opens_module=False,
        creatable=False,
    )
)
