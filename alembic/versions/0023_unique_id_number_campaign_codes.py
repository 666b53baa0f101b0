"""One customer per ID number; campaign codes of their own

The blind index of a customer's ID number becomes unique, so two sign-ups with one ID number
can never both be written, however close together they come. An installation that already
holds customers sharing an ID number is refused before anything changes, with their count and
customer numbers: which of them is the real customer is a compliance decision, and a migration
never deletes or merges customers.

Campaigns get a ``code`` column of their own (typed by marketing, unique); existing campaigns
keep the code they were quoted by until now, ``CP`` and the zero-padded id.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 17:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from backoffice.migrations import MigrationRefused


revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHOWN = 20  # customer numbers named in the refusal


class SharedIdNumbers(MigrationRefused):
    """Customers share ID numbers: the unique index cannot be made; nothing was changed."""


def shared_id_numbers(connection: sa.Connection) -> tuple[int, list[str]]:
    """(how many ID numbers more than one customer holds, those customers' numbers)."""
    shared = (
        sa.select(sa.column('id_number_hash'))
        .select_from(sa.table('customer'))
        .group_by(sa.column('id_number_hash'))
        .having(sa.func.count() > 1)
        .subquery()
    )
    count = connection.execute(sa.select(sa.func.count()).select_from(shared)).scalar_one()
    if not count:
        return 0, []
    numbers = connection.execute(
        sa.text(
            'SELECT customer_no FROM customer WHERE id_number_hash IN '
            '(SELECT id_number_hash FROM customer GROUP BY id_number_hash '
            'HAVING COUNT(*) > 1) ORDER BY id_number_hash, id'
        )
    ).scalars().all()
    return count, list(numbers)


def _refuse_shared_id_numbers() -> None:
    count, numbers = shared_id_numbers(op.get_bind())
    if not count:
        return
    shown = ', '.join(numbers[:SHOWN]) + (', …' if len(numbers) > SHOWN else '')
    raise SharedIdNumbers(
        f'{count} ID number(s) are each registered to more than one customer '
        f'({len(numbers)} customers: {shown}). One customer per ID number cannot be enforced '
        'until compliance has reviewed them and corrected or closed the duplicates; a migration '
        'never deletes or merges customers. Nothing was changed: run the migration again '
        'afterwards. (A demo database made before this version can be seeded afresh instead.)'
    )


def upgrade() -> None:
    _refuse_shared_id_numbers()  # before any change: MySQL/MariaDB commit each DDL statement
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_id_number_hash'))
        batch_op.create_index(
            batch_op.f('ix_customer_id_number_hash'), ['id_number_hash'], unique=True
        )

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=20), nullable=True))
    connection = op.get_bind()
    campaign = sa.table('campaign', sa.column('id', sa.Integer), sa.column('code', sa.String))
    ids = connection.execute(sa.select(campaign.c.id).order_by(campaign.c.id)).scalars().all()
    for campaign_id in ids:  # the code each was quoted by so far: "CP" and 6 digits
        connection.execute(
            campaign.update()
            .where(campaign.c.id == campaign_id)
            .values(code=f'CP{campaign_id:06d}')
        )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.alter_column(
            'code', existing_type=sa.String(length=20), nullable=False
        )
        batch_op.create_index(batch_op.f('ix_campaign_code'), ['code'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_code'))
        batch_op.drop_column('code')

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_id_number_hash'))
        batch_op.create_index(
            batch_op.f('ix_customer_id_number_hash'), ['id_number_hash'], unique=False
        )
