"""Test fixtures: a clean schema per run on the database named by BACKOFFICE_TEST_DB_URL
(a temporary SQLite file by default), migrated with Alembic, emptied after each test; and the
people and records several test modules start from."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_RUN_DIR = Path(tempfile.mkdtemp(prefix="backoffice-tests-"))
os.environ["BACKOFFICE_DATA_DIR"] = str(_RUN_DIR / "data")
os.environ.pop("BACKOFFICE_DB_URL", None)
os.environ.setdefault("BACKOFFICE_ENV", "test")

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from backoffice import db, migrations  # noqa: E402
from backoffice.config import get_settings  # noqa: E402
from backoffice.db import make_engine, normalise_url  # noqa: E402
from backoffice.security import auth  # noqa: E402
from backoffice.security.rbac import Principal  # noqa: E402
from tests.factories import (  # noqa: E402
    make_customer,
    make_principal,
    make_sales,
    make_user,
    sign_in,
)

TEST_DB_URL = os.environ.get("BACKOFFICE_TEST_DB_URL", "")


def _isolated_engine() -> tuple[Engine, callable]:
    """An engine on a schema no other run uses, and a function that drops it."""
    name = f"bo_test_{secrets.token_hex(4)}"
    if not TEST_DB_URL or TEST_DB_URL.startswith("sqlite"):
        engine = make_engine(f"sqlite:///{_RUN_DIR / (name + '.db')}")
        return engine, engine.dispose
    url = make_url(normalise_url(TEST_DB_URL))
    admin = make_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    if url.get_backend_name() == "postgresql":
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        engine = make_engine(
            url.render_as_string(hide_password=False),
            connect_args={"options": f"-csearch_path={name}"},
        )

        def drop() -> None:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
            admin.dispose()

        return engine, drop
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))

    def drop_mysql() -> None:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE `{name}`"))
        admin.dispose()

    return engine, drop_mysql


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    engine, drop = _isolated_engine()
    migrations.upgrade(engine)
    db.set_engine(engine)
    yield engine
    drop()


def _empty_all_tables(engine: Engine) -> None:
    """Every table emptied. The audit log refuses DELETE (triggers): PostgreSQL deletes with
    triggers off for the transaction (``session_replication_role``, as before: no stronger
    lock), MySQL/MariaDB TRUNCATE it (no DELETE trigger fires), SQLite lifts its triggers
    around the DELETE."""
    from tests.factories import bypassing_audit_triggers

    dialect = engine.dialect.name
    with engine.begin() as conn:
        if dialect in ("mysql", "mariadb"):
            conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=0"))
        if dialect == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name != "audit_entry" or dialect == "postgresql":
                conn.execute(table.delete())
            elif dialect == "sqlite":
                with bypassing_audit_triggers(conn):
                    conn.execute(table.delete())
        if dialect in ("mysql", "mariadb"):
            conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=1"))
    if dialect in ("mysql", "mariadb"):
        with engine.begin() as conn:
            conn.execute(sa.text("SET SESSION lock_wait_timeout = 30"))  # not a silent hang
            conn.execute(sa.text("TRUNCATE TABLE audit_entry"))
    # the signed checkpoints outside the database describe the chain just emptied
    get_settings().audit_checkpoint_path.unlink(missing_ok=True)


@pytest.fixture
def clean_db(engine: Engine) -> Iterator[Engine]:
    """The migrated test database, emptied after the test."""
    yield engine
    _empty_all_tables(engine)


@pytest.fixture
def session(clean_db: Engine) -> Iterator[Session]:
    with Session(clean_db, expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session")
def run_dir() -> Path:
    return _RUN_DIR


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses the database is marked ``db``: it runs on every database."""
    for item in items:
        if "engine" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture
def desk_setup(session: Session) -> dict[str, object]:
    """A service team with agents a1, a2 (their accounts linked to team employees), a lead, a
    round-robin rule for accounts, least-loaded for complaints, and clock-time SLA policies."""
    from datetime import date

    from models.hr import Employee, Team
    from models.tickets import AssignmentRule, SlaPolicy, TicketSettings

    team = Team(code="customer_service", name_zh="客服", name_en="Customer service")
    other = Team(code="marketing", name_zh="市场", name_en="Marketing")
    session.add_all([team, other])
    session.commit()
    people = {}
    for username, roles, team_id in (
        ("cs.a1", ["cs_agent"], team.id),
        ("cs.a2", ["cs_agent"], team.id),
        ("cs.a3", ["cs_agent"], other.id),  # an agent of another team: never routed here
        ("cs.lead", ["cs_lead"], team.id),
    ):
        user, _ = make_user(session, username, roles)
        employee = Employee(
            employee_no=f"E-{username}",
            name=username,
            team_id=team_id,
            position="客服",
            hire_date=date(2025, 1, 1),
        )
        session.add(employee)
        session.flush()
        user.employee_id = employee.id
        session.add(user)
        session.commit()
        people[username] = auth.resolve(session, sign_in(session, user))
    session.add_all(
        [
            SlaPolicy(priority=p, first_response_minutes=60, resolution_minutes=m,
                      business_hours=False)
            for p, m in (("low", 2880), ("normal", 480), ("high", 240), ("urgent", 120))
        ]
        + [
            AssignmentRule(category="account", team_id=team.id, method="round_robin"),
            AssignmentRule(category="complaint", team_id=team.id, method="least_loaded"),
            AssignmentRule(category="other", team_id=team.id, method="manual"),
            TicketSettings(reopen_days=7, auto_close_days=3),
        ]
    )  # fmt: skip
    session.commit()
    people["customer"] = make_customer(session)
    people["team"] = team
    return people


@pytest.fixture
def kpi_week() -> object:
    """The KPI period of the last seven days up to the company's today, read per test."""
    from datetime import timedelta

    from backoffice.domains.kpi import rules as kpi
    from backoffice.domains.kpi.metrics import Period

    today = kpi.local_today()
    return Period(today - timedelta(days=6), today)


@pytest.fixture
def sales(session: Session, kpi_week: object) -> dict[str, object]:
    """Products, customers and transactions in ``kpi_week``, the week before and long ago."""
    return make_sales(session, kpi_week)


@pytest.fixture
def executive(session: Session) -> Principal:
    return make_principal(session, "ceo", ["executive"])


@pytest.fixture(scope="session")
def api_base_url(engine: Engine) -> Iterator[str]:
    """The REST API served on a local port for the whole run (see ``tests/api_client.py``)."""
    from tests.api_client import served

    with served() as url:
        yield url


@pytest.fixture
def api(api_base_url: str, session: Session) -> Iterator[object]:
    """Make API clients and call the served API as them (``tests.api_client.ApiClients``)."""
    from backoffice.api import limits
    from tests.api_client import ApiClients

    limits.reset()
    made = ApiClients(session, api_base_url)
    yield made
    made.close()
