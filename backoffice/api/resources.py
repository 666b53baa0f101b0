"""Every engine resource over REST (as Frappe's /api/resource/<doctype>), generated from its
declaration: list with the list page's filters and a keyset cursor, read, create, edit with
If-Match, workflow transitions, archive and restore, history, attachments. Each call runs the
engine's own checks (permissions, row scope, masking, parsing, validation, versions) with the
client's principal, and every write goes through ``calls.write`` (idempotency) and is audited by
the engine with the client as actor and its address as client."""

# no ``from __future__ import annotations``: FastAPI reads the generated endpoints' annotations,
# which name models built at run time inside the factories below
import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Body, Depends, Path, Request
from pydantic import BaseModel
from sqlmodel import Session
from starlette.responses import JSONResponse, Response

from backoffice.api import calls, problems
from backoffice.api.auth import caller, client_address
from backoffice.api.problems import Problem
from backoffice.api.schemas import (
    AttachmentAnswer,
    AttachmentList,
    AttachmentUpload,
    Envelope,
    HistoryPage,
    ResourceList,
    filter_parameters,
    step_model,
)
from backoffice.api.schemas import Problem as ProblemSchema
from backoffice.db import session_scope
from backoffice.domains.integrations.clients import Caller
from backoffice.engine import custom, service, views
from backoffice.engine import fields as fieldlib
from backoffice.engine.fields import FieldSpec
from backoffice.engine.resource import Resource, all_resources
from backoffice.platform import attachments, numerals
from backoffice.security.rbac import Principal

BASE = "/resources"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# a record's answer depends on who asks (masking, the steps offered): caches keep it per caller
PER_CALLER = "Authorization, X-API-Key"
# engine refusals that are a conflict with the record's state rather than bad input
CONFLICT_KEYS = ("record.archived", "workflow.not_editable", "workflow.not_from_this_state")
# what each kind of field accepts in JSON (anything else is refused before parsing)
_ACCEPTS: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "money": (str, int),
    "percent": (str, int),
    "decimal": (str, int),
    "bool": (bool,),
    "ref": (int,),
    "multi_choice": (list,),
    "multi_ref": (list,),
}


