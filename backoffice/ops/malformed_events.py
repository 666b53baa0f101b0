"""A malformed event from a client is refused with one brief log line per connection, and an
error in a handler (a hand-made payload of the wrong shape ends there) logs its traceback once
a minute per place, not once per event.

Reflex raises on an event it cannot read (not an object, bad JSON, unknown fields) and logs
the whole payload when a socket without a session sends one; each raise ended as a full
traceback in the log. Anyone can open a socket, so a script sending junk could write the log
full. Here the refusal is the same (the event is dropped), but logged once per connection, in
one line, without the payload.

This module is the policy; ``state.reflex_seam.refuse_malformed_events`` puts it in front of
Reflex's event reader, and the app's ``backend_exception_handler`` (``backoffice/backoffice.py``)
calls :func:`log_handler_error`.
"""

from __future__ import annotations

import logging
import time
import traceback

log = logging.getLogger("backoffice.events")

TRACEBACK_EVERY = 60.0  # seconds: one traceback per kind and place of error in this time
_PLACES_KEPT = 1000
_tracebacks: dict[tuple[str, str], list[float]] = {}  # (kind, place) → [logged at, repeats]


class ConnectionWarnings:
    """The connections of one socket namespace already told about: one line each."""

    def __init__(self) -> None:
        self.told: set[str] = set()

    def refused(self, connection: str, why: str) -> None:
        if connection in self.told:
            return
        self.told.add(connection)
        log.warning(
            "malformed event refused (%s) on connection %s; further ones not logged",
            why,
            connection,
        )

    def disconnected(self, connection: str) -> None:
        """A later connection with the same id is told about again."""
        self.told.discard(connection)


def _place(exception: BaseException) -> tuple[str, str]:
    frames = traceback.extract_tb(exception.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return type(exception).__name__, where


def log_handler_error(exception: BaseException) -> None:
    """The first error of a kind at a place is logged with its traceback; its repeats in the
    next minute are counted and summed up in one line with the next traceback."""
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
