"""Saved list views: a name for a list URL (filters, search, sort, columns), per user."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field

from models.base import EditableBase, code_field


class SavedView(EditableBase, table=True):
    __tablename__ = "saved_view"
    __table_args__ = (sa.UniqueConstraint("user_id", "resource", "name"),)

    user_id: int = Field(foreign_key="app_user.id", index=True)
    resource: str = code_field(40, index=True)
    name: str = code_field(100)
    params: str = Field(default="", sa_type=sa.String(2000))  # the list's query string
    shared: bool = False
