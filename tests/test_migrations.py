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


def test_an_existing_installation_gets_the_suitability_rights_once(run_dir):
    """Roles made before the suitability revision get its default rights from the migration;
    a right an administrator had already given is kept, not doubled."""
    from alembic.script import ScriptDirectory

    from alembic import command
    from backoffice.db import make_engine

    engine = make_engine(f"sqlite:///{run_dir / 'before_suitability.db'}")
    before = ScriptDirectory.from_config(migrations.alembic_config()).get_revision("0019")
    with engine.begin() as connection:
        command.upgrade(migrations.alembic_config(connection), before.down_revision)
        for code in ("cs_lead", "compliance"):
            connection.execute(
                sa.text(
                    "INSERT INTO role (code, name_zh, name_en, created_at, updated_at, version) "
                    "VALUES (:code, :code, :code, '2026-01-01', '2026-01-01', 1)"
                ),
                {"code": code},
            )
        connection.execute(
            sa.text(
                "INSERT INTO role_permission (role_id, resource, action) "
                "SELECT id, 'transaction', 'view' FROM role WHERE code = 'cs_lead'"
            )
        )
    migrations.upgrade(engine, "0019")
    with engine.connect() as connection:
        grants = connection.execute(
            sa.text(
                "SELECT r.code, p.resource, p.action FROM role_permission p "
                "JOIN role r ON r.id = p.role_id"
            )
        ).all()
    engine.dispose()
    assert sorted(grants) == sorted(
        [
            ("compliance", "suitability_override", "approve"),
            ("compliance", "suitability_override", "export"),
            ("compliance", "suitability_override", "view"),
            ("compliance", "suitability_review", "edit"),
            ("compliance", "suitability_review", "export"),
            ("compliance", "suitability_review", "view"),
            ("cs_lead", "suitability_override", "create"),
            ("cs_lead", "suitability_override", "view"),
            ("cs_lead", "transaction", "create"),
            ("cs_lead", "transaction", "import"),
            ("cs_lead", "transaction", "view"),
        ]
    )


def test_an_existing_installation_gets_the_ticket_rights_of_0020(tmp_path):
    """Roles created before 0020 (agents viewing the desk's configuration, no report right)
    end with the new defaults: only leads and executives see the ticket reports, agents lose
    the configuration; a lead's own configuration rights stay."""
    from backoffice.security import rbac

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrations.upgrade(engine, "0017")
    old = {
        "cs_agent": [("ticket", "view"), ("ticket", "edit"), ("ticket_config", "view")],
        "cs_lead": [("ticket", "approve"), ("ticket_config", "edit"), ("ticket_config", "view")],
        "executive": [("ticket", "view")],
        "marketing": [("campaign", "view")],
    }
    with engine.begin() as conn:
        for n, (role, grants) in enumerate(old.items(), start=1):
            conn.execute(
                sa.text(
                    "INSERT INTO role (id, code, name_zh, name_en, version, created_at, "
                    "updated_at) VALUES (:id, :code, :code, :code, 1, '2026-01-01', '2026-01-01')"
                ),
                {"id": n, "code": role},
            )
            for resource, action in grants:
                conn.execute(
                    sa.text("INSERT INTO role_permission VALUES (:id, :resource, :action)"),
                    {"id": n, "resource": resource, "action": action},
                )
    migrations.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT r.code, p.resource, p.action FROM role_permission p "
                "JOIN role r ON r.id = p.role_id WHERE p.resource LIKE 'ticket%'"
            )
        ).all()
    engine.dispose()
    held = {(role, resource, action) for role, resource, action in rows}
    assert ("cs_agent", "ticket_config", "view") not in held
    assert {("cs_agent", "ticket", "view"), ("cs_agent", "ticket", "edit")} <= held
    assert {("cs_lead", "ticket_config", "view"), ("cs_lead", "ticket_config", "edit")} <= held
    for role in ("cs_lead", "executive"):
        granted = {a for r, res, a in held if r == role and res == "ticket_report"}
        assert granted == set(rbac.DEFAULT_GRANTS[role]["ticket_report"]), role
    assert not any(res == "ticket_report" for r, res, _a in held if r == "cs_agent")
