"""Interface preferences kept in the browser: the language."""

from __future__ import annotations

import reflex as rx

from backoffice.config import LANGUAGES, get_settings


class UIState(rx.State):
    lang: str = rx.LocalStorage(get_settings().default_language, name="bo_lang", sync=True)

    @rx.event
    def set_language(self, language: str | list[str]) -> None:
        if language in LANGUAGES:
            self.lang = language
