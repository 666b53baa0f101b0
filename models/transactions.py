"""Subscriptions and redemptions: the platform's sales, shared by every report."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import TableBase, code_field, money_field, time_field


class TransactionKind(StrEnum):
    SUBSCRIPTION = "subscription"
    REDEMPTION = "redemption"


class TransactionStatus(StrEnum):
    PENDING = "pending"
    SETTLED = "settled"
    FAILED = "failed"


class Transaction(TableBase, table=True):
    __tablename__ = "transaction"
    __table_args__ = (
        sa.Index("ix_transaction_product_time", "product_id", "occurred_at"),
        sa.Index("ix_transaction_customer_time", "customer_id", "occurred_at"),
        # covers the KPI aggregates over a time range: they read the index, never the rows
        sa.Index(
            "ix_transaction_time_cover",
            "occurred_at",
            "status",
            "kind",
            "amount",
            "product_id",
            "customer_id",
            "campaign_id",
        ),
        # staff filter a kind by amount ("redemptions from ¥10,000"): the count and the page
        # then read one index range instead of checking the kind of every row in the amount range
        sa.Index("ix_transaction_kind_amount", "kind", "amount", "status"),
    )

    txn_no: str = code_field(24, unique=True)
    customer_id: int = Field(foreign_key="customer.id")
    product_id: int = Field(foreign_key="product.id")
    kind: str = code_field(20)  # indexed first in ix_transaction_kind_amount
    amount: Decimal = money_field(index=True)
    fee: Decimal = money_field(Decimal("0"))
    status: str = code_field(20, default=TransactionStatus.SETTLED, index=True)
    channel: str = code_field(20, default="app")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    occurred_at: datetime = time_field()  # led by ix_transaction_time_cover
