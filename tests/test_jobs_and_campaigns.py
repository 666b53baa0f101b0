"""Scheduled jobs run once per tick across workers; campaign budget and schedule rules;
contract expiry warnings reach product managers once."""

import itertools
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from backoffice.domains.campaigns import rules as campaigns
from backoffice.domains.partners import jobs as partner_jobs
from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.platform import jobs, notifications
from backoffice.platform.business_time import local_today
from models.base import utcnow
from models.campaigns import Campaign
from models.jobs import JobRun
from models.notifications import Notification
from models.partners import Partner
from tests.factories import make_principal

SPEND = get("campaign_spend")
_CODES = itertools.count(100)
CAMPAIGN = get("campaign")


@pytest.fixture
def scratch_jobs(monkeypatch):
    """Jobs a test declares (labelled nowhere) leave the registry, and the jobs page, with it."""
    monkeypatch.setattr(jobs, "_JOBS", {job.name: job for job in jobs.registered()})


def test_a_job_runs_once_per_tick_across_several_workers(clean_db, scratch_jobs):
    counter = {"runs": 0}
    lock = threading.Lock()

    @jobs.job("test.count", timedelta(minutes=5))
    def count(_session):
        with lock:
            counter["runs"] += 1
        return "counted"

    barrier = threading.Barrier(4)
    results = []

    def worker(n: int) -> None:
        barrier.wait()
        try:
            results.append(jobs.run_job("test.count", holder=f"worker-{n}"))
        except Exception:
            results.append(None)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter["runs"] == 1
    assert sum(r is not None for r in results) == 1
    assert jobs.run_job("test.count", holder="late") is None, "the tick is already taken"
    forced = jobs.run_job("test.count", force=True)
    assert forced.status == "ok" and forced.result == "counted" and counter["runs"] == 2


def test_a_failing_job_is_recorded_not_raised(clean_db, session, scratch_jobs):
    @jobs.job("test.fail", timedelta(minutes=5))
    def fail(_session):
        raise RuntimeError("boom")

    run = jobs.run_job("test.fail")
    assert run.status == "failed" and "boom" in run.result
    assert session.exec(select(JobRun).where(JobRun.name == "test.fail")).one().finished_at


def _campaign(session, **overrides):
    values = {
        "code": f"T{next(_CODES)}",
        "name": "首投返现",
        "kind": "cash_back",
        "channel": "online",
        "start_date": local_today(),
        "end_date": local_today() + timedelta(days=30),
        "budget": Decimal("1000.00"),
        "status": "running",
        **overrides,
    }
    campaign = Campaign(**values)
    session.add(campaign)
    session.commit()
    return campaign.id


def test_budget_warns_at_80_and_stops_at_100_percent(session):
    marketing = make_principal(session, "mkt.a", ["marketing"])
    campaign_id = _campaign(session)

    def spend(amount):
        result = service.create(
            session,
            principal=marketing,
            resource=SPEND,
            values={"campaign_id": str(campaign_id), "amount": amount},
        )
        session.commit()
        return result

    assert spend("700").ok
    assert session.exec(select(Notification)).all() == []
    assert spend("150").ok
    warning = session.exec(select(Notification)).one()
    assert warning.role == "marketing" and "80%" in warning.title_zh
    refused = spend("150.01")
    assert refused.errors == {"amount": "campaign.budget_exceeded"}
    assert session.get(Campaign, campaign_id).spent == Decimal("850.00")
    assert spend("150").ok
    campaign = session.get(Campaign, campaign_id)
    session.refresh(campaign)
    assert campaign.spent == Decimal("1000.00") and campaign.status == "ended"
    assert spend("1").errors == {"campaign_id": "campaign.not_running"}
    assert len(session.exec(select(Notification)).all()) == 2
    # the ledger over time: cumulative share of the budget, one point per day
    series = campaigns.spend_over_time(session)[campaign_id]
    assert series[-1][1] == Decimal("100.0")
    assert all(a[1] <= b[1] for a, b in itertools.pairwise(series))


def test_scheduled_campaigns_start_and_end_by_themselves(session):
    today = date(2026, 12, 1)
    due = _campaign(
        session,
        name="到期开始",
        status="scheduled",
        start_date=today,
        end_date=today + timedelta(days=5),
    )
    later = _campaign(
        session,
        name="以后开始",
        status="scheduled",
        start_date=today + timedelta(days=1),
        end_date=today + timedelta(days=5),
    )
    over = _campaign(
        session,
        name="已过期",
        status="running",
        start_date=today - timedelta(days=9),
        end_date=today - timedelta(days=1),
    )
    assert campaigns.advance_schedule(session, today) == "started 1, ended 1"
    session.commit()
    assert [session.get(Campaign, i).status for i in (due, later, over)] == [
        "running",
        "scheduled",
        "ended",
    ]
    assert campaigns.advance_schedule(session, today) == "started 0, ended 0", "idempotent"


