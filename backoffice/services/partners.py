"""Commission the platform earns from partners: monthly sales through each partner's
products, priced by the partner's volume tiers (or its base rate)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.config import get_settings
from backoffice.security.rbac import Principal
from backoffice.services.exports import ExportFile, produce_audited
from models.partners import CommissionTier, Partner
from models.products import Product
from models.transactions import Transaction, TransactionKind, TransactionStatus

CENT = Decimal("0.01")


@dataclass(frozen=True)
class CommissionLine:
    partner_id: int
    partner: str
    volume: Decimal
    transactions: int
    rate: Decimal
    commission: Decimal


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """'2026-11' → [start, end) in UTC, the month being the staff's calendar month."""
    year, number = (int(p) for p in month.split("-"))
    zone = get_settings().zone
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def rate_for(base: Decimal, tiers: list[CommissionTier], volume: Decimal) -> Decimal:
    reached = [t for t in tiers if t.min_monthly_volume <= volume]
    return max(reached, key=lambda t: t.min_monthly_volume).rate if reached else base


def monthly_report(session: Session, month: str) -> list[CommissionLine]:
    """One line per partner with sales in the month: settled subscriptions, in SQL."""
    start, end = month_bounds(month)
    rows = session.execute(
        sa.select(Product.partner_id, sa.func.sum(Transaction.amount), sa.func.count())
        .join(Product, Product.id == Transaction.product_id)
        .where(
            Transaction.occurred_at >= start,
            Transaction.occurred_at < end,
            Transaction.kind == TransactionKind.SUBSCRIPTION,
            Transaction.status == TransactionStatus.SETTLED,
        )
        .group_by(Product.partner_id)
    ).all()
    partners = {p.id: p for p in session.exec(select(Partner)).all()}
    tiers: dict[int, list[CommissionTier]] = {}
    for tier in session.exec(
        select(CommissionTier).where(CommissionTier.archived_at.is_(None))
    ).all():
        tiers.setdefault(tier.partner_id, []).append(tier)
    lines = []
    for partner_id, total, count in rows:
        volume = Decimal(str(total)).quantize(CENT)
        partner = partners[partner_id]
        rate = rate_for(partner.commission_rate, tiers.get(partner_id, []), volume)
        commission = (volume * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        lines.append(CommissionLine(partner_id, partner.name, volume, count, rate, commission))
    return sorted(lines, key=lambda line: line.commission, reverse=True)


def commission_csv(lines: list[CommissionLine], month: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["partner", "month", "volume_cny", "transactions", "rate_percent", "commission_cny"]
    )
    for line in lines:
        writer.writerow(
            [line.partner, month, line.volume, line.transactions, line.rate, line.commission]
        )
    return out.getvalue().encode("utf-8-sig")


def export_commission(*, principal: Principal, month: str, client: str = "") -> ExportFile:
    """The month's commission report as CSV, audited."""

    def produce(session: Session) -> ExportFile:
        lines = monthly_report(session, month)
        return ExportFile(
            filename=f"commission-{month}.csv",
            data=commission_csv(lines, month),
            rows=len(lines),
        )

    return produce_audited(
        produce,
        principal=principal,
        what="partner.commission_export",
        entity="partner",
        client=client,
        details={"month": month},
    )


def recent_months(today: date, count: int = 12) -> list[str]:
    months, year, number = [], today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{number:02d}")
        year, number = (year - 1, 12) if number == 1 else (year, number - 1)
    return months
