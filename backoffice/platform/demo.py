"""What the domains' demo modules (``domains/<name>/demo.py``) share: the run they take part in
(its connection, size, random sequence, clock and what earlier domains made) and bulk inserts.

Every domain draws from the one random sequence and the one Faker, in the order the runner
(``backoffice.seed``) puts the domains in, so the demo comes out the same on every run.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from faker import Faker
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from backoffice.platform.business_time import local_today

BATCH = 5_000
RANDOM_SEED = 20261125


@dataclass(frozen=True)
class SeedSize:
    customers: int
    transactions: int
    tickets: int
    campaigns: int
    watchlist: int


@dataclass
class DemoContext:
    """One demo run: all domains' rows go in through ``conn``, in one transaction."""

    conn: Connection
    size: SeedSize
    rng: random.Random = field(default_factory=lambda: random.Random(RANDOM_SEED))
    fake: Faker = field(default_factory=lambda: _faker(RANDOM_SEED))
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    # the company's calendar day, as the services count it
    today: date = field(default_factory=local_today)
    counts: dict[str, int] = field(default_factory=dict)  # rows made, by table
    # what a domain made that later ones use (ids, rows), by the name its demo gives it
    made: dict[str, Any] = field(default_factory=dict)

    def stamp(self, when: datetime | None = None) -> dict[str, Any]:
        """The columns every versioned record has, as of ``when`` (the run's time)."""
        when = when or self.now
        return {"created_at": when, "updated_at": when, "version": 1, "archived_at": None}


@dataclass(frozen=True)
class AwaitingApproval:
    """Records a domain's demo leaves in preparation or waiting for approval. Bulk-inserted,
    they have no audit trail; the audit demo writes one saying ``maker`` made them (and
    submitted those in ``submitted``), which the maker ≠ checker rule reads: every approval the
    demo shows has a second person, the role's other demo account."""

    entity: str  # the audit trail's entity and action prefix
    model: type[SQLModel]
    states: tuple[str, ...]  # the first is the one a record is created in
    maker: str
    submitted: str | None = None


def _faker(seed: int) -> Faker:
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    return fake


def chunks(rows: Iterable[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def bulk(conn: Connection, model: type[SQLModel], rows: Iterable[dict[str, Any]]) -> int:
    """Insert ``rows`` in executemany batches; returns how many."""
    table = model.__table__  # type: ignore[attr-defined]
    count = 0
    for chunk in chunks(rows):
        conn.execute(sa.insert(table), chunk)
        count += len(chunk)
    return count


def ids_by(conn: Connection, model: type[SQLModel], key: str) -> dict[Any, int]:
    """The ids of ``model``'s rows by their ``key`` column."""
    table = model.__table__  # type: ignore[attr-defined]
    return {row[0]: row[1] for row in conn.execute(sa.select(table.c[key], table.c.id))}


def money(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def pct(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))
