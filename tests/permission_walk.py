"""Walking the permission declarations: every handler of every state with its ``@requires``,
a call of one with made-up arguments, and the roles that may open each registered page (the
page gate and the permissions of the page's load handlers, for each role's default grants)."""

from __future__ import annotations

import inspect
import typing

import reflex as rx
from reflex.state import State

import backoffice.backoffice  # noqa: F401  (registers every page and state)
from backoffice.engine.resource import all_resources
from backoffice.engine.resource import get as get_resource
from backoffice.security import gate, rbac
from pages.layout import registered_pages
from state.auth import PERMISSION_ATTR, PUBLIC, SIGNED_IN
from state.resource import ON_RESOURCE
from tests.factories import run

ROLES = tuple(rbac.ROLES)


def our_states() -> list[type[rx.State]]:
    found, todo = [], list(State.get_substates())
    while todo:
        cls = todo.pop()
        todo.extend(cls.get_substates())
        if cls.__module__.startswith("state."):
            found.append(cls)
    return sorted(found, key=lambda c: c.get_full_name())


def handlers() -> list[tuple[type[rx.State], str, typing.Callable]]:
    return [
        (cls, name, handler.fn)
        for cls in our_states()
        for name, handler in cls.event_handlers.items()
        if name != "setvar"  # delegates to set_* methods, which are handlers checked here
    ]


def _dummy(annotation: object) -> object:
    text = str(annotation)
    if "dict" in text:
        return {"username": "x", "password": "y", "code": "123456"}
    if "bool" in text:
        return True
    if "int" in text:
        return 1
    return "x"


def call_handler(
    root: State, cls: type[rx.State], fn: typing.Callable, resource_key: str = ""
) -> object:
    """Run a handler of ``cls`` in the state tree ``root`` with made-up arguments (the resource
    key where it takes one); what it returned."""
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    if resource_key:
        state.resource_key = resource_key
    hints = typing.get_type_hints(inspect.unwrap(fn))
    params = list(inspect.signature(inspect.unwrap(fn)).parameters)[1:]
    args = [resource_key if p == "key" else _dummy(hints.get(p, str)) for p in params]
    return run(fn(state, *args))


def permission_cases(permission: tuple[str, str]) -> list[tuple[tuple[str, str], str]]:
    """(the concrete permission, the resource key to call with) for one declaration."""
    if permission[0] != ON_RESOURCE:
        return [(permission, "")]
    # the guard checks the resource's rbac permission: one resource per permission covers it
    first = {}
    for r in all_resources():
        first.setdefault(r.permission, r.key)
    return [((name, permission[1]), key) for name, key in first.items()]


def principal_of(role: str) -> rbac.Principal:
    """A caller holding only the role's default grants."""
    grants = rbac.DEFAULT_GRANTS[role]
    return rbac.Principal(
        user_id=0,
        username=role,
        display_name=role,
        session_id=0,
        roles=frozenset({role}),
        permissions=frozenset((r, a) for r, actions in grants.items() for a in actions),
    )


def declared_permission(handler: object) -> tuple[str, str]:
    fn = getattr(getattr(handler, "handler", handler), "fn", handler)
    return getattr(fn, PERMISSION_ATTR, PUBLIC)


def may_call(principal: rbac.Principal, permission: tuple[str, str], resource_key: str) -> bool:
    """Whether the caller passes a handler's declared permission on the page of
    ``resource_key``."""
    if permission in (PUBLIC, SIGNED_IN):
        return True
    resource, action = permission
    if resource == ON_RESOURCE:
        found = get_resource(resource_key)
        return found is not None and principal.can(found.permission, action)
    return principal.can(resource, action)


def roles_by_page() -> dict[str, frozenset[str]]:
    """Each registered page and the roles that may open it."""
    found = {}
    for route, _title, _page, loads in registered_pages:
        parts = route.strip("/").split("/")
        resource_key = parts[1] if parts[0] == "r" and len(parts) > 1 else ""
        found[route] = frozenset(
            role
            for role in ROLES
            if gate.page_refusal(principal := principal_of(role), route) is None
            and all(may_call(principal, declared_permission(h), resource_key) for h in loads or [])
        )
    return found
