"""Type-specific product terms: early redemption for fixed-term and bond products, cover for
insurance — shown, required and kept only where they apply."""

from decimal import Decimal

import pytest
from sqlmodel import select

import backoffice.domains  # noqa: F401
from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.security import auth
from models.audit import AuditEntry
from models.partners import Partner
from models.products import Product
from tests.factories import make_user, sign_in

PRODUCT = get("product")


@pytest.fixture
def pm(session):
    user, _ = make_user(session, "pm.terms", ["product_manager"])
    return auth.resolve(session, sign_in(session, user))


@pytest.fixture
def partners(session):
    bank = Partner(name="银行甲", kind="bank", licence_no="B1", status="active")
    insurer = Partner(name="保险乙", kind="insurer", licence_no="I1", status="active")
    session.add_all([bank, insurer])
    session.commit()
    return {"bank": bank.id, "insurer": insurer.id}


def _values(partner_id: int, **extra: str) -> dict[str, str]:
    return {
        "code": "T1",
        "name": "条款测试",
        "partner_id": str(partner_id),
        "risk_level": "R2",
        "min_purchase": "1000",
        **extra,
    }


def _create(session, pm, values):
    result = service.create(session, principal=pm, resource=PRODUCT, values=values)
    if result.ok:
        session.commit()
    else:
        session.rollback()
    return result


def test_fixed_term_needs_its_early_redemption_rule(session, pm, partners):
    result = _create(
        session, pm, _values(partners["bank"], product_type="fixed_term", term_days="90")
    )
    assert result.errors == {"early_redemption": "field.required"}
    assert session.exec(select(Product)).first() is None

    result = _create(
        session,
        pm,
        _values(
            partners["bank"],
            product_type="fixed_term",
            term_days="90",
            early_redemption="with_fee",
        ),
    )
    assert result.errors == {"early_redemption_fee_rate": "product.early_fee_required"}

    result = _create(
        session,
        pm,
        _values(
            partners["bank"],
            product_type="fixed_term",
            term_days="90",
            early_redemption="with_fee",
            early_redemption_fee_rate="1.5",
            early_redemption_notice_days="3",
        ),
    )
    assert result.ok, result.errors
    product = session.get(Product, result.record_id)
    assert product.early_redemption_fee_rate == Decimal("1.5000")
    assert product.coverage_type is None


def test_terms_of_another_type_are_not_kept(session, pm, partners):
    """A money-market fund sent with insurance cover and a term keeps neither."""
    result = _create(
        session,
        pm,
        _values(
            partners["bank"],
            product_type="money_market",
            term_days="90",
            coverage_type="life",
            sum_assured="100000",
            early_redemption="free",
        ),
    )
    assert result.ok, result.errors
    product = session.get(Product, result.record_id)
    assert (product.term_days, product.coverage_type, product.sum_assured) == (None, None, None)
    assert product.early_redemption is None
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "product.create")).one()
    assert "coverage_type" not in entry.changes


def test_insurance_needs_cover_a_cooling_off_period_and_an_insurer(session, pm, partners):
    insurance = {"product_type": "insurance", "coverage_type": "critical_illness"}
    result = _create(session, pm, _values(partners["insurer"], **insurance))
    assert result.errors == {"sum_assured": "field.required", "cooling_off_days": "field.required"}

    complete = {**insurance, "sum_assured": "300000", "cooling_off_days": "10"}
    result = _create(session, pm, _values(partners["insurer"], **complete))
    assert result.errors == {"cooling_off_days": "field.too_small"}

    complete["cooling_off_days"] = "15"
    result = _create(session, pm, _values(partners["bank"], **complete))
    assert result.errors == {"partner_id": "product.insurer_required"}

    result = _create(session, pm, _values(partners["insurer"], **complete, coverage_years="20"))
    assert result.ok, result.errors
    assert session.get(Product, result.record_id).sum_assured == Decimal("300000.00")


def test_changing_the_type_clears_the_old_terms_and_asks_for_the_new(session, pm, partners):
    result = _create(
        session,
        pm,
        _values(
            partners["bank"],
            product_type="fixed_term",
            term_days="180",
            early_redemption="free",
            early_redemption_notice_days="7",
        ),
    )
    product = session.get(Product, result.record_id)
    update = service.update(
        session,
        principal=pm,
        resource=PRODUCT,
        record_id=product.id,
        version=product.version,
        values={"product_type": "flexible"},
    )
    session.commit()
    assert update.ok, update.errors
    session.refresh(product)
    assert (product.term_days, product.early_redemption, product.early_redemption_notice_days) == (
        None,
        None,
        None,
    )

    update = service.update(
        session,
        principal=pm,
        resource=PRODUCT,
        record_id=product.id,
        version=product.version,
        values={"product_type": "bond"},
    )
    session.rollback()
    assert update.errors == {"early_redemption": "field.required"}


def test_terms_of_a_live_product_cannot_change(session, pm, partners):
    result = _create(
        session,
        pm,
        _values(
            partners["bank"],
            product_type="fixed_term",
            term_days="90",
            early_redemption="not_allowed",
        ),
    )
    product = session.get(Product, result.record_id)
    product.status = "on_sale"
    session.add(product)
    session.commit()
    update = service.update(
        session,
        principal=pm,
        resource=PRODUCT,
        record_id=product.id,
        version=product.version,
        values={"early_redemption": "free", "description": "说明"},
    )
    session.rollback()
    assert update.errors == {"early_redemption": "product.terms_locked"}
    session.refresh(product)
    assert product.early_redemption == "not_allowed"
