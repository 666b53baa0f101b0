"""Who is calling, and the one mechanism that guards every event handler.

Any client can call any public handler of any state by name, so every handler is declared with
``@requires(resource, action)``, ``@signed_in`` or ``@public``;
``tests/security/test_permissions.py`` fails on an undeclared one. The caller is resolved on every
event the browser sends (a database look-up) from the HttpOnly session cookie of the websocket
handshake that carried the event, never from what the tab's state holds: a tab id replayed on
another socket without the cookie acts as nobody. Disabling a user, revoking a session or editing
the permission matrix applies on
the user's next event. The events a server-side chain enqueues
(a page's on_load handlers after ``on_load_internal``, the events a handler returns) reuse
what their chain's first event resolved: the chain was started by that one checked event, and
its ids come from the server, never from the browser.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import logging
from collections.abc import Callable
from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.engine.resource import all_resources
from backoffice.i18n import translate
from backoffice.security import auth, gate, rbac, sessions
from state import reflex_seam
from state.changes import assign
from state.ui import language

log = logging.getLogger("backoffice.access")

PUBLIC = ("*", "public")
SIGNED_IN = ("*", "signed_in")
PERMISSION_ATTR = "__permission__"


def public(fn: Callable) -> Callable:
    """Anyone may call it (sign-in steps, the page gate): it must check what it needs itself."""
    setattr(fn, PERMISSION_ATTR, PUBLIC)
    return fn


def _guard(permission: tuple[str, str]) -> Callable[[Callable], Callable]:
    def decorate(fn: Callable) -> Callable:
        if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
            raise TypeError(f"{fn.__qualname__}: guarded handlers may not be generators")

        @functools.wraps(fn)
        async def guarded(self: rx.State, *args: Any, **kwargs: Any) -> Any:
            session_state = await self.get_state(SessionState)
            refusal = await session_state._authorise(
                permission,
                fn.__qualname__,
                getattr(guarded, PAGE_LOAD_ATTR, False),
                resume=pending_call(self, fn, args, kwargs),
            )
            if refusal is not None:
                await forget_when_refused(self, session_state, permission)
                return refusal
            result = fn(self, *args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        setattr(guarded, PERMISSION_ATTR, permission)
        return guarded

    return decorate


def pending_call(
    state: rx.State, fn: Callable, args: tuple, kwargs: dict
) -> tuple[str, str, list[Any]]:
    """The event a step-up resumes: where the state class is defined (module:name), the
    handler's name and its arguments in order (the browser's payload as the server got it)."""
    bound = inspect.signature(fn).bind_partial(state, *args, **kwargs)
    return state_path(state), fn.__name__, list(bound.arguments.values())[1:]


def state_path(state: rx.State) -> str:
    return f"{type(state).__module__}:{type(state).__qualname__}"


def requires(resource: str, action: str) -> Callable[[Callable], Callable]:
    """The caller needs (resource, action) in the matrix, and a fresh TOTP for sensitive ones."""
    if resource not in rbac.RESOURCES or action not in rbac.ACTIONS:
        raise ValueError(f"unknown permission {resource}.{action}")
    return _guard((resource, action))


signed_in = _guard(SIGNED_IN)


async def forget_when_refused(
    state: rx.State, session_state: SessionState, permission: tuple[str, str]
) -> None:
    """After a refusal: when the caller may not (or no longer) view what ``state`` holds (signed
    out, the page refused by the gate, or the resource's "view" taken away), the state gives up
    its data, so a revoked right takes the rows off the screen instead of leaving the last ones.
    A state with a ``_clear_refused(message)`` method clears itself and says why; others are
    reset."""
    if isinstance(state, (SessionState, StepUpState)) or permission == PUBLIC:
        return
    principal = session_state.principal
    if principal is not None and permission != SIGNED_IN and principal.can(permission[0], "view"):
        return
    refused = getattr(state, "_clear_refused", None)
    if refused is None:
        state.reset()
        return
    refused(translate("auth.view_denied", await language(session_state)))


PAGE_LOAD_ATTR = "__page_load__"


def gates_its_page(handler: Any) -> bool:
    """Mark a page's first on_load handler to do the page gate's work itself (the template
    then registers no separate gate event: one state load and save less per navigation).
    False, and nothing marked, when the handler is not guarded by this module's guards."""
    fn = getattr(getattr(handler, "handler", handler), "fn", None)
    permission = getattr(fn, PERMISSION_ATTR, PUBLIC)
    if fn is None or permission == PUBLIC:
        return False
    setattr(fn, PAGE_LOAD_ATTR, True)
    return True


class SessionState(rx.State):
    """The signed-in user as far as the browser may know it, and the guard's server side."""

    user_name: str = ""
    username: str = ""
    modules: list[str] = []
    reports: list[str] = []  # the routes of the module reports the caller may open
    resources: list[str] = []
    roles: list[str] = []
    can_self_appraise: bool = False
    _principal: rbac.Principal | None = None
    _resolved_in: tuple[str, str] = ("", "")  # (event chain, token) _principal was resolved in
    _bound_to: str = ""  # the hash of the cookie's token the tab's data was loaded for

    @property
    def token(self) -> str:
        """The session token in the cookie of this event's websocket handshake."""
        return sessions.token_from_cookie_header(self.router.headers.cookie)

    @property
    def principal(self) -> rbac.Principal | None:
        return self._principal

    @property
    def client(self) -> str:
        return self.router.session.client_ip or ""

    def _refresh(self, principal: rbac.Principal | None) -> None:
        self._principal = principal
        viewable = [r for r in all_resources() if principal and principal.can(r.permission, "view")]
        assign(
            self,
            user_name=principal.display_name if principal else "",
            username=principal.username if principal else "",
            resources=[r.key for r in viewable],
            modules=gate.modules_of(principal),
            reports=gate.reports_of(principal),
            roles=sorted(principal.roles) if principal else [],
            can_self_appraise=bool(principal and principal.can("self_appraisal", "view")),
        )

    def _resolve(self) -> rbac.Principal | None:
        chain = reflex_seam.event_chain()
        if chain and self._resolved_in == (chain, self.token):
            return self._principal
        with session_scope() as session:
            principal = auth.resolve(session, self.token)
        self._refresh(principal)
        self._resolved_in = (chain, self.token)
        return principal

    def _log_refusal(
        self,
        principal: rbac.Principal | None,
        permission: tuple[str, str],
        handler: str,
        reason: str,
    ) -> None:
        actor = principal.username if principal else "anonymous"
        log.warning("refused %s for %s: %s (%s)", handler, actor, reason, permission)
        with session_scope(write=True) as session:
            auth.record_refusal(
                session,
                actor=actor,
                permission=permission,
                handler=handler,
                reason=reason,
                client=self.client,
            )

    async def _authorise(
        self,
        permission: tuple[str, str],
        handler: str,
        page_load: bool = False,
        resume: tuple[str, str, list[Any]] | None = None,
    ) -> Any:
        """None when the caller may run the handler; otherwise the events that refuse it.
        ``page_load``: the handler was marked by ``gates_its_page``, so the page gate's checks
        come first, once the caller is known. ``resume``: the call (see ``pending_call``) the
        step-up dialog runs once a fresh code is verified, so the user need not repeat it."""
        if permission == PUBLIC:
            return None
        lang = await language(self)
        principal = self._resolve()
        if principal is None:
            self._log_refusal(None, permission, handler, "not signed in")
            if page_load or reflex_seam.enqueued_by_the_server():
                # a page opened signed out (its on_load, or what its load set off): to the
                # sign-in page without a refusal toast; nobody asked for anything yet
                return rx.redirect("/login")
            return [rx.toast.error(translate("auth.sign_in_required", lang)), rx.redirect("/login")]
        if page_load and (refusal := await self._enter_page(principal)) is not None:
            return refusal
        if permission == SIGNED_IN:
            return None
        resource, action = permission
        if not principal.can(resource, action):
            self._log_refusal(principal, permission, handler, "not in the permission matrix")
            return rx.toast.error(translate("auth.denied", lang))
        if action in rbac.STEP_UP_ACTIONS and auth.needs_step_up(principal):
            return await self._ask_step_up(resume, lang)
        return None

    async def _ask_step_up(self, resume: tuple[str, str, list[Any]] | None, lang: str) -> Any:
        """Open the step-up dialog; ``resume`` (see ``pending_call``) runs once a fresh code is
        verified. Also for a save the core refused with ``auth.step_up_required``."""
        step_up = await self.get_state(StepUpState)
        if not step_up.open or step_up._pending is None:
            # what the user asked for first; not an event the open dialog set off meanwhile
            step_up._pending = resume
        step_up.open = True
        return rx.toast.info(translate("auth.step_up_required", lang))

    @rx.event
    @public
    async def gate(self) -> Any:
        """on_load of a shell page without a guarded load of its own: signed-in users only, and
        only modules they may view; then the bell's unread count (in this event: one state lock
        and load, not two). A page's guarded load does the same first (``gates_its_page``)."""
        principal = self._resolve()
        if principal is None:
            return rx.redirect("/login")
        return await self._enter_page(principal)

    async def _enter_page(self, principal: rbac.Principal) -> Any:
        """The page gate's checks for a signed-in caller: the module's access, then the bell's
        unread count. None when the page may load."""
        from state.notifications import NotificationState  # it imports this module

        path = self.router.url.path
        refusal = gate.page_refusal(principal, path)
        if refusal is not None:
            self._log_refusal(principal, refusal.permission, f"page {refusal.page}", refusal.reason)
            return [
                rx.toast.error(translate("auth.denied", await language(self))),
                rx.redirect("/"),
            ]
        await (await self.get_state(NotificationState))._reload_count()
        return None

    @rx.event
    @public
    def sign_out(self) -> Any:
        with session_scope(write=True) as session:
            auth.sign_out(session, token=self.token, client=self.client)
        self._refresh(None)
        self._resolved_in = ("", "")
        # the cookie is HttpOnly: only an HTTP response clears it; the page then loads anew,
        # so its websocket reconnects without it
        return rx.call_script(
            "fetch('/auth/sign-out', {method: 'POST', credentials: 'same-origin'})"
            ".finally(() => window.location.assign('/login'))"
        )


def carry_cookie(root: rx.State, token: str) -> None:
    """Give a tab's state what a websocket handshake with the session cookie gives its events,
    for callers that run handlers without a socket (tests, benchmarks)."""
    headers = {**root.router.headers.raw_headers, "cookie": f"{sessions.COOKIE_NAME}={token}"}
    reflex_seam.set_request_headers(root, headers)


def claim_script(code: str) -> Any:
    """The script that exchanges a claim code for the HttpOnly session cookie and then loads
    the portal anew, so that the websocket reconnects with the cookie."""
    return rx.call_script(
        f"fetch('/auth/claim', {{method: 'POST', credentials: 'same-origin', "
        f"body: {json.dumps(code)}}})"
        ".then((r) => window.location.assign(r.ok ? '/' : '/login'),"
        " () => window.location.assign('/login'))"
    )


async def _every_state(root: rx.State) -> None:
    """Load every substate of the tab (the state manager loads them lazily)."""
    pending = list(type(root).get_substates())
    while pending:
        cls = pending.pop()
        await root.get_state(cls)
        pending.extend(cls.get_substates())


class SessionBinding(rx.Middleware):
    """Before any event: when the handshake's cookie is not the one the tab's data was loaded
    for (signed in, signed out, or the tab id replayed on a socket without the cookie), the
    whole tab state is reset first, so nothing one caller loaded is shown to another."""

    async def preprocess(self, app: Any, state: Any, event: Any) -> None:
        root = reflex_seam.root_of(state)
        session_state = await root.get_state(SessionState)
        token = session_state.token
        owner = sessions.hash_token(token) if token else ""
        if session_state._bound_to == owner:
            return None
        if session_state._bound_to:  # a tab bound to no cookie holds nothing of anyone's
            await _every_state(root)
            root.reset()
        session_state._bound_to = owner
        return None


class StepUpState(rx.State):
    """The dialog that asks for a fresh TOTP code before a sensitive action."""

    open: bool = False
    error: str = ""
    _pending: tuple[str, str, list[Any]] | None = None  # the refused call, run once verified

    @rx.event
    @signed_in
    async def submit(self, form_data: dict) -> Any:
        session_state = await self.get_state(SessionState)
        lang = await language(self)
        code = str(form_data.get("code", ""))[:20]
        with session_scope(write=True) as session:
            problem = auth.step_up(
                session, principal=session_state.principal, code=code, client=session_state.client
            )
        if problem:
            self.error = translate(problem, lang)
            return None
        self.open, self.error = False, ""
        # the resumed event joins this event's chain, which resolved the caller before the
        # code: resolve them again, with the fresh step-up
        session_state._resolved_in = ("", "")
        pending, self._pending = self._pending, None
        resumed = _resumed_event(pending)
        if resumed is None:
            return rx.toast.success(translate("auth.step_up_done", lang))
        # the action goes ahead as a new event: its handler checks the caller again
        return [rx.toast.success(translate("auth.step_up_resumed", lang)), resumed]

    @rx.event
    @public
    def close(self) -> None:
        self.open, self.error, self._pending = False, "", None


def _resumed_event(pending: tuple[str, str, list[Any]] | None) -> Any:
    """The event that runs a call remembered by ``pending_call``, or None."""
    if pending is None:
        return None
    where, handler_name, arguments = pending
    module, _, name = where.partition(":")
    state_cls = getattr(importlib.import_module(module), name, None)
    if not (isinstance(state_cls, type) and issubclass(state_cls, rx.State)):
        return None
    handler = state_cls.event_handlers.get(handler_name)
    return handler(*arguments) if handler is not None else None
