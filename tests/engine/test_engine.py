"""The resource engine's services: lists, validation, concurrency, archive, workflow, history."""

import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

import backoffice.domains  # noqa: F401
from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.security import auth
from models.audit import AuditEntry
from models.partners import Partner
from models.products import Product
from tests.factories import (
    GOOD_PARTNER,
    PDF,
    disclose,
    make_partner,
    make_product,
    make_user,
    sign_in,
)

PARTNER = get("partner")
PRODUCT = get("product")


def test_create_validates_every_field_and_writes_nothing_on_error(session, pm):
    bad = {
        **GOOD_PARTNER,
        "kind": "casino",
        "commission_rate": "1.23456",
        "name": "",
        "contract_end": "2027-02-30",
    }
    result = service.create(session, principal=pm, resource=PARTNER, values=bad)
    assert result.errors == {
        "kind": "field.not_a_choice",
        "commission_rate": "field.too_many_decimals",
        "name": "field.required",
        "contract_end": "field.not_a_date",
    }
    session.commit()
    assert session.exec(select(Partner)).all() == []
    assert session.exec(select(AuditEntry)).all() == [] or all(
        e.action.startswith("user.") or e.action.startswith("role.")
        for e in session.exec(select(AuditEntry)).all()
    )


def test_create_stores_exact_decimals_and_audits(session, pm):
    record_id = make_partner(session, pm)
    partner = session.get(Partner, record_id)
    assert partner.commission_rate == Decimal("0.8500") and partner.version == 1
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "partner.create")).one()
    assert entry.actor == "pm.one" and entry.entity_id == str(record_id)


def test_unknown_and_forbidden_fields_are_ignored(session, pm):
    record_id = make_partner(session, pm, id="999", version="7", archived_at="2020-01-01")
    partner = session.get(Partner, record_id)
    assert partner.id != 999 and partner.version == 1 and partner.archived_at is None


def test_stale_save_is_refused_and_names_who_changed_what(session, pm, pm2):
    record_id = make_partner(session, pm)
    first = service.update(
        session,
        principal=pm2,
        resource=PARTNER,
        record_id=record_id,
        version=1,
        values={"commission_rate": "0.90"},
    )
    session.commit()
    assert first.ok
    stale = service.update(
        session,
        principal=pm,
        resource=PARTNER,
        record_id=record_id,
        version=1,
        values={"notes": "mine"},
    )
    assert stale.message == "record.stale_by"
    assert stale.message_params["who"] == "Pm.Two"  # the display name, not the login
    label = PARTNER.field("commission_rate")
    assert stale.message_params["fields_en"] == label.label("en")
    assert stale.message_params["fields_zh"] == label.label("zh")
    session.commit()
    partner = session.get(Partner, record_id)
    assert partner.notes == "" and partner.commission_rate == Decimal("0.9000")
    assert partner.version == 2


def test_concurrent_write_loses_the_race_cleanly(session, pm):
    record_id = make_partner(session, pm)
    partner = session.get(Partner, record_id)
    audited = {"actor": "pm.one", "action": "partner.edit", "changes": {"notes": ["", "x"]}}
    assert service._write(session, PARTNER, partner, 1, {"notes": "a"}, **audited)
    assert not service._write(session, PARTNER, partner, 1, {"notes": "b"}, **audited)
    session.commit()
    assert session.get(Partner, record_id).notes == "a"


def test_edit_audits_field_by_field(session, pm):
    record_id = make_partner(session, pm)
    service.update(
        session,
        principal=pm,
        resource=PARTNER,
        record_id=record_id,
        version=1,
        values={"commission_rate": "1.1", "name": "华夏基金"},
    )
    session.commit()
    history = service.history(
        session, principal=pm, resource=PARTNER, record_id=record_id, lang="en"
    )
    assert history[0]["actor"] == "Pm.One", "the person's name, not the login"
    assert history[0]["changes"] == "Commission rate: 0.85% → 1.10%"
    assert len(history) == 2


