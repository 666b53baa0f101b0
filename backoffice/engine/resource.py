"""Resource declarations and their registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from backoffice.engine.fields import FieldSpec
from backoffice.engine.workflow import Workflow
from backoffice.i18n import translate
from backoffice.security.rbac import Principal

PAGE_SIZES = (25, 50, 100)
COUNT_CAP = 2_000  # counts stop here ("2,000+"); pages go on with "next"


@dataclass(frozen=True)
class Lookup:
    """A filter on a field of the record that one of this resource's ref fields points at:
    ``Lookup("product_type", via="product_id")`` lists transactions by their product's type.
    Filter-only: nothing is stored, shown or exported for it."""

    name: str
    via: str  # a ref field of this resource
    field: str = ""  # the referenced resource's field; its name by default

    @property
    def target_field(self) -> str:
        return self.field or self.name


@dataclass(frozen=True)
class Queue:
    """A named slice of a list, e.g. "mine" or "overdue": tabs above the list (``?queue=``),
    labelled by the catalogue's ``queue.<resource>.<key>``."""

    key: str
    condition: Callable[[Principal], sa.ColumnElement[bool]]
    label_key: str = ""  # set by the resource declaring the queue

    def label(self, lang: str) -> str:
        return translate(self.label_key, lang)


@dataclass(frozen=True)
class Resource:
    """A record type the engine lists, shows, edits, imports and exports. Its labels are
    catalogue keys named after it: ``resource.<key>``, and for its fields, queues,
    transitions and kinds of document ``field.<key>.<name>``, ``queue.<key>.<queue>``,
    ``transition.<key>.<transition>`` and ``attachment.kind.<key>.<kind>``."""

    key: str  # URL and audit name, e.g. "partner"
    model: type[SQLModel]
    permission: str  # the rbac resource its actions are checked against
    module: str  # the sidebar module it belongs to
    fields: tuple[FieldSpec, ...]
    list_columns: tuple[str, ...]
    title_field: str
    filters: tuple[str, ...] = ()
    search_fields: tuple[str, ...] = ()
    default_sort: str = "-id"
    workflow: Workflow | None = None
    archivable: bool = True
    # False: records come only from the domain's own flows (no new-record form, no create)
    creatable: bool = True
    exportable: bool = True
    importable: bool = True
    attachments: bool = False  # files can be attached to its records
    # kinds of document; uploads then name one (versions: newest counts)
    attachment_categories: tuple[str, ...] = ()
    # principal → an extra WHERE condition limiting which rows the caller may see
    row_scope: Callable[[Principal], sa.ColumnElement[bool] | None] | None = None
    # clean values of a create/edit → {field: i18n key} for rules across fields
    validator: Callable[[dict[str, Any]], dict[str, str]] | None = None
    # (session, principal, clean values) → {field: i18n key}: rules across fields that need the
    # database and write nothing, checked wherever values are validated (a form's save, each row
    # of an import's check and of its commit), after the fields and ``validator`` pass
    db_validator: Callable[[Any, Principal, dict[str, Any]], dict[str, str]] | None = None
    # (session, principal, clean values) → {field: i18n key}: rules that need the database
    before_create: Callable[[Any, Principal, dict[str, Any]], dict[str, str]] | None = None
    # (session, principal, new record): effects of a create, in the same transaction
    after_create: Callable[[Any, Principal, Any], None] | None = None
    # (session, principal, saved record): effects of an edit, in the same transaction
    after_update: Callable[[Any, Principal, Any], None] | None = None
    # (record, {field: new value}) → {field: i18n key}: edits refused in the record's state
    edit_guard: Callable[[Any, dict[str, Any]], dict[str, str]] | None = None
    # (principal, record, {field: new value}) → {field: i18n key}: edits refused to this caller
    # (a webhook's address needs what its secret needs); "auth.step_up_required" as a field's
    # key asks a person for a fresh authenticator code, after which the page saves again
    change_guard: Callable[[Principal, Any, dict[str, Any]], dict[str, str]] | None = None
    # (session, record, lang) → [(label, value)] shown at the top of the record page
    # (session, record, lang, principal): a few lines shown above the record page
    summary: Callable[..., list[tuple[str, str]]] | None = None
    queues: tuple[Queue, ...] = ()
    lookups: tuple[Lookup, ...] = ()  # filters through ref fields (see Lookup)
    # False: seeing this resource alone does not put its module in the caller's sidebar (shared
    # records such as customers, reached from other modules' pages)
    opens_module: bool = True
    icon: str = "table"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._name_labels()
        names = [f.name for f in self.fields]
        columns = set(self.model.model_fields)  # type: ignore[attr-defined]
        for spec in self.fields:
            if spec.in_row and spec.column not in columns:
                raise ValueError(f"{self.key}: field {spec.name} is not a column of the model")
        sealed = {f.name for f in self.fields if f.encrypted}
        if sealed & {*self.filters, *self.search_fields, self.default_sort.lstrip("-")}:
            raise ValueError(f"{self.key}: encrypted fields cannot be filtered, searched or sorted")
        links = {f.name for f in self.fields if not f.in_row}
        if links & set(self.list_columns + self.filters + self.search_fields):
            raise ValueError(f"{self.key}: linked records are shown on the record page only")
        declared = set(names) | {"id", "created_at", "updated_at", "version"}
        for group in (self.list_columns, self.filters, self.search_fields, (self.title_field,)):
            missing = set(group) - declared
            if missing:
                raise ValueError(f"{self.key}: {sorted(missing)} are not declared fields")
        if self.default_sort.lstrip("-") not in declared:
            raise ValueError(f"{self.key}: default sort on an undeclared field")
        for lookup in self.lookups:
            via = self.field(lookup.via)
            if via is None or via.kind != "ref" or lookup.name in declared:
                raise ValueError(f"{self.key}: lookup {lookup.name} needs a ref field, own name")
        if self.workflow and self.workflow.state_field not in names:
            raise ValueError(f"{self.key}: the workflow's state field is not declared")

    def _name_labels(self) -> None:
        """Give the declared fields, queues and transitions their catalogue keys."""
        key = self.key
        named = {
            "fields": tuple(replace(f, label_key=f"field.{key}.{f.name}") for f in self.fields),
            "queues": tuple(replace(q, label_key=f"queue.{key}.{q.key}") for q in self.queues),
        }
        if self.workflow is not None:
            named["workflow"] = self.workflow.labelled(f"transition.{key}")
        for name, value in named.items():
            object.__setattr__(self, name, value)  # frozen: set once, while it is being made

    def label(self, lang: str) -> str:
        return translate(f"resource.{self.key}", lang)

    def attachment_label(self, category: str, lang: str) -> str:
        return translate(f"attachment.kind.{self.key}.{category}", lang)

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def lookup(self, name: str) -> Lookup | None:
        return next((lookup for lookup in self.lookups if lookup.name == name), None)

    def queue(self, key: str) -> Queue | None:
        return next((q for q in self.queues if q.key == key), None)

    @property
    def route(self) -> str:
        return f"/r/{self.key}"


_REGISTRY: dict[str, Resource] = {}


def register(resource: Resource) -> Resource:
    if resource.key in _REGISTRY and _REGISTRY[resource.key] is not resource:
        raise ValueError(f"resource {resource.key} registered twice")
    _REGISTRY[resource.key] = resource
    return resource


def get(key: str) -> Resource | None:
    _load_domains()
    return _REGISTRY.get(key) if isinstance(key, str) else None


def all_resources() -> list[Resource]:
    _load_domains()
    return list(_REGISTRY.values())


def sort_registry(rank: Callable[[Resource], int]) -> None:
    """Put the registered resources in ``rank`` order (stable): registration follows imports."""
    ordered = sorted(_REGISTRY.values(), key=rank)
    _REGISTRY.clear()
    _REGISTRY.update((r.key, r) for r in ordered)


def _load_domains() -> None:
    """The domains declare resources; the registry fills itself from them on first use."""
    from backoffice import domains

    domains.load()
