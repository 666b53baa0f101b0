"""Products on sale change only through change requests: requested by one person, approved by
another, applied by a scheduled job at their effective time, with a dated rate history."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.domains.integrations import webhooks
from backoffice.engine.fields import to_text
from backoffice.platform import audit, notifications
from backoffice.platform.jobs import Outcome
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.partners import Partner, PartnerKind
from models.products import (
    Product,
    ProductChange,
    ProductChangeStatus,
    ProductRate,
    ProductStatus,
    ProductType,
)

CHANGEABLE = (
    "yield_min",
    "yield_max",
    "subscription_fee_rate",
    "redemption_fee_rate",
    "management_fee_rate",
    "sale_start",
    "sale_end",
)
LIVE = (ProductStatus.ON_SALE, ProductStatus.SUSPENDED)
# what customers bought under: fixed once a product is live (a new product is launched instead)
TERMS = (
    "product_type",
    "term_days",
    "early_redemption",
    "early_redemption_fee_rate",
    "early_redemption_notice_days",
    "coverage_type",
    "sum_assured",
    "coverage_years",
    "cooling_off_days",
    "partner_id",
    "risk_level",
)


def locked_while_live(product: Product, changes: dict[str, Any]) -> dict[str, str]:
    """Edits of a live product's yield, fees and sale window must be change requests."""
    if product.status not in LIVE:
        return {}
    refused = {name: "product.use_change_request" for name in changes if name in CHANGEABLE}
    refused.update({name: "product.terms_locked" for name in changes if name in TERMS})
    return refused


def event_data(product: Product) -> dict[str, Any]:
    """What a webhook tells of a product: the platform fetches the rest through the API."""
    return {"product_id": product.id, "code": product.code, "status": product.status}


def announce_live_edit(session: Session, _principal: Principal, product: Product) -> None:
    """A product on sale or suspended was edited (its name, description…): product.changed."""
    if product.status in LIVE:
        webhooks.emit(session, "product.changed", "product", product.id, event_data(product))


def check_issuer(session: Session, _principal: Principal, values: dict[str, Any]) -> dict[str, str]:
    """An insurance product is issued by an insurer (the partner underwrites the cover)."""
    if values.get("product_type") != ProductType.INSURANCE:
        return {}
    partner = session.get(Partner, values.get("partner_id"))
    if partner is None or partner.kind != PartnerKind.INSURER:
        return {"partner_id": "product.insurer_required"}
    return {}


def check_request(
    session: Session, _principal: Principal, values: dict[str, Any]
) -> dict[str, str]:
    """Before a change request is created: a live product, something to change, a time."""
    product = session.get(Product, values.get("product_id"))
    if product is None:
        return {"product_id": "field.not_found"}
    if product.status not in LIVE:
        return {"product_id": "product.change_not_live"}
    changed = {
        n
        for n in CHANGEABLE
        if values.get(n) is not None and to_text(values[n]) != to_text(getattr(product, n))
    }
    if not changed:
        return {"yield_max": "product.change_nothing"}
    after = {n: values.get(n) if n in changed else getattr(product, n) for n in CHANGEABLE}
    if (
        after["yield_min"] is not None
        and after["yield_max"] is not None
        and after["yield_min"] > after["yield_max"]
    ):
        return {"yield_max": "product.yield_range"}
    if values.get("effective_at") and values["effective_at"] < utcnow() - timedelta(minutes=5):
        return {"effective_at": "product.change_in_past"}
    for name in CHANGEABLE:  # unchanged fields are stored empty: the request shows the diff
        if name not in changed:
            values[name] = None
    values["before"] = json.dumps({n: to_text(getattr(product, n)) for n in changed})
    return {}


def diff(change: ProductChange) -> list[tuple[str, str, str]]:
    before = json.loads(change.before or "{}")
    return [
        (name, before.get(name, ""), to_text(getattr(change, name)))
        for name in CHANGEABLE
        if getattr(change, name) is not None
    ]


def record_rate(
    session: Session, product: Product, at: datetime, change_id: int | None = None
) -> None:
    session.add(
        ProductRate(
            product_id=product.id,
            effective_at=at,
            change_id=change_id,
            yield_min=product.yield_min,
            yield_max=product.yield_max,
            subscription_fee_rate=product.subscription_fee_rate,
            redemption_fee_rate=product.redemption_fee_rate,
            management_fee_rate=product.management_fee_rate,
        )
    )


def apply_due_changes(session: Session, now: datetime | None = None) -> str:
    """Apply approved changes whose time has come (idempotent: each is applied once)."""
    now = now or utcnow()
    applied = 0
    due = session.exec(
        select(ProductChange)
        .where(
            ProductChange.status == ProductChangeStatus.APPROVED, ProductChange.effective_at <= now
        )
        .order_by(ProductChange.effective_at)
    ).all()
    for change in due:
        product = session.get(Product, change.product_id)
        if not session.exec(
            select(ProductRate.id).where(ProductRate.product_id == product.id)
        ).first():
            record_rate(session, product, product.updated_at)  # the rates before any change
        values = {name: after for name, _before, after in diff(change)}
        typed = {name: getattr(change, name) for name in values}
        moved = session.execute(
            sa.update(ProductChange)
            .where(
                ProductChange.id == change.id, ProductChange.status == ProductChangeStatus.APPROVED
            )
            .values(
                status=ProductChangeStatus.APPLIED,
                version=ProductChange.version + 1,
                updated_at=now,
            )
        )
        if moved.rowcount != 1:
            continue  # another worker applied it
        session.execute(
            sa.update(Product)
            .where(Product.id == product.id)
            .values(**typed, version=Product.version + 1, updated_at=now)
        )
        session.refresh(product)
        record_rate(session, product, change.effective_at, change.id)
        audit.record(
            session,
            actor="system",
            action="product.edit",
            entity="product",
            entity_id=product.id,
            changes={n: [b, a] for n, b, a in diff(change)} | {"change_request": [None, change.id]},
        )
        audit.record(
            session,
            actor="system",
            action="product_change.applied",
            entity="product_change",
            entity_id=change.id,
            changes={"status": ["approved", "applied"]},
        )
        webhooks.emit(
            session,
            "product.changed",
            "product",
            product.id,
            event_data(product) | {"change_id": change.id, "fields": sorted(values)},
        )
        notifications.notify(
            session,
            kind="product_change",
            role="product_manager",
            link=f"/r/product/record?id={product.id}",
            dedupe_key=f"product_change:{change.id}:applied",
            title_zh=f"{product.name} 的变更已生效（{product.code}）",
            title_en=f"The change to {product.name} ({product.code}) took effect",
        )
        applied += 1
    return Outcome("job.result.products.changes", applied=applied)


def rate_history(session: Session, product_id: int) -> list[ProductRate]:
    return list(
        session.exec(
            select(ProductRate)
            .where(ProductRate.product_id == product_id)
            .order_by(ProductRate.effective_at.desc())
        ).all()
    )


def as_percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.quantize(Decimal('0.01'))}%"
