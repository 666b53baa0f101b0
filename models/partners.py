"""Partners: the institutions whose products the platform sells, and what they pay it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import EditableBase, code_field, money_field, percent_field, text_field


class PartnerKind(StrEnum):
    FUND_COMPANY = "fund_company"
    BANK = "bank"
    INSURER = "insurer"
    SECURITIES_FIRM = "securities_firm"
    INTERNET_COMPANY = "internet_company"
    PAYMENT_PLATFORM = "payment_platform"


class PartnerStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class Partner(EditableBase, table=True):
    __tablename__ = "partner"

    name: str = code_field(200, index=True, unique=True)
    kind: str = code_field(30, index=True)
    licence_no: str = code_field(64)
    contact_name: str = code_field(100, default="")
    contact_phone: str = code_field(40, default="")
    contact_email: str = code_field(200, default="")
    contract_start: date | None = None
    contract_end: date | None = Field(default=None, index=True)
    commission_rate: Decimal = percent_field(Decimal("0"))
    status: str = code_field(20, default=PartnerStatus.PROSPECT, index=True)
    notes: str = text_field()


class CommissionTier(EditableBase, table=True):
    """A commission rate that applies once a partner's monthly sales reach a volume."""

    __tablename__ = "commission_tier"
    __table_args__ = (sa.UniqueConstraint("partner_id", "min_monthly_volume"),)

    partner_id: int = Field(foreign_key="partner.id", index=True)
    min_monthly_volume: Decimal = money_field(Decimal("0"))
    rate: Decimal = percent_field(Decimal("0"))
