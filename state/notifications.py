"""The bell in the top bar: the caller's notifications (their own and their roles'), grouped by
kind, and the kinds each person lets reach it. The page gate counts the unread ones on every
page; the groups are read when the bell opens and after marking them read."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from backoffice.db import session_scope
from backoffice.i18n import translate
from backoffice.platform import notifications
from state.auth import SessionState, signed_in
from state.base import StaffState
from state.ui import relabels


def _count_text(count: int) -> str:
    cap = notifications.UNREAD_CAP
    return f"{cap}+" if count > cap else str(count)


class BellItem(TypedDict):
    id: int
    title: str
    link: str
    severity: str
    at: str
    read: bool


class BellGroup(TypedDict):
    kind: str
    label: str
    unread: int
    unread_text: str
    items: list[BellItem]


class BellPreference(TypedDict):
    kind: str
    label: str
    bell: bool
    locked: bool  # a security kind: always on


@relabels
class NotificationState(StaffState, rx.State):
    unread: int = 0  # counted up to notifications.UNREAD_CAP + 1
    groups: list[BellGroup] = []
    preferences: list[BellPreference] = []
    settings_open: bool = False
    error: str = ""

    @rx.var
    def unread_text(self) -> str:
        return _count_text(self.unread)

    async def _reload_count(self) -> None:
        principal = await self._principal()
        with session_scope() as session:
            self.unread = notifications.unread_count(session, principal=principal)

    async def _reload(self) -> None:
        await self._reload_count()
        principal = await self._principal()
        lang = await self._lang()
        with session_scope() as session:
            found = notifications.groups(session, principal=principal, lang=lang)
        self.groups = [
            {
                "kind": g.kind,
                "label": g.label,
                "unread": g.unread,
                "unread_text": _count_text(g.unread),
                "items": [
                    {
                        "id": i.id,
                        "title": i.title,
                        "link": i.link or "/",
                        "severity": i.severity,
                        "at": i.at,
                        "read": i.read,
                    }
                    for i in g.items
                ],
            }
            for g in found
        ]

    async def _reload_preferences(self) -> None:
        principal = await self._principal()
        lang = await self._lang()
        with session_scope() as session:
            found = notifications.preferences(session, principal=principal, lang=lang)
        self.preferences = [
            {"kind": p.kind, "label": p.label, "bell": p.bell, "locked": p.locked} for p in found
        ]

    async def _relabel(self, lang: str) -> None:
        """What was read before a language switch is read again in the new language."""
        if self.preferences and (await self.get_state(SessionState))._resolve() is not None:
            await self._reload_preferences()
        if self.groups and (await self.get_state(SessionState))._resolve() is not None:
            await self._reload()

    @rx.event
    @signed_in
    async def mark_all_read(self) -> None:
        principal = await self._principal()
        with self._write_scope() as session:
            notifications.mark_read(session, principal=principal)
        await self._reload()

    @rx.event
    @signed_in
    async def mark_group_read(self, kind: str) -> None:
        principal = await self._principal()
        if kind not in notifications.KINDS:
            return
        with self._write_scope() as session:
            notifications.mark_read(session, principal=principal, kind=kind)
        await self._reload()

    @rx.event
    @signed_in
    async def open_bell(self, opened: bool) -> None:
        """The groups are read when the bell opens, not on every page (the count is)."""
        if opened:
            await self._reload()

    @rx.event
    @signed_in
    async def open_settings(self) -> None:
        self.error = ""
        await self._reload_preferences()
        self.settings_open = True

    @rx.event
    @signed_in
    async def close_settings(self) -> None:
        self.settings_open = False

    @rx.event
    @signed_in
    async def settings_changed(self, opened: bool) -> None:
        """The dialog closed by Escape or a click outside it."""
        if not opened:
            self.settings_open = False

    @rx.event
    @signed_in
    async def set_bell(self, kind: str, on: bool) -> None:
        principal = await self._principal()
        lang = await self._lang()
        try:
            with self._write_scope() as session:
                notifications.set_preference(
                    session, principal=principal, kind=str(kind), bell=bool(on)
                )
        except notifications.NotificationError as error:
            self.error = translate(error.key, lang)
            return
        self.error = ""
        await self._reload_preferences()
        await self._reload()
