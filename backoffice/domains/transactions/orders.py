"""Orders from the customer platform: a subscription or redemption recorded when the
suitability rules (``suitability.rules.holding_refusal``, the one place they live) allow it,
attributed to a campaign when the customer quotes a live campaign's code.

A refusal carries a machine-readable ``reason`` the platform can act on: ``suitability``
(the product's risk is above the customer's tolerance), ``kyc_not_approved``, ``not_assessed``,
``relationship_ended``, ``not_on_sale``, ``sale_closed``, ``below_minimum``,
``exceeds_holding`` and ``campaign_not_live``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.domains.campaigns import codes as campaign_codes
from backoffice.domains.suitability import rules as suitability
from backoffice.engine.fields import is_id
from backoffice.platform import audit, numerals
from backoffice.platform.business_time import local_today
from backoffice.platform.refusal import Refusal
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.customers import Customer
from models.products import Product
from models.transactions import Transaction, TransactionKind

CHANNEL = "platform"
MAX_AMOUNT = Decimal("9999999999999999.99")  # what the money column holds
# the platform's word for a refusal where it differs from the suitability rule's
REASON_OF = {suitability.UNSUITABLE: "suitability"}


class OrderRefused(Refusal):
    """An order not recorded. ``reason``: machine readable (None for bad input), ``errors``:
    an i18n key per bad field."""

    def __init__(
        self,
        key: str,
        *,
        reason: str | None = None,
        errors: dict[str, str] | None = None,
        **params: object,
    ) -> None:
        super().__init__(key, **params)
        self.reason = reason
        self.errors = dict(errors or {})


@dataclass(frozen=True)
class Order:
    customer_id: int
    product_id: int
    kind: str
    amount: str  # an exact decimal, as sent
    campaign_code: str = ""


def parse_amount(text: object) -> Decimal | None:
    """Yuan to the fen, above zero, as an exact decimal string of ASCII digits (``"5000"``,
    ``"5000.50"``); None for anything else (a JSON number, a sign, an exponent, "5_000",
    full-width digits, grouping, more than two places)."""
    amount = numerals.amount(text)
    if amount is None or amount <= 0 or amount > MAX_AMOUNT:
        return None
    return amount.quantize(suitability.CENT)


# the customer read as committed now and locked until the order's transaction ends (built
# once: a statement built on every order costs more than the read)
_CUSTOMER_LOCKED = (
    select(Customer)
    .where(Customer.id == sa.bindparam("customer_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


# the row written as one plain statement (built once), not through the ORM's unit of work
_INSERT = sa.insert(Transaction.__table__)


def place(session: Session, principal: Principal, order: Order, client: str = "") -> Transaction:
    """Record the order, or refuse it (nothing written) with its reason. ``client``: the
    calling system's address, for the audit trail. The transaction returned is the row as
    written (not held by the session)."""
    if not principal.can("transaction", "create"):
        raise OrderRefused("auth.denied")
    errors: dict[str, str] = {}
    amount = parse_amount(order.amount)
    if amount is None:
        errors["amount"] = "order.bad_amount"
    if order.kind not in tuple(TransactionKind):
        errors["kind"] = "field.invalid"
    customer = (
        session.exec(_CUSTOMER_LOCKED, params={"customer_id": order.customer_id}).first()
        if is_id(order.customer_id)
        else None
    )
    product = session.get(Product, order.product_id) if is_id(order.product_id) else None
    if customer is None:
        errors["customer_id"] = "field.not_found"
    if product is None:
        errors["product_id"] = "field.not_found"
    if errors:
        raise OrderRefused("api.invalid", errors=errors)
    assert customer is not None and product is not None and amount is not None
    today = local_today()
    campaign_id = None
    if order.campaign_code.strip():
        campaign = campaign_codes.live(session, order.campaign_code, today, product.id)
        if campaign is None:
            raise OrderRefused(
                "order.campaign_not_live",
                reason="campaign_not_live",
                code=order.campaign_code.strip()[:40],
            )
        campaign_id = campaign.id
    refusal = suitability.holding_refusal(
        session, customer, product, order.kind, amount, today, lock=True
    )
    if refusal is not None:
        reason = REASON_OF.get(refusal.reason, refusal.reason)
        # staff read of an override on refusal; the platform only that it is unsuitable
        key = "order.unsuitable" if reason != refusal.reason else f"suitability.refused.{reason}"
        raise OrderRefused(key, reason=reason, **refusal.params)
    now = utcnow()
    row = {
        **suitability.transaction_values(session, product, order.kind, amount, now),
        "channel": CHANNEL,
        "created_at": now,
        "customer_id": customer.id,
        "product_id": product.id,
        "kind": order.kind,
        "amount": amount,
        "campaign_id": campaign_id,
    }
    transaction = Transaction(**row)
    transaction.id = session.execute(_INSERT, row).inserted_primary_key[0]
    audit.record(
        session,
        actor=principal.username,
        action="transaction.create",
        entity="transaction",
        entity_id=transaction.id,
        changes={
            "txn_no": [None, transaction.txn_no],
            "customer_id": [None, str(customer.id)],
            "product_id": [None, str(product.id)],
            "kind": [None, order.kind],
            "amount": [None, format(amount, "f")],
            "fee": [None, format(transaction.fee, "f")],
            "channel": [None, CHANNEL],
            "campaign_id": [None, str(campaign_id) if campaign_id else None],
        },
        client=client,
    )
    return transaction
