"""Products as a resource, with the publishing workflow (maker ≠ checker)."""

from decimal import Decimal
from typing import Any

from sqlmodel import select

from backoffice.config import get_settings
from backoffice.domains.integrations import webhooks
from backoffice.domains.products import rules as product_rules
from backoffice.domains.suitability import rules as suitability
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Resource, register
from backoffice.engine.workflow import Transition as T
from backoffice.engine.workflow import Workflow
from backoffice.i18n import choice_label, translate
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
DISCLOSURES = ("prospectus", "risk_disclosure")


def disclosures_attached(session: Any, product: Any) -> str | None:
    """Full disclosure (plan 6.2.1): no review or sale without both documents."""
    have = attachments.current_categories(session, PRODUCT, product.id)
    return None if set(DISCLOSURES) <= have else "product.disclosures"


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
            required_fields=("name", "partner_id", "risk_level", "min_purchase"),
            guard=disclosures_attached,
        ),
        T("reject", (S.IN_REVIEW,), S.DRAFT, action="approve"),
        T(
            "publish",
            (S.IN_REVIEW,),
            S.ON_SALE,
            action="publish",
            guard=disclosures_attached,
            after=webhooks.after_transition("product.published", product_rules.event_data),
        ),
        T(
            "suspend",
            (S.ON_SALE,),
            S.SUSPENDED,
            action="publish",
            bulk=True,
            maker_checker_exempt="risk control: stopping sales must not wait for a second person",
            after=webhooks.after_transition("product.suspended", product_rules.event_data),
        ),
        T(
            "resume",
            (S.SUSPENDED,),
            S.ON_SALE,
            action="publish",
            bulk=True,
            after=webhooks.after_transition("product.published", product_rules.event_data),
        ),
        T(
            "close",
            (S.ON_SALE, S.SUSPENDED),
            S.CLOSED,
            action="publish",
            maker_checker_exempt="risk control: ending sales must not wait for a second person",
            after=webhooks.after_transition("product.closed", product_rules.event_data),
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
        PRODUCT.attachment_label(key, lang) + (" ✓" if key in have else " ✗") for key in DISCLOSURES
    )
    return [
        (translate("summary.product.buyers", lang), buyers),
        (translate("summary.product.disclosures", lang), docs),
        (translate("summary.product.yield_history", lang), history),
        (translate("summary.product.scheduled_changes", lang), upcoming),
    ]


PRODUCT = register(
    Resource(
        key="product",
        model=Product,
        permission="product",
        module="products",
        icon="package",
        fields=(
            F("code", required=True, max_length=32),
            F("name", required=True, max_length=200),
            F(
                "product_type",
                kind="choice",
                required=True,
                choices=tuple(ProductType),
                choice_group="product_type",
            ),
            F("partner_id", kind="ref", ref="partner", required=True),
            F(
                "risk_level",
                kind="choice",
                required=True,
                choices=RISK_LEVELS,
                choice_group="risk_level",
            ),
            F("yield_min", kind="percent", min_value=Decimal("0"), max_value=Decimal("100")),
            F("yield_max", kind="percent", min_value=Decimal("0"), max_value=Decimal("100")),
            F(
                "term_days",
                kind="int",
                min_value=1,
                max_value=36500,
                shown_when=("product_type", WITH_TERM),
            ),
            F(
                "early_redemption",
                kind="choice",
                required=True,
                choices=tuple(EarlyRedemption),
                choice_group="early_redemption",
                shown_when=("product_type", REDEEMABLE_EARLY),
            ),
            F(
                "early_redemption_fee_rate",
                kind="percent",
                min_value=Decimal("0"),
                max_value=Decimal("10"),
                help=True,
                shown_when=("product_type", REDEEMABLE_EARLY),
            ),
            F(
                "early_redemption_notice_days",
                kind="int",
                min_value=0,
                max_value=90,
                shown_when=("product_type", REDEEMABLE_EARLY),
            ),
            F(
                "coverage_type",
                kind="choice",
                required=True,
                choices=tuple(CoverageType),
                choice_group="coverage_type",
                help=True,
                shown_when=("product_type", (P.INSURANCE,)),
            ),
            F(
                "sum_assured",
                kind="money",
                required=True,
                min_value=Decimal("0.01"),
                shown_when=("product_type", (P.INSURANCE,)),
            ),
            F(
                "coverage_years",
                kind="int",
                min_value=1,
                max_value=120,
                shown_when=("product_type", (P.INSURANCE,)),
            ),
            F(
                "cooling_off_days",
                kind="int",
                required=True,
                min_value=15,
                max_value=60,
                help=True,
                shown_when=("product_type", (P.INSURANCE,)),
            ),
            F("min_purchase", kind="money", required=True, min_value=Decimal("0.01")),
            F("sale_start", kind="date"),
            F("sale_end", kind="date"),
            F(
                "subscription_fee_rate",
                kind="percent",
                min_value=Decimal("0"),
                max_value=Decimal("10"),
            ),
            F(
                "redemption_fee_rate",
                kind="percent",
                min_value=Decimal("0"),
                max_value=Decimal("10"),
            ),
            F(
                "management_fee_rate",
                kind="percent",
                min_value=Decimal("0"),
                max_value=Decimal("10"),
            ),
            F(
                "status",
                kind="choice",
                required=True,
                choices=tuple(S),
                choice_group="product_status",
            ),
            F("description", kind="longtext", max_length=8000),
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
        after_update=product_rules.announce_live_edit,
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
    return [
        (translate("summary.product_change.product", lang), f"{product.code} {product.name}"),
        *rows,
    ]


PRODUCT_CHANGE = register(
    Resource(
        key="product_change",
        model=ProductChange,
        permission="product",
        module="products",
        icon="file-diff",
        fields=(
            F("product_id", kind="ref", ref="product", required=True),
            F("yield_min", **_PCT),
            F("yield_max", **_PCT),
            F("subscription_fee_rate", **_PCT),
            F("redemption_fee_rate", **_PCT),
            F("management_fee_rate", **_PCT),
            F("sale_start", kind="date"),
            F("sale_end", kind="date"),
            F("effective_at", kind="datetime", required=True),
            F("reason", kind="longtext", required=True, max_length=2000),
            F(
                "status",
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
                T("approve", (C.PENDING,), C.APPROVED, action="approve"),
                T("reject", (C.PENDING,), C.REJECTED, action="approve"),
                T("cancel", (C.PENDING, C.APPROVED), C.CANCELLED),
            ),
        ),
    )
)
