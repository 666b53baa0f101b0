"""Transactions: one index on (kind, amount, status) in place of the one on kind alone

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 10:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_transaction_kind_amount", "transaction", ["kind", "amount", "status"], unique=False
    )
    op.drop_index("ix_transaction_kind", table_name="transaction")


def downgrade() -> None:
    op.create_index("ix_transaction_kind", "transaction", ["kind"], unique=False)
    op.drop_index("ix_transaction_kind_amount", table_name="transaction")
