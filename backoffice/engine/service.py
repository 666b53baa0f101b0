"""What the engine does with a declared resource: list, read, create, edit, archive, restore,
workflow transitions and history — each checked against the declaration and the caller's
permissions, validated in full before anything is written, and audited in the same transaction.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backoffice.config import get_settings
from backoffice.engine import custom
from backoffice.engine import fields as fieldlib
from backoffice.engine.fields import FieldError, FieldSpec
from backoffice.engine.resource import COUNT_CAP, PAGE_SIZES, Resource
from backoffice.engine.resource import get as get_resource
from backoffice.i18n import Message, catalogue, translate
from backoffice.platform import audit, like, numerals, versioned
from backoffice.platform.business_time import local_times_in, shown_time
from backoffice.platform.refusal import Refusal
from backoffice.security import fields as secure_fields
from backoffice.security.rbac import Principal
from models.audit import AuditEntry
from models.base import utcnow

MASK = "******"
MAX_PAGE = 2_000  # deep offsets get slow; filters are the way further down a big list
RANGE_KINDS = ("int", "money", "percent", "decimal", "date", "datetime")


class EngineError(Refusal):
    """A refusal with an i18n key (permission, unknown record, stale version…)."""


# --- field access ---------------------------------------------------------------------------
def can_read(principal: Principal, spec: FieldSpec) -> bool:
    return spec.read_permission is None or principal.can(*spec.read_permission)


def can_edit(principal: Principal, resource: Resource, spec: FieldSpec) -> bool:
    if not spec.editable or not can_read(principal, spec):
        return False
    if resource.workflow and spec.name == resource.workflow.state_field:
        return False  # states change only through transitions
    return spec.edit_permission is None or principal.can(*spec.edit_permission)


def form_open(principal: Principal, resource: Resource, record: Any | None) -> bool:
    """Whether the caller may fill in the record's form: the create form (``record`` None),
    or the edit form of a record that is not archived and whose state allows edits."""
    if record is None:
        return principal.can(resource.permission, "create")
    return (
        principal.can(resource.permission, "edit")
        and editable_now(resource, record)
        and getattr(record, "archived_at", None) is None
    )


def field_editable(
    principal: Principal, resource: Resource, spec: FieldSpec, record: Any | None
) -> bool:
    """Whether the field is an input of the form (a fixed field only when creating)."""
    return can_edit(principal, resource, spec) and not (spec.fixed and record is not None)


def marks_required(
    principal: Principal, resource: Resource, spec: FieldSpec, record: Any | None
) -> bool:
    """A form marks a field required only where the caller fills it in: never a read-only,
    computed or workflow-set field, nor any field of a form the caller cannot save."""
    return (
        spec.required
        and field_editable(principal, resource, spec, record)
        and form_open(principal, resource, record)
    )


def person_name(session: Session, username: str, lang: str) -> str:
    """What staff see for a login held by a record (an assignee, who recorded it)."""
    return versioned.display_names(session, {username}, lang).get(username, username)


def _column(resource: Resource, name: str) -> sa.ColumnElement:
    return getattr(resource.model, name)


def stored_value(spec: FieldSpec, record: Any, principal: Principal | None = None) -> Any:
    """A built-in field's value on a record. An encrypted one is decrypted only for a caller
    who may read it (None when no caller is given: the engine's own comparisons); anyone else
    gets None and the cipher text is never opened."""
    if not spec.encrypted:
        return getattr(record, spec.name)
    if principal is not None and not can_read(principal, spec):
        return None
    token = getattr(record, spec.column)
    if not token:
        return None
    try:
        return fieldlib.parse(spec, secure_fields.decrypt(token))
    except FieldError:
        return None


def sealed(spec: FieldSpec, value: Any) -> str:
    """What an encrypted field's column stores for a value."""
    return secure_fields.encrypt(fieldlib.to_text(value)) if value not in (None, "") else ""


def audit_value(spec: FieldSpec, value: Any) -> str | None:
    """Audit entries never hold an encrypted field's clear value, only that it was set."""
    if spec.encrypted:
        return MASK if value not in (None, "") else ""
    return fieldlib.to_text(value)


@dataclass(frozen=True)
class Schema:
    """A resource's declared fields plus the custom fields administrators added."""

    resource: Resource
    fields: tuple[FieldSpec, ...]
    list_columns: tuple[str, ...]
    filters: tuple[str, ...]

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def filter_field(self, name: str) -> FieldSpec | None:
        """The spec a filter parses and shows its value with: the field's own, or for a
        lookup the referenced resource's field under the lookup's name."""
        lookup = self.resource.lookup(name)
        if lookup is None:
            return self.field(name)
        target = get_resource(self.resource.field(lookup.via).ref)  # type: ignore[union-attr]
        spec = target.field(lookup.target_field) if target else None
        if spec is None or spec.encrypted or not spec.in_row:
            return None
        return FieldSpec(**{**spec.__dict__, "name": lookup.name, "editable": False})

    @property
    def custom_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.custom)


def schema_of(session: Session, resource: Resource) -> Schema:
    definitions = custom.definitions(session, resource.key)
    extra = tuple(custom.spec_of(d) for d in definitions)
    in_list = tuple(custom.PREFIX + d.name for d in definitions if d.in_list)
    return Schema(
        resource,
        resource.fields + extra,
        resource.list_columns + in_list,
        resource.filters + tuple(f.name for f in extra) + tuple(x.name for x in resource.lookups),
    )


# --- lists ----------------------------------------------------------------------------------
@dataclass
class ListQuery:
    page: int = 1
    page_size: int = PAGE_SIZES[0]
    sort: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    search: str = ""
    archived: bool = False
    queue: str = ""

    def to_params(self) -> dict[str, str]:
        params = dict(self.filters)
        if self.queue:
            params["queue"] = self.queue
        if self.search:
            params["q"] = self.search
        if self.sort:
            params["sort"] = self.sort
        if self.page > 1:
            params["page"] = str(self.page)
        if self.page_size != PAGE_SIZES[0]:
            params["size"] = str(self.page_size)
        if self.archived:
            params["archived"] = "1"
        return params


def filter_keys(schema: Schema) -> set[str]:
    keys = set()
    for name in schema.filters:
        spec = schema.filter_field(name)
        if spec and spec.kind in RANGE_KINDS:
            keys |= {f"{name}__min", f"{name}__max"}
        else:
            keys.add(name)
    return keys


def parse_query(schema: Schema, params: Mapping[str, str]) -> ListQuery:
    """Read a list view from URL parameters; anything not declared is dropped."""
    query = ListQuery()
    allowed = filter_keys(schema)
    for key, value in params.items():
        value = str(value)[:200]
        if key in allowed and value != "":
            query.filters[key] = value
    query.search = _storable(str(params.get("q", ""))[:100]).strip()
    sort = str(params.get("sort", ""))
    if sort.lstrip("-") in sortable(schema.resource):
        query.sort = sort
    query.page = max(1, min(numerals.whole(str(params.get("page", 1))) or 1, MAX_PAGE))
    size = numerals.whole(str(params.get("size", PAGE_SIZES[0])))
    query.page_size = size if size in PAGE_SIZES else PAGE_SIZES[0]
    query.archived = str(params.get("archived", "")) == "1"
    queue = str(params.get("queue", ""))
    query.queue = queue if schema.resource.queue(queue) else ""
    return query


