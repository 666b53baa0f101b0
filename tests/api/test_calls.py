"""Who may call the API: keys, their life (rotation with overlap, revocation, expiry, the IP
allow-list), what a key's rights are, rate limits, and the shape of every refusal."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.domains.admin import users
from backoffice.domains.integrations import clients
from backoffice.security import rbac
from models.base import utcnow
from models.identity import Role
from models.integrations import ApiClient, ApiKey
from tests.api_client import ADMIN


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["code"] == code, body
    assert body["detail"] and body["title"] and body["type"].endswith(code)
    return body


def test_a_call_without_a_key_or_with_a_wrong_one_is_refused(api):
    _problem(api.http().get("/whoami"), 401, "api.unauthenticated")
    _id, key = api.key()
    tampered = key[:-2] + ("aa" if not key.endswith("aa") else "bb")
    _problem(api.http(tampered).get("/whoami"), 401, "api.unauthenticated")
    _problem(api.http("bo_nothing_here").get("/whoami"), 401, "api.unauthenticated")
    assert api.http(key).get("/whoami").json()["client"]


def test_the_key_is_stored_only_as_a_hash(api, session):
    _id, key = api.key()
    rows = session.exec(select(ApiKey)).all()
    assert len(rows) == 1
    assert key.split("_", 2)[2] not in (rows[0].secret_hash, rows[0].prefix)


def test_a_key_never_holds_the_rights_that_need_a_person(api):
    # an admin-role client: the role may manage users and approve, the key may not
    me = api.as_role("admin").get("/whoami").json()
    rights = set(me["rights"])
    assert "user.view" in rights
    assert not {r for r in rights if r.split(".")[1] in rbac.STEP_UP_ACTIONS}


def test_rotation_keeps_the_old_key_for_the_overlap_and_revocation_ends_both(api, session):
    client_id, old = api.key()
    new = clients.rotate_key(session, actor=ADMIN, client_id=client_id, overlap_hours=1)
    session.commit()
    assert api.http(old).get("/whoami").status_code == 200
    assert api.http(new).get("/whoami").status_code == 200
    session.execute(
        sa.update(ApiKey)
        .where(ApiKey.expires_at.is_not(None))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    _problem(api.http(old).get("/whoami"), 401, "api.unauthenticated")
    assert api.http(new).get("/whoami").status_code == 200
    clients.revoke_client(session, actor=ADMIN, client_id=client_id)
    session.commit()
    _problem(api.http(new).get("/whoami"), 401, "api.unauthenticated")


def test_an_expired_client_and_an_address_outside_its_list_are_refused(api):
    _id, expired = api.key(expires_at=utcnow() - timedelta(minutes=1))
    _problem(api.http(expired).get("/whoami"), 401, "api.unauthenticated")
    _id, elsewhere = api.key(allowed_ips="10.9.0.0/16")
    _problem(api.http(elsewhere).get("/whoami"), 401, "api.unauthenticated")
    _id, here = api.key(allowed_ips="10.9.0.0/16, 127.0.0.1")
    assert api.http(here).get("/whoami").status_code == 200


def _rights(caller) -> set[str]:
    answer = caller.get("/whoami")
    assert answer.status_code == 200, answer.text
    return set(answer.json()["rights"])


def test_a_changed_matrix_acts_on_the_very_next_call(api, session):
    """The role's grants are kept between calls, but a cell changed in the matrix (either
    way) is what the key holds on its next call."""
    caller = api.as_role("platform")
    assert "transaction.view" in _rights(caller)
    assert caller.get("/resources/transaction").status_code == 200
    cell = {"role": "platform", "resource": "transaction", "action": "view"}
    assert not users.set_permission(session, actor=ADMIN, granted=False, **cell)
    session.commit()
    assert "transaction.view" not in _rights(caller)
    _problem(caller.get("/resources/transaction"), 403, "auth.denied")
    assert not users.set_permission(session, actor=ADMIN, granted=True, **cell)
    session.commit()
    assert "transaction.view" in _rights(caller)
    assert caller.get("/resources/transaction").status_code == 200


def test_a_clients_changed_or_archived_role_acts_on_the_very_next_call(api, session):
    client_id, key = api.key("platform")
    caller = api.http(key)
    assert "ticket.create" in _rights(caller)
    session.execute(sa.update(ApiClient).where(ApiClient.id == client_id).values(role="pmo"))
    session.commit()
    rights = _rights(caller)
    assert "ticket.create" not in rights and "project.view" in rights
    assert caller.get("/whoami").json()["roles"] == ["pmo"]
    session.execute(sa.update(Role).where(Role.code == "pmo").values(archived_at=utcnow()))
    session.commit()
    assert _rights(caller) == set()


def test_a_repeated_call_reads_the_key_client_and_role_in_one_query(api, session, clean_db):
    """The key check costs one SELECT once the role's grants have been read; a grant changed
    in the matrix costs one more, on the next call only."""
    _id, key = api.key("platform")
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    def checked() -> clients.Caller:
        statements.clear()
        with Session(clean_db) as reading:
            found = clients.authenticate(reading, key, "127.0.0.1")
        assert found is not None
        return found

    sa.event.listen(clean_db, "before_cursor_execute", count)
    try:
        checked()
        assert len(statements) == 2 and "role_permission" in statements[1]
        assert ("ticket", "create") in checked().principal.permissions
        assert len(statements) == 1
        cell = {"role": "platform", "resource": "ticket", "action": "create"}
        assert not users.set_permission(session, actor=ADMIN, granted=False, **cell)
        session.commit()
        assert ("ticket", "create") not in checked().principal.permissions
        assert len(statements) == 2
        checked()
        assert len(statements) == 1
    finally:
        sa.event.remove(clean_db, "before_cursor_execute", count)


def test_past_its_rate_the_client_waits_and_others_do_not(api):
    limited = api.as_role(rate_per_minute=3)
    other = api.as_role()
    assert [limited.get("/whoami").status_code for _ in range(3)] == [200, 200, 200]
    refused = limited.get("/whoami")
    body = _problem(refused, 429, "api.rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Retry-After"] in body["detail"]
    assert other.get("/whoami").status_code == 200


def test_refusals_speak_the_callers_language(api):
    body = _problem(api.http(language="zh-CN").get("/whoami"), 401, "api.unauthenticated")
    assert "密钥" in body["detail"]


def test_an_unknown_path_is_a_problem_not_a_page(api):
    _problem(api.as_role().get("/no/such/thing"), 404, "error.not_found")


def test_the_openapi_document_is_served(api):
    document = api.http().get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert "/whoami" in document["paths"]


REDIS_TEST_URL = "redis://127.0.0.1:6379/13"


def test_with_redis_every_worker_counts_against_the_same_limit(api, monkeypatch):
    """Two workers (two counters on the same Redis) share a client's count; the served API
    refuses the call past the limit whichever worker counted the earlier ones."""

    from backoffice.api import limits

    # this run's own keys: other runs (another database's suite) count at the same time
    monkeypatch.setattr(limits._Shared, "prefix", f"backoffice-test:{secrets.token_hex(4)}")
    first, second = limits._Shared(REDIS_TEST_URL), limits._Shared(REDIS_TEST_URL)
    client_id, key = api.key(rate_per_minute=3)
    if time.time() % limits.WINDOW_SECONDS > limits.WINDOW_SECONDS - 5:
        time.sleep(6)  # the whole test inside one minute's window
    window = int(time.time() // limits.WINDOW_SECONDS)
    assert [first.hit(client_id, window), second.hit(client_id, window)] == [1, 2]
    monkeypatch.setattr(limits, "_counter", lambda: second)
    caller = api.http(key)
    # the window the two workers filled to 2 holds one more call
    assert [caller.get("/whoami").status_code for _ in range(2)] == [200, 429]
    assert first.hit(client_id, window) == 5
