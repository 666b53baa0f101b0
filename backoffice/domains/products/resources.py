"""Products as a resource, with the publishing workflow (maker ≠ checker)."""

from decimal import Decimal
from typing import Any

from sqlmodel import select

from backoffice.config import get_settings
from backoffice.domains.products import rules as product_rules
from backoffice.domains.suitability import rules as suitability
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Resource, register
from backoffice.engine.workflow import Transition as T
from backoffice.engine.workflow import Workflow
from backoffice.i18n import choice_label
from backoffice.platform import attachments
from models.products import (
    RISK_LEVELS,
    CoverageType,
    EarlyRedemption,
    Product,
    ProductChange,
    ProductChangeStatus,
    ProductStatus,
    ProductType,
)

S = ProductStatus
P = ProductType
WITH_TERM = (P.FIXED_TERM, P.BOND, P.INSURANCE)
REDEEMABLE_EARLY = (P.FIXED_TERM, P.BOND)
DISCLOSURES = (
    ("prospectus", "产品说明书", "Prospectus"),
    ("risk_disclosure", "风险揭示书", "Risk disclosure"),
)


def disclosures_attached(session: Any, product: Any) -> str | None:
    """Full disclosure (plan 6.2.1): no review or sale without both documents."""
    have = attachments.current_categories(session, PRODUCT, product.id)
    return None if {key for key, _zh, _en in DISCLOSURES} <= have else "product.disclosures"


def check_product(values: dict) -> dict[str, str]:
    """Rules across fields: a yield range low ≤ high, a sale window that ends after it starts,
    and a term for fixed-term products."""
    errors = {}
    low, high = values.get("yield_min"), values.get("yield_max")
    if low is not None and high is not None and low > high:
        errors["yield_max"] = "product.yield_range"
    start, end = values.get("sale_start"), values.get("sale_end")
    if start and end and end < start:
        errors["sale_end"] = "product.sale_window"
    kind = values.get("product_type")
    if kind == ProductType.FIXED_TERM and not values.get("term_days"):
        errors["term_days"] = "product.term_required"
    if kind in REDEEMABLE_EARLY:
        rule = values.get("early_redemption")
        if rule == EarlyRedemption.WITH_FEE and not values.get("early_redemption_fee_rate"):
            errors["early_redemption_fee_rate"] = "product.early_fee_required"
        if rule != EarlyRedemption.WITH_FEE and values.get("early_redemption_fee_rate"):
            errors["early_redemption_fee_rate"] = "product.early_fee_only_with_fee"
    return errors


PRODUCT_WORKFLOW = Workflow(
    state_field="status",
    states=tuple(S),
    initial=S.DRAFT,
    transitions=(
        T(
            "submit",
            (S.DRAFT,),
            S.IN_REVIEW,
            "提交审核",
            "Submit for review",
            required_fields=("name", "partner_id", "risk_level", "min_purchase"),
            guard=disclosures_attached,
        ),
        T(
            "reject",
            (S.IN_REVIEW,),
            S.DRAFT,
            "退回修改",
            "Send back",
            action="approve",
        ),
        T(
            "publish",
            (S.IN_REVIEW,),
            S.ON_SALE,
            "审批上架",
            "Approve and publish",
            action="publish",
            guard=disclosures_attached,
        ),
        T(
            "suspend",
            (S.ON_SALE,),
            S.SUSPENDED,
            "暂停销售",
            "Suspend",
            action="publish",
            bulk=True,
            maker_checker_exempt="risk control: stopping sales must not wait for a second person",
        ),
        T("resume", (S.SUSPENDED,), S.ON_SALE, "恢复销售", "Resume", action="publish", bulk=True),
        T(
            "close",
            (S.ON_SALE, S.SUSPENDED),
            S.CLOSED,
            "结束产品",
            "Close",
            action="publish",
            maker_checker_exempt="risk control: ending sales must not wait for a second person",
        ),
    ),
    awaiting_approval=(S.IN_REVIEW,),
    returns_to=S.DRAFT,
)


