"""Suitability: overrides of a refused subscription (approved by a second person) and the
compliance queue of holdings that became unsuitable."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import EditableBase, code_field, money_field, text_field, time_field


class OverrideStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class SuitabilityOverride(EditableBase, table=True):
    """A subscription refused only as unsuitable, requested with a reason. It holds nothing
    (no transaction, no AUM) until a second person approves it; approval records the
    transaction, rejection voids the request."""

    __tablename__ = "suitability_override"

    request_no: str = code_field(20, unique=True, index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    amount: Decimal = money_field()
    reason: str = text_field()
    # the levels the request was made and approved at: the review job skips this mismatch
    customer_tolerance: str = code_field(2)
    product_risk: str = code_field(2)
    status: str = code_field(20, default=OverrideStatus.REQUESTED, index=True)
    transaction_id: int | None = Field(default=None, foreign_key="transaction.id")


class ReviewStatus(StrEnum):
    OPEN = "open"
    REVIEWED = "reviewed"


class SuitabilityReview(EditableBase, table=True):
    """A holding found unsuitable (the customer's tolerance now below the product's risk),
    queued for compliance once per customer, product and pair of levels."""

    __tablename__ = "suitability_review"
    __table_args__ = (
        sa.UniqueConstraint(
            "customer_id",
            "product_id",
            "customer_tolerance",
            "product_risk",
            name="uq_suitability_review_holding_levels",
        ),
    )

    customer_id: int = Field(foreign_key="customer.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    customer_tolerance: str = code_field(2)
    product_risk: str = code_field(2)
    position: Decimal = money_field()  # settled subscriptions less redemptions when found
    found_at: datetime = time_field()
    status: str = code_field(20, default=ReviewStatus.OPEN, index=True)
    note: str = text_field()
