"""Field declarations: how a column is labelled, shown, parsed and validated.

Parsing turns what a form or an import file sends (always text) into the Python value the
model stores, or an i18n error key; formatting turns a stored value into what a list shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from backoffice.i18n import choice_label, translate
from backoffice.platform import numerals
from backoffice.platform.refusal import Refusal

KINDS = (
    "text", "longtext", "int", "money", "percent", "decimal", "date", "datetime", "bool",
    "choice", "multi_choice", "ref", "multi_ref",
)  # fmt: skip
ENCRYPTABLE_NOT = ("multi_ref", "ref", "bool", "multi_choice")
MONEY_QUANTUM = Decimal("0.01")
PERCENT_QUANTUM = Decimal("0.0001")
MAX_MONEY = Decimal("9999999999999999.99")


class FieldError(Refusal, ValueError):
    """A value that does not fit its field; ``key`` is the i18n message."""


@dataclass(frozen=True)
class FieldSpec:
    """A field's label is the catalogue's ``field.<resource>.<name>`` (its resource sets
    ``label_key``), its help line, when it has one, ``field.<resource>.<name>.help``."""

    name: str
    kind: str = "text"
    required: bool = False
    max_length: int | None = None
    min_value: Decimal | int | None = None
    max_value: Decimal | int | None = None
    choices: tuple[str, ...] = ()
    choice_group: str = ""  # i18n group: choice.<group>.<value>
    ref: str = ""  # the resource a "ref" field points at
    help: bool = False  # a line under the input: the catalogue's "<label_key>.help"
    editable: bool = True  # shown in create/edit forms
    read_permission: tuple[str, str] | None = None  # else masked
    edit_permission: tuple[str, str] | None = None
    validator: Callable[[Any], str | None] | None = None  # returns an i18n key or None
    custom: bool = False  # added by an administrator at run time
    # (field, values): the field applies only while that field holds one of the values, e.g.
    # insurance terms for insurance products; otherwise it is hidden, not required and cleared
    shown_when: tuple[str, tuple[str, ...]] | None = None
    # multi_ref: (link table model, column naming this record, column naming the other record);
    # the value is the linked ids as "3,5,7" and lives in the link table, not in a column
    link: tuple[Any, str, str] | None = None
    # set when the record is created and never changed after (e.g. the customer of a case)
    fixed: bool = False
    # a blind-index purpose: the clear value is validated, then only its keyed hash is stored
    # (exact matching without keeping the value); it is never shown back, and a blank edit keeps it
    one_way: str = ""
    # stored encrypted in the column ``<name>_cipher``; read only through the engine, which
    # decrypts for callers with ``read_permission`` and never for anyone else. Not listable by
    # value in SQL: no filters, search or sorting on it
    encrypted: bool = False
    # holds a login name (an assignee, who recorded it): shown as the person's display name
    person: bool = False
    # text stored in upper case whatever was typed (codes quoted by customers)
    upper_case: bool = False
    # no two records hold one value: a save repeating another record's value gets a field
    # error (``field.taken``) instead of the database's refusal; its column has a unique index
    unique: bool = False
    label_key: str = ""  # set by the resource declaring the field
    # a custom field's labels as its administrator typed them: ((language, text), ...), data
    # read from the database rather than catalogue text
    stored_labels: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if self.kind in ("choice", "multi_choice") and not self.choices:
            raise ValueError(f"{self.name}: a choice field needs choices")
        if self.kind in ("ref", "multi_ref") and not self.ref:
            raise ValueError(f"{self.name}: a ref field needs the resource it points at")
        if (self.kind == "multi_ref") != (self.link is not None):
            raise ValueError(f"{self.name}: a link table goes with a multi_ref field")
        if self.one_way and self.kind != "text":
            raise ValueError(f"{self.name}: only a text field can be stored one way")
        if (self.upper_case or self.unique) and self.kind != "text":
            raise ValueError(f"{self.name}: only a text field is upper-cased or unique")
        if self.encrypted and (self.read_permission is None or self.kind in ENCRYPTABLE_NOT):
            raise ValueError(f"{self.name}: encrypt a plain value, readable under a permission")

    def label(self, lang: str) -> str:
        if self.stored_labels:
            return dict(self.stored_labels)[lang]
        return translate(self.label_key, lang)

    def help_text(self, lang: str) -> str:
        return translate(f"{self.label_key}.help", lang) if self.help else ""

    @property
    def column(self) -> str:
        """The model column holding the value."""
        return f"{self.name}_cipher" if self.encrypted else self.name

    @property
    def in_row(self) -> bool:
        """Stored in the record's own row (not in a link table): listable, exportable."""
        return self.kind != "multi_ref"

    def applies(self, values: dict[str, Any]) -> bool:
        if self.shown_when is None:
            return True
        field, allowed = self.shown_when
        return str(values.get(field) or "") in allowed

    def choice_text(self, value: str, lang: str) -> str:
        if self.choice_group:
            return choice_label(self.choice_group, value, lang)
        return value


