"""State handlers called directly, without a browser."""

from state.overview import OverviewState
from state.ui import UIState


def _handler(state_cls, name):
    return state_cls.event_handlers[name].fn


def test_language_switch_accepts_only_known_languages():
    state = UIState(_reflex_internal_init=True)
    _handler(UIState, "set_language")(state, "en")
    assert state.lang == "en"
    _handler(UIState, "set_language")(state, "fr")
    assert state.lang == "en"
    _handler(UIState, "set_language")(state, ["zh"])
    assert state.lang == "en", "a list is not a language"


def test_overview_loads_formatted_counts(session):
    from backoffice.services import audit

    audit.record(session, actor="system", action="x", entity="y")
    session.commit()
    state = OverviewState(_reflex_internal_init=True)
    _handler(OverviewState, "load")(state)
    assert state.loaded
    assert state.counts["audit_entries"] == "1"
    assert state.counts["transactions"] == "0"
