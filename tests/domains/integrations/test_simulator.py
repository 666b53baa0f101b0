"""The customer-platform simulator, played against the served API for a short round, and its
webhook receiver, which believes only deliveries signed with the subscription's secret."""

from __future__ import annotations

import json
import socket
import time

import httpx
import sqlalchemy as sa

from backoffice.domains.integrations import simulator
from models.customers import Customer
from models.transactions import Transaction
from tests.factories import make_questionnaire
from tests.platform_data import customer, fresh, product, watchlisted


def _line(lines: list[str], *words: str) -> str:
    found = [line for line in lines if all(word in line for word in words)]
    assert found, (words, lines)
    return found[0]


def test_a_short_round_signs_up_orders_writes_and_shows_refusals(api, session, desk_setup):
    make_questionnaire(session)
    safe, risky = product(session, "S1", risk="R1"), product(session, "S9", risk="R5")
    buyer = customer(session, 50, tolerance="C3")
    watchlisted(session, "王建国")
    _id, key = api.key()
    lines: list[str] = []
    tally = simulator.play(
        api.base_url,
        key,
        say=lines.append,
        sign_ups=2,
        customers=(buyer.id,),
        watchlisted_name="王建国",
        seed=7,
        language="en",
    )
    _line(lines, "catalogue: 2 products on sale")
    _line(lines, "sign-up 王建国", "screening referred")
    _line(lines, "screening clear")
    _line(lines, "risk assessment", "tolerance C")
    _line(lines, "order:", "refused", "kyc_not_approved")
    _line(lines, f"customer #{buyer.id} buys", risky.code, "refused, 422 suitability", "C3")
    _line(lines, f"customer #{buyer.id} buys ¥999.99", "below_minimum")
    _line(lines, f"customer #{buyer.id} buys ¥2,000.00 of {safe.code}", "recorded as")
    _line(lines, f"customer #{buyer.id} sells ¥2,000.00", "recorded as")
    _line(lines, "ticket", "opened")
    _line(lines, "ticket", "added")
    _line(lines, "rating 5/5", "refused", "ticket.rate_after_resolution")
    assert lines[-1].startswith(f"done: {tally.calls} calls")
    fresh(session)
    assert len(tally.customers) == 2
    assert session.execute(sa.select(sa.func.count()).select_from(Customer)).scalar_one() == 4
    kinds = session.execute(sa.select(Transaction.kind).order_by(Transaction.id)).scalars().all()
    assert kinds == ["subscription", "redemption"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_webhook_receiver_believes_only_signed_recent_deliveries():
    lines: list[str] = []
    port = _free_port()
    server = simulator.webhook_receiver(port, "whsec_test", lines.append)
    event = {"id": "e-1", "type": "ticket.replied", "created_at": "2026-01-01T00:00:00+00:00"}
    body = json.dumps({**event, "data": {"ticket_no": "S000000001"}}).encode()
    url = f"http://127.0.0.1:{port}/"
    try:

        def deliver(signature: str, payload: bytes = body) -> int:
            headers = {
                "Backoffice-Event": "ticket.replied",
                "Backoffice-Signature": signature,
                "Content-Type": "application/json",
            }
            return httpx.post(url, content=payload, headers=headers, timeout=10).status_code

        assert deliver(simulator.sign("whsec_test", body)) == 204
        assert deliver(simulator.sign("whsec_test", body), body + b" ") == 400  # body changed
        assert deliver(simulator.sign("another secret", body)) == 400
        assert deliver(simulator.sign("whsec_test", body, int(time.time()) - 3600)) == 400
        assert deliver("") == 400
    finally:
        server.shutdown()
        server.server_close()
    assert "signature verified" in lines[0] and "S000000001" in lines[0]
    assert len(lines) == 5 and all("REJECTED" in line for line in lines[1:])


def test_the_command_runs_a_round_with_its_receiver(api, session, capsys):
    from backoffice.cli import main

    make_questionnaire(session)
    _id, key = api.key()
    port = _free_port()
    url = api.base_url.removesuffix("/api/v1")
    argv = ["simulate-platform", "--url", url, "--key", key, "--sign-ups", "1", "--customers", ""]
    argv += ["--webhook-port", str(port), "--webhook-secret", "s", "--listen", "0"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"webhook receiver on http://127.0.0.1:{port}/" in out
    assert "screening clear" in out and "done: " in out
    assert main(["simulate-platform", "--key", key, "--webhook-port", str(port)]) == 2