def test_archive_and_restore_instead_of_delete(session, pm):
    record_id = make_partner(session, pm)
    assert service.set_archived(
        session, principal=pm, resource=PARTNER, record_id=record_id, version=1, archived=True
    ).ok
    session.commit()
    page = service.list_page(session, principal=pm, resource=PARTNER, query=service.ListQuery())
    assert page.total == 0
    archived = service.list_page(
        session, principal=pm, resource=PARTNER, query=service.ListQuery(archived=True)
    )
    assert archived.total == 1
    edit = service.update(
        session,
        principal=pm,
        resource=PARTNER,
        record_id=record_id,
        version=2,
        values={"notes": "x"},
    )
    assert edit.message == "record.archived"
    assert service.set_archived(
        session, principal=pm, resource=PARTNER, record_id=record_id, version=2, archived=False
    ).ok
    session.commit()
    assert session.get(Partner, record_id).archived_at is None


def test_lists_filter_sort_search_and_page_in_sql(session, pm):
    for i in range(30):
        make_partner(
            session,
            pm,
            name=f"机构{i:02d}",
            licence_no=f"L{i:03d}",
            kind="bank" if i % 3 == 0 else "insurer",
            commission_rate=str(Decimal(i) / 10),
        )
    query = service.parse_query(
        service.schema_of(session, PARTNER),
        {
            "kind": "bank",
            "sort": "-commission_rate",
            "commission_rate__min": "0.5",
            "evil": "1",
            "sort_by": "password_hash",
        },
    )
    assert query.filters == {"kind": "bank", "commission_rate__min": "0.5"}
    page = service.list_page(session, principal=pm, resource=PARTNER, query=query, lang="en")
    assert page.total == 8
    assert [r["name"] for r in page.rows][:2] == ["机构27", "机构24"]
    assert page.rows[0]["kind"] == "Bank" and page.rows[0]["commission_rate"] == "2.70%"
    search = service.list_page(
        session,
        principal=pm,
        resource=PARTNER,
        query=service.parse_query(service.schema_of(session, PARTNER), {"q": "L01"}),
    )
    assert search.total == 10
    second = service.list_page(
        session,
        principal=pm,
        resource=PARTNER,
        query=service.parse_query(
            service.schema_of(session, PARTNER), {"page": "2", "sort": "name"}
        ),
    )
    assert second.page == 2 and len(second.rows) == 5 and second.rows[0]["name"] == "机构25"


def test_sort_on_an_undeclared_column_is_ignored(session, pm):
    query = service.parse_query(
        service.schema_of(session, PARTNER), {"sort": "notes; DROP TABLE partner"}
    )
    assert query.sort == ""


def test_bad_filter_value_is_reported_not_applied(session, pm):
    make_partner(session, pm)
    page = service.list_page(
        session,
        principal=pm,
        resource=PARTNER,
        query=service.parse_query(
            service.schema_of(session, PARTNER), {"contract_end__min": "soon"}
        ),
    )
    assert page.errors == ["contract_end"] and page.total == 1


def test_roles_without_view_are_refused(session):
    user, _ = make_user(session, "agent", ["cs_agent"])
    agent = auth.resolve(session, sign_in(session, user))
    with pytest.raises(service.EngineError):
        service.list_page(session, principal=agent, resource=PARTNER, query=service.ListQuery())


def test_new_records_start_in_the_initial_state_whatever_is_sent(session, pm):
    product_id = make_product(session, pm, make_partner(session, pm))
    assert session.get(Product, product_id).status == "draft"


def test_ref_fields_must_point_at_an_existing_record(session, pm):
    result = service.create(
        session,
        principal=pm,
        resource=PRODUCT,
        values={
            "code": "P9",
            "name": "x",
            "product_type": "stock",
            "partner_id": "424242",
            "risk_level": "R2",
            "min_purchase": "1",
        },
    )
    assert result.errors == {"partner_id": "field.not_found"}


