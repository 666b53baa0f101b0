"""Demo data of transactions: a year of subscriptions and redemptions of products each buyer's
risk tolerance allows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from backoffice.platform.demo import DemoContext, bulk, money
from models.products import ProductStatus
from models.transactions import Transaction, TransactionKind, TransactionStatus

NEEDS = ("products", "customers", "campaigns")


def rows(demo: DemoContext) -> None:
    rng = demo.rng
    sellable = [
        p
        for p in demo.made["products"]
        if p[3] in (ProductStatus.ON_SALE, ProductStatus.SUSPENDED, ProductStatus.CLOSED)
    ]
    by_level: dict[int, list[Any]] = {}
    for tol_level in range(1, 6):
        by_level[tol_level] = [p for p in sellable if int(p[1][1]) <= tol_level]
    buyers = [cu for cu in demo.made["customers"] if cu[1]]
    span = 365 * 86400
    start = demo.now - timedelta(seconds=span)

    def new_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, demo.size.transactions + 1):
            customer_id, tolerance, _registered = rng.choice(buyers)
            product_id, _level, min_purchase, _status = rng.choice(by_level[int(tolerance[1])])
            redemption = rng.random() < 0.25
            amount = max(float(min_purchase), round(rng.lognormvariate(9.2, 1.1), -2))
            amount = min(amount, 5_000_000.0)
            yield {
                "created_at": start,
                "txn_no": f"T{n:011d}",
                "customer_id": customer_id,
                "product_id": product_id,
                "kind": (
                    TransactionKind.REDEMPTION if redemption else TransactionKind.SUBSCRIPTION
                ).value,
                "amount": money(amount),
                "fee": money(amount * 0.001),
                "status": (
                    TransactionStatus.FAILED if rng.random() < 0.01 else TransactionStatus.SETTLED
                ).value,
                "channel": rng.choice(("app", "app", "app", "web")),
                "campaign_id": rng.choice(demo.made["campaign_ids"])
                if rng.random() < 0.1
                else None,
                "occurred_at": start + timedelta(seconds=rng.randrange(span)),
            }

    demo.counts["transaction"] = bulk(demo.conn, Transaction, new_rows())