def _storable(text: str) -> str:
    """The text without what no database takes in a query (NUL, lone surrogates)."""
    return text.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")


def parse_columns(schema: Schema, raw: str) -> list[str]:
    """The columns a view asks for (``cols=a,b``), limited to declared or custom fields."""
    names = [n for n in str(raw)[:1000].split(",") if n]
    allowed = {f.name for f in schema.fields if f.in_row}
    seen: list[str] = []
    for name in names:
        if name in allowed and name not in seen:
            seen.append(name)
    return seen[:20]


def sortable(resource: Resource) -> set[str]:
    sealed_fields = {f.name for f in resource.fields if f.encrypted}
    return {*resource.list_columns, "id", "created_at", "updated_at"} - sealed_fields


@dataclass
class ListPage:
    rows: list[dict[str, str]]
    total: int
    capped: bool
    page: int
    page_size: int
    errors: list[str] = field(default_factory=list)
    has_next: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _base_select(resource: Resource, principal: Principal, archived: bool) -> sa.Select:
    query = select(resource.model)
    if resource.archivable and hasattr(resource.model, "archived_at"):
        archived_col = _column(resource, "archived_at")
        query = query.where(archived_col.is_not(None) if archived else archived_col.is_(None))
    if resource.row_scope is not None:
        scope = resource.row_scope(principal)
        if scope is not None:
            query = query.where(scope)
    return query


def _apply_filters(
    session: Session,
    schema: Schema,
    principal: Principal,
    query: sa.Select,
    list_query: ListQuery,
) -> tuple[sa.Select, list[str]]:
    resource = schema.resource
    errors = []
    for key, raw in list_query.filters.items():
        name, _, bound = key.partition("__")
        spec = schema.filter_field(name)
        if spec is None or not can_read(principal, spec):
            continue
        try:
            value = fieldlib.parse(
                FieldSpec(
                    **{
                        **spec.__dict__,
                        "required": True,
                        "validator": None,
                        "min_value": None,
                        "max_value": None,
                    }
                ),
                raw,
            )
        except FieldError:
            errors.append(name)
            continue
        if not spec.custom and column_problem(resource, spec, value):
            errors.append(name)  # wider than the column: no row can match, and PostgreSQL
            continue  # would refuse the comparison
        if spec.custom:
            query = query.where(
                custom.condition(session, resource.key, _column(resource, "id"), spec, bound, value)
            )
            continue
        lookup = resource.lookup(name)
        if lookup is not None:
            query = query.where(_through(resource, lookup, bound, value))
            continue
        column = _column(resource, name)
        if spec.kind == "multi_choice":
            query = query.where(contains_choices(column, value))
            continue
        if bound == "min":
            query = query.where(column >= value)
        elif bound == "max":
            query = query.where(column <= value)
        else:
            query = query.where(column == value)
    if list_query.search and resource.search_fields:
        query = query.where(_search(resource, list_query.search))
    return query, errors


def _through(resource: Resource, lookup: Any, bound: str, value: Any) -> sa.ColumnElement[bool]:
    """``via IN (SELECT id FROM target WHERE target.field <op> value)``."""
    target = get_resource(resource.field(lookup.via).ref)  # type: ignore[union-attr]
    column = _column(target, lookup.target_field)  # type: ignore[arg-type]
    condition = column >= value if bound == "min" else column <= value if bound == "max" else None
    if condition is None:
        condition = column == value
    ids = sa.select(_column(target, "id")).where(condition)  # type: ignore[arg-type]
    return _column(resource, lookup.via).in_(ids)


def contains_choices(column: sa.ColumnElement, value: str) -> sa.ColumnElement[bool]:
    """A multi-choice column ("a,b,c") holding every one of the given choices."""
    wrapped = sa.literal(",") + column + sa.literal(",")
    return sa.and_(*[like.contains(wrapped, f",{v},") for v in value.split(",") if v])


def _search(resource: Resource, text: str) -> sa.ColumnElement[bool]:
    """Prefix match on the search fields, as typed and in upper case (codes are upper case).

    A prefix LIKE can use the column's index (on SQLite with case_sensitive_like, see db.py),
    so a search stays fast on millions of rows. Wildcards typed in the search are escaped: they
    match themselves only.
    """
    needle = text.strip()
    variants = list(dict.fromkeys([needle, needle.upper()]))
    conditions = [
        like.starts_with(_column(resource, name), variant)
        for name in resource.search_fields
        for variant in variants
        if variant
    ]
    return sa.or_(*conditions) if conditions else sa.true()


def _order(resource: Resource, sort: str) -> list[sa.ColumnElement]:
    sort = sort or resource.default_sort
    name = sort.lstrip("-")
    column = _column(resource, name)
    primary = column.desc() if sort.startswith("-") else column.asc()
    tie = _column(resource, "id")
    return [primary, tie.desc() if sort.startswith("-") else tie.asc()]


def column_label(schema: Schema, name: str, lang: str) -> str:
    """A list column's header: the field's label, or for the engine's own columns (id, when
    recorded, updated) their catalogue label; never the column name."""
    spec = schema.field(name)
    if spec is not None:
        return spec.label(lang)
    return translate(f"list.column.{name}", lang)


def display_row(
    schema: Schema,
    principal: Principal,
    record: Any,
    lang: str,
    columns: tuple[str, ...],
    custom_values: dict[str, str] | None = None,
) -> dict[str, str]:
    zone = get_settings().zone
    row = {"id": str(record.id)}
    for name in columns:
        spec = schema.field(name)
        if spec is not None and spec.custom:
            raw = (custom_values or {}).get(name)
            try:
                value = fieldlib.parse(spec, raw) if raw is not None else None
            except FieldError:
                value = raw  # a value stored before the field's rules changed
        elif spec is not None:
            value = stored_value(spec, record, principal)
        else:
            value = getattr(record, name)
        if spec is None:
            row[name] = (
                value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                if isinstance(value, datetime)
                else fieldlib.to_text(value)
            )
        elif not can_read(principal, spec):
            row[name] = MASK
        else:
            row[name] = fieldlib.display(spec, value, lang, zone)
    return row


def filtered_select(
    session: Session, *, principal: Principal, schema: Schema, query: ListQuery
) -> tuple[sa.Select, list[str]]:
    """The SELECT behind a list view (permissions, row scope, archive, filters, search)."""
    resource = schema.resource
    if not principal.can(resource.permission, "view"):
        raise EngineError("auth.denied")
    if query.archived and not principal.can(resource.permission, "archive"):
        raise EngineError("auth.denied")
    sorted_by = schema.field(query.sort.lstrip("-")) if query.sort else None
    if sorted_by is not None and not can_read(principal, sorted_by):
        query.sort = ""  # the order of a hidden field would tell its values: the default order
    base = _base_select(resource, principal, query.archived)
    queue = resource.queue(query.queue)
    if queue is not None:
        base = base.where(queue.condition(principal))
    return _apply_filters(session, schema, principal, base, query)


def queue_counts(session: Session, *, principal: Principal, resource: Resource) -> dict[str, int]:
    """How many records each queue holds (capped like list counts)."""
    counts = {}
    for queue in resource.queues:
        base = _base_select(resource, principal, False).where(queue.condition(principal))
        counts[queue.key] = session.execute(
            sa.select(sa.func.count()).select_from(
                base.with_only_columns(sa.literal(1), maintain_column_froms=True)
                .limit(COUNT_CAP + 1)
                .subquery()
            )
        ).scalar_one()
    return counts


