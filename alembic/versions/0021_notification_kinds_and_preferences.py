"""Notifications get a kind (backfilled from their dedupe keys) and per-person preferences

The bell groups notifications by kind and counts only the kinds that reach each person; the
new indexes walk each addressee's notifications of one kind newest first (the open bell's
groups); the unread count keeps walking 0017's indexes.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the dedupe-key prefix each notify() call site used before kinds existed
PREFIXES = (
    ("kyc.overdue.", "kyc_overdue"),
    ("suitability_review:", "suitability"),
    ("ticket:", "ticket_sla"),
    ("product_change:", "product_change"),
    ("partner:", "contract"),
    ("campaign:", "campaign_budget"),
    ("kpi_alert:", "kpi_alert"),
    ("risk:", "risk_indicator"),
    ("milestone:", "milestone"),
    ("auth.locked_out:", "sign_in"),
    ("audit.", "audit_alert"),
)


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.String(length=30),
                nullable=False,
                server_default="general",
            )
        )
    notification = sa.table("notification", sa.column("kind"), sa.column("dedupe_key"))
    for prefix, kind in PREFIXES:
        op.execute(
            notification.update()
            .where(notification.c.dedupe_key.like(prefix.replace("_", "/_") + "%", escape="/"))
            .values(kind=kind)
        )
    op.create_index("ix_notification_user_kind_newest", "notification", ["user_id", "kind", "id"])
    op.create_index("ix_notification_role_kind_newest", "notification", ["role", "kind", "id"])
    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("bell", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("user_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("notification_preference")
    op.drop_index("ix_notification_user_kind_newest", table_name="notification")
    op.drop_index("ix_notification_role_kind_newest", table_name="notification")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("kind")
