"""Customers as a resource: read by compliance, agents and campaigns; personal data masked,
the date of birth revealed only with the right to reveal (audited)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from backoffice.domains.kyc import rules
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Resource, register
from backoffice.i18n import translate
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
        else translate("summary.customer.relationship_ongoing", lang)
    )
    cases = session.execute(
        sa.select(sa.func.count()).where(KycCase.customer_id == customer.id)
    ).scalar_one()
    return [
        (translate("summary.customer.kept_until", lang), keep),
        (translate("summary.customer.kyc_cases", lang), str(cases)),
    ]


CUSTOMER = register(
    Resource(
        key="customer",
        model=Customer,
        permission="customer",
        creatable=False,  # customers sign up on the platform (``customers.sign_up``)
        module="kyc",
        icon="users",
        fields=(
            F("customer_no", editable=False),
            F("name_masked", editable=False),
            F("gender", editable=False),
            F("birth_date", kind="date", editable=False, read_permission=REVEAL),
            F("city", editable=False),
            F("channel", editable=False),
            F(
                "kyc_status",
                kind="choice",
                choices=tuple(KycStatus),
                choice_group="kyc_status",
                editable=False,
            ),
            F("risk_tolerance", kind="choice", choices=RISK_TOLERANCES, editable=False),
            F("registered_at", kind="datetime", editable=False),
            F("kyc_review_due", kind="date", editable=False),
            F("relationship_ended_on", kind="date", editable=False),
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
