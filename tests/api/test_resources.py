"""Every engine resource over REST, through the served API: the same permissions, row scope,
masking, parsing and validation as the portal's pages, typed JSON values, versions (If-Match),
idempotent creates, keyset cursors, workflow transitions, archive, history and attachments."""

from __future__ import annotations

import base64
import json
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import select

from backoffice.engine import service
from backoffice.engine.resource import all_resources
from backoffice.engine.resource import get as get_resource
from backoffice.security import fields as secure_fields
from models.attachments import Attachment
from models.audit import AuditEntry
from models.hr import Employee, Team
from models.partners import Partner
from models.products import Product
from models.views import SavedView
from tests.factories import (
    CUSTOMER_ID_NUMBER,
    make_customer,
    make_principal,
    make_user,
    open_ticket,
)

PARTNER = {
    "name": "华夏基金",
    "kind": "fund_company",
    "licence_no": "91110000",
    "status": "active",
    "commission_rate": "0.85",
    "contract_end": "2027-06-30",
}


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    return body


def _tag_version(response) -> int:
    """The version an answer's ETag (``"<version>-<digest>"``) starts with."""
    tag = response.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('"') and "-" in tag, tag
    return int(tag.strip('"').split("-", 1)[0])


def _partners(session) -> list[Partner]:
    return list(session.exec(select(Partner).order_by(Partner.id)).all())


def _employee(session, salary: str = "23000") -> Employee:
    team = Team(code="ops", name_zh="运营", name_en="Operations")
    session.add(team)
    session.flush()
    employee = Employee(
        employee_no="E001",
        name="李娜",
        team_id=team.id,
        position="Analyst",
        hire_date=date(2024, 1, 2),
        salary_cipher=secure_fields.encrypt(salary),
    )
    session.add(employee)
    session.commit()
    return employee


# --- what a key may see ---------------------------------------------------------------------
def test_the_resource_index_lists_what_the_role_may_see_and_do(api):
    index = api.as_role("cs_agent").get("/resources").json()["data"]
    keys = {r["key"] for r in index}
    assert {"customer", "ticket", "product"} <= keys
    assert "employee" not in keys and "partner" not in keys
    ticket = next(r for r in index if r["key"] == "ticket")
    assert ticket["actions"] == ["view", "create", "edit"]
    assert ticket["path"] == "/api/v1/resources/ticket"
    assert ticket["label"]["zh"] and ticket["label"]["en"]


def test_a_role_without_the_resource_is_refused(api, session):
    employee = _employee(session)
    agent = api.as_role("cs_agent")
    _problem(agent.get("/resources/employee"), 403, "auth.denied")
    _problem(agent.get(f"/resources/employee/{employee.id}"), 403, "auth.denied")
    _problem(agent.post("/resources/partner", json=PARTNER), 403, "auth.denied")
    assert _partners(session) == []


def test_a_salary_is_seen_only_with_the_salary_right(api, session):
    employee = _employee(session, "23000")
    hr = api.as_role("hr").get(f"/resources/employee/{employee.id}").json()
    assert hr["data"]["salary"] == "23000.00"  # money: an exact decimal string
    pmo = api.as_role("pmo")  # sees employees, not their pay
    one = pmo.get(f"/resources/employee/{employee.id}")
    assert one.json()["data"]["salary"] is None
    assert one.json()["data"]["name"] == "李娜"
    listed = pmo.get("/resources/employee").json()["data"]
    assert [row["salary"] for row in listed] == [None]
    assert "23000" not in one.text + json.dumps(listed)
    # the history masks the salary too (the create below is audited with it)
    hr_key = api.as_role("hr")
    created = hr_key.post(
        "/resources/employee",
        json={
            "employee_no": "E002",
            "name": "王芳",
            "team_id": employee.team_id,
            "position": "Analyst",
            "hire_date": "2025-03-01",
            "status": "active",
            "salary": "31000",
        },
    )
    assert created.status_code == 201, created.text
    new_id = created.json()["data"]["id"]
    trail = pmo.get(f"/resources/employee/{new_id}/history").json()["data"]
    assert trail and "31000" not in json.dumps(trail)
    assert trail[0]["changes"]["salary"] == [service.MASK, service.MASK]


def test_an_agent_key_never_sees_an_id_number_or_a_birth_date(api, session):
    customer = make_customer(session)
    agent = api.as_role("cs_agent")
    one = agent.get(f"/resources/customer/{customer.id}")
    assert one.status_code == 200, one.text
    data = one.json()["data"]
    assert data["customer_no"] == customer.customer_no
    assert data["name_masked"] == customer.name_masked
    assert data["birth_date"] is None  # readable with customer.reveal only, never by a key
    assert CUSTOMER_ID_NUMBER not in one.text and "1990-03-07" not in one.text
    assert not {k for k in data if "id_number" in k or k.endswith("_cipher")}
    listed = agent.get("/resources/customer").text
    assert CUSTOMER_ID_NUMBER not in listed and "1990-03-07" not in listed


