"""Column types and mixins shared by every table.

Money and rates are exact decimals; timestamps are stored as UTC and always come back
timezone-aware; editable rows carry a version number and an archive mark instead of deletion.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored as naive UTC on every database and returned as aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite aggregates return text
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


MONEY = sa.Numeric(18, 2)  # CNY, exact to the fen
PERCENT = sa.Numeric(7, 4)  # a percentage, e.g. 3.2500 means 3.25 %


def money_field(default: Decimal | None = None, **kwargs: Any) -> Any:
    return Field(default=default, sa_type=MONEY, **kwargs)


def percent_field(default: Decimal | None = None, **kwargs: Any) -> Any:
    return Field(default=default, sa_type=PERCENT, **kwargs)


def time_field(default: datetime | None = None, **kwargs: Any) -> Any:
    return Field(default=default, sa_type=UTCDateTime, **kwargs)


def code_field(length: int, **kwargs: Any) -> Any:
    """A short string: a code, an enum value or a name."""
    return Field(sa_type=sa.String(length), **kwargs)


def text_field(**kwargs: Any) -> Any:
    return Field(default="", sa_type=sa.Text, **kwargs)


class TableBase(SQLModel):
    """Every table's primary key and creation time."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class EditableBase(TableBase):
    """A record staff edit: optimistic concurrency and archive instead of delete."""

    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1, nullable=False)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
