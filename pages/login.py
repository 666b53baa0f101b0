"""The sign-in page: password, then a TOTP code; first sign-in enrols an authenticator."""

from __future__ import annotations

import reflex as rx

from pages.layout import language_switch
from pages.ui import t
from state.login import LoginState


def _code_form(
    on_submit: rx.EventHandler, label_key: str, button_key: str, field_id: str, max_length: int = 6
) -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(t(label_key), size="2", weight="medium"),
            rx.input(
                name="code",
                id=field_id,
                auto_complete="one-time-code",
                max_length=max_length,
                width="100%",
                auto_focus=True,
            ),
            rx.button(t(button_key), type="submit", width="100%", id=f"{field_id}-submit"),
            spacing="2",
            width="100%",
        ),
        on_submit=on_submit,
        reset_on_submit=True,
        width="100%",
    )


def _password_step() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(t("login.username"), size="2", weight="medium"),
            rx.input(
                name="username",
                id="username",
                auto_complete="username",
                width="100%",
                auto_focus=True,
            ),
            rx.text(t("login.password"), size="2", weight="medium"),
            rx.input(
                name="password",
                id="password",
                type="password",
                auto_complete="current-password",
                width="100%",
            ),
            rx.button(t("login.submit"), type="submit", width="100%", id="sign-in"),
            spacing="2",
            width="100%",
        ),
        on_submit=LoginState.submit_password,
        width="100%",
    )


def _totp_step() -> rx.Component:
    return rx.vstack(
        _code_form(LoginState.submit_totp, "login.totp_prompt", "login.verify", "totp-code"),
        rx.hstack(
            rx.link(
                t("login.use_recovery"),
                on_click=LoginState.use_recovery_code,
                size="2",
                id="use-recovery",
            ),
            rx.spacer(),
            rx.link(t("login.start_over"), on_click=LoginState.start_again, size="2"),
            width="100%",
        ),
        width="100%",
    )


def _recovery_step() -> rx.Component:
    return rx.vstack(
        _code_form(
            LoginState.submit_recovery,
            "login.recovery_prompt",
            "login.verify",
            "recovery-code",
            max_length=20,
        ),
        rx.link(t("login.start_over"), on_click=LoginState.start_again, size="2"),
        width="100%",
    )


def _enrol_step() -> rx.Component:
    return rx.vstack(
        rx.callout(t("login.enrol_intro"), icon="smartphone", size="1"),
        rx.center(
            rx.image(src=LoginState.qr_svg, alt="TOTP QR", width="200px", id="enrol-qr"),
            width="100%",
        ),
        rx.text(t("login.enrol_key"), size="1", color_scheme="gray"),
        rx.code(LoginState.enrol_key, id="enrol-key", size="2"),
        _code_form(
            LoginState.confirm_enrolment, "login.enrol_confirm", "login.verify", "enrol-code"
        ),
        spacing="3",
        width="100%",
    )


def _codes_step() -> rx.Component:
    return rx.vstack(
        rx.callout(t("login.codes_intro"), icon="key-round", color_scheme="amber", size="1"),
        rx.grid(
            rx.foreach(LoginState.recovery_codes, lambda c: rx.code(c, size="2")),
            columns="2",
            spacing="2",
            id="recovery-codes",
        ),
        rx.button(
            t("login.continue"), on_click=LoginState.continue_to_portal, width="100%", id="continue"
        ),
        spacing="3",
        width="100%",
    )


def login() -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(rx.spacer(), language_switch(), width="100%"),
                rx.icon("landmark", size=36, color=rx.color("accent", 10)),
                rx.heading(t("app.title"), size="6", text_align="center"),
                rx.text(t("login.subtitle"), color_scheme="gray", size="2"),
                rx.cond(
                    LoginState.error != "",
                    rx.callout(
                        LoginState.error,
                        icon="triangle-alert",
                        color_scheme="red",
                        size="1",
                        width="100%",
                        id="login-error",
                    ),
                ),
                rx.match(
                    LoginState.step,
                    ("totp", _totp_step()),
                    ("recovery", _recovery_step()),
                    ("enrol", _enrol_step()),
                    ("codes", _codes_step()),
                    _password_step(),
                ),
                spacing="4",
                align="center",
                width="100%",
            ),
            width="26em",
            max_width="94vw",
            padding="2em",
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
    )
