"""At most a few staff events in work at once in a worker; the rest wait their turn.

Reflex starts every tab's next event as its own task at once. Each loads its tab's whole state
tree from Redis, and with the database calls running on the event loop the tasks only take turns:
at 200 sessions a worker held dozens of loaded trees, rows and deltas at a time, its heap grew to
the worst such moment and stayed there (Python gives an arena back only once it is empty), and
every click waited behind all of them. With a cap, a waiting event holds only its message, and
the heap is sized by the cap, not by the crowd.

A place that comes free goes first to an event chained from one already worked on (the page
load a navigation's ``on_load_internal`` enqueues, the bell after the gate): the click that
started it is waiting for it, and a navigation made of four events should not queue four times
behind new clicks.

Background handlers are not capped: they run beside the tab's events by design and may wait on
them. A tab's own events run one after another whatever the cap (Reflex queues them per tab), so
an admitted event never waits for another that needs a place.

This module is the policy; ``state.reflex_seam.admit_foreground_events`` runs Reflex's events
through it (applied in ``backoffice/backoffice.py``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import weakref
from collections.abc import AsyncIterator

from backoffice.platform import numerals

DEFAULT_LIMIT = 4


def limit_from_environment() -> int:
    """``BACKOFFICE_EVENTS_IN_FLIGHT``: a positive number, or 0 for no cap."""
    raw = os.environ.get("BACKOFFICE_EVENTS_IN_FLIGHT", str(DEFAULT_LIMIT)).strip()
    limit = numerals.whole(raw)
    if limit is None:
        raise ValueError(f"BACKOFFICE_EVENTS_IN_FLIGHT must be a whole number, not {raw!r}")
    return limit


class Gate:
    """A semaphore whose freed places go to chained events before new ones."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.working = 0
        self.waiting: dict[bool, collections.deque[asyncio.Future[None]]] = {
            True: collections.deque(),
            False: collections.deque(),
        }

    async def enter(self, *, chained: bool) -> None:
        if self.working < self.limit and not any(self.waiting.values()):
            self.working += 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting[chained].append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.leave()  # given the place as it was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):  # leave() may have dropped it already
                    self.waiting[chained].remove(turn)
            raise

    def leave(self) -> None:
        for queue in (self.waiting[True], self.waiting[False]):
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)  # the place passes on; `working` stays
                    return
        self.working -= 1


class EventsInFlight:
    """``limit`` places per event loop (a worker's; a test may run several loops in turn)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Gate] = (
            weakref.WeakKeyDictionary()
        )

    @contextlib.asynccontextmanager
    async def turn(self, *, chained: bool) -> AsyncIterator[None]:
        """Wait for a place, hold it while the block runs, then pass it on."""
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = Gate(self.limit)
        await gate.enter(chained=chained)
        try:
            yield
        finally:
            gate.leave()


def cap(limit: int) -> EventsInFlight | None:
    """The cap for ``limit`` events at once; None for 0 (no cap)."""
    return EventsInFlight(limit) if limit > 0 else None