def test_the_creator_cannot_approve_their_own_campaign(session):
    maker = make_principal(session, "mkt.maker", ["marketing"])
    checker = make_principal(session, "mkt.checker", ["marketing"])
    created = service.create(
        session,
        principal=maker,
        resource=CAMPAIGN,
        values={
            "code": "NEWBIE27",
            "name": "新人红包",
            "kind": "signup_bonus",
            "channel": "online",
            "start_date": "2027-01-01",
            "end_date": "2027-01-31",
            "budget": "50000",
        },
    )
    session.commit()
    assert created.ok
    refused = service.transition(
        session,
        principal=maker,
        resource=CAMPAIGN,
        record_id=created.record_id,
        version=1,
        transition_key="schedule",
    )
    assert refused.message == "workflow.maker_checker"
    assert service.transition(
        session,
        principal=checker,
        resource=CAMPAIGN,
        record_id=created.record_id,
        version=1,
        transition_key="schedule",
    ).ok


def test_contract_expiry_warnings_go_out_once_at_30_and_7_days(session):
    today = utcnow().astimezone().date()
    for name, days in (("三十天", 25), ("七天", 6), ("远", 90), ("已过", -3)):
        session.add(
            Partner(
                name=name,
                kind="bank",
                licence_no=name,
                status="active",
                contract_end=today + timedelta(days=days),
            )
        )
    session.commit()
    first = partner_jobs.contract_expiry(session)
    session.commit()
    assert first.endswith("2 new warnings")
    assert partner_jobs.contract_expiry(session).endswith("0 new warnings")
    titles = sorted(n.title_zh for n in session.exec(select(Notification)).all())
    assert len(titles) == 2 and all(
        n.role == "product_manager" for n in session.exec(select(Notification)).all()
    )


def test_notifications_reach_the_role_and_are_marked_read(session):
    pm = make_principal(session, "pm.n", ["product_manager"])
    agent = make_principal(session, "agent.n", ["cs_agent"])
    notifications.notify(
        session,
        kind="general",
        role="product_manager",
        dedupe_key="k1",
        title_zh="甲",
        title_en="A",
    )
    notifications.notify(
        session, kind="general", user_id=agent.user_id, dedupe_key="k2", title_zh="乙", title_en="B"
    )
    assert not notifications.notify(
        session,
        kind="general",
        role="product_manager",
        dedupe_key="k1",
        title_zh="甲",
        title_en="A",
    )
    session.commit()
    assert [i.title for i in notifications.recent(session, principal=pm, lang="en")] == ["A"]
    assert notifications.unread_count(session, principal=agent) == 1
    assert notifications.mark_all_read(session, principal=pm) == 1
    session.commit()
    assert notifications.unread_count(session, principal=pm) == 0
    with pytest.raises(ValueError):
        notifications.notify(session, kind="general", dedupe_key="k3", title_zh="", title_en="")


def test_the_bell_merges_the_newest_of_the_user_and_each_role(session):
    officer = make_principal(session, "kyc.m", ["compliance", "cs_lead"])
    other = make_principal(session, "pm.m", ["product_manager"])
    posted = []
    for n in range(12):  # interleaved: the user, two of their roles, and others' addressees
        addressee = [
            {"user_id": officer.user_id},
            {"role": "compliance"},
            {"role": "cs_lead"},
            {"role": "product_manager"},
            {"user_id": other.user_id},
        ][n % 5]
        notifications.notify(
            session,
            kind="general",
            dedupe_key=f"m{n}",
            title_zh=f"通知{n}",
            title_en=f"N{n}",
            **addressee,
        )
        if n % 5 < 3:
            posted.append(f"N{n}")
    session.commit()
    newest = [i.title for i in notifications.recent(session, principal=officer, lang="en", limit=4)]
    assert newest == list(reversed(posted))[:4]
    everything = notifications.recent(session, principal=officer, lang="en")
    assert [i.title for i in everything] == list(reversed(posted))  # 8 of the 12, newest first
    assert not any(i.read for i in everything)
    assert notifications.unread_count(session, principal=officer) == 8
    assert notifications.unread_count(session, principal=officer, cap=2) == 3  # shows "2+"
    assert notifications.mark_all_read(session, principal=officer) == 8
    session.commit()
    assert all(i.read for i in notifications.recent(session, principal=officer, lang="en"))
    assert notifications.unread_count(session, principal=officer) == 0
    assert notifications.unread_count(session, principal=other) == 4  # theirs stay unread


