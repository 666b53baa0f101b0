"""A worker runs at most a few staff events at once; the rest wait, chained ones first, and
all of them finish."""

import asyncio
from types import SimpleNamespace

import pytest
from reflex_base.event.processor.base_state_processor import BaseStateEventProcessor

from backoffice.ops import admission
from state import reflex_seam
from tests.factories import run


def cap_events_in_flight(limit: int) -> None:
    reflex_seam.admit_foreground_events(admission.cap(limit))


@pytest.fixture
def counted_events(monkeypatch):
    """Reflex's event execution replaced by one that counts how many run at once, and in
    which order they start."""
    seen = {"now": 0, "most": 0, "done": 0, "order": []}

    async def execute(self, *, entry, registered_handler):
        seen["order"].append(entry.name)
        seen["now"] += 1
        seen["most"] = max(seen["most"], seen["now"])
        await asyncio.sleep(0.01)
        seen["now"] -= 1
        seen["done"] += 1

    monkeypatch.setattr(BaseStateEventProcessor, "_execute_event", execute)
    return seen


def _event(name: str = "click", *, chained: bool = False, background: bool = False):
    entry = SimpleNamespace(name=name, ctx=SimpleNamespace(parent_txid="p" if chained else None))
    handler = SimpleNamespace(handler=SimpleNamespace(is_background=background))
    return BaseStateEventProcessor._execute_event(None, entry=entry, registered_handler=handler)


def _run(count: int, *, background: bool = False) -> None:
    async def events() -> None:
        await asyncio.gather(*(_event(background=background) for _ in range(count)))

    run(events())


def test_at_most_the_cap_of_foreground_events_run_at_once(counted_events):
    cap_events_in_flight(3)
    _run(20)
    assert (counted_events["now"], counted_events["most"], counted_events["done"]) == (0, 3, 20)


def test_a_freed_place_goes_to_a_chained_event_before_new_clicks(counted_events):
    cap_events_in_flight(1)

    async def events() -> None:
        first = asyncio.ensure_future(_event("first"))
        await asyncio.sleep(0)  # `first` holds the only place
        waiting = [asyncio.ensure_future(_event(f"new-{n}")) for n in range(3)]
        waiting.append(asyncio.ensure_future(_event("chained", chained=True)))
        await asyncio.gather(first, *waiting)

    run(events())
    assert counted_events["order"] == ["first", "chained", "new-0", "new-1", "new-2"]


def test_a_cancelled_waiting_event_gives_no_place_away(counted_events):
    cap_events_in_flight(1)

    async def events() -> None:
        first = asyncio.ensure_future(_event("first"))
        await asyncio.sleep(0)
        gone = asyncio.ensure_future(_event("gone"))
        after = asyncio.ensure_future(_event("after"))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.gather(first, after)
        with pytest.raises(asyncio.CancelledError):
            await gone
        await asyncio.gather(*(_event(f"more-{n}") for n in range(5)))

    run(events())
    assert "gone" not in counted_events["order"]
    assert counted_events["most"] == 1 and counted_events["done"] == 7


def test_background_events_are_not_held_back(counted_events):
    cap_events_in_flight(3)
    _run(20, background=True)
    assert counted_events["most"] == 20 and counted_events["done"] == 20


def test_zero_lifts_the_cap_and_capping_again_does_not_stack(counted_events):
    cap_events_in_flight(2)
    cap_events_in_flight(5)  # replaces the cap of 2, does not wrap it
    _run(20)
    assert counted_events["most"] == 5
    cap_events_in_flight(0)
    counted_events["most"] = 0
    _run(20)
    assert counted_events["most"] == 20


def test_the_cap_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("BACKOFFICE_EVENTS_IN_FLIGHT", raising=False)
    assert admission.limit_from_environment() == admission.DEFAULT_LIMIT
    monkeypatch.setenv("BACKOFFICE_EVENTS_IN_FLIGHT", "0")
    assert admission.limit_from_environment() == 0
    monkeypatch.setenv("BACKOFFICE_EVENTS_IN_FLIGHT", "lots")
    with pytest.raises(ValueError, match="whole number"):
        admission.limit_from_environment()
