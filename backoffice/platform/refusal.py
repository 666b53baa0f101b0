"""The one shape of a refusal: an i18n key and the values its text names; nothing was changed.

``key`` is a :class:`backoffice.i18n.Message` when there are values, so ``translate(error.key,
lang)`` fills them in wherever the refusal is shown (a state need not pass them on again)."""

from __future__ import annotations

from backoffice.i18n import Message


class Refusal(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.params = params
        self.key: str = Message(key, **params) if params else key