def _show_ref_titles(
    session: Session,
    schema: Schema,
    records: list[Any],
    rows: list[dict[str, str]],
    columns: tuple[str, ...],
    lang: str = "zh",
) -> None:
    """Replace the ids of related records by their titles, one query per related resource,
    and logins by the people's names."""
    for name in columns:
        spec = schema.field(name)
        if spec is not None and spec.person:
            names = versioned.display_names(
                session, {str(getattr(r, name) or "") for r in records}, lang
            )
            for record, row in zip(records, rows, strict=True):
                if row.get(name) not in (MASK, "—"):
                    row[name] = names.get(str(getattr(record, name)), row[name])
            continue
        target = get_resource(spec.ref) if spec is not None and spec.kind == "ref" else None
        if target is None:
            continue
        ids = {getattr(r, name) for r in records if getattr(r, name, None) is not None}
        if not ids:
            continue
        titles = dict(
            session.execute(
                sa.select(_column(target, "id"), _column(target, target.title_field)).where(
                    _column(target, "id").in_(ids)
                )
            ).all()
        )
        for record, row in zip(records, rows, strict=True):
            if row.get(name) not in (MASK, "—"):
                title = titles.get(getattr(record, name))
                row[name] = title_text(target, title, lang) if title is not None else row[name]


def title_text(resource: Resource, title: Any, lang: str) -> str:
    """A record's title as text: a choice by its label, a date or amount formatted."""
    spec = resource.field(resource.title_field)
    if spec is None or title in (None, ""):
        return str(title if title is not None else "")
    return fieldlib.display(spec, title, lang, get_settings().zone)