def test_no_review_without_both_disclosure_documents(session, pm):
    from backoffice.platform import attachments

    product_id = make_product(session, pm, make_partner(session, pm))
    refused = service.transition(
        session,
        principal=pm,
        resource=PRODUCT,
        record_id=product_id,
        version=1,
        transition_key="submit",
    )
    assert refused.message == "product.disclosures"
    assert attachments.add(
        session,
        principal=pm,
        resource=PRODUCT,
        record_id=product_id,
        filename="x.pdf",
        data=PDF,
        category="brochure",
    )[1] == ("attachment.category")
    attachments.add(
        session,
        principal=pm,
        resource=PRODUCT,
        record_id=product_id,
        filename="p.pdf",
        data=PDF,
        category="prospectus",
    )
    assert service.transition(
        session,
        principal=pm,
        resource=PRODUCT,
        record_id=product_id,
        version=1,
        transition_key="submit",
    ).message == ("product.disclosures")


def test_maker_cannot_check_their_own_submission(session, pm, pm2):
    product_id = make_product(session, pm, make_partner(session, pm))
    disclose(session, pm, product_id)
    product = session.get(Product, product_id)
    assert "submit" in service.available_transitions(
        session, principal=pm, resource=PRODUCT, record=product
    )
    assert service.transition(
        session,
        principal=pm,
        resource=PRODUCT,
        record_id=product_id,
        version=1,
        transition_key="submit",
    ).ok
    session.commit()
    product = session.get(Product, product_id)
    assert (
        service.available_transitions(session, principal=pm, resource=PRODUCT, record=product) == []
    )
    refused = service.transition(
        session,
        principal=pm,
        resource=PRODUCT,
        record_id=product_id,
        version=2,
        transition_key="publish",
    )
    assert refused.message == "workflow.maker_checker"
    assert set(
        service.available_transitions(session, principal=pm2, resource=PRODUCT, record=product)
    ) == {"publish", "reject"}
    assert service.transition(
        session,
        principal=pm2,
        resource=PRODUCT,
        record_id=product_id,
        version=2,
        transition_key="publish",
    ).ok
    session.commit()
    assert session.get(Product, product_id).status == "on_sale"
    wrong_state = service.transition(
        session,
        principal=pm2,
        resource=PRODUCT,
        record_id=product_id,
        version=3,
        transition_key="submit",
    )
    assert wrong_state.message == "workflow.not_from_this_state"


def test_state_field_cannot_be_edited_directly(session, pm):
    product_id = make_product(session, pm, make_partner(session, pm))
    service.update(
        session,
        principal=pm,
        resource=PRODUCT,
        record_id=product_id,
        version=1,
        values={"status": "on_sale"},
    )
    session.commit()
    assert session.get(Product, product_id).status == "draft"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["maker", "checker", "agent"]),
            st.sampled_from(["submit", "reject", "publish", "suspend", "resume", "close"]),
        ),
        max_size=12,
    )
)
def test_random_users_and_transitions_never_let_anyone_approve_their_own_submission(
    session, pm, pm2, steps
):
    partner_id = session.exec(select(Partner.id)).first() or make_partner(session, pm)
    product = Product(
        code=f"H-{uuid.uuid4().hex[:12]}",
        name="h",
        product_type="bond",
        partner_id=partner_id,
        risk_level="R2",
        min_purchase=Decimal("1"),
    )
    session.add(product)
    session.commit()
    disclose(session, pm, product.id)
    people = {"maker": pm, "checker": pm2, "agent": None}
    submitted_by: str | None = None
    for who, key in steps:
        principal = people[who] or pm
        record = session.get(Product, product.id)
        session.refresh(record)
        before = record.status
        result = service.transition(
            session,
            principal=principal,
            resource=PRODUCT,
            record_id=product.id,
            version=record.version,
            transition_key=key,
        )
        session.commit()
        if key == "submit" and result.ok:
            submitted_by = principal.username
        if key in ("publish", "reject") and result.ok:
            assert principal.username != submitted_by, "someone approved their own submission"
            assert before == "in_review"
        if not result.ok:
            session.refresh(record)
            assert record.status == before


