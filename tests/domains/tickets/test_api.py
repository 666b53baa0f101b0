"""What customers write on the customer platform, through the served API: a new ticket routed
by the desk's rules, their words on a ticket of theirs (reopening a resolved one within the
window), and their rating of a resolved ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models.attachments import Attachment
from models.audit import AuditEntry
from models.base import utcnow
from models.tickets import Ticket, TicketMessage
from tests.factories import open_ticket
from tests.platform_data import PDF, b64, customer, fresh, problem


def _message(person, subject: str = "无法登录", **more) -> dict:
    return {"customer_id": person.id, "subject": subject, "body": "登录时提示密码错误。", **more}


def _messages(session, ticket_id: int) -> list[str]:
    fresh(session)
    return list(
        session.exec(
            select(TicketMessage.kind)
            .where(TicketMessage.ticket_id == ticket_id)
            .order_by(TicketMessage.id)
        ).all()
    )


def _resolve(session, ticket: Ticket, days_ago: float = 1) -> None:
    ticket.status, ticket.resolved_at = "resolved", utcnow() - timedelta(days=days_ago)
    ticket.first_responded_at = ticket.resolved_at
    session.add(ticket)
    session.commit()


def test_a_message_opens_a_ticket_routed_by_the_desks_rules(api, session, desk_setup):
    person = desk_setup["customer"]
    _id, key = api.key(name="app")
    response = api.http(key).post(
        "/platform/messages",
        json=_message(
            person,
            category="account",
            attachments=[{"filename": "screen.pdf", "content_base64": b64(PDF)}],
        ),
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["outcome"] == "opened" and answer["assigned"] is True
    ticket = fresh(session).get(Ticket, answer["ticket_id"])
    assert (ticket.customer_id, ticket.channel, ticket.category, ticket.subject) == (
        person.id,
        "app_feedback",
        "account",
        "无法登录",
    )
    assert ticket.team_id == desk_setup["team"].id and ticket.assignee in ("cs.a1", "cs.a2")
    assert ticket.status == "assigned" and ticket.ticket_no == answer["ticket_no"]
    assert _messages(session, ticket.id) == ["customer"]
    [file] = session.exec(select(Attachment).where(Attachment.resource == "ticket")).all()
    assert (file.record_id, file.filename) == (ticket.id, "screen.pdf")
    created = session.exec(select(AuditEntry).where(AuditEntry.action == "ticket.create")).one()
    assert created.actor == "api:app"


def test_a_message_on_an_open_ticket_joins_its_conversation(api, session, desk_setup):
    person = desk_setup["customer"]
    ticket = open_ticket(session, desk_setup["cs.a1"], person)
    ticket.status, ticket.waiting_since = "waiting_customer", utcnow()
    session.add(ticket)
    session.commit()
    http = api.as_role()
    named = http.post("/platform/messages", json=_message(person, "另一件事", ticket_id=ticket.id))
    assert named.status_code == 200, named.text
    assert named.json()["outcome"] == "added" and named.json()["ticket_id"] == ticket.id
    assert named.json()["status"] == "in_progress"  # the customer answered: the clock runs
    # without the ticket's id, the open ticket about the same subject is found
    found = http.post("/platform/messages", json=_message(person, "无法登录"))
    assert (found.json()["outcome"], found.json()["ticket_id"]) == ("added", ticket.id)
    assert _messages(session, ticket.id) == ["customer", "customer", "customer"]
    assert session.execute(sa.select(sa.func.count()).select_from(Ticket)).scalar_one() == 1


def test_words_on_a_merged_ticket_go_to_the_ticket_it_was_merged_into(api, session, desk_setup):
    person = desk_setup["customer"]
    kept = open_ticket(session, desk_setup["cs.a1"], person)
    duplicate = open_ticket(session, desk_setup["cs.a1"], person, subject="登录不了")
    duplicate.status, duplicate.merged_into_id = "closed", kept.id
    session.add(duplicate)
    session.commit()
    answer = api.as_role().post(
        "/platform/messages", json=_message(person, "登录不了", ticket_id=duplicate.id)
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["ticket_id"], answer.json()["outcome"]) == (kept.id, "added")
    assert _messages(session, kept.id) == ["customer", "customer"]


def test_a_resolved_ticket_is_reopened_within_the_window_and_not_after(api, session, desk_setup):
    person = desk_setup["customer"]
    recent = open_ticket(session, desk_setup["cs.a1"], person, subject="赎回未到账")
    _resolve(session, recent, days_ago=2)
    http = api.as_role()
    answer = http.post(
        "/platform/messages", json=_message(person, "赎回未到账", ticket_id=recent.id)
    ).json()
    assert (answer["outcome"], answer["status"]) == ("reopened", "in_progress")
    assert fresh(session).get(Ticket, recent.id).reopened_count == 1
    old = open_ticket(session, desk_setup["cs.a1"], person, subject="旧问题")
    _resolve(session, old, days_ago=8)  # the desk reopens within 7 days
    problem(
        http.post("/platform/messages", json=_message(person, "旧问题", ticket_id=old.id)),
        422,
        "ticket.reopen_window_over",
    )
    # without the id, a new ticket is opened instead
    answer = http.post("/platform/messages", json=_message(person, "旧问题")).json()
    assert answer["outcome"] == "opened" and answer["ticket_id"] not in (old.id, recent.id)
    assert _messages(session, old.id) == ["customer"]


def test_another_customers_ticket_is_not_found_and_bad_input_is_refused(api, session, desk_setup):
    person, other = desk_setup["customer"], customer(session, 9)
    ticket = open_ticket(session, desk_setup["cs.a1"], person)
    http = api.as_role()
    problem(
        http.post("/platform/messages", json=_message(other, ticket_id=ticket.id)),
        404,
        "error.not_found",
    )
    body = problem(
        http.post(
            "/platform/messages",
            json=_message(person, subject=" ", category="gossip", body="x" * 10_001),
        ),
        422,
        "api.invalid",
    )
    assert {e["field"] for e in body["errors"]} == {"subject", "body", "category"}
    assert _messages(session, ticket.id) == ["customer"]


def test_the_customer_rates_a_resolved_ticket_once_it_is_resolved(api, session, desk_setup):
    person = desk_setup["customer"]
    ticket = open_ticket(session, desk_setup["cs.a1"], person)
    http = api.as_role()
    path = f"/platform/tickets/{ticket.id}/satisfaction"
    rating = {"customer_id": person.id, "score": 4, "comment": "解决得很快"}
    problem(http.post(path, json=rating), 422, "ticket.rate_after_resolution")
    _resolve(session, ticket)
    problem(http.post(path, json={**rating, "score": 6}), 422, "ticket.rating_range")
    problem(
        http.post(path, json={**rating, "customer_id": customer(session, 8).id}),
        404,
        "error.not_found",
    )
    answer = http.post(path, json=rating)
    assert answer.status_code == 200, answer.text
    assert answer.json()["satisfaction"] == 4
    rated = fresh(session).get(Ticket, ticket.id)
    assert (rated.satisfaction, rated.satisfaction_comment) == (4, "解决得很快")
    assert rated.rated_at is not None


def test_a_key_of_a_role_without_tickets_is_forbidden(api, session, desk_setup):
    person = desk_setup["customer"]
    ticket = open_ticket(session, desk_setup["cs.a1"], person)
    _resolve(session, ticket)
    http = api.as_role("hr")
    problem(http.post("/platform/messages", json=_message(person)), 403, "auth.denied")
    problem(
        http.post(
            f"/platform/tickets/{ticket.id}/satisfaction",
            json={"customer_id": person.id, "score": 5},
        ),
        403,
        "auth.denied",
    )
    assert fresh(session).get(Ticket, ticket.id).satisfaction is None
    assert session.execute(sa.select(sa.func.count()).select_from(Ticket)).scalar_one() == 1


def test_acting_for_a_customer_writes_only_the_customers_words(session, desk_setup):
    from backoffice.domains.tickets import rules
    from tests.factories import make_principal

    person = desk_setup["customer"]
    ticket = open_ticket(session, desk_setup["cs.a1"], person)
    platform = make_principal(session, "platform.app", ["platform"])
    for kind in ("reply", "note"):
        with pytest.raises(rules.TicketError, match=r"^auth\.denied$"):
            rules.post(session, platform, ticket.id, kind, "已处理", customer_id=person.id)
    session.rollback()
    assert _messages(session, ticket.id) == ["customer"]
