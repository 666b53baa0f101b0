"""Date arithmetic inside SQL, the same on SQLite, PostgreSQL and MySQL/MariaDB.

Timestamps are stored as naive UTC. Reports group by the company's local day and average
durations; both must happen in the database (GROUP BY), not after loading rows, so these
constructs compile to each dialect's own functions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from backoffice.config import get_settings


class epoch_seconds(FunctionElement):
    """Seconds since 1970-01-01 of a naive-UTC timestamp column."""

    type = sa.Float()
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_default(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds, "mysql")
@compiles(epoch_seconds, "mariadb")
def _epoch_mysql(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return (
        f"TIMESTAMPDIFF(MICROSECOND, '1970-01-01', {compiler.process(element.clauses, **kw)})/1e6"
    )


class shifted_day(FunctionElement):
    """The calendar day of a naive-UTC timestamp moved by a whole number of minutes, as
    'YYYY-MM-DD' text on every database."""

    type = sa.String()
    inherit_cache = True

    def __init__(self, column: ColumnElement, minutes: int) -> None:
        self.minutes = int(minutes)
        super().__init__(column)


@compiles(shifted_day)
def _day_default(element: shifted_day, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"date({column}, '{element.minutes:+d} minutes')"


@compiles(shifted_day, "postgresql")
def _day_postgresql(element: shifted_day, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} + interval '{element.minutes} minutes', 'YYYY-MM-DD')"


@compiles(shifted_day, "mysql")
@compiles(shifted_day, "mariadb")
def _day_mysql(element: shifted_day, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"DATE_FORMAT(DATE_ADD({column}, INTERVAL {element.minutes} MINUTE), '%%Y-%%m-%%d')"


def local_day(column: ColumnElement) -> shifted_day:
    """The company's calendar day of a timestamp. The zone's current UTC offset is used: the
    default zone (Asia/Shanghai) keeps one offset all year."""
    offset = datetime.now(UTC).astimezone(get_settings().zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return shifted_day(column, minutes)
