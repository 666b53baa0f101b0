"""Setting state vars only when they change."""

from __future__ import annotations

from typing import Any

import reflex as rx


def assign(state: rx.State, **values: Any) -> None:
    """Set the vars whose value differs. Reflex sends every var that was set in an event to the
    browser, which renders it again: the pick-lists, columns and permissions a list keeps from
    click to click would otherwise go over the websocket on every click."""
    for name, value in values.items():
        if getattr(state, name) != value:
            setattr(state, name, value)
