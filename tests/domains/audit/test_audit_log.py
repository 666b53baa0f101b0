"""The audit log page: only for ``audit.view``, filters and pages in SQL, the export only for
``audit.export`` and audited itself."""

import base64
import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import select

import backoffice.domains  # noqa: F401  (the records whose changes the log labels)
from backoffice.config import get_settings
from backoffice.domains.audit import log as audit_log
from backoffice.platform import audit
from models.audit import AuditEntry
from models.base import utcnow
from state.audit import AuditLogState
from tests.factories import make_principal, make_user, run, sign_in


def _entries(session) -> None:
    for n in range(3):
        audit.record(session, actor="pm", action="product.edit", entity="product", entity_id=n)
    audit.record(session, actor="pm", action="product.create", entity="product", entity_id=9)
    audit.record(session, actor="eve", action="auth.sign_in_failed", entity="user", entity_id=7)
    audit.record(
        session,
        actor="officer",
        action="customer.reveal",
        entity="customer",
        entity_id=5,
        changes={"reason": [None, "call back"]},
    )
    audit.record(session, actor="officer", action="transaction.export", entity="transaction")
    audit.record(session, actor="admin.a", action="role.grant", entity="role", entity_id="hr")
    session.commit()


def _page(session, principal, number=1, **filters):
    return audit_log.page(
        session,
        principal=principal,
        filters=audit_log.parse_filters(filters),
        number=number,
        lang="en",
    )


def test_only_roles_with_audit_view_read_the_log(session):
    _entries(session)
    for username, roles in (("agent", ["cs_agent"]), ("pm.x", ["product_manager"])):
        with pytest.raises(audit_log.AuditLogError, match=r"auth\.denied"):
            _page(session, make_principal(session, username, roles))
    for username, roles in (("comp.c", ["compliance"]), ("adm.d", ["admin"])):
        assert _page(session, make_principal(session, username, roles)).rows


def test_filters_return_only_what_they_ask_for_newest_first(session):
    officer = make_principal(session, "comp.c", ["compliance"])
    _entries(session)
    make_user(session, "officer", ["compliance"])  # display name "Officer"
    session.commit()

    def ids(**filters) -> list[tuple[str, str]]:
        rows = _page(session, officer, **filters).rows
        assert [r.id for r in rows] == sorted((r.id for r in rows), reverse=True)
        return [(r.actor, r.action) for r in rows if r.actor not in ("comp.c", "system")]

    assert set(ids(actor="pm")) == {("pm", "product.edit"), ("pm", "product.create")}
    assert len(ids(actor="pm")) == 4
    assert ids(actor="Officer") == [
        ("officer", "transaction.export"),
        ("officer", "customer.reveal"),
    ], "a person found by display name"
    assert set(ids(action="product.")) == {("pm", "product.edit"), ("pm", "product.create")}
    assert ids(action="product.c") == [("pm", "product.create")]
    assert ids(entity="product", entity_id="1") == [("pm", "product.edit")]
    assert set(ids(preset="security")) == {
        ("eve", "auth.sign_in_failed"),
        ("officer", "customer.reveal"),
        ("officer", "transaction.export"),
        ("admin.a", "role.grant"),
    }
    today = utcnow().astimezone(audit_log.get_settings().zone).date()
    assert len(ids(since=str(today), until=str(today))) == 8
    assert ids(until=str(today - timedelta(days=1))) == []
    assert ids(since=str(today + timedelta(days=1))) == []
    row = _page(session, officer, actor="officer", action="customer.").rows[0]
    assert (row.actor_name, row.action_label) == ("Officer", "Customer data revealed")
    edit = _page(session, officer, action="product.edit").rows[0]
    assert edit.action_label == "Products · edited"


@pytest.mark.parametrize(
    ("filters", "key"),
    [
        ({"since": "2026-13-01"}, "audit_log.bad_date"),
        ({"since": "2026-12-02", "until": "2026-12-01"}, "audit_log.bad_range"),
        ({"preset": "everything"}, "audit_log.bad_filter"),
        ({"actor": "x" * 101}, "audit_log.bad_filter"),
        ({"action": ["auth."]}, None),  # a list is not text: ignored, not an error
    ],
)
def test_bad_filters_are_refused_with_a_clear_message(filters, key):
    if key is None:
        assert audit_log.parse_filters(filters).action == ""
        return
    with pytest.raises(audit_log.AuditLogError) as refused:
        audit_log.parse_filters(filters)
    assert refused.value.key == key


def test_the_log_is_paged_in_sql(session):
    officer = make_principal(session, "comp.c", ["compliance"])
    for n in range(audit_log.PAGE_SIZE * 2 + 20):
        audit.record(session, actor="bulk", action="product.edit", entity="product", entity_id=n)
    session.commit()
    first = _page(session, officer, actor="bulk")
    third = _page(session, officer, 3, actor="bulk")
    assert len(first.rows) == audit_log.PAGE_SIZE and first.has_more
    assert first.rows[0].entity_id == str(audit_log.PAGE_SIZE * 2 + 19), "newest first"
    assert len(third.rows) == 20 and not third.has_more
    assert third.rows[-1].entity_id == "0"


def _state(session, username, roles, path="/audit"):
    from reflex.istate.data import RouterData
    from reflex.state import State

    from state.auth import carry_cookie

    user, _ = make_user(session, username, roles)
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {"headers": {"origin": "http://localhost:3000"}, "asPath": path, "pathname": "/audit"}
    )
    carry_cookie(root, sign_in(session, user))
    session.commit()
    return root.get_substate(AuditLogState.get_full_name().split(".")[1:])


