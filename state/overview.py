"""Counts shown on the overview and module pages."""

from __future__ import annotations

import reflex as rx

from backoffice.db import session_scope
from backoffice.services import overview


class OverviewState(rx.State):
    counts: dict[str, str] = {}
    loaded: bool = False

    @rx.event
    def load(self) -> None:
        with session_scope() as session:
            counts = overview.record_counts(session)
        self.counts = {key: f"{value:,}" for key, value in counts.items()}
        self.loaded = True
