"""What the customer-platform tests start from: products on sale, customers whose KYC is
approved at a tolerance, a watch-list entry, a running campaign; rows as the portal keeps them
(committed), with valid resident ID numbers."""

from __future__ import annotations

import base64
import random
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session

from backoffice.domains.customers import national_id
from backoffice.domains.kyc import screening
from backoffice.platform.business_time import local_today
from models.campaigns import Campaign, CampaignProduct
from models.customers import Customer, KycStatus
from models.kyc import WatchlistEntry
from models.partners import Partner
from models.products import Product
from tests.factories import make_customer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%%EOF\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def id_number(seed: int, born: date = date(1988, 5, 17), female: bool = False) -> str:
    return national_id.make(random.Random(seed), born, female)


def product(
    session: Session,
    code: str,
    *,
    risk: str = "R2",
    minimum: str = "1000",
    status: str = "on_sale",
    starts: date | None = None,
    ends: date | None = None,
) -> Product:
    partner = session.get(Partner, 1) or Partner(
        id=1, name="华夏基金", kind="fund_company", licence_no="91110000", status="active"
    )
    session.add(partner)
    session.flush()
    today = local_today()
    item = Product(
        code=code,
        name=f"稳盈{code}",
        product_type="fixed_term",
        partner_id=partner.id,
        risk_level=risk,
        yield_min=Decimal("2.1000"),
        yield_max=Decimal("3.4500"),
        term_days=90,
        min_purchase=Decimal(minimum),
        sale_start=starts or today - timedelta(days=10),
        sale_end=ends or today + timedelta(days=30),
        subscription_fee_rate=Decimal("0.5000"),
        status=status,
    )
    session.add(item)
    session.commit()
    return item


def customer(
    session: Session, seed: int, *, tolerance: str | None = "C3", approved: bool = True
) -> Customer:
    """A customer (张伟 plus the seed) whose KYC is approved at ``tolerance``."""
    person = make_customer(session, name=f"张伟{seed}", id_number=id_number(seed))
    person.kyc_status = KycStatus.APPROVED if approved else KycStatus.PENDING
    person.risk_tolerance = tolerance
    session.add(person)
    session.commit()
    return person


def watchlisted(session: Session, name: str, born: date | None = None) -> WatchlistEntry:
    entry = WatchlistEntry(
        list_kind="sanctions",
        name=name,
        name_pinyin=screening.pinyin_of(name),
        birth_date=born.isoformat() if born else "",
        source="test list",
    )
    session.add(entry)
    session.commit()
    return entry


def running_campaign(session: Session, *products: Product, code: str = "WELCOME26") -> Campaign:
    today = local_today()
    campaign = Campaign(
        code=code,
        name="新客礼",
        kind="signup_bonus",
        channel="online",
        start_date=today - timedelta(days=3),
        end_date=today + timedelta(days=3),
        budget=Decimal("10000"),
        status="running",
    )
    session.add(campaign)
    session.flush()
    session.add_all([CampaignProduct(campaign_id=campaign.id, product_id=p.id) for p in products])
    session.commit()
    return campaign


def problem(response: object, status: int, code: str) -> dict:
    """The problem+json body of a refused call, checked for its status and code."""
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status and body["code"] == code, body
    assert body["detail"] and body["detail"] != code
    return body


def fresh(session: Session) -> Session:
    """The test session seeing what the served API committed: its read snapshot ended and the
    objects it holds reloaded."""
    session.commit()
    session.expire_all()
    return session
