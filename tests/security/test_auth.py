"""Sign-in with password and TOTP, brute-force limits, sessions and step-up."""

import threading
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from sqlmodel import select

from backoffice import cli
from backoffice.db import session_scope
from backoffice.domains.admin import users
from backoffice.security import auth, passwords, sessions, throttle, totp
from models.audit import AuditEntry
from models.base import utcnow
from models.identity import LoginThrottle, RecoveryCode, StaffSession
from models.notifications import Notification
from tests.factories import PASSWORD, make_user, sign_in


def _actions(session) -> list[str]:
    return list(session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all())


def test_argon2id_with_owasp_parameters_and_long_chinese_password():
    password = "我的密码是一首很长的诗句春眠不觉晓处处闻啼鸟夜来风雨声花落知"
    assert len(password.encode()) >= 75
    hashed = passwords.hash_password(password)
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify_password(password, hashed)
    assert not passwords.verify_password(password[:-1], hashed), "no truncation allowed"
    assert passwords.policy_problems(password) == []


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-pass1", "password.too_short"),
        ("password1234", "password.too_common"),
        ("aaaaaaaaaaaaaa", "password.too_common"),
        ("alice-secret-2026", "password.contains_username"),
    ],
)
def test_password_policy(password, problem):
    assert problem in passwords.policy_problems(password, "alice")


def test_first_sign_in_enrols_totp_then_signs_in(session):
    user, _ = make_user(session, "alice", ["product_manager"], enrolled=False)
    result = auth.check_password(session, username="alice", password=PASSWORD, client="1.1.1.1")
    assert result.next_step == "enrol"
    secret = totp.new_secret()
    wrong = auth.confirm_enrolment(
        session, user_id=user.id, secret=secret, code="000000", client="1.1.1.1"
    )
    assert not wrong.ok and wrong.message == "login.totp_wrong"
    done = auth.confirm_enrolment(
        session, user_id=user.id, secret=secret, code=pyotp.TOTP(secret).now(), client="1.1.1.1"
    )
    session.commit()
    assert done.ok and len(done.token) >= 43 and len(done.recovery_codes) == 10
    stored = session.exec(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(done.recovery_codes) & set(stored)
    assert auth.resolve(session, done.token).username == "alice"
    row = session.exec(select(StaffSession)).one()
    assert row.token_hash == sessions.hash_token(done.token) and done.token not in row.token_hash
    assert (
        auth.check_password(
            session, username="alice", password=PASSWORD, client="1.1.1.1"
        ).next_step
        == "totp"
    )
    assert {"auth.totp_enrolled", "auth.signed_in"} <= set(_actions(session))


def test_totp_code_cannot_be_replayed(session):
    user, secret = make_user(session, "bob", ["cs_agent"])
    code = pyotp.TOTP(secret).now()
    assert auth.verify_totp(session, user_id=user.id, code=code, client="c").ok
    session.commit()
    again = auth.verify_totp(session, user_id=user.id, code=code, client="c")
    assert not again.ok and again.message == "login.totp_used"


def test_two_simultaneous_submissions_of_one_code_sign_in_once(clean_db):
    with session_scope() as session:
        user, secret = make_user(session, "carol", ["hr"])
    code = pyotp.TOTP(secret).now()
    results: list[bool] = []
    barrier = threading.Barrier(2)

    def submit() -> None:
        barrier.wait()
        try:
            with session_scope() as session:
                results.append(auth.verify_totp(session, user_id=user.id, code=code, client="c").ok)
        except sa.exc.OperationalError:
            results.append(False)  # the database refused the concurrent write: also a refusal

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]


def test_unknown_user_costs_a_hash_and_gets_the_same_answer(session, monkeypatch):
    make_user(session, "dave", ["pmo"])
    calls = []
    monkeypatch.setattr(passwords, "burn_time", lambda p: calls.append(p))
    unknown = auth.check_password(session, username="nobody", password="x" * 12, client="c")
    wrong = auth.check_password(session, username="dave", password="x" * 12, client="c")
    assert unknown == wrong == auth.PasswordResult("", message="login.failed")
    assert calls == ["x" * 12], "the unknown user must cost one argon2 verification"


