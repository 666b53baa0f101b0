"""The notification centre: messages for a user or for everyone holding a role, grouped by
kind; each person chooses which kinds reach their bell."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import TableBase, code_field


class Notification(TableBase, table=True):
    __tablename__ = "notification"
    # the page gate's unread count walks each addressee's notifications newest first; the
    # open bell walks each addressee's notifications of each kind (services/notifications.py)
    __table_args__ = (
        sa.Index("ix_notification_user_newest", "user_id", "id"),
        sa.Index("ix_notification_role_newest", "role", "id"),
        sa.Index("ix_notification_user_kind_newest", "user_id", "kind", "id"),
        sa.Index("ix_notification_role_kind_newest", "role", "kind", "id"),
    )

    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    role: str | None = code_field(40, default=None)
    kind: str = code_field(30)  # one of services/notifications.KINDS
    severity: str = code_field(10, default="info")  # info | warning | critical
    title_zh: str = code_field(300)
    title_en: str = code_field(300)
    link: str = code_field(300, default="")
    dedupe_key: str = code_field(200, unique=True)  # the same event never notifies twice


class NotificationRead(SQLModel, table=True):
    __tablename__ = "notification_read"

    notification_id: int = Field(foreign_key="notification.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)


class NotificationPreference(SQLModel, table=True):
    """A person's choice for one kind; without a row the role's default holds."""

    __tablename__ = "notification_preference"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    kind: str = code_field(30, primary_key=True)
    bell: bool = Field(nullable=False)
