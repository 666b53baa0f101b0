"""Customers as a resource: read by compliance, agents and campaigns; personal data masked,
the date of birth revealed only with the right to reveal (audited)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from backoffice.domains.kyc import rules
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Resource, register
from models.customers import RISK_TOLERANCES, Customer, KycStatus
from models.kyc import KycCase

REVEAL = ("customer", "reveal")


def customer_summary(
    session: Any, customer: Any, lang: str, _principal: Any = None
) -> list[tuple[str, str]]:
    ended = customer.relationship_ended_on
    keep = (
        rules.retention_date(ended).isoformat()
        if ended
        else ("relationship ongoing" if lang == "en" else "业务关系存续中")
    )
    cases = session.execute(
        sa.select(sa.func.count()).where(KycCase.customer_id == customer.id)
    ).scalar_one()
    if lang == "en":
        return [("Records kept until", keep), ("KYC cases", str(cases))]
    return [("资料保存至", keep), ("KYC 案件数", str(cases))]


CUSTOMER = register(
    Resource(
        key="customer",
        model=Customer,
        permission="customer",
        module="kyc",
        label_zh="客户",
        label_en="Customers",
        icon="users",
        fields=(
            F("customer_no", "客户号", "Customer no.", editable=False),
            F("name_masked", "姓名（脱敏）", "Name (masked)", editable=False),
            F("gender", "性别", "Gender", editable=False),
            F(
                "birth_date",
                "出生日期",
                "Date of birth",
                kind="date",
                editable=False,
                read_permission=REVEAL,
            ),
            F("city", "城市", "City", editable=False),
            F("channel", "注册渠道", "Channel", editable=False),
            F(
                "kyc_status",
                "KYC 状态",
                "KYC status",
                kind="choice",
                choices=tuple(KycStatus),
                choice_group="kyc_status",
                editable=False,
            ),
            F(
                "risk_tolerance",
                "风险承受能力",
                "Risk tolerance",
                kind="choice",
                choices=RISK_TOLERANCES,
                editable=False,
            ),
            F("registered_at", "注册时间", "Registered", kind="datetime", editable=False),
            F("kyc_review_due", "下次复核日", "Next review due", kind="date", editable=False),
            F(
                "relationship_ended_on",
                "业务关系终止日",
                "Relationship ended",
                kind="date",
                editable=False,
            ),
        ),
        list_columns=("customer_no", "name_masked", "city", "kyc_status", "risk_tolerance"),
        title_field="customer_no",
        filters=("kyc_status", "risk_tolerance", "registered_at", "kyc_review_due"),
        search_fields=("customer_no",),
        default_sort="-id",
        archivable=False,  # customers are never removed; retention is recorded instead
        opens_module=False,  # agents read customers from their tickets, not from the KYC module
        importable=False,
        summary=customer_summary,
    )
)
