"""Test fixtures: a clean schema per run on the database named by BACKOFFICE_TEST_DB_URL
(a temporary SQLite file by default), migrated with Alembic, emptied after each test."""

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
