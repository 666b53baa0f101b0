"""Webhooks against a real HTTP receiver on a local port: signed deliveries of the subscribed
kinds only, retries with backoff, a failing subscription disabled with a notice to the
administrators, manual redelivery (never of a pending delivery), the outbox surviving a killed
process, concurrent delivery runs that never send twice, the daily purge of what is over, a
form-made subscription's secret shown once before anything is sent, a name rebinding inward
between the check and the connection, and each place the staff's decisions emit an event."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.domains.integrations import webhooks
from backoffice.domains.kyc import rules as kyc
from backoffice.domains.products import rules as product_rules
from backoffice.domains.questionnaire import rules as questionnaire
from backoffice.domains.tickets import rules as desk
from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.platform.business_time import local_today
from backoffice.security.rbac import Principal
from models.audit import AuditEntry
from models.base import utcnow
from models.campaigns import Campaign
from models.identity import User
from models.integrations import WebhookDelivery, WebhookEvent, WebhookSubscription
from models.notifications import Notification
from models.products import ProductChange
from tests.factories import (
    disclose,
    make_customer,
    make_principal,
    make_questionnaire,
    make_user,
    new_product,
    open_kyc_case,
    open_ticket,
    take,
)

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A local HTTP server that keeps what it receives and answers with the scripted statuses
    (200 once the script is used up)."""

    url: str
    received: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    always: int = 200
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Received) -> int:
        time.sleep(self.delay)
        with self.lock:
            self.received.append(request)
            return self.script.pop(0) if self.script else self.always


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = box[0].answer(Received(self.path, dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(url=f"http://127.0.0.1:{server.server_address[1]}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box[0]
    server.shutdown()
    server.server_close()


@pytest.fixture
def admin(session: Session) -> Principal:
    return make_principal(session, "it.admin", ["admin"])


def _subscribe(
    session: Session, admin: Principal, receiver: Receiver, path: str, events: list[str]
) -> tuple[WebhookSubscription, str]:
    subscription, secret = webhooks.create_subscription(
        session, actor=admin, name=path.strip("/"), url=receiver.url + path, events=events
    )
    session.commit()
    return subscription, secret


def _emit(session: Session, kind: str = "product.published", entity_id: int = 7) -> WebhookEvent:
    event = webhooks.emit(
        session, kind, "product", entity_id, {"product_id": entity_id, "rate": Decimal("3.10")}
    )
    session.commit()
    return event


def _reread(session: Session, *records: object) -> None:
    """End the test's read transaction (a snapshot on SQLite) and read the rows afresh."""
    session.commit()
    session.expire_all()
    for record in records:
        session.refresh(record)


def _deliveries(session: Session) -> list[WebhookDelivery]:
    _reread(session)
    return list(session.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)).all())


def _later(minutes: float) -> object:
    return utcnow() + timedelta(minutes=minutes)


# --- subscriptions ------------------------------------------------------------------------------
def test_a_subscription_needs_an_http_address_and_known_kinds_and_is_audited(session, admin):
    clerk = make_principal(session, "it.clerk", ["cs_agent"])
    with pytest.raises(webhooks.WebhookRefused, match=r"auth\.denied"):
        webhooks.create_subscription(
            session, actor=clerk, name="x", url="https://a.example/h", events="ticket.resolved"
        )
    for url in ("ftp://a.example/h", "javascript:alert(1)", "https://"):
        with pytest.raises(webhooks.WebhookRefused, match=r"webhook\.bad_url"):
            webhooks.create_subscription(
                session, actor=admin, name="x", url=url, events="ticket.resolved"
            )
    with pytest.raises(webhooks.WebhookRefused, match=r"webhook\.unknown_event"):
        webhooks.create_subscription(
            session, actor=admin, name="x", url="https://a.example/h", events="ticket.deleted"
        )
    assert session.exec(select(WebhookSubscription)).all() == []
    subscription, secret = webhooks.create_subscription(
        session,
        actor=admin,
        name="platform",
        url="https://a.example/h",
        events=["ticket.resolved", "product.published"],
    )
    session.commit()
    assert secret.startswith("whsec_") and secret not in subscription.secret_cipher
    assert subscription.events == "product.published,ticket.resolved"  # catalogue order
    rotated = webhooks.rotate_secret(session, actor=admin, subscription_id=subscription.id)
    webhooks.update_subscription(
        session, actor=admin, subscription_id=subscription.id, events="campaign.started"
    )
    session.commit()
    assert rotated != secret
    actions = session.exec(
        select(AuditEntry.action)
        .where(AuditEntry.entity == "webhook_subscription")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == [
        "webhook_subscription.create",
        "webhook_subscription.rotate_secret",
        "webhook_subscription.edit",
    ]
    assert all(secret not in e.changes and rotated not in e.changes for e in _audit(session))


def _audit(session: Session) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry)).all())


def test_the_engine_form_makes_a_subscription_without_a_secret_and_never_shows_one(session, admin):
    resource = get("webhook_subscription")
    saved = service.create(
        session,
        principal=admin,
        resource=resource,
        values={
            "name": "crm",
            "url": "https://crm.example/in",
            "events": "kyc_case.decided",
            "is_active": "true",
        },
    )
    session.commit()
    assert saved.ok, saved
    row = session.get(WebhookSubscription, saved.record_id)
    assert row.secret_cipher == "" and not webhooks.has_secret(row)  # made on its page, shown
    assert "secret_cipher" not in {f.name for f in resource.fields}
    refused = service.create(
        session, principal=admin, resource=resource, values={"name": "x", "url": "ftp://x"}
    )
    assert refused.errors["url"] == "webhook.bad_url"
    for log in ("webhook_event", "webhook_delivery"):  # made by events only
        with pytest.raises(service.EngineError, match=r"^record\.not_creatable$"):
            service.create(session, principal=admin, resource=get(log), values={})

    # disabled on the form: stamped; enabled again: the failure count starts afresh
    def edit(active: str) -> WebhookSubscription:
        _reread(session, row)
        result = service.update(
            session,
            principal=admin,
            resource=resource,
            record_id=row.id,
            version=row.version,
            values={"is_active": active},
        )
        assert result.ok, result
        session.commit()
        _reread(session, row)
        return row

    assert edit("false").disabled_at is not None
    session.execute(
        sa.update(WebhookSubscription)
        .where(WebhookSubscription.id == row.id)
        .values(consecutive_failures=4)
    )
    session.commit()
    enabled = edit("true")
    assert (enabled.is_active, enabled.disabled_at, enabled.consecutive_failures) == (True, None, 0)


