"""Interface preferences kept in the browser: the language.

A switch applies at once to the whole open page: labels written with ``pages.ui.t`` switch in
the browser, and every text a state built in the old language (list titles, columns, filters,
charts, panels) is built again by the page's own on_load handlers, run again in the same event
chain with the page's URL (a list keeps its filters, sort and page). States filled by a click
rather than a page load (the bell, a sign-in error) register a ``_relabel(lang)`` method with
:func:`relabels`, called before the page's loads run again.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.config import LANGUAGES, get_settings
from state import reflex_seam

# state classes whose ``_relabel(lang)`` rebuilds what a click (not a page load) filled
_RELABELLED: list[type[rx.State]] = []


def relabels(cls: type[rx.State]) -> type[rx.State]:
    """Class decorator: ``cls._relabel(lang)`` runs on every language switch."""
    if not callable(getattr(cls, "_relabel", None)):
        raise TypeError(f"{cls.__qualname__} has no _relabel(lang)")
    _RELABELLED.append(cls)
    return cls


def _public(fn):  # noqa: ANN001  (state.auth imports this module; see state.auth.public)
    fn.__permission__ = ("*", "public")
    return fn


async def language(state: rx.State) -> str:
    """The tab's interface language, from any state of the tab."""
    return (await state.get_state(UIState)).lang


class UIState(rx.State):
    lang: str = rx.LocalStorage(get_settings().default_language, name="bo_lang", sync=True)

    @rx.event
    @_public
    async def set_language(self, language: str | list[str]) -> Any:
        """The language, then the open page built again in it (each load checks its caller)."""
        if language not in LANGUAGES or language == self.lang:
            return None
        self.lang = language
        for cls in _RELABELLED:
            result = (await self.get_state(cls))._relabel(language)
            if hasattr(result, "__await__"):
                await result
        return reflex_seam.page_load_events(self.router.url.path) or None
