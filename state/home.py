"""The overview and each module's landing page: counts of the modules the caller may view;
the caller's queues, what waits for their approval, key figures and shortcuts
(``backoffice.domains.home``), in the caller's language."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.domains.home import landing, overview
from backoffice.navigation import MODULES
from state.auth import SessionState, signed_in
from state.base import StaffState

TONES = {"red": "red", "amber": "amber", "gray": "gray"}


def _tile(tile: landing.Tile) -> dict[str, str]:
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
    work: list[dict[str, Any]] = []
    approvals: list[dict[str, Any]] = []
    figures: list[dict[str, Any]] = []
    shortcuts: list[dict[str, str]] = []
    has_approvals: bool = False
    loaded: bool = False

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
            self.has_approvals = False
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
        self.has_approvals = any(a.count for a in found.approvals)
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
        self.counts = {key: f"{counts[key]:,}" if key in counts else "—" for key in stats}
        self.loaded = True
