"""A malformed event from a client is refused with one brief log line per connection, and an
error in a handler (a hand-made payload of the wrong shape ends there) logs its traceback once
a minute per place, not once per event.

Reflex raises on an event it cannot read (not an object, bad JSON, unknown fields) and logs
the whole payload when a socket without a session sends one; each raise ended as a full
traceback in the log. Anyone can open a socket, so a script sending junk could write the log
full. Here the refusal is the same (the event is dropped), but logged once per connection, in
one line, without the payload.

Relies on Reflex internals (``EventNamespace.on_event``, ``sid_to_token``,
``EventDeserializationError``): ``tests/state/test_malformed_events.py`` fails if they change.
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any

import reflex as rx
from reflex.app import EventNamespace
from reflex_base.event import EventSpec
from reflex_base.utils.exceptions import EventDeserializationError

from backoffice.i18n import translate

log = logging.getLogger("backoffice.events")

TRACEBACK_EVERY = 60.0  # seconds: one traceback per kind and place of error in this time
_PLACES_KEPT = 1000
_tracebacks: dict[tuple[str, str], list[float]] = {}  # (kind, place) → [logged at, repeats]


def _refuse(namespace: Any, sid: str, why: str) -> None:
    told: set[str] = namespace.__dict__.setdefault("_malformed_told", set())
    if sid in told:
        return
    told.add(sid)
    log.warning("malformed event refused (%s) on connection %s; further ones not logged", why, sid)


def log_once_per_connection() -> None:
    """Wrap ``EventNamespace.on_event`` (idempotent)."""
    on_event = getattr(EventNamespace.on_event, "__wrapped__", EventNamespace.on_event)
    on_disconnect = getattr(
        EventNamespace.on_disconnect, "__wrapped__", EventNamespace.on_disconnect
    )

    async def refusing(self: Any, sid: str, data: Any) -> None:
        if sid not in self.sid_to_token:
            _refuse(self, sid, "no session")
        elif not isinstance(data, dict):  # the client sends objects; a string is hand-made
            _refuse(self, sid, f"a {type(data).__name__}, not an object")
        else:
            try:
                await on_event(self, sid, data)
            except EventDeserializationError:
                _refuse(self, sid, "unreadable fields")

    def forgetting(self: Any, sid: str, *_reason: Any) -> Any:
        self.__dict__.get("_malformed_told", set()).discard(sid)
        return on_disconnect(self, sid)

    refusing.__wrapped__ = on_event  # type: ignore[attr-defined]
    forgetting.__wrapped__ = on_disconnect  # type: ignore[attr-defined]
    EventNamespace.on_event = refusing  # type: ignore[method-assign]
    EventNamespace.on_disconnect = forgetting  # type: ignore[method-assign]


def _place(exception: BaseException) -> tuple[str, str]:
    frames = traceback.extract_tb(exception.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return type(exception).__name__, where


def backend_exception_handler(exception: Exception) -> EventSpec:
    """``rx.App(backend_exception_handler=…)``: the first error of a kind at a place is logged
    with its traceback; its repeats in the next minute are counted and summed up in one line
    with the next traceback. The user gets a toast in both languages, as before."""
    place = _place(exception)
    now = time.monotonic()
    seen = _tracebacks.get(place)
    if seen is None or now - seen[0] >= TRACEBACK_EVERY:
        if seen is not None and seen[1]:
            log.warning("%d more %s at %s were not logged", int(seen[1]), *place)
        if len(_tracebacks) >= _PLACES_KEPT:
            _tracebacks.clear()
        _tracebacks[place] = [now, 0]
        log.error("error in an event handler", exc_info=exception)
    else:
        seen[1] += 1
    message = f"{translate('error.generic', 'zh')} / {translate('error.generic', 'en')}"
    return rx.toast.error(message, id="backend_error")
