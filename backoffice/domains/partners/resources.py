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
        label_zh="合作伙伴",
        label_en="Partners",
        icon="handshake",
        fields=(
            F("name", "机构名称", "Name", required=True, max_length=200),
            F(
                "kind",
                "类型",
                "Kind",
                kind="choice",
                required=True,
                choices=tuple(PartnerKind),
                choice_group="partner_kind",
            ),
            F("licence_no", "牌照/注册号", "Licence no.", required=True, max_length=64),
            F("contact_name", "联系人", "Contact", max_length=100),
            F("contact_phone", "联系电话", "Phone", max_length=40),
            F("contact_email", "联系邮箱", "Email", max_length=200),
            F("contract_start", "合同开始", "Contract start", kind="date"),
            F("contract_end", "合同到期", "Contract end", kind="date"),
            F(
                "commission_rate",
                "佣金率",
                "Commission rate",
                kind="percent",
                min_value=Decimal("0"),
                max_value=Decimal("100"),
            ),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                required=True,
                choices=tuple(PartnerStatus),
                choice_group="partner_status",
            ),
            F("notes", "合作备注", "Notes", kind="longtext", max_length=4000),
        ),
        list_columns=("name", "kind", "licence_no", "contract_end", "commission_rate", "status"),
        title_field="name",
        filters=("kind", "status", "contract_end", "commission_rate"),
        search_fields=("name", "licence_no"),
        default_sort="name",
        queues=(
            Queue(
                "ending",
                "合同即将到期",
                "Contract ending soon",
                lambda p: rules.contract_ending_soon(local_today()),
            ),
        ),
        attachments=True,
    )
)


COMMISSION_TIER = register(
    Resource(
        key="commission_tier",
        model=CommissionTier,
        permission="partner",
        module="partners",
        label_zh="佣金阶梯",
        label_en="Commission tiers",
        icon="layers",
        fields=(
            F("partner_id", "合作伙伴", "Partner", kind="ref", ref="partner", required=True),
            F(
                "min_monthly_volume",
                "月销售额达到",
                "Monthly sales from",
                kind="money",
                required=True,
                min_value=Decimal("0"),
            ),
            F(
                "rate",
                "佣金率",
                "Commission rate",
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
