"""Run and check Alembic migrations from code (the CLI and the tests use these)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import models  # noqa: F401
from alembic import command
from backoffice.config import PROJECT_ROOT


class MigrationRefused(RuntimeError):
    """A migration that cannot hold its rule on the data already stored: it changed nothing,
    and its message says what is in the way and who decides (shown without a traceback)."""


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def pending_differences(engine: Engine) -> list:
    """What autogenerate would still write: empty when models and migrations agree."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)
