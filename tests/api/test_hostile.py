"""The REST API as a hostile caller uses it: a key of a lesser role, a platform key reaching for
what is not its own, a client replaying another's idempotency key, an administrator's key
pointing a webhook inward, and odd input meant to make the server fail. Each test names what
must hold; what comes back is checked, not only what is refused."""

from __future__ import annotations

import base64
import json
import types
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import select

from backoffice.domains.integrations import webhooks
from backoffice.engine.resource import get as get_resource
from backoffice.platform import attachments
from backoffice.security import fields as secure_fields
from models.audit import AuditEntry
from models.hr import Employee, Team
from models.integrations import ApiKey, IdempotencyRecord, WebhookSubscription
from models.partners import Partner
from models.transactions import Transaction
from tests.factories import make_customer, make_principal, open_ticket
from tests.platform_data import (
    PDF,
    customer,
    fresh,
    id_number,
    product,
    running_campaign,
    watchlisted,
)


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    return body


def _no_server_error(response) -> None:
    """Refused or answered, never an internal error (and never a trace in the body)."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert "Traceback" not in response.text and 'File "' not in response.text


def _employees(session) -> tuple[Employee, Employee]:
    team = Team(code="ops", name_zh="运营", name_en="Operations")
    session.add(team)
    session.flush()
    made = []
    for number, (name, pay) in enumerate((("李娜", "12000"), ("王强", "58000")), start=1):
        employee = Employee(
            employee_no=f"E00{number}",
            name=name,
            team_id=team.id,
            position="Analyst",
            hire_date=date(2024, 1, 2),
            salary_cipher=secure_fields.encrypt(pay),
        )
        session.add(employee)
        made.append(employee)
    session.commit()
    return made[0], made[1]


# --- inference through lists ------------------------------------------------------------------
def test_a_pmo_key_cannot_filter_or_sort_employees_by_salary(api, session):
    """A key that sees employees but not their pay learns nothing of it from the list: a salary
    bound narrows nothing (or is refused), a sort by salary is refused, and no answer or cursor
    carries the amount."""
    low, high = _employees(session)
    pmo = api.as_role("pmo")
    everyone = {r["id"] for r in pmo.get("/resources/employee").json()["data"]}
    assert everyone == {low.id, high.id}
    for params in ({"salary__min": "30000"}, {"salary": "58000"}, {"salary__max": "20000"}):
        answer = pmo.get("/resources/employee", params=params)
        if answer.status_code == 200:
            assert {r["id"] for r in answer.json()["data"]} == everyone, params
        else:
            _problem(answer, 422, "api.invalid")
    for sort in ("salary", "-salary", "salary_cipher"):
        _problem(pmo.get("/resources/employee", params={"sort": sort}), 422, "api.invalid")
    page = pmo.get("/resources/employee", params={"limit": 1})
    cursor = page.json()["next_cursor"]
    decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    assert "12000" not in page.text + decoded and "58000" not in page.text + decoded


def test_a_cursor_made_for_one_list_is_refused_on_another_sort_or_resource(api, session):
    """A cursor is bound to the sort it was given out for: replayed with another sort, or on
    another resource, it is refused (422), never read as a value of another column."""
    _employees(session)
    hr = api.as_role("hr")
    cursor = hr.get("/resources/employee", params={"limit": 1}).json()["next_cursor"]
    assert cursor
    for params in ({"sort": "-employee_no"}, {"sort": "hire_date"}, {"sort": "name"}):
        body = _problem(
            hr.get("/resources/employee", params={**params, "cursor": cursor}), 422, "api.invalid"
        )
        assert [e["field"] for e in body["errors"]] == ["cursor"]
    _problem(hr.get("/resources/team", params={"cursor": cursor}), 422, "api.invalid")


def test_a_key_without_the_archive_right_cannot_list_archived_records(api, session):
    """``archived=1`` needs the archive right: a key of a role that only reads partners gets a
    refusal, not the archived ones."""
    partner = Partner(name="旧伙伴", kind="bank", licence_no="1", status="active")
    partner.archived_at = partner.created_at
    session.add(partner)
    session.commit()
    marketing = api.as_role("marketing")  # partner.view only
    answer = marketing.get("/resources/partner", params={"archived": "1"})
    _problem(answer, 403, "auth.denied")
    assert "旧伙伴" not in answer.text


# --- row scope ----------------------------------------------------------------------------------
@pytest.fixture
def lead(session):
    """A lead: sees the tickets no rule routed (every ticket of these tests) and works them."""
    return make_principal(session, "lead.hostile", ["cs_lead"])


def _agent_ticket(session, lead, seed: int = 1):
    """A ticket an agent opened, with a PDF attached by the lead: in no key's team."""
    agent = make_principal(session, f"agent.hostile{seed}", ["cs_agent"])
    person = make_customer(session, id_number=id_number(seed))
    ticket = open_ticket(session, agent, person)
    added, refusal = attachments.add(
        session,
        principal=lead,
        resource=get_resource("ticket"),
        record_id=ticket.id,
        filename="statement.pdf",
        data=PDF,
    )
    assert added is not None, refusal
    session.commit()
    return ticket, added


