"""The OpenAPI models of each engine resource, built from its field declarations: what a record
looks like in JSON (money and rates as exact decimal strings, dates ISO, choices by code, other
records by id) and what a create or an edit may send. The models document and check the JSON
type only; every value is then parsed and validated by the engine, as a form's would be."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from backoffice.engine.fields import FieldSpec
from backoffice.engine.resource import Resource
from backoffice.engine.workflow import Transition

# JSON schema of each field kind: (Python type pydantic checks, extra schema keywords)
_SHAPES: dict[str, tuple[Any, dict[str, Any]]] = {
    "text": (str, {}),
    "longtext": (str, {}),
    "int": (int, {}),
    "money": (str, {"format": "decimal", "examples": ["1000.00"]}),
    "percent": (str, {"format": "decimal", "examples": ["3.2500"]}),
    "decimal": (str, {"format": "decimal"}),
    "date": (str, {"format": "date"}),
    "datetime": (str, {"format": "date-time"}),
    "bool": (bool, {}),
    "choice": (str, {}),
    "multi_choice": (list[str], {}),
    "ref": (int, {"minimum": 1}),
    "multi_ref": (list[int], {}),
}


def json_format(kind: str) -> str:
    """The JSON schema ``format`` of a field kind's values ("" when plain)."""
    return str(_SHAPES[kind][1].get("format", ""))


def model_name(resource: Resource, suffix: str) -> str:
    return "".join(part.title() for part in resource.key.split("_")) + suffix


def _describe(spec: FieldSpec) -> dict[str, Any]:
    """The field's English label (its Chinese one in ``x-label-zh``), choices and limits."""
    extra: dict[str, Any] = dict(_SHAPES[spec.kind][1])
    extra["x-label-zh"] = spec.label("zh")
    if spec.kind == "choice":
        extra["enum"] = [*spec.choices, None]
    if spec.kind == "multi_choice":
        extra["items"] = {"type": "string", "enum": list(spec.choices)}
    if spec.kind in ("ref", "multi_ref"):
        extra["x-references"] = spec.ref
    if spec.max_length and spec.kind in ("text", "longtext"):
        extra["maxLength"] = spec.max_length
    if spec.read_permission:
        extra["x-readable-with"] = ".".join(spec.read_permission)
    return {"title": spec.label("en"), "json_schema_extra": extra}


def _field(spec: FieldSpec, *, output: bool) -> tuple[Any, Any]:
    python_type = _SHAPES[spec.kind][0]
    described = _describe(spec)
    notes = []
    if spec.required:
        notes.append("required")
    if output and spec.read_permission:
        notes.append(f"null unless the caller holds {'.'.join(spec.read_permission)}")
    if output and spec.one_way:
        notes.append("stored as a keyed hash only: always null")
    if not output and spec.fixed:
        notes.append("set when created, never changed")
    if spec.custom:
        notes.append("a custom field an administrator added")
    if spec.shown_when:
        notes.append(
            f"applies while {spec.shown_when[0]} is one of {', '.join(spec.shown_when[1])}"
        )
    if notes:
        described["description"] = "; ".join(notes)
    return python_type | None, Field(default=None, **described)


def _system_fields() -> dict[str, Any]:
    return {
        "id": (int, Field(title="Id")),
        "version": (int, Field(title="Version (the ETag; If-Match of an edit)")),
        "created_at": (str | None, Field(default=None, json_schema_extra={"format": "date-time"})),
        "updated_at": (str | None, Field(default=None, json_schema_extra={"format": "date-time"})),
        "archived_at": (
            str | None,
            Field(default=None, json_schema_extra={"format": "date-time"}),
        ),
    }


class _Open(BaseModel):
    """Custom fields an administrator adds at run time (``x_…``) come beside the declared ones."""

    model_config = ConfigDict(extra="allow")


def record_model(resource: Resource) -> type[BaseModel]:
    fields = {spec.name: _field(spec, output=True) for spec in resource.fields}
    return create_model(  # type: ignore[call-overload,no-any-return]
        model_name(resource, ""), __base__=_Open, **_system_fields(), **fields
    )


def input_model(resource: Resource, *, creating: bool) -> type[BaseModel]:
    workflow_state = resource.workflow.state_field if resource.workflow else ""
    fields = {
        spec.name: _field(spec, output=False)
        for spec in resource.fields
        if spec.editable and spec.name != workflow_state and (creating or not spec.fixed)
    }
    model = create_model(  # type: ignore[call-overload]
        model_name(resource, "Create" if creating else "Edit"), __base__=_Open, **fields
    )
    return model  # type: ignore[no-any-return]


