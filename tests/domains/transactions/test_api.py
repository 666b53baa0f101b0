"""Orders from the customer platform through the served API: recorded only when the
suitability rules allow, otherwise refused with a machine-readable reason and nothing kept;
replayed with their idempotency key, recorded once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from backoffice.platform.business_time import local_today
from models.audit import AuditEntry
from models.transactions import Transaction
from tests.platform_data import customer, fresh, problem, product, running_campaign


def _order(person, item, amount: str = "5000.00", kind: str = "subscription", **more) -> dict:
    return {
        "customer_id": person.id,
        "product_id": item.id,
        "kind": kind,
        "amount": amount,
        **more,
    }


def _transactions(session) -> list[Transaction]:
    fresh(session)
    return list(session.exec(select(Transaction)).all())


def test_a_suitable_subscription_is_recorded_exactly(api, session):
    person, item = customer(session, 1, tolerance="C3"), product(session, "P1", risk="R3")
    _id, key = api.key(name="app")
    response = api.http(key).post("/platform/orders", json=_order(person, item, "12345.67"))
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["amount"] == "12345.67" and answer["fee"] == "61.73"  # 0.5 %, to the fen
    [recorded] = _transactions(session)
    assert (recorded.id, recorded.amount, recorded.channel, recorded.status) == (
        answer["transaction_id"],
        Decimal("12345.67"),
        "platform",
        "settled",
    )
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "transaction.create")).one()
    assert entry.actor == "api:app" and entry.entity_id == str(recorded.id)
    assert entry.client == "127.0.0.1"  # where the call came from


@pytest.mark.parametrize(
    ("reason", "setup", "amount"),
    [
        ("suitability", {"tolerance": "C2", "risk": "R4"}, "5000"),
        ("kyc_not_approved", {"approved": False}, "5000"),
        ("not_assessed", {"tolerance": None}, "5000"),
        ("sale_closed", {"ends_ago": 1}, "5000"),
        ("not_on_sale", {"status": "suspended"}, "5000"),
        ("below_minimum", {}, "999.99"),
    ],
)
def test_a_refused_subscription_says_why_and_records_nothing(api, session, reason, setup, amount):
    person = customer(
        session, 2, tolerance=setup.get("tolerance", "C3"), approved=setup.get("approved", True)
    )
    today = local_today()
    ended = setup.get("ends_ago")
    item = product(
        session,
        "P2",
        risk=setup.get("risk", "R2"),
        status=setup.get("status", "on_sale"),
        starts=today - timedelta(days=30) if ended else None,
        ends=today - timedelta(days=ended) if ended else None,
    )
    body = problem(
        api.as_role().post("/platform/orders", json=_order(person, item, amount)),
        422,
        "order.unsuitable" if reason == "suitability" else f"suitability.refused.{reason}",
    )
    assert body["reason"] == reason
    assert _transactions(session) == []


def test_the_unsuitable_refusal_names_the_levels_in_the_callers_language(api, session):
    person, item = customer(session, 3, tolerance="C2"), product(session, "P3", risk="R4")
    _id, key = api.key()
    body = problem(
        api.http(key, language="zh").post("/platform/orders", json=_order(person, item)),
        422,
        "order.unsuitable",
    )
    assert body["reason"] == "suitability"
    assert "C2" in body["detail"] and "R4" in body["detail"] and "不适当" in body["detail"]


def test_a_redemption_beyond_the_holding_is_refused_and_within_it_recorded(api, session):
    person, item = customer(session, 4), product(session, "P4")
    http = api.as_role()
    assert http.post("/platform/orders", json=_order(person, item, "3000")).status_code == 201
    body = problem(
        http.post("/platform/orders", json=_order(person, item, "3000.01", "redemption")),
        422,
        "suitability.refused.exceeds_holding",
    )
    assert body["reason"] == "exceeds_holding"
    assert (
        http.post("/platform/orders", json=_order(person, item, "3000", "redemption")).status_code
        == 201
    )
    assert sorted(t.kind for t in _transactions(session)) == ["redemption", "subscription"]


def test_a_live_campaign_code_attributes_the_order_and_a_dead_one_is_refused(api, session):
    """The code marketing typed names the campaign, in whatever case the customer types it."""
    person, item, other = customer(session, 5), product(session, "P5"), product(session, "P6")
    campaign = running_campaign(session, item, code="SPRING-26")
    http = api.as_role()
    answer = http.post("/platform/orders", json=_order(person, item, campaign_code=" spring-26"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["campaign_id"] == campaign.id
    for wrong in (
        _order(person, other, campaign_code="SPRING-26"),  # not a campaign for this product
        _order(person, item, campaign_code=f"CP{campaign.id:06d}"),  # its id is not its code
        _order(person, item, campaign_code="SPRING"),
    ):
        body = problem(http.post("/platform/orders", json=wrong), 422, "order.campaign_not_live")
        assert body["reason"] == "campaign_not_live"
    assert [t.campaign_id for t in _transactions(session)] == [campaign.id]


def test_an_inexact_amount_or_unknown_parties_are_bad_input(api, session):
    person, item = customer(session, 6), product(session, "P7")
    http = api.as_role()
    for amount in ("10.001", "-5", "abc", "NaN"):
        body = problem(
            http.post("/platform/orders", json=_order(person, item, amount)), 422, "api.invalid"
        )
        assert body["errors"][0]["field"] == "amount"
    float_amount = {**_order(person, item), "amount": 5000.5}
    problem(http.post("/platform/orders", json=float_amount), 422, "api.invalid")
    body = problem(
        http.post("/platform/orders", json={**_order(person, item), "product_id": 9999}),
        422,
        "api.invalid",
    )
    assert body["errors"] == [
        {"field": "product_id", "code": "field.not_found", "message": body["errors"][0]["message"]}
    ]
    assert _transactions(session) == []


def test_an_order_replayed_with_its_idempotency_key_is_recorded_once(api, session):
    person, item = customer(session, 7), product(session, "P8")
    http = api.as_role()
    headers = {"Idempotency-Key": "order-7-1"}
    first = http.post("/platform/orders", json=_order(person, item), headers=headers)
    again = http.post("/platform/orders", json=_order(person, item), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(_transactions(session)) == 1
    other = http.post("/platform/orders", json=_order(person, item, "6000"), headers=headers)
    problem(other, 422, "api.idempotency_mismatch")
    assert len(_transactions(session)) == 1


def test_a_key_of_a_role_that_may_not_order_is_forbidden(api, session):
    person, item = customer(session, 8), product(session, "P9")
    problem(
        api.as_role("cs_agent").post("/platform/orders", json=_order(person, item)),
        403,
        "auth.denied",
    )
    assert session.execute(sa.select(sa.func.count()).select_from(Transaction)).scalar_one() == 0


def test_an_order_is_written_in_nine_statements_and_keeps_the_chain_whole(api, session):
    """The write transaction of an order with a key: the replay lookup, the customer locked, the
    product, the number, the row, the audit head's turn with its hash (one statement where the
    database returns what an UPDATE left), the entry, the head moved, the kept answer."""
    from backoffice import db
    from backoffice.platform import audit

    person, item = customer(session, 10), product(session, "P10")
    http = api.as_role()
    first = http.post(
        "/platform/orders", json=_order(person, item), headers={"Idempotency-Key": "a"}
    )
    assert first.status_code == 201, first.text  # the key's first use is written down meanwhile
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_rest) -> None:
        if statement.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT"):
            statements.append(statement)

    engine = db.engine()
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        again = http.post(
            "/platform/orders", json=_order(person, item), headers={"Idempotency-Key": "b"}
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert again.status_code == 201, again.text
    one_statement_turn = engine.dialect.update_returning
    # the key check's one read, then the write
    assert len(statements) == 1 + (9 if one_statement_turn else 10), statements
    if one_statement_turn:  # the head is never read on its own
        assert not any("FROM audit_head" in s for s in statements), statements
    fresh(session)
    assert audit.verify_chain(session).ok
    assert len(_transactions(session)) == 2