def test_the_bell_walks_indexes_not_the_whole_notification_table(session):
    """SQLite's plan for the bell's two queries searches each addressee's index and looks up
    read marks by key; the OR it replaced scanned every notification, newest to oldest, and
    the IN (the user's read marks) scanned every user's marks."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    officer = make_principal(session, "kyc.p", ["compliance", "cs_lead"])
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM notification " in statement or "FROM notification_preference" in statement:
            statements.append((statement, parameters))

    bind = session.get_bind()
    sa.event.listen(bind, "before_cursor_execute", capture)
    try:
        notifications.recent(session, principal=officer, lang="en")
        notifications.unread_count(session, principal=officer)
    finally:
        sa.event.remove(bind, "before_cursor_execute", capture)
    assert len(statements) == 4  # each reads the person's choices first
    for statement, parameters in statements:
        plan = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        steps = [row[-1] for row in plan]
        scans = [
            s for s in steps if s.split()[0] == "SCAN" and s.split()[1].startswith("notification")
        ]
        assert not scans, steps
        if "notification_preference" in statement:
            continue
        marks = [s for s in steps if s.startswith("SEARCH notification_read")]
        assert marks and all("(notification_id=? AND user_id=?)" in s for s in marks), steps
        kind = "" if "count(" in statement else "kind_"  # the count walks (addressee, id)
        assert any(f"ix_notification_role_{kind}newest" in s for s in steps), steps
        assert any(f"ix_notification_user_{kind}newest" in s for s in steps), steps


def test_the_unread_count_stops_counting_past_its_cap(session):
    """A busy role's bell shows "3+" (99+ in the app) without counting every row."""
    from state.notifications import NotificationState

    officer = make_principal(session, "kyc.n", ["compliance"])
    for n in range(5):
        notifications.notify(
            session,
            kind="general",
            role="compliance",
            dedupe_key=f"c{n}",
            title_zh="案",
            title_en="Case",
        )
    session.commit()
    assert notifications.unread_count(session, principal=officer, cap=3) == 4
    assert notifications.unread_count(session, principal=officer) == 5
    bell = NotificationState(_reflex_internal_init=True)
    bell.unread = notifications.UNREAD_CAP + 1
    assert bell.unread_text == "99+"
    bell.unread = 7
    assert bell.unread_text == "7"


def test_results_count_new_customers_conversions_and_cpa(session):
    from models.customers import Customer
    from models.transactions import Transaction

    campaign_id = _campaign(session, spent=Decimal("300.00"))
    for n in range(3):
        session.add(
            Customer(
                customer_no=f"R{n}",
                name_masked="x",
                name_cipher="x",
                name_hash="h",
                id_number_cipher="x",
                id_number_hash=f"h{n}",  # one customer per ID number
                phone_cipher="x",
                phone_hash="h",
                registered_at=utcnow(),
                campaign_id=campaign_id,
            )
        )
    session.add(Partner(id=99, name="p", kind="bank", licence_no="1", status="active"))
    session.commit()
    from models.products import Product

    product = Product(
        code="X",
        name="x",
        product_type="bond",
        partner_id=99,
        risk_level="R2",
        min_purchase=Decimal("1"),
    )
    session.add(product)
    session.commit()
    buyer = session.exec(select(Customer).where(Customer.customer_no == "R0")).one()
    for n, kind in enumerate(("subscription", "subscription", "redemption")):
        session.add(
            Transaction(
                txn_no=f"RT{n}",
                customer_id=buyer.id,
                product_id=product.id,
                kind=kind,
                amount=Decimal("100"),
                occurred_at=utcnow(),
            )
        )
    session.commit()
    row = next(r for r in campaigns.results(session) if r["id"] == campaign_id)
    assert (row["new_customers"], row["conversions"]) == (3, 1)
    assert row["cpa"] == Decimal("100.00") and row["used"] == Decimal("30")


def test_spend_over_time_accumulates_by_staff_day(session):
    from datetime import UTC, datetime

    from models.campaigns import CampaignSpend

    campaign_id = _campaign(session, budget=Decimal("1000.00"))
    for at, amount in (
        (datetime(2026, 3, 1, 2, 0, tzinfo=UTC), "100"),  # 1 March in Shanghai
        (datetime(2026, 3, 1, 15, 0, tzinfo=UTC), "50"),  # 23:00 on 1 March in Shanghai
        (datetime(2026, 3, 1, 17, 0, tzinfo=UTC), "250"),  # 01:00 on 2 March in Shanghai
    ):
        session.add(CampaignSpend(campaign_id=campaign_id, amount=Decimal(amount), created_at=at))
    session.commit()
    assert campaigns.spend_over_time(session)[campaign_id] == [
        (date(2026, 3, 1), Decimal("15.0")),
        (date(2026, 3, 2), Decimal("40.0")),
    ]