def test_disabled_user_gets_the_same_answer_as_a_wrong_password(session):
    user, _ = make_user(session, "erin", ["pmo"])
    admin, _ = make_user(session, "root1", ["admin"])
    principal = auth.resolve(session, sign_in(session, admin))
    assert users.set_active(session, actor=principal, user_id=user.id, active=False) == []
    result = auth.check_password(session, username="erin", password=PASSWORD, client="c")
    assert result == auth.PasswordResult("", message="login.failed")


def _later(monkeypatch, seconds: float) -> None:
    """Move the throttle's clock forward."""
    moved = utcnow() + timedelta(seconds=seconds)
    monkeypatch.setattr(throttle, "utcnow", lambda: moved)


def _fail(session, username: str, client: str, times: int) -> None:
    for _ in range(times):
        auth.check_password(session, username=username, password="wrong-password-1", client=client)
    session.commit()


def test_five_failures_lock_that_address_for_that_account_even_for_the_right_password(
    session, monkeypatch
):
    make_user(session, "frank", ["pmo"])
    _fail(session, "frank", "c1", throttle.MAX_FAILURES)
    locked = auth.check_password(session, username="frank", password=PASSWORD, client="c1")
    assert locked.message == "login.locked"
    assert "auth.locked_out" in _actions(session)
    _later(monkeypatch, throttle.MAX_DELAY.total_seconds())  # the account's delay has run
    assert (
        auth.check_password(session, username="frank", password=PASSWORD, client="c1").message
        == "login.locked"
    ), "the pair stays locked for its lock-out"
    ok = auth.check_password(session, username="frank", password=PASSWORD, client="c2")
    assert ok.next_step == "totp", "the owner elsewhere gets in"


def test_failures_from_rotating_addresses_slow_the_account_down_but_never_lock_it(
    session, monkeypatch
):
    make_user(session, "admin", ["admin"])
    for n in range(100):  # a stranger guessing from a hundred addresses
        auth.check_password(
            session, username="admin", password="wrong-password-1", client=f"10.0.{n}.1"
        )
        _later(monkeypatch, 0)
    session.commit()
    until = session.get(LoginThrottle, throttle.account_key("admin")).locked_until
    assert until - throttle.utcnow() <= throttle.MAX_DELAY, "a delay, capped"
    slowed = auth.check_password(session, username="admin", password=PASSWORD, client="10.9.9.9")
    assert slowed.message == "login.slow_down"
    _later(monkeypatch, throttle.MAX_DELAY.total_seconds() + 1)
    ok = auth.check_password(session, username="admin", password=PASSWORD, client="10.9.9.9")
    assert ok.next_step == "totp", "the administrator is in after at most a minute"


def test_the_account_delay_doubles_from_the_sixth_failure(session, monkeypatch):
    make_user(session, "gail", ["pmo"])
    waits = []
    for n in range(throttle.FREE_FAILURES + 3):
        auth.check_password(session, username="gail", password="wrong-password-1", client=f"c{n}")
        row = session.get(LoginThrottle, throttle.account_key("gail"))
        waits.append(None if row.locked_until is None else row.locked_until - throttle.utcnow())
        _later(monkeypatch, 120 * (n + 1))  # each attempt after the delay ran, within the window
    assert waits[: throttle.FREE_FAILURES - 1] == [None] * (throttle.FREE_FAILURES - 1)
    seconds = [round(w.total_seconds()) for w in waits[throttle.FREE_FAILURES - 1 :]]
    assert seconds == [2, 4, 8, 16]


def test_behind_a_proxy_one_address_failing_locks_no_other_account(session):
    make_user(session, "gina", ["pmo"])
    for i in range(50):  # everybody arrives from the proxy's address
        _fail(session, f"user{i}", "6.6.6.6", 1)
    _fail(session, "mallory", "6.6.6.6", throttle.MAX_FAILURES)
    result = auth.check_password(session, username="gina", password=PASSWORD, client="6.6.6.6")
    assert result.next_step == "totp"


def test_a_lockout_tells_the_administrators_and_the_owner(session):
    owner, _ = make_user(session, "olga", ["pmo"])
    make_user(session, "root2", ["admin"])
    _fail(session, "olga", "8.8.8.8", throttle.MAX_FAILURES)
    told = session.exec(select(Notification).order_by(Notification.id)).all()
    assert [(n.role, n.user_id) for n in told] == [("admin", None), (None, owner.id)]
    assert all("olga" in n.title_en and "8.8.8.8" in n.title_en for n in told)
    locked = session.exec(select(AuditEntry).where(AuditEntry.action == "auth.locked_out")).all()
    assert [(e.actor, e.client) for e in locked] == [("olga", "8.8.8.8")]