def test_custom_field_added_at_run_time_is_validated_listed_filtered_and_audited(session, pm):
    from backoffice.engine import custom

    admin_user, _ = make_user(session, "cf.admin", ["admin"])
    admin = auth.resolve(session, sign_in(session, admin_user))
    bad, errors = custom.add_definition(
        session,
        actor=admin,
        resource_key="partner",
        name="Bad Name",
        label_zh="",
        label_en="x",
        kind="choice",
        choices="",
    )
    assert bad is None and set(errors) == {"name", "label_zh", "choices"}
    _definition, errors = custom.add_definition(
        session,
        actor=admin,
        resource_key="partner",
        name="tier",
        label_zh="合作等级",
        label_en="Tier",
        kind="choice",
        required=True,
        choices="A\nB\nC",
    )
    assert errors == {}
    custom.add_definition(
        session,
        actor=admin,
        resource_key="partner",
        name="credit_line",
        label_zh="授信额度",
        label_en="Credit line",
        kind="money",
    )
    session.commit()
    missing = service.create(session, principal=pm, resource=PARTNER, values=GOOD_PARTNER)
    assert missing.errors == {"x_tier": "field.required"}
    wrong = service.create(
        session,
        principal=pm,
        resource=PARTNER,
        values={**GOOD_PARTNER, "x_tier": "Z", "x_credit_line": "1.234"},
    )
    assert wrong.errors == {
        "x_tier": "field.not_a_choice",
        "x_credit_line": "field.too_many_decimals",
    }
    first = make_partner(session, pm, x_tier="A", x_credit_line="5000000")
    make_partner(session, pm, name="另一家", x_tier="B", x_credit_line="200")
    schema = service.schema_of(session, PARTNER)
    assert "x_tier" in schema.list_columns and "x_tier" in schema.filters
    page = service.list_page(
        session,
        principal=pm,
        resource=PARTNER,
        lang="en",
        query=service.parse_query(schema, {"x_tier": "A"}),
    )
    assert page.total == 1 and page.rows[0]["x_tier"] == "A"
    assert page.rows[0]["x_credit_line"] == "¥5,000,000.00"
    ranged = service.list_page(
        session,
        principal=pm,
        resource=PARTNER,
        query=service.parse_query(schema, {"x_credit_line__min": "1000"}),
    )
    assert ranged.total == 1
    result = service.update(
        session, principal=pm, resource=PARTNER, record_id=first, version=1, values={"x_tier": "C"}
    )
    session.commit()
    assert result.ok
    history = service.history(session, principal=pm, resource=PARTNER, record_id=first, lang="zh")
    assert history[0]["changes"] == "合作等级: A → C"
    assert session.get(Partner, first).version == 2


def test_saved_views_keep_only_known_parameters_and_share_on_request(session, pm, pm2):
    from backoffice.engine import views

    problem = views.save(
        session,
        principal=pm,
        resource=PARTNER,
        name="银行伙伴",
        query_string="kind=bank&sort=-name&evil=1&cols=name,notes,password_hash",
        shared=False,
    )
    assert problem == ""
    mine = views.visible(session, principal=pm, resource=PARTNER)
    assert mine[0]["params"] == "kind=bank&sort=-name&cols=name%2Cnotes"
    assert views.visible(session, principal=pm2, resource=PARTNER) == []
    views.save(
        session,
        principal=pm,
        resource=PARTNER,
        name="银行伙伴",
        query_string="kind=bank",
        shared=True,
    )
    shared = views.visible(session, principal=pm2, resource=PARTNER)
    assert shared[0]["owner"] == "pm.one" and not shared[0]["mine"]
    assert not views.delete(session, principal=pm2, view_id=int(shared[0]["id"]))
    assert views.delete(session, principal=pm, view_id=int(shared[0]["id"]))


