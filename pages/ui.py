"""The translation function for pages: both languages are compiled in, the browser picks one."""

from __future__ import annotations

import reflex as rx

from backoffice.i18n import catalogue
from state.ui import UIState


def t(key: str) -> rx.Var:
    """The label for ``key`` in the user's language (a missing key fails at build time)."""
    return rx.cond(UIState.lang == "en", catalogue("en")[key], catalogue("zh")[key])


# Chromium shows <input type=date> in the browser's locale (12/03/2026 in an English browser,
# whatever the page's language or lang attribute): dates are typed and shown as ISO text.
DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"
DATETIME_PATTERN = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}"


def date_input(*, with_time: bool = False, **props: object) -> rx.Component:
    """A date (or date and time) field: YYYY-MM-DD (HH:MM) in either language; the server's
    parse error names a wrong one."""
    return rx.input(
        type="text",
        pattern=DATETIME_PATTERN if with_time else DATE_PATTERN,
        placeholder=t("date.format_time" if with_time else "date.format"),
        title=t("date.format_time" if with_time else "date.format"),
        max_length=16 if with_time else 10,
        auto_complete="off",
        **props,
    )
