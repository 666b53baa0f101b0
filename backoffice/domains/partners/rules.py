"""Commission the platform earns from partners: monthly sales through each partner's
products, priced by the partner's volume tiers (or its base rate)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.config import get_settings
from backoffice.engine.fields import is_id
from backoffice.i18n import translate
from backoffice.platform import notifications
from backoffice.platform.business_time import local_today
from backoffice.platform.exports import ExportFile, csv_bytes, produce_audited
from backoffice.platform.jobs import Outcome
from backoffice.security.rbac import Principal
from models.partners import CommissionTier, Partner, PartnerStatus
from models.products import Product
from models.transactions import Transaction, TransactionKind, TransactionStatus

# days before a partner's contract ends when product managers are warned (the expiry job) and
# the partner list's "ending soon" queue (the longest window)
EXPIRY_WARNINGS = (30, 7)


def contract_ending_soon(today: date) -> sa.ColumnElement[bool]:
    """Active partners whose contract ends within the longest warning window."""
    return sa.and_(
        Partner.status == "active",
        Partner.contract_end.is_not(None),
        Partner.contract_end >= today,
        Partner.contract_end <= today + timedelta(days=max(EXPIRY_WARNINGS)),
    )


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


def month_slices(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) cut at the staff's month boundaries: tiers are reached month by month."""
    zone = get_settings().zone
    slices, cursor = [], start
    while cursor < end:
        local = cursor.astimezone(zone)
        following = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=zone)
        upto = min(following, end)
        slices.append((cursor, upto))
        cursor = upto
    return slices


def _sold(
    session: Session, start: datetime, end: datetime, campaigns_only: bool = False
) -> dict[int, tuple[Decimal, int]]:
    """Settled subscriptions per partner in [start, end): (volume, transactions). Summed per
    product on the covering time index before the join to products (joining first made the
    database visit every transaction's product row)."""
    product = (Transaction.product_id + 0).label("product_id")  # "+ 0": see metrics._per_product
    query = sa.select(
        product, sa.func.sum(Transaction.amount).label("amount"), sa.func.count().label("n")
    ).where(
        Transaction.kind == TransactionKind.SUBSCRIPTION,
        Transaction.status == TransactionStatus.SETTLED,
        Transaction.occurred_at >= start,
        Transaction.occurred_at < end,
    )
    if campaigns_only:
        query = query.where(Transaction.campaign_id.is_not(None))
    sold = query.group_by(product).subquery()
    rows = session.execute(
        sa.select(Product.partner_id, sa.func.sum(sold.c.amount), sa.func.sum(sold.c.n))
        .select_from(sold)
        .join(Product, Product.id == sold.c.product_id)
        .group_by(Product.partner_id)
    ).all()
    return {pid: (Decimal(str(total)).quantize(CENT), int(count)) for pid, total, count in rows}


