"""Integrations: API clients and webhook subscriptions are the administrators' to manage."""

from __future__ import annotations

from backoffice.platform.manifest import Manifest, Module

MANIFEST = Manifest(
    name="integrations",
    module=Module("integrations", "/integrations", "plug", "api_client"),
    rights=("api_client", "webhook"),
    grants={
        "admin": {
            "api_client": ("view", "create", "edit", "archive", "manage"),
            "webhook": ("view", "create", "edit", "archive", "manage"),
        },
    },
    record_panels={
        "webhook_subscription": "pages.webhooks:subscription_panel",
        "webhook_delivery": "pages.webhooks:delivery_panel",
    },
)
