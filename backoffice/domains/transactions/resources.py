"""Transactions (subscriptions and redemptions): read by every report; staff record one (by
the form or an import) only through the suitability rules, and never edit one afterwards."""

from decimal import Decimal

from backoffice.domains.suitability import rules as suitability
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Lookup, Resource, register
from models.transactions import Transaction, TransactionKind, TransactionStatus

TRANSACTION = register(
    Resource(
        key="transaction",
        model=Transaction,
        permission="transaction",
        module="kpi",
        icon="arrow-left-right",
        fields=(
            F("txn_no", editable=False),
            F("occurred_at", kind="datetime", editable=False),
            F("customer_id", kind="ref", ref="customer", required=True, fixed=True),
            F("product_id", kind="ref", ref="product", required=True, fixed=True),
            F(
                "kind",
                kind="choice",
                choices=tuple(TransactionKind),
                choice_group="transaction_kind",
                required=True,
                fixed=True,
            ),
            F("amount", kind="money", min_value=Decimal("0.01"), required=True, fixed=True),
            F("fee", kind="money", editable=False),
            F(
                "status",
                kind="choice",
                choices=tuple(TransactionStatus),
                choice_group="transaction_status",
                editable=False,
            ),
            F("channel", editable=False),
        ),
        list_columns=("txn_no", "occurred_at", "product_id", "kind", "amount", "status"),
        title_field="txn_no",
        filters=("kind", "status", "product_id", "occurred_at", "amount"),
        # the product's type, risk level and partner: KPI charts open their records through these
        lookups=(
            Lookup("product_type", via="product_id"),
            Lookup("risk_level", via="product_id"),
            Lookup("partner_id", via="product_id"),
        ),
        search_fields=("txn_no",),
        default_sort="-occurred_at",
        archivable=False,
        # refused with the reason (unsuitable, KYC not approved, sale closed, below the minimum,
        # more than held…), for each row of an import too; then numbered, timed, priced, settled
        db_validator=suitability.check_transaction,
        before_create=suitability.prepare_transaction,
    )
)