def _problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    described = {
        401: "No valid API key",
        403: "The client's role may not do this",
        404: "No such record, or not one the client may see",
        409: "A conflict with the record's state",
        412: "The record changed since that version (the detail names who changed what)",
        422: "Bad input: one message per field",
        428: "If-Match is required",
        429: "Over the client's rate limit",
    }
    return {
        status: {
            "description": described[status],
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        for status in (401, 429, *statuses)
    }


# --- values in JSON ------------------------------------------------------------------------
def _typed(spec: FieldSpec, value: Any) -> Any:
    """A stored value as the API's JSON holds it (``calls.plain`` makes Decimals exact
    strings and times ISO)."""
    if value is None or (value == "" and spec.kind not in ("text", "longtext")):
        return None
    if spec.kind == "multi_choice":
        return [v for v in str(value).split(",") if v]
    if spec.kind == "multi_ref":
        return [int(v) for v in str(value).split(",") if v]
    if spec.kind in ("choice", "text", "longtext"):
        return str(value)
    return value


@cache
def _stamps(model: type) -> tuple[str, ...]:
    """The bookkeeping columns a model has (asked of the class once: asking a record for a
    missing one costs a refused attribute lookup each time)."""
    return tuple(n for n in ("created_at", "updated_at", "archived_at") if hasattr(model, n))


def _hidden(schema: service.Schema, principal: Principal) -> frozenset[str]:
    """The fields whose values the caller gets as null."""
    return frozenset(
        spec.name for spec in schema.fields if spec.one_way or not service.can_read(principal, spec)
    )


def _record_data(
    spec_values: dict[str, Any],
    schema: service.Schema,
    principal: Principal,
    record: Any,
    hidden: frozenset[str] | None = None,
) -> dict[str, Any]:
    model = type(record)
    data: dict[str, Any] = {
        "id": record.id,
        "version": record.version if hasattr(model, "version") else 0,
    }
    for name in _stamps(model):
        data[name] = getattr(record, name)
    hidden = _hidden(schema, principal) if hidden is None else hidden
    for spec in schema.fields:
        if spec.name not in spec_values:
            continue
        data[spec.name] = None if spec.name in hidden else _typed(spec, spec_values[spec.name])
    return data


def _one_data(
    session: Session, schema: service.Schema, principal: Principal, record: Any
) -> dict[str, Any]:
    values = service.record_values(session, schema, record, principal)
    return _record_data(values, schema, principal, record)


def _rows_data(
    session: Session, schema: service.Schema, principal: Principal, records: list[Any]
) -> list[dict[str, Any]]:
    """A page's records: their own columns and custom fields (linked records, as on the list
    page, only on the record itself), each as :func:`_record_data` writes it. The fields
    and what the caller may see of them are worked out once for the page, not per record."""
    extra = (
        custom.values_for(session, schema.resource.key, [r.id for r in records])
        if schema.custom_fields
        else {}
    )
    hidden = _hidden(schema, principal)
    shown = [
        (spec.name, spec, spec.custom, spec.name in hidden)
        for spec in schema.fields
        if spec.custom or spec.in_row
    ]
    model = schema.resource.model
    versioned = hasattr(model, "version")
    stamps = _stamps(model)
    rows = []
    for record in records:
        data: dict[str, Any] = {"id": record.id, "version": record.version if versioned else 0}
        for name in stamps:
            data[name] = getattr(record, name)
        own = extra.get(record.id, {}) if extra else {}
        for name, spec, is_custom, is_hidden in shown:
            if is_hidden:
                data[name] = None
                continue
            if is_custom:
                raw = own.get(name)
                try:
                    value = fieldlib.parse(spec, raw) if raw is not None else None
                except fieldlib.FieldError:
                    value = raw
            else:
                value = service.stored_value(spec, record, principal)
            data[name] = _typed(spec, value)
        rows.append(data)
    return rows


def _incoming(
    schema: service.Schema,
    principal: Principal,
    record: Any | None,
    sent: dict[str, Any],
) -> dict[str, Any]:
    """The values a create or edit sent, each a field the caller may fill in, in a JSON type
    its kind accepts; the engine parses and validates them. Raises 422 naming each bad one."""
    resource = schema.resource
    if not principal.can(resource.permission, "create" if record is None else "edit"):
        raise service.EngineError("auth.denied")  # before naming fields it may not fill in
    errors: dict[str, str] = {}
    for name, value in sent.items():
        spec = schema.field(name)
        if spec is None:
            errors[name] = "api.unknown_field"
        elif not service.field_editable(principal, resource, spec, record):
            errors[name] = "field.not_editable"
        elif value is not None and (
            not isinstance(value, _ACCEPTS.get(spec.kind, (str,)))
            or (isinstance(value, bool) and spec.kind != "bool")
            or (isinstance(value, list) and not all(isinstance(v, str | int) for v in value))
        ):
            errors[name] = "field.invalid"
    if errors:
        raise problems.invalid(errors)
    return dict(sent)


def _refused(result: service.SaveResult) -> None:
    """Raise the problem a refused save or transition answers with (nothing is kept)."""
    if result.errors:
        raise problems.invalid(result.errors)
    if result.message:
        status = 409 if result.message in CONFLICT_KEYS else None
        raise Problem(
            status or problems.STATUS_OF_KEY.get(result.message, 422),
            result.message,
            params=result.message_params,
        )


def _version(request: Request, *, required: bool) -> int | None:
    """The version in If-Match: an ETag as given (``"3-<digest>"``) or the version alone
    (``"3"``, ``W/"3"`` or ``3``). A change is checked against the version only: what the
    caller saw of the record is theirs, whether it changed is the record's."""
    raw = request.headers.get("if-match", "").strip()
    if not raw:
        if required:
            raise Problem(428, "api.precondition_required")
        return None
    version = numerals.whole(raw.removeprefix("W/").strip('"').strip().split("-", 1)[0])
    if version is None:
        raise problems.invalid({"If-Match": "field.not_an_integer"})
    return version


def _entity_tag(resource: Resource, principal: Principal, answer: dict[str, Any]) -> str:
    """The ETag of a record's answer as this caller gets it: the version, then a digest of
    the answer and of the fields masked for the caller. Callers who see the record masked
    differently never share a tag (even where a masked value is empty), and the tag changes
    with anything of the answer that changes without a new version (the steps offered)."""
    masked = sorted(
        s.name for s in resource.fields if s.one_way or not service.can_read(principal, s)
    )
    text = json.dumps(
        [masked, calls.plain(answer)], sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return f'"{answer["version"]}-{digest}"'


def _unchanged(request: Request, tag: str) -> bool:
    """If-None-Match names the tag (weak comparison, RFC 9110 13.1.2) or is ``*``."""
    raw = request.headers.get("if-none-match", "")
    given = {t.strip().removeprefix("W/") for t in raw.split(",") if t.strip()}
    return "*" in given or tag in given


def _answer(
    session: Session, schema: service.Schema, principal: Principal, record: Any
) -> dict[str, Any]:
    return {
        "data": _one_data(session, schema, principal, record),
        "version": getattr(record, "version", 0),
        "transitions": service.available_transitions(
            session, principal=principal, resource=schema.resource, record=record
        ),
    }


def _saved(session: Session, schema: service.Schema, principal: Principal, record_id: int) -> Any:
    """The record just written, read afresh: it is shown to its writer even when its row scope
    would not list it to them (a ticket the platform opened for a team)."""
    record = session.get(schema.resource.model, record_id, populate_existing=True)
    return _answer(session, schema, principal, record)


def _with_record_headers(
    response: JSONResponse, resource: Resource, principal: Principal, created: bool
) -> Response:
    """ETag (and for a create, Location) from the answer itself, so a replay carries them."""
    if response.status_code < 300:
        body = json.loads(bytes(response.body))
        response.headers["ETag"] = _entity_tag(resource, principal, body)
        response.headers["Vary"] = PER_CALLER
        if created:
            response.headers["Location"] = f"/api/v1{BASE}/{resource.key}/{body['data']['id']}"
    return response


# --- cursors -------------------------------------------------------------------------------
def _encode_cursor(sort: str, value: Any, record_id: int) -> str:
    text = None if value is None else calls.plain(value)
    if isinstance(value, bool):
        text = "1" if value else "0"
    raw = json.dumps([sort, text, record_id], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(resource: Resource, sort: str, cursor: str) -> tuple[Any, int]:
    """(sort value, id) of the record a page ended with; 422 for a cursor this list did not
    give out (another sort, or altered)."""
    bad = problems.invalid({"cursor": "field.invalid"})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, text, record_id = json.loads(raw)
    except (ValueError, TypeError, binascii.Error) as error:
        raise bad from error
    if cursor_sort != sort or not fieldlib.is_id(record_id):
        raise bad
    if text is None:
        return None, record_id
    column = resource.model.__table__.c[sort.lstrip("-")]  # type: ignore[attr-defined]
    stored_as = getattr(column.type, "impl_instance", column.type)  # a TypeDecorator's base
    try:
        kind = stored_as.python_type
    except NotImplementedError:
        kind = str
    try:
        value: Any
        if kind is datetime:
            value = datetime.fromisoformat(text)
        elif kind is date:
            value = date.fromisoformat(text)
        elif kind is Decimal:
            value = Decimal(text)
        elif kind is bool:
            value = text == "1"
        elif kind is int:
            value = int(text)
        else:
            value = str(text)
    except (ValueError, TypeError, InvalidOperation) as error:
        raise bad from error
    too_wide = (isinstance(value, int) and abs(value) > fieldlib.MAX_INT) or (
        isinstance(value, Decimal)
        and (not value.is_finite() or value.adjusted() >= fieldlib.MAX_DIGITS)
    )
    if too_wide or (isinstance(value, str) and not fieldlib.storable_text(value)):
        raise bad
    return value, record_id


# --- the endpoints of one resource ----------------------------------------------------------
def _list_parameters(resource: Resource) -> list[dict[str, Any]]:
    """The list's query parameters for the document (the custom fields' filters are added with
    the fields themselves: ``backoffice.api.app``)."""
    text = {"type": "string"}
    params = [
        {"name": "q", "in": "query", "schema": text, "description": "Search (prefix)"},
        {
            "name": "sort",
            "in": "query",
            "schema": {
                "type": "string",
                "enum": sorted(
                    {s for name in service.sortable(resource) for s in (name, f"-{name}")}
                ),
            },
            "description": f"A column, '-' for descending; default {resource.default_sort}",
        },
        {
            "name": "view",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1},
            "description": "A shared saved view's id: its filters (parameters given win)",
        },
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            "description": f"Records per page (default {DEFAULT_LIMIT})",
        },
        {"name": "cursor", "in": "query", "schema": text, "description": "next_cursor"},
    ]
    if resource.archivable:
        params.append(
            {
                "name": "archived",
                "in": "query",
                "schema": {"type": "string", "enum": ["1"]},
                "description": "1: the archived records (needs the archive right)",
            }
        )
    if resource.queues:
        params.append(
            {
                "name": "queue",
                "in": "query",
                "schema": {"type": "string", "enum": [q.key for q in resource.queues]},
                "description": "A named slice of the list (the tabs above the list page)",
            }
        )
    for name in resource.filters:
        spec = resource.field(name)
        ranged = spec is not None and spec.kind in service.RANGE_KINDS
        params += filter_parameters(name, spec, ranged=ranged)
    return params


def _list_query(
    session: Session, schema: service.Schema, principal: Principal, request: Request
) -> tuple[service.ListQuery, int, str]:
    """(the list view, the page size, the cursor) from the URL, a shared view's filters under
    the parameters given."""
    given = dict(request.query_params)
    params: dict[str, str] = {}
    view_id = given.get("view", "")
    if view_id:
        found = next(
            (
                v
                for v in views.visible(session, principal=principal, resource=schema.resource)
                if v["id"] == view_id
            ),
            None,
        )
        if found is None:
            raise problems.invalid({"view": "field.not_found"})
        params.update(parse_qsl(found["params"]))
    params.update(given)
    limit = numerals.whole(params.get("limit", str(DEFAULT_LIMIT)))
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        raise problems.invalid({"limit": "field.invalid"})
    query = service.parse_query(schema, params)
    if params.get("sort") and not query.sort:
        raise problems.invalid({"sort": "field.invalid"})
    return query, limit, params.get("cursor", "")


def _resource_routes(router: APIRouter, resource: Resource) -> None:
    key = resource.key
    shapes = Envelope(resource)
    path = f"{BASE}/{key}"
    one = f"{path}/{{id}}"
    tags = [key]
    name_en = resource.label("en")
    record_id_path = Path(alias="id", ge=1, le=fieldlib.MAX_ID, description="The record's id")

    def schema_now(session: Session) -> service.Schema:
        return service.schema_of(session, resource)

    @router.get(
        path,
        summary=f"List {name_en}",
        operation_id=f"list_{key}",
        tags=tags,
        response_model=None,
        responses={200: {"model": shapes.page}, **_problem_responses(403, 422)},
        openapi_extra={"parameters": _list_parameters(resource)},
    )
    def list_records(request: Request, who: Caller = Depends(caller)) -> Response:
        principal = who.principal
        with session_scope(write=False) as session:
            schema = schema_now(session)
            query, limit, cursor = _list_query(session, schema, principal, request)
            name, descending = service.sort_order(resource, query.sort)
            effective = f"-{name}" if descending else name
            after = _decode_cursor(resource, effective, cursor) if cursor else None
            records, more, errors = service.page_after(
                session, principal=principal, schema=schema, query=query, after=after, limit=limit
            )
            if errors:
                raise problems.invalid(dict.fromkeys(errors, "field.invalid"))
            rows = _rows_data(session, schema, principal, records)
        last = records[-1] if records else None
        next_cursor = (
            _encode_cursor(effective, getattr(last, name), last.id) if more and last else None
        )
        return calls.respond(200, {"data": rows, "next_cursor": next_cursor})

    @router.get(
        one,
        summary=f"One {name_en}",
        operation_id=f"get_{key}",
        tags=tags,
        response_model=None,
        responses={
            200: {"model": shapes.one},
            304: {"description": "Unchanged: If-None-Match names the record's current ETag"},
            **_problem_responses(403, 404),
        },
        openapi_extra={
            "parameters": [
                {
                    "name": "If-None-Match",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "The ETag read: 304 without a body while it is current",
                }
            ]
        },
    )
    def get_record(
        request: Request, record_id: int = record_id_path, who: Caller = Depends(caller)
    ) -> Response:
        with session_scope(write=False) as session:
            schema = schema_now(session)
            record = service.load(
                session, principal=who.principal, resource=resource, record_id=record_id
            )
            answer = _answer(session, schema, who.principal, record)
        headers = {"ETag": _entity_tag(resource, who.principal, answer), "Vary": PER_CALLER}
        if _unchanged(request, headers["ETag"]):
            return Response(status_code=304, headers=headers)
        return calls.respond(200, answer, headers=headers)

    if resource.creatable:  # else records come only from the domain's flows
        create_model = shapes.create

        @router.post(
            path,
            summary=f"Create {name_en}",
            operation_id=f"create_{key}",
            tags=tags,
            status_code=201,
            response_model=None,
            responses={201: {"model": shapes.one}, **_problem_responses(403, 409, 422)},
        )
        def create_record(
            request: Request, body: create_model, who: Caller = Depends(caller)
        ) -> Response:
            sent = _sent(body)

            def work(session: Session) -> tuple[int, Any]:
                schema = schema_now(session)
                values = _incoming(schema, who.principal, None, sent)
                result = service.create(
                    session,
                    principal=who.principal,
                    resource=resource,
                    values=values,
                    client=client_address(request),
                    schema=schema,
                )
                _refused(result)
                assert result.record_id is not None
                return 201, _saved(session, schema, who.principal, result.record_id)

            response = calls.write(request, who, sent, work)
            return _with_record_headers(response, resource, who.principal, created=True)

    edit_model = shapes.edit

    @router.patch(
        one,
        summary=f"Edit {name_en} (If-Match: its version)",
        operation_id=f"update_{key}",
        tags=tags,
        response_model=None,
        responses={200: {"model": shapes.one}, **_problem_responses(403, 404, 409, 412, 422, 428)},
        openapi_extra={
            "parameters": [
                {
                    "name": "If-Match",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": 'The ETag read (its version counts), e.g. "3-…" or "3"',
                }
            ]
        },
    )
    def update_record(
        request: Request,
        body: edit_model,
        record_id: int = record_id_path,
        who: Caller = Depends(caller),
    ) -> Response:
        version = _version(request, required=True)
        sent = _sent(body)

        def work(session: Session) -> tuple[int, Any]:
            schema = schema_now(session)
            record = service.load(
                session, principal=who.principal, resource=resource, record_id=record_id
            )
            values = _incoming(schema, who.principal, record, sent)
            result = service.update(
                session,
                principal=who.principal,
                resource=resource,
                record_id=record_id,
                version=version or 0,
                values=values,
                client=client_address(request),
            )
            _refused(result)
            return 200, _saved(session, schema, who.principal, record_id)

        response = calls.write(request, who, sent, work)
        return _with_record_headers(response, resource, who.principal, False)

    def _change_route(
        route_path: str,
        operation: str,
        summary: str,
        change: Callable[[Session, Principal, int, int, str, dict[str, Any]], service.SaveResult],
        body_model: type[BaseModel] | None = None,
    ) -> None:
        def changed(
            request: Request, record_id: int, who: Caller, sent: dict[str, Any]
        ) -> Response:
            version = _version(request, required=False)

            def work(session: Session) -> tuple[int, Any]:
                schema = schema_now(session)
                record = service.load(
                    session, principal=who.principal, resource=resource, record_id=record_id
                )
                values = _incoming(schema, who.principal, record, sent) if sent else {}
                current = record.version if version is None else version
                _refused(
                    change(
                        session, who.principal, record_id, current, client_address(request), values
                    )
                )
                return 200, _saved(session, schema, who.principal, record_id)

            response = calls.write(request, who, sent, work)
            return _with_record_headers(response, resource, who.principal, False)

        endpoint: Callable[..., Response]
        if body_model is None:

            def change_record(
                request: Request, record_id: int = record_id_path, who: Caller = Depends(caller)
            ) -> Response:
                return changed(request, record_id, who, {})

            endpoint = change_record
        else:
            step_body: type[BaseModel] = body_model

            def change_record_with(
                request: Request,
                body: step_body = Body(  # type: ignore[valid-type]
                    None, description="The fields the step asks for, filled in with it"
                ),
                record_id: int = record_id_path,
                who: Caller = Depends(caller),
            ) -> Response:
                return changed(request, record_id, who, _sent(body) if body is not None else {})

            endpoint = change_record_with

        router.post(
            route_path,
            summary=summary,
            operation_id=operation,
            tags=tags,
            response_model=None,
            responses={
                200: {"model": shapes.one},
                **_problem_responses(403, 404, 409, 412, 422),
            },
            openapi_extra={
                "parameters": [
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "The version read (the ETag); without it, the current one",
                    }
                ]
            },
        )(endpoint)

    if resource.workflow is not None:
        for step in resource.workflow.transitions:

            def take(
                session: Session,
                principal: Principal,
                record_id: int,
                version: int,
                client: str,
                values: dict[str, Any],
                step_key: str = step.key,
            ) -> service.SaveResult:
                return service.transition(
                    session,
                    principal=principal,
                    resource=resource,
                    record_id=record_id,
                    version=version,
                    transition_key=step_key,
                    client=client,
                    values=values,
                )

            asked = ", ".join(step.required_fields)
            _change_route(
                f"{one}/transitions/{step.key}",
                f"transition_{key}_{step.key}",
                f"{name_en}: {step.label('en')}"
                + (f" (a body may fill in {asked} with it)" if asked else ""),
                take,
                step_model(resource, step),
            )

    if resource.archivable:
        for verb, archived in (("archive", True), ("restore", False)):

            def archive(
                session: Session,
                principal: Principal,
                record_id: int,
                version: int,
                client: str,
                values: dict[str, Any],
                archived: bool = archived,
            ) -> service.SaveResult:
                return service.set_archived(
                    session,
                    principal=principal,
                    resource=resource,
                    record_id=record_id,
                    version=version,
                    archived=archived,
                    client=client,
                )

            _change_route(f"{one}/{verb}", f"{verb}_{key}", f"{verb.title()} {name_en}", archive)

    @router.get(
        f"{one}/history",
        summary=f"History of {name_en}",
        operation_id=f"history_{key}",
        tags=tags,
        response_model=None,
        responses={200: {"model": HistoryPage}, **_problem_responses(403, 404)},
    )
    def record_history(
        request: Request, record_id: int = record_id_path, who: Caller = Depends(caller)
    ) -> Response:
        principal = who.principal
        with session_scope(write=False) as session:
            schema = schema_now(session)
            entries = service.trail_entries(
                session, principal=principal, resource=resource, record_id=record_id
            )
            described = service.describe_trail(
                session, principal=principal, entries=entries, lang=problems.language(request)
            )
            rows = [
                {
                    "id": entry.id,
                    "at": entry.at,
                    "actor": entry.actor,
                    "action": entry.action,
                    "changes": _raw_changes(schema, principal, entry),
                    "described": text,
                }
                for entry, text in zip(entries, described, strict=True)
            ]
        return calls.respond(200, {"data": rows})

    if resource.attachments:
        _attachment_routes(router, resource, one, tags, record_id_path)