def test_an_agent_key_cannot_tell_an_out_of_scope_ticket_from_a_missing_one(api, session, lead):
    """Every address of a ticket outside the key's scope answers exactly as for a ticket that
    does not exist (404, the same body): reading, its history, its files, a download, an edit,
    a step. Nothing is written."""
    ticket, added = _agent_ticket(session, lead)
    agent = api.as_role("cs_agent")
    missing = 2_000_000
    before = session.exec(select(sa.func.count()).select_from(AuditEntry)).one()

    def calls(record_id: int, attachment_id: int):
        base = f"/resources/ticket/{record_id}"
        return [
            agent.get(base),
            agent.get(f"{base}/history"),
            agent.get(f"{base}/attachments"),
            agent.get(f"{base}/attachments/{attachment_id}"),
            agent.patch(base, json={"subject": "x"}, headers={"If-Match": '"1"'}),
            agent.post(f"{base}/transitions/resolve", json={"resolution_note": "done"}),
            agent.post(
                f"{base}/attachments",
                json={"filename": "a.pdf", "content_base64": base64.b64encode(PDF).decode()},
            ),
        ]

    for hidden, absent in zip(calls(ticket.id, added.id), calls(missing, missing + 1), strict=True):
        assert hidden.status_code == absent.status_code == 404, (hidden.text, absent.text)
        assert hidden.json()["code"] == absent.json()["code"] == "error.not_found"
        assert hidden.json()["detail"] == absent.json()["detail"]
    fresh(session)
    assert session.exec(select(sa.func.count()).select_from(AuditEntry)).one() == before


def test_an_attachment_is_downloaded_only_through_its_own_record(api, session, lead):
    """A file is reached only under the record it belongs to: an executive's key (every ticket,
    read-only) naming ticket A with ticket B's file gets 404, and no download of B is audited."""
    ticket_b, file_b = _agent_ticket(session, lead, 1)
    ticket_a, _file_a = _agent_ticket(session, lead, 2)
    oversight = api.as_role("executive")
    answer = oversight.get(f"/resources/ticket/{ticket_a.id}/attachments/{file_b.id}")
    _problem(answer, 404, "error.not_found")
    assert PDF not in answer.content
    fresh(session)
    downloads = session.exec(select(AuditEntry).where(AuditEntry.action == "ticket.download")).all()
    assert downloads == []
    # through its own record it is served (and that download audited)
    own = oversight.get(f"/resources/ticket/{ticket_b.id}/attachments/{file_b.id}")
    assert own.status_code == 200 and own.content == PDF


def test_an_archived_attachment_is_not_served(api, session, lead):
    """A file removed from a record (archived) is no longer the record's: its download answers
    404 as its listing leaves it out."""
    ticket, added = _agent_ticket(session, lead)
    assert attachments.archive(
        session, principal=lead, resource=get_resource("ticket"), attachment_id=added.id
    )
    session.commit()
    oversight = api.as_role("executive")
    listed = oversight.get(f"/resources/ticket/{ticket.id}/attachments").json()["data"]
    assert listed == []
    answer = oversight.get(f"/resources/ticket/{ticket.id}/attachments/{added.id}")
    assert answer.status_code == 404, (answer.status_code, answer.headers.get("content-type"))


