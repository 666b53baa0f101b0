"""Demo data of products: every product type from its kind of issuer, in every state of the
workflow, the ones past draft with their prospectus and risk disclosure as PDFs."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from backoffice.platform import attachments, pdf
from backoffice.platform.demo import AwaitingApproval, DemoContext, bulk, pct
from models.attachments import Attachment
from models.partners import Partner, PartnerKind
from models.products import CoverageType, EarlyRedemption, Product, ProductStatus, ProductType

NEEDS = ("partners",)  # the issuers
AWAITING_APPROVAL = (
    AwaitingApproval(
        "product",
        Product,
        (ProductStatus.DRAFT, ProductStatus.IN_REVIEW),
        maker="pm.li",
        submitted=ProductStatus.IN_REVIEW,
    ),
)

ISSUERS_BY_TYPE: dict[ProductType, tuple[PartnerKind, ...]] = {
    ProductType.MONEY_MARKET: (PartnerKind.FUND_COMPANY,),
    ProductType.FIXED_TERM: (PartnerKind.BANK,),
    ProductType.FLEXIBLE: (PartnerKind.BANK, PartnerKind.FUND_COMPANY),
    ProductType.BOND: (PartnerKind.SECURITIES_FIRM, PartnerKind.FUND_COMPANY),
    ProductType.STOCK: (PartnerKind.SECURITIES_FIRM,),
    ProductType.MUTUAL_FUND: (PartnerKind.FUND_COMPANY,),
    ProductType.INSURANCE: (PartnerKind.INSURER,),
}
PRODUCT_SHAPES: dict[ProductType, dict[str, Any]] = {
    ProductType.MONEY_MARKET: {"risk": ("R1",), "yield": (1.4, 2.2), "term": None, "min": 1},
    ProductType.FIXED_TERM: {
        "risk": ("R1", "R2"),
        "yield": (2.3, 3.8),
        "term": (90, 180, 365),
        "min": 1000,
    },
    ProductType.FLEXIBLE: {"risk": ("R1", "R2"), "yield": (1.8, 2.8), "term": None, "min": 100},
    ProductType.BOND: {"risk": ("R2", "R3"), "yield": (3.0, 5.0), "term": (365, 730), "min": 1000},
    ProductType.STOCK: {"risk": ("R4", "R5"), "yield": (0.0, 0.0), "term": None, "min": 100},
    ProductType.MUTUAL_FUND: {
        "risk": ("R3", "R4", "R5"),
        "yield": (4.0, 9.0),
        "term": None,
        "min": 10,
    },
    ProductType.INSURANCE: {
        "risk": ("R1", "R2"),
        "yield": (2.5, 3.5),
        "term": (1825, 3650),
        "min": 5000,
    },
}


def _product_terms(ptype: ProductType, rng: random.Random) -> dict[str, Any]:
    """The type-specific terms: early redemption for fixed-term and bond products, cover for
    insurance."""
    terms: dict[str, Any] = dict.fromkeys(
        (
            "early_redemption",
            "early_redemption_fee_rate",
            "early_redemption_notice_days",
            "coverage_type",
            "sum_assured",
            "coverage_years",
            "cooling_off_days",
        )
    )
    if ptype in (ProductType.FIXED_TERM, ProductType.BOND):
        rule = rng.choice(list(EarlyRedemption))
        terms["early_redemption"] = rule.value
        if rule == EarlyRedemption.WITH_FEE:
            terms["early_redemption_fee_rate"] = pct(rng.choice((0.5, 1.0, 1.5)))
        if rule != EarlyRedemption.NOT_ALLOWED:
            terms["early_redemption_notice_days"] = rng.choice((1, 3, 7))
    elif ptype == ProductType.INSURANCE:
        terms["coverage_type"] = rng.choice(list(CoverageType)).value
        terms["sum_assured"] = Decimal(rng.choice((100_000, 300_000, 500_000))).quantize(
            Decimal("0.01")
        )
        terms["coverage_years"] = rng.choice((5, 10, 20, 30))
        terms["cooling_off_days"] = 15
    return terms


DISCLOSURE_TEXTS = (
    (
        "prospectus",
        "产品说明书",
        (
            "一、产品概述：{name}由发行机构设立并管理，本平台作为销售渠道提供购买服务。",
            "二、风险等级：{risk}。本产品仅向风险承受能力评估结果与之匹配的投资者销售。",
            "三、收益说明：预期年化收益率仅供参考，不构成对投资者的收益承诺。",
            "四、费用：申购费、赎回费与管理费以产品要素表及后续公告为准。",
            "五、申购与赎回：按销售文件约定的开放日办理，提前赎回规则见产品要素。",
            "六、信息披露：发行机构按期披露产品净值、投资报告及重大事项。",
        ),
    ),
    (
        "risk_disclosure",
        "风险揭示书",
        (
            "理财非存款，产品有风险，投资须谨慎。",
            "本产品风险等级为 {risk}，可能面临市场风险、信用风险、流动性风险、政策风险等。",
            "在最不利情况下，投资者可能损失部分乃至全部本金。",
            "投资者应充分阅读产品说明书，确认已理解产品风险后自主作出投资决定。",
            "投资者签字确认：________    日期：________",
        ),
    ),
)

PRODUCT_NAMES: dict[ProductType, list[str]] = {
    ProductType.MONEY_MARKET: ["现金宝", "日日盈", "零钱通", "添利宝"],
    ProductType.FIXED_TERM: ["稳盈90天", "安享半年", "年年丰", "季季红"],
    ProductType.FLEXIBLE: ["活期宝", "随心存", "周周利"],
    ProductType.BOND: ["纯债精选", "信用债优选", "国债增利"],
    ProductType.STOCK: ["沪深300精选", "科技成长组合", "红利低波组合"],
    ProductType.MUTUAL_FUND: ["消费升级混合", "新能源主题", "医疗健康精选", "平衡配置"],
    ProductType.INSURANCE: ["安心年金", "康乐两全", "稳福终身寿"],
}


def rows(demo: DemoContext) -> None:
    c, rng = demo.conn, demo.rng
    partner_ids = c.execute(sa.select(Partner.id, Partner.kind)).all()
    product_rows = []
    number = 0
    statuses = [ProductStatus.ON_SALE] * 6 + [
        ProductStatus.DRAFT,
        ProductStatus.IN_REVIEW,
        ProductStatus.SUSPENDED,
        ProductStatus.CLOSED,
    ]
    for ptype, names in PRODUCT_NAMES.items():
        shape = PRODUCT_SHAPES[ptype]
        issuers = [pid for pid, kind in partner_ids if kind in ISSUERS_BY_TYPE[ptype]]
        for name in names:
            number += 1
            low, high = shape["yield"]
            y1 = rng.uniform(low, high) if high else 0.0
            term = rng.choice(shape["term"]) if shape["term"] else None
            product_rows.append(
                {
                    **demo.stamp(),
                    "code": f"P{number:05d}",
                    "name": name,
                    "product_type": ptype.value,
                    "partner_id": rng.choice(issuers),
                    "risk_level": shape["risk"][number % len(shape["risk"])],
                    "yield_min": pct(y1),
                    "yield_max": pct(y1 + (rng.uniform(0, 1.0) if high else 0)),
                    "term_days": term,
                    "min_purchase": Decimal(shape["min"]).quantize(Decimal("0.01")),
                    "sale_start": demo.today - timedelta(days=rng.randrange(30, 400)),
                    "sale_end": demo.today + timedelta(days=rng.randrange(30, 400)),
                    "subscription_fee_rate": pct(rng.choice((0, 0.1, 0.15, 1.2))),
                    "redemption_fee_rate": pct(rng.choice((0, 0, 0.5))),
                    "management_fee_rate": pct(rng.choice((0.15, 0.3, 0.8, 1.2))),
                    "status": rng.choice(statuses).value,
                    "description": f"{name}：{ptype.value} 产品，详见产品说明书与风险揭示书。",
                    **_product_terms(ptype, rng),
                }
            )
    demo.counts["product"] = bulk(c, Product, product_rows)
    # (id, risk level, minimum purchase, status) of each, for the campaigns and transactions
    demo.made["products"] = c.execute(
        sa.select(Product.id, Product.risk_level, Product.min_purchase, Product.status)
    ).all()
    _disclosures(demo)


def _disclosures(demo: DemoContext) -> None:
    """Every product past draft has its prospectus and risk disclosure (publication
    requires both), as readable PDFs in the attachment store."""
    rows = []
    products = demo.conn.execute(
        sa.select(Product.id, Product.code, Product.name, Product.risk_level).where(
            Product.status != ProductStatus.DRAFT
        )
    ).all()
    for product_id, code, name, risk in products:
        for category, title, body in DISCLOSURE_TEXTS:
            data = pdf.render(
                [
                    pdf.Line(f"{name}（{code}）{title}", 18),
                    pdf.Line(""),
                    *(pdf.Line(line.format(name=name, risk=risk)) for line in body),
                ],
                title=f"{name} {title}",
            )
            rows.append(
                {
                    **demo.stamp(),
                    "resource": "product",
                    "record_id": product_id,
                    "category": category,
                    "filename": f"{code}-{title}.pdf",
                    "content_type": "application/pdf",
                    "size": len(data),
                    "sha256": attachments.store(data),
                    "uploaded_by": "pm.li",
                }
            )
    demo.counts["attachment"] = bulk(demo.conn, Attachment, rows)
