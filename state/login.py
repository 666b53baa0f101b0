"""The sign-in steps: password, then a TOTP code (or a recovery code), or first-time enrolment.

Between the steps the server keeps who passed the password in backend-only variables. At the
end the page receives a single-use claim code, which it exchanges at ``/auth/claim`` for the
HttpOnly session cookie (see ``backoffice/security/session_routes.py``): no script ever holds
the token.
"""

from __future__ import annotations

import time
from typing import Any

import reflex as rx

from backoffice.domains.admin import users
from backoffice.i18n import translate
from backoffice.security import auth, totp
from state.auth import claim_script, public
from state.base import StaffState
from state.ui import relabels

PENDING_SECONDS = 300


@relabels
class LoginState(StaffState, rx.State):
    step: str = "password"  # password | totp | recovery | enrol | codes
    error: str = ""
    _error_key: str = ""  # what ``error`` says, so a language switch can say it again
    qr_svg: str = ""
    enrol_key: str = ""
    recovery_codes: list[str] = []
    _pending_user_id: int | None = None
    _pending_since: float = 0.0
    _enrol_secret: str = ""
    # the new session's token while the new recovery codes are shown, and the socket it was
    # created on: only that socket may go on to claim the cookie
    _new_token: str = ""
    _new_token_socket: str = ""

    def _pending(self) -> int | None:
        if self._pending_user_id and time.monotonic() - self._pending_since < PENDING_SECONDS:
            return self._pending_user_id
        return None

    def _say(self, key: str, lang: str) -> None:
        self._error_key = str(key)
        self.error = translate(key, lang) if key else ""

    def _relabel(self, lang: str) -> None:
        self._say(self._error_key, lang)

    def _reset(self, error_key: str = "", lang: str = "zh") -> None:
        self.step = "password"
        self._say(error_key, lang)
        self.qr_svg = self.enrol_key = self._enrol_secret = ""
        self._pending_user_id, self._pending_since = None, 0.0

    @rx.event
    @public
    async def submit_password(self, form_data: dict) -> Any:
        caller = await self._caller()
        lang = caller.lang
        username = str(form_data.get("username", ""))
        password = str(form_data.get("password", ""))
        with self._write_scope() as session:
            result = auth.check_password(
                session, username=username, password=password, client=caller.client
            )
            if result.next_step == "enrol":
                username = users.username_of(session, result.user_id)
                self._enrol_secret = totp.new_secret()
                self.enrol_key = self._enrol_secret
                self.qr_svg = totp.qr_svg_data_uri(
                    totp.provisioning_uri(self._enrol_secret, username)
                )
        if not result.next_step:
            self._reset(result.message, lang)
            return None
        self._pending_user_id, self._pending_since = result.user_id, time.monotonic()
        self.step = result.next_step
        self._say("", lang)
        return None

    async def _finish(self, result: auth.SecondFactorResult) -> Any:
        lang = await self._lang()
        if not result.ok:
            if result.message == "login.start_again" or result.message == "login.locked":
                self._reset(result.message, lang)
            else:
                self._say(result.message, lang)
            return None
        self._pending_user_id, self._enrol_secret, self.enrol_key, self.qr_svg = None, "", "", ""
        self._say("", lang)
        if result.recovery_codes:
            self.recovery_codes = result.recovery_codes
            self.step = "codes"
            self._new_token = result.token
            self._new_token_socket = self.router.session.session_id
            return None
        self.step = "password"
        return claim_script(auth.claim_code(result.token))

    @rx.event
    @public
    async def submit_totp(self, form_data: dict) -> Any:
        caller = await self._caller()
        with self._write_scope() as session:
            result = auth.verify_totp(
                session,
                user_id=self._pending(),
                code=str(form_data.get("code", ""))[:20],
                client=caller.client,
                user_agent=self.router.headers.user_agent,
            )
        return await self._finish(result)

    @rx.event
    @public
    async def submit_recovery(self, form_data: dict) -> Any:
        caller = await self._caller()
        with self._write_scope() as session:
            result = auth.verify_recovery_code(
                session,
                user_id=self._pending(),
                code=str(form_data.get("code", ""))[:40],
                client=caller.client,
                user_agent=self.router.headers.user_agent,
            )
        return await self._finish(result)

    @rx.event
    @public
    async def confirm_enrolment(self, form_data: dict) -> Any:
        caller = await self._caller()
        with self._write_scope() as session:
            result = auth.confirm_enrolment(
                session,
                user_id=self._pending(),
                secret=self._enrol_secret,
                code=str(form_data.get("code", ""))[:20],
                client=caller.client,
                user_agent=self.router.headers.user_agent,
            )
        return await self._finish(result)

    @rx.event
    @public
    def use_recovery_code(self) -> None:
        if self._pending() and self.step == "totp":
            self.step, self.error, self._error_key = "recovery", "", ""

    @rx.event
    @public
    def start_again(self) -> None:
        self._reset()

    @rx.event
    @public
    def continue_to_portal(self) -> Any:
        self.recovery_codes = []
        self.step = "password"
        token, socket = self._new_token, self._new_token_socket
        self._new_token = self._new_token_socket = ""
        if not token or socket != self.router.session.session_id:
            return rx.redirect("/login")
        return claim_script(auth.claim_code(token))
