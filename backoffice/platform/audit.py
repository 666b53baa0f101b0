"""The audit trail: append-only entries chained by a keyed hash, written in the caller's
transaction.

Each entry's hash covers its content and the previous entry's hash, so editing or deleting any
row breaks the chain from that row on; :func:`verify_chain` finds the first broken link.
The hash is an HMAC-SHA256 under a key kept outside the database (``BACKOFFICE_AUDIT_KEYS``,
newest first; each entry names its key in ``key_id``), so someone who can write to the database
but has not the key cannot re-hash an edited chain. Entries written before keyed hashing
(``key_id`` "") keep verifying as plain SHA-256. Signed checkpoints of the head, written outside
the database (``audit_anchor``), catch a chain rewritten or cut below them.
Appends are serialised through the single ``audit_head`` row, which every writer updates first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, select

from backoffice.config import get_settings
from models.audit import AuditEntry, AuditHead
from models.base import utcnow

GENESIS = "0" * 64
LEGACY_KEY_ID = ""  # plain SHA-256, the scheme before keyed hashing


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def canonical_changes(changes: dict[str, Any] | None) -> str:
    return json.dumps(changes or {}, sort_keys=True, ensure_ascii=False, default=_json_default)


class UnknownAuditKey(KeyError):
    """The entry was hashed with a key this installation does not hold."""


def audit_keys() -> dict[str, bytes]:
    return dict(get_settings().audit_keys)


def entry_hash(entry: AuditEntry, keys: Mapping[str, bytes] | None = None) -> str:
    """The entry's hash: HMAC-SHA256 under its key, or SHA-256 for a legacy entry."""
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
    ).encode()
    if entry.key_id == LEGACY_KEY_ID:
        return hashlib.sha256(payload).hexdigest()
    key = (audit_keys() if keys is None else keys).get(entry.key_id)
    if key is None:
        raise UnknownAuditKey(entry.key_id)
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


# built once (every write of the portal appends), as plain statements on the tables: the head's
# turn taken (its row locked until the transaction ends) and its last hash read, in one
# statement where the database returns what an UPDATE left (SQLite, PostgreSQL), else two
# (MariaDB has no UPDATE … RETURNING); then the entry inserted and the head moved to its hash
_HEAD_ROW = AuditHead.__table__
_TAKE_TURN = sa.update(_HEAD_ROW).where(_HEAD_ROW.c.id == 1).values(seq=_HEAD_ROW.c.seq + 1)
_TAKE_TURN_READ = _TAKE_TURN.returning(_HEAD_ROW.c.last_hash)
_READ_HEAD = sa.select(_HEAD_ROW.c.last_hash).where(_HEAD_ROW.c.id == 1)
_MOVE_HEAD = (
    sa.update(_HEAD_ROW)
    .where(_HEAD_ROW.c.id == 1)
    .values(last_hash=sa.bindparam("new_hash", type_=_HEAD_ROW.c.last_hash.type))
)
_APPEND = sa.insert(AuditEntry.__table__)


def _take_turn(session: Session) -> str | None:
    """The chain's last hash, this transaction's turn taken; None while there is no head."""
    if session.get_bind().dialect.update_returning:
        return session.execute(_TAKE_TURN_READ).scalar_one_or_none()
    if session.execute(_TAKE_TURN).rowcount == 0:
        return None
    return session.execute(_READ_HEAD).scalar_one()


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
    last_hash = _take_turn(session)
    if last_hash is None:
        try:  # made before its first turn, which the next statement takes
            with session.begin_nested():
                session.execute(sa.insert(_HEAD_ROW).values(id=1, seq=0, last_hash=GENESIS))
        except IntegrityError:  # the very first appends raced: another one created the head
            pass
        last_hash = _take_turn(session)
        assert last_hash is not None
    key_id, key = get_settings().audit_keys[0]
    values = {
        "at": utcnow(),
        "actor": actor[:100],
        "action": action[:60],
        "entity": entity[:60],
        "entity_id": str(entity_id)[:64],
        "changes": canonical_changes(changes),
        "client": client[:100],
        "prev_hash": last_hash,
        "key_id": key_id,
    }
    entry = AuditEntry(**values, hash="")
    entry.hash = entry_hash(entry, {key_id: key})
    entry.id = session.execute(_APPEND, {**values, "hash": entry.hash}).inserted_primary_key[0]
    session.execute(_MOVE_HEAD, {"new_hash": entry.hash})
    held = session.identity_map.get(identity_key(AuditHead, 1))
    if held is not None:  # a head this session read earlier is stale now
        session.expire(held)
    if entry.action in BURST_ACTIONS or is_export(entry.action):
        from backoffice.domains.audit import (
            alerts as audit_alerts,  # it records nothing, imports this module
        )

        audit_alerts.after_record(session, entry)
    return entry


