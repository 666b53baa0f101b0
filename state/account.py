"""The signed-in user's own account: changing the password."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.i18n import translate
from backoffice.security import auth
from state.auth import public, signed_in
from state.base import StaffState


class AccountState(StaffState, rx.State):
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
        caller = await self._caller()
        new = str(form_data.get("new_password", ""))
        if new != str(form_data.get("confirm_password", "")):
            self.error = translate("password.mismatch", caller.lang)
            return None
        with self._write_scope() as session:
            problems = auth.change_password(
                session,
                principal=caller.principal,
                current=str(form_data.get("current_password", "")),
                new=new,
                client=caller.client,
            )
        if problems:
            self.error = " ".join(translate(p, caller.lang) for p in problems)
            return None
        self.password_dialog_open, self.error = False, ""
        return rx.toast.success(translate("password.changed", caller.lang))
