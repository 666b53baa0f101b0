"""Malformed events are refused with one brief log line per connection, never a traceback."""

import logging
from types import SimpleNamespace

import pytest
from reflex.app import EventNamespace

from backoffice.ops import malformed_events
from state import reflex_seam
from tests.factories import run


@pytest.fixture
def namespace():
    reflex_seam.refuse_malformed_events(malformed_events.ConnectionWarnings)
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


def test_a_flood_of_handler_errors_logs_one_traceback_a_minute_per_place(caplog, monkeypatch):
    import backoffice.backoffice as app_module

    assert app_module.app.backend_exception_handler is app_module.backend_exception_handler
    malformed_events._tracebacks.clear()
    clock = [1000.0]
    monkeypatch.setattr(malformed_events.time, "monotonic", lambda: clock[0])

    def junk_payload(value):
        try:
            int(value)  # a handler given a hand-made payload
        except ValueError as error:
            return app_module.backend_exception_handler(error)

    def other_place():
        try:
            {}["missing"]
        except KeyError as error:
            return app_module.backend_exception_handler(error)

    caplog.set_level(logging.WARNING)
    for n in range(649):
        toast = junk_payload(f"x{n}")
    other_place()
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 2  # one per place
    assert "error.generic" not in str(toast)  # a translated message, not a key
    clock[0] += malformed_events.TRACEBACK_EVERY
    junk_payload("y")
    lines = [r.getMessage() for r in caplog.records]
    assert len([r for r in caplog.records if r.exc_info]) == 3
    assert any(line.startswith("648 more ValueError") for line in lines)
