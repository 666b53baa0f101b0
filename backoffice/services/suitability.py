"""Suitability (适当性): a product of risk level Rn may be offered only to customers assessed
Cn or above. This is the one place the rule lives; every module asks here."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from models.customers import RISK_TOLERANCES, Customer, KycStatus
from models.products import RISK_LEVELS


def _rank(code: str | None, allowed: tuple[str, ...]) -> int | None:
    return allowed.index(code) + 1 if code in allowed else None


def may_buy(product_risk: str, customer_tolerance: str | None) -> bool:
    """False for an unknown level or a customer without an assessment."""
    risk = _rank(product_risk, RISK_LEVELS)
    tolerance = _rank(customer_tolerance, RISK_TOLERANCES)
    return risk is not None and tolerance is not None and tolerance >= risk


def eligible_tolerances(product_risk: str) -> list[str]:
    return [t for t in RISK_TOLERANCES if may_buy(product_risk, t)]


def eligible_customers(session: Session, product_risk: str) -> dict[str, int]:
    """How many KYC-approved customers of each eligible tolerance may buy the product."""
    tolerances = eligible_tolerances(product_risk)
    if not tolerances:
        return {}
    rows = session.execute(
        sa.select(Customer.risk_tolerance, sa.func.count())
        .where(
            Customer.risk_tolerance.in_(tolerances),
            Customer.kyc_status == KycStatus.APPROVED,
            Customer.archived_at.is_(None),
        )
        .group_by(Customer.risk_tolerance)
    ).all()
    counts = dict.fromkeys(tolerances, 0)
    counts.update({t: n for t, n in rows})
    return counts
