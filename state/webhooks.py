"""The panels of the webhook subscription and delivery pages (the rest is the generic engine):
a subscription's signing secret, shown once when it is first made (the new subscription's page,
where the form's save leads) and when it is rotated, and a delivery's redelivery."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.domains.integrations import webhooks
from backoffice.i18n import translate
from state.auth import requires
from state.base import StaffState
from state.resource import ResourceRecordState, record_id_param

SUBSCRIPTION_PAGE = "/r/webhook_subscription/record"
DELIVERY_PAGE = "/r/webhook_delivery/record"


class WebhookPanelState(StaffState, rx.State):
    record_id: int = 0
    # which record page the panel is on: "subscription", "delivery" or "" (another, or none)
    page: str = ""
    can_manage: bool = False
    # the new signing secret, in clear until the administrator has copied it (never stored so)
    secret: str = ""
    # the secret shown is the subscription's first one (made as its page first opened)
    first_secret: bool = False
    # the subscription has no secret yet and this viewer may not make one: its events wait
    waiting_for_secret: bool = False

    def _page(self) -> str:
        path = str(self.router.url.path).rstrip("/")
        if path.endswith(SUBSCRIPTION_PAGE):
            return "subscription"
        return "delivery" if path.endswith(DELIVERY_PAGE) else ""

    @rx.event
    @requires("webhook", "view")
    async def load(self) -> Any:
        principal = await self._principal()
        self.record_id = record_id_param(self)
        self.page = self._page() if self.record_id else ""
        self.secret, self.first_secret, self.waiting_for_secret = "", False, False
        self.can_manage = principal.can("webhook", "manage")
        if self.page != "subscription":
            return None
        with session_scope() as session:
            missing = webhooks.needs_first_secret(session, self.record_id)
        if not missing:
            return None
        if not self.can_manage:
            self.waiting_for_secret = True
            return None
        # a subscription made on the form: its secret is made now and shown this once
        lang = await self._lang()
        try:
            with self._write_scope() as session:
                secret = webhooks.issue_first_secret(
                    session, actor=principal, subscription_id=self.record_id
                )
        except webhooks.WebhookRefused as error:
            return self._refusal(error, lang)
        self.secret, self.first_secret = secret, bool(secret)
        return None

    @rx.event
    @requires("webhook", "manage")
    async def rotate_secret(self) -> Any:
        lang = await self._lang()
        principal = await self._principal()
        if self.page != "subscription":  # the panel of another page: nothing to rotate
            return rx.toast.error(translate("error.not_found", lang))
        try:
            with self._write_scope() as session:
                secret = webhooks.rotate_secret(
                    session, actor=principal, subscription_id=self.record_id
                )
        except webhooks.WebhookRefused as error:
            return self._refusal(error, lang)
        self.secret, self.first_secret, self.waiting_for_secret = secret, False, False
        return [
            rx.toast.success(translate("webhook.secret_rotated", lang)),
            ResourceRecordState.open("webhook_subscription"),
        ]

    @rx.event
    @requires("webhook", "view")
    async def forget_secret(self) -> None:
        self.secret, self.first_secret = "", False

    @rx.event
    @requires("webhook", "manage")
    async def redeliver(self) -> Any:
        lang = await self._lang()
        principal = await self._principal()
        if self.page != "delivery":  # a subscription's id is not a delivery's
            return rx.toast.error(translate("error.not_found", lang))
        try:
            with self._write_scope() as session:
                webhooks.redeliver(session, actor=principal, delivery_id=self.record_id)
        except webhooks.WebhookRefused as error:
            return self._refusal(error, lang)
        return [
            rx.toast.success(translate("webhook.redelivery_queued", lang)),
            ResourceRecordState.open("webhook_delivery"),
        ]
