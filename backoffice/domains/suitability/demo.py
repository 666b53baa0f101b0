"""Demo data of suitability, made through its rules once the customers hold their products."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.domains.suitability import rules as suitability
from backoffice.domains.suitability.resources import OVERRIDE
from backoffice.engine import service
from backoffice.platform import audit
from backoffice.platform.business_time import local_today
from backoffice.security import rbac
from models.customers import Customer, KycStatus
from models.identity import User
from models.products import Product, ProductStatus
from models.transactions import Transaction, TransactionKind, TransactionStatus

NEEDS = ("audit",)  # for the order only: its entries follow the makers' in the audit trail


def through_rules(session: Session) -> None:
    """Two examples made through the rules: an override the customer-service lead requested
    for a subscription refused as unsuitable (awaiting compliance), and the holdings that became
    unsuitable when a product was re-rated one level higher, queued by the review job."""
    today = local_today()
    customers = session.exec(
        select(Customer)
        .where(Customer.kyc_status == KycStatus.APPROVED, Customer.risk_tolerance == "C2")
        .order_by(Customer.id)
        .limit(20)
    ).all()
    products = session.exec(
        select(Product)
        .where(Product.status == ProductStatus.ON_SALE, Product.risk_level.in_(("R4", "R5")))
        .order_by(Product.id)
    ).all()
    pair = next(
        (
            (customer, product)
            for customer in customers
            for product in products
            if (
                refusal := suitability.holding_refusal(
                    session,
                    customer,
                    product,
                    TransactionKind.SUBSCRIPTION,
                    max(product.min_purchase, Decimal("50000.00")),
                    today,
                )
            )
            and refusal.overridable
        ),
        None,
    )
    if pair is not None:
        customer, product = pair
        service.create(
            session,
            principal=_demo_principal(session, "cs.wu", "cs_lead"),
            resource=OVERRIDE,
            values={
                "customer_id": customer.id,
                "product_id": product.id,
                "amount": max(product.min_purchase, Decimal("50000.00")),
                "reason": "客户来电坚持申购，已告知产品风险高于其评估等级并录音确认，"
                "申购金额占其可投资资产比例较小。",
            },
        )
    # the product re-rated R3 → R4 with the fewest C3 holders (a few review items, not hundreds)
    holders = sa.func.count(sa.distinct(Transaction.customer_id))
    rerated = session.execute(
        sa.select(Transaction.product_id)
        .join(Customer, Customer.id == Transaction.customer_id)
        .join(Product, Product.id == Transaction.product_id)
        .where(
            Transaction.kind == TransactionKind.SUBSCRIPTION,
            Transaction.status == TransactionStatus.SETTLED,
            Customer.risk_tolerance == "C3",
            Product.risk_level == "R3",
        )
        .group_by(Transaction.product_id)
        .order_by(holders, Transaction.product_id)
        .limit(1)
    ).scalar()
    if rerated is not None:
        product = session.get(Product, rerated)
        product.risk_level = "R4"
        product.version += 1
        session.add(product)
        audit.record(
            session,
            actor="pm.li",
            action="product.edit",
            entity="product",
            entity_id=product.id,
            changes={"risk_level": ["R3", "R4"]},
        )
        session.flush()
    suitability.queue_unsuitable_holdings(session)


def _demo_principal(session: Session, username: str, role: str) -> rbac.Principal:
    """A demo user acting through the engine, with their role's default rights."""
    user = session.exec(select(User).where(User.username == username)).one()
    return rbac.Principal(
        user_id=user.id,
        username=username,
        display_name=user.display_name,
        session_id=0,
        roles=frozenset({role}),
        permissions=frozenset(
            (resource, action)
            for resource, actions in rbac.DEFAULT_GRANTS[role].items()
            for action in actions
        ),
    )
