"""The signed-in user's own account: changing the password."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.i18n import translate
from backoffice.security import auth
from state.auth import SessionState, public, signed_in
from state.ui import UIState


class AccountState(rx.State):
    password_dialog_open: bool = False
    error: str = ""

    @rx.event
    @signed_in
    def open_password_dialog(self) -> None:
        self.password_dialog_open, self.error = True, ""

    @rx.event
    @public
    def close_password_dialog(self) -> None:
        self.password_dialog_open, self.error = False, ""

    @rx.event
    @signed_in
    async def change_password(self, form_data: dict) -> Any:
        session_state = await self.get_state(SessionState)
        lang = (await self.get_state(UIState)).lang
        new = str(form_data.get("new_password", ""))
        if new != str(form_data.get("confirm_password", "")):
            self.error = translate("password.mismatch", lang)
            return None
        with session_scope(write=True) as session:
            problems = auth.change_password(
                session,
                principal=session_state.principal,
                current=str(form_data.get("current_password", "")),
                new=new,
                client=session_state.client,
            )
        if problems:
            self.error = " ".join(translate(p, lang) for p in problems)
            return None
        self.password_dialog_open, self.error = False, ""
        return rx.toast.success(translate("password.changed", lang))
