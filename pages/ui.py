"""The translation function for pages: both languages are compiled in, the browser picks one."""

from __future__ import annotations

import reflex as rx

from backoffice.i18n import catalogue
from state.ui import UIState


def t(key: str) -> rx.Var:
    """The label for ``key`` in the user's language (a missing key fails at build time)."""
    return rx.cond(UIState.lang == "en", catalogue("en")[key], catalogue("zh")[key])
