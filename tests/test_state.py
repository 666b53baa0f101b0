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


def test_overview_counts_only_the_modules_the_caller_may_view(session):

    from reflex.state import State

    from state.auth import SessionState
    from tests.factories import make_user, run, sign_in

    user, _ = make_user(session, "agent", ["cs_agent"])
    root = State(_reflex_internal_init=True)
    root.get_substate(SessionState.get_full_name().split(".")[1:]).token = sign_in(session, user)
    state = root.get_substate(OverviewState.get_full_name().split(".")[1:])
    run(_handler(OverviewState, "load")(state))
    assert state.loaded
    assert state.counts["tickets_open"] == "0"
    assert "transactions" not in state.counts and "employees" not in state.counts