def test_a_read_only_key_cannot_edit_or_step_a_ticket_it_sees(api, session, lead):
    """Oversight (ticket.view alone) sees every ticket and changes none: edits, steps and files
    are refused (403) and nothing is written."""
    ticket, _added = _agent_ticket(session, lead)
    oversight = api.as_role("executive")
    base = f"/resources/ticket/{ticket.id}"
    _problem(
        oversight.patch(base, json={"subject": "改"}, headers={"If-Match": '"1"'}),
        403,
        "auth.denied",
    )
    step = oversight.post(f"{base}/transitions/resolve", json={"resolution_note": "done"})
    assert step.status_code in (403, 404), step.text
    _problem(
        oversight.post(
            f"{base}/attachments",
            json={"filename": "b.pdf", "content_base64": base64.b64encode(PDF).decode()},
        ),
        403,
        "auth.denied",
    )
    fresh(session)
    assert session.get(type(ticket), ticket.id).subject == "无法登录"


# --- writes ---------------------------------------------------------------------------------------
PARTNER = {
    "name": "华夏基金",
    "kind": "fund_company",
    "licence_no": "91110000",
    "status": "active",
    "commission_rate": "0.85",
}


@pytest.mark.parametrize(
    "extra",
    [
        {"id": 999},
        {"version": 42},
        {"created_at": "2020-01-01T00:00:00+00:00"},
        {"updated_at": "2020-01-01T00:00:00+00:00"},
        {"archived_at": "2020-01-01T00:00:00+00:00"},
        {"created_by": "someone.else"},
        {"x_not_declared": "1"},
    ],
)
def test_bookkeeping_fields_in_a_body_are_refused_and_change_nothing(api, session, extra):
    """Mass assignment: a create or an edit naming a column that is no field of the form (the
    id, the version, times, who made it, an undeclared custom field) is refused with 422 naming
    it, never silently applied or ignored."""
    http = api.as_role("product_manager")
    made = http.post("/resources/partner", json=PARTNER)
    assert made.status_code == 201, made.text
    record = made.json()["data"]
    body = _problem(
        http.post("/resources/partner", json={**PARTNER, "licence_no": "2", **extra}),
        422,
        "api.invalid",
    )
    assert [e["field"] for e in body["errors"]] == list(extra)
    edit = http.patch(
        f"/resources/partner/{record['id']}",
        json={"name": "改名", **extra},
        headers={"If-Match": f'"{record["version"]}"'},
    )
    _problem(edit, 422, "api.invalid")
    fresh(session)
    [stored] = session.exec(select(Partner)).all()
    assert (stored.id, stored.name, stored.version) == (record["id"], "华夏基金", record["version"])


# --- platform endpoints ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "amount",
    [
        "NaN",
        "sNaN",
        "Infinity",
        "-Infinity",
        "1e9999",
        "-5000",
        "0",
        "5000.0000000001",
        "5000.001",
        "５０００",  # full-width digits
        "5000%",  # a rate's sign on an amount
        "5,0,0,0",
        "99999999999999999999999999.99",
        5000.5,  # a JSON number, not a decimal string
        True,
        None,
        ["5000"],
    ],
)
def test_an_order_with_an_odd_amount_is_refused_and_records_nothing(api, session, amount):
    """Amounts are exact decimal strings of at most two places, positive and finite: anything
    else is a 422 naming ``amount`` (never a 500), and no transaction is kept."""
    person, item = customer(session, 11), product(session, "PX1")
    answer = api.as_role().post(
        "/platform/orders",
        json={
            "customer_id": person.id,
            "product_id": item.id,
            "kind": "subscription",
            "amount": amount,
        },
    )
    _no_server_error(answer)
    assert answer.status_code == 422, answer.text
    fresh(session)
    assert session.exec(select(Transaction)).all() == []


def test_an_idempotency_key_replayed_by_another_client_is_not_answered_from_the_first(api, session):
    """Idempotency keys are each client's own: client B sending client A's key gets its own
    call made and answered, never A's answer (``Idempotent-Replayed``)."""
    person, item = customer(session, 12), product(session, "PX2")
    order = {
        "customer_id": person.id,
        "product_id": item.id,
        "kind": "subscription",
        "amount": "5000.00",
    }
    headers = {"Idempotency-Key": "order-0001"}
    first = api.as_role(name="app-a").post("/platform/orders", json=order, headers=headers)
    second = api.as_role(name="app-b").post("/platform/orders", json=order, headers=headers)
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["transaction_id"] != first.json()["transaction_id"]
    fresh(session)
    actors = sorted(
        e.actor
        for e in session.exec(select(AuditEntry).where(AuditEntry.action == "transaction.create"))
    )
    assert actors == ["api:app-a", "api:app-b"]