def test_row_scope_applies_to_keys(api, session):
    agent_person = make_principal(session, "agent.scope", ["cs_agent"])
    ticket = open_ticket(session, agent_person, make_customer(session))
    oversight = api.as_role("executive")  # ticket.view alone: every ticket
    assert [r["id"] for r in oversight.get("/resources/ticket").json()["data"]] == [ticket.id]
    agent_key = api.as_role("cs_agent")  # works tickets of its team: a key has none
    assert agent_key.get("/resources/ticket").json()["data"] == []
    _problem(agent_key.get(f"/resources/ticket/{ticket.id}"), 404, "error.not_found")


# --- create, validate, edit -----------------------------------------------------------------
def test_create_answers_201_with_location_etag_and_typed_values_audited_as_the_client(api, session):
    _client_id, key = api.key("product_manager", name="crm-sync")
    http = api.http(key)
    created = http.post("/resources/partner", json=PARTNER)
    assert created.status_code == 201, created.text
    body = created.json()
    partner_id = body["data"]["id"]
    assert created.headers["Location"] == f"/api/v1/resources/partner/{partner_id}"
    assert _tag_version(created) == 1 and body["version"] == 1
    assert body["data"]["commission_rate"] == "0.8500"  # percent: exact, 4 places
    assert body["data"]["contract_end"] == "2027-06-30"
    assert body["data"]["kind"] == "fund_company"
    stored = session.get(Partner, partner_id)
    assert stored.commission_rate == Decimal("0.85") and stored.name == "华夏基金"
    entry = session.exec(
        select(AuditEntry).where(
            AuditEntry.entity == "partner", AuditEntry.action == "partner.create"
        )
    ).one()
    assert entry.actor == "api:crm-sync"
    assert entry.client == "127.0.0.1"
    assert http.get(f"/resources/partner/{partner_id}").json() == body


def test_bad_input_is_refused_per_field_and_changes_nothing(api, session):
    http = api.as_role("product_manager")
    bad = {**PARTNER, "kind": "bank_of_mars", "commission_rate": "0.123456", "licence_no": ""}
    body = _problem(http.post("/resources/partner", json=bad), 422, "api.invalid")
    fields = {e["field"]: e["code"] for e in body["errors"]}
    assert fields == {
        "kind": "field.not_a_choice",
        "commission_rate": "field.too_many_decimals",
        "licence_no": "field.required",
    }
    assert all(e["message"] for e in body["errors"])
    for sent, field, code in (
        ({"nickname": "x"}, "nickname", "api.unknown_field"),
        ({"notes": 5}, "notes", "field.invalid"),  # not a text
        ({"commission_rate": 0.85}, "commission_rate", "field.invalid"),  # money is a string
        ({"status": "active", "version": 7}, "version", "api.unknown_field"),
    ):
        body = _problem(
            http.post("/resources/partner", json={**PARTNER, **sent}), 422, "api.invalid"
        )
        assert {e["field"]: e["code"] for e in body["errors"]} == {field: code}, sent
    zh = api.http(http.headers["Authorization"].split()[1], language="zh")
    body = _problem(
        zh.post("/resources/partner", json={**PARTNER, "kind": "x"}), 422, "api.invalid"
    )
    assert body["errors"][0]["message"] != "field.not_a_choice"
    assert _partners(session) == []
    assert session.exec(select(AuditEntry).where(AuditEntry.entity == "partner")).all() == []


def test_a_field_the_role_may_not_edit_is_refused_not_ignored(api, session):
    employee = _employee(session, "23000")
    pmo = api.as_role("pmo")
    _problem(
        pmo.patch(
            f"/resources/employee/{employee.id}", json={"salary": "1"}, headers={"If-Match": "1"}
        ),
        403,
        "auth.denied",
    )  # pmo may not edit employees at all
    executive = api.as_role("hr")
    created = executive.get(f"/resources/employee/{employee.id}").json()
    answer = executive.patch(
        f"/resources/employee/{employee.id}",
        json={"employee_no": "E999"},
        headers={"If-Match": f'"{created["version"]}"'},
    )
    body = _problem(answer, 422, "api.invalid")
    assert body["errors"][0] == {**body["errors"][0], "field": "employee_no"}
    session.expire_all()
    assert session.get(Employee, employee.id).employee_no == "E001"


def test_an_edit_needs_if_match_and_a_stale_version_names_who_changed_what(api, session):
    _id, key = api.key("product_manager", name="first")
    first = api.http(key)
    second = api.as_role("product_manager")
    partner_id = first.post("/resources/partner", json=PARTNER).json()["data"]["id"]
    _problem(
        first.patch(f"/resources/partner/{partner_id}", json={"notes": "x"}),
        428,
        "api.precondition_required",
    )
    edited = first.patch(
        f"/resources/partner/{partner_id}",
        json={"contact_name": "赵六", "commission_rate": "1.2"},
        headers={"If-Match": '"1"'},
    )
    assert edited.status_code == 200, edited.text
    assert _tag_version(edited) == 2
    assert edited.json()["data"]["commission_rate"] == "1.2000"
    stale = second.patch(
        f"/resources/partner/{partner_id}", json={"notes": "late"}, headers={"If-Match": '"1"'}
    )
    body = _problem(stale, 412, "record.stale_by")
    assert "api:first" in body["detail"] and "Commission" in body["detail"]
    session.expire_all()
    partner = session.get(Partner, partner_id)
    assert (partner.version, partner.notes, partner.contact_name) == (2, "", "赵六")