def _sent(body: BaseModel) -> dict[str, Any]:
    """The fields a body named (null included), custom ones too."""
    return body.model_dump(exclude_unset=True)


def _raw_changes(schema: service.Schema, principal: Principal, entry: Any) -> dict[str, Any]:
    """An audit entry's changes as written, what the caller may not read masked (the engine's
    rule for histories: ``service.shown_changes``)."""
    return {
        name: pair if readable else [service.MASK, service.MASK]
        for name, (pair, readable) in service.shown_changes(schema, principal, entry).items()
    }


def _attachment_data(attachment: Any) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "category": attachment.category,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_by": attachment.uploaded_by,
        "created_at": attachment.created_at,
    }


# the attachment module's refusals and the field of the upload each is about
_UPLOAD_FIELD = {"attachment.category": "category", "attachment.type": "filename"}


def _attachment_routes(
    router: APIRouter, resource: Resource, one: str, tags: list[str], record_path: Any
) -> None:
    key = resource.key
    name_en = resource.label("en")

    @router.get(
        f"{one}/attachments",
        summary=f"Files attached to {name_en}",
        operation_id=f"attachments_{key}",
        tags=tags,
        response_model=None,
        responses={200: {"model": AttachmentList}, **_problem_responses(403, 404)},
    )
    def list_attachments(record_id: int = record_path, who: Caller = Depends(caller)) -> Response:
        with session_scope(write=False) as session:
            found = attachments.listing(
                session, principal=who.principal, resource=resource, record_id=record_id
            )
            rows = [_attachment_data(a) for a in found]
        return calls.respond(200, {"data": rows})

    @router.post(
        f"{one}/attachments",
        summary=f"Attach a file to {name_en} (base64 in JSON)",
        operation_id=f"attach_{key}",
        tags=tags,
        status_code=201,
        response_model=None,
        responses={201: {"model": AttachmentAnswer}, **_problem_responses(403, 404, 422)},
    )
    def attach(
        request: Request,
        body: AttachmentUpload,
        record_id: int = record_path,
        who: Caller = Depends(caller),
    ) -> Response:
        try:
            data = base64.b64decode(body.content_base64, validate=True)
        except (binascii.Error, ValueError) as error:
            raise problems.invalid({"content_base64": "field.invalid"}) from error

        def work(session: Session) -> tuple[int, Any]:
            added, refusal = attachments.add(
                session,
                principal=who.principal,
                resource=resource,
                record_id=record_id,
                filename=body.filename,
                data=data,
                category=body.category,
                client=client_address(request),
            )
            if added is None:
                raise problems.invalid({_UPLOAD_FIELD.get(refusal, "content_base64"): refusal})
            return 201, {"data": _attachment_data(added)}

        return calls.write(request, who, body, work)

    @router.get(
        f"{one}/attachments/{{attachment_id}}",
        summary=f"Download a file attached to {name_en}",
        operation_id=f"download_{key}",
        tags=tags,
        response_model=None,
        responses={
            200: {"content": {"application/octet-stream": {}}, "description": "The file"},
            **_problem_responses(403, 404),
        },
    )
    def download(
        request: Request,
        record_id: int = record_path,
        attachment_id: int = Path(ge=1, le=fieldlib.MAX_ID),
        who: Caller = Depends(caller),
    ) -> Response:
        with session_scope(write=True) as session:
            found = attachments.read(
                session,
                principal=who.principal,
                resource=resource,
                attachment_id=attachment_id,
                client=client_address(request),
            )
            stored = session.get(attachments.Attachment, attachment_id)
            if stored is None or stored.record_id != record_id:
                raise Problem(404, "error.not_found")
        return Response(
            found.data,
            media_type=found.content_type,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.filename)}"
            },
        )