@pytest.mark.parametrize("key", ["k" * 101, "a\tb", "line\nbreak", "\x7f"])
def test_an_unusable_idempotency_key_is_refused_before_anything_is_done(api, session, key):
    """Over 100 characters or not printable: 422 ``api.idempotency_key_invalid``, nothing
    recorded."""
    person, item = customer(session, 13), product(session, "PX3")
    order = {
        "customer_id": person.id,
        "product_id": item.id,
        "kind": "subscription",
        "amount": "5000.00",
    }
    try:
        answer = api.as_role().post(
            "/platform/orders", json=order, headers={"Idempotency-Key": key}
        )
    except Exception:  # the HTTP client itself refuses to send such a header
        return
    _problem(answer, 422, "api.idempotency_key_invalid")
    fresh(session)
    assert session.exec(select(Transaction)).all() == []


# --- webhooks -------------------------------------------------------------------------------------
@pytest.fixture
def production(monkeypatch):
    monkeypatch.setattr(webhooks, "get_settings", lambda: types.SimpleNamespace(is_production=True))
    monkeypatch.delenv(webhooks.PRIVATE_TARGETS_SETTING, raising=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://LOCALHOST./hook",
    ],
)
def test_in_production_an_inward_webhook_url_is_refused_when_saved(api, session, production, url):
    """An administrator's key cannot subscribe a loopback, private, link-local or unspecified
    address: 422 on ``url``, nothing saved."""
    admin = api.as_role("admin")
    answer = admin.post(
        "/resources/webhook_subscription",
        json={"name": "inward", "url": url, "events": ["product.published"], "is_active": True},
    )
    _problem(answer, 422, "api.invalid")
    fresh(session)
    assert session.exec(select(WebhookSubscription)).all() == []


@pytest.mark.parametrize(
    "url",
    [
        "http://0x7f000001/hook",  # 127.0.0.1 in hexadecimal
        "http://2130706433/hook",  # 127.0.0.1 as one decimal number
        "http://127.1/hook",  # 127.0.0.1 shortened
        "http://0177.0.0.1/hook",  # 127.0.0.1 in octal
    ],
)
def test_in_production_an_inward_address_in_another_spelling_is_refused_when_saved(
    api, session, production, url
):
    """The same addresses spelled as the resolver also reads them (hexadecimal, one number,
    shortened, octal) are refused on save as the dotted form is (docs/api.md: "such a URL is
    refused when the subscription is saved")."""
    admin = api.as_role("admin")
    answer = admin.post(
        "/resources/webhook_subscription",
        json={"name": "inward", "url": url, "events": ["product.published"], "is_active": True},
    )
    _problem(answer, 422, "api.invalid")
    fresh(session)
    assert session.exec(select(WebhookSubscription)).all() == []


def test_no_answer_carries_a_webhook_secret_or_an_api_key(api, session):
    """A subscription's signing secret and the API keys (or their hashes) appear in no answer:
    the subscription, its list, its history, the delivery resources, whoami, the index."""
    admin = make_principal(session, "admin.hooks", ["admin"])
    subscription, secret = webhooks.create_subscription(
        session,
        actor=admin,
        name="receiver",
        url="https://hooks.example.com/in",
        events=["product.published"],
    )
    session.commit()
    if not secret:
        secret = webhooks.issue_first_secret(session, actor=admin, subscription_id=subscription.id)
        session.commit()
    rotated = webhooks.rotate_secret(session, actor=admin, subscription_id=subscription.id)
    session.commit()
    _client_id, key = api.key("admin", name="ops-console")
    http = api.http(key)
    hashes = [k.secret_hash for k in session.exec(select(ApiKey)).all()]
    answers = [
        http.get(f"/resources/webhook_subscription/{subscription.id}"),
        http.get("/resources/webhook_subscription"),
        http.get(f"/resources/webhook_subscription/{subscription.id}/history"),
        http.get("/resources/webhook_event"),
        http.get("/resources/webhook_delivery"),
        http.get("/whoami"),
        http.get("/resources"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        text = answer.text
        for secret_text in (secret, rotated, key, key.split("_", 2)[2], *hashes):
            assert secret_text and secret_text not in text, answer.request.url
        assert "whsec_" not in text and "secret_cipher" not in text


# --- odd input ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"limit": "²"},  # a digit to str.isdigit, not to int()
        {"limit": "٣"},
        {"limit": "1e2"},
        {"limit": "-1"},
        {"limit": " 5"},
        {"cursor": "%%%"},
        {"cursor": base64.urlsafe_b64encode(b'["name", "x", "\xc2\xb2"]').decode()},
        {"cursor": base64.urlsafe_b64encode(json.dumps(["name", {"a": 1}, 1]).encode()).decode()},
        {"cursor": base64.urlsafe_b64encode(json.dumps(["name", "x"]).encode()).decode()},
        "q=%ED%A0%80",  # a lone surrogate, as UTF-8 bytes
        "q=%FF%FE",  # no UTF-8 at all
        "q=%00",
        {"q": "%_\\"},
        {"view": "1 OR 1=1"},
        {"view": "²"},
        {"sort": "-" * 300},
        {"commission_rate__min": "NaN"},
        {"commission_rate__min": "1e9999"},
        {"contract_end__min": "9999-99-99"},
        {"queue": "../../etc"},
    ],
)
def test_odd_list_parameters_never_fail_the_server(api, session, params):
    """Whatever a list is given, the answer is a list or a 4xx problem, never a 500."""
    http = api.as_role("product_manager")
    if isinstance(params, str):  # sent as written (bytes the HTTP client would not encode)
        _no_server_error(http.get(f"/resources/partner?{params}"))
    else:
        _no_server_error(http.get("/resources/partner", params=params))


