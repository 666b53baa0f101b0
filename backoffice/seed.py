"""Demo data for every module: the runner. Each domain makes its own, in its ``demo.py``.

``small`` is what ``make run`` loads: enough to click through every page. ``large`` makes the
volumes the benchmarks need (100,000 customers, 1,000,000 transactions, 200,000 tickets) in
minutes: names and addresses come from pools drawn once, rows go in with executemany batches.
Seeding is idempotent: a database that already holds demo data is left as it is.

A domain's demo module may define:

- ``NEEDS``: the domains whose demo comes before its own: those whose rows it reads, and those
  that must draw from the shared random sequence (or write the audit trail) before it, which
  keeps every record of the demo as it has always been;
- ``prepare()``: run on every seed, even on a database already seeded (the demo accounts);
- ``rows(demo)``: its rows, through the one connection and transaction all domains share
  (``backoffice.platform.demo.DemoContext``);
- ``through_rules(session)``: once every domain's rows are in, what its rules and jobs would
  have made of them, in a session of its own;
- ``AWAITING_APPROVAL``: its records waiting for approval, whose makers the audit demo records.

The domains run in the order their needs give, otherwise in the order of ``DOMAINS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from backoffice import domains
from backoffice.db import refresh_statistics, session_scope
from backoffice.domains.admin.demo import DEMO_PASSWORD, DEMO_USERS
from backoffice.platform import audit
from backoffice.platform.demo import DemoContext, SeedSize
from models.hr import Team

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "SIZES", "SeedSize", "is_seeded", "seed"]

SIZES = {
    "small": SeedSize(
        customers=2_000, transactions=20_000, tickets=1_500, campaigns=12, watchlist=60
    ),
    "large": SeedSize(
        customers=100_000, transactions=1_000_000, tickets=200_000, campaigns=40, watchlist=2_000
    ),
}


def is_seeded(engine: Engine) -> bool:
    # all domains' rows go in in one transaction: the teams tell whether they are there
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(Team)).scalar_one() > 0


def demo_modules() -> list[ModuleType]:
    """The domains' demo modules, each after the ones it needs, otherwise in domain order."""
    modules = {_domain(m): m for m in domains.parts("demo")}
    needs = {name: set(getattr(m, "NEEDS", ())) for name, m in modules.items()}
    for name, needed in needs.items():
        unknown = needed - modules.keys()
        assert not unknown, f"{name}'s demo needs domains without one: {sorted(unknown)}"
    ordered: list[ModuleType] = []
    done: set[str] = set()
    while len(done) < len(modules):
        ready = next((n for n in modules if n not in done and needs[n] <= done), None)
        assert ready is not None, f"demo needs in a cycle: {sorted(modules.keys() - done)}"
        ordered.append(modules[ready])
        done.add(ready)
    return ordered


def seed(engine: Engine, size: str = "small", progress: Callable[[str], None] = print) -> dict:
    """Load the demo data once; returns the row counts, or an empty dict when already there."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}")
    modules = demo_modules()
    for module in modules:
        if hasattr(module, "prepare"):
            module.prepare()
    if is_seeded(engine):
        return {}
    with engine.begin() as conn:
        demo = DemoContext(conn, SIZES[size])
        for module in modules:
            if hasattr(module, "rows"):
                started = time.perf_counter()
                module.rows(demo)
                progress(f"{_domain(module)}: {time.perf_counter() - started:.1f}s")
    refresh_statistics(engine)
    for module in modules:
        if hasattr(module, "through_rules"):
            with session_scope(write=True) as session:
                module.through_rules(session)
    with session_scope(write=True) as session:
        audit.record(
            session,
            actor="system",
            action="seed.load",
            entity="demo_data",
            changes={"size": [None, size], "rows": [None, sum(demo.counts.values())]},
        )
    return demo.counts


def _domain(module: ModuleType) -> str:
    return module.__name__.split(".")[-2]