def list_page(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    query: ListQuery,
    lang: str = "zh",
    columns: tuple[str, ...] | None = None,
    schema: Schema | None = None,
) -> ListPage:
    """One page of rows, filtered, searched, sorted and counted in SQL."""
    schema = schema or schema_of(session, resource)
    filtered, errors = filtered_select(session, principal=principal, schema=schema, query=query)
    counted = session.execute(
        sa.select(sa.func.count()).select_from(
            filtered.with_only_columns(sa.literal(1), maintain_column_froms=True)
            .limit(COUNT_CAP + 1)
            .subquery()
        )
    ).scalar_one()
    capped = counted > COUNT_CAP
    total = min(counted, COUNT_CAP)
    # Past the counted rows a capped list still pages on ("next"), as far as MAX_PAGE.
    page = query.page if capped else min(query.page, max(1, -(-total // query.page_size)))
    fetched = session.exec(
        filtered.order_by(*_order(resource, query.sort))
        .offset((page - 1) * query.page_size)
        .limit(query.page_size + 1)
    ).all()
    records, has_next = fetched[: query.page_size], len(fetched) > query.page_size
    wanted = columns or schema.list_columns
    values = (
        custom.values_for(session, resource.key, [r.id for r in records])
        if any(n.startswith(custom.PREFIX) for n in wanted)
        else {}
    )
    rows = [display_row(schema, principal, r, lang, wanted, values.get(r.id)) for r in records]
    _show_ref_titles(session, schema, records, rows, wanted, lang)
    return ListPage(rows, total, capped, page, query.page_size, errors, has_next)


# --- keyset pages (the API's cursors) ---------------------------------------------------------
def sort_order(resource: Resource, sort: str) -> tuple[str, bool]:
    """(the sorted column, descending) of a list view's sort (the resource's default when
    blank); the record id breaks ties in the same direction."""
    sort = sort or resource.default_sort
    return sort.lstrip("-"), sort.startswith("-")


def _nullable(resource: Resource, name: str) -> bool:
    table = getattr(resource.model, "__table__", None)
    column = table.c.get(name) if table is not None else None
    return column is None or bool(column.nullable)


def page_after(
    session: Session,
    *,
    principal: Principal,
    schema: Schema,
    query: ListQuery,
    after: tuple[Any, int] | None,
    limit: int,
) -> tuple[list[Any], bool, list[str]]:
    """Up to ``limit`` records of a list view (filters, search, queue, row scope as
    :func:`filtered_select`) that come after ``after`` — the sort value and id of the last
    record of the previous page — in the view's order: (records, more follow, filter errors).
    Keyset paging: the WHERE starts where the last page ended, so a page deep in a table of
    millions costs what the first one does (no OFFSET), and rows inserted meanwhile neither
    repeat nor push others out. Empty values sort last in every database."""
    resource = schema.resource
    filtered, errors = filtered_select(session, principal=principal, schema=schema, query=query)
    name, descending = sort_order(resource, query.sort)
    column, tie = _column(resource, name), _column(resource, "id")
    nullable = name != "id" and _nullable(resource, name)

    def beyond(col: Any, value: Any) -> sa.ColumnElement[bool]:
        return col < value if descending else col > value

    def reached(col: Any, value: Any) -> sa.ColumnElement[bool]:
        return col <= value if descending else col >= value

    if after is not None:
        value, last_id = after
        if name == "id":
            condition = beyond(tie, last_id)
        elif value is None:
            condition = sa.and_(column.is_(None), beyond(tie, last_id))
        else:
            # "at or past the value, and past it or past the id": the leading range lets every
            # database seek its index on (column, id) instead of reading it from the top
            condition = sa.and_(
                reached(column, value), sa.or_(beyond(column, value), beyond(tie, last_id))
            )
            if nullable:
                condition = sa.or_(condition, column.is_(None))
        filtered = filtered.where(condition)
    order = [column.is_(None)] if nullable else []
    order += [column.desc(), tie.desc()] if descending else [column.asc(), tie.asc()]
    fetched = session.exec(filtered.order_by(*order).limit(limit + 1)).all()
    return list(fetched[:limit]), len(fetched) > limit, errors


# --- one record -----------------------------------------------------------------------------
def load(session: Session, *, principal: Principal, resource: Resource, record_id: int) -> Any:
    """The record if it exists and the caller may see it (row scope included)."""
    if not principal.can(resource.permission, "view"):
        raise EngineError("auth.denied")
    if not fieldlib.is_id(record_id):
        raise EngineError("error.not_found")
    query = select(resource.model).where(_column(resource, "id") == record_id)
    if resource.row_scope is not None:
        scope = resource.row_scope(principal)
        if scope is not None:
            query = query.where(scope)
    record = session.exec(query).first()
    if record is None:
        raise EngineError("error.not_found")
    return record


def record_values(
    session: Session, schema: Schema, record: Any, principal: Principal | None = None
) -> dict[str, Any]:
    """Every field's typed value for one record, custom fields included; with a caller, the
    encrypted fields they may not read are None (see :func:`stored_value`)."""
    extra = custom.values_for(session, schema.resource.key, [record.id]).get(record.id, {})
    values = {}
    for spec in schema.fields:
        if spec.custom:
            raw = extra.get(spec.name)
            try:
                values[spec.name] = fieldlib.parse(spec, raw) if raw is not None else None
            except FieldError:
                values[spec.name] = raw
        elif spec.kind == "multi_ref":
            values[spec.name] = linked_ids(session, spec, record.id)
        else:
            values[spec.name] = stored_value(spec, record, principal)
    return values


def linked_ids(session: Session, spec: FieldSpec, record_id: int) -> str:
    """The ids a multi_ref field links a record to, as "3,5,7"."""
    link, own, other = spec.link  # type: ignore[misc]
    ids = session.execute(
        sa.select(getattr(link, other)).where(getattr(link, own) == record_id)
    ).scalars()
    return ",".join(str(i) for i in sorted(ids))


def _save_links(session: Session, resource: Resource, record_id: int, links: dict) -> None:
    for name, text in links.items():
        spec = resource.field(name)
        link, own, other = spec.link  # type: ignore[union-attr,misc]
        wanted = {int(i) for i in str(text).split(",") if i}
        have = {int(i) for i in linked_ids(session, spec, record_id).split(",") if i}
        if have - wanted:
            session.execute(
                sa.delete(link).where(
                    getattr(link, own) == record_id, getattr(link, other).in_(have - wanted)
                )
            )
        for other_id in sorted(wanted - have):
            session.add(link(**{own: record_id, other: other_id}))
        session.flush()


def _ref_exists(session: Session, spec: FieldSpec, value: int) -> bool:
    target = get_resource(spec.ref)
    if target is None:
        return False
    query = sa.select(_column(target, "id")).where(_column(target, "id") == value)
    return session.execute(query).first() is not None


def column_problem(resource: Resource, spec: FieldSpec, value: Any) -> str | None:
    """Why a parsed value does not fit the model's column (an i18n key), or None: a text
    longer than its VARCHAR, a number wider than its NUMERIC or INTEGER. The database would
    refuse it (PostgreSQL, MariaDB) or keep it unchecked (SQLite); the form shows it instead."""
    if value is None or spec.custom or spec.encrypted or spec.one_way or not spec.in_row:
        return None
    if spec.kind == "ref":  # parsing already bounds ids (fields.MAX_ID)
        return None
    table = getattr(resource.model, "__table__", None)
    column = table.c.get(spec.column) if table is not None else None
    if column is None:
        return None
    kind = column.type
    if isinstance(value, str) and isinstance(kind, sa.String) and kind.length:
        return "field.too_long" if len(value) > kind.length else None
    if isinstance(value, Decimal) and isinstance(kind, sa.Numeric) and kind.precision:
        whole = kind.precision - (kind.scale or 0)
        return "field.too_large" if abs(value) >= Decimal(10) ** whole else None
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and isinstance(kind, sa.Integer)
        and not isinstance(kind, sa.BigInteger)
    ):
        return "field.too_large" if abs(value) > fieldlib.MAX_ID else None  # INTEGER: 32 bits
    return None


def validate(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    values: Mapping[str, Any],
    creating: bool,
    schema: Schema | None = None,
    current: Mapping[str, Any] | None = None,
    record_id: int | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse every editable field; returns (clean values, {field: i18n key}). ``record_id``:
    the record being edited (a unique field's value is its own, not another's)."""
    schema = schema or schema_of(session, resource)
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in schema.fields:
        if not can_edit(principal, resource, spec):
            continue
        if spec.name not in values and not creating:
            continue
        if not creating and (spec.fixed or spec.one_way):
            sent = fieldlib.to_text(values.get(spec.name)).strip()
            if spec.one_way and not sent:
                continue  # a blank one-way field keeps the stored hash
            if spec.fixed and sent != fieldlib.to_text((current or {}).get(spec.name)):
                errors[spec.name] = "field.fixed"
                continue
            if spec.fixed:
                continue
        try:
            value = fieldlib.parse(spec, values.get(spec.name))
            if spec.one_way and value:
                value = secure_fields.blind_index(value, spec.one_way)
            problem = column_problem(resource, spec, value)
            if problem:
                raise FieldError(problem)
            if spec.kind == "ref" and value is not None and not _ref_exists(session, spec, value):
                raise FieldError("field.not_found")
            if spec.kind == "multi_ref" and not all(
                _ref_exists(session, spec, int(i)) for i in value.split(",") if i
            ):
                raise FieldError("field.not_found")
            clean[spec.name] = value
        except FieldError as error:
            errors[spec.name] = error.key
    if creating:
        for spec in schema.fields:
            if (
                spec.required
                and spec.shown_when is None
                and spec.name not in clean
                and spec.name not in errors
                and not (resource.workflow and spec.name == resource.workflow.state_field)
            ):
                errors[spec.name] = (
                    "field.required"
                    if can_edit(principal, resource, spec)
                    else "field.not_editable"
                )
    _apply_conditions(principal, resource, schema, clean, errors, current, values, creating)
    for spec in schema.fields:
        if (
            spec.unique
            and clean.get(spec.name) not in (None, "")
            and spec.name not in errors
            and _held_by_another(session, resource, spec, clean[spec.name], record_id)
        ):
            errors[spec.name] = "field.taken"
    if resource.validator is not None and not errors:
        errors.update(resource.validator({**(current or {}), **clean}))
    if resource.db_validator is not None and not errors:
        errors.update(resource.db_validator(session, principal, {**(current or {}), **clean}))
    return clean, errors


def _held_by_another(
    session: Session, resource: Resource, spec: FieldSpec, value: Any, record_id: int | None
) -> bool:
    """Whether a record other than ``record_id`` (archived ones too) holds the value."""
    column = getattr(resource.model, spec.column)
    query = sa.select(resource.model.id).where(column == value)
    if record_id is not None:
        query = query.where(resource.model.id != record_id)
    return session.execute(query.limit(1)).first() is not None


def _apply_conditions(
    principal: Principal,
    resource: Resource,
    schema: Schema,
    clean: dict[str, Any],
    errors: dict[str, str],
    current: Mapping[str, Any] | None,
    sent: Mapping[str, Any],
    creating: bool,
) -> None:
    """Fields that apply only to some records (``shown_when``): cleared and never required
    where they do not apply, required where they do and are marked so (on an edit, when the
    field or the one it depends on was sent, as any required field)."""
    merged = {**(current or {}), **clean}
    for spec in schema.fields:
        if spec.shown_when is None or not can_edit(principal, resource, spec):
            continue
        if not spec.applies(merged):
            errors.pop(spec.name, None)
            if merged.get(spec.name) not in (None, ""):
                clean[spec.name] = None
            else:
                clean.pop(spec.name, None)
        elif (
            spec.required
            and (creating or spec.name in sent or spec.shown_when[0] in sent)
            and merged.get(spec.name) in (None, "")
            and spec.name not in errors
        ):
            errors[spec.name] = "field.required"


def _split(
    resource: Resource, clean: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(model columns, custom fields, linked records); encrypted values are sealed here."""
    links = {f.name for f in resource.fields if not f.in_row}
    sealed_fields = {f.name: f for f in resource.fields if f.encrypted}
    columns = {
        (sealed_fields[k].column if k in sealed_fields else k): (
            sealed(sealed_fields[k], v) if k in sealed_fields else v
        )
        for k, v in clean.items()
        if not k.startswith(custom.PREFIX) and k not in links
    }
    extra = {k: v for k, v in clean.items() if k.startswith(custom.PREFIX)}
    return columns, extra, {k: v for k, v in clean.items() if k in links}


@dataclass
class SaveResult:
    record_id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    message_params: dict[str, Any] = field(default_factory=dict)
    sent_back: bool = False  # the edit sent a record awaiting approval back to preparation

    @property
    def ok(self) -> bool:
        return not self.errors and not self.message


def discard_if_refused(session: Session, result: Any) -> None:
    """A refused save or transition leaves nothing behind: what it flushed before refusing
    is rolled back, so the caller's unit of work commits nothing."""
    if not result.ok:
        session.rollback()


def _changes(
    resource: Resource, before: dict[str, Any], after: dict[str, Any]
) -> dict[str, list[Any]]:
    changed = {}
    for name, value in after.items():
        if fieldlib.to_text(before.get(name)) == fieldlib.to_text(value):
            continue
        spec = resource.field(name)
        if spec is not None and spec.encrypted:
            changed[name] = [audit_value(spec, before.get(name)), audit_value(spec, value)]
        else:
            changed[name] = [fieldlib.to_text(before.get(name)), fieldlib.to_text(value)]
    return changed


def create(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    values: Mapping[str, Any],
    client: str = "",
    schema: Schema | None = None,
) -> SaveResult:
    if not principal.can(resource.permission, "create"):
        raise EngineError("auth.denied")
    if not resource.creatable:
        raise EngineError("record.not_creatable")
    clean, errors = validate(
        session,
        principal=principal,
        resource=resource,
        values=values,
        creating=True,
        schema=schema,
    )
    if errors:
        return SaveResult(errors=errors)
    if resource.before_create is not None:
        problems = resource.before_create(session, principal, clean)
        if problems:
            return SaveResult(errors=problems)
    if resource.workflow:
        clean[resource.workflow.state_field] = resource.workflow.initial
    columns, extra, links = _split(resource, clean)
    record = resource.model(**columns)
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        return SaveResult(message="record.not_unique")
    custom.save_values(session, resource.key, record.id, extra)
    _save_links(session, resource, record.id, links)
    if resource.after_create is not None:
        resource.after_create(session, principal, record)
    audit.record(
        session,
        actor=principal.username,
        action=f"{resource.key}.create",
        entity=resource.key,
        entity_id=record.id,
        changes={
            k: [None, audit_value(spec, v) if (spec := resource.field(k)) else fieldlib.to_text(v)]
            for k, v in clean.items()
            if v not in (None, "")
        },
        client=client,
    )
    return SaveResult(record_id=record.id)


def _stale(session: Session, resource: Resource, record_id: int) -> SaveResult:
    refusal = versioned.stale(session, resource.key, record_id)
    return SaveResult(record_id=record_id, message=refusal.key, message_params=refusal.params)


def _write(
    session: Session,
    resource: Resource,
    record: Any,
    version: int,
    values: dict[str, Any],
    *,
    actor: str,
    action: str,
    changes: dict[str, Any],
    client: str = "",
) -> bool:
    """The versioned write (``platform.versioned``), audited; False when the version missed."""
    try:
        versioned.write_versioned(
            session,
            resource.model,
            record,
            version,
            values,
            actor=actor,
            action=action,
            entity=resource.key,
            changes=changes,
            client=client,
        )
    except versioned.StaleRecord:
        return False
    return True


def editable_now(resource: Resource, record: Any) -> bool:
    workflow = resource.workflow
    return workflow is None or workflow.editable(getattr(record, workflow.state_field))


def back_to_preparation(resource: Resource, record: Any) -> dict[str, str]:
    """{state field: the return state} when the record waits for approval and an edit must
    send it back (its approval request is void), else {}."""
    workflow = resource.workflow
    if workflow is None:
        return {}
    state = getattr(record, workflow.state_field)
    if state not in workflow.awaiting_approval or state == workflow.back_state:
        return {}
    return {workflow.state_field: workflow.back_state}


def send_back_for_content(session: Session, resource: Resource, record: Any) -> dict[str, list]:
    """For a content change made outside ``update`` (an attachment): the record waiting for
    approval goes back to preparation; returns the state change for the caller's audit
    entry (empty when nothing moved)."""
    moved = back_to_preparation(resource, record)
    if not moved:
        return {}
    workflow = resource.workflow
    assert workflow is not None
    before = getattr(record, workflow.state_field)
    table = resource.model.__table__  # type: ignore[attr-defined]
    result = session.execute(
        sa.update(table)
        .where(table.c.id == record.id, table.c[workflow.state_field] == before)
        .values(**moved, version=table.c.version + 1, updated_at=utcnow())
    )
    session.expire(record)
    if result.rowcount != 1:
        return {}
    return {workflow.state_field: [before, workflow.back_state]}


def update(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    record_id: int,
    version: int,
    values: Mapping[str, Any],
    client: str = "",
) -> SaveResult:
    if not principal.can(resource.permission, "edit"):
        raise EngineError("auth.denied")
    record = load(session, principal=principal, resource=resource, record_id=record_id)
    if getattr(record, "archived_at", None) is not None:
        return SaveResult(record_id=record_id, message="record.archived")
    if record.version != version:
        return _stale(session, resource, record_id)
    if not editable_now(resource, record):
        return SaveResult(record_id=record_id, message="workflow.not_editable")
    current_schema = schema_of(session, resource)
    clean, errors = validate(
        session,
        principal=principal,
        resource=resource,
        values=values,
        creating=False,
        schema=current_schema,
        current=record_values(session, current_schema, record),
        record_id=record_id,
    )
    if errors:
        return SaveResult(record_id=record_id, errors=errors)
    stored_extra = custom.values_for(session, resource.key, [record_id]).get(record_id, {})
    stored = record_values(session, current_schema, record)
    before = {
        name: stored_extra.get(name) if name.startswith(custom.PREFIX) else stored[name]
        for name in clean
    }
    changes = _changes(resource, before, clean)
    if not changes:
        return SaveResult(record_id=record_id)
    if resource.edit_guard is not None:
        refused = resource.edit_guard(record, {k: clean[k] for k in changes})
        if refused:
            return SaveResult(record_id=record_id, errors=refused)
    if resource.change_guard is not None:
        refused = resource.change_guard(principal, record, {k: clean[k] for k in changes})
        if refused:
            return SaveResult(record_id=record_id, errors=refused)
    columns, extra, links = _split(resource, {k: v for k, v in clean.items() if k in changes})
    moved = back_to_preparation(resource, record)
    if moved:  # an edit voids the approval request: back to preparation in the same write
        state_field = next(iter(moved))
        changes[state_field] = [getattr(record, state_field), moved[state_field]]
        columns.update(moved)
    try:
        with session.begin_nested():
            written = _write(
                session,
                resource,
                record,
                version,
                columns,
                actor=principal.username,
                action=f"{resource.key}.edit",
                changes=changes,
                client=client,
            )
    except IntegrityError:
        return SaveResult(record_id=record_id, message="record.not_unique")
    if not written:
        return _stale(session, resource, record_id)
    custom.save_values(session, resource.key, record_id, extra)
    _save_links(session, resource, record_id, links)
    if resource.after_update is not None:
        resource.after_update(session, principal, record)  # expired by _write: reads afresh
    return SaveResult(record_id=record_id, sent_back=bool(moved))


def set_archived(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    record_id: int,
    version: int,
    archived: bool,
    client: str = "",
) -> SaveResult:
    if not resource.archivable or not principal.can(resource.permission, "archive"):
        raise EngineError("auth.denied")
    record = load(session, principal=principal, resource=resource, record_id=record_id)
    if (record.archived_at is not None) == archived:
        return SaveResult(record_id=record_id)
    if record.version != version:
        return _stale(session, resource, record_id)
    change = {"archived_at": utcnow() if archived else None}
    if resource.edit_guard is not None:
        refused = resource.edit_guard(record, change)
        if refused:
            return SaveResult(record_id=record_id, message=next(iter(refused.values())))
    if not _write(
        session,
        resource,
        record,
        version,
        change,
        actor=principal.username,
        action=f"{resource.key}.{'archive' if archived else 'restore'}",
        changes={"archived": [not archived, archived]},
        client=client,
    ):
        return _stale(session, resource, record_id)
    return SaveResult(record_id=record_id)


# --- workflow -------------------------------------------------------------------------------
CONTENT_VERBS = ("create", "edit", "attach", "detach")


def _trail(session: Session, entity: str, ids: list[str]) -> list[tuple[int, str, str]]:
    """(entry id, verb, actor) of the audit entries on those records, oldest first."""
    if not ids:
        return []
    rows = session.execute(
        sa.select(AuditEntry.id, AuditEntry.action, AuditEntry.actor).where(
            AuditEntry.entity == entity, AuditEntry.entity_id.in_(ids)
        )
    ).all()
    return sorted((i, action.removeprefix(f"{entity}."), actor) for i, action, actor in rows)


def makers(session: Session, resource: Resource, record: Any) -> set[str]:
    """Who created, changed or submitted the record's content since it was last approved,
    read from the audit trail: the record's own entries and, since it was made, those of its
    content parts."""
    workflow = resource.workflow
    if workflow is None:
        return set()
    own = _trail(session, resource.key, [str(record.id)])
    made_at = own[0][0] if own else 0
    trail = [(i, verb, actor, None) for i, verb, actor in own]
    for part in workflow.content_parts:
        part_resource = get_resource(part.resource)
        value = getattr(record, part.matches, None)
        if part_resource is None or value is None:
            continue
        part_ids = session.execute(
            sa.select(_column(part_resource, "id")).where(_column(part_resource, part.via) == value)
        ).scalars()
        trail += [
            (entry_id, verb, actor, part)
            for entry_id, verb, actor in _trail(session, part.resource, [str(p) for p in part_ids])
            if entry_id > made_at
        ]
    found: set[str] = set()
    for _entry_id, verb, actor, part in sorted(trail, key=lambda entry: entry[0]):
        if part is not None:
            if verb in part.verbs:
                found.add(actor)
        elif verb.startswith("transition."):
            step = workflow.get(verb.removeprefix("transition."))
            if step is not None and workflow.submits(step):
                found.add(actor)
            elif step is not None and workflow.closes_round(step):
                found.clear()
        elif verb in CONTENT_VERBS or verb in workflow.content_actions:
            found.add(actor)
    return found


def barred_as_maker(
    session: Session, *, principal: Principal, resource: Resource, record: Any
) -> bool:
    """The caller holds the right for an approving step from the record's state but made its
    content since its last approval (the record page says why the step is not offered)."""
    workflow = resource.workflow
    if workflow is None:
        return False
    held = [
        t
        for t in workflow.available_from(getattr(record, workflow.state_field))
        if t.checks_maker and principal.can(resource.permission, t.action)
    ]
    return bool(held) and principal.username in makers(session, resource, record)


def transition_problem(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    record: Any,
    transition_key: str,
    supplied: tuple[str, ...] = (),
    record_makers: set[str] | None = None,
) -> tuple[str, dict[str, str]] | None:
    """Why the caller may not take the transition now: an i18n key and its parameters (the
    missing fields named in both languages), or None. ``supplied``: required fields the caller
    fills in the same step (a form beside the button), not counted as missing;
    ``record_makers``: :func:`makers` when the caller already read them."""
    workflow = resource.workflow
    transition = workflow.get(transition_key) if workflow else None
    if workflow is None or transition is None:
        return "workflow.unknown", {}
    if getattr(record, workflow.state_field) not in transition.sources:
        return "workflow.not_from_this_state", {}
    if not principal.can(resource.permission, transition.action):
        return "auth.denied", {}
    if getattr(record, "archived_at", None) is not None:
        return "record.archived", {}
    if transition.checks_maker:
        if record_makers is None:
            record_makers = makers(session, resource, record)
        if principal.username in record_makers:
            return "workflow.maker_checker", {}
    missing = []
    for name in transition.required_fields:
        spec = resource.field(name)
        if name not in supplied and getattr(record, spec.column if spec else name) in (None, ""):
            missing.append((spec.label("zh"), spec.label("en")) if spec else (name, name))
    if missing:
        return "workflow.missing_fields", {
            "fields_zh": "、".join(zh for zh, _en in missing),
            "fields_en": ", ".join(en for _zh, en in missing),
        }
    if transition.actor_guard is not None:
        refusal = transition.actor_guard(session, principal, record)
        if refusal:
            return refusal, {}
    if transition.guard is not None:
        refusal = transition.guard(session, record)
        if refusal:
            return refusal, {}
    return None


def transition_refusal(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    record: Any,
    transition_key: str,
    record_makers: set[str] | None = None,
    supplied: tuple[str, ...] = (),
) -> str | None:
    """Why the caller may not take the transition now (an i18n key), or None."""
    problem = transition_problem(
        session,
        principal=principal,
        resource=resource,
        record=record,
        transition_key=transition_key,
        supplied=supplied,
        record_makers=record_makers,
    )
    if problem is None:
        return None
    key, params = problem
    return Message(key, **params) if params else key


def available_transitions(
    session: Session, *, principal: Principal, resource: Resource, record: Any
) -> list[str]:
    if resource.workflow is None:
        return []
    state = getattr(record, resource.workflow.state_field)
    steps = resource.workflow.available_from(state)
    record_makers = (
        makers(session, resource, record) if any(t.checks_maker for t in steps) else None
    )
    return [
        t.key
        for t in steps
        if transition_refusal(
            session,
            principal=principal,
            resource=resource,
            record=record,
            transition_key=t.key,
            record_makers=record_makers,
        )
        is None
    ]


def step_field_errors(
    resource: Resource, transition_key: str, values: Mapping[str, Any]
) -> dict[str, str]:
    """What is wrong with the fields a step is taken with (the form beside its button): each
    must be one the step asks for (``required_fields``), and every one of those must be filled
    in, since a step's form is filled in whole."""
    step = resource.workflow.get(transition_key) if resource.workflow else None
    asked = step.required_fields if step is not None else ()
    errors = {name: "workflow.not_a_step_field" for name in values if name not in asked}
    for name in asked:
        if fieldlib.to_text(values.get(name)).strip() == "":
            errors[name] = "field.required"
    return errors


def transition(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    record_id: int,
    version: int,
    transition_key: str,
    client: str = "",
    values: Mapping[str, Any] | None = None,
) -> SaveResult:
    """Take a workflow step on the version the caller saw. ``values``: the step's fields filled
    in with it (:func:`step_field_errors`), written first as an edit (validated, audited and
    sending a record back as any edit), then the step checked again and taken, in the caller's
    transaction: a refusal of either leaves the caller to discard both
    (:func:`discard_if_refused`)."""
    record = load(session, principal=principal, resource=resource, record_id=record_id)
    filled = dict(values or {})
    problem = transition_problem(
        session,
        principal=principal,
        resource=resource,
        record=record,
        transition_key=transition_key,
        supplied=tuple(filled),
    )
    if problem:
        return SaveResult(record_id=record_id, message=problem[0], message_params=problem[1])
    if record.version != version:
        return _stale(session, resource, record_id)
    if filled:
        errors = step_field_errors(resource, transition_key, filled)
        if errors:
            return SaveResult(record_id=record_id, errors=errors)
        edited = update(
            session,
            principal=principal,
            resource=resource,
            record_id=record_id,
            version=version,
            values=filled,
            client=client,
        )
        if not edited.ok:
            return edited
        session.refresh(record)
        version = record.version
        problem = transition_problem(  # the step as the edit left the record
            session,
            principal=principal,
            resource=resource,
            record=record,
            transition_key=transition_key,
        )
        if problem:
            return SaveResult(record_id=record_id, message=problem[0], message_params=problem[1])
    workflow = resource.workflow
    assert workflow is not None
    step = workflow.get(transition_key)
    assert step is not None
    before = getattr(record, workflow.state_field)
    values: dict[str, Any] = {workflow.state_field: step.target}
    if step.effect is not None:
        values.update(step.effect(record) or {})
    if step.assign_to:
        values[step.assign_to] = principal.username
    changes = {  # the state and whatever the effect and assignment changed with it
        name: [fieldlib.to_text(getattr(record, name)), fieldlib.to_text(value)]
        for name, value in values.items()
        if name != workflow.state_field and getattr(record, name) != value
    }
    changes[workflow.state_field] = [before, step.target]
    if not _write(
        session,
        resource,
        record,
        version,
        values,
        actor=principal.username,
        action=f"{resource.key}.transition.{step.key}",
        changes=changes,
        client=client,
    ):
        return _stale(session, resource, record_id)
    if step.after is not None:
        session.refresh(record)
        step.after(session, principal, record)
    return SaveResult(record_id=record_id)


# --- history --------------------------------------------------------------------------------
def history(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    record_id: int,
    lang: str,
    limit: int = 200,
) -> list[dict[str, str]]:
    """The record's audit trail as staff read it: who by name (系统/System for the portal's
    jobs), what by its label, each change by the field's label with values shown as the
    record page shows them (choice labels, related records' titles, money, local times)."""
    entries = trail_entries(
        session, principal=principal, resource=resource, record_id=record_id, limit=limit
    )
    return describe_trail(session, principal=principal, entries=entries, lang=lang)


def trail_entries(
    session: Session, *, principal: Principal, resource: Resource, record_id: int, limit: int = 200
) -> list[AuditEntry]:
    """The record's audit entries, newest first, for a caller who may see the record."""
    load(session, principal=principal, resource=resource, record_id=record_id)
    entries = session.exec(
        select(AuditEntry)
        .where(AuditEntry.entity == resource.key, AuditEntry.entity_id == str(record_id))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    ).all()
    return [entry for entry in entries if entry_shown(principal, entry)]


# --- what a history may show --------------------------------------------------------------
# entries of a record's history only the holders of a right see (the others do not learn they
# exist), by action or by the verb after the record's name: who revealed which personal data
# and why (telling the customer's side of an inquiry is tipping off); watch-list screening, a
# hit and its disposition (not even that there was one)
TRAIL_RIGHTS: dict[str, tuple[str, str]] = {
    "reveal": ("customer", "reveal"),
    "screening.hit": ("watchlist", "view"),
    "hit_disposed": ("watchlist", "view"),
}
# names services write into changes that are no field of the record, and who may read them:
# None for whoever may see the record, else the right needed. Besides these, a column of the
# record's own table (its bookkeeping: when a ticket began waiting, a breach) is shown, but no
# secret's store (``*_cipher``, ``*_hash``); any other name is masked (deny by default), as a
# field the caller may not read is.
HISTORY_NAMES: dict[str, tuple[str, str] | None] = {
    "archived": None,  # archive and restore
    "attachment": None,  # a file's name, as the record's files list shows it
    "rows": None,  # an import's or export's row count
    "format": None,
    "view": None,  # the list an export was made of
    "status": None,
    "reason": None,  # a step's reason (a campaign ended by the calendar, a milestone moved)
    "change_request": None,  # related records: titles for those who may see them (_ref_title)
    "candidate": None,
    "promotion": None,
    "campaign_id": None,
    "method": None,  # how a ticket was assigned
    "message": None,  # a ticket's message, as its conversation shows it
    "merged": None,  # the ticket merged into this one
    "override": None,  # the suitability override an order went through under
    "questionnaire_number": None,
    "questionnaire_score": None,
    "answers": ("customer", "reveal"),  # the customer's own answers are personal data
    "evidence_pack": None,
    "month": None,
    "period": None,
    "group_by": None,
    "rule": None,
    "indicator": None,
    "older_than": None,
    "events_deleted": None,
    "deliveries_deleted": None,
    "secret": None,  # that a webhook's secret was issued or rotated, never the secret
}
SECRET_STORES = ("_cipher", "_hash")


def _own_column(schema: Schema, name: str) -> bool:
    table = schema.resource.model.__table__  # type: ignore[attr-defined]
    return name in table.columns and not name.endswith(SECRET_STORES)


def entry_right(entry: AuditEntry) -> tuple[str, str] | None:
    """The right an entry of a record's history needs besides seeing the record, if any."""
    verb = entry.action.removeprefix(f"{entry.entity}.")
    return TRAIL_RIGHTS.get(entry.action) or TRAIL_RIGHTS.get(verb)


# entries only the company's people read, whatever an API client's role: an internal note on a
# ticket never reaches the customer platform (or any key) through a history
PEOPLE_ONLY = frozenset({"ticket.message.note"})


def entry_shown(principal: Principal, entry: AuditEntry) -> bool:
    if entry.action in PEOPLE_ONLY and not principal.is_person:
        return False
    right = entry_right(entry)
    return right is None or principal.can(*right)


def shown_changes(
    schema: Schema | None, principal: Principal, entry: AuditEntry
) -> dict[str, tuple[Any, bool]]:
    """An entry's changes as written, each with whether the caller may read it: a field of the
    record by its read right (a one-way field never), a name of :data:`HISTORY_NAMES` by its
    right, another column of the record's table unless it stores a secret, any other name not
    at all; an entry that needs a right the caller lacks (see
    :data:`TRAIL_RIGHTS`) shows none. Entries of no resource (sign-ins, jobs: the audit log's
    alone) are shown as written."""
    parsed = json.loads(entry.changes)
    if not isinstance(parsed, dict):
        return {}
    if schema is None:
        return {name: (pair, True) for name, pair in parsed.items()}
    allowed = entry_shown(principal, entry)
    shown = {}
    for name, pair in parsed.items():
        spec = schema.field(name)
        if spec is not None:
            readable = not spec.one_way and can_read(principal, spec)
        elif entry_right(entry) is not None:
            readable = True  # the entry's own right covers what it holds
        elif name in HISTORY_NAMES:
            right = HISTORY_NAMES[name]
            readable = right is None or principal.can(*right)
        else:
            readable = _own_column(schema, name)
        shown[name] = (pair, allowed and readable)
    return shown


def describe_trail(
    session: Session, *, principal: Principal, entries: list[AuditEntry], lang: str
) -> list[dict[str, str]]:
    """Audit entries of records as staff read them ({at, actor, action, changes}): see
    :func:`history`. Each entry is read against its own resource (a case's trail holds its
    customer's entries too); fields the caller may not read are masked."""
    zone = get_settings().zone
    schemas: dict[str, Schema | None] = {}
    for entity in {e.entity for e in entries}:
        owner = get_resource(entity)
        schemas[entity] = schema_of(session, owner) if owner is not None else None
    parsed = [(entry, shown_changes(schemas[entry.entity], principal, entry)) for entry in entries]
    people = {e.actor for e in entries}
    for entry, changes in parsed:
        schema = schemas[entry.entity]
        for name, (pair, readable) in changes.items():
            spec = schema.field(name) if schema else None
            if readable and spec is not None and spec.person and isinstance(pair, list):
                people.update(str(v) for v in pair if v)
    names = versioned.display_names(session, people, lang)
    titles: dict[tuple[str, str], str] = {}
    rows = []
    for entry, changes in parsed:
        schema = schemas[entry.entity]
        lines = []
        for name, (pair, readable) in sorted(changes.items()):
            before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            spec = schema.field(name) if schema else None
            label = spec.label(lang) if spec else _field_label(name, lang)
            if not readable:
                shown = (MASK, MASK)
            else:
                shown = tuple(
                    _history_value(session, principal, name, spec, v, lang, zone, names, titles)
                    for v in (before, after)
                )
            lines.append(f"{label}: {shown[0]} → {shown[1]}")
        verb = entry.action.removeprefix(f"{entry.entity}.")
        rows.append(
            {
                "at": shown_time(entry.at, seconds=True),
                "actor": names.get(entry.actor, entry.actor) or "—",
                "action": _action_label(schema.resource if schema else None, verb, lang),
                "changes": "\n".join(lines),
            }
        )
    return rows


# names services write into changes that are no field but a record of another resource
HISTORY_REFERENCES = {
    "change_request": "product_change",
    "candidate": "candidate",
    "promotion": "promotion",
    "campaign_id": "campaign",
}
# names services write into changes that are no field of the record but hold the value of
# another resource's field: shown as that field shows it
HISTORY_SHOWN_AS = {"method": ("assignment_rule", "method")}


def _history_value(
    session: Session,
    principal: Principal,
    name: str,
    spec: FieldSpec | None,
    value: Any,
    lang: str,
    zone: Any,
    names: dict[str, str],
    titles: dict[tuple[str, str], str],
) -> str:
    """One side of a change as the record page would show it. Audit entries hold text (or
    JSON values); a value the field's rules no longer accept is shown as it was written."""
    if value is None or value == "":
        return "—"
    if value == MASK:
        return MASK
    if isinstance(value, bool):
        return translate("history.yes" if value else "history.no", lang)
    if not isinstance(value, str | int | float | Decimal):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    coded = _coded_value(name, text, lang)
    if coded is not None:
        return coded
    if spec is None:
        if name in HISTORY_REFERENCES:
            return _ref_title(session, principal, HISTORY_REFERENCES[name], text, lang, titles)
        owner, field_name = HISTORY_SHOWN_AS.get(name, ("", ""))
        spec = get_resource(owner).field(field_name) if get_resource(owner) else None
        if spec is None:
            return local_times_in(text)
    if spec.person:
        return names.get(text, text)
    if spec.kind in ("ref", "multi_ref"):
        ids = [i.strip() for i in text.split(",") if i.strip()]
        shown = (_ref_title(session, principal, spec.ref, i, lang, titles) for i in ids)
        return "、".join(shown) or "—"
    loose = dataclasses.replace(
        spec,
        required=False,
        validator=None,
        min_value=None,
        max_value=None,
        max_length=None,
        one_way="",
    )
    try:
        typed = fieldlib.parse(loose, text)
    except FieldError:
        return local_times_in(text)
    return fieldlib.display(spec, typed, lang, zone)


def _ref_title(
    session: Session, principal: Principal, ref: str, record_id: str, lang: str, titles: dict
) -> str:
    """A related record's title, looked up once; its id (#12) when it is gone, unknown, or one
    the caller may not see (no view right on its resource, or out of its row scope)."""
    key = (ref, record_id)
    if key not in titles:
        target = get_resource(ref)
        title = None
        number = numerals.whole(record_id)
        if (
            target is not None
            and principal.can(target.permission, "view")
            and fieldlib.is_id(number)
        ):
            query = sa.select(_column(target, target.title_field)).where(
                _column(target, "id") == number
            )
            scope = target.row_scope(principal) if target.row_scope is not None else None
            if scope is not None:
                query = query.where(scope)
            title = session.execute(query).scalar_one_or_none()
        titles[key] = (
            title_text(target, title, lang) if title not in (None, "") else f"#{record_id}"
        )
    return titles[key]


def _coded_value(name: str, text: str, lang: str) -> str | None:
    """A code the portal itself wrote into the trail (how someone signed in, a permission,
    why a call was refused, a revealed field) in words; None when it is not one."""
    words = catalogue(lang)
    for key in (f"history.value.{name}.{text}", f"history.value.{text}"):
        if key in words:
            return words[key]
    if name == "permission" and "." in text:
        resource, action = text.rsplit(".", 1)
        if f"resource.{resource}" in words and f"action.{action}" in words:
            return f"{words[f'resource.{resource}']} · {words[f'action.{action}']}"
    return None


def _field_label(name: str, lang: str) -> str:
    """Names in audit changes that are not fields of the resource (attachments, hits, …)."""
    try:
        return translate(f"history.field.{name}", lang)
    except KeyError:
        return name


def _action_label(resource: Resource | None, verb: str, lang: str) -> str:
    if verb.startswith("transition.") and resource is not None and resource.workflow:
        step = resource.workflow.get(verb.removeprefix("transition."))
        if step:
            return step.label(lang)
    try:
        return translate(f"history.{verb}", lang)
    except KeyError:
        return verb


# --- bulk actions ---------------------------------------------------------------------------
BULK_LIMIT = 500


@dataclass
class BulkResult:
    done: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)


def bulk_actions(resource: Resource, principal: Principal) -> list[tuple[str, str, str]]:
    """(key, permission action, label key or transition) the caller may run on selections."""
    actions = []
    if resource.archivable and principal.can(resource.permission, "archive"):
        actions += [("archive", "archive", ""), ("restore", "archive", "")]
    if resource.workflow:
        actions += [
            (f"transition:{t.key}", t.action, t.key)
            for t in resource.workflow.transitions
            if t.bulk and principal.can(resource.permission, t.action)
        ]
    return actions


def run_bulk(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    record_ids: list[int],
    action: str,
    client: str = "",
) -> BulkResult:
    """Apply one action to each selected record; each is checked and audited on its own."""
    allowed = {key for key, _perm, _label in bulk_actions(resource, principal)}
    if action not in allowed:
        raise EngineError("auth.denied")
    result = BulkResult()
    for record_id in list(dict.fromkeys(record_ids))[:BULK_LIMIT]:
        try:
            record = load(session, principal=principal, resource=resource, record_id=record_id)
        except EngineError as error:
            result.refused.append((record_id, error.key))
            continue
        if action in ("archive", "restore"):
            outcome = set_archived(
                session,
                principal=principal,
                resource=resource,
                record_id=record_id,
                version=record.version,
                archived=action == "archive",
                client=client,
            )
        else:
            outcome = transition(
                session,
                principal=principal,
                resource=resource,
                record_id=record_id,
                version=record.version,
                transition_key=action.removeprefix("transition:"),
                client=client,
            )
        if outcome.ok:
            result.done += 1
        else:
            result.refused.append((record_id, outcome.message))
    return result
