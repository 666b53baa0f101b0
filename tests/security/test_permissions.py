"""Deny by default: every handler of every state declares its permission, and every call the
matrix does not allow is refused, changes nothing and is logged — for a signed-out caller, each
role, a disabled user and an expired session."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from reflex.state import State
from reflex_base.utils.format import json_dumps
from sqlmodel import SQLModel, select

import backoffice.backoffice  # noqa: F401  (registers every page and state)
from backoffice.security import auth, fields, rbac
from models.audit import AuditEntry
from models.base import utcnow
from models.customers import Customer
from models.hr import Employee
from models.identity import StaffSession
from state.auth import PERMISSION_ATTR, PUBLIC, SIGNED_IN, StepUpState, carry_cookie
from state.resource import ON_RESOURCE
from tests.factories import make_user, run, sign_in
from tests.permission_walk import call_handler, handlers, our_states, permission_cases

BOOKKEEPING = {"audit_entry", "audit_head", "staff_session", "login_throttle"}


def test_the_enumeration_sees_every_state():
    names = {cls.__name__ for cls in our_states()}
    assert {
        "SessionState",
        "LoginState",
        "AdminUsersState",
        "RolesState",
        "SessionsState",
        "OverviewState",
        "UIState",
        "StepUpState",
    } <= names
    assert len(handlers()) > 20


@pytest.mark.parametrize(
    ("cls", "name", "fn"), handlers(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_handler_declares_its_permission(cls, name, fn):
    permission = getattr(fn, PERMISSION_ATTR, None)
    assert permission is not None, f"{cls.__name__}.{name} has no permission declaration"
    assert permission in (PUBLIC, SIGNED_IN) or (
        permission[0] in (*rbac.RESOURCES, ON_RESOURCE) and permission[1] in rbac.ACTIONS
    )


def _snapshot(engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {
            t.name: sorted(map(repr, conn.execute(t.select()).all()))
            for t in SQLModel.metadata.sorted_tables
            if t.name not in BOOKKEEPING
        }


def _denials(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "access.denied")
        ).scalar_one()


CALLERS = ["signed_out", "expired", "disabled", *rbac.STAFF_ROLES]


@pytest.fixture
def callers(session) -> dict[str, str]:
    """A session token per kind of caller ("" for signed out)."""
    tokens = {"signed_out": ""}
    for role in rbac.STAFF_ROLES:
        user, _ = make_user(session, f"u.{role.replace('_', '')}", [role])
        tokens[role] = sign_in(session, user)
    expired_user, _ = make_user(session, "u.expired", ["admin"])
    tokens["expired"] = sign_in(session, expired_user)
    session.execute(
        sa.update(StaffSession)
        .where(StaffSession.user_id == expired_user.id)
        .values(last_seen_at=utcnow() - timedelta(hours=1))
    )
    disabled_user, _ = make_user(session, "u.disabled", ["admin"])
    tokens["disabled"] = sign_in(session, disabled_user)
    disabled_user.is_active = False
    session.add(disabled_user)
    session.commit()
    return tokens


def _allowed(caller: str, permission: tuple[str, str]) -> bool:
    if permission == PUBLIC:
        return True
    if caller in ("signed_out", "expired", "disabled"):
        return False
    if permission == SIGNED_IN:
        return True
    return permission[1] in rbac.DEFAULT_GRANTS[caller].get(permission[0], ())


@pytest.mark.timeout(900)
def test_every_refused_call_changes_nothing_and_is_logged(clean_db, callers):
    refused = 0
    # a refused call writes only bookkeeping (its denial, the session's last use), so every call
    # is compared with the one snapshot taken before the first
    before, denials = _snapshot(clean_db), _denials(clean_db)
    for caller in CALLERS:
        for cls, name, fn in handlers():
            for permission, resource_key in permission_cases(getattr(fn, PERMISSION_ATTR)):
                if _allowed(caller, permission):
                    continue
                root = State(_reflex_internal_init=True)
                carry_cookie(root, callers[caller])
                result = call_handler(root, cls, fn, resource_key)
                where = f"{caller}: {cls.__name__}.{name}({resource_key})"
                assert result is not None, f"{where} ran"
                assert _snapshot(clean_db) == before, f"{where} wrote"
                denials += 1
                assert _denials(clean_db) == denials, f"{where} was not logged"
                refused += 1
    assert refused > 100


def test_sensitive_action_asks_for_a_fresh_totp_first(clean_db, session):
    admin, _ = make_user(session, "stale.admin", ["admin"])
    victim, _ = make_user(session, "victim", ["cs_agent"])
    root = State(_reflex_internal_init=True)
    carry_cookie(root, sign_in(session, admin, stale_totp=True))
    from state.admin import AdminUsersState

    before = _snapshot(clean_db)
    state = root.get_substate(AdminUsersState.get_full_name().split(".")[1:])
    run(AdminUsersState.event_handlers["set_active"].fn(state, victim.id, False))
    assert _snapshot(clean_db) == before
    assert root.get_substate(StepUpState.get_full_name().split(".")[1:]).open


def test_no_secret_reaches_any_role(clean_db, session, monkeypatch):
    """Every view-loading handler a role may run, then the whole state it would be sent."""
    monkeypatch.setattr(auth, "needs_step_up", lambda _p: False)
    employee = Employee(
        employee_no="E9",
        name="王五",
        team_id=None,
        position="x",
        hire_date=utcnow().date(),
        salary_cipher=fields.encrypt("88888.00"),
    )
    id_number = "11010519491231002X"
    session.add(
        Customer(
            customer_no="C1",
            name_masked="张*",
            name_cipher=fields.encrypt("张三"),
            name_hash="h",
            id_number_cipher=fields.encrypt(id_number),
            id_number_hash="h",
            phone_cipher=fields.encrypt("13800138000"),
            phone_hash="h",
            registered_at=utcnow(),
        )
    )
    session.commit()
    secrets_seen = ["88888.00", fields.decrypt(employee.salary_cipher), id_number, "13800138000"]
    user, totp_secret = make_user(session, "watcher", ["admin", "hr", "executive"])
    secrets_seen += [totp_secret, user.password_hash, user.password_hash.split("$")[-1]]
    for role in rbac.STAFF_ROLES:
        member, _ = make_user(session, f"v.{role.replace('_', '')}", [role])
        root = State(_reflex_internal_init=True)
        token = sign_in(session, member)
        carry_cookie(root, token)
        for cls, name, fn in handlers():
            for concrete, resource_key in permission_cases(getattr(fn, PERMISSION_ATTR)):
                if name in ("load", "gate", "open") and _allowed(role, concrete):
                    call_handler(root, cls, fn, resource_key)
        # serialized as the browser is sent it: the handshake's Cookie header is not
        sent = json_dumps(root.dict())
        for secret in secrets_seen:
            assert secret not in sent, f"{role} was sent a secret"
        assert "$argon2" not in sent and token not in sent, f"{role} was sent the session token"


def test_session_token_is_random_and_only_its_hash_is_stored(session):
    user, _ = make_user(session, "tok", ["pmo"])
    tokens = {sign_in(session, user) for _ in range(5)}
    assert len(tokens) == 5 and all(len(t) >= 43 for t in tokens)
    stored = set(session.exec(select(StaffSession.token_hash)).all())
    assert not tokens & stored
