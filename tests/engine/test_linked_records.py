"""Fields linking a record to several others (a campaign's products) through a link table."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

import backoffice.domains  # noqa: F401
from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.platform.business_time import local_today
from backoffice.security import auth
from models.audit import AuditEntry
from models.campaigns import CampaignProduct
from models.partners import Partner
from models.products import Product
from tests.factories import make_user, sign_in

CAMPAIGN = get("campaign")


@pytest.fixture
def marketer(session):
    user, _ = make_user(session, "mkt.links", ["marketing"])
    return auth.resolve(session, sign_in(session, user))


@pytest.fixture
def products(session):
    partner = Partner(name="基金甲", kind="fund_company", licence_no="F1", status="active")
    session.add(partner)
    session.commit()
    items = [
        Product(
            code=f"L{n}",
            name=f"产品{n}",
            product_type="money_market",
            partner_id=partner.id,
            risk_level="R1",
            min_purchase=Decimal("1"),
            status="on_sale",
        )
        for n in range(4)
    ]
    session.add_all(items)
    session.commit()
    return [p.id for p in items]


def _values(**extra: str) -> dict[str, str]:
    return {
        "code": "SPRING26",
        "name": "春季理财节",
        "kind": "signup_bonus",
        "channel": "online",
        "start_date": (local_today() + timedelta(days=3)).isoformat(),
        "end_date": (local_today() + timedelta(days=30)).isoformat(),
        "budget": "50000",
        **extra,
    }


def _links(session, campaign_id):
    return sorted(
        session.exec(
            select(CampaignProduct.product_id).where(CampaignProduct.campaign_id == campaign_id)
        ).all()
    )


def test_linked_products_are_saved_changed_and_audited(session, marketer, products):
    a, b, c, _d = products
    created = service.create(
        session, principal=marketer, resource=CAMPAIGN, values=_values(product_ids=f"{b},{a},{a}")
    )
    session.commit()
    assert created.ok, created.errors
    assert _links(session, created.record_id) == sorted([a, b])
    campaign = service.load(
        session, principal=marketer, resource=CAMPAIGN, record_id=created.record_id
    )
    values = service.record_values(session, service.schema_of(session, CAMPAIGN), campaign)
    assert values["product_ids"] == ",".join(str(i) for i in sorted([a, b]))

    updated = service.update(
        session,
        principal=marketer,
        resource=CAMPAIGN,
        record_id=campaign.id,
        version=campaign.version,
        values={"product_ids": f"{b},{c}"},
    )
    session.commit()
    assert updated.ok, updated.errors
    assert _links(session, campaign.id) == sorted([b, c])
    session.refresh(campaign)
    assert campaign.version == 2  # a change of links is a change of the record
    edit = session.exec(select(AuditEntry).where(AuditEntry.action == "campaign.edit")).one()
    assert f'"{a},{b}"' in edit.changes and f'"{b},{c}"' in edit.changes


def test_an_unknown_product_is_refused_and_nothing_is_linked(session, marketer, products):
    result = service.create(
        session, principal=marketer, resource=CAMPAIGN, values=_values(product_ids="999999")
    )
    session.rollback()
    assert result.errors == {"product_ids": "field.not_found"}
    count = session.execute(sa.select(sa.func.count()).select_from(CampaignProduct)).scalar()
    assert count == 0
    for bad in ("1;DROP", "x"):
        result = service.create(
            session, principal=marketer, resource=CAMPAIGN, values=_values(product_ids=bad)
        )
        session.rollback()
        assert result.errors == {"product_ids": "field.not_found"}


def test_links_stay_off_lists_and_exports(session, marketer):
    schema = service.schema_of(session, CAMPAIGN)
    assert "product_ids" not in service.parse_columns(schema, "name,product_ids")
    with pytest.raises(ValueError, match="record page only"):
        from dataclasses import replace

        replace(CAMPAIGN, list_columns=(*CAMPAIGN.list_columns, "product_ids"))


def test_cash_back_campaigns_need_a_rate_others_keep_none(session, marketer, products):
    result = service.create(
        session, principal=marketer, resource=CAMPAIGN, values=_values(kind="cash_back")
    )
    session.rollback()
    assert result.errors == {"cashback_rate": "field.required"}
    result = service.create(
        session,
        principal=marketer,
        resource=CAMPAIGN,
        values=_values(kind="online_ad", cashback_rate="1.5"),
    )
    session.commit()
    assert result.ok
    campaign = service.load(
        session, principal=marketer, resource=CAMPAIGN, record_id=result.record_id
    )
    assert campaign.cashback_rate is None
