"""The bell in the top bar: the caller's notifications (their own and their roles'). The page
gate counts the unread ones on every page; the list is read when the bell opens and after
marking them read."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.services import notifications
from state.auth import SessionState, signed_in
from state.ui import UIState, relabels


@relabels
class NotificationState(rx.State):
    unread: int = 0  # counted up to notifications.UNREAD_CAP + 1
    items: list[dict[str, Any]] = []

    @rx.var
    def unread_text(self) -> str:
        return (
            f"{notifications.UNREAD_CAP}+"
            if self.unread > notifications.UNREAD_CAP
            else str(self.unread)
        )

    async def _reload_count(self) -> None:
        principal = (await self.get_state(SessionState)).principal
        with session_scope() as session:
            self.unread = notifications.unread_count(session, principal=principal)

    async def _reload(self) -> None:
        await self._reload_count()
        principal = (await self.get_state(SessionState)).principal
        lang = (await self.get_state(UIState)).lang
        with session_scope() as session:
            self.items = [
                {
                    "id": i.id,
                    "title": i.title,
                    "link": i.link or "/",
                    "severity": i.severity,
                    "at": i.at,
                    "read": i.read,
                }
                for i in notifications.recent(session, principal=principal, lang=lang)
            ]

    async def _relabel(self, lang: str) -> None:
        """The list read before a language switch is read again in the new language."""
        if self.items and (await self.get_state(SessionState))._resolve() is not None:
            await self._reload()

    @rx.event
    @signed_in
    async def mark_all_read(self) -> None:
        principal = (await self.get_state(SessionState)).principal
        with session_scope(write=True) as session:
            notifications.mark_all_read(session, principal=principal)
        await self._reload()

    @rx.event
    @signed_in
    async def open_bell(self, opened: bool) -> None:
        """The list is read when the bell opens, not on every page (the count is)."""
        if opened:
            await self._reload()