def test_the_delivery_job_is_registered_and_delivers(session, admin, receiver):
    from backoffice.platform import jobs

    [job] = [j for j in jobs.registered() if j.name == "webhooks.deliver"]
    assert job.every == timedelta(seconds=30)
    assert job.label("en") == "Deliver webhooks"
    _subscribe(session, admin, receiver, "/p", ["product.published"])
    _emit(session)
    run = jobs.run_job("webhooks.deliver", force=True)
    assert (run.status, jobs.shown(run.result, "en")) == ("ok", "1 delivered, 0 failed")
    assert len(receiver.received) == 1


# --- delivery -------------------------------------------------------------------------------------
def test_a_delivery_is_signed_verifiable_and_goes_only_to_subscribers_of_its_kind(
    session, admin, receiver
):
    wanted, secret = _subscribe(session, admin, receiver, "/products", ["product.published"])
    _subscribe(session, admin, receiver, "/tickets", ["ticket.resolved"])
    event = _emit(session)

    assert webhooks.deliver_due() == "1 delivered, 0 failed"

    [got] = receiver.received
    assert got.path == "/products"
    assert got.headers["Backoffice-Event"] == "product.published"
    assert got.headers["Backoffice-Delivery"] == event.event_id
    assert got.json == {
        "id": event.event_id,
        "type": "product.published",
        "created_at": event.created_at.isoformat(),
        "data": {"product_id": 7, "rate": "3.10"},  # money as an exact decimal string
    }
    signature = got.headers["Backoffice-Signature"]
    timestamp = int(signature.split(",")[0].removeprefix("t="))
    assert abs(timestamp - time.time()) < 60
    assert webhooks.verify(secret, signature, got.body)
    assert not webhooks.verify(secret, signature, got.body.replace(b"3.10", b"9.10"))
    assert not webhooks.verify("whsec_other", signature, got.body)
    assert not webhooks.verify(secret, signature, got.body, now=timestamp + 3600)  # a replay
    [delivery] = _deliveries(session)
    assert (delivery.subscription_id, delivery.status, delivery.attempts) == (
        wanted.id,
        "delivered",
        1,
    )
    assert delivery.last_status == 200 and delivery.delivered_at is not None
    assert webhooks.deliver_due() == "0 delivered, 0 failed"  # nothing is sent twice
    assert len(receiver.received) == 1


def test_an_event_nobody_subscribes_to_is_not_written(session, admin, receiver):
    _subscribe(session, admin, receiver, "/t", ["ticket.resolved"])
    assert webhooks.emit(session, "product.published", "product", 1, {"product_id": 1}) is None
    session.commit()
    assert session.exec(select(WebhookEvent)).all() == []


def test_an_event_of_a_rolled_back_change_is_never_sent(session, admin, receiver):
    _subscribe(session, admin, receiver, "/p", ["product.published"])
    webhooks.emit(session, "product.published", "product", 1, {"product_id": 1})
    session.rollback()
    assert session.exec(select(WebhookEvent)).all() == []
    assert webhooks.deliver_due() == "0 delivered, 0 failed"
    assert receiver.received == []


def test_a_failed_attempt_is_retried_after_a_growing_wait_then_delivered(session, admin, receiver):
    subscription, _secret = _subscribe(session, admin, receiver, "/p", ["product.published"])
    receiver.script = [500]
    _emit(session)

    assert webhooks.deliver_due() == "0 delivered, 1 failed"
    [delivery] = _deliveries(session)
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at - delivery.last_attempt_at == timedelta(minutes=1)
    _reread(session, subscription)
    assert subscription.consecutive_failures == 1

    assert webhooks.deliver_due() == "0 delivered, 0 failed"  # not due yet
    assert webhooks.deliver_due(now=_later(1.5)) == "1 delivered, 0 failed"
    [delivery] = _deliveries(session)
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("delivered", 2, 200)
    _reread(session, subscription)
    assert subscription.consecutive_failures == 0
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body  # the same event again
    waits = [webhooks.backoff(n) for n in range(1, 9)]
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert waits[-1] == webhooks.MAX_BACKOFF


def test_a_subscription_failing_again_and_again_is_disabled_and_the_admins_told(
    session, admin, receiver
):
    subscription, _secret = _subscribe(session, admin, receiver, "/p", ["product.published"])
    receiver.always = 503
    first, second = _emit(session, entity_id=1), _emit(session, entity_id=2)
    rules = {"max_attempts": 2, "disable_after": 3}

    assert webhooks.deliver_due(now=_later(1), **rules) == "0 delivered, 2 failed"
    assert webhooks.deliver_due(now=_later(60), **rules) == "0 delivered, 1 failed"

    _reread(session, subscription)
    assert (subscription.is_active, subscription.consecutive_failures) == (False, 3)
    assert subscription.disabled_at is not None
    by_event = {d.event_id: d for d in _deliveries(session)}
    assert (by_event[first.id].status, by_event[first.id].attempts) == ("failed", 2)
    assert (by_event[second.id].status, by_event[second.id].attempts) == ("pending", 1)
    [notice] = session.exec(select(Notification).where(Notification.kind == "webhook")).all()
    assert notice.role == "admin" and subscription.name in notice.title_en
    assert notice.link == f"/r/webhook_subscription/record?id={subscription.id}"
    assert (
        session.exec(select(AuditEntry).where(AuditEntry.action == "webhook_subscription.disable"))
        .one()
        .actor
        == "system"
    )
    # a disabled subscription is sent nothing; its new events wait with the rest
    assert webhooks.deliver_due(now=_later(600), **rules) == "0 delivered, 0 failed"
    _emit(session, entity_id=3)
    assert [d.status for d in _deliveries(session)] == ["failed", "pending", "pending"]
    assert len(receiver.received) == 3
    # enabled again: what waited goes out, the failure count starts afresh
    receiver.always = 200
    webhooks.set_active(session, actor=admin, subscription_id=subscription.id, active=True)
    session.commit()
    assert webhooks.deliver_due(now=_later(600), **rules) == "2 delivered, 0 failed"
    _reread(session, subscription)
    assert (subscription.is_active, subscription.consecutive_failures) == (True, 0)


