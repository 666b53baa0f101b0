"""A session belongs to the browser that signed in: the caller is resolved from the cookie of the
websocket handshake, the cookie is HttpOnly and set only by an HTTP response, and a tab's data is
reset when its events arrive with another cookie (or none)."""

from __future__ import annotations

import sqlalchemy as sa
from reflex.istate.data import HeaderData, RouterData
from reflex.state import State
from starlette.testclient import TestClient

from backoffice.security import auth, sessions
from backoffice.security.session_routes import routes_app
from models.audit import AuditEntry
from models.identity import StaffSession
from state.auth import SessionBinding, SessionState, carry_cookie
from state.home import OverviewState
from tests.factories import make_user, run, sign_in


def _tab(token: str) -> State:
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {"headers": {"origin": "http://localhost:3000"}, "asPath": "/", "pathname": "/"}
    )
    carry_cookie(root, token)
    return root


def _handshake(root: State, cookie: str) -> None:
    """The tab's events now arrive on a socket whose handshake carried ``cookie``."""
    headers = {**root.router.headers.raw_headers}
    headers.pop("cookie", None)
    if cookie:
        headers["cookie"] = cookie
    root.rx_router_headers = HeaderData.from_router_data({"headers": headers})


def _sub(root: State, cls: type) -> object:
    return root.get_substate(cls.get_full_name().split(".")[1:])


def _denials(session) -> int:
    return session.execute(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "access.denied")
    ).scalar_one()


def test_a_signed_in_tab_without_the_cookie_or_with_another_is_refused(session):
    agent, _ = make_user(session, "agent", ["cs_agent"])
    outsider, _ = make_user(session, "outsider", ["hr"])
    token, other = sign_in(session, agent), sign_in(session, outsider)
    session.commit()
    root = _tab(token)
    overview = _sub(root, OverviewState)
    load = OverviewState.event_handlers["load"].fn
    assert run(load(overview)) is None and overview.loaded

    for cookie in ("", "bo_lang=zh", "bo_session=forged", f"bo_session={token}x"):
        _handshake(root, cookie)
        overview.loaded = False
        session.commit()
        before = _denials(session)
        assert run(load(overview)) is not None, cookie
        assert not overview.loaded, cookie
        session.commit()
        assert _denials(session) == before + 1, cookie
        assert _sub(root, SessionState).username == ""

    _handshake(root, f"bo_lang=zh; bo_session={other}")  # another person's cookie: that person
    assert run(load(overview)) is None
    assert _sub(root, SessionState).username == "outsider"


def test_another_cookie_resets_what_the_tab_loaded(session):
    agent, _ = make_user(session, "agent", ["cs_agent"])
    token = sign_in(session, agent)
    session.commit()
    root = _tab(token)
    binding = SessionBinding()
    run(binding.preprocess(None, root, None))
    overview = _sub(root, OverviewState)
    run(OverviewState.event_handlers["load"].fn(overview))
    assert overview.loaded and _sub(root, SessionState).username == "agent"

    run(binding.preprocess(None, root, None))  # the same cookie: nothing is touched
    assert overview.loaded

    _handshake(root, "")  # the tab id replayed on a socket without the cookie
    run(binding.preprocess(None, root, None))
    assert not overview.loaded
    assert _sub(root, SessionState).username == "" and _sub(root, SessionState).principal is None


def test_a_claim_code_is_exchanged_once_and_the_first_token_dies(session):
    user, _ = make_user(session, "claimer", ["pmo"])
    first = sign_in(session, user)
    code = auth.claim_code(first)
    assert first not in code
    token = auth.claim(session, code=code, client="t")
    assert token and token != first
    assert auth.resolve(session, token).username == "claimer"
    assert auth.resolve(session, first) is None
    assert auth.claim(session, code=code, client="t") is None  # single use
    assert auth.claim(session, code="garbage", client="t") is None
    assert "auth.session_claimed" in session.exec(sa.select(AuditEntry.action)).scalars().all()


def test_a_stale_claim_code_is_refused(session, monkeypatch):
    user, _ = make_user(session, "slow", ["pmo"])
    code = auth.claim_code(sign_in(session, user))
    monkeypatch.setattr(sessions, "CLAIM_SECONDS", -1)
    assert auth.claim(session, code=code, client="t") is None


def test_the_cookie_is_set_and_cleared_only_by_http_responses(session):
    user, _ = make_user(session, "http", ["pmo"])
    code = auth.claim_code(sign_in(session, user))
    session.commit()
    client = TestClient(
        routes_app(), base_url="http://portal.test", headers={"origin": "http://portal.test"}
    )
    response = client.post("/auth/claim", content=code)
    assert response.status_code == 204
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith("bo_session=")
    for attribute in ("HttpOnly", "Path=/", "SameSite=strict"):
        assert attribute.lower() in set_cookie.lower(), set_cookie
    assert "secure" not in set_cookie.lower()
    token = set_cookie.split(";")[0].split("=", 1)[1]
    assert client.post("/auth/claim", content=code).status_code == 403

    response = client.post("/auth/sign-out", headers={"cookie": f"bo_session={token}"})
    assert response.status_code == 204
    assert (
        'bo_session=""' in response.headers["set-cookie"]
        or "Max-Age=0" in (response.headers["set-cookie"])
    )
    session.expire_all()
    row = session.exec(sa.select(StaffSession).where(StaffSession.user_id == user.id)).scalar_one()
    assert row.revoked_at is not None


def test_the_cookie_is_secure_over_https(session):
    user, _ = make_user(session, "tls", ["pmo"])
    code = auth.claim_code(sign_in(session, user))
    session.commit()
    client = TestClient(
        routes_app(), base_url="https://portal.test", headers={"origin": "https://portal.test"}
    )
    response = client.post("/auth/claim", content=code)
    assert response.status_code == 204
    assert "secure" in response.headers["set-cookie"].lower()


def test_a_trusted_proxys_https_makes_the_cookie_secure(session, monkeypatch):
    user, _ = make_user(session, "proxied", ["pmo"])
    codes = [auth.claim_code(sign_in(session, user)) for _ in range(2)]
    session.commit()
    client = TestClient(
        routes_app(), base_url="http://portal.test", headers={"origin": "http://portal.test"}
    )
    https = {"x-forwarded-proto": "https"}
    untrusted = client.post("/auth/claim", content=codes[0], headers=https)
    assert "secure" not in untrusted.headers["set-cookie"].lower()
    monkeypatch.setenv("REFLEX_TRUSTED_PROXY_HOPS", "1")
    trusted = client.post("/auth/claim", content=codes[1], headers=https)
    assert "secure" in trusted.headers["set-cookie"].lower()


def test_another_site_can_neither_set_nor_clear_the_cookie(session):
    user, _ = make_user(session, "fixated", ["pmo"])
    token = sign_in(session, user)
    code = auth.claim_code(token)
    session.commit()
    client = TestClient(routes_app(), base_url="http://portal.test")
    for origin in ({"origin": "http://evil.test"}, {}):
        assert client.post("/auth/claim", content=code, headers=origin).status_code == 403
        refused = client.post("/auth/sign-out", headers={**origin, "cookie": f"bo_session={token}"})
        assert refused.status_code == 403 and "set-cookie" not in refused.headers
    assert auth.resolve(session, token) is not None  # neither claimed nor signed out


def test_the_cookie_header_gives_the_session_token():
    assert sessions.token_from_cookie_header("bo_lang=zh; bo_session=abc") == "abc"
    assert sessions.token_from_cookie_header("xbo_session=abc; bo_lang=zh") == ""
    assert sessions.token_from_cookie_header("") == ""
