"""The monthly commission report: settled subscriptions per partner, priced by volume tier."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import select

from backoffice.domains.kpi.metrics import Period, chart, metric
from backoffice.domains.partners import rules as partners
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

    from backoffice.security import auth
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


def test_the_commission_file_is_labelled_in_the_staff_language_and_safe_to_open(session):
    import csv
    import io

    _customer(session)
    _setup(session)
    session.add(
        Partner(name="=HYPERLINK(1)", kind="bank", licence_no="3", status="active")
    )  # a name a spreadsheet would run
    session.commit()
    lines = partners.monthly_report(session, "2026-10")
    for lang, header in (
        ("zh", ["合作伙伴", "月份", "申购金额（元）", "笔数", "佣金率（%）", "佣金收入（元）"]),
        ("en", ["Partner", "Month", "Subscriptions (CNY)", "Transactions",
                "Commission rate (%)", "Commission (CNY)"]),
    ):  # fmt: skip
        data = partners.commission_csv(lines, "2026-10", lang)
        assert data.startswith("\ufeff".encode()), "Excel reads the Chinese"
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows[0] == header
        assert ["甲银行", "2026-10", "110000.00", "2", "0.8000", "880.00"] in rows
    named = partners.commission_csv(
        [partners.CommissionLine(9, "=HYPERLINK(1)", Decimal(1), 1, Decimal(1), Decimal(0))],
        "2026-10",
    )
    assert "'=HYPERLINK(1)" in named.decode("utf-8-sig")


def test_a_products_page_shows_its_partners_tiers_as_the_report_prices_them(session):
    from backoffice.security import auth
    from tests.factories import make_user, sign_in

    _customer(session)
    _setup(session)
    pm = auth.resolve(session, sign_in(session, make_user(session, "pm.t", ["product_manager"])[0]))
    agent = auth.resolve(session, sign_in(session, make_user(session, "cs.t", ["cs_agent"])[0]))
    bank_product = session.exec(select(Product).where(Product.code == "A")).one()
    fund_product = session.exec(select(Product).where(Product.code == "B")).one()
    # 20 Oct 2026: the bank's products sold 110,000 this month → the 100,000 tier applies
    now = datetime(2026, 10, 25, tzinfo=UTC)
    terms = partners.product_commission_terms(session, pm, bank_product.id, now=now)
    assert terms is not None and terms.partner == "甲银行"
    assert terms.ladder == [
        (Decimal("0.00"), Decimal("0.5000")),
        (Decimal("100000.00"), Decimal("0.8000")),
    ]
    assert terms.month_volume == Decimal("110000.00") and terms.reached == 1
    report = {line.partner: line for line in partners.monthly_report(session, "2026-10")}
    assert terms.month_rate == report["甲银行"].rate, "the rule the report prices by"
    early = partners.product_commission_terms(
        session, pm, bank_product.id, now=datetime(2026, 10, 10, tzinfo=UTC)
    )
    assert early is not None and early.month_volume == Decimal("60000.00") and early.reached == 0
    fund = partners.product_commission_terms(session, pm, fund_product.id, now=now)
    assert fund is not None and fund.ladder == [(Decimal("0.00"), Decimal("1.0000"))]
    # who may not see partners sees no tiers; an unknown product has none
    assert partners.product_commission_terms(session, agent, bank_product.id, now=now) is None
    assert partners.product_commission_terms(session, pm, 10**12, now=now) is None