def test_bulk_actions_check_each_record_and_permission(session, pm, pm2):
    ids = [make_partner(session, pm, name=f"批量{i}", licence_no=f"B{i}") for i in range(3)]
    actions = {key for key, _p, _l in service.bulk_actions(PARTNER, pm)}
    assert actions == {"archive", "restore"}
    result = service.run_bulk(
        session, principal=pm, resource=PARTNER, record_ids=[*ids, 424242], action="archive"
    )
    session.commit()
    assert result.done == 3 and result.refused == [(424242, "error.not_found")]
    assert all(session.get(Partner, i).archived_at is not None for i in ids)
    user, _ = make_user(session, "mkt.bulk", ["marketing"])
    marketing = auth.resolve(session, sign_in(session, user))
    with pytest.raises(service.EngineError):
        service.run_bulk(
            session, principal=marketing, resource=PARTNER, record_ids=ids, action="restore"
        )


def test_bulk_workflow_transition_only_where_declared(session, pm):
    partner_id = make_partner(session, pm)
    product_id = make_product(session, pm, partner_id)
    product = session.get(Product, product_id)
    product.status = "on_sale"
    session.add(product)
    session.commit()
    keys = {key for key, _p, _l in service.bulk_actions(PRODUCT, pm)}
    assert "transition:suspend" in keys and "transition:publish" not in keys
    result = service.run_bulk(
        session,
        principal=pm,
        resource=PRODUCT,
        record_ids=[product_id],
        action="transition:suspend",
    )
    session.commit()
    assert result.done == 1 and session.get(Product, product_id).status == "suspended"


def test_rules_across_fields_are_checked_on_create_and_edit(session, pm):
    partner_id = make_partner(session, pm)
    bad = service.create(
        session,
        principal=pm,
        resource=PRODUCT,
        values={
            "code": "P7",
            "name": "x",
            "product_type": "fixed_term",
            "partner_id": str(partner_id),
            "risk_level": "R2",
            "min_purchase": "1",
            "yield_min": "3",
            "yield_max": "2",
            "sale_start": "2027-01-02",
            "sale_end": "2027-01-01",
            "early_redemption": "not_allowed",
        },
    )
    assert bad.errors == {
        "yield_max": "product.yield_range",
        "sale_end": "product.sale_window",
        "term_days": "product.term_required",
    }
    product_id = make_product(session, pm, partner_id)
    edit = service.update(
        session,
        principal=pm,
        resource=PRODUCT,
        record_id=product_id,
        version=1,
        values={"yield_min": "9"},
    )
    assert edit.errors == {"yield_max": "product.yield_range"}


def test_multi_choice_custom_field_parses_labels_and_filters(session, pm):
    from backoffice.engine import custom

    admin_user, _ = make_user(session, "cf.admin2", ["admin"])
    admin = auth.resolve(session, sign_in(session, admin_user))
    custom.add_definition(
        session,
        actor=admin,
        resource_key="partner",
        name="regions",
        label_zh="覆盖区域",
        label_en="Regions",
        kind="multi_choice",
        choices="华东\n华南\n华北",
    )
    session.commit()
    first = make_partner(session, pm, x_regions="华北, 华东")
    make_partner(session, pm, name="乙", x_regions="华南")
    assert service.create(
        session,
        principal=pm,
        resource=PARTNER,
        values={**GOOD_PARTNER, "name": "丙", "x_regions": "火星"},
    ).errors == {"x_regions": "field.not_a_choice"}
    schema = service.schema_of(session, PARTNER)
    page = service.list_page(
        session,
        principal=pm,
        resource=PARTNER,
        query=service.parse_query(schema, {"x_regions": "华北"}),
    )
    assert [r["id"] for r in page.rows] == [str(first)]
    assert page.rows[0]["x_regions"] == "华东、华北"


