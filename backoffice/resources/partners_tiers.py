"""Commission tiers of partners (volume → rate)."""

from decimal import Decimal

from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Resource, register
from models.partners import CommissionTier

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
