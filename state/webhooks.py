"""The panels of the webhook subscription and delivery pages (the rest is the generic engine):
a subscription's signing secret, shown once when it is rotated, and a delivery's redelivery."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.domains.integrations import webhooks
from backoffice.i18n import translate
from state.auth import requires
from state.base import StaffState
from state.resource import ResourceRecordState, record_id_param


class WebhookPanelState(StaffState, rx.State):
    record_id: int = 0
    can_manage: bool = False
    # the new signing secret, in clear until the administrator has copied it (never stored so)
    secret: str = ""

    @rx.event
    @requires("webhook", "view")
    async def load(self) -> None:
        principal = await self._principal()
        self.record_id = record_id_param(self)
        self.secret = ""
        self.can_manage = principal.can("webhook", "manage")

    @rx.event
    @requires("webhook", "manage")
    async def rotate_secret(self) -> Any:
        lang = await self._lang()
        principal = await self._principal()
        try:
            with self._write_scope() as session:
                secret = webhooks.rotate_secret(
                    session, actor=principal, subscription_id=self.record_id
                )
        except webhooks.WebhookRefused as error:
            return self._refusal(error, lang)
        self.secret = secret
        return [
            rx.toast.success(translate("webhook.secret_rotated", lang)),
            ResourceRecordState.open("webhook_subscription"),
        ]

    @rx.event
    @requires("webhook", "view")
    async def forget_secret(self) -> None:
        self.secret = ""

    @rx.event
    @requires("webhook", "manage")
    async def redeliver(self) -> Any:
        lang = await self._lang()
        principal = await self._principal()
        try:
            with self._write_scope() as session:
                webhooks.redeliver(session, actor=principal, delivery_id=self.record_id)
        except webhooks.WebhookRefused as error:
            return self._refusal(error, lang)
        return [
            rx.toast.success(translate("webhook.redelivery_queued", lang)),
            ResourceRecordState.open("webhook_delivery"),
        ]
