"""Wealth-management products, their risk level, yield, fees and sale window."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlmodel import Field

from models.base import EditableBase, code_field, money_field, percent_field, text_field


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
