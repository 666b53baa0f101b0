"""Notifications: (user_id, id) and (role, id) indexes in place of user_id and role alone

The bell reads each addressee's newest notifications; with the id in the index PostgreSQL
walks it in order and stops at the limit.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_notification_user_newest", "notification", ["user_id", "id"])
    op.create_index("ix_notification_role_newest", "notification", ["role", "id"])
    op.drop_index("ix_notification_user_id", table_name="notification")
    op.drop_index("ix_notification_role", table_name="notification")


def downgrade() -> None:
    op.create_index("ix_notification_user_id", "notification", ["user_id"])
    op.create_index("ix_notification_role", "notification", ["role"])
    op.drop_index("ix_notification_user_newest", table_name="notification")
    op.drop_index("ix_notification_role_newest", table_name="notification")