_INT = re.compile(r"[+-]?[0-9]+")  # ASCII digits: "\d" also matches "５" and "٣"


# The widest numbers any column holds (NUMERIC(18,2) money, 64-bit integers); anything beyond
# is refused here, before Decimal arithmetic or the database would fail on it. Narrower
# columns are checked against the model by ``service.column_problem``.
MAX_DIGITS = 18
MAX_INT = 2**63 - 1
MAX_ID = 2**31 - 1  # id columns are INTEGER: PostgreSQL refuses to compare one with more


def _decimal(text: str) -> Decimal:
    """A number as staff type it ("1,000.00", "¥1,000", "3.5%"): ASCII digits, a sign and a
    point once the grouping, currency and percent signs are set aside; never an exponent,
    "5_000", other scripts' digits or "NaN"."""
    value = numerals.decimal(text.replace(",", "").replace("¥", "").replace("%", "").strip())
    if value is None:
        raise FieldError("field.not_a_number")
    return value


def _whole(text: str, error: str, limit: int = MAX_INT) -> int:
    """An integer typed as text (digits, optional sign), within ``limit``."""
    if len(text) > 100 or not _INT.fullmatch(text):  # int() refuses texts of 4,300 digits
        raise FieldError(error)
    value = int(text)
    if abs(value) > limit:
        raise FieldError("field.too_large" if error == "field.not_an_integer" else error)
    return value


