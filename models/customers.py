"""Retail customers of the platform: shared by KYC, tickets, campaigns and KPIs.

Personal data (name, national ID number, phone, address) is stored encrypted; a masked name
and keyed hashes (blind indexes) allow listing and exact look-up without decrypting.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import EditableBase, code_field, time_field


class KycStatus(StrEnum):
    NOT_STARTED = "not_started"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


RISK_TOLERANCES = ("C1", "C2", "C3", "C4", "C5")


class Customer(EditableBase, table=True):
    __tablename__ = "customer"

    customer_no: str = code_field(20, unique=True, index=True)
    name_masked: str = code_field(40)
    name_cipher: str = Field(sa_type=sa.Text)
    name_hash: str = code_field(64, index=True)
    id_number_cipher: str = Field(sa_type=sa.Text)
    # one customer per ID number: the blind index is unique (migration 0023)
    id_number_hash: str = code_field(64, unique=True, index=True)
    phone_cipher: str = Field(sa_type=sa.Text)
    phone_hash: str = code_field(64, index=True)
    address_cipher: str = Field(default="", sa_type=sa.Text)
    gender: str = code_field(1, default="")
    birth_date: date | None = None
    city: str = code_field(40, default="", index=True)
    channel: str = code_field(20, default="app")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    registered_at: datetime = time_field(index=True)
    last_active_at: datetime | None = time_field(None, index=True)
    kyc_status: str = code_field(20, default=KycStatus.NOT_STARTED, index=True)
    risk_tolerance: str | None = code_field(2, default=None, index=True)
    relationship_ended_on: date | None = None
    retain_until: date | None = None  # records kept at least 5 years after the relationship
    kyc_review_due: date | None = Field(default=None, index=True)  # next periodic re-KYC
