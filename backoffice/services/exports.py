"""Files the portal hands out (lists, charts, reports, evidence packs) are audited in one way:
who took what, how many rows, with which parameters, from where. The service that produces the
file records it; states only pass the file on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from backoffice.db import session_scope
from backoffice.security.rbac import Principal
from backoffice.services import audit


@dataclass(frozen=True)
class ExportFile:
    filename: str
    data: bytes
    rows: int | None = None
    mime_type: str = "text/csv"


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