@pytest.mark.parametrize(
    "tag",
    # header bytes are read as Latin-1: b"\xb2" arrives as "²", a digit to str.isdigit only
    [b'"\xb2"', b'"\xb2-abc"', b'W/""', b'"-1"', b'"00000000001"', b"*", b'"\xd9\xa3"'],
)
def test_odd_if_match_never_fails_the_server(api, session, tag):
    """An If-Match the client mangled is a 4xx problem (422, 412 or 428), never a 500, and the
    record is unchanged."""
    http = api.as_role("product_manager")
    made = http.post("/resources/partner", json=PARTNER).json()["data"]
    answer = http.patch(
        f"/resources/partner/{made['id']}", json={"name": "改名"}, headers={"If-Match": tag}
    )
    _no_server_error(answer)
    fresh(session)
    if answer.status_code >= 400:
        assert session.get(Partner, made["id"]).name == "华夏基金"


@pytest.mark.parametrize(
    "path",
    [
        "/resources/partner/0",
        "/resources/partner/-1",
        "/resources/partner/99999999999999999999",
        "/resources/partner/1.5",
        "/resources/partner/%00",
        "/resources/partner/1/attachments/99999999999999999999",
        "/resources/..%2F..%2Fwhoami",
        "/resources/partner/1/history?x=%ff",
    ],
)
def test_odd_addresses_never_fail_the_server(api, session, path):
    http = api.as_role("product_manager")
    _no_server_error(http.get(path))


@pytest.mark.parametrize(
    "language",
    ["zh;q=NaN", "*;q=0", "x" * 4000, "zh-Hant-TW-u-nu-hanidec", "en;q=1e999, zh", "", ",,,;"],
)
def test_odd_accept_language_never_fails_the_server(api, session, language):
    """Any Accept-Language gives an answer in Chinese or English, never a 500."""
    http = api.as_role("product_manager")
    answer = http.get("/resources/partner/999", headers={"Accept-Language": language})
    _problem(answer, 404, "error.not_found")
    assert answer.json()["detail"]


