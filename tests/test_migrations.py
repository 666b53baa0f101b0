"""The Alembic migrations build exactly the schema the models declare."""

import sqlalchemy as sa
from sqlmodel import SQLModel

from backoffice import migrations


def test_models_and_migrations_agree(engine):
    assert migrations.pending_differences(engine) == []


def test_every_table_exists_and_upgrade_is_repeatable(engine):
    migrations.upgrade(engine)  # a second upgrade is a no-op
    tables = set(sa.inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables
