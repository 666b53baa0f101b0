"""The suitability rule (Rn only for customers assessed Cn or above), enforced wherever a
customer comes to hold a product: staff-recorded transactions, imports, overrides approved by a
second person, and the job that queues holdings that became unsuitable for compliance."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

import backoffice.domains  # noqa: F401
from backoffice.domains.kpi import metrics
from backoffice.domains.suitability import rules as suitability
from backoffice.engine import service, transfer
from backoffice.engine.resource import get
from backoffice.i18n import translate
from backoffice.platform.business_time import local_today
from models.audit import AuditEntry
from models.customers import Customer
from models.notifications import Notification
from models.partners import Partner
from models.products import Product
from models.suitability import SuitabilityOverride, SuitabilityReview
from models.transactions import Transaction
from tests.factories import make_principal, take


@pytest.mark.parametrize(
    ("risk", "tolerance", "allowed"),
    [
        ("R1", "C1", True),
        ("R3", "C2", False),
        ("R3", "C3", True),
        ("R3", "C5", True),
        ("R5", "C4", False),
        ("R5", "C5", True),
        ("R2", None, False),
        ("R9", "C5", False),
        ("R2", "C0", False),
    ],
)
def test_rule(risk, tolerance, allowed):
    assert suitability.may_buy(risk, tolerance) is allowed


def test_eligible_tolerances():
    assert suitability.eligible_tolerances("R4") == ["C4", "C5"]
    assert suitability.eligible_tolerances("R1") == ["C1", "C2", "C3", "C4", "C5"]


def test_counts_only_assessed_approved_customers(session):
    for n, (tolerance, status) in enumerate(
        [
            ("C5", "approved"),
            ("C4", "approved"),
            ("C4", "pending"),
            ("C2", "approved"),
            (None, "not_started"),
        ]
    ):
        session.add(
            Customer(
                customer_no=f"C{n}",
                name_masked="x",
                name_cipher="x",
                name_hash="h",
                id_number_cipher="x",
                id_number_hash=f"h{n}",  # one customer per ID number
                phone_cipher="x",
                phone_hash="h",
                registered_at=datetime.now(UTC),
                kyc_status=status,
                risk_tolerance=tolerance,
            )
        )
    session.commit()
    assert suitability.eligible_customers(session, "R4") == {"C4": 1, "C5": 1}


# --- enforced wherever a customer comes to hold a product -------------------------------------
TRANSACTION = get("transaction")
OVERRIDE = get("suitability_override")
REVIEW = get("suitability_review")


@pytest.fixture
def desk(session):
    """A customer-service lead who records and requests, and a compliance officer."""
    return make_principal(session, "cs.lead", ["cs_lead"]), make_principal(
        session, "comp.a", ["compliance"]
    )


def _holder(session, no, tolerance, kyc="approved", **extra):
    customer = Customer(
        customer_no=no,
        name_masked="x",
        name_cipher="x",
        name_hash="h",
        id_number_cipher="x",
        id_number_hash=f"h{no}",  # one customer per ID number
        phone_cipher="x",
        phone_hash="h",
        registered_at=datetime.now(UTC),
        kyc_status=kyc,
        risk_tolerance=tolerance,
        **extra,
    )
    session.add(customer)
    session.commit()
    return customer


def _product(session, code, risk, **extra):
    partner = session.exec(sa.select(Partner)).scalars().first()
    if partner is None:
        partner = Partner(name="甲银行", kind="bank", licence_no="L1", status="active")
        session.add(partner)
        session.flush()
    product = Product(
        code=code,
        name=code,
        product_type="mutual_fund",
        partner_id=partner.id,
        risk_level=risk,
        min_purchase=Decimal("1000.00"),
        subscription_fee_rate=Decimal("1.5000"),
        **{"status": "on_sale", **extra},
    )
    session.add(product)
    session.commit()
    return product


def _counts(session):
    return {
        model.__tablename__: session.execute(sa.select(sa.func.count()).select_from(model)).scalar()
        for model in (Transaction, SuitabilityOverride, SuitabilityReview, AuditEntry)
    }


def _record(session, principal, customer, product, amount="5000", kind="subscription"):
    result = service.create(
        session,
        principal=principal,
        resource=TRANSACTION,
        values={
            "customer_id": str(customer.id),
            "product_id": str(product.id),
            "kind": kind,
            "amount": amount,
        },
    )
    if result.ok:
        session.commit()
    else:
        session.rollback()
    return result


def test_each_refusal_has_its_reason(session):
    today = local_today()
    fine = _holder(session, "C1", "C3")
    product = _product(session, "P3", "R3")

    def reason(customer=fine, item=product, kind="subscription", amount="5000"):
        refusal = suitability.holding_refusal(session, customer, item, kind, Decimal(amount), today)
        return refusal.reason if refusal else None

    assert reason() is None
    assert reason(customer=_holder(session, "C2", "C2")) == "unsuitable"
    assert reason(customer=_holder(session, "C3", "C5", kyc="pending")) == "kyc_not_approved"
    assert reason(customer=_holder(session, "C4", None)) == "not_assessed"
    ended = _holder(session, "C5", "C5", relationship_ended_on=today)
    assert reason(customer=ended) == "relationship_ended"
    assert reason(item=_product(session, "P4", "R1", status="suspended")) == "not_on_sale"
    later = _product(session, "P5", "R1", sale_start=today + timedelta(days=1))
    assert reason(item=later) == "sale_closed"
    over = _product(session, "P6", "R1", sale_end=today - timedelta(days=1))
    assert reason(item=over) == "sale_closed"
    assert reason(amount="999.99") == "below_minimum"
    # a customer may always sell what they hold, suitable or not; never more
    assert reason(kind="redemption", amount="1") == "exceeds_holding"
    # an unsuitable product with KYC also lapsed: the KYC refusal, which no override lifts
    lapsed = _holder(session, "C6", "C1", kyc="rejected")
    assert reason(customer=lapsed) == "kyc_not_approved"


def test_staff_recorded_unsuitable_subscription_is_refused_with_the_reason_and_nothing_written(
    session, desk
):
    lead, _officer = desk
    customer = _holder(session, "C000000042", "C2")
    product = _product(session, "FUND-R4", "R4")
    before = _counts(session)
    result = _record(session, lead, customer, product)
    assert result.errors == {"product_id": "suitability.refused.unsuitable"}
    en = translate(result.errors["product_id"], "en")
    zh = translate(result.errors["product_id"], "zh")
    for text in (en, zh):
        assert "C000000042" in text and "C2" in text and "R4" in text and "C4" in text
    assert en.startswith("Unsuitable") and zh.startswith("不适当")
    assert _counts(session) == before


def test_a_suitable_subscription_is_recorded_settled_priced_and_audited_and_may_be_redeemed(
    session, desk
):
    lead, _officer = desk
    customer = _holder(session, "C7", "C4")
    product = _product(session, "FUND-R4", "R4")
    result = _record(session, lead, customer, product, amount="20000")
    assert result.ok, result
    txn = session.get(Transaction, result.record_id)
    assert (txn.status, txn.channel, txn.fee) == ("settled", "staff", Decimal("300.00"))
    assert txn.txn_no.startswith("S")
    assert session.exec(
        sa.select(AuditEntry).where(AuditEntry.action == "transaction.create")
    ).first()
    # the customer's tolerance falls: a redemption still goes through, but not beyond the holding
    customer.risk_tolerance = "C1"
    session.add(customer)
    session.commit()
    refused = _record(session, lead, customer, product, amount="20000.01", kind="redemption")
    assert refused.errors == {"amount": "suitability.refused.exceeds_holding"}
    assert "20,000.00" in translate(refused.errors["amount"], "en")
    assert _record(session, lead, customer, product, amount="20000", kind="redemption").ok
    assert suitability.position(session, customer.id, product.id) == Decimal("0.00")


def _csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Customer", "Product", "Kind", "Amount"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def test_import_with_one_unsuitable_row_is_refused_whole_with_the_rows_reason(session, desk):
    lead, _officer = desk
    bold, careful = _holder(session, "C8", "C5"), _holder(session, "C9", "C1")
    risky, safe = _product(session, "FUND-R5", "R5"), _product(session, "MM-R1", "R1")
    file = transfer.read_table(
        _csv(
            [
                [bold.id, risky.id, "subscription", "5000"],
                [careful.id, safe.id, "申购", "2000"],
                [careful.id, risky.id, "subscription", "3000"],
            ]
        ),
        "txns.csv",
    )
    schema = service.schema_of(session, TRANSACTION)
    mapping = transfer.suggest_mapping(transfer.importable_fields(schema, lead), file.columns)
    assert mapping == ["customer_id", "product_id", "kind", "amount"]
    before = _counts(session)
    for commit in (False, True):  # the check before the import, and the import itself
        check = transfer.run_import(
            session,
            principal=lead,
            resource=TRANSACTION,
            file=file,
            mapping=mapping,
            lang="en",
            commit=commit,
        )
        session.rollback()  # what the import page does when the result has errors
        assert [(e.row, e.field) for e in check.errors] == [(4, "Product")]
        assert "C1" in check.errors[0].message and "R5" in check.errors[0].message
        assert _counts(session) == before


def _request(
    session, lead, customer, product, reason="客户书面确认了解风险并坚持申购，已录音", amount="8000"
):
    result = service.create(
        session,
        principal=lead,
        resource=OVERRIDE,
        values={
            "customer_id": str(customer.id),
            "product_id": str(product.id),
            "amount": amount,
            "reason": reason,
        },
    )
    if result.ok:
        session.commit()
    else:
        session.rollback()
    return result


def test_an_override_holds_nothing_until_another_person_approves_it_then_is_recorded(session, desk):
    lead, officer = desk
    customer = _holder(session, "C10", "C2")
    product = _product(session, "FUND-R4", "R4")
    today = local_today()
    aum_before = metrics.aum_at_end_of(session, today)
    short = _request(session, lead, customer, product, reason="客户坚持")
    assert short.errors == {"reason": "suitability.reason_too_short"}
    assert "15" in translate(short.errors["reason"], "en")
    requested = _request(session, lead, customer, product)
    assert requested.ok, requested
    override = session.get(SuitabilityOverride, requested.record_id)
    assert (override.status, override.customer_tolerance, override.product_risk) == (
        "requested",
        "C2",
        "R4",
    )
    # pending: no transaction, no holding, no AUM
    assert session.execute(sa.select(sa.func.count()).select_from(Transaction)).scalar() == 0
    assert suitability.position(session, customer.id, product.id) == Decimal("0.00")
    assert metrics.aum_at_end_of(session, today) == aum_before
    # a requester cannot approve: not by the rights of their role, nor holding both roles
    assert take(session, lead, OVERRIDE, override, "approve").message == "auth.denied"
    both = make_principal(session, "both.roles", ["cs_lead", "compliance"])
    own = _request(session, both, customer, product)
    own_override = session.get(SuitabilityOverride, own.record_id)
    assert take(session, both, OVERRIDE, own_override, "approve").message == (
        "workflow.maker_checker"
    )
    assert own_override.status == "requested"
    # approved by another person: the subscription is recorded and counted from now
    assert take(session, officer, OVERRIDE, override, "approve").ok
    assert override.status == "approved" and override.transaction_id is not None
    txn = session.get(Transaction, override.transaction_id)
    assert (txn.kind, txn.amount, txn.status) == ("subscription", Decimal("8000.00"), "settled")
    assert suitability.position(session, customer.id, product.id) == Decimal("8000.00")
    assert metrics.aum_at_end_of(session, today) == aum_before + Decimal("8000.00")
    actions = set(
        session.exec(
            sa.select(AuditEntry.action).where(AuditEntry.actor == officer.username)
        ).scalars()
    )
    assert {
        "suitability_override.transition.approve",
        "transaction.create",
        "suitability_override.recorded",
    } <= actions
    # rejection voids a request: nothing recorded
    rejected = session.get(
        SuitabilityOverride, _request(session, lead, customer, product).record_id
    )
    assert take(session, officer, OVERRIDE, rejected, "reject").ok
    assert rejected.status == "rejected" and rejected.transaction_id is None
    assert suitability.position(session, customer.id, product.id) == Decimal("8000.00")


def test_an_override_lifts_only_unsuitability(session, desk):
    lead, officer = desk
    product = _product(session, "FUND-R4", "R4")
    suitable = _request(session, lead, _holder(session, "C11", "C5"), product)
    assert suitable.errors == {"product_id": "suitability.override_not_needed"}
    pending = _request(session, lead, _holder(session, "C12", "C1", kyc="pending"), product)
    assert pending.errors == {"customer_id": "suitability.refused.kyc_not_approved"}
    # the product is suspended between the request and the approval: the approval is refused
    request = _request(session, lead, _holder(session, "C13", "C1"), product)
    override = session.get(SuitabilityOverride, request.record_id)
    session.execute(sa.update(Product).where(Product.id == product.id).values(status="suspended"))
    session.commit()
    before = _counts(session)
    refused = take(session, officer, OVERRIDE, override, "approve")
    assert refused.message == "suitability.refused.not_on_sale"
    assert "FUND-R4" in translate(refused.message, "zh")
    assert override.status == "requested" and _counts(session) == before


def _settle(session, customer, product, amount, kind="subscription"):
    session.add(
        Transaction(
            txn_no=f"T{customer.id}-{product.id}-{kind[0]}-{amount}",
            customer_id=customer.id,
            product_id=product.id,
            kind=kind,
            amount=Decimal(amount),
            status="settled",
            occurred_at=datetime.now(UTC),
        )
    )
    session.commit()


def _queue(session):
    result = suitability.queue_unsuitable_holdings(session)
    session.commit()
    return result, session.exec(
        sa.select(SuitabilityReview).order_by(SuitabilityReview.id)
    ).scalars().all()


def test_holdings_that_become_unsuitable_enter_the_compliance_queue_once(session):
    customer = _holder(session, "C14", "C4")
    other = _holder(session, "C15", "C3")
    r3, r4 = _product(session, "FUND-R3", "R3"), _product(session, "FUND-R4", "R4")
    sold = _product(session, "FUND-R5-SOLD", "R3")
    _settle(session, customer, r4, "10000")
    _settle(session, customer, r3, "5000")
    _settle(session, other, r3, "7000")
    _settle(session, other, sold, "3000")
    _settle(session, other, sold, "3000", kind="redemption")
    # all suitable: nothing
    assert _queue(session) == ("0 holdings queued for review", [])
    # the customer's tolerance falls to C3: the R4 holding, once, however often the job runs
    customer.risk_tolerance = "C3"
    session.add(customer)
    session.commit()
    result, items = _queue(session)
    assert result == "1 holdings queued for review"
    assert [(i.customer_id, i.product_id, i.customer_tolerance, i.product_risk) for i in items] == [
        (customer.id, r4.id, "C3", "R4")
    ]
    assert items[0].position == Decimal("10000.00") and items[0].status == "open"
    assert _queue(session)[1] == items
    notes = (
        session.exec(sa.select(Notification).where(Notification.role == "compliance"))
        .scalars()
        .all()
    )
    assert len(notes) == 1 and notes[0].link == "/r/suitability_review?queue=open"
    # the product's risk rises: both holders of R3 (the sold-out holding is no holding)
    session.execute(
        sa.update(Product).where(Product.id.in_([r3.id, sold.id])).values(risk_level="R5")
    )
    session.commit()
    result, items = _queue(session)
    assert result == "2 holdings queued for review"
    assert sorted((i.customer_id, i.product_id, i.product_risk) for i in items[1:]) == sorted(
        [(customer.id, r3.id, "R5"), (other.id, r3.id, "R5")]
    )
    assert _queue(session)[0] == "0 holdings queued for review"
    assert len(session.exec(sa.select(Notification)).all()) == 2
    assert (
        session.execute(
            sa.select(sa.func.count()).where(AuditEntry.action == "suitability_review.create")
        ).scalar()
        == 3
    )


def test_an_approved_override_is_not_queued_again_and_a_review_is_closed_with_a_note(session, desk):
    lead, officer = desk
    customer = _holder(session, "C16", "C2")
    product = _product(session, "FUND-R4", "R4")
    override = session.get(
        SuitabilityOverride, _request(session, lead, customer, product).record_id
    )
    assert take(session, officer, OVERRIDE, override, "approve").ok
    assert _queue(session)[1] == []  # compliance approved exactly this mismatch
    customer.risk_tolerance = "C1"  # a further fall is a new situation
    session.add(customer)
    session.commit()
    (item,) = _queue(session)[1]
    assert take(session, officer, REVIEW, item, "close").message == "workflow.missing_fields"
    saved = service.update(
        session,
        principal=officer,
        resource=REVIEW,
        record_id=item.id,
        version=item.version,
        values={"note": "已联系客户，建议逐步赎回"},
    )
    assert saved.ok, saved
    session.commit()
    assert take(session, officer, REVIEW, item, "close").ok
    assert item.status == "reviewed"
    assert take(session, officer, REVIEW, item, "close").message == ("workflow.not_from_this_state")


def test_two_redemptions_written_at_once_cannot_both_spend_one_holding(session, desk, monkeypatch):
    """B checks its redemption while A's is written but not committed; B's write then waits
    for A's lock and checks again against what A committed."""
    import threading

    from backoffice.db import session_scope

    lead, _officer = desk
    customer = _holder(session, "C17", "C3")
    product = _product(session, "FUND-R3", "R3")
    _settle(session, customer, product, "10000")
    a_written, b_checked = threading.Event(), threading.Event()
    plain_values, plain_position = suitability.transaction_values, suitability.position
    wait = 1 if session.get_bind().dialect.name == "sqlite" else 10  # SQLite: B waits at BEGIN

    def a_holds_its_lock(*args, **kwargs):
        if threading.current_thread().name == "a":
            a_written.set()
            b_checked.wait(wait)
        return plain_values(*args, **kwargs)

    def b_reads(*args, lock=False):
        held = plain_position(*args, lock=lock)
        if threading.current_thread().name == "b" and not lock:
            b_checked.set()
        return held

    monkeypatch.setattr(suitability, "transaction_values", a_holds_its_lock)
    monkeypatch.setattr(suitability, "position", b_reads)
    results = {}

    def redeem(name):
        if name == "b":
            a_written.wait(10)
        with session_scope(write=True) as own:
            results[name] = service.create(
                own,
                principal=lead,
                resource=TRANSACTION,
                values={
                    "customer_id": str(customer.id),
                    "product_id": str(product.id),
                    "kind": "redemption",
                    "amount": "8000",
                },
            )

    threads = [threading.Thread(target=redeem, args=(n,), name=n) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results["a"].ok, results["a"]
    assert results["b"].errors == {"amount": "suitability.refused.exceeds_holding"}
    session.expire_all()
    assert suitability.position(session, customer.id, product.id) == Decimal("2000.00")