def test_a_problem_does_not_echo_input_as_markup(api, session):
    """A refusal names the field and the rule; it does not send back the caller's text as HTML
    (problem+json only, no reflected markup in ``detail``)."""
    http = api.as_role("admin")
    payload = "<script>alert(1)</script>"
    answer = http.post(
        "/resources/webhook_subscription",
        json={"name": "x", "url": "https://hooks.example.com/", "events": [payload]},
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert payload not in body["detail"]


# --- what histories and the platform's endpoints give away -----------------------------------
def test_a_customers_history_names_no_campaign_to_a_role_without_campaigns(api, session):
    """An agent's key reads customers but not campaigns: the customer's history (its described
    lines) must not name the campaign the customer signed up with, as the record itself shows
    only its id."""
    campaign = running_campaign(session)
    signed = api.as_role().post(
        "/platform/sign-ups",
        json={
            "name": "李娜",
            "id_number": id_number(31),
            "phone": "13912345678",
            "city": "上海",
            "campaign_code": campaign.code,
        },
    )
    assert signed.status_code == 201, signed.text
    agent = api.as_role("cs_agent")
    assert agent.get("/resources/campaign").status_code == 403
    trail = agent.get(f"/resources/customer/{signed.json()['customer_id']}/history")
    assert trail.status_code == 200, trail.text
    assert campaign.name not in trail.text, trail.json()["data"][-1]["described"]


def test_a_watchlist_entrys_history_never_shows_the_id_number(api, session):
    """An id number on a watch-list entry is kept one way (a keyed hash): neither the record,
    its list nor its history gives back the number or its hash."""
    number = id_number(41)
    compliance = api.as_role("compliance")
    made = compliance.post(
        "/resources/watchlist_entry",
        json={"list_kind": "sanctions", "name": "赵六", "id_number_hash": number, "source": "UN"},
    )
    assert made.status_code == 201, made.text
    entry_id = made.json()["data"]["id"]
    fresh(session)
    from models.kyc import WatchlistEntry

    stored = session.get(WatchlistEntry, entry_id).id_number_hash
    assert stored and stored != number
    for answer in (
        made,
        compliance.get(f"/resources/watchlist_entry/{entry_id}"),
        compliance.get("/resources/watchlist_entry"),
        compliance.get(f"/resources/watchlist_entry/{entry_id}/history"),
    ):
        assert answer.status_code in (200, 201), answer.text
        assert number not in answer.text and stored not in answer.text, answer.request.url


def _message(http, person, **more):
    return http.post(
        "/platform/messages",
        json={"customer_id": person.id, "subject": "转账失败", "body": "请帮忙查看", **more},
    )


def test_a_platform_key_cannot_write_to_or_rate_another_customers_ticket(api, session):
    """A ticket is reached through its own customer only: a message or a rating naming
    another customer answers exactly as for a ticket that does not exist, and changes
    nothing."""
    owner, other = customer(session, 51), customer(session, 52)
    http = api.as_role()
    opened = _message(http, owner)
    assert opened.status_code == 201, opened.text
    ticket_id = opened.json()["ticket_id"]
    missing = ticket_id + 1000
    fresh(session)
    before = session.exec(select(sa.func.count()).select_from(AuditEntry)).one()
    for hidden, absent in (
        (_message(http, other, ticket_id=ticket_id), _message(http, other, ticket_id=missing)),
        (
            http.post(
                f"/platform/tickets/{ticket_id}/satisfaction",
                json={"customer_id": other.id, "score": 1, "comment": "差"},
            ),
            http.post(
                f"/platform/tickets/{missing}/satisfaction",
                json={"customer_id": other.id, "score": 1, "comment": "差"},
            ),
        ),
    ):
        assert hidden.status_code == absent.status_code and hidden.status_code >= 400, (
            hidden.text,
            absent.text,
        )
        assert hidden.json()["code"] == absent.json()["code"], (hidden.text, absent.text)
    fresh(session)
    assert session.exec(select(sa.func.count()).select_from(AuditEntry)).one() == before


def test_a_kept_answer_does_not_hold_a_salary_in_clear(api, session):
    """Salaries are kept encrypted; the answer kept for an Idempotency-Key replay must not put
    one in clear in the database (nor give it back to a client whose role may no longer read
    it)."""
    team = Team(code="ops", name_zh="运营", name_en="Operations")
    session.add(team)
    session.commit()
    hr = api.as_role("hr")
    made = hr.post(
        "/resources/employee",
        json={
            "employee_no": "E777",
            "name": "王芳",
            "team_id": team.id,
            "position": "Analyst",
            "hire_date": "2025-03-01",
            "status": "active",
            "salary": "31234.56",
        },
        headers={"Idempotency-Key": "hire-e777"},
    )
    assert made.status_code == 201, made.text
    assert made.json()["data"]["salary"] == "31234.56"
    fresh(session)
    kept = session.exec(select(IdempotencyRecord)).all()
    assert kept and all("31234.56" not in k.response_cipher for k in kept)


HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        (
            "/platform/orders",
            '{"customer_id":%s,"product_id":1,"kind":"subscription","amount":"5000"}',
        ),
        (
            "/platform/orders",
            '{"customer_id":1,"product_id":%s,"kind":"subscription","amount":"5000"}',
        ),
        (
            "/platform/orders",
            '{"customer_id":1,"product_id":1,"kind":"subscription","amount":1e400%s}',
        ),
        ("/platform/orders", '{"customer_id":-1,"product_id":0,"kind":"%s","amount":"5000"}'),
        ("/platform/messages", '{"customer_id":%s,"subject":"s","body":"b"}'),
        ("/platform/messages", '{"customer_id":1,"subject":"s","body":"b","ticket_id":%s}'),
        ("/platform/tickets/%s/satisfaction", '{"customer_id":1,"score":5}'),
        ("/platform/tickets/1/satisfaction", '{"customer_id":1,"score":%s}'),
        ("/platform/customers/%s/risk-assessments", '{"answers":[]}'),
        ("/platform/customers/1/risk-assessments", '{"answers":[{"question_id":%s,"answer":0}]}'),
        ("/platform/customers/1/risk-assessments", '{"answers":[{"question_id":1,"answer":%s}]}'),
    ],
)
def test_platform_calls_with_out_of_range_numbers_never_fail_the_server(api, session, path, raw):
    """Ids, scores and answers far beyond any column (or negative) are refused (4xx), never
    passed to the database to fail there as a 500."""
    customer(session, 61)
    product(session, "PX6")
    http = api.as_role()
    for number in (HUGE, "-" + HUGE):
        target = path % number if "%s" in path else path
        body = raw % number if "%s" in raw else raw
        answer = http.post(target, content=body, headers={"Content-Type": "application/json"})
        _no_server_error(answer)


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": b"Bearer \xff\xfe\xfd"},
        {"X-API-Key": b"bo_\xe4\xb8\xad"},
        {"Authorization": "Bearer " + "a" * 6000},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Accept-Language": b"\xff\xfe"},
    ],
)
def test_odd_credentials_are_a_401_never_a_500(api, headers):
    answer = api.http().get("/whoami", headers=headers)
    _problem(answer, 401, "api.unauthenticated")


