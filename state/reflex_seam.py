"""Every use of Reflex's internals, in one place: private methods the portal wraps, modules
outside ``reflex``'s public names, attributes with a leading underscore.

The rest of the portal calls the small functions here and uses only ``import reflex as rx``.
``tests/state/test_reflex_seam.py`` checks that each internal named here still exists with the shape
relied on, and pins the Reflex version this was written for: after an upgrade it fails naming
the internal to look at, instead of the portal failing at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import reflex as rx
from reflex.app import EventNamespace
from reflex.istate.data import HeaderData
from reflex.utils import prerequisites
from reflex_base import constants
from reflex_base.event.context import EventContext
from reflex_base.event.processor.base_state_processor import BaseStateEventProcessor
from reflex_base.registry import RegistrationContext
from reflex_base.utils.exceptions import EventDeserializationError, ReflexRuntimeError

if TYPE_CHECKING:
    from backoffice.ops.admission import EventsInFlight
    from backoffice.ops.malformed_events import ConnectionWarnings

REFLEX_VERSION = "0.10.1"  # the version these internals were read from

_OURS = "__backoffice_seam__"  # marks a wrapper of ours, so wrapping again replaces it
_WARNINGS = "_backoffice_warnings"  # a socket namespace's ConnectionWarnings


# --- the event being worked on ---------------------------------------------------------------


def event_chain() -> str:
    """The id of the chain the current event belongs to: a browser's event starts one, and the
    events it enqueues on the server carry its id as their parent. "" outside an event."""
    try:
        context = EventContext.get()
    except LookupError:
        return ""
    return context.parent_txid or context.txid


def enqueued_by_the_server() -> bool:
    """The current event was set off on the server (a page's on_load after Reflex's
    ``on_load_internal``), not sent by a click in the browser."""
    try:
        return bool(EventContext.get().parent_txid)
    except LookupError:
        return False


# --- a tab's state tree ------------------------------------------------------------------------


def root_of(state: rx.State) -> rx.State:
    """The root of the tab's state tree ``state`` belongs to."""
    return state._get_root_state()


def set_request_headers(root: rx.State, headers: dict[str, str]) -> None:
    """Give a tab's state the headers of a websocket handshake (for callers that run handlers
    without a socket: tests, benchmarks)."""
    root.rx_router_headers = HeaderData.from_router_data({"headers": headers})


# --- the app -----------------------------------------------------------------------------------


def page_load_events(path: str) -> list[Any]:
    """The on_load handlers registered for the page at ``path`` (none outside a running app)."""
    try:
        app = RegistrationContext.get().app
    except (LookupError, ReflexRuntimeError):
        return []
    return list(app.get_load_events(path))


def upload_path() -> str:
    """The path Reflex serves uploads on, as ``App._add_optional_endpoints`` builds it."""
    return rx.config.get_config().prepend_backend_path(str(constants.Endpoint.UPLOAD))


def built_frontend_dir() -> Path:
    """Where ``reflex export`` / ``reflex run --env prod`` put the built pages."""
    return prerequisites.get_web_dir() / constants.Dirs.STATIC


def registered_pages(app: rx.App) -> dict[str, Any]:
    """The app's pages by route, not yet compiled (each with its ``component``)."""
    return app._unevaluated_pages


# --- how Reflex works an event -----------------------------------------------------------------


def _unwrapped(method: Callable) -> Callable:
    return method.__wrapped__ if getattr(method, _OURS, False) else method  # type: ignore[attr-defined]


def admit_foreground_events(admission: EventsInFlight | None) -> None:
    """Run every foreground event of this process inside ``admission.turn(chained=…)``
    (background handlers as they are); None runs them unwrapped. Calling it again replaces the
    admission, it does not stack."""
    execute = _unwrapped(BaseStateEventProcessor._execute_event)
    if admission is None:
        BaseStateEventProcessor._execute_event = execute  # type: ignore[method-assign]
        return

    async def admitted(self: Any, *, entry: Any, registered_handler: Any) -> None:
        if registered_handler.handler.is_background:
            await execute(self, entry=entry, registered_handler=registered_handler)
            return
        chained = getattr(entry.ctx, "parent_txid", None) is not None
        async with admission.turn(chained=chained):
            await execute(self, entry=entry, registered_handler=registered_handler)

    admitted.__wrapped__ = execute  # type: ignore[attr-defined]
    setattr(admitted, _OURS, True)
    BaseStateEventProcessor._execute_event = admitted  # type: ignore[method-assign]


def refuse_malformed_events(warnings: Callable[[], ConnectionWarnings]) -> None:
    """In front of Reflex's websocket event reader: an event from a socket without a session,
    one that is not an object, or one whose fields Reflex cannot read is dropped and told to
    the socket namespace's ``warnings()`` (made on first use), which forgets a connection when
    it ends. Calling it again replaces the wrapper, it does not stack."""
    on_event = _unwrapped(EventNamespace.on_event)
    on_disconnect = _unwrapped(EventNamespace.on_disconnect)

    def told(namespace: Any) -> ConnectionWarnings:
        found = namespace.__dict__.get(_WARNINGS)
        if found is None:
            found = namespace.__dict__[_WARNINGS] = warnings()
        return found

    async def refusing(self: Any, sid: str, data: Any) -> None:
        if sid not in self.sid_to_token:
            told(self).refused(sid, "no session")
        elif not isinstance(data, dict):  # the client sends objects; a string is hand-made
            told(self).refused(sid, f"a {type(data).__name__}, not an object")
        else:
            try:
                await on_event(self, sid, data)
            except EventDeserializationError:
                told(self).refused(sid, "unreadable fields")

    def forgetting(self: Any, sid: str, *_reason: Any) -> Any:
        if _WARNINGS in self.__dict__:
            told(self).disconnected(sid)
        return on_disconnect(self, sid)

    for wrapper, wrapped in ((refusing, on_event), (forgetting, on_disconnect)):
        wrapper.__wrapped__ = wrapped  # type: ignore[attr-defined]
        setattr(wrapper, _OURS, True)
    EventNamespace.on_event = refusing  # type: ignore[method-assign]
    EventNamespace.on_disconnect = forgetting  # type: ignore[method-assign]
