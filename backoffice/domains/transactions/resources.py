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
        label_zh="交易流水",
        label_en="Transactions",
        icon="arrow-left-right",
        fields=(
            F("txn_no", "交易号", "Transaction no.", editable=False),
            F("occurred_at", "交易时间", "Time", kind="datetime", editable=False),
            F(
                "customer_id",
                "客户",
                "Customer",
                kind="ref",
                ref="customer",
                required=True,
                fixed=True,
            ),
            F(
                "product_id",
                "产品",
                "Product",
                kind="ref",
                ref="product",
                required=True,
                fixed=True,
            ),
            F(
                "kind",
                "类型",
                "Kind",
                kind="choice",
                choices=tuple(TransactionKind),
                choice_group="transaction_kind",
                required=True,
                fixed=True,
            ),
            F(
                "amount",
                "金额",
                "Amount",
                kind="money",
                min_value=Decimal("0.01"),
                required=True,
                fixed=True,
            ),
            F("fee", "手续费", "Fee", kind="money", editable=False),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                choices=tuple(TransactionStatus),
                choice_group="transaction_status",
                editable=False,
            ),
            F("channel", "渠道", "Channel", editable=False),
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
