"""The monthly commission report: settled subscriptions per partner, priced by volume tier."""

from datetime import UTC, date, datetime
from decimal import Decimal

from backoffice.services import partners
from backoffice.services.metrics import Period, chart, metric
from models.partners import CommissionTier, Partner
from models.products import Product
from models.transactions import Transaction


def _setup(session):
    bank = Partner(
        name="甲银行", kind="bank", licence_no="1", status="active", commission_rate=Decimal("0.5")
    )
    fund = Partner(
        name="乙基金",
        kind="fund_company",
        licence_no="2",
        status="active",
        commission_rate=Decimal("1.0"),
    )
    session.add_all([bank, fund])
    session.flush()
    p1 = Product(
        code="A",
        name="a",
        product_type="bond",
        partner_id=bank.id,
        risk_level="R2",
        min_purchase=Decimal("1"),
    )
    p2 = Product(
        code="B",
        name="b",
        product_type="bond",
        partner_id=fund.id,
        risk_level="R2",
        min_purchase=Decimal("1"),
    )
    session.add_all([p1, p2])
    session.flush()
    session.add(
        CommissionTier(
            partner_id=bank.id, min_monthly_volume=Decimal("100000"), rate=Decimal("0.8")
        )
    )
    rows = [
        (p1, "subscription", "settled", "60000.00", datetime(2026, 10, 3, tzinfo=UTC)),
        (p1, "subscription", "settled", "50000.00", datetime(2026, 10, 20, tzinfo=UTC)),
        (p1, "redemption", "settled", "90000.00", datetime(2026, 10, 21, tzinfo=UTC)),
        (p1, "subscription", "failed", "99999.00", datetime(2026, 10, 22, tzinfo=UTC)),
        (p2, "subscription", "settled", "1000.10", datetime(2026, 10, 5, tzinfo=UTC)),
        (p2, "subscription", "settled", "5000.00", datetime(2026, 11, 5, tzinfo=UTC)),
        # 23:30 UTC on 31 Oct is 1 Nov in Shanghai: it belongs to November
        (p2, "subscription", "settled", "777.00", datetime(2026, 10, 31, 23, 30, tzinfo=UTC)),
    ]
    for n, (product, kind, status, amount, at) in enumerate(rows):
        session.add(
            Transaction(
                txn_no=f"T{n}",
                customer_id=1,
                product_id=product.id,
                kind=kind,
                status=status,
                amount=Decimal(amount),
                occurred_at=at,
            )
        )
    session.commit()


def _customer(session):
    from models.customers import Customer

    session.add(
        Customer(
            id=1,
            customer_no="C1",
            name_masked="x",
            name_cipher="x",
            name_hash="h",
            id_number_cipher="x",
            id_number_hash="h",
            phone_cipher="x",
            phone_hash="h",
            registered_at=datetime.now(UTC),
        )
    )
    session.commit()


def test_monthly_commission_uses_tiers_and_the_staff_calendar(session):
    _customer(session)
    _setup(session)
    lines = {line.partner: line for line in partners.monthly_report(session, "2026-10")}
    assert lines["甲银行"].volume == Decimal("110000.00")
    assert lines["甲银行"].rate == Decimal("0.8000"), "the 100,000 tier was reached"
    assert lines["甲银行"].commission == Decimal("880.00")
    assert lines["乙基金"].volume == Decimal("1000.10")
    assert lines["乙基金"].commission == Decimal("10.00")
    november = {line.partner: line for line in partners.monthly_report(session, "2026-11")}
    assert november["乙基金"].volume == Decimal("5777.00")


def test_recent_months_cross_the_year():
    from datetime import date

    assert partners.recent_months(date(2026, 2, 10), 3) == ["2026-02", "2026-01", "2025-12"]


def test_the_kpi_commission_is_the_reports_commission_tiers_included(session):
    _customer(session)
    _setup(session)
    october = Period(date(2026, 10, 1), date(2026, 10, 31))
    report = partners.monthly_report(session, "2026-10")
    bank = next(line for line in report if line.partner == "甲银行")
    assert bank.rate == Decimal("0.8000")  # a partner past its first tier
    kpi_total = metric("commission").value(session, october)
    assert kpi_total == sum(line.commission for line in report) == Decimal("890.00")
    bars = chart("commission_by_partner").build(session, october, "zh")
    assert dict(zip(bars.x, bars.series[0].values, strict=True)) == {
        line.partner: line.commission for line in report
    }


def test_the_commission_export_is_audited_with_its_month_and_rows(session):
    import json

    from sqlmodel import select

    from backoffice.services import auth
    from models.audit import AuditEntry
    from tests.factories import make_user, sign_in

    _customer(session)
    _setup(session)
    user, _ = make_user(session, "pm.c", ["product_manager"])
    principal = auth.resolve(session, sign_in(session, user))
    file = partners.export_commission(principal=principal, month="2026-10", client="10.0.0.2")
    session.rollback()  # see what the export's own transaction committed
    assert file.filename == "commission-2026-10.csv" and file.rows == 2
    assert "880.00" in file.data.decode("utf-8-sig")
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "partner.commission_export")
    ).one()
    assert (entry.actor, entry.client) == ("pm.c", "10.0.0.2")
    assert json.loads(entry.changes) == {"month": [None, "2026-10"], "rows": [None, 2]}
