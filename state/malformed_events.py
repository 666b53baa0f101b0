"""A malformed event from a client is refused with one brief log line per connection.

Reflex raises on an event it cannot read (not an object, bad JSON, unknown fields) and logs
the whole payload when a socket without a session sends one; each raise ended as a full
traceback in the log. Anyone can open a socket, so a script sending junk could write the log
full. Here the refusal is the same (the event is dropped), but logged once per connection, in
one line, without the payload.

Relies on Reflex internals (``EventNamespace.on_event``, ``sid_to_token``,
``EventDeserializationError``): ``tests/test_malformed_events.py`` fails if they change.
"""

from __future__ import annotations

import logging
from typing import Any

from reflex.app import EventNamespace
from reflex_base.utils.exceptions import EventDeserializationError

log = logging.getLogger("backoffice.events")


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
