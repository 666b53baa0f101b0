"""One translation function over two catalogues: Simplified Chinese (zh) and English (en).

The catalogues are JSON files under ``backoffice/locales``, plus a domain's own under
``backoffice/domains/<name>/locales`` where it has one (a key is defined in one file only); a
test fails when a key is missing from either language. Pages use :func:`pages.ui.t`, which
picks the language in the browser; services use :func:`translate` for messages they return.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from backoffice.config import LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAINS_DIR = Path(__file__).resolve().parent / "domains"


def catalogue_files(language: str) -> list[Path]:
    """The portal's catalogue of ``language`` and every domain's own, if it has one."""
    return [
        LOCALES_DIR / f"{language}.json",
        *sorted(DOMAINS_DIR.glob(f"*/locales/{language}.json")),
    ]


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    merged: dict[str, str] = {}
    for path in catalogue_files(language):
        texts = json.loads(path.read_text(encoding="utf-8"))
        if twice := sorted(set(texts) & set(merged)):
            raise ValueError(f"{path} defines keys defined elsewhere: {twice[:5]}")
        merged.update(texts)
    return merged


class Message(str):
    """An i18n key with the values its text names (a refusal naming levels, dates, amounts).

    It is the key as far as anyone comparing or storing it is concerned, so it travels where
    a key does (a field's error, an import row's message); :func:`translate` fills it in."""

    params: dict[str, object]

    def __new__(cls, key: str, **params: object) -> Message:
        message = super().__new__(cls, key)
        message.params = params
        return message


def translate(key: str, language: str = "zh", **params: object) -> str:
    """The text for ``key``; unknown keys raise so that a typo fails a test, not a page."""
    params = {**getattr(key, "params", {}), **params}
    text = catalogue(language)[key]
    return text.format(**params) if params else text


def choice_label(group: str, value: str, language: str = "zh") -> str:
    return translate(f"choice.{group}.{value}", language)