def test_a_platform_key_does_not_learn_the_watch_list_hit_from_a_cases_history(api, session):
    """Screening is compliance's: the customer platform (which shows customers their
    application) may know a case was referred, not which watch-list entry it matched nor how
    well. The case's history through a platform key must not carry the hit (the entry and its
    score), which the platform role may not read (no ``watchlist`` right)."""
    entry = watchlisted(session, "王建国")
    http = api.as_role()
    signed = http.post(
        "/platform/sign-ups",
        json={"name": "王建国", "id_number": id_number(71), "phone": "13912345678"},
    )
    assert signed.status_code == 201, signed.text
    assert http.get(f"/resources/watchlist_entry/{entry.id}").status_code == 403
    trail = http.get(f"/resources/kyc_case/{signed.json()['kyc_case_id']}/history")
    assert trail.status_code == 200, trail.text
    actions = [row["action"] for row in trail.json()["data"]]
    assert "screening.hit" not in actions, trail.text
    assert "score 100" not in trail.text and f"entry {entry.id}" not in trail.text


PRODUCT = {
    "code": "P9",
    "name": "稳盈90天",
    "product_type": "fixed_term",
    "risk_level": "R2",
    "min_purchase": "1000",
    "term_days": 90,
    "early_redemption": "not_allowed",
}


def test_a_workflow_state_is_never_written_directly(api, session):
    """A product's status moves only by its steps (submit, approve, publish…): a create or an
    edit naming it is refused (422 on ``status``) and the product stays a draft."""
    http = api.as_role("product_manager")
    partner_id = http.post("/resources/partner", json=PARTNER).json()["data"]["id"]
    body = {**PRODUCT, "partner_id": partner_id}
    refused = _problem(
        http.post("/resources/product", json={**body, "status": "on_sale"}), 422, "api.invalid"
    )
    assert [e["field"] for e in refused["errors"]] == ["status"]
    made = http.post("/resources/product", json=body)
    assert made.status_code == 201, made.text
    record = made.json()["data"]
    for status in ("on_sale", "approved"):
        edit = http.patch(
            f"/resources/product/{record['id']}",
            json={"status": status},
            headers={"If-Match": f'"{record["version"]}"'},
        )
        _problem(edit, 422, "api.invalid")
    fresh(session)
    from models.products import Product

    assert session.get(Product, record["id"]).status == record["status"] != "on_sale"


def test_archive_and_restore_need_the_archive_right(api, session):
    """A key whose role reads partners but may not archive them can neither archive nor
    restore one (403), and nothing changes."""
    pm = api.as_role("product_manager")
    first = pm.post("/resources/partner", json=PARTNER).json()["data"]
    second = pm.post("/resources/partner", json={**PARTNER, "name": "易方达", "licence_no": "2"})
    second = second.json()["data"]
    assert pm.post(f"/resources/partner/{second['id']}/archive").status_code == 200
    marketing = api.as_role("marketing")
    _problem(marketing.post(f"/resources/partner/{first['id']}/archive"), 403, "auth.denied")
    _problem(marketing.post(f"/resources/partner/{second['id']}/restore"), 403, "auth.denied")
    fresh(session)
    assert session.get(Partner, first["id"]).archived_at is None
    assert session.get(Partner, second["id"]).archived_at is not None