def is_id(value: object) -> bool:
    """A record id as a caller may send one: a positive int that fits the database (not a
    bool, a text or a float)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def storable_text(value: str) -> bool:
    """Text every database stores as sent: no NUL (PostgreSQL refuses it) and no lone
    surrogate (not encodable as UTF-8)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse(spec: FieldSpec, raw: object) -> Any:
    """Text (or an already typed value) → the stored value; raises FieldError."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if spec.required:
            raise FieldError("field.required")
        if spec.kind == "bool":
            return False
        return "" if spec.kind in ("text", "longtext", "multi_ref") else None
    text = raw.strip() if isinstance(raw, str) else raw
    value: Any
    if spec.kind in ("text", "longtext"):
        value = str(text)
        if spec.max_length and len(value) > spec.max_length:
            raise FieldError("field.too_long", max=spec.max_length)
        if not storable_text(value):
            raise FieldError("field.invalid")
        if spec.upper_case:
            value = value.upper()
    elif spec.kind == "int":
        if isinstance(text, bool):
            raise FieldError("field.not_an_integer")
        value = _whole(str(text), "field.not_an_integer")
    elif spec.kind in ("money", "percent", "decimal"):
        value = text if isinstance(text, Decimal) else _decimal(str(text))
        if not value.is_finite():
            raise FieldError("field.not_a_number")
        if value.adjusted() >= MAX_DIGITS:
            raise FieldError("field.too_large")
        quantum = MONEY_QUANTUM if spec.kind == "money" else PERCENT_QUANTUM
        if value != value.quantize(quantum):
            raise FieldError("field.too_many_decimals", places=-quantum.as_tuple().exponent)
        value = value.quantize(quantum)
        if spec.kind == "money" and abs(value) > MAX_MONEY:
            raise FieldError("field.too_large")
    elif spec.kind == "date":
        if isinstance(text, date):
            value = text
        else:
            try:
                value = date.fromisoformat(str(text)[:10])
            except ValueError as exc:
                raise FieldError("field.not_a_date") from exc
    elif spec.kind == "datetime":
        try:
            value = text if isinstance(text, datetime) else datetime.fromisoformat(str(text))
            if value.tzinfo is None:  # typed by staff: their time zone
                from backoffice.config import get_settings

                value = value.replace(tzinfo=get_settings().zone)
            value = value.astimezone(UTC)  # overflows at the ends of the calendar
        except (ValueError, OverflowError) as exc:
            raise FieldError("field.not_a_date") from exc
    elif spec.kind == "bool":
        lowered = str(text).lower()
        if lowered not in ("true", "false", "1", "0", "on", "off", "yes", "no", "是", "否"):
            raise FieldError("field.not_a_choice")
        value = lowered in ("true", "1", "on", "yes", "是")
    elif spec.kind == "choice":
        value = str(text)
        if value not in spec.choices:  # an import may carry the label in either language
            by_label = {spec.choice_text(c, lang): c for c in spec.choices for lang in ("zh", "en")}
            if value not in by_label:
                raise FieldError("field.not_a_choice")
            value = by_label[value]
    elif spec.kind == "multi_choice":
        items = text if isinstance(text, list | tuple) else str(text).replace("，", ",").split(",")
        by_label = {spec.choice_text(c, lang): c for c in spec.choices for lang in ("zh", "en")}
        chosen = []
        for item in (str(i).strip() for i in items):
            if not item:
                continue
            value = item if item in spec.choices else by_label.get(item)
            if value is None:
                raise FieldError("field.not_a_choice")
            if value not in chosen:
                chosen.append(value)
        if spec.required and not chosen:
            raise FieldError("field.required")
        value = ",".join(c for c in spec.choices if c in chosen)  # stored in declared order
    elif spec.kind == "ref":
        if isinstance(text, bool):
            raise FieldError("field.not_found")
        value = _whole(str(text), "field.not_found", MAX_ID)
    elif spec.kind == "multi_ref":
        items = text if isinstance(text, list | tuple) else str(text).split(",")
        ids = set()
        for item in (str(i).strip() for i in items):
            if not item:
                continue
            ids.add(_whole(item, "field.not_found", MAX_ID))
        if spec.required and not ids:
            raise FieldError("field.required")
        return ",".join(str(i) for i in sorted(ids))
    else:  # pragma: no cover - guarded by __post_init__
        raise FieldError("field.invalid")
    if spec.min_value is not None and value < spec.min_value:
        raise FieldError("field.too_small", min=spec.min_value)
    if spec.max_value is not None and value > spec.max_value:
        raise FieldError("field.too_large", max=spec.max_value)
    if spec.validator is not None:
        problem = spec.validator(value)
        if problem:
            raise FieldError(problem)
    return value


def to_text(value: Any) -> str:
    """A stored value as form text (what an edit form is filled with, and exports)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def display(spec: FieldSpec, value: Any, lang: str, zone: ZoneInfo) -> str:
    """A stored value as a list or detail page shows it."""
    if value is None or value == "":
        return "—"
    if spec.one_way:
        return translate("field.on_file_hash_only", lang)
    if spec.kind == "money":
        return f"¥{value:,.2f}"
    if spec.kind == "percent":
        return f"{value.quantize(Decimal('0.01'))}%"
    if spec.kind == "datetime":
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if spec.kind == "bool":
        return translate("common.yes" if value else "common.no", lang)
    if spec.kind == "choice":
        return spec.choice_text(str(value), lang)
    if spec.kind == "multi_choice":
        return "、".join(spec.choice_text(v, lang) for v in str(value).split(",") if v)
    if spec.kind == "int":
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return to_text(value)
