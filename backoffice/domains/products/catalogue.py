"""What the customer platform offers: the products on sale (their sale window not over) with
their yields, fees, terms, windows and disclosure documents, and the campaigns running today
with the codes customers quote. A bounded list: there are never many products on sale."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from backoffice.domains.campaigns import codes as campaign_codes
from backoffice.domains.products.resources import DISCLOSURES
from backoffice.i18n import choice_label, translate
from backoffice.platform.business_time import local_today
from backoffice.platform.refusal import Refusal
from backoffice.security.rbac import Principal
from models.attachments import Attachment
from models.products import Product, ProductStatus

LIMIT = 500
LANGUAGES = ("zh", "en")


def _both(label: Any, *args: str) -> dict[str, str]:
    return {lang: label(*args, lang) for lang in LANGUAGES}


def products_on_sale(session: Session, principal: Principal) -> list[dict[str, Any]]:
    if not principal.can("product", "view"):
        raise Refusal("auth.denied")
    today = local_today()
    products = session.exec(
        select(Product)
        .where(
            Product.status == ProductStatus.ON_SALE,
            Product.archived_at.is_(None),
            (Product.sale_end.is_(None)) | (Product.sale_end >= today),
        )
        .order_by(Product.code)
        .limit(LIMIT)
    ).all()
    documents: dict[int, list[dict[str, Any]]] = {}
    for attachment in session.exec(
        select(Attachment)
        .where(
            Attachment.resource == "product",
            Attachment.record_id.in_([p.id for p in products]),
            Attachment.category.in_(DISCLOSURES),
            Attachment.archived_at.is_(None),
        )
        .order_by(Attachment.id)
    ).all():
        documents.setdefault(attachment.record_id, []).append(
            {
                "attachment_id": attachment.id,
                "category": attachment.category,
                "label": _both(translate, f"attachment.kind.product.{attachment.category}"),
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
            }
        )
    return [
        {
            "product_id": p.id,
            "code": p.code,
            "name": p.name,
            "product_type": p.product_type,
            "product_type_label": _both(choice_label, "product_type", p.product_type),
            "risk_level": p.risk_level,
            "yield_min": p.yield_min,
            "yield_max": p.yield_max,
            "term_days": p.term_days,
            "min_purchase": p.min_purchase,
            "sale_start": p.sale_start,
            "sale_end": p.sale_end,
            "on_sale_today": p.sale_start is None or p.sale_start <= today,
            "subscription_fee_rate": p.subscription_fee_rate,
            "redemption_fee_rate": p.redemption_fee_rate,
            "management_fee_rate": p.management_fee_rate,
            "early_redemption": p.early_redemption,
            "description": p.description,
            "disclosures": documents.get(p.id, []),
        }
        for p in products
    ]


def running_campaigns(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """The campaigns running today (none without the right to see campaigns)."""
    if not principal.can("campaign", "view"):
        return []
    return [
        {
            "code": campaign.code,
            "name": campaign.name,
            "kind": campaign.kind,
            "start_date": campaign.start_date,
            "end_date": campaign.end_date,
            "product_ids": product_ids,  # none: every product
        }
        for campaign, product_ids in campaign_codes.running(session, local_today())
    ]
