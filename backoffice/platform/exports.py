"""Files the portal hands out (lists, charts, reports, evidence packs) are audited in one way:
who took what, how many rows, with which parameters, from where. The service that produces the
file records it; states only pass the file on."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from backoffice.db import session_scope
from backoffice.platform import audit
from backoffice.security.rbac import Principal


@dataclass(frozen=True)
class ExportFile:
    filename: str
    data: bytes
    rows: int | None = None
    mime_type: str = "text/csv"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: object) -> bool:
    """Text a spreadsheet would evaluate (``=HYPERLINK(…)``, ``+1+1``, ``@SUM``); a plain
    number such as -12.50 is not one."""
    if not isinstance(text, str) or not text.startswith(FORMULA_STARTS):
        return False
    try:
        float(text)
    except ValueError:
        return True
    return False


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file for staff: the header as labels in their language (the caller's), UTF-8 with
    the BOM Excel needs for Chinese, and text that would run as a formula shown as text (a
    leading apostrophe, OWASP's advice against CSV injection)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(
        [f"'{c}" if looks_like_formula(c) else ("" if c is None else c) for c in row]
        for row in rows
    )
    return out.getvalue().encode("utf-8-sig")


def audit_export(
    session: Session,
    *,
    principal: Principal,
    what: str,
    entity: str,
    rows: int | None,
    client: str = "",
    entity_id: str | int = "",
    details: Mapping[str, Any] | None = None,
) -> None:
    """One audit entry for a file handed out, in the caller's transaction."""
    changes = {name: [None, value] for name, value in (details or {}).items()}
    if rows is not None:
        changes["rows"] = [None, rows]
    audit.record(
        session,
        actor=principal.username,
        action=what,
        entity=entity,
        entity_id=entity_id,
        changes=changes,
        client=client,
    )


def produce_audited(
    produce: Callable[[Session], ExportFile],
    *,
    principal: Principal,
    what: str,
    entity: str,
    client: str = "",
    details: Mapping[str, Any] | None = None,
) -> ExportFile:
    """Make a file from a read-only scope, then audit it in a short write scope of its own, so
    SQLite's write lock is never held through a long read. Nothing is audited if making the
    file is refused."""
    with session_scope() as session:
        file = produce(session)
    with session_scope(write=True) as session:
        audit_export(
            session,
            principal=principal,
            what=what,
            entity=entity,
            rows=file.rows,
            client=client,
            details=details,
        )
    return file
