"""Demo data of partners: the fund companies, banks, insurers, securities firms and platforms
the products come from, some of their contracts close to their end."""

from __future__ import annotations

from datetime import timedelta

from backoffice.platform.demo import DemoContext, bulk, pct
from models.partners import Partner, PartnerKind, PartnerStatus

NEEDS = ("hr",)  # for the order only: their random draws follow the staff's

PARTNERS: list[tuple[str, PartnerKind]] = [
    ("华夏基金管理有限公司", PartnerKind.FUND_COMPANY),
    ("易方达基金管理有限公司", PartnerKind.FUND_COMPANY),
    ("南方基金管理股份有限公司", PartnerKind.FUND_COMPANY),
    ("招商银行股份有限公司", PartnerKind.BANK),
    ("宁波银行股份有限公司", PartnerKind.BANK),
    ("中国平安人寿保险股份有限公司", PartnerKind.INSURER),
    ("泰康人寿保险有限责任公司", PartnerKind.INSURER),
    ("中信证券股份有限公司", PartnerKind.SECURITIES_FIRM),
    ("华泰证券股份有限公司", PartnerKind.SECURITIES_FIRM),
    ("星云互联网科技有限公司", PartnerKind.INTERNET_COMPANY),
    ("快付通支付有限公司", PartnerKind.PAYMENT_PLATFORM),
    ("银联商务股份有限公司", PartnerKind.PAYMENT_PLATFORM),
]


def rows(demo: DemoContext) -> None:
    c, rng = demo.conn, demo.rng
    partner_rows = []
    for i, (name, kind) in enumerate(PARTNERS):
        start = demo.today - timedelta(days=rng.randrange(100, 700))
        end_in = (5, 25, 200, 400)[i % 4] if i < 8 else rng.randrange(60, 700)
        partner_rows.append(
            {
                **demo.stamp(),
                "name": name,
                "kind": kind.value,
                "licence_no": f"91{rng.randrange(10**15, 10**16)}",
                "contact_name": demo.fake.name(),
                "contact_phone": demo.fake.phone_number(),
                "contact_email": f"bd{i + 1}@partner{i + 1}.example.cn",
                "contract_start": start,
                "contract_end": demo.today + timedelta(days=end_in),
                "commission_rate": pct(rng.uniform(0.2, 1.5)),
                "status": PartnerStatus.ACTIVE if i < 10 else PartnerStatus.PROSPECT,
                "notes": "",
            }
        )
    demo.counts["partner"] = bulk(c, Partner, partner_rows)
