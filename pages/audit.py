"""The audit log: who did what, to which record, when; filters, security events, export."""

from __future__ import annotations

import reflex as rx

from pages.layout import scroll_region, template
from pages.ui import date_input, t
from state.audit import AuditLogState


def _filter(name: str, label_key: str, kind: str = "text") -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), size="1", color_scheme="gray"),
        (date_input if kind == "date" else rx.input)(
            name=name,
            default_value=AuditLogState.filters.get(name, ""),
            id=f"audit-filter-{name}",
            width="100%",
        ),
        spacing="1",
        flex="1 1 10em",
        min_width="0",
    )


def _filters() -> rx.Component:
    return rx.form(
        rx.flex(
            _filter("actor", "audit_log.person"),
            _filter("action", "audit_log.action"),
            _filter("entity", "audit_log.resource"),
            _filter("entity_id", "audit_log.record"),
            _filter("since", "audit_log.since", "date"),
            _filter("until", "audit_log.until", "date"),
            rx.hstack(
                rx.button(t("audit_log.apply"), type="submit", id="audit-apply"),
                rx.button(
                    t("audit_log.clear"),
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    on_click=AuditLogState.clear,
                ),
                align="end",
                spacing="2",
            ),
            wrap="wrap",
            gap="0.75em",
            align="end",
            width="100%",
        ),
        on_submit=AuditLogState.apply,
        key=AuditLogState.filters.to_string(),  # fresh inputs when the filters change
        width="100%",
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["at"], white_space="nowrap"),
        rx.table.cell(
            rx.vstack(
                rx.text(row["actor_name"], size="2"),
                rx.text(row["actor"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row["action_label"], size="2"),
                rx.code(row["action"], size="1", variant="ghost"),
                spacing="0",
            )
        ),
        rx.table.cell(row["entity_label"], " ", row["entity_id"]),
        rx.table.cell(
            rx.text(row["changes"], size="1", white_space="pre-wrap", word_break="break-word"),
            min_width="16em",
        ),
        rx.table.cell(row["client"], size="1"),
        class_name="audit-row",
    )


@template("/audit", "audit_log.title", on_load=AuditLogState.load)
def audit_log_page() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.heading(t("audit_log.title"), size="6", id="page-title"),
            rx.spacer(),
            rx.hstack(
                rx.switch(
                    checked=AuditLogState.filters.get("preset", "") == "security",
                    on_change=AuditLogState.security_events,
                    id="audit-security",
                ),
                rx.text(t("audit_log.security_events"), size="2"),
                align="center",
            ),
            rx.cond(
                AuditLogState.can_export,
                rx.button(
                    rx.icon("download", size=14),
                    t("list.export"),
                    variant="soft",
                    on_click=AuditLogState.export,
                    id="audit-export",
                ),
            ),
            wrap="wrap",
            gap="0.75em",
            align="center",
            width="100%",
        ),
        rx.text(t("audit_log.help"), size="2", color_scheme="gray"),
        _filters(),
        rx.box(
            scroll_region(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(t(f"audit_log.col.{c}"))
                                for c in ("at", "person", "action", "record", "changes", "client")
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(AuditLogState.rows, _row)),
                    variant="surface",
                    size="1",
                    width="100%",
                ),
                t("audit_log.title"),
            ),
            overflow_x="auto",  # the table scrolls inside its box on a phone, not the page
            width="100%",
            max_width="100%",
            id="audit-table",
        ),
        rx.cond(
            AuditLogState.rows.length() == 0,
            rx.text(t("audit_log.none"), color_scheme="gray", id="audit-none"),
        ),
        rx.hstack(
            rx.button(
                rx.icon("chevron-left", size=14),
                t("audit_log.newer"),
                variant="soft",
                disabled=AuditLogState.page <= 1,
                on_click=AuditLogState.go(AuditLogState.page - 1),
                id="audit-newer",
            ),
            rx.text(t("audit_log.page"), " ", AuditLogState.page, size="2"),
            rx.button(
                t("audit_log.older"),
                rx.icon("chevron-right", size=14),
                variant="soft",
                disabled=~AuditLogState.has_more,
                on_click=AuditLogState.go(AuditLogState.page + 1),
                id="audit-older",
            ),
            align="center",
            spacing="3",
        ),
        width="100%",
        min_width="0",
        spacing="4",
    )