def filter_parameters(name: str, spec: FieldSpec | None, *, ranged: bool) -> list[dict[str, Any]]:
    """A list filter's query parameters (``name``, or ``name__min`` and ``name__max``)."""
    label = spec.label("en") if spec else name
    shape: dict[str, Any] = {"type": "string"}
    if spec is not None and spec.kind == "choice":
        shape["enum"] = list(spec.choices)
    elif spec is not None and json_format(spec.kind):
        shape["format"] = json_format(spec.kind)
    return [
        {"name": key, "in": "query", "schema": shape, "description": f"Filter: {label}"}
        for key in ((f"{name}__min", f"{name}__max") if ranged else (name,))
    ]


def property_schema(spec: FieldSpec, *, output: bool) -> dict[str, Any]:
    """A field's JSON schema as its record or input model gives it (a custom field's too)."""
    model = create_model("FieldOnly", **{spec.name: _field(spec, output=output)})
    return dict(model.model_json_schema()["properties"][spec.name])


def with_custom_fields(
    document: dict[str, Any],
    resource: Resource,
    specs: list[FieldSpec],
    *,
    ranged_kinds: tuple[str, ...],
) -> None:
    """Describe a resource's custom fields in the document: in its record, create and edit
    models (as declared fields are, marked ``x-custom``) and as filters of its list."""
    schemas = document.get("components", {}).get("schemas", {})
    for suffix, output in (("", True), ("Create", False), ("Edit", False)):
        shape = schemas.get(model_name(resource, suffix))
        if shape is None:  # no create endpoint: records come from the domain's flows
            continue
        properties = shape.setdefault("properties", {})
        for spec in specs:
            properties[spec.name] = {**property_schema(spec, output=output), "x-custom": True}
    listing = document.get("paths", {}).get(f"/resources/{resource.key}", {}).get("get")
    if listing is not None:
        listing["parameters"] = [
            *listing.get("parameters", []),
            *(
                p
                for spec in specs
                for p in filter_parameters(spec.name, spec, ranged=spec.kind in ranged_kinds)
            ),
        ]


def step_model(resource: Resource, transition: Transition) -> type[BaseModel] | None:
    """The body a workflow step may be taken with: the fields it asks for (the form beside its
    button), every one required and nothing else; None for a step that asks for none."""
    specs = [resource.field(name) for name in transition.required_fields]
    if not specs:
        return None
    fields: dict[str, Any] = {}
    for spec in specs:
        assert spec is not None, transition.key
        described = _describe(spec)
        described["description"] = f"required by the step {transition.key}"
        fields[spec.name] = (_SHAPES[spec.kind][0], Field(**described))
    name = model_name(resource, "".join(p.title() for p in transition.key.split("_")) + "Step")
    return create_model(  # type: ignore[call-overload,no-any-return]
        name, __config__=ConfigDict(extra="forbid"), **fields
    )


class Envelope:
    """The answers' shapes around a resource's record model."""

    def __init__(self, resource: Resource) -> None:
        record = record_model(resource)
        self.record = record
        self.one = create_model(
            model_name(resource, "Answer"),
            data=(record, ...),
            version=(int, ...),
            transitions=(list[str], Field(description="The transitions the caller may take now")),
        )
        self.page = create_model(
            model_name(resource, "Page"),
            data=(list[record], ...),  # type: ignore[valid-type]
            next_cursor=(str | None, Field(description="Pass as cursor for the next page")),
        )
        self.create = input_model(resource, creating=True)
        self.edit = input_model(resource, creating=False)


class HistoryEntry(BaseModel):
    id: int
    at: str = Field(json_schema_extra={"format": "date-time"})
    actor: str = Field(description="Who: a login, or api:<client> for an API client")
    action: str = Field(description="What, as a code: <resource>.<verb>")
    changes: dict[str, Any] = Field(
        description="Each changed field: [before, after] as stored text (masked where hidden)"
    )
    described: dict[str, str] = Field(
        description="The entry as the record page shows it, in the caller's language"
    )


class HistoryPage(BaseModel):
    data: list[HistoryEntry]


class AttachmentOut(BaseModel):
    id: int
    filename: str
    category: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    created_at: str = Field(json_schema_extra={"format": "date-time"})


class AttachmentList(BaseModel):
    data: list[AttachmentOut]


class AttachmentUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(max_length=255, examples=["prospectus.pdf"])
    category: str = Field(default="", max_length=40, description="A kind of document, if any")
    content_base64: str = Field(description="The file's bytes, base64-encoded")


class AttachmentAnswer(BaseModel):
    data: AttachmentOut


class ResourceInfo(BaseModel):
    key: str
    label: dict[str, str]
    path: str
    actions: list[str] = Field(description="What the caller may do with it")
    transitions: list[str]
    archivable: bool
    attachments: bool
    fields: list[dict[str, Any]]


class ResourceList(BaseModel):
    data: list[ResourceInfo]


class Problem(BaseModel):
    """application/problem+json (RFC 9457)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="The i18n code a program can rely on")
    errors: list[dict[str, str]] | None = Field(
        default=None, description="Bad input: one {field, code, message} per field"
    )
