"""Every Reflex internal ``state/reflex_seam.py`` relies on is still there with the shape it was
written for. On a Reflex upgrade a failure here names the internal to look at; only the seam
needs reviewing (no other module of the portal touches Reflex's internals)."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pytest
import reflex as rx
from reflex.app import App, EventNamespace
from reflex.istate.data import HeaderData
from reflex.utils import prerequisites
from reflex_base import constants
from reflex_base.event import EventHandler
from reflex_base.event.context import EventContext
from reflex_base.event.processor.base_state_processor import BaseStateEventProcessor
from reflex_base.event.processor.event_processor import EventQueueEntry
from reflex_base.registry import RegisteredEventHandler, RegistrationContext
from reflex_base.utils.exceptions import EventDeserializationError, ReflexRuntimeError

from state import reflex_seam

ROOT = Path(__file__).resolve().parents[2]


def _parameters(function: Callable) -> list[str]:
    function = getattr(function, "__wrapped__", function)  # the seam may have wrapped it
    return [
        f"*{p.name}" if p.kind is p.KEYWORD_ONLY else p.name
        for p in inspect.signature(function).parameters.values()
    ]


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _source(function: Callable) -> str:
    return inspect.getsource(getattr(function, "__wrapped__", function))


INTERNALS: dict[str, Callable[[], bool]] = {
    # the event being worked on (event_chain, enqueued_by_the_server)
    "EventContext.get() raising LookupError outside an event": lambda: (
        inspect.ismethod(EventContext.get) and "LookupError" in inspect.getsource(EventContext.get)
    ),
    "EventContext fields txid, parent_txid": lambda: (
        {"txid", "parent_txid"} <= _fields(EventContext)
    ),
    # a tab's state tree (root_of, set_request_headers)
    "BaseState._get_root_state(self)": lambda: _parameters(rx.State._get_root_state) == ["self"],
    "HeaderData.from_router_data(router_data)": lambda: (
        _parameters(HeaderData.from_router_data) == ["router_data"]
    ),
    "the router's headers held in the root state's var rx_router_headers": lambda: (
        constants.ROUTER_HEADERS == "rx_router_headers"
        and "rx_router_headers" in rx.State.__fields__
    ),
    # the app (page_load_events, upload_path, built_frontend_dir, registered_pages)
    "RegistrationContext.get().app": lambda: isinstance(
        inspect.getattr_static(RegistrationContext, "app"), property
    ),
    "ReflexRuntimeError is an exception": lambda: issubclass(ReflexRuntimeError, Exception),
    "App.get_load_events(self, path)": lambda: _parameters(App.get_load_events) == ["self", "path"],
    "App._add_optional_endpoints serves uploads on Endpoint.UPLOAD": lambda: (
        "prepend_backend_path(str(constants.Endpoint.UPLOAD))"
        in inspect.getsource(App._add_optional_endpoints)
    ),
    "constants.Endpoint.UPLOAD, constants.Dirs.STATIC": lambda: (
        str(constants.Endpoint.UPLOAD) == "/_upload" and constants.Dirs.STATIC == "build/client"
    ),
    "Config.prepend_backend_path(self, path)": lambda: (
        _parameters(rx.Config.prepend_backend_path) == ["self", "path"]
    ),
    "prerequisites.get_web_dir()": lambda: _parameters(prerequisites.get_web_dir) == [],
    "App._unevaluated_pages": lambda: "_unevaluated_pages" in _fields(App),
    # how Reflex works an event (admit_foreground_events)
    "BaseStateEventProcessor._execute_event(self, *, entry, registered_handler)": lambda: (
        _parameters(BaseStateEventProcessor._execute_event)
        == ["self", "*entry", "*registered_handler"]
        and inspect.iscoroutinefunction(
            getattr(
                BaseStateEventProcessor._execute_event,
                "__wrapped__",
                BaseStateEventProcessor._execute_event,
            )
        )
    ),
    "EventQueueEntry.ctx, an EventContext": lambda: "ctx" in EventQueueEntry.__annotations__,
    "RegisteredEventHandler.handler, an EventHandler": lambda: (
        "handler" in _fields(RegisteredEventHandler)
    ),
    "EventHandler.is_background": lambda: hasattr(EventHandler, "is_background"),
    # the websocket's event reader (refuse_malformed_events)
    "EventNamespace.on_event(self, sid, data), reading sid_to_token, raising "
    "EventDeserializationError": lambda: (
        _parameters(EventNamespace.on_event) == ["self", "sid", "data"]
        and "sid_to_token" in _source(EventNamespace.on_event)
        and "EventDeserializationError" in _source(EventNamespace.on_event)
    ),
    "EventNamespace.on_disconnect(self, sid)": lambda: (
        _parameters(EventNamespace.on_disconnect) == ["self", "sid"]
    ),
    "EventNamespace.sid_to_token": lambda: isinstance(
        inspect.getattr_static(EventNamespace, "sid_to_token"), property
    ),
    "EventNamespace instances have a __dict__": lambda: "__slots__" not in EventNamespace.__dict__,
    "EventDeserializationError is a ValueError": lambda: issubclass(
        EventDeserializationError, ValueError
    ),
}


def test_written_for_this_reflex_version():
    installed = version("reflex")
    assert installed == reflex_seam.REFLEX_VERSION, (
        f"Reflex {installed} is installed; state/reflex_seam.py was written for "
        f"{reflex_seam.REFLEX_VERSION}. Check the internals it names (this module's other "
        "tests say which changed), then set REFLEX_VERSION."
    )


@pytest.mark.parametrize("internal", list(INTERNALS))
def test_the_internal_is_still_there(internal):
    try:
        present = INTERNALS[internal]()
    except (AttributeError, KeyError, TypeError, ValueError, OSError) as error:
        present, why = False, f"{type(error).__name__}: {error}"
    else:
        why = "not the shape the seam relies on"
    assert present, (
        f"Reflex internal changed: {internal} ({why}). Review state/reflex_seam.py, which "
        f"relies on it."
    )


def test_the_seam_works_on_a_tab_outside_an_event():
    from reflex.state import State

    from state.ui import UIState

    root = State(_reflex_internal_init=True)
    child = root.get_substate(UIState.get_full_name().split(".")[1:])
    assert reflex_seam.root_of(child) is root
    reflex_seam.set_request_headers(root, {"cookie": "a=b", "user-agent": "probe"})
    assert child.router.headers.cookie == "a=b" and root.router.headers.user_agent == "probe"
    assert reflex_seam.event_chain() == "" and not reflex_seam.enqueued_by_the_server()


def test_no_other_module_touches_reflex_internals():
    """Outside the seam, the portal's code imports Reflex only as ``import reflex as rx``
    (``rxconfig.py`` and the ops scripts aside)."""
    offenders = []
    for folder in ("backoffice", "state", "pages"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "state" / "reflex_seam.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                for name in names:
                    if name.startswith("reflex") and name != "reflex":
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    assert offenders == []