def test_an_agent_key_cannot_find_customers_by_birth_date_or_id_number(api, session):
    """An agent's key may not read birth dates or id numbers, so it cannot select by them
    either: a birth-date bound or sort is refused or narrows nothing, and a search by the id
    number's digits finds nobody."""
    older = make_customer(session, id_number=id_number(81, date(1960, 1, 1)), born=date(1960, 1, 1))
    younger = make_customer(
        session, id_number=id_number(82, date(2000, 1, 1)), born=date(2000, 1, 1)
    )
    agent = api.as_role("cs_agent")
    everyone = {older.id, younger.id}
    for params in (
        {"birth_date__min": "1990-01-01"},
        {"birth_date__max": "1970-01-01"},
        {"birth_date": "1960-01-01"},
    ):
        answer = agent.get("/resources/customer", params=params)
        if answer.status_code == 200:
            assert {r["id"] for r in answer.json()["data"]} == everyone, params
        else:
            _problem(answer, 422, "api.invalid")
    for sort in ("birth_date", "-birth_date", "id_number_hash"):
        _problem(agent.get("/resources/customer", params={"sort": sort}), 422, "api.invalid")
    for prefix in (id_number(81, date(1960, 1, 1))[:10], "196001"):
        assert agent.get("/resources/customer", params={"q": prefix}).json()["data"] == []


@pytest.mark.parametrize(
    "raw", [b"[" * 100_000 + b"]" * 100_000, b'{"customer_id": 1,', b"\xff\xfe{}", b"NaN"]
)
def test_a_body_that_is_no_json_is_called_bad_input_not_an_internal_error(api, session, raw):
    """A body that cannot be read (nested too deep, cut short, not UTF-8, not JSON) is the
    caller's fault: a 4xx whose code and detail say the input is bad, never "Internal error"
    (which tells the caller to retry the same body, docs/api.md)."""
    answer = api.as_role().post(
        "/platform/orders", content=raw, headers={"Content-Type": "application/json"}
    )
    _no_server_error(answer)
    assert 400 <= answer.status_code < 500, answer.text
    body = answer.json()
    assert body["code"] != "api.error" and "Internal error" not in body["detail"], body


@pytest.mark.parametrize("role", ["platform", "cs_agent"])
def test_a_reveal_and_its_reason_stay_out_of_a_customers_history_read_by_a_key(api, session, role):
    """When compliance reveals a customer's id number it states why (e.g. an anti-money-
    laundering inquiry): that reason is compliance's. A key of a role without the reveal right
    (the customer platform, an agent) reading the customer's history must not get the reason;
    telling the customer's side of the business of an inquiry is tipping off."""
    from backoffice.domains.kyc import rules as kyc_rules

    person = customer(session, 91)
    officer = make_principal(session, "compliance.officer", ["compliance"])
    reason = "反洗钱调查：可疑交易核查"
    kyc_rules.reveal(
        session, principal=officer, customer_id=person.id, field="id_number", reason=reason
    )
    session.commit()
    trail = api.as_role(role).get(f"/resources/customer/{person.id}/history")
    assert trail.status_code == 200, trail.text
    assert reason not in trail.text, [row["changes"] for row in trail.json()["data"]]


def test_a_stale_edit_names_the_last_change_not_the_last_look(api, session):
    """412 names who changed the record since the version sent. A reveal is a look, not a
    change (the version stays): it must not be reported as a change, nor name the compliance
    officer who looked and the fields they looked at to the customer platform's key."""
    from backoffice.domains.kyc import rules as kyc_rules

    person = customer(session, 92)
    officer = make_principal(session, "compliance.officer", ["compliance"])
    kyc_rules.reveal(
        session, principal=officer, customer_id=person.id, field="id_number", reason="核对身份"
    )
    session.commit()
    stale = api.as_role().patch(
        f"/resources/customer/{person.id}", json={}, headers={"If-Match": '"0"'}
    )
    assert stale.status_code == 412, stale.text
    detail = stale.json()["detail"]
    assert "Compliance.Officer" not in detail and "ID number" not in detail, detail
