"""Marketing campaigns: sign-up bonuses, cash-back, co-promotions, ads and events."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlmodel import Field, SQLModel

from models.base import (
    EditableBase,
    TableBase,
    code_field,
    money_field,
    percent_field,
    text_field,
)


class CampaignKind(StrEnum):
    SIGNUP_BONUS = "signup_bonus"
    CASH_BACK = "cash_back"
    CO_PROMOTION = "co_promotion"
    ONLINE_AD = "online_ad"
    OFFLINE_EVENT = "offline_event"


class CampaignChannel(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    PARTNER = "partner"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    ENDED = "ended"
    CANCELLED = "cancelled"


class Campaign(EditableBase, table=True):
    __tablename__ = "campaign"

    # what customers and the platform quote (e.g. "SPRING26"): typed when drafted, upper-case
    # letters, digits and dashes, unique; campaigns older than migration 0023 hold "CP000012"
    code: str = code_field(20, unique=True, index=True)
    name: str = code_field(200, index=True)
    kind: str = code_field(20, index=True)
    channel: str = code_field(20)
    target_segment: str = code_field(200, default="")
    start_date: date = Field(index=True)
    end_date: date
    budget: Decimal = money_field(Decimal("0"))
    spent: Decimal = money_field(Decimal("0"))
    cashback_rate: Decimal | None = percent_field(None)
    reward_cap: Decimal | None = money_field(None)
    partner_id: int | None = Field(default=None, foreign_key="partner.id")
    status: str = code_field(20, default=CampaignStatus.DRAFT, index=True)
    notes: str = text_field()


class CampaignProduct(SQLModel, table=True):
    __tablename__ = "campaign_product"

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True)
    product_id: int = Field(foreign_key="product.id", primary_key=True)


class CampaignSpend(TableBase, table=True):
    """One entry of a campaign's budget ledger."""

    __tablename__ = "campaign_spend"

    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    amount: Decimal = money_field()
    note: str = code_field(300, default="")
    recorded_by: str = code_field(64, default="")