def test_wrong_totp_codes_lock_the_account_from_that_address_and_tell_its_owner(session):
    user, _ = make_user(session, "hank", ["pmo"])
    for _ in range(throttle.MAX_FAILURES):
        auth.verify_totp(session, user_id=user.id, code="000000", client="c")
    session.commit()
    assert (
        auth.check_password(session, username="hank", password=PASSWORD, client="c").message
        == "login.locked"
    )
    assert session.exec(select(Notification).where(Notification.user_id == user.id)).first()


def test_unlock_clears_every_counter_of_the_account_and_is_audited(session, capsys, monkeypatch):
    make_user(session, "admin", ["admin"])
    make_user(session, "other", ["pmo"])
    for n in range(3):
        _fail(session, "admin", f"10.1.{n}.1", throttle.MAX_FAILURES)
        _later(monkeypatch, throttle.MAX_DELAY.total_seconds() * (n + 1))
    _fail(session, "other", "10.1.0.1", throttle.MAX_FAILURES)
    assert len(session.exec(select(LoginThrottle)).all()) == 4 + 2
    session.commit()
    assert cli.main(["unlock", "admin", "--reason", "locked out during the audit"]) == 0
    session.expire_all()
    assert (
        auth.check_password(
            session, username="admin", password=PASSWORD, client="10.1.0.1"
        ).next_step
        == "totp"
    )
    assert (
        auth.check_password(session, username="other", password=PASSWORD, client="10.1.0.1").message
        == "login.locked"
    ), "only that account"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "auth.unlocked")).one()
    assert entry.actor.startswith("os:") and "locked out during the audit" in str(entry.changes)
    session.commit()
    assert cli.main(["unlock", "admin", "--reason", " "]) == 1
    assert cli.main(["unlock", "nobody", "--reason", "typo"]) == 1
    assert "no user named" in capsys.readouterr().err


def test_recovery_code_works_once(session):
    user, _ = make_user(session, "ivy", ["pmo"], enrolled=False)
    secret = totp.new_secret()
    codes = auth.confirm_enrolment(
        session, user_id=user.id, secret=secret, code=pyotp.TOTP(secret).now(), client="c"
    ).recovery_codes
    session.commit()
    assert auth.verify_recovery_code(session, user_id=user.id, code=codes[3].upper(), client="c").ok
    session.commit()
    again = auth.verify_recovery_code(session, user_id=user.id, code=codes[3], client="c")
    assert again.message == "login.recovery_wrong"


def test_idle_and_absolute_expiry(session):
    user, _ = make_user(session, "jack", ["pmo"])
    token = sign_in(session, user)
    now = utcnow()
    assert sessions.live(session, token, now + timedelta(minutes=29)) is not None
    session.commit()
    assert sessions.live(session, token, now + timedelta(minutes=29 + 31)) is None
    token2 = sign_in(session, user)
    row = session.exec(
        select(StaffSession).where(StaffSession.token_hash == sessions.hash_token(token2))
    ).one()
    row.last_seen_at = row.expires_at - timedelta(minutes=1)
    session.add(row)
    session.commit()
    assert sessions.live(session, token2, row.expires_at + timedelta(seconds=1)) is None


@pytest.mark.parametrize("change", ["disable", "reset_password", "reset_totp", "set_roles"])
def test_account_changes_end_sessions_at_once(session, change):
    user, _ = make_user(session, "kate", ["cs_agent"])
    admin, _ = make_user(session, "root2", ["admin"])
    actor = auth.resolve(session, sign_in(session, admin))
    token = sign_in(session, user)
    assert auth.resolve(session, token) is not None
    problems = {
        "disable": lambda: users.set_active(session, actor=actor, user_id=user.id, active=False),
        "reset_password": lambda: users.reset_password(
            session, actor=actor, user_id=user.id, new_password="Another-Long-Pass-42"
        ),
        "reset_totp": lambda: users.reset_totp(session, actor=actor, user_id=user.id),
        "set_roles": lambda: users.set_roles(
            session, actor=actor, user_id=user.id, roles=["cs_lead"]
        ),
    }[change]()
    session.commit()
    assert problems == []
    assert auth.resolve(session, token) is None


