"""LIKE patterns from text a user typed: ``%`` and ``_`` in it match only themselves.

Every LIKE built from outside text goes through here, so a search for ``%`` finds values holding
a literal ``%`` instead of every row, and a typed wildcard cannot turn a prefix search (which
uses the column's index) into a scan of the whole table. The escape character is ``/`` rather
than a backslash, which MySQL/MariaDB would also read as a string-literal escape.
"""

from __future__ import annotations

import sqlalchemy as sa

ESCAPE = "/"


def escape(text: str) -> str:
    """``text`` with the escape character, ``%`` and ``_`` escaped (the escape char first)."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def starts_with(column: sa.ColumnElement, text: str) -> sa.ColumnElement[bool]:
    return column.like(escape(text) + "%", escape=ESCAPE)


def ends_with(column: sa.ColumnElement, text: str) -> sa.ColumnElement[bool]:
    return column.like("%" + escape(text), escape=ESCAPE)


def contains(column: sa.ColumnElement, text: str) -> sa.ColumnElement[bool]:
    return column.like("%" + escape(text) + "%", escape=ESCAPE)
