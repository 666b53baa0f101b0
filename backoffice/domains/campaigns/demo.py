"""Demo data of campaigns: every kind, scheduled, running, ended, cancelled and one draft
waiting for approval, with their spend ledgers and the products they promote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from backoffice.platform.demo import AwaitingApproval, DemoContext, bulk, ids_by, money, pct
from models.campaigns import (
    Campaign,
    CampaignKind,
    CampaignProduct,
    CampaignSpend,
    CampaignStatus,
)
from models.products import ProductStatus

NEEDS = ("products",)  # the products they promote
AWAITING_APPROVAL = (
    AwaitingApproval("campaign", Campaign, (CampaignStatus.DRAFT,), maker="mkt.chen"),
)


def rows(demo: DemoContext) -> None:
    c, rng = demo.conn, demo.rng
    names = [
        "新人注册红包",
        "首投返现",
        "春季理财节",
        "基金定投季",
        "双十一理财狂欢",
        "合作银行联名推广",
        "抖音信息流投放",
        "城市理财讲座",
        "年终奖理财计划",
        "老带新奖励",
        "国庆稳健理财周",
        "养老规划沙龙",
    ]
    codes = [  # what customers quote, one per name
        "WELCOME",
        "FIRSTBUY",
        "SPRING",
        "SIP",
        "DOUBLE11",
        "BANK-CO",
        "FEED-AD",
        "TALKS",
        "BONUS",
        "REFER",
        "GOLDEN-WEEK",
        "PENSION",
    ]
    rows = []
    for i in range(demo.size.campaigns):
        kind = list(CampaignKind)[i % len(CampaignKind)]
        start = demo.today + timedelta(days=rng.randrange(-300, 40))
        end = start + timedelta(days=rng.randrange(14, 90))
        if i < 3:  # a few campaigns are always running, whatever the day
            start = demo.today - timedelta(days=rng.randrange(5, 25))
            end = demo.today + timedelta(days=rng.randrange(20, 60))
        status = (
            CampaignStatus.SCHEDULED
            if start > demo.today
            else CampaignStatus.RUNNING
            if end >= demo.today
            else CampaignStatus.ENDED
        )
        if i == 3:
            status = CampaignStatus.CANCELLED
        if i == 4:  # made by one marketer, waiting for another's approval
            status = CampaignStatus.DRAFT
            start = demo.today + timedelta(days=14)
            end = start + timedelta(days=30)
        budget = Decimal(rng.randrange(5, 200) * 10_000)
        spent_ratio = {
            CampaignStatus.DRAFT: 0,
            CampaignStatus.SCHEDULED: 0,
            CampaignStatus.CANCELLED: 0.1,
            CampaignStatus.RUNNING: rng.uniform(0.2, 0.95),
        }.get(status, rng.uniform(0.6, 1.0))
        rows.append(
            {
                **demo.stamp(),
                "code": f"{codes[i % len(codes)]}{start:%y}"
                + (f"-{i // len(codes) + 1}" if i >= len(codes) else ""),
                "name": f"{names[i % len(names)]}"
                + (f" {i // len(names) + 1}" if i >= len(names) else ""),
                "kind": kind.value,
                "channel": {"co_promotion": "partner", "offline_event": "offline"}.get(
                    kind.value, "online"
                ),
                "target_segment": rng.choice(
                    ("新注册用户", "25-40岁白领", "存量高净值客户", "首次投资用户")
                ),
                "start_date": start,
                "end_date": end,
                "budget": budget,
                "spent": money(float(budget) * spent_ratio),
                "cashback_rate": pct(rng.choice((0.5, 1.0, 1.5)))
                if kind == CampaignKind.CASH_BACK
                else None,
                "reward_cap": Decimal("200.00") if kind == CampaignKind.CASH_BACK else None,
                "partner_id": None,
                "status": status.value,
                "notes": "",
            }
        )
    demo.counts["campaign"] = bulk(c, Campaign, rows)
    # for the customers and transactions they brought
    demo.made["campaign_ids"] = list(ids_by(c, Campaign, "name").values())
    _campaign_ledger(demo)
    on_sale = [p[0] for p in demo.made["products"] if p[3] == ProductStatus.ON_SALE]
    links = {(cid, pid) for cid in demo.made["campaign_ids"] for pid in rng.sample(on_sale, 2)}
    demo.counts["campaign_product"] = bulk(
        c,
        CampaignProduct,
        ({"campaign_id": cid, "product_id": pid} for cid, pid in sorted(links)),
    )


def _campaign_ledger(demo: DemoContext) -> None:
    """Spend entries, a few a week from each campaign's start, adding up to what it spent."""
    rows = []
    campaigns = demo.conn.execute(
        sa.select(Campaign.id, Campaign.start_date, Campaign.end_date, Campaign.spent)
    ).all()
    for campaign_id, start, end, spent in campaigns:
        last = min(end, demo.today)
        days = (last - start).days
        if spent <= 0 or days < 0:
            continue
        count = max(1, min(12, days // 3))
        weights = [demo.rng.uniform(0.5, 1.5) for _ in range(count)]
        amounts = [(spent * Decimal(w / sum(weights))).quantize(Decimal("0.01")) for w in weights]
        amounts[-1] += spent - sum(amounts)  # exact to the cent
        for n, amount in enumerate(amounts):
            day = start + timedelta(days=days * (n + 1) // count)
            when = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
            rows.append(
                {
                    "created_at": min(when, demo.now),
                    "campaign_id": campaign_id,
                    "amount": amount,
                    "note": "投放结算" if n % 2 else "奖励发放",
                    "recorded_by": "mkt.chen",
                }
            )
    demo.counts["campaign_spend"] = bulk(demo.conn, CampaignSpend, rows)


# --- customers and their money ------------------------------------------------------------
