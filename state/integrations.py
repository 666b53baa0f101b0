"""API clients for administrators: the list, a new client, a key rotation, a revocation.

A new key is shown once: it is held here only until the administrator dismisses it (or the
page loads again); the database keeps its hash alone."""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from backoffice.db import session_scope
from backoffice.domains.integrations import clients, listing
from backoffice.i18n import translate
from backoffice.platform.business_time import shown_time
from backoffice.platform.refusal import Refusal
from state.auth import requires
from state.base import StaffState


class KeyRow(TypedDict):
    prefix: str
    created: str
    last_used: str
    ends: str
    status: str  # live, ending, ended


class ClientRow(TypedDict):
    id: int
    name: str
    role: str
    allowed_ips: str
    expires: str
    rate: int
    status: str  # active, expired, revoked
    keys: list[KeyRow]


def _row(client: listing.ClientView) -> ClientRow:
    return {
        "id": client.id,
        "name": client.name,
        "role": client.role,
        "allowed_ips": client.allowed_ips,
        "expires": shown_time(client.expires_at) if client.expires_at else "",
        "rate": client.rate_per_minute,
        "status": client.status,
        "keys": [
            {
                "prefix": key.prefix,
                "created": shown_time(key.created_at),
                "last_used": shown_time(key.last_used_at),
                "ends": shown_time(key.ends_at),
                "status": key.status,
            }
            for key in client.keys
        ],
    }


class IntegrationsState(StaffState, rx.State):
    rows: list[ClientRow] = []
    error: str = ""  # why the last change was refused, beside its form
    shown_key: str = ""  # a new key, until dismissed
    shown_key_client: str = ""
    rotating_id: int = 0
    rotating_name: str = ""
    revoking_id: int = 0
    revoking_name: str = ""

    def _reload(self) -> None:
        with session_scope() as session:
            self.rows = [_row(client) for client in listing.list_clients(session)]

    def _name_of(self, client_id: int) -> str:
        return next((row["name"] for row in self.rows if row["id"] == client_id), "")

    async def _refused(self, error: Refusal) -> Any:
        lang = await self._lang()
        self.error = translate(error.key, lang)
        return self._refusal(error, lang)

    def _show_key(self, key: str, client_name: str) -> None:
        self.shown_key, self.shown_key_client = key, client_name
        self.error = ""
        self._reload()

    @rx.event
    @requires("api_client", "view")
    def load(self) -> None:
        self.shown_key = self.shown_key_client = self.error = ""
        self.rotating_id = self.revoking_id = 0
        self._reload()

    @rx.event
    @requires("api_client", "create")
    async def create(self, form_data: dict) -> Any:
        actor = await self._principal()
        try:
            with self._write_scope() as session:
                client, key = clients.create_client(
                    session,
                    actor=actor,
                    name=str(form_data.get("name", "")),
                    role=str(form_data.get("role", "")),
                    allowed_ips=str(form_data.get("allowed_ips", "")),
                    expires_at=listing.expiry_from_day(str(form_data.get("expires_on", ""))),
                    rate_per_minute=listing.rate_from_text(form_data.get("rate", "")),
                )
                name = client.name
        except Refusal as error:
            return await self._refused(error)
        self._show_key(key, name)
        return rx.toast.success(translate("integrations.created", await self._lang()))

    @rx.event
    @requires("api_client", "view")
    def ask_rotate(self, client_id: int) -> None:
        self.revoking_id, self.error = 0, ""
        self.rotating_id, self.rotating_name = int(client_id), self._name_of(int(client_id))

    @rx.event
    @requires("api_client", "view")
    def ask_revoke(self, client_id: int) -> None:
        self.rotating_id, self.error = 0, ""
        self.revoking_id, self.revoking_name = int(client_id), self._name_of(int(client_id))

    @rx.event
    @requires("api_client", "view")
    def cancel(self) -> None:
        self.rotating_id = self.revoking_id = 0
        self.error = ""

    @rx.event
    @requires("api_client", "view")
    def dismiss_key(self) -> None:
        self.shown_key = self.shown_key_client = ""

    @rx.event
    @requires("api_client", "manage")
    async def rotate(self, form_data: dict) -> Any:
        actor = await self._principal()
        try:
            with self._write_scope() as session:
                key = clients.rotate_key(
                    session,
                    actor=actor,
                    client_id=self.rotating_id,
                    overlap_hours=listing.overlap_from_text(form_data.get("overlap_hours", "")),
                )
        except Refusal as error:
            return await self._refused(error)
        name, self.rotating_id = self.rotating_name, 0
        self._show_key(key, name)
        return rx.toast.success(translate("integrations.rotated", await self._lang()))

    @rx.event
    @requires("api_client", "manage")
    async def revoke(self) -> Any:
        actor = await self._principal()
        try:
            with self._write_scope() as session:
                clients.revoke_client(session, actor=actor, client_id=self.revoking_id)
        except Refusal as error:
            return await self._refused(error)
        self.revoking_id, self.error = 0, ""
        self._reload()
        return rx.toast.success(translate("integrations.revoked", await self._lang()))
