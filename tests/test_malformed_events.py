"""Malformed events are refused with one brief log line per connection, never a traceback."""

import logging
from types import SimpleNamespace

import pytest
from reflex.app import EventNamespace

from state import malformed_events
from tests.factories import run


@pytest.fixture
def namespace():
    malformed_events.log_once_per_connection()
    space = EventNamespace.__new__(EventNamespace)  # the handlers need only these attributes
    space._token_manager = SimpleNamespace(
        sid_to_token={"s1": "token-1", "s2": "token-2"}, token_to_socket={}, instance_id="i"
    )
    space._client_error_counts, space._static_router_data = {}, {}
    space.app = SimpleNamespace(_event_processor=None)
    return space


JUNK = ["not json {", '["a", "list"]', 42, ["x"], None, {"no_name": 1}, {"payload": {}}]


def test_a_flood_of_malformed_events_logs_one_line_per_connection(namespace, caplog):
    caplog.set_level(logging.DEBUG)
    for _ in range(200):
        for junk in JUNK:
            run(namespace.on_event("s1", junk))  # refused: nothing raised
    run(namespace.on_event("s2", "junk"))
    run(namespace.on_event("ghost", {"name": "x"}))  # a socket without a session
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 3
    assert all(r.exc_info is None and r.name == "backoffice.events" for r in lines)
    assert all("not json" not in r.getMessage() and len(r.getMessage()) < 200 for r in lines)


def test_a_new_connection_with_the_same_id_is_told_about_again(namespace, caplog):
    caplog.set_level(logging.WARNING)
    run(namespace.on_event("s1", "junk"))
    namespace.sid_to_token.pop("s1")
    namespace.on_disconnect("s1")
    namespace.sid_to_token["s1"] = "token-3"
    run(namespace.on_event("s1", "junk"))
    assert len([r for r in caplog.records if r.name == "backoffice.events"]) == 2


def test_the_reflex_internals_it_relies_on_are_still_there():
    """Fails loudly on a Reflex upgrade that moves them: then review this module."""
    import inspect

    source = inspect.getsource(EventNamespace.on_event.__wrapped__)
    assert "sid_to_token" in source and "EventDeserializationError" in source
    assert list(inspect.signature(EventNamespace.on_disconnect.__wrapped__).parameters) == [
        "self",
        "sid",
    ]
