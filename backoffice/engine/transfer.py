"""Export a list view to CSV/XLSX, and import CSV/XLSX files: all rows or none.

Exports carry every field the caller may read (choice labels in the caller's language, amounts
and rates exact), gated by the export permission and audited. Imports are read, mapped to
fields, checked row by row with the same validation as the forms, and committed in a single
transaction only when every row passes; otherwise a per-row error report explains each problem.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlmodel import Session

from backoffice.config import get_settings
from backoffice.engine import custom, service
from backoffice.engine import fields as fieldlib
from backoffice.engine.fields import FieldSpec
from backoffice.engine.resource import Resource
from backoffice.i18n import translate
from backoffice.platform import audit, exports
from backoffice.platform.versioned import display_names
from backoffice.security.rbac import Principal

EXPORT_LIMIT = 200_000
IMPORT_LIMIT = 50_000
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNPACKED_BYTES = 200 * 1024 * 1024  # the XML inside: 50,000 wide rows fit in far less
CHUNK = 1000
BLANK_ROWS_FACTOR = 4  # rows read, blank ones included, stop at this many times the limit


# --- export ---------------------------------------------------------------------------------
def _export_text(spec: FieldSpec, value: Any, lang: str) -> str:
    if value is None or spec.one_way:  # a hash is no use outside; re-importing it would re-hash
        return ""
    if spec.kind == "choice":
        return spec.choice_text(str(value), lang)
    if spec.kind == "datetime":
        return value.astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M:%S")
    return fieldlib.to_text(value)


def export_view(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    query: service.ListQuery,
    lang: str,
    fmt: str,
    client: str = "",
) -> tuple[bytes, str, int]:
    """(file content, file name, rows) for the filtered view, in its sort order."""
    if fmt not in ("csv", "xlsx"):
        raise service.EngineError("export.format")
    if not resource.exportable or not principal.can(resource.permission, "export"):
        raise service.EngineError("auth.denied")
    schema = service.schema_of(session, resource)
    select, _errors = service.filtered_select(
        session, principal=principal, schema=schema, query=query
    )
    specs = [s for s in schema.fields if service.can_read(principal, s) and s.in_row]
    header = ["ID", *[s.label(lang) for s in specs]]
    rows: list[list[str]] = []
    records = session.exec(
        select.order_by(*service._order(resource, query.sort)).limit(EXPORT_LIMIT)
    )
    batch: list[Any] = []

    def flush() -> None:
        extra = (
            custom.values_for(session, resource.key, [r.id for r in batch])
            if schema.custom_fields
            else {}
        )
        people = display_names(
            session,
            {str(getattr(r, s.name) or "") for r in batch for s in specs if s.person},
            lang,
        )
        for record in batch:
            values = extra.get(record.id, {})
            line = [str(record.id)]
            for spec in specs:
                raw = (
                    values.get(spec.name)
                    if spec.custom
                    else service.stored_value(spec, record, principal)
                )
                line.append(
                    people.get(str(raw), str(raw))
                    if spec.person and raw
                    else raw
                    if spec.custom and raw is not None and spec.kind != "choice"
                    else _export_text(spec, raw, lang)
                )
            rows.append(line)
        batch.clear()

    for record in records:
        batch.append(record)
        if len(batch) >= CHUNK:
            flush()
    flush()
    content = _to_csv(header, rows) if fmt == "csv" else _to_xlsx(header, rows, resource)
    exports.audit_export(
        session,
        principal=principal,
        what=f"{resource.key}.export",
        entity=resource.key,
        rows=len(rows),
        client=client,
        details={"format": fmt, "view": query.to_params()},
    )
    stamp = service.utcnow().astimezone(get_settings().zone).strftime("%Y%m%d-%H%M")
    return content, f"{resource.key}-{stamp}.{fmt}", len(rows)


looks_like_formula = exports.looks_like_formula


def _to_csv(header: list[str], rows: list[list[str]]) -> bytes:
    return exports.csv_bytes(header, rows)


def _to_xlsx(header: list[str], rows: list[list[str]], resource: Resource) -> bytes:
    """XLSX with every value as text (openpyxl would store a string starting with "=" as a live
    formula), without the control characters the format cannot hold."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(resource.key[:31])
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):  # control characters are not allowed in the XML
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = WriteOnlyCell(sheet, value=value)
            if cell.data_type == "f":
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- import ---------------------------------------------------------------------------------
@dataclass
class ImportFile:
    columns: list[str]
    rows: list[list[str]]


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_SIZE_TAG = re.compile(rb"<(?:\w+:)?dimension[\s>/]")


def _check_parts(data: bytes, limit: int) -> None:
    """Refuse, before openpyxl opens it, a workbook that would cost far more than its limit.

    A zip bomb is refused by its unpacked size. And openpyxl reads every row of a sheet that
    does not state its size (``<dimension>``) just to learn it, before the first row is
    handed out: in such a part the row tags are counted (a regex over the unpacked bytes,
    many times faster than parsing) and counting stops at the bound ``read_table`` keeps.
    """
    most_rows = BLANK_ROWS_FACTOR * (limit + 1)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if sum(member.file_size for member in members) > MAX_XLSX_UNPACKED_BYTES:
            raise service.EngineError("import.too_large")
        for member in members:
            if member.file_size < 1024 * 1024:
                continue
            with archive.open(member) as part:
                head = part.read(64 * 1024)
                if _SIZE_TAG.search(head):
                    continue
                rows, tail, chunk = 0, b"", head
                while chunk:
                    window = tail + chunk
                    rows += len(_ROW_TAG.findall(window)) - len(_ROW_TAG.findall(tail))
                    if rows > most_rows:
                        raise service.EngineError("import.too_many_rows", limit=limit)
                    tail, chunk = window[-16:], part.read(1024 * 1024)