def test_an_administrator_redelivers_the_same_event(session, admin, receiver):
    subscription, _secret = _subscribe(session, admin, receiver, "/p", ["product.published"])
    event = _emit(session)
    webhooks.deliver_due()
    [delivery] = _deliveries(session)

    webhooks.redeliver(session, actor=admin, delivery_id=delivery.id)
    session.commit()
    [delivery] = _deliveries(session)
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert webhooks.deliver_due() == "1 delivered, 0 failed"
    assert [r.headers["Backoffice-Delivery"] for r in receiver.received] == [event.event_id] * 2
    _reread(session)

    # a disabled subscription's deliveries wait: redelivery is refused until it is enabled
    webhooks.set_active(session, actor=admin, subscription_id=subscription.id, active=False)
    session.commit()
    with pytest.raises(webhooks.WebhookRefused, match=r"webhook\.subscription_disabled"):
        webhooks.redeliver(session, actor=admin, delivery_id=delivery.id)
    clerk = make_principal(session, "it.clerk", ["cs_agent"])
    with pytest.raises(webhooks.WebhookRefused, match=r"auth\.denied"):
        webhooks.redeliver(session, actor=clerk, delivery_id=delivery.id)
    assert webhooks.deliver_due(now=_later(600)) == "0 delivered, 0 failed"
    actions = session.exec(
        select(AuditEntry.action).where(AuditEntry.entity == "webhook_delivery")
    ).all()
    assert actions == ["webhook_delivery.redeliver"]
    assert len(receiver.received) == 2


# --- retention ------------------------------------------------------------------------------------
def test_the_daily_purge_deletes_only_finished_deliveries_and_events_past_the_retention(
    session, admin, receiver, monkeypatch
):
    subscription, _secret = _subscribe(session, admin, receiver, "/p", ["product.published"])
    other, _secret = _subscribe(session, admin, receiver, "/q", ["product.published"])
    old = utcnow() - timedelta(days=91)
    recent = utcnow() - timedelta(days=89)
    events = {
        name: _emit(session, entity_id=n)
        for n, name in enumerate(
            ("old_delivered", "old_failed", "old_pending", "old_backoff", "old_half", "recent")
        )
    }
    rows = {(d.event_id, d.subscription_id): d for d in _deliveries(session)}

    def age(name: str, when: object, status: str, *, sub: object = None, **extra: object) -> None:
        event = events[name]
        session.execute(
            sa.update(WebhookEvent).where(WebhookEvent.id == event.id).values(created_at=when)
        )
        for subscriber in [sub] if sub else (subscription, other):
            row = rows[(event.id, subscriber.id)]
            session.execute(
                sa.update(WebhookDelivery)
                .where(WebhookDelivery.id == row.id)
                .values(created_at=when, last_attempt_at=when, status=status, **extra)
            )

    age("old_delivered", old, "delivered", attempts=1)
    age("old_failed", old, "failed", attempts=8)
    age("old_pending", old, "pending", attempts=0)  # its subscription was disabled long ago
    age("old_backoff", old, "pending", attempts=3, next_attempt_at=utcnow() + timedelta(hours=1))
    age("old_half", old, "delivered", sub=subscription)  # one subscriber got it, one waits
    age("old_half", old, "pending", sub=other, attempts=2)
    age("recent", recent, "delivered", attempts=1)
    session.commit()

    from backoffice.platform import jobs

    [job] = [j for j in jobs.registered() if j.name == "webhooks.purge"]
    assert job.every == timedelta(hours=24) and job.label("zh") == "清理过期的事件推送记录"
    run = jobs.run_job("webhooks.purge", force=True)
    assert run.status == "ok"
    assert jobs.shown(run.result, "en").startswith("5 deliveries and 2 events older than")

    _reread(session)
    left = {e.event_id for e in session.exec(select(WebhookEvent)).all()}
    assert left == {
        events[n].event_id for n in ("old_pending", "old_backoff", "old_half", "recent")
    }
    remaining = {(d.event_id, d.subscription_id, d.status) for d in _deliveries(session)}
    assert (events["old_half"].id, other.id, "pending") in remaining
    assert (events["old_half"].id, subscription.id, "delivered") not in remaining
    assert len(remaining) == 2 + 2 + 1 + 2
    [entry] = session.exec(
        select(AuditEntry).where(AuditEntry.action == "webhook_event.purge")
    ).all()
    assert entry.actor == "system"
    assert json.loads(entry.changes)["deliveries_deleted"] == [None, 5]
    assert json.loads(entry.changes)["events_deleted"] == [None, 2]

    # nothing more to delete: no second entry; the pending ones still go out afterwards
    assert webhooks.purge_finished(session).startswith("0 deliveries and 0 events")
    session.commit()
    assert (
        len(
            session.exec(select(AuditEntry).where(AuditEntry.action == "webhook_event.purge")).all()
        )
        == 1
    )
    assert webhooks.deliver_due(now=_later(120)) == "5 delivered, 0 failed"

    # the period is a setting: 200 days keeps what 90 would delete; nonsense is refused clearly
    monkeypatch.setenv(webhooks.RETENTION_SETTING, "200")
    assert webhooks.retention() == timedelta(days=200)
    monkeypatch.setenv(webhooks.RETENTION_SETTING, "zero")
    with pytest.raises(ValueError, match="BACKOFFICE_WEBHOOK_RETENTION_DAYS"):
        webhooks.retention()