def commission_between(
    session: Session, start: datetime, end: datetime, *, campaigns_only: bool = False
) -> list[CommissionLine]:
    """The one commission rule: settled subscriptions through each partner's products, each
    month priced at the partner's volume tier for that month's sales within [start, end)
    (its base rate below the first tier), rounded to the fen per partner and month. With
    ``campaigns_only`` only campaign-attributed sales are priced, still at the tier the
    partner's whole volume reached. One line per partner with sales, largest commission first.
    """
    partners = {p.id: p for p in session.exec(select(Partner)).all()}
    tiers: dict[int, list[CommissionTier]] = {}
    for tier in session.exec(
        select(CommissionTier).where(CommissionTier.archived_at.is_(None))
    ).all():
        tiers.setdefault(tier.partner_id, []).append(tier)
    totals: dict[int, list] = {}
    for slice_start, slice_end in month_slices(start, end):
        volumes = _sold(session, slice_start, slice_end)
        priced = _sold(session, slice_start, slice_end, True) if campaigns_only else volumes
        for partner_id, (volume, count) in priced.items():
            partner = partners[partner_id]
            rate = rate_for(
                partner.commission_rate, tiers.get(partner_id, []), volumes[partner_id][0]
            )
            commission = (volume * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            line = totals.setdefault(partner_id, [Decimal("0.00"), 0, set(), Decimal("0.00")])
            line[0] += volume
            line[1] += count
            line[2].add(rate)
            line[3] += commission
    lines = []
    for partner_id, (volume, count, rates, commission) in totals.items():
        rate = (
            next(iter(rates))
            if len(rates) == 1
            else (commission * 100 / volume).quantize(Decimal("0.0001"))
            if volume
            else Decimal(0)
        )
        lines.append(
            CommissionLine(partner_id, partners[partner_id].name, volume, count, rate, commission)
        )
    return sorted(lines, key=lambda line: line.commission, reverse=True)


@dataclass(frozen=True)
class CommissionTerms:
    """A partner's commission rule as it prices one of its products' sales: the ladder of
    (monthly volume from, rate), ascending, the base rate first (from 0) unless a tier starts
    at 0; the volume the partner's products sold this month so far and the step it reached."""

    partner_id: int
    partner: str
    ladder: list[tuple[Decimal, Decimal]]
    month_volume: Decimal
    reached: int  # index in ladder

    @property
    def month_rate(self) -> Decimal:
        return self.ladder[self.reached][1]


def product_commission_terms(
    session: Session, principal: Principal, product_id: int, now: datetime | None = None
) -> CommissionTerms | None:
    """The rule ``commission_between`` applies to the product's partner (read-only), for a
    caller who may view partners; None otherwise or for an unknown product."""
    if not (principal.can("product", "view") and principal.can("partner", "view")):
        return None
    product = session.get(Product, product_id) if is_id(product_id) else None
    partner = session.get(Partner, product.partner_id) if product is not None else None
    if partner is None:
        return None
    tiers = list(
        session.exec(
            select(CommissionTier)
            .where(CommissionTier.partner_id == partner.id, CommissionTier.archived_at.is_(None))
            .order_by(CommissionTier.min_monthly_volume)
        ).all()
    )
    now = now or datetime.now(UTC)
    local = now.astimezone(get_settings().zone)
    start, _end = month_bounds(f"{local.year}-{local.month:02d}")
    volume = _sold(session, start, now).get(partner.id, (Decimal("0.00"), 0))[0]
    ladder = [(t.min_monthly_volume, t.rate) for t in tiers]
    if not ladder or ladder[0][0] > 0:
        ladder.insert(0, (Decimal("0.00"), partner.commission_rate))
    reached = max(i for i, (start, _r) in enumerate(ladder) if start <= volume)
    return CommissionTerms(partner.id, partner.name, ladder, volume, reached)


def monthly_report(session: Session, month: str) -> list[CommissionLine]:
    """One line per partner with sales in the staff's calendar month ('2026-11')."""
    return commission_between(session, *month_bounds(month))


COMMISSION_COLUMNS = ("partner", "month", "volume", "transactions", "rate", "commission")


def commission_csv(lines: list[CommissionLine], month: str, lang: str = "zh") -> bytes:
    """The month's report as staff read it: labelled columns in their language, amounts in
    yuan and rates in percent as plain numbers a spreadsheet sums."""
    return csv_bytes(
        [translate(f"commission.file.{c}", lang) for c in COMMISSION_COLUMNS],
        (
            [line.partner, month, line.volume, line.transactions, line.rate, line.commission]
            for line in lines
        ),
    )


def export_commission(
    *, principal: Principal, month: str, lang: str = "zh", client: str = ""
) -> ExportFile:
    """The month's commission report as CSV, audited."""

    def produce(session: Session) -> ExportFile:
        lines = monthly_report(session, month)
        return ExportFile(
            filename=f"commission-{month}.csv",
            data=commission_csv(lines, month, lang),
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


def warn_expiring_contracts(session: Session) -> str:
    """Warn product managers 30 and 7 days before a partner's contract ends (once each)."""
    today = local_today()
    posted = 0
    ending = session.exec(
        select(Partner).where(
            Partner.status == PartnerStatus.ACTIVE,
            Partner.archived_at.is_(None),
            Partner.contract_end.is_not(None),
            Partner.contract_end <= today + timedelta(days=max(EXPIRY_WARNINGS)),
        )
    ).all()
    for partner in ending:
        days_left = (partner.contract_end - today).days
        window = min((d for d in EXPIRY_WARNINGS if days_left <= d), default=None)
        if window is None or days_left < 0:
            continue
        posted += notifications.notify(
            session,
            kind="contract",
            role="product_manager",
            severity="critical" if window == 7 else "warning",
            link=f"/r/partner/record?id={partner.id}",
            dedupe_key=f"partner:{partner.id}:contract:{partner.contract_end}:{window}",
            title_zh=f"{partner.name} 的合同将于 {partner.contract_end} 到期（剩 {days_left} 天）",
            title_en=f"{partner.name}: contract ends {partner.contract_end} ({days_left} days)",
        )
    return Outcome("job.result.partners.contracts", ending=len(ending), posted=posted)
