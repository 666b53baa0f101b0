"""The audit trail: append-only entries chained by SHA-256, written in the caller's transaction.

Each entry's hash covers its content and the previous entry's hash, so editing or deleting any
row breaks the chain from that row on; :func:`verify_chain` finds the first broken link.
Appends are serialised through the single ``audit_head`` row, which every writer updates first.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.audit import AuditEntry, AuditHead
from models.base import utcnow

GENESIS = "0" * 64


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def canonical_changes(changes: dict[str, Any] | None) -> str:
    return json.dumps(changes or {}, sort_keys=True, ensure_ascii=False, default=_json_default)


def entry_hash(entry: AuditEntry) -> str:
    payload = "\x1f".join(
        [
            entry.prev_hash,
            entry.at.isoformat(timespec="microseconds"),
            entry.actor,
            entry.action,
            entry.entity,
            entry.entity_id,
            entry.changes,
            entry.client,
        ]
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int = "",
    changes: dict[str, Any] | None = None,
    client: str = "",
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the change)."""
    locked = session.execute(
        sa.update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
    )
    if locked.rowcount == 0:
        try:
            with session.begin_nested():
                session.add(AuditHead(id=1, seq=1, last_hash=GENESIS))
        except IntegrityError:  # the very first appends raced: another one created the head
            session.execute(
                sa.update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
            )
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
    session.refresh(head)
    entry = AuditEntry(
        at=utcnow(),
        actor=actor[:100],
        action=action[:60],
        entity=entity[:60],
        entity_id=str(entity_id)[:64],
        changes=canonical_changes(changes),
        client=client[:100],
        prev_hash=head.last_hash,
        hash="",
    )
    entry.hash = entry_hash(entry)
    head.last_hash = entry.hash
    session.add(entry)
    session.add(head)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the log in id order and report the first entry whose link or content is wrong."""
    expected_prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.exec(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.prev_hash != expected_prev:
                return ChainReport(checked, entry.id, "link to the previous entry is broken")
            if entry_hash(entry) != entry.hash:
                return ChainReport(checked, entry.id, "content does not match its hash")
            expected_prev = entry.hash
            checked += 1
            last_id = entry.id or 0
    head = session.get(AuditHead, 1)
    if head is not None and head.last_hash != expected_prev:
        return ChainReport(checked, last_id + 1, "entries after the last one were removed")
    return ChainReport(checked, None)