# --- the outbox under failure and concurrency -----------------------------------------------------
EMIT_AND_DIE = """
import os, signal, sys
from backoffice import db
url, search_path = sys.argv[1], sys.argv[2]
options = {"connect_args": {"options": f"-csearch_path={search_path}"}} if search_path else {}
db.set_engine(db.make_engine(url, **options))
from backoffice.domains.campaigns import rules
with db.session_scope(write=True) as session:
    print(rules.advance_schedule(session), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # committed; killed before anything is delivered
"""


def _database_arguments(engine: sa.Engine) -> list[str]:
    search_path = ""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            search_path = conn.execute(sa.text("SHOW search_path")).scalar_one()
    return [engine.url.render_as_string(hide_password=False), search_path]


def test_an_event_committed_by_a_killed_process_is_delivered_once_later(
    session, admin, receiver, engine
):
    _subscribe(session, admin, receiver, "/campaigns", ["campaign.started"])
    campaign = Campaign(
        code="OPEN26",
        name="开户礼",
        kind="signup_bonus",
        channel="online",
        status="scheduled",
        start_date=local_today(),
        end_date=local_today() + timedelta(days=30),
        budget=Decimal("10000"),
    )
    session.add(campaign)
    session.commit()

    child = subprocess.run(
        [sys.executable, "-c", EMIT_AND_DIE, *_database_arguments(engine)],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert "started 1" in child.stdout
    assert receiver.received == []

    assert webhooks.deliver_due() == "1 delivered, 0 failed"
    assert webhooks.deliver_due(now=_later(600)) == "0 delivered, 0 failed"
    [got] = receiver.received
    assert got.json["type"] == "campaign.started"
    assert got.json["data"] == {"campaign_id": campaign.id, "code": "OPEN26", "status": "running"}
    _reread(session, campaign)
    assert campaign.status == "running"


def test_two_concurrent_delivery_runs_never_send_an_event_twice(session, admin, receiver):
    _subscribe(session, admin, receiver, "/p", ["product.published"])
    events = [_emit(session, entity_id=n) for n in range(12)]
    receiver.delay = 0.02  # both runs are sending while the other claims
    start = threading.Barrier(2)
    results: list[str] = []

    def run() -> None:
        start.wait()
        results.append(webhooks.deliver_due())

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(timeout=60)

    sent = [r.headers["Backoffice-Delivery"] for r in receiver.received]
    assert sorted(sent) == sorted(e.event_id for e in events)  # each once, none lost
    delivered = [int(r.split()[0]) for r in results]
    assert sum(delivered) == 12
    assert {d.status for d in _deliveries(session)} == {"delivered"}


def test_a_slow_run_gives_back_what_it_had_no_time_to_send(session, admin, receiver):
    _subscribe(session, admin, receiver, "/p", ["product.published"])
    for n in range(3):
        _emit(session, entity_id=n)
    receiver.delay = 0.3
    assert webhooks.deliver_due(budget=timedelta(seconds=0.2)) == "1 delivered, 0 failed"
    waiting = [d for d in _deliveries(session) if d.status == "pending"]
    assert len(waiting) == 2 and all(d.next_attempt_at <= utcnow() for d in waiting)
    assert webhooks.deliver_due() == "2 delivered, 0 failed"  # due again at once
    assert len(receiver.received) == 3


# --- where the staff's decisions emit events -----------------------------------------------------
def _sent_kinds(receiver: Receiver) -> list[str]:
    return [r.json["type"] for r in receiver.received]


def test_publishing_a_product_emits_product_published_and_a_live_edit_product_changed(
    session, admin, receiver
):
    _subscribe(session, admin, receiver, "/p", list(webhooks.KINDS))
    maker, checker = (make_principal(session, f"pm.{n}", ["product_manager"]) for n in "ab")
    product = new_product(session, maker)
    disclose(session, maker, product.id)
    assert take(session, maker, get("product"), product, "submit").ok
    assert webhooks.deliver_due() == "0 delivered, 0 failed"  # a submission is not news
    assert take(session, checker, get("product"), product, "publish").ok

    webhooks.deliver_due()
    [got] = receiver.received
    assert got.json["type"] == "product.published"
    assert got.json["data"] == {"product_id": product.id, "code": product.code, "status": "on_sale"}
    event = session.exec(select(WebhookEvent)).one()
    assert (event.entity, event.entity_id) == ("product", str(product.id))

    # its description edited while on sale: product.changed; a draft's edit is nobody's news
    _reread(session, product)
    edited = service.update(
        session,
        principal=maker,
        resource=get("product"),
        record_id=product.id,
        version=product.version,
        values={"description": "到期一次还本付息"},
    )
    assert edited.ok, edited
    session.commit()
    draft = new_product(session, maker)
    assert service.update(
        session,
        principal=maker,
        resource=get("product"),
        record_id=draft.id,
        version=draft.version,
        values={"description": "草稿"},
    ).ok
    session.commit()
    webhooks.deliver_due()
    assert _sent_kinds(receiver) == ["product.published", "product.changed"]
    assert receiver.received[1].json["data"]["product_id"] == product.id

    # an approved change request taking effect: product.changed naming what changed
    session.add(
        ProductChange(
            product_id=product.id,
            yield_max=Decimal("4.5"),
            effective_at=utcnow() - timedelta(minutes=1),
            reason="市场利率下行",
            before=json.dumps({"yield_max": ""}),
            status="approved",
        )
    )
    session.commit()
    assert product_rules.apply_due_changes(session) == "1 changes applied"
    session.commit()
    webhooks.deliver_due()
    applied = receiver.received[2].json
    assert applied["type"] == "product.changed"
    assert applied["data"]["fields"] == ["yield_max"]


def test_closing_a_product_emits_product_closed_from_sale_or_suspension(session, admin, receiver):
    _subscribe(session, admin, receiver, "/p", ["product.closed"])
    maker, checker = (make_principal(session, f"pm.{n}", ["product_manager"]) for n in "ab")
    closed = []
    for suspend_first in (False, True):
        product = new_product(session, maker)
        disclose(session, maker, product.id)
        assert take(session, maker, get("product"), product, "submit").ok
        assert take(session, checker, get("product"), product, "publish").ok
        if suspend_first:
            assert take(session, checker, get("product"), product, "suspend").ok
        assert take(session, checker, get("product"), product, "close").ok
        closed.append(product)

    assert webhooks.deliver_due() == "2 delivered, 0 failed"  # not the publishing, not the pause
    assert _sent_kinds(receiver) == ["product.closed"] * 2
    assert [r.json["data"] for r in receiver.received] == [
        {"product_id": p.id, "code": p.code, "status": "closed"} for p in closed
    ]


def _campaign(session: Session, maker: Principal) -> Campaign:
    created = service.create(
        session,
        principal=maker,
        resource=get("campaign"),
        values={
            "name": "新人红包",
            "code": f"HB{secrets.token_hex(3).upper()}",
            "kind": "signup_bonus",
            "channel": "online",
            "start_date": (local_today() + timedelta(days=10)).isoformat(),
            "end_date": (local_today() + timedelta(days=40)).isoformat(),
            "budget": "50000",
        },
    )
    session.commit()
    assert created.ok, created
    return session.get(Campaign, created.record_id)


def test_cancelling_a_campaign_emits_campaign_cancelled_in_the_same_transaction(
    session, admin, receiver
):
    _subscribe(session, admin, receiver, "/c", ["campaign.cancelled", "campaign.started"])
    maker, checker = (make_principal(session, f"mkt.{n}", ["marketing"]) for n in "ab")
    draft, scheduled = _campaign(session, maker), _campaign(session, maker)
    assert take(session, checker, get("campaign"), scheduled, "schedule").ok
    assert take(session, maker, get("campaign"), draft, "cancel").ok  # its author withdraws it
    assert take(session, checker, get("campaign"), scheduled, "cancel").ok

    assert webhooks.deliver_due() == "2 delivered, 0 failed"
    assert _sent_kinds(receiver) == ["campaign.cancelled"] * 2
    assert [r.json["data"] for r in receiver.received] == [
        {"campaign_id": draft.id, "code": draft.code, "status": "cancelled"},
        {"campaign_id": scheduled.id, "code": scheduled.code, "status": "cancelled"},
    ]
    # a refused step writes no event: a cancelled campaign cannot be cancelled again
    refused = service.transition(
        session,
        principal=checker,
        resource=get("campaign"),
        record_id=draft.id,
        version=session.get(Campaign, draft.id).version,
        transition_key="cancel",
    )
    assert not refused.ok
    session.rollback()
    assert len(session.exec(select(WebhookEvent)).all()) == 2


def test_every_kind_has_a_label_in_both_languages():
    from backoffice.i18n import choice_label

    for kind in webhooks.KINDS:
        for lang in ("zh", "en"):
            label = choice_label("webhook_event", kind, lang)
            assert label and label != kind, (kind, lang)
    assert choice_label("webhook_event", "product.closed", "zh") == "产品已结束销售"
    assert choice_label("webhook_event", "campaign.cancelled", "en") == "Campaign cancelled"


def test_asking_for_information_and_deciding_a_kyc_case_emit_events_without_personal_data(
    session, admin, receiver, officers
):
    _subscribe(session, admin, receiver, "/k", ["kyc_case.decided", "kyc_case.needs_information"])
    officer = officers[0]
    customer = make_customer(session)
    case = open_kyc_case(session, officer, customer)
    kyc.claim(session, officer, case)
    session.commit()
    session.refresh(case)
    asked = service.update(
        session,
        principal=officer,
        resource=get("kyc_case"),
        record_id=case.id,
        version=case.version,
        values={"requested_items": "身份证反面照片"},
    )
    assert asked.ok, asked
    session.commit()
    assert take(session, officer, get("kyc_case"), case, "request_info").ok
    assert take(session, officer, get("kyc_case"), case, "customer_replied").ok
    version = questionnaire.active(session) or make_questionnaire(session)
    ids = [q.id for q in questionnaire.questions_of(session, version.id)]
    session.refresh(case)
    questionnaire.score_case(session, officer, case, {ids[0]: 2, ids[1]: 1})
    session.commit()
    assert take(session, officer, get("kyc_case"), case, "approve").ok

    webhooks.deliver_due()
    asked, got = receiver.received
    assert asked.json["type"] == "kyc_case.needs_information"
    assert asked.json["data"]["status"] == "waiting_customer"
    assert "身份证" not in asked.body.decode()  # what was asked stays inside
    assert got.json["type"] == "kyc_case.decided"
    assert got.json["data"] == {
        "case_id": case.id,
        "case_no": case.case_no,
        "customer_id": customer.id,
        "status": "approved",
    }
    assert "张" not in got.body.decode()


def test_a_public_reply_and_a_resolution_emit_ticket_events_but_a_note_does_not(
    session, admin, receiver, desk_setup
):
    _subscribe(session, admin, receiver, "/t", ["ticket.replied", "ticket.resolved"])
    agent, lead, customer = desk_setup["cs.a1"], desk_setup["cs.lead"], desk_setup["customer"]
    ticket = open_ticket(session, lead, customer)
    desk.post(session, agent, ticket.id, "note", "内部备注：先查日志")
    session.commit()
    assert webhooks.deliver_due() == "0 delivered, 0 failed"
    reply = desk.post(session, agent, ticket.id, "reply", "您好，已为您重置密码")
    session.commit()
    webhooks.deliver_due()
    saved = service.update(
        session,
        principal=agent,
        resource=get("ticket"),
        record_id=ticket.id,
        version=session.get(type(ticket), ticket.id).version,
        values={"resolution_note": "已重置密码"},
    )
    assert saved.ok, saved
    session.commit()
    assert take(session, agent, get("ticket"), ticket, "resolve").ok
    webhooks.deliver_due()

    assert _sent_kinds(receiver) == ["ticket.replied", "ticket.resolved"]
    replied, resolved = (r.json["data"] for r in receiver.received)
    assert replied == {
        "ticket_id": ticket.id,
        "ticket_no": ticket.ticket_no,
        "customer_id": customer.id,
        "status": "in_progress",
        "message_id": reply.id,
    }
    assert resolved["status"] == "resolved"
    assert "重置" not in receiver.received[0].body.decode()  # the reply's words stay inside


# --- the administrators' panels ---------------------------------------------------------------
def test_the_subscription_panel_shows_a_rotated_secret_once_and_deliveries_use_it(
    session, admin, receiver
):
    from state.webhooks import WebhookPanelState
    from tests.factories import run, state_for

    subscription, old_secret = _subscribe(session, admin, receiver, "/p", ["product.published"])
    user = session.exec(select(User).where(User.username == "it.admin")).one()
    handlers = WebhookPanelState.event_handlers
    url = f"/r/webhook_subscription/record?id={subscription.id}"
    panel = state_for(session, user, WebhookPanelState, url)
    run(handlers["load"].fn(panel))
    assert (panel.record_id, panel.can_manage, panel.secret) == (subscription.id, True, "")

    run(handlers["rotate_secret"].fn(panel))
    new_secret = panel.secret
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    run(handlers["load"].fn(panel))  # the page opened again: the secret is gone
    assert panel.secret == ""

    _emit(session)
    webhooks.deliver_due()
    [got] = receiver.received
    signature = got.headers["Backoffice-Signature"]
    assert webhooks.verify(new_secret, signature, got.body)
    assert not webhooks.verify(old_secret, signature, got.body)

    [delivery] = _deliveries(session)
    delivery_panel = state_for(
        session, user, WebhookPanelState, f"/r/webhook_delivery/record?id={delivery.id}"
    )
    run(handlers["load"].fn(delivery_panel))
    run(handlers["redeliver"].fn(delivery_panel))
    assert webhooks.deliver_due() == "1 delivered, 0 failed"
    assert len(receiver.received) == 2

    viewer, _ = make_user(session, "it.viewer", ["executive"])
    seen = state_for(session, viewer, WebhookPanelState, url)
    run(handlers["rotate_secret"].fn(seen))
    assert seen.secret == ""  # refused on the server: no right to manage webhooks
    _reread(session, subscription)
    assert webhooks.verify(webhooks.fields.decrypt(subscription.secret_cipher), signature, got.body)


def test_a_subscription_made_on_the_form_shows_its_secret_once_and_sends_nothing_before(
    session, admin, receiver
):
    """The form's save leads to the new subscription's page: its panel makes the secret and
    shows it that once. Until then its events wait; a viewer who may not manage webhooks is
    told so and is given nothing; a second administrator opening it afterwards sees no secret."""
    from state.webhooks import WebhookPanelState
    from tests.factories import run, state_for

    made = service.create(
        session,
        principal=admin,
        resource=get("webhook_subscription"),
        values={
            "name": "crm",
            "url": receiver.url + "/crm",
            "events": "product.published",
            "is_active": "true",
        },
    )
    session.commit()
    assert made.ok, made
    event = _emit(session)
    assert webhooks.deliver_due() == "0 delivered, 0 failed"  # no secret anyone has: it waits
    assert receiver.received == []

    handlers = WebhookPanelState.event_handlers
    url = f"/r/webhook_subscription/record?id={made.record_id}"
    viewer, _ = make_user(session, "it.viewer", ["executive"])
    from backoffice.domains.admin import users

    # a role that may read the webhook pages but not manage webhooks
    assert not users.set_permission(
        session, actor=admin, role="executive", resource="webhook", action="view", granted=True
    )
    session.commit()
    looking = state_for(session, viewer, WebhookPanelState, url)
    run(handlers["load"].fn(looking))
    assert (looking.secret, looking.waiting_for_secret, looking.can_manage) == ("", True, False)
    _reread(session)
    assert not webhooks.has_secret(session.get(WebhookSubscription, made.record_id))

    user = session.exec(select(User).where(User.username == "it.admin")).one()
    panel = state_for(session, user, WebhookPanelState, url)
    run(handlers["load"].fn(panel))
    secret = panel.secret
    assert secret.startswith("whsec_") and panel.first_secret and not panel.waiting_for_secret
    run(handlers["load"].fn(panel))  # opened again (or by another administrator): not again
    assert (panel.secret, panel.first_secret) == ("", False)
    other = state_for(session, user, WebhookPanelState, url)
    run(handlers["load"].fn(other))
    assert other.secret == ""
    with pytest.raises(webhooks.WebhookRefused, match=r"auth\.denied"):
        webhooks.issue_first_secret(
            session, actor=make_principal(session, "it.clerk", ["cs_agent"]), subscription_id=1
        )

    assert webhooks.deliver_due() == "1 delivered, 0 failed"  # what waited goes out, signed
    [got] = receiver.received
    assert got.headers["Backoffice-Delivery"] == event.event_id
    assert webhooks.verify(secret, got.headers["Backoffice-Signature"], got.body)
    actions = session.exec(
        select(AuditEntry.action)
        .where(AuditEntry.entity == "webhook_subscription")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["webhook_subscription.create", "webhook_subscription.issue_secret"]
    assert all(secret not in e.changes for e in _audit(session))
    told = service.history(
        session,
        principal=admin,
        resource=get("webhook_subscription"),
        record_id=made.record_id,
        lang="zh",
    )
    assert any("已生成（只显示一次）" in row["changes"] for row in told), told


def test_redelivery_is_guarded_against_pending_deliveries_and_hostile_calls(
    session, admin, receiver
):
    from state.webhooks import WebhookPanelState
    from tests.factories import run, state_for

    subscription, _secret = _subscribe(session, admin, receiver, "/p", ["product.published"])
    receiver.script = [500]
    _emit(session)
    assert webhooks.deliver_due() == "0 delivered, 1 failed"
    [delivery] = _deliveries(session)
    assert (delivery.status, delivery.attempts) == ("pending", 1)  # in backoff

    # a pending delivery is on its way: redelivering it would cut its backoff short (or send
    # it twice while a run holds it)
    with pytest.raises(webhooks.WebhookRefused, match=r"webhook\.delivery_pending"):
        webhooks.redeliver(session, actor=admin, delivery_id=delivery.id)
    session.rollback()
    user = session.exec(select(User).where(User.username == "it.admin")).one()
    handlers = WebhookPanelState.event_handlers

    def panel_on(url: str) -> WebhookPanelState:
        session.commit()  # end the test's read snapshot before signing in (a write)
        panel = state_for(session, user, WebhookPanelState, url)
        run(handlers["load"].fn(panel))
        return panel

    run(handlers["redeliver"].fn(panel_on(f"/r/webhook_delivery/record?id={delivery.id}")))
    _reread(session, delivery)
    assert (delivery.attempts, delivery.next_attempt_at > utcnow()) == (1, True)  # unchanged

    assert webhooks.deliver_due(now=_later(2)) == "1 delivered, 0 failed"
    # a wrong id, or the panel of a subscription's page whose id names a delivery: refused
    for url in (
        "/r/webhook_delivery/record?id=999999",
        f"/r/webhook_subscription/record?id={delivery.id}",
        "/r/webhook_delivery/record?id=new",
    ):
        run(handlers["redeliver"].fn(panel_on(url)))
    with pytest.raises(webhooks.WebhookRefused, match=r"error\.not_found"):
        webhooks.redeliver(session, actor=admin, delivery_id="1")  # type: ignore[arg-type]
    # the record id comes from the page's address only: the client cannot set it
    with pytest.raises(AttributeError, match="set_record_id"):
        run(WebhookPanelState.event_handlers["setvar"].fn(panel_on(""), "record_id", delivery.id))
    # someone without the right: refused on the server, whatever the page
    viewer, _ = make_user(session, "it.viewer", ["executive"])
    seen = state_for(
        session, viewer, WebhookPanelState, f"/r/webhook_delivery/record?id={delivery.id}"
    )
    run(handlers["load"].fn(seen))
    run(handlers["redeliver"].fn(seen))
    _reread(session)
    assert (
        session.exec(select(AuditEntry.action).where(AuditEntry.entity == "webhook_delivery")).all()
        == []
    )
    assert [d.status for d in _deliveries(session)] == ["delivered"]

    # done right: reopened at once, the page reloads it, audited once
    done = run(handlers["redeliver"].fn(panel_on(f"/r/webhook_delivery/record?id={delivery.id}")))
    assert done is not None
    [delivery] = _deliveries(session)
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert session.exec(
        select(AuditEntry.action).where(AuditEntry.entity == "webhook_delivery")
    ).all() == ["webhook_delivery.redeliver"]
    assert webhooks.deliver_due() == "1 delivered, 0 failed"
    assert subscription.id == delivery.subscription_id


def test_a_run_that_read_deliveries_another_run_claimed_meanwhile_claims_none(
    session, admin, receiver, engine
):
    """The race the claim guards against, played step by step: run B reads the due rows, run A
    claims and commits them, then B's claim finds none still due. (SQLite takes the write lock
    when a delivery run begins, so there two runs never read the same due rows.)"""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises delivery runs from their first read")
    _subscribe(session, admin, receiver, "/p", ["product.published"])
    for n in range(3):
        _emit(session, entity_id=n)
    now = utcnow()
    with Session(engine) as run_b:
        read_by_b = webhooks._due(run_b, now, 10)
        assert len(read_by_b) == 3
        with Session(engine) as run_a:
            assert len(webhooks._claim(run_a, now, 10)) == 3
            run_a.commit()
        assert webhooks._take(run_b, read_by_b, now) == []
        run_b.commit()


def test_in_production_no_delivery_reaches_the_portals_own_network(
    session, admin, receiver, monkeypatch
):
    """A subscription may not make the portal call inside its own network: a loopback or
    private address is refused when saved, and a name that resolves inward is not sent to
    (the delivery fails as any unreachable receiver would), unless the operator allows it."""
    subscription, _secret = _subscribe(session, admin, receiver, "/in", ["product.published"])
    monkeypatch.setattr(
        webhooks, "get_settings", lambda: __import__("types").SimpleNamespace(is_production=True)
    )
    monkeypatch.delenv(webhooks.PRIVATE_TARGETS_SETTING, raising=False)
    for url in ("http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://[::1]/x", "http://localhost/"):
        with pytest.raises(webhooks.WebhookRefused, match="private_target"):
            webhooks.create_subscription(
                session, actor=admin, name="inward", url=url, events=["product.published"]
            )
    session.rollback()
    # made before the rule applied (or by a name that now resolves inward): never sent
    session.execute(
        sa.update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription.id)
        .values(url=receiver.url.replace("127.0.0.1", "localhost.") + "/in")
    )
    session.commit()
    _emit(session)
    assert webhooks.deliver_due() == "0 delivered, 1 failed"
    assert receiver.received == []
    [delivery] = _deliveries(session)
    assert "private_target" in delivery.last_error
    monkeypatch.setenv(webhooks.PRIVATE_TARGETS_SETTING, "1")  # receivers inside, by choice
    assert webhooks.target_refusal(receiver.url, resolve=True) == ""


def test_a_name_that_rebinds_inward_between_the_check_and_the_connection_is_refused(
    session, admin, receiver, monkeypatch
):
    """DNS rebinding: the name answers a public address to the check before sending and
    127.0.0.1 to the connection itself. The address actually connected to is checked: in
    production nothing is written to it and the delivery fails with the reason; where private
    targets are allowed the same delivery goes through."""
    port = receiver.url.rsplit(":", 1)[1]
    subscription, _secret = _subscribe(session, admin, receiver, "/in", ["product.published"])
    session.execute(
        sa.update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription.id)
        .values(url=f"http://hooks.rebind.test:{port}/in")
    )
    session.commit()
    real = socket.getaddrinfo
    answers: list[str] = []

    def rebinding(host: object, *args: object, **kwargs: object) -> list:
        if host != "hooks.rebind.test":
            return real(host, *args, **kwargs)
        address = answers.pop(0) if answers else "127.0.0.1"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(
        webhooks, "get_settings", lambda: __import__("types").SimpleNamespace(is_production=True)
    )
    monkeypatch.delenv(webhooks.PRIVATE_TARGETS_SETTING, raising=False)
    answers[:] = ["93.184.215.14"]  # a public address first, then 127.0.0.1
    _emit(session)

    assert webhooks.deliver_due() == "0 delivered, 1 failed"
    assert receiver.received == []
    assert answers == []  # the check did resolve the name and was told a public address
    [delivery] = _deliveries(session)
    assert (delivery.status, delivery.last_status) == ("pending", None)
    assert delivery.last_error.startswith("not sent: webhook.private_target")
    assert "127.0.0.1" in delivery.last_error

    # receivers inside, by choice: nothing is checked (nor resolved before the connection)
    monkeypatch.setenv(webhooks.PRIVATE_TARGETS_SETTING, "1")
    assert webhooks.deliver_due(now=_later(5)) == "1 delivered, 0 failed"
    assert len(receiver.received) == 1 and receiver.received[0].path == "/in"
    assert receiver.received[0].headers["Host"] == f"hooks.rebind.test:{port}"


