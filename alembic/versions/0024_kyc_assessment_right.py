"""A KYC case's AML risk and decision note behind a right of their own

``kyc_assessment`` (view): compliance's judgement on a case (its AML risk and the decision
note) is read by those who oversee it, compliance and executives, and no longer by every role
that reads cases (the customer platform's API key among them: no tipping-off). An existing
installation's compliance and executive roles get the right; their versions move, so API keys
read the roles' grants again on their next call.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 18:00:00.000000
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ('compliance', 'executive')


def upgrade() -> None:
    for role in ROLES:
        op.execute(
            "INSERT INTO role_permission (role_id, resource, action) "
            f"SELECT r.id, 'kyc_assessment', 'view' FROM role r WHERE r.code = '{role}' "
            "AND NOT EXISTS (SELECT 1 FROM role_permission p WHERE p.role_id = r.id "
            "AND p.resource = 'kyc_assessment' AND p.action = 'view')"
        )
        op.execute(
            "UPDATE role SET version = version + 1 "
            f"WHERE code = '{role}'"
        )


def downgrade() -> None:
    op.execute("DELETE FROM role_permission WHERE resource = 'kyc_assessment'")