def _catalogue_of(principal: Principal) -> list[dict[str, Any]]:
    visible = []
    for resource in all_resources():
        if not principal.can(resource.permission, "view"):
            continue
        actions = ["view"] + [
            a
            for a in ("create", "edit", "archive")
            if principal.can(resource.permission, a) and (a != "archive" or resource.archivable)
        ]
        visible.append(
            {
                "key": resource.key,
                "label": {"en": resource.label("en"), "zh": resource.label("zh")},
                "path": f"/api/v1{BASE}/{resource.key}",
                "actions": actions,
                "transitions": [
                    t.key
                    for t in (resource.workflow.transitions if resource.workflow else ())
                    if principal.can(resource.permission, t.action)
                ],
                "archivable": resource.archivable,
                "attachments": resource.attachments,
                "fields": [
                    {
                        "name": f.name,
                        "kind": f.kind,
                        "label": {"en": f.label("en"), "zh": f.label("zh")},
                        "required": f.required,
                        "readable": service.can_read(principal, f),
                        "editable": service.can_edit(principal, resource, f),
                    }
                    for f in resource.fields
                ],
            }
        )
    return visible


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get(
        BASE,
        summary="The resources this client may see",
        operation_id="list_resources",
        tags=["resources"],
        response_model=None,
        # registers the Problem schema every operation's refusals refer to
        responses={
            200: {"model": ResourceList},
            **_problem_responses(),
            401: {**_problem_responses()[401], "model": ProblemSchema},
        },
    )
    def list_resources(who: Caller = Depends(caller)) -> Response:
        return calls.respond(200, {"data": _catalogue_of(who.principal)})

    return router


def resource_router(resource: Resource) -> APIRouter:
    """One resource's routes (``/resources/{key}…``)."""
    router = APIRouter()
    _resource_routes(router, resource)
    return router


router = build_router()
# each resource's own router: the app dispatches to it by key rather than matching every
# resource's routes in turn (see ``backoffice.api.app``)
ROUTERS: dict[str, APIRouter] = {r.key: resource_router(r) for r in all_resources()}