def test_in_production_an_inward_address_in_a_legacy_spelling_is_refused_when_saved(
    session, admin, monkeypatch
):
    """The C library (and so the connection) reads "0x7f000001", "2130706433", "127.1" and
    "0177.0.0.1" as 127.0.0.1: the check at save reads them the same way."""
    monkeypatch.setattr(
        webhooks, "get_settings", lambda: __import__("types").SimpleNamespace(is_production=True)
    )
    monkeypatch.delenv(webhooks.PRIVATE_TARGETS_SETTING, raising=False)
    for host in ("0x7f000001", "2130706433", "127.1", "0177.0.0.1", "0xa.1", "10", "0"):
        assert webhooks.target_refusal(f"http://{host}/h", resolve=False), host
        with pytest.raises(webhooks.WebhookRefused, match="private_target"):
            webhooks.create_subscription(
                session,
                actor=admin,
                name="inward",
                url=f"http://{host}/h",
                events=["ticket.resolved"],
            )
    assert webhooks.literal_address("0x08080808") == "8.8.8.8"
    assert webhooks.target_refusal("http://0x08080808/h", resolve=False) == ""
    assert webhooks.literal_address("hooks.example.com") == ""
    session.rollback()
    assert session.exec(select(WebhookSubscription)).all() == []