def _denials(session, actor: str) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry).where(
                AuditEntry.actor == actor, AuditEntry.action == "access.denied"
            )
        ).all()
    )


def test_the_page_handlers_refuse_roles_without_audit_view(session):
    _entries(session)
    state = _state(session, "agent", ["cs_agent"])
    run(AuditLogState.load.fn(state))
    run(AuditLogState.apply.fn(state, {"actor": "pm"}))
    assert state.rows == []
    assert len(_denials(session, "agent")) == 2


def test_the_page_loads_its_filters_from_the_address_and_pages(session):
    _entries(session)
    state = _state(session, "comp.c", ["compliance"], "/audit?actor=officer")
    run(AuditLogState.load.fn(state))
    assert [r["action"] for r in state.rows] == ["transaction.export", "customer.reveal"]
    assert state.filters["actor"] == "officer" and state.can_export
    run(AuditLogState.security_events.fn(state, True))
    assert state.filters["preset"] == "security" and len(state.rows) == 2
    run(AuditLogState.apply.fn(state, {"action": "auth."}))
    assert [r["actor"] for r in state.rows] == ["eve"], "the preset stays on with new filters"
    run(AuditLogState.apply.fn(state, {"since": "not a day"}))
    assert state.error and [r["actor"] for r in state.rows] == ["eve"], "nothing changed"


def test_the_export_is_refused_without_audit_export_and_audited_when_done(session):
    from backoffice.domains.admin import users

    _entries(session)
    admin = make_principal(session, "adm.x", ["admin"])
    assert (
        users.set_permission(
            session,
            actor=admin,
            role="compliance",
            resource="audit",
            action="export",
            granted=False,
        )
        == []
    )
    session.commit()
    compliance = _state(session, "comp.c", ["compliance"])
    run(AuditLogState.load.fn(compliance))
    assert compliance.rows and not compliance.can_export
    assert run(AuditLogState.export.fn(compliance)) is not None
    assert len(_denials(session, "comp.c")) == 1
    assert not session.exec(select(AuditEntry).where(AuditEntry.action == "audit.export")).all()

    officer = _state(session, "adm.d", ["admin"], "/audit?action=product.")
    run(AuditLogState.load.fn(officer))
    assert officer.can_export
    result = run(AuditLogState.export.fn(officer))
    url = next(str(value._var_value) for name, value in result.args if str(name) == "url")
    exported = base64.b64decode(url.split("base64,", 1)[1]).decode("utf-8-sig")
    assert [row[3] for row in csv.reader(io.StringIO(exported))][1:] == [
        "product.create",
        "product.edit",
        "product.edit",
        "product.edit",
    ]
    logged = session.exec(select(AuditEntry).where(AuditEntry.action == "audit.export")).one()
    assert logged.actor == "adm.d"
    assert '"rows": [null, 4]' in logged.changes and '"action": "product."' in logged.changes


def test_the_export_file_holds_every_filtered_entry_with_its_hashes(session):
    admin = make_principal(session, "adm.d", ["admin"])
    _entries(session)
    data, rows = audit_log.export_csv(
        session, principal=admin, filters=audit_log.parse_filters({"actor": "pm"})
    )
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == 4 and len(table) == 5
    entries = {
        e.id: e for e in session.exec(select(AuditEntry).where(AuditEntry.actor == "pm")).all()
    }
    assert table[0][:3] == ["编号", "时间（UTC，计入哈希）", "账号"]
    assert table[0][-3:] == ["时间（本地）", "人员", "操作"], "labels, not column names"
    for row in table[1:]:
        entry = entries[int(row[0])]
        assert (row[9], row[10]) == (entry.prev_hash, entry.hash)
        assert row[-3] == entry.at.astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M:%S")
        assert row[-1] == audit_log.action_label(entry.action, "zh")
    english, _rows = audit_log.export_csv(
        session, principal=admin, filters=audit_log.parse_filters({"actor": "pm"}), lang="en"
    )
    assert next(csv.reader(io.StringIO(english.decode("utf-8-sig"))))[-3:] == [
        "Time (local)",
        "Person",
        "Action",
    ]
    with pytest.raises(audit_log.AuditLogError):
        audit_log.export_csv(
            session,
            principal=make_principal(session, "pm.y", ["product_manager"]),
            filters=audit_log.Filters(),
        )


def test_the_log_shows_changes_by_label_with_values_as_staff_read_them(session):
    audit.record(
        session,
        actor="system",
        action="product.edit",
        entity="product",
        entity_id=1,
        changes={"risk_level": ["R3", "R4"], "change_request": [None, 7]},
    )
    audit.record(
        session,
        actor="admin.a",
        action="user.enable",
        entity="user",
        entity_id=3,
        changes={"is_active": [False, True], "counters_cleared": [None, 2]},
    )
    session.commit()
    admin = make_principal(session, "adm.e", ["admin"])
    rows = {r.action: r for r in _page(session, admin).rows}
    assert rows["product.edit"].changes.splitlines()[-1] == "Risk level: R3 Medium → R4 Medium-high"
    assert "Change request: — → #7" in rows["product.edit"].changes
    assert rows["user.enable"].changes.splitlines() == [
        "Counters cleared: — → 2",
        "Active: No → Yes",
    ]
    assert all("_" not in r.changes for r in rows.values())
    assert rows["product.edit"].entity_label == "Products"
    assert audit_log.action_label("product.transition.submit", "zh") == "理财产品 · 提交审核"
