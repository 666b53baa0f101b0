"""The append-only, hash-chained audit log (the database refuses UPDATE and DELETE on
``audit_entry``: triggers from migration 0018)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, code_field, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    actor: str = code_field(100, index=True)  # a username, or "system"
    action: str = code_field(60, index=True)
    entity: str = code_field(60)
    entity_id: str = code_field(64, default="")
    changes: str = Field(default="{}", sa_type=sa.Text)  # JSON: {field: [before, after]}
    client: str = code_field(100, default="")
    prev_hash: str = code_field(64)
    hash: str = code_field(64, unique=True)
    # the HMAC key the hash was made with; "" for entries from before keyed hashing (SHA-256)
    key_id: str = code_field(16, default="", sa_column_kwargs={"server_default": ""})


class AuditHead(SQLModel, table=True):
    """One row: the last hash of the chain, updated by every append to serialise writers."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    last_hash: str = code_field(64)
