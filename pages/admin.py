"""Administration pages: users, the permission matrix, live sessions."""

from __future__ import annotations

import reflex as rx

from backoffice.engine.custom import CUSTOM_KINDS
from backoffice.security import rbac
from pages.layout import scroll_region, template
from pages.ui import t
from state.admin import (
    AdminUsersState,
    CustomFieldsState,
    JobsState,
    RolesState,
    SessionsState,
)


def _tabs(active: str) -> rx.Component:
    items = [
        ("users", "/admin"),
        ("roles", "/admin/roles"),
        ("sessions", "/admin/sessions"),
        ("fields", "/admin/fields"),
        ("jobs", "/admin/jobs"),
    ]
    return rx.hstack(
        *[
            rx.link(
                rx.button(
                    t(f"admin.tab.{key}"), variant="solid" if key == active else "soft", size="2"
                ),
                href=href,
                id=f"admin-tab-{key}",
            )
            for key, href in items
        ],
        spacing="2",
        wrap="wrap",
        margin_bottom="1em",
    )


def _header(active: str) -> rx.Component:
    return rx.vstack(
        rx.heading(t("nav.admin"), size="6", id="page-title"),
        _tabs(active),
        spacing="2",
    )


def _role_checkboxes() -> rx.Component:
    return rx.flex(
        *[
            rx.checkbox(t(f"role.{code}"), name=f"role_{code}", id=f"new-role-{code}")
            for code in rbac.STAFF_ROLES
        ],
        wrap="wrap",
        spacing="3",
    )


def _create_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("admin.new_user"), size="3"),
                rx.grid(
                    rx.input(name="username", placeholder=t("login.username"), id="new-username"),
                    rx.input(
                        name="display_name",
                        placeholder=t("admin.display_name"),
                        id="new-display-name",
                    ),
                    rx.input(name="email", placeholder=t("admin.email"), id="new-email"),
                    rx.input(
                        name="password",
                        type="password",
                        placeholder=t("admin.initial_password"),
                        id="new-password",
                    ),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="2",
                    width="100%",
                ),
                _role_checkboxes(),
                rx.button(t("admin.create"), type="submit", id="create-user"),
                spacing="3",
                width="100%",
            ),
            on_submit=AdminUsersState.create_user,
            reset_on_submit=False,
        ),
        width="100%",
    )


def _edit_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("admin.edit_user"), " ", AdminUsersState.editing_username),
            rx.form(
                rx.vstack(
                    rx.text(t("admin.roles"), size="2", weight="medium"),
                    rx.flex(
                        *[
                            rx.checkbox(
                                t(f"role.{code}"),
                                name=f"role_{code}",
                                default_checked=AdminUsersState.editing_roles.contains(code),
                                id=f"edit-role-{code}",
                            )
                            for code in rbac.STAFF_ROLES
                        ],
                        wrap="wrap",
                        spacing="3",
                    ),
                    rx.text(t("admin.employee_no"), size="2", weight="medium"),
                    rx.input(
                        name="employee_no",
                        default_value=AdminUsersState.editing_employee_no,
                        key=AdminUsersState.editing_user_id,
                        placeholder="E0001",
                        id="edit-employee-no",
                    ),
                    rx.text(t("admin.new_password_optional"), size="2", weight="medium"),
                    rx.input(name="new_password", type="password", id="edit-password"),
                    rx.hstack(
                        rx.button(
                            t("common.cancel"),
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=AdminUsersState.stop_editing,
                        ),
                        rx.button(t("common.save"), type="submit", id="save-user"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=AdminUsersState.save_user,
                key=AdminUsersState.editing_user_id,
            ),
        ),
        open=AdminUsersState.editing_user_id > 0,
    )


def _user_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["username"]),
        rx.table.cell(row["display_name"]),
        rx.table.cell(row["roles"]),
        rx.table.cell(
            rx.cond(
                row["is_active"],
                rx.badge(t("admin.active"), color_scheme="green"),
                rx.badge(t("admin.disabled"), color_scheme="red"),
            )
        ),
        rx.table.cell(rx.cond(row["totp"], "✓", "—")),
        rx.table.cell(row["last_login"]),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    t("common.edit"),
                    size="1",
                    variant="soft",
                    on_click=AdminUsersState.edit(row["id"]),
                ),
                rx.cond(
                    row["is_active"],
                    rx.button(
                        t("admin.disable"),
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=AdminUsersState.set_active(row["id"], False),
                    ),
                    rx.button(
                        t("admin.enable"),
                        size="1",
                        variant="soft",
                        on_click=AdminUsersState.set_active(row["id"], True),
                    ),
                ),
                rx.button(
                    t("admin.reset_totp"),
                    size="1",
                    variant="soft",
                    color_scheme="amber",
                    on_click=AdminUsersState.reset_totp(row["id"]),
                ),
                spacing="2",
            )
        ),
        id="user-row-" + row["username"],
    )


