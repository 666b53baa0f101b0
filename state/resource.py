"""Generic list and record states for every declared resource.

The URL is the source of truth for a list view (filters, search, sort, page), so a link opens
the same view; handlers that change the view only compute the next URL. Permissions depend on
the resource, so these handlers use ``@requires_on_resource(action)``.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from typing import Any, TypedDict
from urllib.parse import urlencode

import reflex as rx

from backoffice.db import session_scope
from backoffice.engine import fields as fieldlib
from backoffice.engine import service, transfer, views
from backoffice.engine.ref_options import ref_options
from backoffice.engine.resource import Resource
from backoffice.engine.resource import get as get_resource
from backoffice.i18n import translate
from backoffice.platform import attachments, documents, numerals, offload
from backoffice.platform.business_time import shown_time
from backoffice.platform.versioned import display_names
from state.auth import (
    PAGE_LOAD_ATTR,
    PERMISSION_ATTR,
    SessionState,
    forget_when_refused,
    pending_call,
    state_path,
)
from state.base import Action, Choice, LabelledValue, StaffState
from state.changes import assign

ON_RESOURCE = "$resource"


def requires_on_resource(action: str) -> Callable[[Callable], Callable]:
    """Like ``requires``, with the resource taken from the ``key`` argument or the state."""

    def decorate(fn: Callable) -> Callable:
        takes_key = "key" in inspect.signature(fn).parameters

        @functools.wraps(fn)
        async def guarded(self: rx.State, *args: Any, **kwargs: Any) -> Any:
            key = (
                kwargs.get("key", args[0] if args else "")
                if takes_key
                else getattr(self, "resource_key", "")
            )
            resource = get_resource(key)
            session_state = await self.get_state(SessionState)
            permission = (resource.permission if resource else f"unknown:{key}"[:40], action)
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

        setattr(guarded, PERMISSION_ATTR, (ON_RESOURCE, action))
        return guarded

    return decorate


def _choices(spec: fieldlib.FieldSpec, lang: str) -> list[Choice]:
    return [{"value": str(v), "label": spec.choice_text(str(v), lang)} for v in spec.choices]


class Column(TypedDict):
    name: str
    label: str


class ColumnChoice(TypedDict):
    name: str
    label: str
    shown: bool


class FilterField(TypedDict):
    name: str
    label: str
    kind: str
    ranged: bool  # a from–to pair (dates, amounts)
    choices: list[Choice]
    value: str
    min: str
    max: str
    input_type: str


class SavedView(TypedDict):
    id: str
    name: str
    params: str  # the list's query string
    owner: str
    mine: bool


class Queue(TypedDict):
    key: str  # "" for every record
    label: str
    count: str


class ResourceListState(StaffState, rx.State):
    resource_key: str = ""
    title: str = ""
    columns: list[Column] = []
    rows: list[dict[str, str]] = []  # a record's columns by field name
    total_text: str = ""
    page: int = 1
    pages: int = 1
    sort: str = ""
    search_text: str = ""
    filter_fields: list[FilterField] = []
    active_filters: dict[str, str] = {}
    archived: bool = False
    can_create: bool = False
    can_archive: bool = False
    can_export: bool = False
    can_import: bool = False
    error: str = ""
    loaded: bool = False
    cols: str = ""
    has_next: bool = False
    pages_text: str = "1"
    available_columns: list[ColumnChoice] = []
    selected: list[str] = []
    bulk: list[Action] = []
    views: list[SavedView] = []
    query_string: str = ""
    queue: str = ""
    queues: list[Queue] = []
    _filters_of: tuple[str, str] = ("", "")  # (resource, language) of filter_fields' pick-lists

    def _resource(self) -> Resource:
        resource = get_resource(self.resource_key)
        assert resource is not None
        return resource

    def _clear_refused(self, message: str) -> None:
        """The caller may not see this list (any more): no rows stay, and the page says why."""
        self.reset()
        self.error, self.loaded = message, True

    async def _go(self, params: dict[str, str]) -> list[Any]:
        """Show the list for ``params`` in this event, and put them in the address bar with
        ``history.pushState``: the URL stays the list's shareable source of truth and the back
        button steps back through it (the router then loads that URL), without the second
        round of events a navigation costs (update_vars, on_load_internal, gate, open)."""
        clean = {k: str(v) for k, v in params.items() if v not in ("", None)}
        query = urlencode(clean)
        url = f"/r/{self.resource_key}" + (f"?{query}" if query else "")
        refusal = await self._load(self._resource(), clean, again=True)
        if refusal is not None:
            return [refusal]
        return [rx.call_script(f"window.history.pushState(null, '', {json.dumps(url)})")]

    def _params(self) -> dict[str, str]:
        params = dict(self.active_filters)
        params.update(
            {
                "q": self.search_text,
                "sort": self.sort,
                "archived": "1" if self.archived else "",
                "cols": self.cols,
                "queue": self.queue,
            }
        )
        return params

    @rx.event
    @requires_on_resource("view")
    async def open(self, key: str) -> Any:
        """on_load of a list page: the list the URL asks for."""
        return await self._load(get_resource(key), dict(self.router.url.query_parameters))

    async def _load(self, resource: Resource, raw: dict[str, str], again: bool = False) -> Any:
        """The list for ``raw`` (URL parameters). ``again``: the same list page changes its
        query, so the pick-lists of its reference filters are kept, not read again."""
        lang = await self._lang()
        principal = await self._principal()
        self.resource_key = resource.key
        self.title = resource.label(lang)
        try:
            with session_scope() as session:
                schema = service.schema_of(session, resource)
                query = service.parse_query(schema, raw)
                chosen = service.parse_columns(schema, raw.get("cols", ""))
                page = service.list_page(
                    session,
                    principal=principal,
                    resource=resource,
                    query=query,
                    lang=lang,
                    schema=schema,
                    columns=tuple(chosen) or None,
                )
                visible_views = views.visible(session, principal=principal, resource=resource)
                counts = (
                    service.queue_counts(session, principal=principal, resource=resource)
                    if resource.queues
                    else {}
                )
        except service.EngineError as error:
            self.rows, self.error = [], translate(error.key, lang)
            return rx.toast.error(self.error)
        assign(self, views=visible_views)
        queues = [
            {
                "key": q.key,
                "label": q.label(lang),
                "count": f"{counts[q.key]:,}" + ("+" if counts[q.key] > service.COUNT_CAP else ""),
            }
            for q in resource.queues
        ]
        if resource.queues:
            queues.insert(0, {"key": "", "label": translate("list.all_records", lang), "count": ""})
        shown = chosen or list(schema.list_columns)
        kept = (
            {f["name"]: f["choices"] for f in self.filter_fields if f["kind"] == "ref"}
            if again and self._filters_of == (resource.key, lang)
            else {}
        )
        self._filters_of = (resource.key, lang)
        assign(
            self,
            queue=query.queue,
            queues=queues,
            cols=",".join(chosen),
            columns=[{"name": n, "label": service.column_label(schema, n, lang)} for n in shown],
            available_columns=[
                {"name": f.name, "label": f.label(lang), "shown": f.name in shown}
                for f in schema.fields
                if service.can_read(principal, f) and f.in_row
            ],
            rows=page.rows,
            page=page.page,
            pages=page.pages,
            has_next=page.has_next,
            pages_text=f"{page.pages:,}{'+' if page.capped else ''}",
            total_text=f"{page.total:,}{'+' if page.capped else ''}",
            sort=query.sort,
            search_text=query.search,
            archived=query.archived,
            active_filters=query.filters,
            filter_fields=self._filter_fields(schema, lang, query, principal, kept),
            can_create=resource.creatable and principal.can(resource.permission, "create"),
            can_archive=principal.can(resource.permission, "archive"),
            can_export=resource.exportable and principal.can(resource.permission, "export"),
            can_import=resource.importable and principal.can(resource.permission, "import"),
            selected=[],
            bulk=[
                {
                    "key": key,
                    "label": (
                        resource.workflow.get(label).label(lang)
                        if label
                        else translate(f"bulk.{key}", lang)
                    ),
                }
                for key, _perm, label in service.bulk_actions(resource, principal)
            ],
        )
        params = query.to_params()
        params.pop("page", None)
        if self.cols:
            params["cols"] = self.cols
        self.query_string = urlencode(params)
        self.error = (
            (
                translate("list.bad_filter", lang)
                + ": "
                + ", ".join(schema.filter_field(n).label(lang) for n in page.errors)
            )
            if page.errors
            else ""
        )
        self.loaded = True
        return None

    @rx.event
    @requires_on_resource("view")
    async def toggle_column(self, name: str) -> Any:
        shown = [c["name"] for c in self.columns]
        known = {c["name"] for c in self.available_columns}
        if name not in known:
            return None
        shown = [c for c in shown if c != name] if name in shown else [*shown, name]
        params = self._params()
        params["cols"] = ",".join(shown)
        return await self._go(params)

    @rx.event
    @requires_on_resource("view")
    def toggle_row(self, record_id: str) -> None:
        record_id = str(record_id)
        if record_id in self.selected:
            self.selected = [r for r in self.selected if r != record_id]
        elif any(r["id"] == record_id for r in self.rows):
            self.selected = [*self.selected, record_id]

    @rx.event
    @requires_on_resource("view")
    def toggle_all(self) -> None:
        ids = [r["id"] for r in self.rows]
        self.selected = [] if set(ids) <= set(self.selected) else ids

    @rx.event
    @requires_on_resource("view")
    async def run_bulk(self, action: str) -> Any:
        resource = self._resource()
        lang = await self._lang()
        session_state = await self.get_state(SessionState)
        offered = {
            key: perm
            for key, perm, _label in service.bulk_actions(resource, session_state.principal)
        }
        if action not in offered:
            return rx.toast.error(translate("auth.denied", lang))
        refusal = await session_state._authorise(
            (resource.permission, offered[action]),
            f"{resource.key}.bulk.{action}",
            resume=(state_path(self), "run_bulk", [action]),
        )
        if refusal is not None:
            return refusal
        ids = [n for n in (numerals.whole(str(i)) for i in self.selected) if n is not None]
        with self._write_scope() as session:
            result = service.run_bulk(
                session,
                principal=session_state.principal,
                resource=resource,
                record_ids=ids,
                action=action,
                client=session_state.client,
            )
        message = translate("bulk.result", lang, done=result.done, refused=len(result.refused))
        self.selected = []
        return [rx.toast.info(message), *(await self._go(self._params()))]

    @rx.event
    @requires_on_resource("view")
    async def save_view(self, form_data: dict) -> Any:
        lang = await self._lang()
        principal = await self._principal()
        with self._write_scope() as session:
            problem = views.save(
                session,
                principal=principal,
                resource=self._resource(),
                name=str(form_data.get("name", "")),
                query_string=self.query_string,
                shared=form_data.get("shared") in ("on", True, "true"),
            )
        if problem:
            return rx.toast.error(translate(problem, lang))
        return [rx.toast.success(translate("view.saved", lang)), *(await self._go(self._params()))]

    @rx.event
    @requires_on_resource("view")
    async def delete_view(self, view_id: str) -> Any:
        principal = await self._principal()
        with self._write_scope() as session:
            views.delete(session, principal=principal, view_id=numerals.whole(str(view_id)) or 0)
        return await self._go(self._params())

    def _ref_choices(self, spec: fieldlib.FieldSpec, principal: Any) -> list[Choice]:
        with session_scope() as session:
            return ref_options(session, principal, spec)

    def _filter_fields(
        self,
        schema: service.Schema,
        lang: str,
        query: service.ListQuery,
        principal: Any,
        kept: dict[str, list[Choice]] | None = None,
    ) -> list[FilterField]:
        kept = kept or {}
        result = []
        for name in schema.filters:
            spec = schema.filter_field(name)
            if spec is None:
                continue
            ranged = spec.kind in service.RANGE_KINDS
            result.append(
                {
                    "name": name,
                    "label": spec.label(lang),
                    "kind": spec.kind,
                    "ranged": ranged,
                    "choices": (
                        _choices(spec, lang)
                        if spec.kind in ("choice", "multi_choice")
                        else kept.get(name) or self._ref_choices(spec, principal)
                        if spec.kind == "ref"
                        else []
                    ),
                    "value": query.filters.get(name, ""),
                    "min": query.filters.get(f"{name}__min", ""),
                    "max": query.filters.get(f"{name}__max", ""),
                    "input_type": "date" if spec.kind == "date" else "text",
                }
            )
        return result

    @rx.event
    @requires_on_resource("view")
    async def sort_by(self, name: str) -> Any:
        if name not in service.sortable(self._resource()):
            return None
        params = self._params()
        params["sort"] = f"-{name}" if self.sort == name else name
        return await self._go(params)

    @rx.event
    @requires_on_resource("view")
    async def go_to_page(self, page: int) -> Any:
        params = self._params()
        last = service.MAX_PAGE if self.has_next else self.pages
        params["page"] = str(max(1, min(int(page), last)))
        return await self._go(params)

    @rx.event
    @requires_on_resource("view")
    async def apply(self, form_data: dict) -> Any:
        """The filter bar was submitted: search text and every filter at once."""
        with session_scope() as session:
            allowed = service.filter_keys(service.schema_of(session, self._resource()))
        params = {
            k: str(v) for k, v in form_data.items() if k in allowed and str(v) not in ("", "__all")
        }
        params.update(
            {
                "q": str(form_data.get("q", ""))[:100],
                "sort": self.sort,
                "archived": "1" if self.archived else "",
                "queue": self.queue,
            }
        )
        return await self._go(params)

    @rx.event
    @requires_on_resource("view")
    async def clear(self) -> Any:
        return await self._go({"sort": self.sort, "queue": self.queue})

    @rx.event
    @requires_on_resource("view")
    async def set_queue(self, key: str) -> Any:
        resource = self._resource()
        params = {k: v for k, v in self._params().items() if k != "page"}
        params["queue"] = str(key) if resource.queue(str(key)) else ""
        return await self._go(params)

    @rx.event
    @requires_on_resource("export")
    async def export(self, fmt: str) -> Any:
        """Download the current view (filters, search, sort) as CSV or XLSX."""
        resource = self._resource()
        caller = await self._caller()
        lang = caller.lang
        params, principal, client = self._params(), caller.principal, caller.client

        def build() -> tuple[bytes | str, str]:
            # Deferred although the export is audited: it may read up to 200,000 rows first,
            # and holding SQLite's write lock that long would make every save wait.
            with session_scope() as session:
                schema = service.schema_of(session, resource)
                query = service.parse_query(schema, params)
                content, name, _rows = transfer.export_view(
                    session,
                    principal=principal,
                    resource=resource,
                    query=query,
                    lang=lang,
                    fmt=str(fmt),
                    client=client,
                )
            return content, name

        try:
            content, name = await offload.run(build)
        except service.EngineError as error:
            return self._refusal(error, lang)
        return rx.download(data=content, filename=name)

    @rx.event
    @requires_on_resource("archive")
    async def toggle_archived(self) -> Any:
        params = self._params()
        params["archived"] = "" if self.archived else "1"
        return await self._go(params)


def record_id_param(state: rx.State) -> int:
    """The id of the record page being shown (``?id=``), or 0; for panels above that page."""
    raw = str(state.router.url.query_parameters.get("id", ""))
    return numerals.whole(raw) or 0


class FieldView(TypedDict):
    name: str
    controls: bool  # other fields are shown or not by its value
    shown_by: str  # the field whose value shows this one, "" for always shown
    shown_for: list[str]  # the values of ``shown_by`` that show it
    label: str
    kind: str
    required: bool
    help: str
    text: str  # the value as the form edits it ("" when the caller may not read it)
    display: str  # the value as the page shows it
    editable: bool
    choices: list[Choice]


class Attachment(TypedDict):
    id: str
    filename: str
    size: str
    by: str
    at: str
    viewable: bool  # a PDF or an image the page can show
    category: str


class ImportProblem(TypedDict):
    row: str
    field: str
    message: str
    value: str


class ResourceRecordState(StaffState, rx.State):
    resource_key: str = ""
    record_id: int = 0
    version: int = 0
    title: str = ""
    is_new: bool = False
    archived: bool = False
    state_label: str = ""
    fields: list[FieldView] = []
    errors: dict[str, str] = {}
    message: str = ""
    transitions: list[Action] = []
    maker_note: str = ""  # why the caller is offered no approving step (maker ≠ checker)
    history: list[dict[str, str]] = []  # service.history's entries
    can_edit: bool = False
    can_archive: bool = False
    loaded: bool = False
    has_attachments: bool = False
    attachments: list[Attachment] = []
    attach_categories: list[Choice] = []
    attach_category: str = ""
    summary: list[LabelledValue] = []
    switches: dict[str, str] = {}  # current values of the fields other fields depend on
    viewer_id: int = 0  # the attachment open in the document viewer
    viewer_name: str = ""
    viewer_image: str = ""
    viewer_page: int = 1
    viewer_pages: int = 1
    viewer_zoom: int = 100

    def _resource(self) -> Resource:
        resource = get_resource(self.resource_key)
        assert resource is not None
        return resource

    def _clear_refused(self, message: str) -> None:
        """The caller may not see this record (any more): no field stays, and the page says why."""
        self.reset()
        self.message = message

    @rx.var
    def form_key(self) -> str:
        """Names the record and version the form shows: the page keys the form with it."""
        return f"{self.resource_key}-{self.record_id}-{self.version}"

    @rx.event
    @requires_on_resource("view")
    def set_switch(self, name: str, value: str) -> None:
        """A choice others depend on changed in the form: show the fields that now apply."""
        if str(name) in self.switches:
            self.switches = {**self.switches, str(name): str(value)}

    def _load_attachments(
        self, session: Any, principal: Any, resource: Resource, lang: str
    ) -> None:
        labels = {
            key: resource.attachment_label(key, lang) for key in resource.attachment_categories
        }
        self.has_attachments = resource.attachments and self.record_id > 0
        items = (
            attachments.listing(
                session, principal=principal, resource=resource, record_id=self.record_id
            )
            if self.has_attachments
            else []
        )
        counts: dict[str, int] = {}
        version: dict[int, int] = {}
        for item in reversed(items):  # oldest first: version 1, 2, … of each kind
            counts[item.category] = counts.get(item.category, 0) + 1
            version[item.id] = counts[item.category]
        people = display_names(session, {a.uploaded_by for a in items}, lang)
        self.attachments = [
            {
                "id": str(a.id),
                "filename": a.filename,
                "size": f"{a.size / 1024:,.1f} KB",
                "by": people.get(a.uploaded_by, a.uploaded_by),
                "at": shown_time(a.created_at),
                "viewable": documents.viewable(a.content_type),
                "category": f"{labels.get(a.category, a.category)} v{version[a.id]}"
                if a.category
                else "",
            }
            for a in items
        ]

    @rx.event
    @requires_on_resource("edit")
    def set_attach_category(self, category: str) -> None:
        if any(c["value"] == category for c in self.attach_categories):
            self.attach_category = category

    async def _after_files(self, principal: Any, resource: Resource) -> None:
        """Attachments change what a record may do next (e.g. a guard needing documents)."""
        with session_scope() as session:
            record = service.load(
                session, principal=principal, resource=resource, record_id=self.record_id
            )
        await self._fill(resource, record, await self._lang())

    @rx.event
    @requires_on_resource("edit")
    async def upload_attachment(self, files: list[rx.UploadFile]) -> Any:
        resource = self._resource()
        lang = await self._lang()
        principal = await self._principal()
        problems = []
        # read first: no await while the write scope holds SQLite's write lock
        uploads = []
        for upload in files[:10]:
            name = upload.name or "file"
            if (upload.size or 0) > attachments.MAX_BYTES:  # refused unread
                problems.append(f"{name}: {translate('attachment.too_large', lang)}")
            else:
                uploads.append((name, await upload.read()))
        record_id, category = self.record_id, self.attach_category

        def store() -> list[tuple[str, str]]:
            refused = []
            with self._write_scope() as session:
                for filename, data in uploads:
                    _item, problem = attachments.add(
                        session,
                        principal=principal,
                        resource=resource,
                        record_id=record_id,
                        filename=filename,
                        data=data,
                        category=category,
                    )
                    if problem:
                        refused.append((filename, problem))
            return refused

        for filename, problem in await offload.run(store):
            problems.append(f"{filename}: {translate(problem, lang)}")
        await self._after_files(principal, resource)
        if problems:
            return rx.toast.error(" ".join(problems))
        return rx.toast.success(translate("attachment.added", lang))

    @rx.event
    @requires_on_resource("view")
    async def download_attachment(self, attachment_id: str) -> Any:
        lang, principal = await self._lang(), await self._principal()
        try:
            with self._write_scope() as session:
                content = attachments.read(
                    session,
                    principal=principal,
                    resource=self._resource(),
                    attachment_id=numerals.whole(str(attachment_id)) or 0,
                )
        except service.EngineError as error:
            return self._refusal(error, lang)
        return rx.download(
            data=content.data, filename=content.filename, mime_type=content.content_type
        )

    async def _show(self, attachment_id: int, page: int, zoom: int, purpose: str) -> Any:
        lang, principal = await self._lang(), await self._principal()
        try:
            with session_scope(write=bool(purpose)) as session:
                content = attachments.read(
                    session,
                    principal=principal,
                    resource=self._resource(),
                    attachment_id=attachment_id,
                    purpose=purpose,
                )
            shown = await offload.run(documents.preview, content, page, zoom)
        except (service.EngineError, documents.DocumentError) as error:
            return self._refusal(error, lang)
        self.viewer_id, self.viewer_name, self.viewer_image = (
            attachment_id,
            content.filename,
            shown.image,
        )
        self.viewer_page, self.viewer_pages, self.viewer_zoom = shown.page, shown.pages, shown.zoom
        return None

    @rx.event
    @requires_on_resource("view")
    async def view_attachment(self, attachment_id: str) -> Any:
        """Open a PDF or image in the page (audited as a view, like a download)."""
        number = numerals.whole(str(attachment_id)) or 0
        refusal = await self._show(number, 1, 100, "view")
        if refusal is None:
            with session_scope() as session:
                self.history = service.history(
                    session,
                    principal=await self._principal(),
                    resource=self._resource(),
                    record_id=self.record_id,
                    lang=await self._lang(),
                )
        return refusal

    @rx.event
    @requires_on_resource("view")
    async def turn_page(self, step: int) -> Any:
        if not self.viewer_id or not isinstance(step, int):
            return None
        return await self._show(self.viewer_id, self.viewer_page + step, self.viewer_zoom, "")

    @rx.event
    @requires_on_resource("view")
    async def zoom_viewer(self, step: int) -> Any:
        if not self.viewer_id or not isinstance(step, int):
            return None
        zooms = documents.ZOOMS
        index = min(max(zooms.index(self.viewer_zoom) + step, 0), len(zooms) - 1)
        return await self._show(self.viewer_id, self.viewer_page, zooms[index], "")

    @rx.event
    @requires_on_resource("view")
    def close_viewer(self, _open: bool = False) -> None:
        self.viewer_id, self.viewer_image, self.viewer_name = 0, "", ""

    @rx.event
    @requires_on_resource("edit")
    async def remove_attachment(self, attachment_id: str) -> Any:
        resource = self._resource()
        principal = await self._principal()
        with self._write_scope() as session:
            attachments.archive(
                session,
                principal=principal,
                resource=resource,
                attachment_id=numerals.whole(str(attachment_id)) or 0,
            )
        await self._after_files(principal, resource)
        return rx.toast.success(translate("attachment.removed", await self._lang()))

    @rx.event
    @requires_on_resource("view")
    async def filter_ref(self, name: str, text: str) -> None:
        """Narrow a related-record picker to the records whose title starts with ``text``."""
        principal = await self._principal()
        resource = self._resource()
        spec = resource.field(str(name))
        if spec is None or spec.kind not in ("ref", "multi_ref"):
            return
        fields = list(self.fields)
        with session_scope() as session:
            for index, item in enumerate(fields):
                if item["name"] == spec.name:
                    fields[index] = {
                        **item,
                        "choices": ref_options(
                            session, principal, spec, str(text), str(item["text"])
                        ),
                    }
        self.fields = fields

    @rx.event
    @requires_on_resource("view")
    def toggle_link(self, name: str, record_id: str) -> None:
        """Tick or untick one linked record in a multi-record picker (saved with the form)."""
        fields = list(self.fields)
        for index, item in enumerate(fields):
            if item["name"] == str(name) and item["kind"] == "multi_ref":
                chosen = {i for i in str(item["text"]).split(",") if i}
                chosen ^= {str(record_id)} if numerals.is_digits(str(record_id)) else set()
                fields[index] = {**item, "text": ",".join(sorted(chosen, key=int))}
        self.fields = fields

    def _record_param(self) -> str:
        return str(self.router.url.query_parameters.get("id", ""))

    async def _fill(self, resource: Resource, record: Any, lang: str) -> None:
        principal = await self._principal()
        zone_settings = service.get_settings().zone
        self.attach_categories = [
            {"value": key, "label": resource.attachment_label(key, lang)}
            for key in resource.attachment_categories
        ]
        if self.attach_category not in {c["value"] for c in self.attach_categories}:
            self.attach_category = (
                self.attach_categories[0]["value"] if self.attach_categories else ""
            )
        with session_scope() as session:
            schema = service.schema_of(session, resource)
            values = (
                service.record_values(session, schema, record, principal)
                if record is not None
                else {}
            )
            self.fields = []
            controls = {f.shown_when[0] for f in schema.fields if f.shown_when}
            self.switches = {name: fieldlib.to_text(values.get(name)) for name in controls}
            for spec in schema.fields:
                value = values.get(spec.name)
                readable = service.can_read(principal, spec)
                self.fields.append(
                    {
                        "name": spec.name,
                        "controls": spec.name in controls,
                        "shown_by": spec.shown_when[0] if spec.shown_when else "",
                        "shown_for": list(spec.shown_when[1]) if spec.shown_when else [],
                        "label": spec.label(lang),
                        "kind": spec.kind,
                        "required": service.marks_required(principal, resource, spec, record),
                        "help": spec.help_text(lang),
                        "text": (
                            value.astimezone(zone_settings).strftime("%Y-%m-%d %H:%M")
                            if spec.kind == "datetime" and value is not None
                            else fieldlib.to_text(value)
                        )
                        if readable and not spec.one_way
                        else "",
                        "display": (
                            fieldlib.display(spec, value, lang, zone_settings)
                            if readable
                            else service.MASK
                        ),
                        "editable": service.field_editable(principal, resource, spec, record),
                        "choices": (
                            _choices(spec, lang)
                            if spec.kind in ("choice", "multi_choice")
                            else ref_options(
                                session, principal, spec, current=fieldlib.to_text(value)
                            )
                            if spec.kind in ("ref", "multi_ref") and readable
                            else []
                        ),
                    }
                )
                if spec.kind == "multi_ref" and readable:
                    chosen = set(str(value or "").split(","))
                    self.fields[-1]["display"] = (
                        "、".join(
                            c["label"] for c in self.fields[-1]["choices"] if c["value"] in chosen
                        )
                        or "—"
                    )
                if spec.person and value and readable:
                    self.fields[-1]["display"] = service.person_name(session, str(value), lang)
                if spec.kind == "ref" and value is not None and readable:
                    match = [
                        c["label"] for c in self.fields[-1]["choices"] if c["value"] == str(value)
                    ]
                    self.fields[-1]["display"] = match[0] if match else f"#{value}"
            if record is not None:
                self.transitions = (
                    [
                        {"key": k, "label": resource.workflow.get(k).label(lang)}
                        for k in service.available_transitions(
                            session, principal=principal, resource=resource, record=record
                        )
                    ]
                    if resource.workflow
                    else []
                )
                self.maker_note = (
                    translate("workflow.maker_checker", lang)
                    if service.barred_as_maker(
                        session, principal=principal, resource=resource, record=record
                    )
                    else ""
                )
                self._load_attachments(session, principal, resource, lang)
                self.summary = [
                    {"label": label, "value": value}
                    for label, value in (
                        resource.summary(session, record, lang, principal)
                        if resource.summary
                        else []
                    )
                ]
                self.history = service.history(
                    session, principal=principal, resource=resource, record_id=record.id, lang=lang
                )
        self.can_edit = principal.can(
            resource.permission, "create" if record is None else "edit"
        ) and (record is None or service.editable_now(resource, record))
        self.can_archive = resource.archivable and principal.can(resource.permission, "archive")

    @rx.event
    @requires_on_resource("view")
    async def open(self, key: str) -> Any:
        resource = get_resource(key)
        lang = await self._lang()
        principal = await self._principal()
        self.resource_key, self.errors, self.message = key, {}, ""
        self.viewer_id, self.viewer_image = 0, ""
        raw = self._record_param()
        if raw == "new":
            if not resource.creatable:
                return rx.toast.error(translate("record.not_creatable", lang))
            if not principal.can(resource.permission, "create"):
                return rx.toast.error(translate("auth.denied", lang))
            self.is_new, self.record_id, self.version, self.archived = True, 0, 0, False
            self.title = translate("record.new", lang) + " · " + resource.label(lang)
            self.transitions, self.history, self.state_label = [], [], ""
            self.maker_note = ""
            await self._fill(resource, None, lang)
            self.loaded = True
            return None
        try:
            record_id = int(raw)
            with session_scope() as session:
                record = service.load(
                    session, principal=principal, resource=resource, record_id=record_id
                )
        except (ValueError, service.EngineError):
            self.loaded, self.fields = False, []
            return rx.toast.error(translate("error.not_found", lang))
        # read-only tables (transactions) carry no version column
        self.is_new, self.record_id = False, record.id
        self.version = getattr(record, "version", 0)
        self.archived = getattr(record, "archived_at", None) is not None
        self.title = str(getattr(record, resource.title_field))
        self.state_label = (
            resource.field(resource.workflow.state_field).choice_text(
                getattr(record, resource.workflow.state_field), lang
            )
            if resource.workflow
            else ""
        )
        await self._fill(resource, record, lang)
        self.loaded = True
        return None

    async def _after(self, result: service.SaveResult, success_key: str) -> Any:
        lang = await self._lang()
        resource = self._resource()
        if result.errors:
            self.errors = {k: translate(v, lang) for k, v in result.errors.items()}
            self.message = translate("record.fix_errors", lang)
            return rx.toast.error(self.message)
        if result.message:
            self.message = translate(result.message, lang, **result.message_params)
            return rx.toast.error(self.message)
        self.errors, self.message = {}, ""
        toast = rx.toast.success(translate(success_key, lang))
        if self.is_new:
            return [toast, rx.redirect(f"{resource.route}/record?id={result.record_id}")]
        with session_scope() as session:
            record = service.load(
                session,
                principal=await self._principal(),
                resource=resource,
                record_id=self.record_id,
            )
        self.version = record.version
        self.archived = getattr(record, "archived_at", None) is not None
        self.title = str(getattr(record, resource.title_field))
        if resource.workflow:
            self.state_label = resource.field(resource.workflow.state_field).choice_text(
                getattr(record, resource.workflow.state_field), lang
            )
        await self._fill(resource, record, lang)
        return toast

    @rx.event
    @requires_on_resource("view")
    async def save(self, form_data: dict) -> Any:
        resource = self._resource()
        principal = await self._principal()
        action = "create" if self.is_new else "edit"
        if not principal.can(resource.permission, action):
            return rx.toast.error(translate("auth.denied", await self._lang()))
        values = {k: v for k, v in form_data.items() if isinstance(k, str) and "__" not in k}
        for item in self.fields:  # a multi-choice field arrives as one checkbox per option
            if item["kind"] == "multi_ref" and item["editable"]:
                values[item["name"]] = item["text"]  # kept in the state as ticked
            if item["kind"] == "multi_choice":
                values[item["name"]] = ",".join(
                    c["value"]
                    for c in item["choices"]
                    if form_data.get(f"{item['name']}__{c['value']}") in ("on", True, "true")
                )
        client = (await self.get_state(SessionState)).client
        with self._write_scope() as session:
            if self.is_new:
                result = service.create(
                    session, principal=principal, resource=resource, values=values, client=client
                )
            else:
                result = service.update(
                    session,
                    principal=principal,
                    resource=resource,
                    record_id=self.record_id,
                    version=self.version,
                    values=values,
                    client=client,
                )
            service.discard_if_refused(session, result)
        if "auth.step_up_required" in result.errors.values():  # e.g. a webhook's new address
            session_state = await self.get_state(SessionState)
            resume = (state_path(self), "save", [form_data])
            return await session_state._ask_step_up(resume, await self._lang())
        return await self._after(
            result, "record.saved_sent_back" if result.sent_back else "record.saved"
        )

    @rx.event
    @requires_on_resource("archive")
    async def set_archived(self, archived: bool) -> Any:
        principal = await self._principal()
        client = (await self.get_state(SessionState)).client
        with self._write_scope() as session:
            result = service.set_archived(
                session,
                principal=principal,
                resource=self._resource(),
                record_id=self.record_id,
                version=self.version,
                archived=bool(archived),
                client=client,
            )
        return await self._after(result, "record.archived_done" if archived else "record.restored")

    @rx.event
    @requires_on_resource("view")
    async def take(self, transition: str) -> Any:
        resource = self._resource()
        step = resource.workflow.get(str(transition)) if resource.workflow else None
        lang = await self._lang()
        if step is None:
            return rx.toast.error(translate("workflow.unknown", lang))
        session_state = await self.get_state(SessionState)
        refusal = await session_state._authorise(
            (resource.permission, step.action),
            f"{resource.key}.{step.key}",
            resume=(state_path(self), "take", [step.key]),
        )
        if refusal is not None:
            return refusal
        with self._write_scope() as session:
            result = service.transition(
                session,
                principal=session_state.principal,
                resource=resource,
                record_id=self.record_id,
                version=self.version,
                transition_key=step.key,
                client=session_state.client,
            )
        return await self._after(result, "workflow.done")


class ResourceImportState(StaffState, rx.State):
    """Upload → map columns → check every row (with progress) → commit all rows or none."""

    resource_key: str = ""
    title: str = ""
    file_name: str = ""
    columns: list[str] = []
    mapping: list[str] = []
    field_options: list[Choice] = []
    preview: list[list[str]] = []
    row_count: int = 0
    checked_rows: int = 0
    checking: bool = False
    checked: bool = False
    errors: list[ImportProblem] = []
    error_count: int = 0
    created: int = 0
    message: str = ""
    _file: Any = None
    _errors: list = []

    def _resource(self) -> Resource:
        resource = get_resource(self.resource_key)
        assert resource is not None
        return resource

    def _reset_check(self) -> None:
        self.checked, self.checking, self.checked_rows = False, False, 0
        self.errors, self.error_count, self.created, self._errors = [], 0, 0, []

    @rx.event
    @requires_on_resource("import")
    async def open(self, key: str) -> None:
        resource = get_resource(key)
        lang = await self._lang()
        self.resource_key = key
        self.title = translate("import.title", lang) + " · " + resource.label(lang)
        self.file_name, self.columns, self.mapping, self.preview = "", [], [], []
        self.row_count, self.message, self._file = 0, "", None
        self._reset_check()

    @rx.event
    @requires_on_resource("import")
    async def upload(self, files: list[rx.UploadFile]) -> Any:
        lang = await self._lang()
        principal = await self._principal()
        if not files:
            return None
        upload = files[0]
        try:
            if (upload.size or 0) > transfer.MAX_FILE_BYTES:
                raise service.EngineError("import.too_large")
            data = await upload.read()
            table = await offload.run(transfer.read_table, data, upload.name or "")
        except service.EngineError as error:
            self.message = translate(error.key, lang, **error.params)
            return rx.toast.error(self.message)
        with session_scope() as session:
            schema = service.schema_of(session, self._resource())
            fields = transfer.importable_fields(schema, principal)
        self._file = table
        self.file_name = upload.name or ""
        self.columns = table.columns
        self.mapping = transfer.suggest_mapping(fields, table.columns)
        self.field_options = [{"value": f.name, "label": f.label(lang)} for f in fields]
        self.preview = table.rows[:5]
        self.row_count = len(table.rows)
        self.message = ""
        self._reset_check()
        return None

    @rx.event
    @requires_on_resource("import")
    def set_mapping(self, index: int, name: str) -> None:
        if 0 <= int(index) < len(self.mapping):
            mapping = list(self.mapping)
            mapping[int(index)] = "" if name == "__none" else str(name)
            self.mapping = mapping
            self._reset_check()

    async def _run(self, commit: bool, rows: list[list[str]] | None = None) -> Any:
        caller = await self._caller()
        lang = caller.lang
        table = self._file if rows is None else transfer.ImportFile(self._file.columns, rows)
        principal, client = caller.principal, caller.client
        resource, mapping = self._resource(), list(self.mapping)

        def run() -> transfer.ImportCheck:
            with session_scope(write=commit) as session:
                check = transfer.run_import(
                    session,
                    principal=principal,
                    resource=resource,
                    file=table,
                    mapping=mapping,
                    lang=lang,
                    commit=commit,
                    client=client,
                )
                if commit:
                    service.discard_if_refused(session, check)
            return check

        try:
            check = await offload.run(run)
        except service.EngineError as error:
            self.message = translate(error.key, lang, **error.params)
            self.checking = False
            return None, rx.toast.error(self.message)
        return check, None

    @rx.event
    @requires_on_resource("import")
    async def check(self) -> Any:
        """Check the next chunk of rows; the event repeats itself until the file is done."""
        if self._file is None:
            return None
        if not self.checking:
            self._reset_check()
            self.checking = True
        start = self.checked_rows
        chunk = self._file.rows[start : start + transfer.CHUNK]
        result, refusal = await self._run(commit=False, rows=chunk)
        if refusal is not None:
            return refusal
        for error in result.errors:
            error.row += start
        self._errors = self._errors + result.errors
        self.checked_rows = start + len(chunk)
        self.error_count = len(self._errors)
        self.errors = [
            {"row": str(e.row), "field": e.field, "message": e.message, "value": e.value}
            for e in self._errors[:100]
        ]
        if self.checked_rows < len(self._file.rows):
            return ResourceImportState.check
        self.checking, self.checked = False, True
        return None

    @rx.event
    @requires_on_resource("import")
    async def commit(self) -> Any:
        lang = await self._lang()
        if not self.checked or self.error_count or self._file is None:
            return rx.toast.error(translate("import.check_first", lang))
        result, refusal = await self._run(commit=True)
        if refusal is not None:
            return refusal
        if not result.ok:  # something changed since the check (e.g. a duplicate appeared)
            self._errors = result.errors
            self.error_count = len(result.errors)
            self.errors = [
                {"row": str(e.row), "field": e.field, "message": e.message, "value": e.value}
                for e in result.errors[:100]
            ]
            return rx.toast.error(translate("import.nothing_imported", lang))
        self.created = result.created
        self._file = None
        return rx.toast.success(translate("import.done", lang, rows=result.created))

    @rx.event
    @requires_on_resource("import")
    async def download_errors(self) -> Any:
        lang = await self._lang()
        check = transfer.ImportCheck(rows=self.row_count, errors=self._errors)
        return rx.download(
            data=transfer.error_report(check, lang),
            filename=f"{self.resource_key}-import-errors.csv",
        )
