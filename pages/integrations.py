"""Integrations: the API clients that call the portal, their keys, rotation and revocation."""

from __future__ import annotations

import reflex as rx

from backoffice.security import rbac
from pages.layout import scroll_region, template
from pages.ui import date_input, t
from state.integrations import IntegrationsState

# what an administrator typed or the portal generated (names, keys): data, in no language
DATA = {"data-lang-free": "true"}

COLUMNS = ("name", "role", "allowed_ips", "expires", "rate", "keys", "status", "actions")
CLIENT_TONES = {"active": "green", "expired": "gray", "revoked": "red"}
KEY_TONES = {"live": "green", "ending": "amber", "ended": "gray"}


def _labelled(label_key: str, control: rx.Component, hint_key: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), size="2", weight="medium"),
        control,
        rx.text(t(hint_key), size="1", color_scheme="gray") if hint_key else rx.fragment(),
        spacing="1",
        width="100%",
    )


def _badge(value: rx.Var, group: str, tones: dict[str, str]) -> rx.Component:
    return rx.match(
        value,
        *[
            (key, rx.badge(t(f"integrations.{group}.{key}"), color_scheme=tone))
            for key, tone in tones.items()
        ],
        rx.badge(value),
    )


def _role_label(role: rx.Var) -> rx.Component:
    return rx.match(role, *[(code, t(f"role.{code}")) for code in rbac.ROLES], role)


def _error() -> rx.Component:
    return rx.cond(
        IntegrationsState.error != "",
        rx.callout(
            IntegrationsState.error,
            icon="triangle-alert",
            color_scheme="red",
            size="1",
            id="integrations-error",
        ),
    )


def _create_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("integrations.new_client"), size="3"),
                rx.grid(
                    _labelled(
                        "integrations.field.name",
                        rx.input(name="name", max_length=80, width="100%", id="client-name"),
                    ),
                    _labelled(
                        "integrations.field.role",
                        rx.select.root(
                            rx.select.trigger(width="100%", id="client-role"),
                            rx.select.content(
                                *[
                                    rx.select.item(t(f"role.{code}"), value=code)
                                    for code in rbac.ROLES
                                ]
                            ),
                            name="role",
                            default_value="platform",
                        ),
                    ),
                    _labelled(
                        "integrations.field.allowed_ips",
                        rx.input(
                            name="allowed_ips",
                            placeholder="203.0.113.0/24, 198.51.100.7",
                            width="100%",
                            id="client-allowed-ips",
                        ),
                        "integrations.field.allowed_ips_hint",
                    ),
                    _labelled(
                        "integrations.field.expires_on",
                        date_input(name="expires_on", width="100%", id="client-expires"),
                        "integrations.field.expires_hint",
                    ),
                    _labelled(
                        "integrations.field.rate",
                        rx.input(
                            name="rate",
                            type="number",
                            min=1,
                            max=100_000,
                            default_value="600",
                            width="100%",
                            id="client-rate",
                        ),
                    ),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.button(t("integrations.create"), type="submit", id="create-client"),
                spacing="3",
                width="100%",
            ),
            on_submit=IntegrationsState.create,
            reset_on_submit=False,
        ),
        width="100%",
    )