def _xlsx_rows(data: bytes, limit: int = IMPORT_LIMIT) -> Iterator[list[str]]:
    _check_parts(data, limit)
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield ["" if c is None else fieldlib.to_text(c) for c in row]
    finally:
        book.close()


def _csv_rows(data: bytes, _limit: int = IMPORT_LIMIT) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise service.EngineError("import.unreadable")
    yield from csv.reader(io.StringIO(text))


def read_table(data: bytes, filename: str, limit: int = IMPORT_LIMIT) -> ImportFile:
    """The first sheet (or the CSV) as text cells; raises EngineError on an unreadable file.

    Rows are counted while they are read and reading stops at the first row past ``limit``, so
    a file of a million rows costs no more than one of ``limit`` rows. Blank rows are skipped
    but counted towards a bound of their own, so a sheet of blank rows cannot run long either.
    Seconds of work for a big file: call it off the event loop (``offload.run``).
    """
    if len(data) > MAX_FILE_BYTES:
        raise service.EngineError("import.too_large")
    name = filename.lower()
    if name.endswith(".xlsx"):
        source = _xlsx_rows
    elif name.endswith(".csv"):
        source = _csv_rows
    else:
        raise service.EngineError("import.format")
    table: list[list[str]] = []
    read = 0
    try:
        for row in source(data, limit):
            read += 1
            if any(str(c).strip() for c in row):
                table.append(row)
            if len(table) - 1 > limit or read > BLANK_ROWS_FACTOR * (limit + 1):
                raise service.EngineError("import.too_many_rows", limit=limit)
    except service.EngineError:
        raise
    except Exception as exc:
        raise service.EngineError("import.unreadable") from exc
    if not table:
        raise service.EngineError("import.empty")
    columns = [str(c).strip() for c in table[0]]
    width = len(columns)
    rows = [[str(c).strip() for c in (r + [""] * width)[:width]] for r in table[1:]]
    return ImportFile(columns, rows)


def importable_fields(schema: service.Schema, principal: Principal) -> list[FieldSpec]:
    return [
        s for s in schema.fields if service.can_edit(principal, schema.resource, s) and s.in_row
    ]


def suggest_mapping(fields: list[FieldSpec], columns: list[str]) -> list[str]:
    """For each file column, the field whose name or label (either language) it matches."""
    names = {}
    for spec in fields:
        for alias in (spec.name, spec.label("zh"), spec.label("en")):
            names.setdefault(alias.strip().lower(), spec.name)
    return [names.get(c.strip().lower(), "") for c in columns]


@dataclass
class RowError:
    row: int  # 1-based line of the file, the header being line 1
    field: str
    message: str
    value: str


@dataclass
class ImportCheck:
    rows: int
    errors: list[RowError] = field(default_factory=list)
    created: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _values(file: ImportFile, mapping: list[str], row: list[str]) -> dict[str, str]:
    return {name: row[i] for i, name in enumerate(mapping) if name}


def run_import(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    file: ImportFile,
    mapping: list[str],
    lang: str,
    commit: bool,
    client: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportCheck:
    """Check every row; with ``commit``, create them all in the caller's transaction, or none.

    The caller rolls back when the result has errors (the rows created so far included).
    """
    if (
        not resource.importable
        or not principal.can(resource.permission, "import")
        or not principal.can(resource.permission, "create")
    ):
        raise service.EngineError("auth.denied")
    schema = service.schema_of(session, resource)
    allowed = {s.name for s in importable_fields(schema, principal)}
    if len(mapping) != len(file.columns) or any(m and m not in allowed for m in mapping):
        raise service.EngineError("import.mapping_invalid")
    used = [m for m in mapping if m]
    if len(used) != len(set(used)):
        raise service.EngineError("import.mapping_duplicate")
    check = ImportCheck(rows=len(file.rows))
    for index, row in enumerate(file.rows):
        values = _values(file, mapping, row)
        line = index + 2
        if commit:
            result = service.create(
                session,
                principal=principal,
                resource=resource,
                values=values,
                client=client,
                schema=schema,
            )
            problems = dict(result.errors)
            if result.message:
                problems[""] = result.message
            check.created += 1 if result.ok else 0
        else:
            _clean, problems = service.validate(
                session,
                principal=principal,
                resource=resource,
                values=values,
                creating=True,
                schema=schema,
            )
        for name, key in problems.items():
            spec = schema.field(name)
            check.errors.append(
                RowError(
                    line,
                    spec.label(lang) if spec else "",
                    translate(key, lang),
                    values.get(name, ""),
                )
            )
        if progress and (index + 1) % 200 == 0:
            progress(index + 1, len(file.rows))
    if commit and check.ok:
        audit.record(
            session,
            actor=principal.username,
            action=f"{resource.key}.import",
            entity=resource.key,
            client=client,
            changes={"rows": [None, check.created]},
        )
    if progress:
        progress(len(file.rows), len(file.rows))
    return check


def error_report(check: ImportCheck, lang: str) -> bytes:
    header = [translate(f"import.col.{c}", lang) for c in ("row", "field", "message", "value")]
    return _to_csv(header, [[str(e.row), e.field, e.message, e.value] for e in check.errors])