def product_summary(
    session: Any, product: Any, lang: str, _principal: Any = None
) -> list[tuple[str, str]]:
    zone = get_settings().zone
    rates = product_rules.rate_history(session, product.id)[:4]
    history = (
        "；".join(
            f"{r.effective_at.astimezone(zone):%Y-%m-%d %H:%M} "
            f"{product_rules.as_percent(r.yield_min)}–{product_rules.as_percent(r.yield_max)}"
            for r in rates
        )
        or "—"
    )
    pending = session.exec(
        select(ProductChange).where(
            ProductChange.product_id == product.id,
            ProductChange.status.in_((ProductChangeStatus.PENDING, ProductChangeStatus.APPROVED)),
        )
    ).all()
    upcoming = (
        "；".join(
            f"#{c.id} {c.effective_at.astimezone(zone):%Y-%m-%d %H:%M} "
            f"({choice_label('product_change_status', c.status, lang)})"
            for c in pending
        )
        or "—"
    )
    counts = suitability.eligible_customers(session, product.risk_level)
    buyers = " / ".join(f"{t}: {n:,}" for t, n in counts.items()) or "—"
    have = attachments.current_categories(session, PRODUCT, product.id)
    docs = "、".join(
        (en if lang == "en" else zh) + (" ✓" if key in have else " ✗")
        for key, zh, en in DISCLOSURES
    )
    if lang == "en":
        return [
            ("Who may buy (suitability)", buyers),
            ("Disclosure documents", docs),
            ("Yield history", history),
            ("Scheduled changes", upcoming),
        ]
    return [
        ("可购买客户（适当性）", buyers),
        ("信息披露文件", docs),
        ("收益率历史", history),
        ("待生效变更", upcoming),
    ]


PRODUCT = register(
    Resource(
        key="product",
        model=Product,
        permission="product",
        module="products",
        label_zh="理财产品",
        label_en="Products",
        icon="package",
        fields=(
            F("code", "产品代码", "Code", required=True, max_length=32),
            F("name", "产品名称", "Name", required=True, max_length=200),
            F(
                "product_type",
                "产品类型",
                "Type",
                kind="choice",
                required=True,
                choices=tuple(ProductType),
                choice_group="product_type",
            ),
            F("partner_id", "发行机构", "Issuer", kind="ref", ref="partner", required=True),
            F(
                "risk_level",
                "风险等级",
                "Risk level",
                kind="choice",
                required=True,
                choices=RISK_LEVELS,
                choice_group="risk_level",
            ),
            F(
                "yield_min",
                "预期年化收益（低）",
                "Expected yield (low)",
                kind="percent",
                min_value=Decimal("0"),
                max_value=Decimal("100"),
            ),
            F(
                "yield_max",
                "预期年化收益（高）",
                "Expected yield (high)",
                kind="percent",
                min_value=Decimal("0"),
                max_value=Decimal("100"),
            ),
            F(
                "term_days",
                "期限（天）",
                "Term (days)",
                kind="int",
                min_value=1,
                max_value=36500,
                shown_when=("product_type", WITH_TERM),
            ),
            F(
                "early_redemption",
                "提前赎回",
                "Early redemption",
                kind="choice",
                required=True,
                choices=tuple(EarlyRedemption),
                choice_group="early_redemption",
                shown_when=("product_type", REDEEMABLE_EARLY),
            ),
            F(
                "early_redemption_fee_rate",
                "提前赎回费率",
                "Early redemption fee",
                kind="percent",
                min_value=Decimal("0"),
                max_value=Decimal("10"),
                help_zh="仅“收费提前赎回”时填写",
                help_en="Only when early redemption carries a fee",
                shown_when=("product_type", REDEEMABLE_EARLY),
            ),
            F(
                "early_redemption_notice_days",
                "提前赎回申请期（天）",
                "Early redemption notice (days)",
                kind="int",
                min_value=0,
                max_value=90,
                shown_when=("product_type", REDEEMABLE_EARLY),
            ),
            F(
                "coverage_type",
                "保障类型",
                "Coverage",
                kind="choice",
                required=True,
                choices=tuple(CoverageType),
                choice_group="coverage_type",
                help_zh="发行机构即承保保险公司",
                help_en="The issuer is the insurer",
                shown_when=("product_type", (P.INSURANCE,)),
            ),
            F(
                "sum_assured",
                "基本保额",
                "Sum assured",
                kind="money",
                required=True,
                min_value=Decimal("0.01"),
                shown_when=("product_type", (P.INSURANCE,)),
            ),
            F(
                "coverage_years",
                "保障期限（年）",
                "Coverage (years)",
                kind="int",
                min_value=1,
                max_value=120,
                shown_when=("product_type", (P.INSURANCE,)),
            ),
            F(
                "cooling_off_days",
                "犹豫期（天）",
                "Cooling-off period (days)",
                kind="int",
                required=True,
                min_value=15,
                max_value=60,
                help_zh="一年期以上人身保险不少于 15 天",
                help_en="At least 15 days for life cover over one year",
                shown_when=("product_type", (P.INSURANCE,)),
            ),
            F(
                "min_purchase",
                "起购金额",
                "Minimum purchase",
                kind="money",
                required=True,
                min_value=Decimal("0.01"),
            ),
            F("sale_start", "销售开始", "Sale starts", kind="date"),
            F("sale_end", "销售结束", "Sale ends", kind="date"),
            F(
                "subscription_fee_rate",
                "申购费率",
                "Subscription fee",
                kind="percent",
                min_value=Decimal("0"),
                max_value=Decimal("10"),
            ),
            F(
                "redemption_fee_rate",
                "赎回费率",
                "Redemption fee",
                kind="percent",
                min_value=Decimal("0"),
                max_value=Decimal("10"),
            ),
            F(
                "management_fee_rate",
                "管理费率",
                "Management fee",
                kind="percent",
                min_value=Decimal("0"),
                max_value=Decimal("10"),
            ),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                required=True,
                choices=tuple(S),
                choice_group="product_status",
            ),
            F("description", "产品说明", "Description", kind="longtext", max_length=8000),
        ),
        list_columns=(
            "code",
            "name",
            "product_type",
            "risk_level",
            "yield_max",
            "min_purchase",
            "status",
        ),
        title_field="name",
        filters=("product_type", "risk_level", "status", "partner_id", "min_purchase", "sale_end"),
        search_fields=("code", "name"),
        default_sort="code",
        workflow=PRODUCT_WORKFLOW,
        validator=check_product,
        attachments=True,
        attachment_categories=DISCLOSURES,
        summary=product_summary,
        edit_guard=product_rules.locked_while_live,
        before_create=product_rules.check_issuer,
    )
)