def _shown_key() -> rx.Component:
    """The new key, once: copy it now, it is never shown again."""
    return rx.cond(
        IntegrationsState.shown_key != "",
        rx.card(
            rx.vstack(
                rx.heading(
                    t("integrations.key_once_title"),
                    " ",
                    IntegrationsState.shown_key_client,
                    size="3",
                ),
                rx.callout(
                    t("integrations.key_once_warning"),
                    icon="triangle-alert",
                    color_scheme="amber",
                    size="1",
                    width="100%",
                ),
                rx.flex(
                    rx.code(
                        IntegrationsState.shown_key,
                        size="2",
                        word_break="break-all",
                        id="new-key",
                        flex="1",
                        min_width="0",
                        custom_attrs=DATA,
                    ),
                    rx.hstack(
                        rx.button(
                            rx.icon("copy", size=14),
                            t("integrations.copy"),
                            on_click=[
                                rx.set_clipboard(IntegrationsState.shown_key),
                                rx.toast.success(t("integrations.copied")),
                            ],
                            size="2",
                            variant="soft",
                            id="copy-key",
                        ),
                        rx.button(
                            t("integrations.key_saved"),
                            on_click=IntegrationsState.dismiss_key,
                            size="2",
                            id="dismiss-key",
                        ),
                        spacing="2",
                    ),
                    direction=rx.breakpoints(initial="column", md="row"),
                    align=rx.breakpoints(initial="start", md="center"),
                    gap="3",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="new-key-panel",
        ),
    )


def _rotate_panel() -> rx.Component:
    return rx.cond(
        IntegrationsState.rotating_id > 0,
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(
                        t("integrations.rotate_title"),
                        " ",
                        IntegrationsState.rotating_name,
                        size="3",
                    ),
                    _labelled(
                        "integrations.overlap_hours",
                        rx.input(
                            name="overlap_hours",
                            type="number",
                            min=0,
                            max=720,
                            default_value="24",
                            width="10em",
                            id="overlap-hours",
                        ),
                        "integrations.overlap_help",
                    ),
                    rx.hstack(
                        rx.button(
                            t("common.cancel"),
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=IntegrationsState.cancel,
                        ),
                        rx.button(t("integrations.rotate"), type="submit", id="confirm-rotate"),
                        spacing="2",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=IntegrationsState.rotate,
                reset_on_submit=False,
            ),
            width="100%",
            id="rotate-panel",
        ),
    )


def _revoke_panel() -> rx.Component:
    return rx.cond(
        IntegrationsState.revoking_id > 0,
        rx.card(
            rx.vstack(
                rx.heading(
                    t("integrations.revoke_title"), " ", IntegrationsState.revoking_name, size="3"
                ),
                rx.callout(
                    t("integrations.revoke_warning"),
                    icon="octagon-alert",
                    color_scheme="red",
                    size="1",
                    width="100%",
                ),
                rx.hstack(
                    rx.button(
                        t("common.cancel"),
                        variant="soft",
                        color_scheme="gray",
                        on_click=IntegrationsState.cancel,
                    ),
                    rx.button(
                        t("integrations.revoke"),
                        color_scheme="red",
                        on_click=IntegrationsState.revoke,
                        id="confirm-revoke",
                    ),
                    spacing="2",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="revoke-panel",
        ),
    )


def _key_line(key: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.code(key["prefix"], size="1", custom_attrs=DATA),
            _badge(key["status"], "key", KEY_TONES),
            align="center",
            spacing="2",
        ),
        rx.text(
            t("integrations.key.created"),
            " ",
            key["created"],
            " · ",
            t("integrations.key.last_used"),
            " ",
            key["last_used"],
            " · ",
            t("integrations.key.ends"),
            " ",
            key["ends"],
            size="1",
            color_scheme="gray",
        ),
        spacing="1",
        class_name="key-line",
    )


def _client_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["name"], weight="medium", custom_attrs=DATA)),
        rx.table.cell(_role_label(row["role"])),
        rx.table.cell(
            rx.cond(row["allowed_ips"] != "", row["allowed_ips"], t("integrations.any_address"))
        ),
        rx.table.cell(rx.cond(row["expires"] != "", row["expires"], t("integrations.no_expiry"))),
        rx.table.cell(row["rate"]),
        rx.table.cell(rx.vstack(rx.foreach(row["keys"], _key_line), spacing="2")),
        rx.table.cell(_badge(row["status"], "status", CLIENT_TONES)),
        rx.table.cell(
            rx.cond(
                row["status"] == "revoked",
                rx.text("—"),
                rx.hstack(
                    rx.button(
                        t("integrations.rotate"),
                        size="1",
                        variant="soft",
                        on_click=IntegrationsState.ask_rotate(row["id"]),
                        class_name="rotate-client",
                    ),
                    rx.button(
                        t("integrations.revoke"),
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=IntegrationsState.ask_revoke(row["id"]),
                        class_name="revoke-client",
                    ),
                    spacing="2",
                ),
            )
        ),
        id="client-row-" + row["name"].to(str),
        class_name="client-row",
    )


def _client_table() -> rx.Component:
    return rx.cond(
        IntegrationsState.rows.length() > 0,
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[rx.table.column_header_cell(t(f"integrations.col.{c}")) for c in COLUMNS]
                    )
                ),
                rx.table.body(rx.foreach(IntegrationsState.rows, _client_row)),
                width="100%",
                id="clients-table",
            ),
            t("integrations.clients"),
            min_width="64em",
        ),
        rx.text(t("integrations.empty"), color_scheme="gray", id="clients-empty"),
    )


@template("/integrations", "nav.integrations", on_load=IntegrationsState.load)
def integrations_page() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.heading(t("nav.integrations"), size="6", id="page-title"),
            rx.text(t("module.integrations.desc"), color_scheme="gray"),
            spacing="1",
        ),
        _error(),
        _shown_key(),
        _rotate_panel(),
        _revoke_panel(),
        rx.heading(t("integrations.clients"), size="4"),
        _client_table(),
        _create_form(),
        width="100%",
        spacing="4",
    )
