"""Fields that administrators add to a resource at run time, and their values."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import EditableBase, code_field, text_field


class CustomField(EditableBase, table=True):
    __tablename__ = "custom_field"
    __table_args__ = (sa.UniqueConstraint("resource", "name"),)

    resource: str = code_field(40, index=True)
    name: str = code_field(40)
    label_zh: str = code_field(100)
    label_en: str = code_field(100)
    kind: str = code_field(20)
    required: bool = False
    choices: str = text_field()  # one value per line
    in_list: bool = True
    position: int = 0


class CustomValue(SQLModel, table=True):
    __tablename__ = "custom_value"
    __table_args__ = (sa.Index("ix_custom_value_field_value", "field_id", "value"),)

    resource: str = Field(sa_type=sa.String(40), primary_key=True)
    record_id: int = Field(primary_key=True)
    field_id: int = Field(foreign_key="custom_field.id", primary_key=True)
    value: str = Field(sa_type=sa.String(500))  # indexed: 500 × 4 bytes fits MySQL keys
