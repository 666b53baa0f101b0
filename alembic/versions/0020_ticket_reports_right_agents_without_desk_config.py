"""Ticket reports get a right of their own; customer-service agents lose the desk's configuration

An existing installation's matrix follows the new defaults: cs_lead and executive may view and
export the ticket reports (per-agent SLA compliance and satisfaction), and cs_agent no longer
views the desk's configuration (SLA policies, holidays, assignment rules, canned replies: the
workspace offers the canned replies through the ticket handlers).

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-06 04:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANTS = (
    ("cs_lead", "ticket_report", "view"),
    ("cs_lead", "ticket_report", "export"),
    ("executive", "ticket_report", "view"),
    ("executive", "ticket_report", "export"),
)
REVOKED = (("cs_agent", "ticket_config", "view"),)


def _grant(role: str, resource: str, action: str) -> None:
    op.execute(
        "INSERT INTO role_permission (role_id, resource, action) "
        f"SELECT r.id, '{resource}', '{action}' FROM role r WHERE r.code = '{role}' "
        "AND NOT EXISTS (SELECT 1 FROM role_permission p WHERE p.role_id = r.id "
        f"AND p.resource = '{resource}' AND p.action = '{action}')"
    )


def _revoke(role: str, resource: str, action: str) -> None:
    op.execute(
        f"DELETE FROM role_permission WHERE resource = '{resource}' AND action = '{action}' "
        f"AND role_id IN (SELECT id FROM role WHERE code = '{role}')"
    )


def upgrade() -> None:
    for grant in GRANTS:
        _grant(*grant)
    for revoked in REVOKED:
        _revoke(*revoked)


def downgrade() -> None:
    for grant in GRANTS:
        _revoke(*grant)
    for revoked in REVOKED:
        _grant(*revoked)
