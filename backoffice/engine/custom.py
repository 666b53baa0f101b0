"""Runtime custom fields: definitions administrators add, and the values records carry.

A custom field ``risk_owner`` on a resource appears to the engine as the field ``x_risk_owner``
(kind, labels, required, choices from its definition) in forms, lists, filters, import and
export. Values are stored as text in ``custom_value`` (one row per record and field), parsed and
validated by the same rules as declared fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.engine.fields import FieldSpec, to_text
from backoffice.platform import audit
from backoffice.security.rbac import Principal
from models.custom_fields import CustomField, CustomValue

PREFIX = "x_"
CUSTOM_KINDS = (
    "text", "longtext", "int", "decimal", "money", "date", "bool", "choice", "multi_choice",
)  # fmt: skip
NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
MAX_FIELDS_PER_RESOURCE = 30


def spec_of(definition: CustomField) -> FieldSpec:
    choices = tuple(c.strip() for c in definition.choices.splitlines() if c.strip())
    return FieldSpec(
        name=PREFIX + definition.name,
        stored_labels=(("zh", definition.label_zh), ("en", definition.label_en)),
        kind=definition.kind,
        required=definition.required,
        choices=choices,
        max_length=500 if definition.kind in ("text", "longtext") else None,
        custom=True,
    )


# built once: every list and record asks for its resource's definitions (a statement built
# anew each time costs SQLAlchemy more than SQLite takes to answer it)
_DEFINITIONS = (
    select(CustomField)
    .where(CustomField.resource == sa.bindparam("resource"), CustomField.archived_at.is_(None))
    .order_by(CustomField.position, CustomField.id)
)


def definitions(session: Session, resource_key: str) -> list[CustomField]:
    return list(session.exec(_DEFINITIONS, params={"resource": resource_key}).all())


def specs(session: Session, resource_key: str) -> list[FieldSpec]:
    return [spec_of(d) for d in definitions(session, resource_key)]


def generation(session: Session) -> tuple[int, int, int]:
    """A key that changes whenever the set of custom fields changes (one added, one archived
    or otherwise rewritten: each write raises its version), read in one small aggregate: what
    is built from the definitions (the API's document) is built again only then."""
    count, last, versions = session.execute(
        sa.select(
            sa.func.count(CustomField.id),
            sa.func.coalesce(sa.func.max(CustomField.id), 0),
            sa.func.coalesce(sa.func.sum(CustomField.version), 0),
        )
    ).one()
    return int(count), int(last), int(versions)


def _ids(session: Session, resource_key: str) -> dict[str, int]:
    return {PREFIX + d.name: d.id for d in definitions(session, resource_key)}


def values_for(
    session: Session, resource_key: str, record_ids: Iterable[int]
) -> dict[int, dict[str, str]]:
    """{record id: {x_name: stored text}} for the given records."""
    ids = list(record_ids)
    if not ids:
        return {}
    names = {v: k for k, v in _ids(session, resource_key).items()}
    result: dict[int, dict[str, str]] = {}
    rows = session.exec(
        select(CustomValue.record_id, CustomValue.field_id, CustomValue.value).where(
            CustomValue.resource == resource_key, CustomValue.record_id.in_(ids)
        )
    ).all()
    for record_id, field_id, value in rows:
        if field_id in names:
            result.setdefault(record_id, {})[names[field_id]] = value
    return result


def save_values(
    session: Session, resource_key: str, record_id: int, values: dict[str, Any]
) -> None:
    ids = _ids(session, resource_key)
    for name, value in values.items():
        field_id = ids.get(name)
        if field_id is None:
            continue
        session.execute(
            sa.delete(CustomValue).where(
                CustomValue.resource == resource_key,
                CustomValue.record_id == record_id,
                CustomValue.field_id == field_id,
            )
        )
        text = to_text(value)
        if text != "":
            session.add(
                CustomValue(
                    resource=resource_key, record_id=record_id, field_id=field_id, value=text
                )
            )
    session.flush()


def condition(
    session: Session,
    resource_key: str,
    id_column: sa.ColumnElement,
    spec: FieldSpec,
    bound: str,
    value: Any,
) -> sa.ColumnElement[bool]:
    """A WHERE clause on a custom field: exact match, or a range on numbers and dates."""
    field_id = _ids(session, resource_key)[spec.name]
    stored: sa.ColumnElement = CustomValue.value
    compared: Any = to_text(value)
    if spec.kind in ("int", "decimal", "money") and bound:
        stored, compared = sa.cast(CustomValue.value, sa.Numeric(20, 4)), Decimal(str(value))
    if spec.kind == "multi_choice":
        from backoffice.engine.service import contains_choices

        test = contains_choices(CustomValue.value, compared)
        return sa.exists().where(
            CustomValue.resource == resource_key,
            CustomValue.record_id == id_column,
            CustomValue.field_id == field_id,
            test,
        )
    test = (
        stored >= compared
        if bound == "min"
        else stored <= compared
        if bound == "max"
        else stored == compared
    )
    return sa.exists().where(
        CustomValue.resource == resource_key,
        CustomValue.record_id == id_column,
        CustomValue.field_id == field_id,
        test,
    )


def add_definition(
    session: Session,
    *,
    actor: Principal,
    resource_key: str,
    name: str,
    label_zh: str,
    label_en: str,
    kind: str,
    required: bool = False,
    choices: str = "",
    in_list: bool = True,
    declared: Iterable[str] = (),
) -> tuple[CustomField | None, dict[str, str]]:
    """Add a field to a resource; returns (definition, {form field: i18n key})."""
    errors = {}
    name = name.strip().lower()
    if not NAME.match(name):
        errors["name"] = "custom.name_invalid"
    elif (
        PREFIX + name in declared
        or session.exec(
            select(CustomField.id).where(
                CustomField.resource == resource_key, CustomField.name == name
            )
        ).first()
    ):
        errors["name"] = "custom.name_taken"
    if not label_zh.strip():
        errors["label_zh"] = "field.required"
    if not label_en.strip():
        errors["label_en"] = "field.required"
    if kind not in CUSTOM_KINDS:
        errors["kind"] = "field.not_a_choice"
    values = [c.strip() for c in choices.splitlines() if c.strip()]
    if kind in ("choice", "multi_choice") and not values:
        errors["choices"] = "custom.choices_required"
    if len(values) != len(set(values)) or any(len(v) > 100 for v in values):
        errors["choices"] = "custom.choices_invalid"
    if len(definitions(session, resource_key)) >= MAX_FIELDS_PER_RESOURCE:
        errors["name"] = "custom.too_many"
    if errors:
        return None, errors
    definition = CustomField(
        resource=resource_key,
        name=name,
        label_zh=label_zh.strip()[:100],
        label_en=label_en.strip()[:100],
        kind=kind,
        required=required,
        choices="\n".join(values),
        in_list=in_list,
        position=len(definitions(session, resource_key)),
    )
    session.add(definition)
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="custom_field.create",
        entity="custom_field",
        entity_id=definition.id,
        changes={
            "resource": [None, resource_key],
            "name": [None, name],
            "kind": [None, kind],
            "required": [None, required],
        },
    )
    return definition, {}


def archive_definition(session: Session, *, actor: Principal, field_id: int) -> bool:
    definition = session.get(CustomField, field_id) if isinstance(field_id, int) else None
    if definition is None or definition.archived_at is not None:
        return False
    from models.base import utcnow

    definition.archived_at = utcnow()
    definition.version += 1
    session.add(definition)
    audit.record(
        session,
        actor=actor.username,
        action="custom_field.archive",
        entity="custom_field",
        entity_id=field_id,
        changes={"archived": [False, True]},
    )
    return True
