"""Interface preferences kept in the browser: the language."""

from __future__ import annotations

import reflex as rx

from backoffice.config import LANGUAGES, get_settings


def _public(fn):  # noqa: ANN001  (state.auth imports this module; see state.auth.public)
    fn.__permission__ = ("*", "public")
    return fn


class UIState(rx.State):
    lang: str = rx.LocalStorage(get_settings().default_language, name="bo_lang", sync=True)

    @rx.event
    @_public
    def set_language(self, language: str | list[str]) -> None:
        if language in LANGUAGES:
            self.lang = language
