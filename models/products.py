"""Wealth-management products, their risk level, yield, fees and sale window."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlmodel import Field

from models.base import (
    EditableBase,
    TableBase,
    code_field,
    money_field,
    percent_field,
    text_field,
    time_field,
)


class ProductType(StrEnum):
    MONEY_MARKET = "money_market"
    FIXED_TERM = "fixed_term"
    FLEXIBLE = "flexible"
    BOND = "bond"
    STOCK = "stock"
    MUTUAL_FUND = "mutual_fund"
    INSURANCE = "insurance"


class ProductStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    ON_SALE = "on_sale"
    SUSPENDED = "suspended"
    CLOSED = "closed"


RISK_LEVELS = ("R1", "R2", "R3", "R4", "R5")


class EarlyRedemption(StrEnum):
    NOT_ALLOWED = "not_allowed"
    WITH_FEE = "with_fee"
    FREE = "free"


class CoverageType(StrEnum):
    LIFE = "life"
    ANNUITY = "annuity"
    CRITICAL_ILLNESS = "critical_illness"
    ACCIDENT = "accident"
    UNIVERSAL = "universal"


class Product(EditableBase, table=True):
    __tablename__ = "product"

    code: str = code_field(32, unique=True, index=True)
    name: str = code_field(200, index=True)
    product_type: str = code_field(20, index=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    risk_level: str = code_field(2, index=True)
    yield_min: Decimal = percent_field(Decimal("0"))
    yield_max: Decimal = percent_field(Decimal("0"))
    term_days: int | None = None
    min_purchase: Decimal = money_field(Decimal("1.00"))
    sale_start: date | None = None
    sale_end: date | None = None
    subscription_fee_rate: Decimal = percent_field(Decimal("0"))
    redemption_fee_rate: Decimal = percent_field(Decimal("0"))
    management_fee_rate: Decimal = percent_field(Decimal("0"))
    status: str = code_field(20, default=ProductStatus.DRAFT, index=True)
    description: str = text_field()
    # fixed-term and bond products: may the customer leave before maturity, and at what cost
    early_redemption: str | None = Field(default=None, max_length=20)
    early_redemption_fee_rate: Decimal | None = percent_field(None)
    early_redemption_notice_days: int | None = None
    # insurance products (the issuing partner is the insurer)
    coverage_type: str | None = Field(default=None, max_length=20)
    sum_assured: Decimal | None = money_field(None)
    coverage_years: int | None = None
    cooling_off_days: int | None = None


class ProductChangeStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPLIED = "applied"
    CANCELLED = "cancelled"


class ProductChange(EditableBase, table=True):
    """A change to a product on sale, approved by a second person, effective at a set time."""

    __tablename__ = "product_change"

    product_id: int = Field(foreign_key="product.id", index=True)
    yield_min: Decimal | None = percent_field(None)
    yield_max: Decimal | None = percent_field(None)
    subscription_fee_rate: Decimal | None = percent_field(None)
    redemption_fee_rate: Decimal | None = percent_field(None)
    management_fee_rate: Decimal | None = percent_field(None)
    sale_start: date | None = None
    sale_end: date | None = None
    effective_at: datetime = time_field(index=True)
    reason: str = text_field()
    before: str = text_field()  # JSON: the product's values when the change was requested
    status: str = code_field(20, default=ProductChangeStatus.PENDING, index=True)


class ProductRate(TableBase, table=True):
    """The dated history of a product's yield and fees."""

    __tablename__ = "product_rate"

    product_id: int = Field(foreign_key="product.id", index=True)
    effective_at: datetime = time_field()
    yield_min: Decimal = percent_field(Decimal("0"))
    yield_max: Decimal = percent_field(Decimal("0"))
    subscription_fee_rate: Decimal = percent_field(Decimal("0"))
    redemption_fee_rate: Decimal = percent_field(Decimal("0"))
    management_fee_rate: Decimal = percent_field(Decimal("0"))
    change_id: int | None = Field(default=None, foreign_key="product_change.id")
