"""The answers kept for Idempotency-Key replays: sealed at rest, the same bytes on a replay,
forgotten after 24 hours by the hourly job (the key is then a new call)."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from backoffice.domains.integrations import replays
from backoffice.platform import jobs
from models.audit import AuditEntry
from models.base import utcnow
from models.hr import Employee, Team
from models.integrations import IdempotencyRecord
from models.transactions import Transaction
from tests.platform_data import customer, fresh, product


def _kept(session) -> dict[str, IdempotencyRecord]:
    fresh(session)
    return {k.key: k for k in session.exec(select(IdempotencyRecord)).all()}


def test_a_kept_answer_is_sealed_and_a_replay_gets_the_same_bytes(api, session):
    team = Team(code="fin", name_zh="财务", name_en="Finance")
    session.add(team)
    session.commit()
    hr = api.as_role("hr")
    hire = {
        "employee_no": "E901",
        "name": "李娜",
        "team_id": team.id,
        "position": "Controller",
        "hire_date": "2025-04-01",
        "status": "active",
        "salary": "45678.90",
    }
    first = hr.post("/resources/employee", json=hire, headers={"Idempotency-Key": "hire-e901"})
    assert first.status_code == 201, first.text
    assert first.json()["data"]["salary"] == "45678.90"

    [kept] = _kept(session).values()
    # nothing of the answer in clear: no salary, no name, no field names; it opens to the answer
    for clear in ("45678.90", "E901", "salary", "李娜"):
        assert clear not in kept.response_cipher
    assert json.loads(replays.opened(kept.response_cipher)) == first.json()

    again = hr.post("/resources/employee", json=hire, headers={"Idempotency-Key": "hire-e901"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert session.execute(sa.select(sa.func.count()).select_from(Employee)).scalar_one() == 1


def test_kept_answers_are_forgotten_after_24_hours_and_the_key_is_then_a_new_call(api, session):
    person, item = customer(session, 41), product(session, "PK1")
    http = api.as_role()
    order = {
        "customer_id": person.id,
        "product_id": item.id,
        "kind": "subscription",
        "amount": "5000.00",
    }
    for key in ("old", "young"):
        made = http.post("/platform/orders", json=order, headers={"Idempotency-Key": key})
        assert made.status_code == 201, made.text
    ages = {"old": timedelta(hours=24, minutes=1), "young": timedelta(hours=23, minutes=59)}
    for key, age in ages.items():
        session.execute(
            sa.update(IdempotencyRecord)
            .where(IdempotencyRecord.key == key)
            .values(created_at=utcnow() - age)
        )
    session.commit()

    [job] = [j for j in jobs.registered() if j.name == "idempotency.purge"]
    assert job.every == timedelta(hours=1)
    assert job.label("zh") == "清理保存超过二十四小时的接口重放应答"
    run = jobs.run_job("idempotency.purge", force=True)
    assert run is not None and run.status == "ok"
    assert jobs.shown(run.result, "en").startswith("1 kept answers older than")
    assert jobs.shown(run.result, "zh").endswith("保存的 1 条应答")

    assert set(_kept(session)) == {"young"}
    [entry] = session.exec(
        select(AuditEntry).where(AuditEntry.action == "api_idempotency.purge")
    ).all()
    assert entry.actor == "system" and json.loads(entry.changes)["answers_deleted"] == [None, 1]
    # nothing more to delete: no second entry
    assert jobs.run_job("idempotency.purge", force=True).status == "ok"
    fresh(session)
    purges = select(AuditEntry).where(AuditEntry.action == "api_idempotency.purge")
    assert len(session.exec(purges).all()) == 1

    # the young key still replays; the forgotten one is a new call, recorded again
    young = http.post("/platform/orders", json=order, headers={"Idempotency-Key": "young"})
    assert young.headers.get("Idempotent-Replayed") == "true"
    old = http.post("/platform/orders", json=order, headers={"Idempotency-Key": "old"})
    assert old.status_code == 201 and "Idempotent-Replayed" not in old.headers
    fresh(session)
    assert session.execute(sa.select(sa.func.count()).select_from(Transaction)).scalar_one() == 3
    assert set(_kept(session)) == {"old", "young"}