@template("/admin", "nav.admin", on_load=AdminUsersState.load)
def admin_users() -> rx.Component:
    return rx.vstack(
        _header("users"),
        _edit_dialog(),
        _create_form(),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(f"admin.col.{c}"))
                            for c in (
                                "username",
                                "display_name",
                                "roles",
                                "status",
                                "totp",
                                "last_login",
                                "actions",
                            )
                        ]
                    )
                ),
                rx.table.body(rx.foreach(AdminUsersState.rows, _user_row)),
                width="100%",
                id="users-table",
            ),
            t("admin.tab.users"),
        ),
        width="100%",
        spacing="4",
    )


@template("/admin/roles", "admin.tab.roles", on_load=RolesState.load)
def admin_roles() -> rx.Component:
    return rx.vstack(
        _header("roles"),
        rx.hstack(
            rx.text(t("admin.role"), weight="medium"),
            rx.select.root(
                rx.select.trigger(id="role-select"),
                rx.select.content(
                    *[rx.select.item(t(f"role.{code}"), value=code) for code in rbac.ROLES]
                ),
                value=RolesState.role,
                on_change=RolesState.select_role,
            ),
            align="center",
        ),
        rx.text(t("admin.matrix_help"), size="2", color_scheme="gray"),
        rx.box(
            scroll_region(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(t("admin.resource")),
                            *[rx.table.column_header_cell(t(f"action.{a}")) for a in rbac.ACTIONS],
                        )
                    ),
                    rx.table.body(
                        *[
                            rx.table.row(
                                rx.table.row_header_cell(t(f"resource.{r}")),
                                *[
                                    rx.table.cell(
                                        rx.checkbox(
                                            checked=RolesState.grants.contains(f"{r}.{a}"),
                                            on_change=lambda checked, r=r, a=a: RolesState.toggle(
                                                r, a, checked
                                            ),
                                            id=f"perm-{r}-{a}",
                                        )
                                    )
                                    for a in rbac.ACTIONS
                                ],
                            )
                            for r in rbac.RESOURCES
                        ]
                    ),
                    size="1",
                    id="permission-matrix",
                ),
                t("admin.tab.roles"),
            ),
            overflow_x="auto",
            width="100%",
        ),
        width="100%",
        spacing="3",
    )


@template("/admin/sessions", "admin.tab.sessions", on_load=SessionsState.load)
def admin_sessions() -> rx.Component:
    return rx.vstack(
        _header("sessions"),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(f"admin.col.{c}"))
                            for c in (
                                "username",
                                "client",
                                "started",
                                "last_seen",
                                "user_agent",
                                "actions",
                            )
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        SessionsState.rows,
                        lambda s: rx.table.row(
                            rx.table.cell(s["username"]),
                            rx.table.cell(s["client"]),
                            rx.table.cell(s["started"]),
                            rx.table.cell(s["last_seen"]),
                            rx.table.cell(s["user_agent"]),
                            rx.table.cell(
                                rx.button(
                                    t("admin.revoke"),
                                    size="1",
                                    color_scheme="red",
                                    variant="soft",
                                    on_click=SessionsState.revoke(s["id"]),
                                )
                            ),
                        ),
                    )
                ),
                width="100%",
                id="sessions-table",
            ),
            t("admin.tab.sessions"),
        ),
        width="100%",
        spacing="3",
    )


def _custom_field_input(name: str, label_key: str, **props: object) -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), size="2", weight="medium"),
        rx.input(name=name, id=f"cf-{name}", width="100%", **props),
        rx.cond(
            CustomFieldsState.errors.contains(name),
            rx.text(CustomFieldsState.errors[name], size="1", color="red", id=f"cf-error-{name}"),
        ),
        spacing="1",
        width="100%",
    )