def test_password_change_ends_other_sessions_only(session):
    user, _ = make_user(session, "liam", ["pmo"])
    mine, other = sign_in(session, user), sign_in(session, user)
    principal = auth.resolve(session, mine)
    assert auth.change_password(
        session, principal=principal, current="wrong", new="Brand-New-Pass-77", client="c"
    ) == ["password.current_wrong"]
    assert (
        auth.change_password(
            session, principal=principal, current=PASSWORD, new="Brand-New-Pass-77", client="c"
        )
        == []
    )
    session.commit()
    assert auth.resolve(session, mine) is not None
    assert auth.resolve(session, other) is None


def test_permission_matrix_changes_apply_on_the_next_resolve(session):
    user, _ = make_user(session, "mia", ["cs_agent"])
    admin, _ = make_user(session, "root3", ["admin"])
    actor = auth.resolve(session, sign_in(session, admin))
    token = sign_in(session, user)
    assert not auth.resolve(session, token).can("ticket", "export")
    users.set_permission(
        session, actor=actor, role="cs_agent", resource="ticket", action="export", granted=True
    )
    session.commit()
    assert auth.resolve(session, token).can("ticket", "export")
    assert users.set_permission(
        session,
        actor=actor,
        role="cs_agent",
        resource="ticket; drop",
        action="export",
        granted=True,
    ) == ["role.permission_invalid"]


def test_step_up_needs_a_fresh_unused_code(session):
    user, secret = make_user(session, "noah", ["admin"])
    principal = auth.resolve(session, sign_in(session, user, stale_totp=True))
    assert auth.needs_step_up(principal)
    assert auth.step_up(session, principal=principal, code="000000", client="c") == (
        "login.totp_wrong"
    )
    code = pyotp.TOTP(secret).now()
    assert auth.step_up(session, principal=principal, code=code, client="c") == ""
    session.commit()
    refreshed = auth.resolve(session, sign_in(session, user))
    assert not auth.needs_step_up(refreshed)
    assert auth.step_up(session, principal=principal, code=code, client="c") == "login.totp_used"


def test_sign_out_revokes_and_is_audited(session):
    user, _ = make_user(session, "olga", ["pmo"])
    token = sign_in(session, user)
    auth.sign_out(session, token=token, client="c")
    session.commit()
    assert auth.resolve(session, token) is None
    assert "auth.signed_out" in _actions(session)


def test_a_session_touch_that_sqlite_refuses_does_not_fail_the_event(session):
    """With several workers on SQLite, a transaction that has read cannot write once another
    process committed: the guard's last_seen_at touch then failed the staff member's event
    ("database is locked", found by scripts/bench_ws.py). The touch is best effort."""
    from sqlmodel import Session

    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        pytest.skip("SQLITE_BUSY_SNAPSHOT is SQLite's")
    user, _ = make_user(session, "agent", ["cs_agent"])
    token = sign_in(session, user)
    session.execute(sa.update(StaffSession).values(last_seen_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    with Session(bind) as reader, Session(bind) as other:
        reader.exec(select(StaffSession)).all()  # the event's transaction has read
        other.execute(sa.update(StaffSession).values(client="elsewhere"))
        other.commit()  # another worker wrote meanwhile
        principal = auth.resolve(reader, token)
        assert principal is not None and principal.username == "agent"
        reader.commit()
    session.expire_all()
    assert session.exec(select(StaffSession)).one().client == "elsewhere"


def test_no_person_holds_the_role_of_the_customer_platforms_api_client(session):
    """ "platform" is an API client's role: a person can neither be created with it nor given it
    later, whatever the form sends."""
    user, _ = make_user(session, "mona", ["cs_agent"])
    admin, _ = make_user(session, "root3", ["admin"])
    actor = auth.resolve(session, sign_in(session, admin))
    refused = users.set_roles(session, actor=actor, user_id=user.id, roles=["cs_agent", "platform"])
    assert refused == ["user.roles_invalid"]
    _made, problems = users.create_user(
        session,
        actor=actor,
        username="plat.person",
        display_name="P",
        password="Another-Long-Pass-42",
        roles=["platform"],
    )
    assert "user.roles_invalid" in problems
    session.rollback()
    assert auth.resolve(session, sign_in(session, user)).roles == frozenset({"cs_agent"})
