"""Generic list and record pages, generated for every registered resource."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import reflex as rx

from backoffice.domains import manifests
from backoffice.engine.resource import Resource, all_resources
from backoffice.platform.navigation import MODULES
from pages.layout import scroll_region, template
from pages.ui import date_input, t
from state.resource import ResourceImportState, ResourceListState, ResourceRecordState
from state.ui import UIState

ALL = "__all"


def record_panel(resource_key: str) -> Callable[[], rx.Component] | None:
    """The component a domain's manifest shows on ``resource_key``'s record pages above the
    tabs (e.g. the KYC case panel); everything else on those pages is generic."""
    for manifest in manifests():
        if where := manifest.record_panels.get(resource_key):
            module, function = where.split(":")
            return getattr(importlib.import_module(module), function)
    return None


# --- list -----------------------------------------------------------------------------------
def _choice_select(
    name: rx.Var,
    choices: rx.Var,
    value: rx.Var,
    placeholder: rx.Var,
    with_all: bool,
    **events: object,
) -> rx.Component:
    items = [rx.select.item(t("list.any"), value=ALL)] if with_all else []
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder, width="100%"),
        rx.select.content(
            *items,
            rx.foreach(
                choices,
                lambda c: rx.select.item(c["label"], value=c["value"]),
            ),
        ),
        name=name,
        default_value=rx.cond(value == "", ALL if with_all else "", value),
        size="2",
        **events,
    )


def _range_input(spec: rx.Var, end: str) -> rx.Component:
    props = {"name": spec["name"] + f"__{end}", "size": "2", "width": "8.5em"}
    return rx.cond(
        spec["input_type"] == "date",
        date_input(default_value=spec[end], **props),
        rx.input(default_value=spec[end], placeholder=t(f"list.{end}"), **props),
    )


def _filter_control(spec: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(spec["label"], size="1", color_scheme="gray"),
        rx.cond(
            spec["ranged"],
            rx.hstack(
                _range_input(spec, "min"),
                _range_input(spec, "max"),
                spacing="1",
            ),
            rx.cond(
                (spec["kind"] == "choice")
                | (spec["kind"] == "ref")
                | (spec["kind"] == "multi_choice"),
                _choice_select(
                    spec["name"], spec["choices"], spec["value"], spec["label"], with_all=True
                ),
                rx.input(name=spec["name"], default_value=spec["value"], size="2"),
            ),
        ),
        spacing="1",
        min_width="10em",
    )


def _filter_bar() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.vstack(
                rx.text(t("list.search"), size="1", color_scheme="gray"),
                rx.input(
                    name="q",
                    default_value=ResourceListState.search_text,
                    placeholder=t("list.search_hint"),
                    size="2",
                    id="list-search",
                    width="14em",
                ),
                spacing="1",
            ),
            rx.foreach(ResourceListState.filter_fields, _filter_control),
            rx.hstack(
                rx.button(
                    rx.icon("search", size=14),
                    t("list.apply"),
                    type="submit",
                    size="2",
                    id="list-apply",
                ),
                rx.button(
                    t("list.clear"),
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    size="2",
                    on_click=ResourceListState.clear,
                ),
                align="end",
                height="100%",
            ),
            wrap="wrap",
            spacing="3",
            align="end",
        ),
        on_submit=ResourceListState.apply,
        key=ResourceListState.resource_key + "?" + ResourceListState.query_string,
        width="100%",
    )


def _header_cell(column: rx.Var) -> rx.Component:
    name = column["name"]
    return rx.table.column_header_cell(
        rx.hstack(
            rx.text(column["label"]),
            rx.cond(
                ResourceListState.sort == name,
                rx.icon("arrow-up", size=12),
                rx.cond(ResourceListState.sort == "-" + name, rx.icon("arrow-down", size=12)),
            ),
            spacing="1",
            align="center",
            cursor="pointer",
        ),
        on_click=ResourceListState.sort_by(name),
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.checkbox(
                checked=ResourceListState.selected.contains(row["id"]),
                on_change=lambda _checked: ResourceListState.toggle_row(row["id"]),
                class_name="row-select",
            ),
            width="2.5em",
        ),
        rx.foreach(
            ResourceListState.columns,
            lambda c, i: rx.table.cell(
                rx.cond(
                    i == 0,
                    rx.link(
                        row[c["name"]],
                        href="/r/" + ResourceListState.resource_key + "/record?id=" + row["id"],
                    ),
                    rx.text(row[c["name"]]),
                ),
            ),
        ),
        class_name="list-row",
    )


def _views_menu() -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                rx.icon("bookmark", size=14),
                t("view.views"),
                variant="soft",
                size="1",
                id="views-menu",
            ),
        ),
        rx.popover.content(
            rx.vstack(
                rx.foreach(
                    ResourceListState.views,
                    lambda v: rx.hstack(
                        rx.link(
                            v["name"],
                            href="/r/" + ResourceListState.resource_key + "?" + v["params"],
                            class_name="saved-view",
                        ),
                        rx.cond(~v["mine"], rx.badge(v["owner"], variant="soft", size="1")),
                        rx.spacer(),
                        rx.cond(
                            v["mine"],
                            rx.icon_button(
                                rx.icon("trash-2", size=12),
                                size="1",
                                variant="ghost",
                                color_scheme="red",
                                on_click=ResourceListState.delete_view(v["id"]),
                            ),
                        ),
                        width="100%",
                        align="center",
                    ),
                ),
                rx.cond(
                    ResourceListState.views.length() == 0,
                    rx.text(t("view.none"), size="1", color_scheme="gray"),
                ),
                rx.separator(),
                rx.form(
                    rx.vstack(
                        rx.input(
                            name="name",
                            placeholder=t("view.name"),
                            size="1",
                            id="view-name",
                            width="100%",
                        ),
                        rx.checkbox(t("view.shared"), name="shared", size="1"),
                        rx.button(t("view.save"), type="submit", size="1", id="view-save"),
                        spacing="2",
                        width="100%",
                    ),
                    on_submit=ResourceListState.save_view,
                    reset_on_submit=True,
                ),
                width="16em",
                spacing="2",
            ),
        ),
    )


def _columns_menu() -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                rx.icon("columns-3", size=14),
                t("list.columns"),
                variant="soft",
                size="1",
                id="columns-menu",
            ),
        ),
        rx.popover.content(
            rx.vstack(
                rx.foreach(
                    ResourceListState.available_columns,
                    lambda c: rx.checkbox(
                        c["label"],
                        checked=c["shown"],
                        on_change=lambda _checked: ResourceListState.toggle_column(c["name"]),
                        size="1",
                        id="column-" + c["name"],
                    ),
                ),
                spacing="1",
                max_height="20em",
                overflow_y="auto",
            ),
        ),
    )


def _bulk_bar() -> rx.Component:
    return rx.cond(
        ResourceListState.selected.length() > 0,
        rx.hstack(
            rx.text(
                t("bulk.selected"),
                " ",
                ResourceListState.selected.length(),
                size="2",
                id="bulk-count",
            ),
            rx.foreach(
                ResourceListState.bulk,
                lambda b: rx.button(
                    b["label"],
                    size="1",
                    variant="soft",
                    on_click=ResourceListState.run_bulk(b["key"]),
                    id="bulk-" + b["key"].replace(":", "-"),
                ),
            ),
            align="center",
            spacing="2",
        ),
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.text(t("list.total"), " ", ResourceListState.total_text, size="2", id="list-total"),
        rx.spacer(),
        rx.button(
            rx.icon("chevron-left", size=14),
            variant="soft",
            size="1",
            disabled=ResourceListState.page <= 1,
            on_click=ResourceListState.go_to_page(ResourceListState.page - 1),
            id="page-prev",
        ),
        rx.text(
            ResourceListState.page, " / ", ResourceListState.pages_text, size="2", id="page-of"
        ),
        rx.button(
            rx.icon("chevron-right", size=14),
            variant="soft",
            size="1",
            disabled=~ResourceListState.has_next,
            on_click=ResourceListState.go_to_page(ResourceListState.page + 1),
            id="page-next",
        ),
        width="100%",
        align="center",
    )


def _queue_tabs() -> rx.Component:
    """Work queues (e.g. new, mine, overdue) with their counts, where a resource has them."""
    state = ResourceListState
    return rx.cond(
        state.queues.length() > 0,
        rx.flex(
            rx.foreach(
                state.queues,
                lambda q: rx.button(
                    q["label"],
                    rx.cond(q["count"] != "", rx.badge(q["count"], variant="surface")),
                    variant=rx.cond(state.queue == q["key"], "solid", "soft"),
                    size="2",
                    on_click=state.set_queue(q["key"]),
                    id="queue-" + rx.cond(q["key"] == "", "all", q["key"]),
                ),
            ),
            wrap="wrap",
            spacing="2",
            id="queues",
        ),
    )


def list_view() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.heading(ResourceListState.title, size="6", id="page-title"),
            rx.cond(
                ResourceListState.archived, rx.badge(t("list.archived_view"), color_scheme="amber")
            ),
            rx.spacer(),
            rx.cond(
                ResourceListState.can_archive,
                rx.button(
                    rx.cond(
                        ResourceListState.archived, t("list.show_current"), t("list.show_archived")
                    ),
                    variant="soft",
                    color_scheme="gray",
                    on_click=ResourceListState.toggle_archived,
                    id="toggle-archived",
                ),
            ),
            rx.cond(
                ResourceListState.can_export,
                rx.menu.root(
                    rx.menu.trigger(
                        rx.button(
                            rx.icon("download", size=14),
                            t("list.export"),
                            variant="soft",
                            id="export-menu",
                        ),
                    ),
                    rx.menu.content(
                        rx.menu.item(
                            "CSV", on_click=ResourceListState.export("csv"), id="export-csv"
                        ),
                        rx.menu.item(
                            "Excel (XLSX)",
                            on_click=ResourceListState.export("xlsx"),
                            id="export-xlsx",
                        ),
                    ),
                ),
            ),
            rx.cond(
                ResourceListState.can_import,
                rx.link(
                    rx.button(
                        rx.icon("upload", size=14),
                        t("list.import"),
                        variant="soft",
                        id="import-link",
                    ),
                    href="/r/" + ResourceListState.resource_key + "/import",
                ),
            ),
            rx.cond(
                ResourceListState.can_create,
                rx.link(
                    rx.button(rx.icon("plus", size=14), t("record.new"), id="new-record"),
                    href="/r/" + ResourceListState.resource_key + "/record?id=new",
                ),
            ),
            width="100%",
            align="center",
            wrap="wrap",
            spacing="2",
        ),
        _queue_tabs(),
        _filter_bar(),
        rx.hstack(
            _views_menu(), _columns_menu(), rx.spacer(), _bulk_bar(), width="100%", align="center"
        ),
        rx.cond(
            ResourceListState.error != "",
            rx.callout(
                ResourceListState.error,
                icon="triangle-alert",
                color_scheme="amber",
                size="1",
                id="list-error",
            ),
        ),
        rx.cond(
            ResourceListState.loaded,
            rx.cond(
                ResourceListState.rows.length() > 0,
                scroll_region(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell(
                                    rx.checkbox(
                                        checked=(ResourceListState.selected.length() > 0)
                                        & (
                                            ResourceListState.selected.length()
                                            == ResourceListState.rows.length()
                                        ),
                                        on_change=lambda _checked: ResourceListState.toggle_all(),
                                        id="select-all",
                                    ),
                                ),
                                rx.foreach(ResourceListState.columns, _header_cell),
                            )
                        ),
                        rx.table.body(rx.foreach(ResourceListState.rows, _row)),
                        width="100%",
                        variant="surface",
                        id="list-table",
                    ),
                    ResourceListState.title,
                ),
                rx.cond(  # a refused load says why above, not that nothing matched
                    ResourceListState.error == "",
                    rx.callout(t("list.empty"), icon="inbox", width="100%", id="list-empty"),
                ),
            ),
            rx.center(rx.spinner(size="3"), width="100%", padding="2em"),
        ),
        _pager(),
        width="100%",
        spacing="4",
    )


# --- record ---------------------------------------------------------------------------------
def _field_input(field: rx.Var) -> rx.Component:
    name = field["name"]
    key = ResourceRecordState.form_key + "-" + name
    common = {"name": name, "id": "field-" + name, "width": "100%", "key": key}
    return rx.match(
        field["kind"],
        ("longtext", rx.text_area(default_value=field["text"], rows="4", **common)),
        (
            "choice",
            rx.box(
                rx.cond(
                    field["controls"],
                    _choice_select(
                        name,
                        field["choices"],
                        field["text"],
                        field["label"],
                        with_all=False,
                        on_change=lambda value: ResourceRecordState.set_switch(name, value),
                    ),
                    _choice_select(
                        name, field["choices"], field["text"], field["label"], with_all=False
                    ),
                ),
                id="field-" + name,
                key=key,
                width="100%",
            ),
        ),
        (
            "ref",
            rx.hstack(
                rx.input(
                    placeholder=t("record.find"),
                    on_change=lambda text: ResourceRecordState.filter_ref(name, text),
                    debounce_timeout=300,
                    width="8em",
                    id="find-" + name,
                ),
                rx.box(
                    _choice_select(
                        name, field["choices"], field["text"], field["label"], with_all=False
                    ),
                    id="field-" + name,
                    width="100%",
                ),
                key=key,
                width="100%",
            ),
        ),
        (
            "multi_ref",
            rx.vstack(
                rx.input(
                    placeholder=t("record.find"),
                    on_change=lambda text: ResourceRecordState.filter_ref(name, text),
                    debounce_timeout=300,
                    width="12em",
                    id="find-" + name,
                ),
                rx.flex(
                    rx.foreach(
                        field["choices"],
                        lambda c: rx.checkbox(
                            c["label"],
                            checked=field["text"].split(",").contains(c["value"]),
                            on_change=lambda _checked: ResourceRecordState.toggle_link(
                                name, c["value"]
                            ),
                        ),
                    ),
                    wrap="wrap",
                    spacing="3",
                    max_height="12em",
                    overflow_y="auto",
                    id="field-" + name,
                ),
                key=key,
                width="100%",
            ),
        ),
        (
            "multi_choice",
            rx.flex(
                rx.foreach(
                    field["choices"],
                    lambda c: rx.checkbox(
                        c["label"],
                        name=name + "__" + c["value"],
                        default_checked=field["text"].split(",").contains(c["value"]),
                    ),
                ),
                wrap="wrap",
                spacing="3",
                id="field-" + name,
                key=key,
            ),
        ),
        (
            "bool",
            rx.checkbox(
                name=name, default_checked=field["text"] == "true", id="field-" + name, key=key
            ),
        ),
        ("date", date_input(default_value=field["text"], **common)),
        ("datetime", date_input(with_time=True, default_value=field["text"], **common)),
        rx.input(
            default_value=field["text"],
            **common,
            input_mode=rx.cond(
                (field["kind"] == "money")
                | (field["kind"] == "percent")
                | (field["kind"] == "int"),
                "decimal",
                "text",
            ),
        ),
    )


def _field_row(field: rx.Var) -> rx.Component:
    name = field["name"]
    error = ResourceRecordState.errors[name]
    applies = (field["shown_by"] == "") | field["shown_for"].contains(
        ResourceRecordState.switches[field["shown_by"]]
    )
    return rx.cond(applies, _field_body(field, name, error))


def _field_body(field: rx.Var, name: rx.Var, error: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(field["label"], size="2", weight="medium"),
            rx.cond(field["required"], rx.text("*", color="red")),
            spacing="1",
        ),
        rx.cond(
            field["editable"] & ResourceRecordState.can_edit & ~ResourceRecordState.archived,
            _field_input(field),
            rx.text(field["display"], size="2", id="value-" + name),
        ),
        rx.cond(field["help"] != "", rx.text(field["help"], size="1", color_scheme="gray")),
        rx.cond(
            ResourceRecordState.errors.contains(name),
            rx.text(error, size="1", color="red", id="error-" + name),
        ),
        spacing="1",
        width="100%",
    )


def _history() -> rx.Component:
    return rx.vstack(
        rx.foreach(
            ResourceRecordState.history,
            lambda h: rx.card(
                rx.vstack(
                    rx.hstack(
                        rx.badge(h["action"]),
                        rx.text(h["actor"], weight="medium", size="2"),
                        rx.spacer(),
                        rx.text(h["at"], size="1", color_scheme="gray"),
                        width="100%",
                    ),
                    rx.text(h["changes"], size="2", white_space="pre-wrap"),
                    spacing="1",
                ),
                width="100%",
            ),
        ),
        width="100%",
        id="history",
    )


ATTACH_ID = "attachment-upload"


def _attachments() -> rx.Component:
    state = ResourceRecordState
    return rx.vstack(
        rx.cond(
            state.can_edit & ~state.archived & (state.attach_categories.length() > 0),
            rx.hstack(
                rx.text(t("attachment.category_label"), size="2"),
                rx.select.root(
                    rx.select.trigger(id="attach-category"),
                    rx.select.content(
                        rx.foreach(
                            state.attach_categories,
                            lambda c: rx.select.item(c["label"], value=c["value"]),
                        )
                    ),
                    value=state.attach_category,
                    on_change=state.set_attach_category,
                ),
                align="center",
            ),
        ),
        rx.cond(
            state.can_edit & ~state.archived,
            rx.upload(
                rx.hstack(
                    rx.icon("paperclip", size=18), rx.text(t("attachment.drop")), align="center"
                ),
                id=ATTACH_ID,
                max_files=10,
                border="1px dashed var(--gray-7)",
                padding="1em",
                width="100%",
                on_drop=state.upload_attachment(rx.upload_files(upload_id=ATTACH_ID)),
            ),
        ),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(f"attachment.col.{c}"))
                            for c in ("category", "filename", "size", "by", "at", "actions")
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        state.attachments,
                        lambda a: rx.table.row(
                            rx.table.cell(a["category"]),
                            rx.table.cell(a["filename"]),
                            rx.table.cell(a["size"]),
                            rx.table.cell(a["by"]),
                            rx.table.cell(a["at"]),
                            rx.table.cell(
                                rx.hstack(
                                    rx.cond(
                                        a["viewable"],
                                        rx.button(
                                            rx.icon("eye", size=12),
                                            size="1",
                                            variant="soft",
                                            on_click=state.view_attachment(a["id"]),
                                            class_name="attachment-view",
                                            title=t("document.view"),
                                        ),
                                    ),
                                    rx.button(
                                        rx.icon("download", size=12),
                                        size="1",
                                        variant="soft",
                                        on_click=state.download_attachment(a["id"]),
                                        class_name="attachment-download",
                                    ),
                                    rx.cond(
                                        state.can_edit & ~state.archived,
                                        rx.button(
                                            rx.icon("trash-2", size=12),
                                            size="1",
                                            variant="soft",
                                            color_scheme="red",
                                            on_click=state.remove_attachment(a["id"]),
                                        ),
                                    ),
                                )
                            ),
                            class_name="attachment-row",
                        ),
                    )
                ),
                width="100%",
                id="attachments",
            ),
            t("record.attachments"),
        ),
        width="100%",
    )


def _document_viewer() -> rx.Component:
    """A PDF or image attachment, page by page, zoomable, without downloading it."""
    state = ResourceRecordState
    return rx.dialog.root(
        rx.dialog.content(
            rx.hstack(
                rx.dialog.title(state.viewer_name, size="3", margin="0"),
                rx.spacer(),
                rx.icon_button(
                    rx.icon("chevron-left"),
                    variant="soft",
                    disabled=state.viewer_page <= 1,
                    on_click=state.turn_page(-1),
                    id="viewer-previous",
                    title=t("document.previous"),
                ),
                rx.text(
                    state.viewer_page.to(str) + " / " + state.viewer_pages.to(str),
                    size="2",
                    id="viewer-page",
                ),
                rx.icon_button(
                    rx.icon("chevron-right"),
                    variant="soft",
                    disabled=state.viewer_page >= state.viewer_pages,
                    on_click=state.turn_page(1),
                    id="viewer-next",
                    title=t("document.next"),
                ),
                rx.icon_button(
                    rx.icon("zoom-out"),
                    variant="soft",
                    on_click=state.zoom_viewer(-1),
                    id="viewer-zoom-out",
                    title=t("document.zoom_out"),
                ),
                rx.text(state.viewer_zoom.to(str) + "%", size="2", id="viewer-zoom"),
                rx.icon_button(
                    rx.icon("zoom-in"),
                    variant="soft",
                    on_click=state.zoom_viewer(1),
                    id="viewer-zoom-in",
                    title=t("document.zoom_in"),
                ),
                rx.dialog.close(
                    rx.icon_button(rx.icon("x"), variant="ghost", id="viewer-close"),
                ),
                align="center",
                width="100%",
                spacing="2",
            ),
            rx.scroll_area(
                rx.image(
                    src=state.viewer_image,
                    id="viewer-image",
                    max_width="none",
                    margin="1em auto",
                    box_shadow="0 1px 6px rgba(0,0,0,.25)",
                ),
                background="var(--gray-4)",
                type="auto",
                scrollbars="both",
                height="75vh",
                margin_top="0.75em",
            ),
            max_width="min(96vw, 1100px)",
            width="96vw",
        ),
        open=state.viewer_id > 0,
        on_open_change=state.close_viewer,  # the dialog only ever asks to close
    )


def record_view(panel: Callable[[], rx.Component] | None = None) -> rx.Component:
    return rx.vstack(
        _document_viewer(),
        rx.hstack(
            rx.link(rx.icon("arrow-left", size=18), href="/r/" + ResourceRecordState.resource_key),
            rx.heading(ResourceRecordState.title, size="6", id="page-title"),
            rx.cond(
                ResourceRecordState.state_label != "",
                rx.badge(ResourceRecordState.state_label, size="2", id="record-state"),
            ),
            rx.cond(
                ResourceRecordState.archived,
                rx.badge(t("list.archived_view"), color_scheme="amber"),
            ),
            rx.spacer(),
            rx.foreach(
                ResourceRecordState.transitions,
                lambda tr: rx.button(
                    tr["label"],
                    on_click=ResourceRecordState.take(tr["key"]),
                    id="transition-" + tr["key"],
                ),
            ),
            rx.cond(
                ResourceRecordState.can_archive & ~ResourceRecordState.is_new,
                rx.button(
                    rx.cond(ResourceRecordState.archived, t("record.restore"), t("record.archive")),
                    variant="soft",
                    color_scheme="amber",
                    on_click=ResourceRecordState.set_archived(~ResourceRecordState.archived),
                    id="archive-toggle",
                ),
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            ResourceRecordState.message != "",
            rx.callout(
                ResourceRecordState.message,
                icon="triangle-alert",
                color_scheme="red",
                size="1",
                width="100%",
                id="record-message",
            ),
        ),
        rx.cond(
            ResourceRecordState.maker_note != "",
            rx.callout(
                ResourceRecordState.maker_note,
                icon="info",
                color_scheme="gray",
                size="1",
                width="100%",
                id="maker-checker-note",
            ),
        ),
        rx.cond(
            (ResourceRecordState.summary.length() > 0) & ~ResourceRecordState.is_new,
            rx.flex(
                rx.foreach(
                    ResourceRecordState.summary,
                    lambda item: rx.card(
                        rx.vstack(
                            rx.text(item["label"], size="1", color_scheme="gray"),
                            rx.text(item["value"], size="2", weight="medium"),
                            spacing="1",
                        ),
                    ),
                ),
                wrap="wrap",
                spacing="3",
                id="record-summary",
            ),
        ),
        *(
            [
                rx.cond(
                    ~ResourceRecordState.is_new & ResourceRecordState.loaded,
                    # keyed like the form: a panel's entry fields never carry to another
                    # record; and by the language: mounted again, it loads in the new one
                    rx.box(
                        panel(),
                        key=ResourceRecordState.form_key + "-" + UIState.lang,
                        width="100%",
                    ),
                )
            ]
            if panel
            else []
        ),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger(t("record.details"), value="details"),
                rx.cond(
                    ResourceRecordState.has_attachments,
                    rx.tabs.trigger(
                        t("record.attachments"), value="attachments", id="tab-attachments"
                    ),
                ),
                rx.cond(
                    ~ResourceRecordState.is_new,
                    rx.tabs.trigger(t("record.history"), value="history", id="tab-history"),
                ),
            ),
            rx.tabs.content(
                rx.form(
                    rx.vstack(
                        rx.grid(
                            rx.foreach(ResourceRecordState.fields, _field_row),
                            columns=rx.breakpoints(initial="1", sm="2"),
                            spacing="4",
                            width="100%",
                        ),
                        rx.cond(
                            ResourceRecordState.can_edit & ~ResourceRecordState.archived,
                            rx.button(t("common.save"), type="submit", id="record-save"),
                        ),
                        spacing="4",
                        padding_top="1em",
                        width="100%",
                    ),
                    on_submit=ResourceRecordState.save,
                    width="100%",
                    # uncontrolled inputs keep their DOM value when React reuses them: a new
                    # record (or version) must mount a new form, never show the last one's values
                    key=ResourceRecordState.form_key,
                ),
                value="details",
            ),
            rx.tabs.content(_attachments(), value="attachments", padding_top="1em"),
            rx.tabs.content(_history(), value="history", padding_top="1em"),
            default_value="details",
            width="100%",
        ),
        width="100%",
        spacing="3",
    )


# --- import ---------------------------------------------------------------------------------
UPLOAD_ID = "import-upload"


def _mapping_cell(column: rx.Var, index: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(column),
        rx.table.cell(
            rx.select.root(
                rx.select.trigger(placeholder=t("import.skip"), width="100%"),
                rx.select.content(
                    rx.select.item(t("import.skip"), value="__none"),
                    rx.foreach(
                        ResourceImportState.field_options,
                        lambda o: rx.select.item(o["label"], value=o["value"]),
                    ),
                ),
                value=rx.cond(
                    ResourceImportState.mapping[index] == "",
                    "__none",
                    ResourceImportState.mapping[index],
                ),
                on_change=lambda v: ResourceImportState.set_mapping(index, v),
            ),
        ),
    )


def _import_errors() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(
                t("import.errors"),
                " ",
                ResourceImportState.error_count,
                color="red",
                weight="medium",
                id="import-error-count",
            ),
            rx.button(
                t("import.download_errors"),
                variant="soft",
                size="1",
                on_click=ResourceImportState.download_errors,
            ),
        ),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(f"import.col.{c}"))
                            for c in ("row", "field", "message", "value")
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        ResourceImportState.errors,
                        lambda e: rx.table.row(
                            rx.table.cell(e["row"]),
                            rx.table.cell(e["field"]),
                            rx.table.cell(e["message"]),
                            rx.table.cell(e["value"]),
                        ),
                    )
                ),
                size="1",
                id="import-errors",
            ),
            t("import.errors"),
        ),
        width="100%",
    )


def _import_steps() -> rx.Component:
    state = ResourceImportState
    return rx.vstack(
        rx.text(
            state.file_name,
            " · ",
            state.row_count,
            " ",
            t("import.rows"),
            weight="medium",
            id="import-file",
        ),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(t("import.file_column")),
                        rx.table.column_header_cell(t("import.maps_to")),
                    )
                ),
                rx.table.body(rx.foreach(state.columns, _mapping_cell)),
                id="import-mapping",
            ),
            t("import.maps_to"),
        ),
        rx.hstack(
            rx.button(
                t("import.check"), on_click=state.check, loading=state.checking, id="import-check"
            ),
            rx.button(
                t("import.commit"),
                on_click=state.commit,
                disabled=~state.checked | (state.error_count > 0),
                color_scheme="green",
                id="import-commit",
            ),
        ),
        rx.cond(
            state.checking | state.checked,
            rx.vstack(
                rx.progress(
                    value=rx.cond(
                        state.row_count > 0, state.checked_rows * 100 // state.row_count, 0
                    ),
                    width="100%",
                    id="import-progress",
                ),
                rx.text(state.checked_rows, " / ", state.row_count, size="1"),
                width="100%",
            ),
        ),
        rx.cond(
            state.checked & (state.error_count == 0) & (state.created == 0),
            rx.callout(
                t("import.all_good"), icon="circle-check", color_scheme="green", id="import-ok"
            ),
        ),
        rx.cond(
            state.created > 0,
            rx.callout(
                rx.text(t("import.created"), " ", state.created),
                icon="circle-check",
                color_scheme="green",
                id="import-created",
            ),
        ),
        rx.cond(state.error_count > 0, _import_errors()),
        width="100%",
        spacing="3",
    )


def import_view() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link(rx.icon("arrow-left", size=18), href="/r/" + ResourceImportState.resource_key),
            rx.heading(ResourceImportState.title, size="6", id="page-title"),
            align="center",
        ),
        rx.text(t("import.help"), size="2", color_scheme="gray"),
        rx.upload(
            rx.vstack(rx.icon("file-up", size=28), rx.text(t("import.drop")), align="center"),
            id=UPLOAD_ID,
            accept={
                "text/csv": [".csv"],
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
            },
            max_files=1,
            border="1px dashed var(--gray-7)",
            padding="2em",
            width="100%",
            on_drop=ResourceImportState.upload(rx.upload_files(upload_id=UPLOAD_ID)),
        ),
        rx.cond(
            ResourceImportState.message != "",
            rx.callout(
                ResourceImportState.message,
                icon="triangle-alert",
                color_scheme="red",
                size="1",
                width="100%",
                id="import-message",
            ),
        ),
        rx.cond(ResourceImportState.row_count > 0, _import_steps()),
        width="100%",
        spacing="4",
    )


def register_pages() -> None:
    modules = {m.key: m for m in MODULES}
    for resource in all_resources():
        module_route = modules[resource.module].route if resource.module in modules else "/"
        _register(resource, module_route)


def _register(resource: Resource, module_route: str) -> None:
    template(
        resource.route,
        f"resource.{resource.key}",
        active_route=module_route,
        on_load=ResourceListState.open(resource.key),
    )(list_view)
    template(
        f"{resource.route}/import",
        f"resource.{resource.key}",
        active_route=module_route,
        on_load=ResourceImportState.open(resource.key),
    )(import_view)
    panel = record_panel(resource.key)

    def record_page() -> rx.Component:
        return record_view(panel)

    template(
        f"{resource.route}/record",
        f"resource.{resource.key}",
        active_route=module_route,
        on_load=ResourceRecordState.open(resource.key),
    )(record_page)
