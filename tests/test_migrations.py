"""The Alembic migrations build exactly the schema the models declare."""

import pytest
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


def _before_unique_id_numbers(engine: sa.Engine) -> None:
    """The schema of 0022 with two campaigns (one running today) and three customers, the
    first and the third holding one ID number."""
    from datetime import timedelta

    from backoffice.platform.business_time import local_today

    migrations.upgrade(engine, "0022")
    today, now = local_today(), "2026-01-01 00:00:00"
    stamp = {"created_at": now, "updated_at": now, "version": 1}
    campaign = sa.table(*("campaign", *(sa.column(c) for c in (
        "created_at", "updated_at", "version", "name", "kind", "channel", "target_segment",
        "start_date", "end_date", "budget", "spent", "status", "notes",
    ))))  # fmt: skip
    customer = sa.table(*("customer", *(sa.column(c) for c in (
        "created_at", "updated_at", "version", "customer_no", "name_masked", "name_cipher",
        "name_hash", "id_number_cipher", "id_number_hash", "phone_cipher", "phone_hash",
        "address_cipher", "gender", "city", "channel", "registered_at", "kyc_status",
    ))))  # fmt: skip
    with engine.begin() as conn:
        for name, status in (("春季理财节", "running"), ("新人红包", "ended")):
            conn.execute(
                campaign.insert().values(
                    **stamp, name=name, kind="signup_bonus", channel="online", target_segment="",
                    start_date=today - timedelta(days=3), end_date=today + timedelta(days=3),
                    budget=1000, spent=0, status=status, notes="",
                )
            )  # fmt: skip
        for n, id_hash in ((1, "same"), (2, "other"), (3, "same")):
            conn.execute(
                customer.insert().values(
                    **stamp, customer_no=f"C{n:09d}", name_masked="x", name_cipher="x",
                    name_hash="h", id_number_cipher="x", id_number_hash=id_hash,
                    phone_cipher="x", phone_hash="h", address_cipher="", gender="",
                    city="", channel="app", registered_at=now, kyc_status="pending",
                )
            )  # fmt: skip


@pytest.mark.db
def test_one_id_number_per_customer_is_refused_over_shared_numbers_then_enforced(capsys):
    """0023 on an installation where two customers share an ID number: refused before any
    change, naming how many and which customers (nothing deleted or merged); once compliance
    has corrected the record, the migration makes the index unique and gives the campaigns
    the codes they were quoted by, which still name them."""
    from sqlalchemy.exc import IntegrityError
    from sqlmodel import Session

    from backoffice.domains.campaigns import codes
    from backoffice.platform.business_time import local_today
    from tests.conftest import _isolated_engine

    engine, drop = _isolated_engine()
    try:
        _before_unique_id_numbers(engine)
        with pytest.raises(migrations.MigrationRefused, match=r"1 ID number\(s\) ") as refused:
            migrations.upgrade(engine)
        assert "2 customers: C000000001, C000000003)" in str(refused.value)
        assert "never deletes" in str(refused.value)
        from backoffice import cli, db

        serving = db.engine()
        db.set_engine(engine)
        try:  # the command says why, without a traceback, and fails
            assert cli.main(["migrate"]) == 2
        finally:
            db.set_engine(serving)
        assert capsys.readouterr().err.startswith("migration refused: 1 ID number(s) ")
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [
                ("0022",)
            ]
            assert conn.execute(sa.text("SELECT COUNT(*) FROM customer")).scalar_one() == 3
        assert "code" not in {c["name"] for c in sa.inspect(engine).get_columns("campaign")}

        with engine.begin() as conn:  # the third customer's number was mistyped: corrected
            conn.execute(
                sa.text("UPDATE customer SET id_number_hash = 'third' WHERE customer_no = :no"),
                {"no": "C000000003"},
            )
        migrations.upgrade(engine)
        assert migrations.pending_differences(engine) == []
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id, code FROM campaign ORDER BY id")).all() == [
                (1, "CP000001"),
                (2, "CP000002"),
            ]
        with Session(engine) as session:
            running = codes.live(session, "cp000001", local_today())  # as customers type it
            assert running is not None and running.name == "春季理财节"
            assert codes.live(session, "CP000002", local_today()) is None  # ended
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE customer SET id_number_hash = 'same' WHERE customer_no = :no"),
                {"no": "C000000002"},
            )
    finally:
        drop()


@pytest.mark.db
def test_an_installations_compliance_and_executives_keep_reading_a_cases_aml_risk():
    """0024 on an installation made before the right existed: compliance and executives get
    ``kyc_assessment`` (the AML risk and the decision note), the customer platform does not,
    and the two roles' versions move, so API keys read their grants again."""
    from tests.conftest import _isolated_engine

    engine, drop = _isolated_engine()
    try:
        migrations.upgrade(engine, "0023")
        now = "2026-01-01 00:00:00"
        with engine.begin() as conn:
            for code in ("compliance", "executive", "platform"):
                conn.execute(
                    sa.text(
                        "INSERT INTO role (created_at, updated_at, version, code, name_zh, "
                        "name_en) VALUES (:now, :now, 3, :code, :code, :code)"
                    ),
                    {"now": now, "code": code},
                )
        migrations.upgrade(engine)
        with engine.connect() as conn:
            granted = conn.execute(
                sa.text(
                    "SELECT r.code, p.action FROM role_permission p JOIN role r "
                    "ON r.id = p.role_id WHERE p.resource = 'kyc_assessment' ORDER BY r.code"
                )
            ).all()
            versions = dict(conn.execute(sa.text("SELECT code, version FROM role")).all())
        assert granted == [("compliance", "view"), ("executive", "view")]
        assert versions == {"compliance": 4, "executive": 4, "platform": 3}
        migrations.upgrade(engine)  # again: nothing more
    finally:
        drop()


@pytest.mark.db
def test_answers_kept_before_0025_are_sealed_in_place_and_open_to_the_same_text():
    """0025 on an installation holding an answer kept in clear: the answer is sealed where it
    is (a replay of it still gets the same text) and nothing of it stays readable."""
    from backoffice.security import fields
    from tests.conftest import _isolated_engine

    engine, drop = _isolated_engine()
    answer = '{"data":{"employee_no":"E1","salary":"31234.56"}}'
    try:
        migrations.upgrade(engine, "0024")
        now = "2026-01-01 00:00:00"
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO api_client (created_at, updated_at, version, name, role, "
                    "allowed_ips, rate_per_minute, created_by) "
                    "VALUES (:now, :now, 1, 'app', 'platform', '', 600, '')"
                ),
                {"now": now},
            )
            kept = sa.table(*("api_idempotency", *(sa.column(c) for c in (
                "created_at", "client_id", "key", "request_hash", "status_code", "response_body",
            ))))  # fmt: skip
            conn.execute(
                kept.insert().values(
                    created_at=now, client_id=1, key="k1", request_hash="h", status_code=201,
                    response_body=answer,
                )
            )  # fmt: skip
        migrations.upgrade(engine)
        assert migrations.pending_differences(engine) == []
        with engine.connect() as conn:
            [sealed] = conn.execute(sa.text("SELECT response_cipher FROM api_idempotency")).all()
        assert "31234.56" not in sealed[0] and fields.decrypt(sealed[0]) == answer
    finally:
        drop()
