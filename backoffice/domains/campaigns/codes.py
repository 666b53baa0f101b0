"""A campaign's code, as customers and the customer platform quote it ("SPRING26"): typed by
marketing when the campaign is drafted, upper-case letters, digits and dashes, unique, fixed once
the campaign has started. Campaigns older than the column hold the code they were quoted by
before, "CP" and their zero-padded id ("CP000012"). Also: which campaign a code names while it
is live."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlmodel import Session, select

from models.campaigns import Campaign, CampaignProduct, CampaignStatus

MIN_LENGTH, MAX_LENGTH = 3, 20
PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]*[A-Z0-9]")
# once a campaign has run, customers and partners have quoted its code
STARTED = (CampaignStatus.RUNNING, CampaignStatus.ENDED)


def normal(code: object) -> str:
    """A code as stored: trimmed, upper-case."""
    return str(code or "").strip().upper()


def format_problem(code: str) -> str | None:
    """Why a typed code (already :func:`normal`) cannot be a campaign's code, or None."""
    if not MIN_LENGTH <= len(code) <= MAX_LENGTH or not PATTERN.fullmatch(code):
        return "campaign.code_format"
    return None


def by_code(session: Session, code: str) -> Campaign | None:
    """The campaign holding the code (case-insensitive: codes are stored upper-case), whatever
    its state."""
    text = normal(code)
    if not text or len(text) > MAX_LENGTH:
        return None
    return session.exec(select(Campaign).where(Campaign.code == text)).first()


def code_change_problem(record: Any, changes: dict[str, Any]) -> dict[str, str]:
    """A started campaign's code stays what customers were told."""
    if "code" in changes and record.status in STARTED:
        return {"code": "campaign.code_fixed"}
    return {}


def live(session: Session, code: str, on: date, product_id: int | None = None) -> Campaign | None:
    """The campaign the code names if it runs on ``on`` (and, for a campaign tied to
    products, covers ``product_id``), else None."""
    campaign = by_code(session, code)
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
