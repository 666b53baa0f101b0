"""Partners and their commission tiers (volume → rate) as resources: the whole screen set
comes from these declarations."""

from decimal import Decimal

from backoffice.domains.partners import rules
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Queue, Resource, register
from backoffice.platform.business_time import local_today
from models.partners import CommissionTier, Partner, PartnerKind, PartnerStatus

PARTNER = register(
    Resource(
        key="partner",
        model=Partner,
        permission="partner",
        module="partners",
        icon="handshake",
        fields=(
            F("name", required=True, max_length=200),
            F(
                "kind",
                kind="choice",
                required=True,
                choices=tuple(PartnerKind),
                choice_group="partner_kind",
            ),
            F("licence_no", required=True, max_length=64),
            F("contact_name", max_length=100),
            F("contact_phone", max_length=40),
            F("contact_email", max_length=200),
            F("contract_start", kind="date"),
            F("contract_end", kind="date"),
            F("commission_rate", kind="percent", min_value=Decimal("0"), max_value=Decimal("100")),
            F(
                "status",
                kind="choice",
                required=True,
                choices=tuple(PartnerStatus),
                choice_group="partner_status",
            ),
            F("notes", kind="longtext", max_length=4000),
        ),
        list_columns=("name", "kind", "licence_no", "contract_end", "commission_rate", "status"),
        title_field="name",
        filters=("kind", "status", "contract_end", "commission_rate"),
        search_fields=("name", "licence_no"),
        default_sort="name",
        queues=(Queue("ending", lambda p: rules.contract_ending_soon(local_today())),),
        attachments=True,
    )
)


COMMISSION_TIER = register(
    Resource(
        key="commission_tier",
        model=CommissionTier,
        permission="partner",
        module="partners",
        icon="layers",
        fields=(
            F("partner_id", kind="ref", ref="partner", required=True),
            F("min_monthly_volume", kind="money", required=True, min_value=Decimal("0")),
            F(
                "rate",
                kind="percent",
                required=True,
                min_value=Decimal("0"),
                max_value=Decimal("100"),
            ),
        ),
        list_columns=("partner_id", "min_monthly_volume", "rate"),
        title_field="rate",
        filters=("partner_id",),
        default_sort="partner_id",
    )
)