def _snapshot(session: Session, subscription_id: int) -> tuple[str, int, int]:
    session.expire_all()
    found = session.get(WebhookSubscription, subscription_id)
    assert found is not None
    entries = session.exec(select(sa.func.count()).select_from(AuditEntry)).one()
    return found.url, found.version, entries


def test_changing_a_subscriptions_address_needs_what_rotating_its_secret_needs(session, admin, api):
    """Whoever changes the address receives every later signed event: like a new secret, it
    needs the manage right (never an API key's) and a fresh authenticator code. Refused,
    nothing changes; the name and kinds stay with the edit right."""
    subscription, _secret = webhooks.create_subscription(
        session, actor=admin, name="platform", url="https://a.example/h", events=["ticket.resolved"]
    )
    session.commit()
    http = api.as_role("admin")  # a key of a role that may manage webhooks
    before = _snapshot(session, subscription.id)
    stale = replace(admin, totp_verified_at=utcnow() - timedelta(minutes=10))
    editor = Principal(
        user_id=admin.user_id,
        username="webhook.editor",
        display_name="Editor",
        session_id=0,
        roles=frozenset(),
        permissions=frozenset({("webhook", "view"), ("webhook", "edit")}),
        totp_verified_at=utcnow(),
    )
    elsewhere = "https://evil.example/h"
    for who, key in ((editor, "webhook.url_change_denied"), (stale, "auth.step_up_required")):
        with pytest.raises(webhooks.WebhookRefused, match=key.replace(".", r"\.")):
            webhooks.update_subscription(
                session, actor=who, subscription_id=subscription.id, url=elsewhere
            )
        session.rollback()
        result = service.update(
            session,
            principal=who,
            resource=get("webhook_subscription"),
            record_id=subscription.id,
            version=subscription.version,
            values={"url": elsewhere},
        )
        assert result.errors == {"url": key}
        session.rollback()
        assert _snapshot(session, subscription.id) == before
    # an API key, even of a role that may manage webhooks, never holds the manage right
    answer = http.patch(
        f"/resources/webhook_subscription/{subscription.id}",
        json={"url": elsewhere},
        headers={"If-Match": f'"{subscription.version}"'},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "url"
    assert _snapshot(session, subscription.id) == before
    renamed = http.patch(
        f"/resources/webhook_subscription/{subscription.id}",
        json={"name": "platform-2"},
        headers={"If-Match": f'"{subscription.version}"'},
    )
    assert renamed.status_code == 200, renamed.text
    # the person who may manage webhooks, with a fresh code, may
    session.rollback()  # end the read begun before the rename, written by the served API
    fresh_admin = replace(admin, totp_verified_at=utcnow())
    webhooks.update_subscription(
        session, actor=fresh_admin, subscription_id=subscription.id, url=elsewhere
    )
    session.commit()
    assert _snapshot(session, subscription.id)[0] == elsewhere


@pytest.mark.parametrize(
    "url", ["https://user:pass@a.example/h", "https://token@a.example/h", "http://:x@a.example/"]
)
def test_an_address_with_a_user_name_or_password_is_refused(session, admin, url):
    with pytest.raises(webhooks.WebhookRefused, match=r"webhook\.url_credentials"):
        webhooks.create_subscription(
            session, actor=admin, name="creds", url=url, events=["ticket.resolved"]
        )
    assert get("webhook_subscription").field("url").validator(url) == "webhook.url_credentials"
    session.rollback()
    assert session.exec(select(WebhookSubscription)).all() == []
