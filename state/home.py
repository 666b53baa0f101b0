"""The overview and each module's landing page: counts of the modules the caller may view;
the caller's queues, what waits for their approval, key figures and shortcuts
(``backoffice.domains.home``), in the caller's language."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from backoffice.db import session_scope
from backoffice.domains.home import landing, overview
from backoffice.platform.navigation import MODULES
from state.auth import SessionState, signed_in
from state.base import StaffState

TONES = {"red": "red", "amber": "amber", "gray": "gray"}


class Tile(TypedDict):
    key: str
    label: str
    shown: str  # the count as shown ("2,000+" past the cap)
    href: str
    tone: str
    id: str


class WaitingItem(TypedDict):
    title: str
    href: str


class Approvals(TypedDict):
    resource: str
    label: str
    shown: str
    count: int
    items: list[WaitingItem]
    id: str


class Shortcut(TypedDict):
    label: str
    href: str
    icon: str


def _tile(tile: landing.Tile) -> Tile:
    return {
        "key": tile.key,
        "label": tile.label,
        "shown": tile.shown,
        "href": tile.href,
        "tone": TONES.get(tile.tone, "gray") if tile.count else "gray",
        "id": f"count-{tile.key}",
    }


class LandingState(StaffState, rx.State):
    module: str = ""
    work: list[Tile] = []
    approvals: list[Approvals] = []
    figures: list[Tile] = []
    shortcuts: list[Shortcut] = []
    loaded: bool = False

    @rx.var
    def has_approvals(self) -> bool:
        return any(a["count"] for a in self.approvals)

    @rx.event
    @signed_in
    async def load(self, module: str) -> None:
        principal = await self._principal()
        lang = await self._lang()
        if self.module != module:
            self.loaded = False
        with session_scope() as session:
            found = landing.landing(session, principal=principal, module=str(module), lang=lang)
        self.module = str(module)
        if found is None:
            self.work, self.approvals, self.figures, self.shortcuts = [], [], [], []
            self.loaded = True
            return
        self.work = [_tile(t) for t in found.work]
        self.figures = [_tile(t) for t in found.figures]
        self.approvals = [
            {
                "resource": a.resource,
                "label": a.label,
                "shown": a.shown,
                "count": a.count,
                "items": [{"title": title, "href": href} for title, href in a.items],
                "id": f"approve-{a.resource}",
            }
            for a in found.approvals
        ]
        self.shortcuts = [
            {"label": label, "href": href, "icon": icon} for label, href, icon in found.shortcuts
        ]
        self.loaded = True


class OverviewState(StaffState, rx.State):
    counts: dict[str, str] = {}
    loaded: bool = False

    @rx.event
    @signed_in
    async def load(self) -> None:
        session_state = await self.get_state(SessionState)
        allowed = set(session_state.modules)
        stats = sorted({s for m in MODULES if m.key in allowed for s in m.stats})
        with session_scope() as session:
            counts = overview.record_counts(session, stats, session_state.principal)
        # a figure the caller may not count is left out, not shown as a dash
        self.counts = {key: f"{counts[key]:,}" for key in stats if key in counts}
        self.loaded = True
