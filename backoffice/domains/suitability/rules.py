"""Suitability (适当性): a product of risk level Rn may be offered only to customers assessed
Cn or above. This is the one place the rule lives; every module asks here.

- :func:`holding_refusal` says why a customer may not come to hold a product now (or None):
  the transaction resource asks it for every subscription or redemption staff record, one by
  one or by import, and an API would ask it the same way.
- An unsuitable subscription can still be recorded through an override: a typed reason, then
  a second person's approval (``suitability_override``); until then it holds nothing.
- :func:`queue_unsuitable_holdings` (a daily job) puts holdings that became unsuitable into the
  compliance queue (``suitability_review``), once per holding and pair of levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from backoffice.db import write_batches
from backoffice.i18n import Message
from backoffice.platform import audit, notifications
from backoffice.platform.business_time import local_today
from backoffice.platform.jobs import Outcome
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.customers import RISK_TOLERANCES, Customer, KycStatus
from models.products import RISK_LEVELS, Product, ProductStatus
from models.suitability import (
    OverrideStatus,
    SuitabilityOverride,
    SuitabilityReview,
)
from models.transactions import Transaction, TransactionKind, TransactionStatus

CENT = Decimal("0.01")
REASON_MIN_LENGTH = 15  # an override's reason says why, not "ok"
STAFF_CHANNEL = "staff"
UNSUITABLE = "unsuitable"  # the one refusal an override may lift


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


def unsuitable_condition(
    tolerance: sa.ColumnElement[Any], risk: sa.ColumnElement[Any]
) -> sa.ColumnElement[bool]:
    """:func:`may_buy` as SQL over an assessed customer's tolerance and a product's risk:
    true where the pair is unsuitable."""
    return sa.or_(
        *[
            sa.and_(
                tolerance == code,
                risk.in_([r for r in RISK_LEVELS if not may_buy(r, code)]),
            )
            for code in RISK_TOLERANCES
            if code != RISK_TOLERANCES[-1]
        ]
    )


# --- refusals -------------------------------------------------------------------------------
@dataclass(frozen=True)
class HoldingRefusal:
    """Why a customer may not come to hold (or leave) a product: ``reason`` is machine
    readable (``unsuitable``, ``kyc_not_approved``…), ``field`` the form field it belongs to,
    ``params`` what the message names."""

    reason: str
    field: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> Message:
        return Message(f"suitability.refused.{self.reason}", **self.params)

    @property
    def overridable(self) -> bool:
        return self.reason == UNSUITABLE


def position(session: Session, customer_id: int, product_id: int, *, lock: bool = False) -> Decimal:
    """What the customer holds of the product: settled subscriptions less redemptions.

    ``lock`` reads the rows with FOR UPDATE: the newest committed ones even inside an older
    snapshot (MariaDB's repeatable read), and held until the caller's transaction ends."""
    if lock:
        rows = session.execute(
            sa.select(Transaction.kind, Transaction.amount)
            .where(
                Transaction.customer_id == customer_id,
                Transaction.product_id == product_id,
                Transaction.status == TransactionStatus.SETTLED,
            )
            .with_for_update()
        ).all()
        held = sum((a if k == TransactionKind.SUBSCRIPTION else -a for k, a in rows), Decimal("0"))
        return Decimal(held).quantize(CENT)
    signed = sa.case(
        (Transaction.kind == TransactionKind.SUBSCRIPTION, Transaction.amount),
        else_=-Transaction.amount,
    )
    total = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(signed), 0)).where(
            Transaction.customer_id == customer_id,
            Transaction.product_id == product_id,
            Transaction.status == TransactionStatus.SETTLED,
        )
    ).scalar()
    return Decimal(str(total or 0)).quantize(CENT)


def holding_refusal(
    session: Session,
    customer: Customer,
    product: Product,
    kind: str,
    amount: Decimal,
    on: date,
    *,
    lock: bool = False,
) -> HoldingRefusal | None:
    """Why this subscription or redemption may not be recorded on the day ``on``, or None.

    A subscription needs a customer in a live relationship with approved KYC and an
    assessment, a product on sale within its sale window, at least its minimum purchase, and
    the product's risk within the customer's tolerance (checked last, so that ``unsuitable``
    means every other condition holds and an override may lift it). A customer may always
    sell: a redemption is refused only for more than the customer holds (``lock``: read as it
    is committed now, and kept so until the caller's transaction ends)."""
    if kind == TransactionKind.REDEMPTION:
        held = position(session, customer.id, product.id, lock=lock)
        if amount > held:
            return HoldingRefusal("exceeds_holding", "amount", {"held": f"{held:,.2f}"})
        return None
    if kind != TransactionKind.SUBSCRIPTION:
        raise ValueError(f"unknown transaction kind {kind!r}")
    who = {"customer": customer.customer_no}
    if customer.relationship_ended_on is not None or customer.archived_at is not None:
        return HoldingRefusal("relationship_ended", "customer_id", who)
    if customer.kyc_status != KycStatus.APPROVED:
        return HoldingRefusal("kyc_not_approved", "customer_id", who)
    if customer.risk_tolerance not in RISK_TOLERANCES:
        return HoldingRefusal("not_assessed", "customer_id", who)
    what = {"product": product.code}
    if product.status != ProductStatus.ON_SALE or product.archived_at is not None:
        return HoldingRefusal("not_on_sale", "product_id", what)
    if (product.sale_start and on < product.sale_start) or (
        product.sale_end and on > product.sale_end
    ):
        window = {
            "start": product.sale_start.isoformat() if product.sale_start else "—",
            "end": product.sale_end.isoformat() if product.sale_end else "—",
        }
        return HoldingRefusal("sale_closed", "product_id", {**what, **window})
    if amount < product.min_purchase:
        return HoldingRefusal(
            "below_minimum", "amount", {"minimum": f"{product.min_purchase:,.2f}"}
        )
    if not may_buy(product.risk_level, customer.risk_tolerance):
        levels = {
            "tolerance": customer.risk_tolerance,
            "risk": product.risk_level,
            "needed": (eligible_tolerances(product.risk_level) or ["—"])[0],
        }
        return HoldingRefusal(UNSUITABLE, "product_id", {**who, **what, **levels})
    return None


def _parties(
    session: Session, values: dict[str, Any]
) -> tuple[Customer | None, Product | None, dict[str, str]]:
    customer = session.get(Customer, values.get("customer_id"))
    product = session.get(Product, values.get("product_id"))
    problems = {}
    if customer is None:
        problems["customer_id"] = "field.not_found"
    if product is None:
        problems["product_id"] = "field.not_found"
    return customer, product, problems


# --- transactions staff record --------------------------------------------------------------
_LAST_TRANSACTION = sa.select(sa.func.max(Transaction.id))  # built once: every order asks it


def transaction_values(
    session: Session, product: Product, kind: str, amount: Decimal, at: datetime
) -> dict[str, Any]:
    """The columns the platform fills in for a transaction staff record: its number, time,
    fee at the product's rate, settled status and the staff channel."""
    rate = (
        product.subscription_fee_rate
        if kind == TransactionKind.SUBSCRIPTION
        else product.redemption_fee_rate
    )
    last = session.execute(_LAST_TRANSACTION).scalar() or 0
    return {
        "txn_no": f"S{last + 1:011d}",
        "occurred_at": at,
        "fee": (amount * Decimal(rate or 0) / 100).quantize(CENT),
        "status": TransactionStatus.SETTLED,
        "channel": STAFF_CHANNEL,
    }


def check_transaction(
    session: Session, _principal: Principal, values: dict[str, Any]
) -> dict[str, str]:
    """A transaction staff record (by the form, or each row of an import's check and commit):
    refused with the reason, nothing written."""
    customer, product, problems = _parties(session, values)
    if problems:
        return problems
    assert customer is not None and product is not None
    refusal = holding_refusal(
        session,
        customer,
        product,
        str(values.get("kind")),
        Decimal(values["amount"]),
        local_today(),
    )
    return {refusal.field: refusal.message} if refusal is not None else {}


def prepare_transaction(
    session: Session, _principal: Principal, values: dict[str, Any]
) -> dict[str, str]:
    """Once checked: checked again with the customer's row and holding locked (PostgreSQL,
    MariaDB; a SQLite write already holds the database), so two redemptions written at once
    cannot both spend one holding; then what the platform fills in before it is written."""
    customer = session.execute(
        sa.select(Customer)
        .where(Customer.id == values.get("customer_id"))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    product = session.get(Product, values.get("product_id"))
    if customer is None or product is None:
        return {"customer_id" if customer is None else "product_id": "field.not_found"}
    kind, amount = str(values["kind"]), Decimal(values["amount"])
    refusal = holding_refusal(session, customer, product, kind, amount, local_today(), lock=True)
    if refusal is not None:
        return {refusal.field: refusal.message}
    values.update(transaction_values(session, product, kind, amount, utcnow()))
    return {}


# --- overrides ------------------------------------------------------------------------------
def check_reason(values: dict[str, Any]) -> dict[str, str]:
    if len(str(values.get("reason") or "").strip()) < REASON_MIN_LENGTH:
        return {"reason": Message("suitability.reason_too_short", min=REASON_MIN_LENGTH)}
    return {}


def check_override(
    session: Session, _principal: Principal, values: dict[str, Any]
) -> dict[str, str]:
    """An override is for a subscription refused only as unsuitable: any other refusal
    stands, and a suitable one needs no override."""
    customer, product, problems = _parties(session, values)
    if problems:
        return problems
    assert customer is not None and product is not None
    refusal = holding_refusal(
        session,
        customer,
        product,
        TransactionKind.SUBSCRIPTION,
        Decimal(values["amount"]),
        local_today(),
    )
    if refusal is None:
        return {"product_id": "suitability.override_not_needed"}
    if not refusal.overridable:
        return {refusal.field: refusal.message}
    return {}


def prepare_override(
    session: Session, _principal: Principal, values: dict[str, Any]
) -> dict[str, str]:
    """Once checked: numbered, with the levels it lifts (what the approver approves)."""
    customer, product, problems = _parties(session, values)
    if problems:
        return problems
    assert customer is not None and product is not None
    last = session.execute(sa.select(sa.func.max(SuitabilityOverride.id))).scalar() or 0
    values.update(
        request_no=f"SO{last + 1:08d}",
        customer_tolerance=customer.risk_tolerance,
        product_risk=product.risk_level,
        reason=str(values["reason"]).strip(),
    )
    return {}


def approval_refusal(session: Session, override: SuitabilityOverride) -> str | None:
    """At approval the subscription is checked again: the product may have closed, or the
    customer's KYC lapsed, since the request (an unsuitable match is what is approved)."""
    customer = session.get(Customer, override.customer_id)
    product = session.get(Product, override.product_id)
    if customer is None or product is None:
        return "error.not_found"
    refusal = holding_refusal(
        session,
        customer,
        product,
        TransactionKind.SUBSCRIPTION,
        override.amount,
        local_today(),
    )
    if refusal is not None and not refusal.overridable:
        return refusal.message
    return None


def record_approved(session: Session, principal: Principal, override: SuitabilityOverride) -> None:
    """After the approval is written: the subscription is recorded now (so AUM and KPIs see it
    from today), linked to the override, each audited."""
    product = session.get(Product, override.product_id)
    assert product is not None
    txn = Transaction(
        customer_id=override.customer_id,
        product_id=override.product_id,
        kind=TransactionKind.SUBSCRIPTION,
        amount=override.amount,
        **transaction_values(
            session, product, TransactionKind.SUBSCRIPTION, override.amount, utcnow()
        ),
    )
    session.add(txn)
    session.flush()
    audit.record(
        session,
        actor=principal.username,
        action="transaction.create",
        entity="transaction",
        entity_id=txn.id,
        changes={
            "txn_no": [None, txn.txn_no],
            "customer_id": [None, str(txn.customer_id)],
            "product_id": [None, str(txn.product_id)],
            "kind": [None, txn.kind],
            "amount": [None, str(txn.amount)],
            "override": [None, override.request_no],
        },
    )
    override.transaction_id = txn.id
    override.version += 1
    override.updated_at = utcnow()
    session.add(override)
    session.flush()
    audit.record(
        session,
        actor=principal.username,
        action="suitability_override.recorded",
        entity="suitability_override",
        entity_id=override.id,
        changes={"transaction_id": [None, str(txn.id)]},
    )


# --- the review queue -----------------------------------------------------------------------
def unsuitable_holdings(session: Session) -> list[tuple[int, int, str, str, Decimal]]:
    """(customer, product, tolerance, risk, position) of every positive holding whose product's
    risk is above its assessed customer's tolerance, not yet queued at these levels nor
    approved at them by an override.

    One aggregate in the database: the settled transactions of unsuitable pairs only, summed
    per customer and product (never a query per customer, never the rows in Python)."""
    signed = sa.case(
        (Transaction.kind == TransactionKind.SUBSCRIPTION, Transaction.amount),
        else_=-Transaction.amount,
    )
    held = sa.func.sum(signed)
    queued = sa.exists().where(
        SuitabilityReview.customer_id == Transaction.customer_id,
        SuitabilityReview.product_id == Transaction.product_id,
        SuitabilityReview.customer_tolerance == Customer.risk_tolerance,
        SuitabilityReview.product_risk == Product.risk_level,
    )
    approved = sa.exists().where(
        SuitabilityOverride.customer_id == Transaction.customer_id,
        SuitabilityOverride.product_id == Transaction.product_id,
        SuitabilityOverride.customer_tolerance == Customer.risk_tolerance,
        SuitabilityOverride.product_risk == Product.risk_level,
        SuitabilityOverride.status == OverrideStatus.APPROVED,
    )
    rows = session.execute(
        sa.select(
            Transaction.customer_id,
            Transaction.product_id,
            Customer.risk_tolerance,
            Product.risk_level,
            held,
        )
        .join(Customer, Customer.id == Transaction.customer_id)
        .join(Product, Product.id == Transaction.product_id)
        .where(
            Transaction.status == TransactionStatus.SETTLED,
            unsuitable_condition(Customer.risk_tolerance, Product.risk_level),
            ~queued,
            ~approved,
        )
        .group_by(
            Transaction.customer_id,
            Transaction.product_id,
            Customer.risk_tolerance,
            Product.risk_level,
        )
        .having(held > 0)
        .order_by(Transaction.customer_id, Transaction.product_id)
    ).all()
    return [(c, p, t, r, Decimal(str(v)).quantize(CENT)) for c, p, t, r, v in rows]


def queue_unsuitable_holdings(session: Session, batch: int = 500) -> str:
    """The daily job: each holding that became unsuitable (the customer's tolerance fell or
    the product's risk rose) enters the compliance queue once per pair of levels; compliance
    is told once per run that found any. A rerun finds nothing new. The read is one
    aggregate; the items are written in committed batches."""
    found = unsuitable_holdings(session)
    now = utcnow()
    first_id = last_id = 0
    with write_batches(session) as batches:
        for start in range(0, len(found), batch):
            for customer_id, product_id, tolerance, risk, held in found[start : start + batch]:
                item = SuitabilityReview(
                    customer_id=customer_id,
                    product_id=product_id,
                    customer_tolerance=tolerance,
                    product_risk=risk,
                    position=held,
                    found_at=now,
                )
                session.add(item)
                session.flush()
                audit.record(
                    session,
                    actor="system",
                    action="suitability_review.create",
                    entity="suitability_review",
                    entity_id=item.id,
                    changes={
                        "customer_id": [None, str(customer_id)],
                        "product_id": [None, str(product_id)],
                        "customer_tolerance": [None, tolerance],
                        "product_risk": [None, risk],
                        "position": [None, str(held)],
                    },
                )
                first_id, last_id = first_id or item.id, item.id
                batches.done_one()
            batches.commit()
        if found:
            notifications.notify(
                session,
                kind="suitability",
                role="compliance",
                severity="warning",
                link="/r/suitability_review?queue=open",
                dedupe_key=f"suitability_review:{first_id}-{last_id}",
                title_zh=f"{len(found)} 笔持仓已不再适当，待合规复核",
                title_en=f"{len(found)} holdings became unsuitable and await compliance review",
            )
            batches.commit()
    return Outcome("job.result.suitability.queued", found=len(found))
