"""Counts shown on the overview and module pages: only for modules the caller may view."""

from __future__ import annotations

import reflex as rx

from backoffice.db import session_scope
from backoffice.navigation import MODULES
from backoffice.services import overview
from state.auth import SessionState, signed_in


class OverviewState(rx.State):
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