# what the burst rule (services/audit_alerts.py) watches; other appends run no extra query
BURST_ACTIONS = frozenset({"customer.reveal", "kyc_case.reveal", "auth.locked_out"})
# a file handed out: list and page exports by their suffix, other files by name
EXPORT_SUFFIXES = (".export", "_export", ".export_chart", ".export_page")
EXPORT_EXTRA_ACTIONS = ("kyc_case.evidence_pack", "kpi_report.download")


def is_export(action: str) -> bool:
    return action.endswith(EXPORT_SUFFIXES) or action in EXPORT_EXTRA_ACTIONS


# a look at a record that changes nothing: a revealed field, a file downloaded or opened
READ_VERBS = frozenset({"reveal", "download", "view"})


def is_read(action: str) -> bool:
    """Whether the action only read the record (a look or a file handed out), changing nothing."""
    return is_export(action) or action.rsplit(".", 1)[-1] in READ_VERBS


def _chain_columns(session: Session) -> list[sa.ColumnElement[Any]]:
    """The columns a hash covers. A file from before migration 0018 (a backup being checked)
    has no ``key_id``: all its entries are plain SHA-256 ones."""
    table = AuditEntry.__table__
    present = {c["name"] for c in sa.inspect(session.connection()).get_columns("audit_entry")}
    return [
        table.c[name] if name in present else sa.literal("").label(name)
        for name in (*HASHED_FIELDS, "id", "prev_hash", "hash", "key_id")
    ]


HASHED_FIELDS = ("at", "actor", "action", "entity", "entity_id", "changes", "client")


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None


class CheckpointLike(Protocol):
    """What :func:`verify_chain` needs of a signed checkpoint (``audit_anchor.Checkpoint``)."""

    seq: int
    entry_id: int
    head: str
    key_id: str


def verify_chain(
    session: Session,
    batch: int = 5000,
    *,
    keys: Mapping[str, bytes] | None = None,
    checkpoints: Iterable[CheckpointLike] = (),
    start_after: CheckpointLike | None = None,
) -> ChainReport:
    """Walk the log in id order and report the first entry whose link or content is wrong.

    Every hash is recomputed with the key its entry names (``keys``: the configured ones by
    default). Each checkpoint's head must be the hash of the entry at its position, and the
    chain must reach the last checkpoint (a chain re-hashed or cut below one fails).
    ``start_after`` walks only the entries after a checkpoint, taking it as vouched for.
    """
    keys = audit_keys() if keys is None else keys
    anchors = {c.entry_id: c for c in checkpoints}
    expected_prev = start_after.head if start_after else GENESIS
    checked = 0
    last_id = start_after.entry_id if start_after else 0
    keyed = bool(start_after and start_after.key_id)
    columns = _chain_columns(session)
    while True:
        rows = session.execute(
            sa.select(*columns).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.prev_hash != expected_prev:
                return ChainReport(checked, entry.id, "link to the previous entry is broken")
            if keyed and not entry.key_id:  # a downgrade to the keyless scheme is an edit
                return ChainReport(checked, entry.id, "an unkeyed hash after keyed entries")
            keyed = keyed or bool(entry.key_id)
            try:
                recomputed = entry_hash(entry, keys)
            except UnknownAuditKey:
                return ChainReport(
                    checked, entry.id, f"hashed with key {entry.key_id!r}, which is not configured"
                )
            if not hmac.compare_digest(recomputed, entry.hash):
                return ChainReport(checked, entry.id, "content does not match its hash")
            anchor = anchors.pop(entry.id or 0, None)
            if anchor is not None and anchor.head != entry.hash:
                return ChainReport(
                    checked, entry.id, f"differs from signed checkpoint {anchor.seq}"
                )
            expected_prev = entry.hash
            checked += 1
            last_id = entry.id or 0
    if anchors:  # a checkpointed entry is gone: removed, or the chain cut below it
        first = min(anchors.values(), key=lambda c: c.entry_id)
        reason = (
            f"the chain ends at entry {last_id}, below signed checkpoint {first.seq}"
            if first.entry_id > last_id
            else f"the entry of signed checkpoint {first.seq} is missing"
        )
        return ChainReport(checked, first.entry_id, reason)
    head = session.get(AuditHead, 1)
    if (
        head is not None
        and head.last_hash != expected_prev
        # entries appended while the walk ran moved the head on: not a removal
        and session.exec(select(AuditEntry.id).where(AuditEntry.id > last_id).limit(1)).first()
        is None
    ):
        return ChainReport(checked, last_id + 1, "entries after the last one were removed")
    return ChainReport(checked, None)
