"""Products on sale change through approved change requests that take effect on time."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

import backoffice.domains  # noqa: F401
from backoffice.domains.products import rules
from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.security import auth
from models.base import utcnow
from models.partners import Partner
from models.products import Product, ProductChange, ProductRate
from tests.factories import make_user, sign_in

PRODUCT, CHANGE = get("product"), get("product_change")


@pytest.fixture
def people(session):
    result = []
    for name in ("pm.maker", "pm.checker"):
        user, _ = make_user(session, name, ["product_manager"])
        result.append(auth.resolve(session, sign_in(session, user)))
    return result


@pytest.fixture
def product_id(session):
    partner = Partner(name="甲", kind="bank", licence_no="L", status="active")
    session.add(partner)
    session.commit()
    product = Product(
        code="P1",
        name="稳盈",
        product_type="fixed_term",
        partner_id=partner.id,
        risk_level="R2",
        min_purchase=Decimal("1000"),
        term_days=90,
        yield_min=Decimal("2.8"),
        yield_max=Decimal("3.1"),
        status="on_sale",
    )
    session.add(product)
    session.commit()
    return product.id


def _request(session, principal, product_id, **values):
    return service.create(
        session,
        principal=principal,
        resource=CHANGE,
        values={
            "product_id": str(product_id),
            "reason": "市场利率下行",
            "effective_at": (utcnow() + timedelta(days=1)).isoformat(),
            **values,
        },
    )


def test_live_product_fields_change_only_by_request(session, people, product_id):
    maker, _checker = people
    refused = service.update(
        session,
        principal=maker,
        resource=PRODUCT,
        record_id=product_id,
        version=1,
        values={"yield_max": "3.5", "name": "稳盈A"},
    )
    assert refused.errors == {"yield_max": "product.use_change_request"}
    assert session.get(Product, product_id).name == "稳盈"


def test_request_needs_a_real_change_and_a_future_time(session, people, product_id):
    maker, _ = people
    assert _request(session, maker, product_id, yield_max="3.10").errors == {
        "yield_max": "product.change_nothing"
    }
    past = (utcnow() - timedelta(days=1)).isoformat()
    assert _request(session, maker, product_id, yield_max="3.0", effective_at=past).errors == {
        "effective_at": "product.change_in_past"
    }
    assert _request(session, maker, product_id, yield_min="4").errors == {
        "yield_max": "product.yield_range"
    }


def test_approved_change_takes_effect_on_time_with_rate_history(session, people, product_id):
    maker, checker = people
    created = _request(session, maker, product_id, yield_max="2.95", management_fee_rate="0.2")
    session.commit()
    assert created.ok, created
    change = session.get(ProductChange, created.record_id)
    assert rules.diff(change) == [
        ("yield_max", "3.1000", "2.9500"),
        ("management_fee_rate", "0.0000", "0.2000"),
    ]
    refused = service.transition(
        session,
        principal=maker,
        resource=CHANGE,
        record_id=change.id,
        version=1,
        transition_key="approve",
    )
    assert refused.message == "workflow.maker_checker"
    assert service.transition(
        session,
        principal=checker,
        resource=CHANGE,
        record_id=change.id,
        version=1,
        transition_key="approve",
    ).ok
    session.commit()
    assert rules.apply_due_changes(session) == "0 changes applied", "not due yet"
    later = utcnow() + timedelta(days=1, minutes=1)
    assert rules.apply_due_changes(session, later) == "1 changes applied"
    session.commit()
    product = session.get(Product, product_id)
    session.refresh(product)
    assert product.yield_max == Decimal("2.9500") and product.version == 2
    rates = session.exec(select(ProductRate).order_by(ProductRate.effective_at)).all()
    assert [r.yield_max for r in rates] == [Decimal("3.1000"), Decimal("2.9500")]
    assert rules.apply_due_changes(session, later) == "0 changes applied", "applied once"
    history = service.history(
        session, principal=maker, resource=PRODUCT, record_id=product_id, lang="zh"
    )
    assert history[0]["actor"] == "系统" and "3.10% → 2.95%" in history[0]["changes"]


def test_an_approved_request_can_no_longer_be_edited(session, people, product_id):
    maker, checker = people
    created = _request(session, maker, product_id, yield_max="2.95")
    session.commit()
    service.transition(
        session,
        principal=checker,
        resource=CHANGE,
        record_id=created.record_id,
        version=1,
        transition_key="approve",
    )
    session.commit()
    edit = service.update(
        session,
        principal=maker,
        resource=CHANGE,
        record_id=created.record_id,
        version=2,
        values={"yield_max": "9.9"},
    )
    assert edit.message == "workflow.not_editable"
    assert session.get(ProductChange, created.record_id).yield_max == Decimal("2.9500")


def test_who_changed_a_pending_request_cannot_approve_it(session, people, product_id):
    maker, checker = people
    third_user, _ = make_user(session, "pm.third", ["product_manager"])
    third = auth.resolve(session, sign_in(session, third_user))
    created = _request(session, maker, product_id, yield_max="2.95")
    session.commit()
    edited = service.update(
        session,
        principal=checker,
        resource=CHANGE,
        record_id=created.record_id,
        version=1,
        values={"reason": "市场利率下行，幅度再议"},
    )
    session.commit()
    assert edited.ok and not edited.sent_back  # a pending request stays pending
    for who in (maker, checker):
        refused = service.transition(
            session,
            principal=who,
            resource=CHANGE,
            record_id=created.record_id,
            version=2,
            transition_key="approve",
        )
        assert refused.message == "workflow.maker_checker"
    assert service.transition(
        session,
        principal=third,
        resource=CHANGE,
        record_id=created.record_id,
        version=2,
        transition_key="approve",
    ).ok
