"""What every staff page's state needs, written once: who is calling, in which language, a
refusal shown to them, and a unit of work that may write.

``StaffState`` is a Reflex state mixin, listed before ``rx.State``:
``class TicketDeskState(StaffState, rx.State)``. The state gets these methods and keeps its place
in the state tree (a mixin is not a parent state; a class whose only state bases are mixins
would be a mixin itself, hence ``rx.State`` named too).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TypedDict

import reflex as rx
from sqlmodel import Session

from backoffice.db import session_scope
from backoffice.i18n import translate
from backoffice.platform.refusal import Refusal
from backoffice.security.rbac import Principal
from state.auth import SessionState
from state.ui import language


class Choice(TypedDict):
    """One option of a pick-list: the value sent back, the label shown."""

    value: str
    label: str


class Action(TypedDict):
    """A button the caller may press: what it does (a transition's key), what it says."""

    key: str
    label: str


class LabelledValue(TypedDict):
    """One line of a panel: what it is, what it says."""

    label: str
    value: str


@dataclass(frozen=True)
class Caller:
    """Who sends the event being handled, as the services take it."""

    principal: Principal | None  # None only outside a guarded handler
    client: str  # the address the audit trail records
    lang: str


class StaffState(rx.State, mixin=True):
    async def _lang(self) -> str:
        return await language(self)

    async def _principal(self) -> Principal | None:
        """The caller the handler's guard resolved for this event."""
        return (await self.get_state(SessionState)).principal

    async def _caller(self) -> Caller:
        session_state = await self.get_state(SessionState)
        return Caller(session_state.principal, session_state.client, await self._lang())

    @staticmethod
    def _refusal(error: Refusal, lang: str) -> rx.event.EventSpec:
        """Why nothing was done, as an error toast in the caller's language."""
        return rx.toast.error(translate(error.key, lang))

    @staticmethod
    def _write_scope() -> AbstractContextManager[Session]:
        """A unit of work that may write: committed when the block ends, rolled back when it
        raises (SQLite's write lock taken up front; see ``backoffice.db.session_scope``)."""
        return session_scope(write=True)