def test_a_create_replayed_with_its_idempotency_key_answers_the_same_and_creates_once(api, session):
    http = api.as_role("product_manager")
    headers = {"Idempotency-Key": "partner-0001"}
    first = http.post("/resources/partner", json=PARTNER, headers=headers)
    again = http.post("/resources/partner", json=dict(reversed(PARTNER.items())), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert len(_partners(session)) == 1
    other = http.post("/resources/partner", json={**PARTNER, "name": "易方达"}, headers=headers)
    _problem(other, 422, "api.idempotency_mismatch")
    assert len(_partners(session)) == 1
    # without a key the same body is a second create: the unique name refuses it
    _problem(http.post("/resources/partner", json=PARTNER), 409, "record.not_unique")
    assert len(_partners(session)) == 1


# --- lists ----------------------------------------------------------------------------------
def _many_partners(session, count: int) -> None:
    session.execute(
        sa.insert(Partner),
        [
            {
                "name": f"P{n:04d}",
                "kind": "bank" if n % 3 else "fund_company",
                "licence_no": str(n),
                "status": "active",
                "commission_rate": Decimal(n % 7),
                "contract_end": date(2027, 1, 1 + n % 28) if n % 4 else None,
                "notes": "",
            }
            for n in range(count)
        ],
    )
    session.commit()


def _walk(http, params: dict) -> list[int]:
    seen, cursor = [], None
    for _ in range(100):
        page = http.get(
            "/resources/partner", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [row["id"] for row in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the pages never ended")


def test_cursor_pages_walk_every_record_once_in_order_whatever_the_sort(api, session):
    _many_partners(session, 320)
    http = api.as_role("product_manager")
    everyone = {p.id: p for p in _partners(session)}
    by_name = _walk(http, {"limit": 50})
    assert by_name == sorted(everyone, key=lambda i: everyone[i].name)
    # a nullable column, descending: empty values last, each record once
    by_end = _walk(http, {"sort": "-contract_end", "limit": 37})
    assert sorted(by_end) == sorted(everyone) and len(by_end) == len(set(by_end))
    ends = [everyone[i].contract_end for i in by_end]
    dated = [e for e in ends if e is not None]
    assert dated == sorted(dated, reverse=True) and ends[len(dated) :] == [None] * (
        320 - len(dated)
    )
    # a time, descending: rows written in the same instant are ordered by id
    by_update = _walk(http, {"sort": "-updated_at", "limit": 45})
    assert by_update == sorted(everyone, key=lambda i: (everyone[i].updated_at, i), reverse=True)
    filtered = _walk(http, {"kind": "fund_company", "commission_rate__min": "3", "limit": 10})
    assert set(filtered) == {
        i for i, p in everyone.items() if p.kind == "fund_company" and p.commission_rate >= 3
    }


def test_records_added_while_paging_neither_repeat_nor_push_others_out(api, session):
    _many_partners(session, 120)
    http = api.as_role("product_manager")
    first = http.get("/resources/partner", params={"sort": "id", "limit": 40}).json()
    _many_partners_named(session, ["A-early", "zz-late"])
    seen = [r["id"] for r in first["data"]]
    cursor = first["next_cursor"]
    while cursor:
        page = http.get("/resources/partner", params={"sort": "id", "limit": 40, "cursor": cursor})
        seen += [r["id"] for r in page.json()["data"]]
        cursor = page.json()["next_cursor"]
    assert seen == sorted(p.id for p in _partners(session))  # the new ones come at the end


def _many_partners_named(session, names: list[str]) -> None:
    for name in names:
        session.add(Partner(name=name, kind="bank", licence_no="1", status="active"))
    session.commit()


def _cursor(parts: list) -> str:
    """A cursor as the list gives them out, with what a caller might alter in one."""
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def test_a_bad_cursor_limit_sort_or_filter_is_refused(api, session):
    _many_partners(session, 30)
    http = api.as_role("product_manager")
    cursor = http.get("/resources/partner", params={"limit": 10}).json()["next_cursor"]
    for params, field in (
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": cursor, "sort": "-id"}, "cursor"),  # given out for another order
        ({"cursor": _cursor(["commission_rate", "1e400", 3]), "sort": "commission_rate"}, "cursor"),
        ({"cursor": _cursor(["-updated_at", "yesterday", 3]), "sort": "-updated_at"}, "cursor"),
        ({"cursor": _cursor(["name", "P1", 0])}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"sort": "notes"}, "sort"),  # not a list column
        ({"contract_end__min": "tomorrow"}, "contract_end"),
    ):
        body = _problem(http.get("/resources/partner", params=params), 422, "api.invalid")
        assert [e["field"] for e in body["errors"]] == [field], params


def test_a_shared_saved_view_filters_the_list(api, session):
    _many_partners(session, 30)
    owner, _ = make_user(session, "pm.views", ["product_manager"])
    session.add(
        SavedView(
            user_id=owner.id, resource="partner", name="banks", params="kind=bank", shared=True
        )
    )
    session.add(
        SavedView(user_id=owner.id, resource="partner", name="mine", params="kind=fund_company")
    )
    session.commit()
    views = {v.name: v.id for v in session.exec(select(SavedView)).all()}
    http = api.as_role("product_manager")
    rows = http.get("/resources/partner", params={"view": views["banks"], "limit": 200}).json()
    assert rows["data"] and {r["kind"] for r in rows["data"]} == {"bank"}
    _problem(http.get("/resources/partner", params={"view": views["mine"]}), 422, "api.invalid")


# --- workflow, archive, history, attachments ------------------------------------------------
PRODUCT = {
    "code": "P9",
    "name": "稳盈90天",
    "product_type": "fixed_term",
    "risk_level": "R2",
    "min_purchase": "1000",
    "term_days": 90,
    "early_redemption": "not_allowed",
}


def test_a_key_takes_a_workflow_step_but_never_an_approving_one(api, session):
    _id, key = api.key("product_manager", name="catalogue-feed")
    http = api.http(key)
    partner_id = http.post("/resources/partner", json=PARTNER).json()["data"]["id"]
    created = http.post("/resources/product", json={**PRODUCT, "partner_id": partner_id})
    assert created.status_code == 201, created.text
    product_id = created.json()["data"]["id"]
    assert created.json()["data"]["status"] == "draft"
    assert created.json()["data"]["min_purchase"] == "1000.00"
    # the step's guard: no review without both disclosure documents
    body = _problem(
        http.post(f"/resources/product/{product_id}/transitions/submit"), 422, "product.disclosures"
    )
    assert body["detail"]
    for category in ("prospectus", "risk_disclosure"):
        document = {
            "filename": f"{category}.pdf",
            "category": category,
            "content_base64": base64.b64encode(b"%PDF-1.4 " + category.encode()).decode(),
        }
        assert (
            http.post(f"/resources/product/{product_id}/attachments", json=document).status_code
            == 201
        )
    one = http.get(f"/resources/product/{product_id}").json()
    assert one["transitions"] == ["submit"]
    submitted = http.post(
        f"/resources/product/{product_id}/transitions/submit",
        headers={"If-Match": f'"{one["version"]}"'},
    )
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["data"]["status"] == "in_review"
    assert _tag_version(submitted) == submitted.json()["version"]
    assert "publish" not in submitted.json()["transitions"]
    for step in ("publish", "reject"):  # approve / publish: a person's steps, never a key's
        _problem(
            http.post(f"/resources/product/{product_id}/transitions/{step}"), 403, "auth.denied"
        )
    session.expire_all()
    assert session.get(Product, product_id).status == "in_review"
    steps = session.exec(
        select(AuditEntry.action, AuditEntry.actor).where(AuditEntry.entity == "product")
    ).all()
    assert ("product.transition.submit", "api:catalogue-feed") in steps
    assert not [a for a, _ in steps if a.endswith((".publish", ".reject"))]


def test_archive_and_restore_with_history_in_the_callers_language(api, session):
    _id, key = api.key("product_manager", name="archiver")
    http = api.http(key)
    partner_id = http.post("/resources/partner", json=PARTNER).json()["data"]["id"]
    archived = http.post(f"/resources/partner/{partner_id}/archive", headers={"If-Match": '"1"'})
    assert archived.status_code == 200, archived.text
    assert archived.json()["data"]["archived_at"] and _tag_version(archived) == 2
    assert http.get("/resources/partner").json()["data"] == []
    listed = http.get("/resources/partner", params={"archived": "1"}).json()["data"]
    assert [r["id"] for r in listed] == [partner_id]
    edit = http.patch(
        f"/resources/partner/{partner_id}", json={"notes": "x"}, headers={"If-Match": '"2"'}
    )
    _problem(edit, 409, "record.archived")
    reader = api.as_role("marketing")  # sees partners, may not archive: nor list the archived
    _problem(reader.get("/resources/partner", params={"archived": "1"}), 403, "auth.denied")
    _problem(reader.post(f"/resources/partner/{partner_id}/restore"), 403, "auth.denied")
    stale = http.post(f"/resources/partner/{partner_id}/restore", headers={"If-Match": '"1"'})
    _problem(stale, 412, "record.stale_by")
    restored = http.post(f"/resources/partner/{partner_id}/restore")
    assert restored.status_code == 200 and restored.json()["data"]["archived_at"] is None
    trail = http.get(f"/resources/partner/{partner_id}/history").json()["data"]
    assert [e["action"] for e in trail] == ["partner.restore", "partner.archive", "partner.create"]
    assert {e["actor"] for e in trail} == {"api:archiver"}
    assert trail[2]["changes"]["name"] == [None, "华夏基金"]
    zh = api.http(key, language="zh").get(f"/resources/partner/{partner_id}/history").json()
    assert trail[2]["described"]["action"] != zh["data"][2]["described"]["action"]
    assert "华夏基金" in zh["data"][2]["described"]["changes"]


def test_files_are_attached_within_the_attachment_rules_and_downloaded(api, session):
    http = api.as_role("product_manager")
    partner_id = http.post("/resources/partner", json=PARTNER).json()["data"]["id"]
    pdf = b"%PDF-1.4 contract"
    sent = {"filename": "contract.pdf", "content_base64": base64.b64encode(pdf).decode()}
    added = http.post(f"/resources/partner/{partner_id}/attachments", json=sent)
    assert added.status_code == 201, added.text
    attachment = added.json()["data"]
    assert attachment["filename"] == "contract.pdf" and attachment["size"] == len(pdf)
    listed = http.get(f"/resources/partner/{partner_id}/attachments").json()["data"]
    assert [a["id"] for a in listed] == [attachment["id"]]
    got = http.get(f"/resources/partner/{partner_id}/attachments/{attachment['id']}")
    assert got.status_code == 200 and got.content == pdf
    assert got.headers["content-type"] == "application/pdf"
    attached = session.exec(select(AuditEntry).where(AuditEntry.action == "partner.attach")).one()
    assert attached.actor.startswith("api:") and attached.client == "127.0.0.1"
    fetched = session.exec(select(AuditEntry).where(AuditEntry.action == "partner.download")).one()
    assert fetched.actor == attached.actor and fetched.client == "127.0.0.1"
    fake = {"filename": "x.pdf", "content_base64": base64.b64encode(b"MZ not a pdf").decode()}
    body = _problem(
        http.post(f"/resources/partner/{partner_id}/attachments", json=fake), 422, "api.invalid"
    )
    assert body["errors"][0]["code"] == "attachment.content_mismatch"
    garbled = {"filename": "x.pdf", "content_base64": "%%%"}
    _problem(
        http.post(f"/resources/partner/{partner_id}/attachments", json=garbled), 422, "api.invalid"
    )
    assert len(session.exec(select(Attachment)).all()) == 1


# --- the document ---------------------------------------------------------------------------
def test_the_document_describes_each_resources_fields_with_unique_operation_ids(api):
    document = api.http().get("/openapi.json").json()
    operations = [
        op["operationId"]
        for path in document["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert len(operations) == len(set(operations))
    for resource in all_resources():
        assert f"/resources/{resource.key}" in document["paths"], resource.key
    schemas = document["components"]["schemas"]
    partner = schemas["Partner"]["properties"]
    assert partner["commission_rate"]["format"] == "decimal"
    assert partner["kind"]["enum"][:-1] == list(get_resource("partner").field("kind").choices)
    assert partner["name"]["x-label-zh"]
    patch = document["paths"]["/resources/partner/{id}"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "PartnerEdit"
    )
    assert "412" in patch["responses"] and "428" in patch["responses"]
    assert "Problem" in schemas


def test_the_reference_page_is_plain_html_listing_paths_and_fields(api):
    page = api.http().get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert (
        "<script" not in page.text
        and "http" not in page.text.split("<body>")[1].split('href="openapi.json"')[0]
    )
    assert "/resources/partner/{id}" in page.text and "commission_rate" in page.text
    assert get_resource("partner").field("commission_rate").label("zh") in page.text
    assert (
        f"{get_resource('partner').label('en')} / {get_resource('partner').label('zh')}"
        in page.text
    )
    chinese = api.http(language="zh").get("/docs").text
    assert "参数" in chinese


# --- every resource, every role, on the demo data -------------------------------------------
def test_every_resource_answers_every_role_in_its_documented_shape(api, clean_db, monkeypatch):
    from backoffice.api.schemas import Envelope, HistoryPage
    from backoffice.security import rbac
    from tests.factories import seed_tiny_demo

    seed_tiny_demo(clean_db, monkeypatch)
    shapes = {r.key: Envelope(r) for r in all_resources()}
    checked = 0
    for role in rbac.ROLES:
        _id, key = api.key(role, rate_per_minute=100_000)
        http = api.http(key)
        me = http.get("/whoami").json()  # the key's rights, as the server resolves them
        assert me["roles"] == [role]
        rights = set(me["rights"])
        for resource in all_resources():
            listed = http.get(f"/resources/{resource.key}", params={"limit": 3})
            if f"{resource.permission}.view" not in rights:
                assert listed.status_code == 403, (role, resource.key)
                continue
            assert listed.status_code == 200, (role, resource.key, listed.text)
            page = shapes[resource.key].page.model_validate(listed.json())
            for row in page.data:
                one = http.get(f"/resources/{resource.key}/{row.id}")
                assert one.status_code == 200, (role, resource.key, one.text)
                answer = shapes[resource.key].one.model_validate(one.json())
                assert _tag_version(one) == answer.version
                data = one.json()["data"]
                for spec in resource.fields:
                    hidden = spec.read_permission and ".".join(spec.read_permission) not in rights
                    if hidden or spec.one_way:
                        assert data.get(spec.name) is None, (role, resource.key, spec.name)
                trail = http.get(f"/resources/{resource.key}/{row.id}/history")
                assert trail.status_code == 200, (role, resource.key, trail.text)
                HistoryPage.model_validate(trail.json())
                checked += 1
    assert checked > 100


# --- a step with the fields it asks for -----------------------------------------------------
def _interviewed_candidate(session, http) -> int:
    """A candidate the HR key made and took to the interview (the offer comes next)."""
    from models.hr import JobOpening

    team = Team(code="data", name_zh="数据", name_en="Data")
    session.add(team)
    session.flush()
    opening = JobOpening(title="数据分析师", team_id=team.id, headcount=1, opened_on=date.today())
    session.add(opening)
    session.commit()
    created = http.post(
        "/resources/candidate",
        json={
            "name": "陈晨",
            "opening_id": opening.id,
            "channel": "referral",
            "applied_on": date.today().isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    candidate_id = created.json()["data"]["id"]
    for step in ("screen", "interview"):
        moved = http.post(f"/resources/candidate/{candidate_id}/transitions/{step}")
        assert moved.status_code == 200, moved.text
    return candidate_id


def _trail(session, entity: str, entity_id: int) -> list[tuple[str, str]]:
    session.expire_all()
    return list(
        session.exec(
            select(AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id)
        ).all()
    )


def test_a_step_takes_the_fields_it_asks_for_in_one_call(api, session):
    _id, key = api.key("hr", name="ats")
    http = api.http(key)
    candidate_id = _interviewed_candidate(session, http)
    # today's way still works and says what is missing: no body, no offered salary yet
    missing = _problem(
        http.post(f"/resources/candidate/{candidate_id}/transitions/offer"),
        422,
        "workflow.missing_fields",
    )
    assert "Offered salary" in missing["detail"]
    version = http.get(f"/resources/candidate/{candidate_id}").json()["version"]
    offered = http.post(
        f"/resources/candidate/{candidate_id}/transitions/offer",
        json={"offer_salary": "25000"},
        headers={"If-Match": f'"{version}"'},
    )
    assert offered.status_code == 200, offered.text
    data = offered.json()["data"]
    assert data["stage"] == "offer" and data["offer_salary"] == "25000.00"
    assert offered.json()["version"] == version + 2  # the fields' edit, then the step
    # audited as the page's step is: the edit of the fields (the salary masked), then the step
    trail = _trail(session, "candidate", candidate_id)
    assert trail[-2:] == [("candidate.edit", "api:ats"), ("candidate.transition.offer", "api:ats")]
    edit = session.exec(
        select(AuditEntry).where(AuditEntry.action == "candidate.edit").order_by(AuditEntry.id)
    ).all()[-1]
    assert "25000" not in edit.changes


def test_a_step_missing_a_field_or_sent_another_changes_nothing(api, session):
    from models.hr import Candidate

    http = api.as_role("hr")
    candidate_id = _interviewed_candidate(session, http)
    offer = f"/resources/candidate/{candidate_id}/transitions/offer"
    assert http.post(offer, json={"offer_salary": "25000"}).status_code == 200
    before = http.get(f"/resources/candidate/{candidate_id}").json()
    trail = _trail(session, "candidate", candidate_id)
    hire = f"/resources/candidate/{candidate_id}/transitions/hire"

    body = _problem(http.post(hire, json={"offer_salary": "26000"}), 422, "api.invalid")
    assert {(e["field"], e["code"]) for e in body["errors"]} == {("start_on", "field.required")}
    body = _problem(
        http.post(hire, json={"start_on": "", "offer_salary": "26000"}), 422, "api.invalid"
    )
    assert {(e["field"], e["code"]) for e in body["errors"]} == {("start_on", "field.required")}
    sent = {"start_on": "2027-01-04", "offer_salary": "26000", "notes": "x"}
    body = _problem(http.post(hire, json=sent), 422, "api.invalid")
    assert {(e["field"], e["code"]) for e in body["errors"]} == {("notes", "api.unknown_field")}
    # a value the edit refuses: the step is not taken and the fields are not kept
    body = _problem(
        http.post(hire, json={"start_on": "next monday", "offer_salary": "26000"}),
        422,
        "api.invalid",
    )
    assert [e["field"] for e in body["errors"]] == ["start_on"]
    # a stale If-Match: neither the fields nor the step
    stale = http.post(
        hire,
        json={"start_on": "2027-01-04", "offer_salary": "26000"},
        headers={"If-Match": f'"{before["version"] - 1}"'},
    )
    _problem(stale, 412, "record.stale_by")

    assert http.get(f"/resources/candidate/{candidate_id}").json() == before
    assert _trail(session, "candidate", candidate_id) == trail
    assert session.get(Candidate, candidate_id).stage == "offer"

    hired = http.post(
        hire,
        json={"start_on": "2027-01-04", "offer_salary": "26000"},
        headers={"If-Match": f'"{before["version"]}"'},
    )
    assert hired.status_code == 200, hired.text
    assert hired.json()["data"]["stage"] == "hired"
    assert hired.json()["data"]["start_on"] == "2027-01-04"
    assert hired.json()["data"]["offer_salary"] == "26000.00"


def test_the_document_gives_each_step_the_body_of_its_fields(api):
    document = api.http().get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for resource in all_resources():
        for step in resource.workflow.transitions if resource.workflow else ():
            operation = document["paths"][
                f"/resources/{resource.key}/{{id}}/transitions/{step.key}"
            ]
            body = operation["post"].get("requestBody")
            if not step.required_fields:
                assert body is None, (resource.key, step.key)
                continue
            assert not body.get("required"), (resource.key, step.key)  # no body: as before
            ref = body["content"]["application/json"]["schema"]["$ref"]
            shape = schemas[ref.rsplit("/", 1)[1]]
            assert list(shape["properties"]) == list(step.required_fields), step.key
            assert shape["required"] == list(step.required_fields)
            assert shape["additionalProperties"] is False
            for name, field in shape["properties"].items():
                assert field["x-label-zh"] == resource.field(name).label("zh")


# --- custom fields in the document ----------------------------------------------------------
def test_the_document_describes_custom_fields_added_after_it_was_first_served(api, session):
    from backoffice.engine import custom
    from tests.api_client import ADMIN

    http = api.as_role("product_manager")
    first = http.get("/openapi.json").json()
    assert not [n for n in first["components"]["schemas"]["Partner"]["properties"] if n[:2] == "x_"]
    tier, errors = custom.add_definition(
        session,
        actor=ADMIN,
        resource_key="partner",
        name="tier",
        label_zh="合作等级",
        label_en="Partnership tier",
        kind="choice",
        required=True,
        choices="gold\nsilver",
    )
    assert not errors
    custom.add_definition(
        session,
        actor=ADMIN,
        resource_key="partner",
        name="credit_line",
        label_zh="授信额度",
        label_en="Credit line",
        kind="money",
    )
    session.commit()

    document = http.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for model in ("Partner", "PartnerCreate", "PartnerEdit"):
        field = schemas[model]["properties"]["x_tier"]
        assert field["title"] == "Partnership tier" and field["x-label-zh"] == "合作等级"
        assert field["enum"] == ["gold", "silver", None] and field["x-custom"] is True
        assert "required" in field["description"]
        money = schemas[model]["properties"]["x_credit_line"]
        assert money["format"] == "decimal" and money["x-label-zh"] == "授信额度"
        assert "required" not in money.get("description", "").split("; ")
    filters = {p["name"]: p for p in document["paths"]["/resources/partner"]["get"]["parameters"]}
    assert filters["x_tier"]["schema"]["enum"] == ["gold", "silver"]
    assert {"x_credit_line__min", "x_credit_line__max"} <= set(filters)
    assert "x_tier" not in schemas["Product"]["properties"]  # the partner's alone
    assert "Partnership tier" in http.get("/docs").text
    # what the document says is what the API takes and answers
    created = http.post("/resources/partner", json={**PARTNER, "x_tier": "gold"})
    assert created.status_code == 201, created.text
    assert created.json()["data"]["x_tier"] == "gold"

    assert custom.archive_definition(session, actor=ADMIN, field_id=tier.id)
    session.commit()
    again = http.get("/openapi.json").json()["components"]["schemas"]["Partner"]["properties"]
    assert "x_tier" not in again and "x_credit_line" in again


# --- conditional GET ------------------------------------------------------------------------
def test_a_record_read_again_unchanged_answers_304_and_200_once_it_changed(api, session):
    http = api.as_role("product_manager")
    created = http.post("/resources/partner", json=PARTNER)
    partner = f"/resources/partner/{created.json()['data']['id']}"
    first = http.get(partner)
    tag = first.headers["ETag"]
    assert tag == created.headers["ETag"]  # the create's answer is what a read gives
    assert "Authorization" in first.headers["Vary"]
    unchanged = http.get(partner, headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["ETag"] == tag
    assert http.get(partner, headers={"If-None-Match": f"W/{tag}"}).status_code == 304
    assert http.get(partner, headers={"If-None-Match": f'"0-x", {tag}'}).status_code == 304
    assert http.get(partner, headers={"If-None-Match": '"1"'}).status_code == 200
    # the ETag is what If-Match takes, and the change is judged by its version alone
    edited = http.patch(partner, json={"notes": "续约中"}, headers={"If-Match": tag})
    assert edited.status_code == 200, edited.text
    again = http.get(partner, headers={"If-None-Match": tag})
    assert again.status_code == 200 and again.json()["data"]["notes"] == "续约中"
    assert again.headers["ETag"] == edited.headers["ETag"] != tag
    stale = http.patch(partner, json={"notes": "x"}, headers={"If-Match": tag})
    body = _problem(stale, 412, "record.stale_by")
    assert body["detail"]
    assert http.get(partner, headers={"If-None-Match": again.headers["ETag"]}).status_code == 304


def test_callers_masked_differently_never_get_a_304_on_each_others_tag(api, session):
    employee = _employee(session, "23000")
    path = f"/resources/employee/{employee.id}"
    hr, pmo = api.as_role("hr"), api.as_role("pmo")  # pmo sees employees, not their pay
    hr_tag = hr.get(path).headers["ETag"]
    pmo_read = pmo.get(path)
    pmo_tag = pmo_read.headers["ETag"]
    assert pmo_read.json()["data"]["salary"] is None and hr_tag != pmo_tag
    assert pmo.get(path, headers={"If-None-Match": hr_tag}).status_code == 200
    assert hr.get(path, headers={"If-None-Match": pmo_tag}).status_code == 200
    assert "23000" not in pmo.get(path, headers={"If-None-Match": hr_tag}).text
    assert hr.get(path, headers={"If-None-Match": hr_tag}).status_code == 304
    # a salary nobody has set yet reads the same to both: the tags still differ
    bare = _bare_employee(session)
    hr_bare = hr.get(f"/resources/employee/{bare}")
    pmo_bare = pmo.get(f"/resources/employee/{bare}")
    assert hr_bare.json()["data"]["salary"] is None and pmo_bare.json()["data"]["salary"] is None
    assert hr_bare.headers["ETag"] != pmo_bare.headers["ETag"]
    bare_path = f"/resources/employee/{bare}"
    assert pmo.get(bare_path, headers={"If-None-Match": hr_bare.headers["ETag"]}).status_code == 200


def _bare_employee(session) -> int:
    team = session.exec(select(Team)).first()
    employee = Employee(
        employee_no="E009",
        name="周明",
        team_id=team.id,
        position="Analyst",
        hire_date=date(2024, 5, 6),
        salary_cipher="",
    )
    session.add(employee)
    session.commit()
    return employee.id


def test_a_cases_aml_risk_and_decision_note_stay_with_those_who_oversee_it(api, session):
    """Compliance's judgement on a KYC case (its AML risk, the decision note) is never read by
    the customer platform's key: no tipping-off; an executive's key reads it; neither can be
    used to sort or filter by it."""
    from tests.factories import make_customer, make_principal, open_kyc_case
    from tests.platform_data import id_number

    officer = make_principal(session, "aml.officer", ["compliance"])
    case = open_kyc_case(session, officer, make_customer(session), risk="high")
    case.decision_note = "可疑资金来源，待进一步核查"
    session.add(case)
    session.commit()
    platform = api.as_role("platform")
    seen = platform.get(f"/resources/kyc_case/{case.id}")
    assert seen.status_code == 200, seen.text
    assert (seen.json()["data"]["aml_risk"], seen.json()["data"]["decision_note"]) == (None, None)
    listed = platform.get("/resources/kyc_case").json()["data"]
    assert [row["aml_risk"] for row in listed] == [None]
    assert "可疑资金" not in seen.text + json.dumps(listed)
    open_kyc_case(session, officer, make_customer(session, "李娜", id_number(7)), risk="low")
    everyone = [row["id"] for row in platform.get("/resources/kyc_case").json()["data"]]
    assert len(everyone) == 2
    # a filter or an order on a field the key may not read is not applied: nothing to infer
    for params in ({"aml_risk": "high"}, {"aml_risk": "low"}, {"sort": "-aml_risk"}):
        found = platform.get("/resources/kyc_case", params=params)
        assert [row["id"] for row in found.json()["data"]] == everyone, params
    executive = api.as_role("executive").get(f"/resources/kyc_case/{case.id}").json()["data"]
    assert (executive["aml_risk"], executive["decision_note"]) == ("high", case.decision_note)


def test_an_internal_note_never_reaches_a_key_through_a_tickets_history(api, session):
    """A ticket's internal note stays inside the company: a key that reads every ticket (an
    oversight role's) gets the ticket's history without it (not even that one was written),
    while the desk's people, and an executive signed in, read it there."""
    from backoffice.domains.tickets import rules as tickets
    from tests.factories import make_customer, make_principal, open_ticket

    lead = make_principal(session, "desk.lead", ["cs_lead"])
    ticket = open_ticket(session, lead, make_customer(session))
    tickets.post(session, lead, ticket.id, "note", "客户疑似代他人操作，勿告知")
    tickets.post(session, lead, ticket.id, "reply", "您好，已为您重置密码。")
    session.commit()
    trail = api.as_role("executive").get(f"/resources/ticket/{ticket.id}/history")
    assert trail.status_code == 200, trail.text
    assert "勿告知" not in trail.text and "ticket.message.note" not in trail.text
    assert "已为您重置密码" in trail.text  # the public reply is the customer's to read
    inside = service.history(
        session, principal=lead, resource=get_resource("ticket"), record_id=ticket.id, lang="zh"
    )
    assert any("勿告知" in row["changes"] for row in inside)
    executive = make_principal(session, "ceo", ["executive"])
    read = service.history(
        session,
        principal=executive,
        resource=get_resource("ticket"),
        record_id=ticket.id,
        lang="zh",
    )
    assert any("勿告知" in row["changes"] for row in read)
