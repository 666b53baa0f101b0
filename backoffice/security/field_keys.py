"""Rotation of the field-encryption keys over every encrypted column.

The procedure: generate a key, put it first in ``BACKOFFICE_FIELD_KEYS`` (the old keys stay
after it, so everything still decrypts), run :func:`rotate_all`, then drop the old keys. Each
batch commits on its own and re-encrypting is idempotent, so an interrupted run is simply
started again.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from sqlmodel import SQLModel

from backoffice import db
from backoffice.platform import audit
from backoffice.security import fields

CIPHER_SUFFIX = "_cipher"  # every encrypted column is named so


class RotationError(RuntimeError):
    pass


def new_key() -> str:
    return Fernet.generate_key().decode()


def cipher_columns() -> list[tuple[sa.Table, list[sa.Column]]]:
    """Each table holding encrypted values, with those columns."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name.endswith(CIPHER_SUFFIX)]
        if columns and "id" in table.columns:
            found.append((table, columns))
    return found


def rotate_all(
    batch: int = 500, progress: Callable[[str], None] = lambda _line: None
) -> dict[str, int]:
    """Re-encrypt every value under the newest key; returns the values rotated per column."""
    engine = db.engine()
    counts: dict[str, int] = {}
    for table, columns in cipher_columns():
        last_id = 0
        while True:
            with engine.begin() as conn:
                rows = conn.execute(
                    sa.select(table.c.id, *columns)
                    .where(table.c.id > last_id)
                    .order_by(table.c.id)
                    .limit(batch)
                ).all()
                for row in rows:
                    values = {}
                    for column in columns:
                        token = row._mapping[column.name]
                        if not token:
                            continue
                        try:
                            values[column.name] = fields.rotate(token)
                        except InvalidToken as exc:
                            raise RotationError(
                                f"{table.name}.{column.name} of row {row.id} cannot be decrypted "
                                "with the configured keys; nothing in its batch was changed"
                            ) from exc
                        key = f"{table.name}.{column.name}"
                        counts[key] = counts.get(key, 0) + 1
                    if values:
                        conn.execute(sa.update(table).where(table.c.id == row.id).values(**values))
            if not rows:
                break
            last_id = rows[-1].id
            progress(f"{table.name}: up to id {last_id:,}")
    with db.session_scope(write=True) as session:
        audit.record(
            session,
            actor="system",
            action="field_keys.rotate",
            entity="field_keys",
            changes={f"rotated.{name}": [None, n] for name, n in sorted(counts.items())},
        )
    return counts