C = ProductChangeStatus
_PCT = {"kind": "percent", "min_value": Decimal("0"), "max_value": Decimal("100")}


def change_summary(
    session: Any, change: Any, lang: str, _principal: Any = None
) -> list[tuple[str, str]]:
    labels = {f.name: f.label(lang) for f in PRODUCT.fields}
    product = session.get(Product, change.product_id)
    rows = [
        (labels[name], f"{before or '—'} → {after}")
        for name, before, after in product_rules.diff(change)
    ]
    title = "Product" if lang == "en" else "产品"
    return [(title, f"{product.code} {product.name}"), *rows]


PRODUCT_CHANGE = register(
    Resource(
        key="product_change",
        model=ProductChange,
        permission="product",
        module="products",
        label_zh="产品变更申请",
        label_en="Product change requests",
        icon="file-diff",
        fields=(
            F("product_id", "产品", "Product", kind="ref", ref="product", required=True),
            F("yield_min", "新收益（低）", "New yield (low)", **_PCT),
            F("yield_max", "新收益（高）", "New yield (high)", **_PCT),
            F("subscription_fee_rate", "新申购费率", "New subscription fee", **_PCT),
            F("redemption_fee_rate", "新赎回费率", "New redemption fee", **_PCT),
            F("management_fee_rate", "新管理费率", "New management fee", **_PCT),
            F("sale_start", "新销售开始", "New sale start", kind="date"),
            F("sale_end", "新销售结束", "New sale end", kind="date"),
            F("effective_at", "生效时间", "Takes effect at", kind="datetime", required=True),
            F("reason", "变更原因", "Reason", kind="longtext", required=True, max_length=2000),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                required=True,
                choices=tuple(C),
                choice_group="product_change_status",
            ),
        ),
        list_columns=("product_id", "effective_at", "yield_max", "management_fee_rate", "status"),
        title_field="reason",
        filters=("status", "product_id", "effective_at"),
        default_sort="-id",
        importable=False,
        before_create=product_rules.check_request,
        summary=change_summary,
        workflow=Workflow(
            state_field="status",
            states=tuple(C),
            initial=C.PENDING,
            editable_in=(C.PENDING,),
            awaiting_approval=(C.PENDING,),
            transitions=(
                T(
                    "approve",
                    (C.PENDING,),
                    C.APPROVED,
                    "批准变更",
                    "Approve",
                    action="approve",
                ),
                T(
                    "reject",
                    (C.PENDING,),
                    C.REJECTED,
                    "驳回",
                    "Reject",
                    action="approve",
                ),
                T("cancel", (C.PENDING, C.APPROVED), C.CANCELLED, "撤回", "Withdraw"),
            ),
        ),
    )
)
