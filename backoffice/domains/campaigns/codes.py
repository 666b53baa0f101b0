"""A campaign's code, as customers and the customer platform quote it ("CP000012"): the
campaign's number, so no column of its own; and which campaign a code names while it is live."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from backoffice.platform import numerals
from models.campaigns import Campaign, CampaignProduct, CampaignStatus

PREFIX = "CP"


def code_of(campaign_id: int) -> str:
    return f"{PREFIX}{campaign_id:06d}"


def campaign_id_of(code: str) -> int | None:
    text = str(code or "").strip().upper()
    digits = text[len(PREFIX) :] if text.startswith(PREFIX) else ""
    return numerals.whole(digits, 12)


def live(session: Session, code: str, on: date, product_id: int | None = None) -> Campaign | None:
    """The campaign the code names if it runs on ``on`` (and, for a campaign tied to
    products, covers ``product_id``), else None."""
    campaign_id = campaign_id_of(code)
    campaign = session.get(Campaign, campaign_id) if campaign_id else None
    if (
        campaign is None
        or campaign.archived_at is not None
        or campaign.status != CampaignStatus.RUNNING
        or not campaign.start_date <= on <= campaign.end_date
    ):
        return None
    if product_id is not None:
        covered = set(
            session.exec(
                select(CampaignProduct.product_id).where(CampaignProduct.campaign_id == campaign.id)
            ).all()
        )
        if covered and product_id not in covered:
            return None
    return campaign


def running(session: Session, on: date) -> list[tuple[Campaign, list[int]]]:
    """The campaigns running on ``on``, each with the products it is tied to (none: all)."""
    campaigns = session.exec(
        select(Campaign)
        .where(
            Campaign.status == CampaignStatus.RUNNING,
            Campaign.archived_at.is_(None),
            Campaign.start_date <= on,
            Campaign.end_date >= on,
        )
        .order_by(Campaign.id)
        .limit(100)
    ).all()
    links = session.exec(
        select(CampaignProduct.campaign_id, CampaignProduct.product_id).where(
            CampaignProduct.campaign_id.in_([c.id for c in campaigns])
        )
    ).all()
    products: dict[int, list[int]] = {}
    for campaign_id, product_id in links:
        products.setdefault(campaign_id, []).append(product_id)
    return [(c, sorted(products.get(c.id, []))) for c in campaigns]