@template("/admin/fields", "admin.tab.fields", on_load=CustomFieldsState.load)
def admin_custom_fields() -> rx.Component:
    return rx.vstack(
        _header("fields"),
        rx.hstack(
            rx.text(t("custom.resource"), weight="medium"),
            rx.select.root(
                rx.select.trigger(id="cf-resource"),
                rx.select.content(
                    rx.foreach(
                        CustomFieldsState.resources,
                        lambda r: rx.select.item(r["label"], value=r["value"]),
                    )
                ),
                value=CustomFieldsState.resource,
                on_change=CustomFieldsState.select_resource,
            ),
            align="center",
        ),
        rx.text(t("custom.help"), size="2", color_scheme="gray"),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(f"custom.col.{c}"))
                            for c in ("name", "label", "kind", "required", "choices", "actions")
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        CustomFieldsState.rows,
                        lambda r: rx.table.row(
                            rx.table.cell(r["name"]),
                            rx.table.cell(r["label"]),
                            rx.table.cell(r["kind"]),
                            rx.table.cell(r["required"]),
                            rx.table.cell(r["choices"]),
                            rx.table.cell(
                                rx.button(
                                    t("record.archive"),
                                    size="1",
                                    variant="soft",
                                    color_scheme="amber",
                                    on_click=CustomFieldsState.archive(r["id"]),
                                )
                            ),
                        ),
                    )
                ),
                width="100%",
                id="custom-fields",
            ),
            t("admin.tab.fields"),
        ),
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(t("custom.new"), size="3"),
                    rx.grid(
                        _custom_field_input(
                            "name", "custom.col.name", placeholder=t("custom.name_hint")
                        ),
                        _custom_field_input("label_zh", "custom.label_zh"),
                        _custom_field_input("label_en", "custom.label_en"),
                        rx.vstack(
                            rx.text(t("custom.col.kind"), size="2", weight="medium"),
                            rx.select.root(
                                rx.select.trigger(width="100%", id="cf-kind"),
                                rx.select.content(
                                    *[
                                        rx.select.item(t(f"custom.kind.{k}"), value=k)
                                        for k in CUSTOM_KINDS
                                    ]
                                ),
                                name="kind",
                                default_value="text",
                            ),
                            spacing="1",
                            width="100%",
                        ),
                        columns=rx.breakpoints(initial="1", md="2"),
                        spacing="3",
                        width="100%",
                    ),
                    rx.vstack(
                        rx.text(t("custom.choices"), size="2", weight="medium"),
                        rx.text_area(name="choices", rows="3", width="100%", id="cf-choices"),
                        rx.cond(
                            CustomFieldsState.errors.contains("choices"),
                            rx.text(CustomFieldsState.errors["choices"], size="1", color="red"),
                        ),
                        spacing="1",
                        width="100%",
                    ),
                    rx.checkbox(t("custom.required"), name="required", id="cf-required"),
                    rx.button(t("admin.create"), type="submit", id="cf-add"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=CustomFieldsState.add,
                reset_on_submit=False,
            ),
            width="100%",
        ),
        width="100%",
        spacing="3",
    )


@template("/admin/jobs", "admin.tab.jobs", on_load=JobsState.load)
def admin_jobs() -> rx.Component:
    return rx.vstack(
        _header("jobs"),
        rx.text(t("jobs.help"), size="2", color_scheme="gray"),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(f"jobs.col.{c}"))
                            for c in (
                                "label",
                                "every",
                                "last",
                                "status",
                                "result",
                                "next",
                                "actions",
                            )
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        JobsState.rows,
                        lambda r: rx.table.row(
                            rx.table.cell(
                                rx.vstack(
                                    rx.text(r["label"]), rx.code(r["name"], size="1"), spacing="1"
                                )
                            ),
                            rx.table.cell(r["every"]),
                            rx.table.cell(r["last"]),
                            rx.table.cell(
                                rx.badge(
                                    r["status"],
                                    color_scheme=rx.cond(r["failed"], "red", "green"),
                                )
                            ),
                            rx.table.cell(rx.text(r["result"], size="1")),
                            rx.table.cell(r["next"]),
                            rx.table.cell(
                                rx.button(
                                    t("jobs.run_now"),
                                    size="1",
                                    variant="soft",
                                    on_click=JobsState.run_now(r["name"]),
                                    id="run-" + r["name"].replace(".", "-"),
                                )
                            ),
                        ),
                    )
                ),
                width="100%",
                id="jobs-table",
            ),
            t("admin.tab.jobs"),
        ),
        width="100%",
        spacing="3",
    )