def test_row_scope_limits_lists_and_single_records(session, pm):
    import dataclasses

    scoped = dataclasses.replace(
        PARTNER, key="scoped_partner", row_scope=lambda principal: Partner.status == "active"
    )
    visible = make_partner(session, pm, name="可见", status="active")
    hidden = make_partner(session, pm, name="不可见", status="prospect")
    page = service.list_page(session, principal=pm, resource=scoped, query=service.ListQuery())
    assert [r["id"] for r in page.rows] == [str(visible)]
    assert service.load(session, principal=pm, resource=scoped, record_id=visible).id == visible
    with pytest.raises(service.EngineError, match=r"error\.not_found"):
        service.load(session, principal=pm, resource=scoped, record_id=hidden)
    with pytest.raises(service.EngineError):
        service.update(
            session,
            principal=pm,
            resource=scoped,
            record_id=hidden,
            version=1,
            values={"notes": "x"},
        )


def test_fields_a_role_may_not_read_are_masked_and_cannot_be_written(session, pm):
    import dataclasses

    fields = tuple(
        dataclasses.replace(f, read_permission=("salary", "view"))
        if f.name == "commission_rate"
        else f
        for f in PARTNER.fields
    )
    guarded = dataclasses.replace(PARTNER, key="guarded_partner", fields=fields)
    record_id = make_partner(session, pm, commission_rate="1.5")
    page = service.list_page(session, principal=pm, resource=guarded, query=service.ListQuery())
    assert page.rows[0]["commission_rate"] == service.MASK
    assert service.update(
        session,
        principal=pm,
        resource=guarded,
        record_id=record_id,
        version=1,
        values={"commission_rate": "9"},
    ).ok
    session.commit()
    assert session.get(Partner, record_id).commission_rate == Decimal("1.5000")
    filtered = service.list_page(
        session,
        principal=pm,
        resource=guarded,
        query=service.ListQuery(filters={"commission_rate__min": "1"}),
    )
    assert filtered.total == 1, "a filter on a field one may not read is ignored"


def test_a_stale_refusal_names_a_login_only_when_its_account_is_gone(session, pm):
    from backoffice.platform import audit, versioned

    record_id = make_partner(session, pm)
    audit.record(
        session,
        actor="gone.user",
        action="partner.edit",
        entity="partner",
        entity_id=record_id,
        changes={"notes": ["", "x"], "unknown_name": [None, 1]},
    )
    refusal = versioned.stale(session, "partner", record_id)
    notes = PARTNER.field("notes")
    assert refusal.key == "record.stale_by" and refusal.params["who"] == "gone.user"
    assert refusal.params["fields_en"] == f"{notes.label('en')}, unknown_name"
    assert refusal.params["fields_zh"] == f"{notes.label('zh')}、unknown_name"


def test_wildcards_typed_in_a_search_match_only_themselves(session, pm):
    """A typed % or _ is a character to find, not a pattern: ``q=%`` finds the values that hold
    a literal % where the search looks (at the start), not every row."""
    names = ["%优先", "100%保本", "10_年期", "100号", "A/B 合作", "AB 合作"]
    for i, name in enumerate(names):
        make_partner(session, pm, name=name, licence_no=f"LIC{i:03d}")
    schema = service.schema_of(session, PARTNER)

    def found(q: str) -> list[str]:
        query = service.parse_query(schema, {"q": q})
        page = service.list_page(session, principal=pm, resource=PARTNER, query=query)
        return sorted(r["name"] for r in page.rows)

    assert found("%") == ["%优先"]
    assert found("_") == []
    assert found("10_") == ["10_年期"]
    assert found("100%") == ["100%保本"]
    assert found("A/") == ["A/B 合作"]
    assert found("//") == []
    assert found("10") == ["100%保本", "100号", "10_年期"]


def test_the_record_picker_escapes_wildcards_too(session, pm):
    from backoffice.engine.ref_options import ref_options

    for i, name in enumerate(["%优先", "100%保本", "华夏"]):
        make_partner(session, pm, name=name, licence_no=f"LIC{i:03d}")
    spec = get("product").field("partner_id")
    assert [o["label"] for o in ref_options(session, pm, spec, "%")] == ["%优先"]
    assert [o["label"] for o in ref_options(session, pm, spec, "_")] == []
