"""Small factories for identity tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pyotp
import sqlalchemy as sa
from sqlmodel import Session

from backoffice.domains.admin import users
from backoffice.security import fields, sessions
from models.base import utcnow
from models.identity import StaffSession, User

PASSWORD = "Correct-Horse-Battery-9"


def make_user(
    session: Session,
    username: str,
    roles: list[str],
    *,
    enrolled: bool = True,
    password: str = PASSWORD,
) -> tuple[User, str]:
    """A user with the given roles; returns the user and their TOTP secret."""
    users.ensure_roles(session)
    user, problems = users.create_user(
        session,
        actor=None,
        username=username,
        display_name=username.title(),
        password=password,
        roles=roles,
    )
    assert not problems, problems
    secret = pyotp.random_base32()
    if enrolled:
        user.totp_secret_cipher = fields.encrypt(secret)
        user.totp_enrolled = True
        session.add(user)
    session.commit()
    return user, secret


def sign_in(session: Session, user: User, *, stale_totp: bool = False) -> str:
    token = sessions.create(session, user=user)
    if stale_totp:
        session.execute(
            sa.update(StaffSession)
            .where(StaffSession.token_hash == sessions.hash_token(token))
            .values(totp_verified_at=utcnow() - timedelta(minutes=10))
        )
    session.commit()
    return token


def run(awaitable: object) -> object:
    """Run a coroutine to completion in its own thread (Playwright's sync API may already hold
    an event loop in the main thread when the browser tests ran first), with the caller's
    context variables (Reflex keeps its registration context in one)."""
    import asyncio
    import contextvars
    import inspect
    from concurrent.futures import ThreadPoolExecutor

    if not inspect.isawaitable(awaitable):
        return awaitable

    async def wrapper() -> object:
        return await awaitable

    with ThreadPoolExecutor(max_workers=1) as pool:
        context = contextvars.copy_context()
        return pool.submit(context.run, asyncio.run, wrapper()).result()


def make_questionnaire(session: Session, *, status: str = "active", number: int = 1):
    """A questionnaire version with two questions (weights 1 and 2; points 0-4 and 0-3);
    totals from 2 are C2, 4 C3, 7 C4 and 9 C5 (the maximum is 10)."""
    from models.questionnaire import RiskQuestion, RiskQuestionnaire

    version = RiskQuestionnaire(
        number=number,
        title_zh="测试问卷",
        title_en="Test questionnaire",
        status=status,
        c2_from=2,
        c3_from=4,
        c4_from=7,
        c5_from=9,
    )
    session.add(version)
    session.flush()
    session.add_all(
        [
            RiskQuestion(
                questionnaire_id=version.id,
                position=1,
                text_zh="年龄",
                text_en="Age",
                weight=1,
                answers="0 | 70 岁以上 | Over 70\n2 | 36–70 岁 | 36–70\n4 | 18–35 岁 | 18–35",
            ),
            RiskQuestion(
                questionnaire_id=version.id,
                position=2,
                text_zh="可承受亏损",
                text_en="Loss you could bear",
                weight=2,
                answers="0 | 不能亏损 | None\n1 | 10% 以内 | Up to 10%\n3 | 10% 以上 | Over 10%",
            ),
        ]
    )
    session.commit()
    return version


def take(session: Session, principal, resource, record, key: str):
    """Take a workflow transition on a record as the user saw it, committed; the result."""
    from backoffice.engine import service

    session.refresh(record)
    result = service.transition(
        session,
        principal=principal,
        resource=resource,
        record_id=record.id,
        version=record.version,
        transition_key=key,
    )
    session.commit()
    session.refresh(record)
    return result


def rename(session: Session, username: str, display_name: str) -> None:
    """Give an account the name staff know its holder by."""
    session.execute(
        sa.update(User).where(User.username == username).values(display_name=display_name)
    )
    session.commit()


def assert_refused_as_stale(
    key: str, params: dict[str, object], *, who: str, fields: list[tuple[str, str]]
) -> None:
    """The one refusal of a write on an out-of-date version, whichever path made it: the
    person by display name and the changed fields by their labels ((zh, en), sorted by
    field name), in each language."""
    from backoffice.i18n import translate

    assert key == "record.stale_by"
    zh = translate(key, "zh", **params)
    en = translate(key, "en", **params)
    assert f"该记录已被 {who} 于 " in zh and f"（{'、'.join(z for z, _ in fields)}）" in zh, zh
    assert en.startswith(f"{who} changed this record at "), en
    assert f"({', '.join(e for _, e in fields)})" in en, en


@contextmanager
def bypassing_audit_triggers(connection: sa.Connection) -> Iterator[None]:
    """Lift the triggers that make ``audit_entry`` append-only for the block, as a database
    administrator could: the threat the keyed chain and the signed checkpoints detect.
    (PostgreSQL disables them for the transaction; SQLite and MySQL drop and re-create them.)"""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql("ALTER TABLE audit_entry DISABLE TRIGGER USER")
        try:
            yield
        finally:
            connection.exec_driver_sql("ALTER TABLE audit_entry ENABLE TRIGGER USER")
        return
    if dialect == "sqlite":
        saved = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'audit_entry'"
        ).all()
    else:
        names = connection.exec_driver_sql(
            "SELECT trigger_name FROM information_schema.triggers "
            "WHERE event_object_table = 'audit_entry' AND trigger_schema = DATABASE()"
        ).scalars()
        saved = [
            (name, connection.exec_driver_sql(f"SHOW CREATE TRIGGER {name}").one()[2])
            for name in list(names)
        ]
    for name, _sql in saved:
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    try:
        yield
    finally:
        for _name, sql in saved:
            connection.exec_driver_sql(sql)


def state_for(session: Session, user: User, cls: type, url: str = "/") -> object:
    """The substate ``cls`` of a fresh state tree for a signed-in ``user`` on the page ``url``
    (a handler reads its query parameters from the router)."""
    from urllib.parse import urlsplit

    from reflex.istate.data import RouterData
    from reflex.state import State

    from state.auth import carry_cookie

    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {
            "headers": {"origin": "http://localhost:3000"},
            "asPath": url,
            "pathname": urlsplit(url).path,
        }
    )
    carry_cookie(root, sign_in(session, user))
    return root.get_substate(cls.get_full_name().split(".")[1:])
