"""Kept API answers sealed

The answer kept for an ``Idempotency-Key`` replay may name a salary or other confidential
values: it is now stored sealed with the field encryption (``response_cipher``, so key
rotation covers it) instead of in clear. The answers already kept are sealed in place.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 18:00:00.000000
"""
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from backoffice.security import fields


revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rename(old: str, new: str) -> None:
    with op.batch_alter_table('api_idempotency', schema=None) as batch_op:
        batch_op.alter_column(
            old, new_column_name=new, existing_type=sa.Text(), existing_nullable=False
        )


def _rewrite(column: str, change: Callable[[str], str]) -> None:
    connection = op.get_bind()
    table = sa.table('api_idempotency', sa.column('id', sa.Integer()), sa.column(column, sa.Text()))
    rows = connection.execute(sa.select(table.c.id, table.c[column])).all()
    for row_id, value in rows:
        connection.execute(
            sa.update(table).where(table.c.id == row_id).values({column: change(value)})
        )


def upgrade() -> None:
    _rename('response_body', 'response_cipher')
    _rewrite('response_cipher', fields.encrypt)


def downgrade() -> None:
    _rewrite('response_cipher', fields.decrypt)
    _rename('response_cipher', 'response_body')
