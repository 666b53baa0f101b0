"""Builders the tests share: accounts and sign-ins, records made through the services as
staff would make them, and helpers to run state handlers without a browser."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pyotp
import sqlalchemy as sa
from sqlmodel import Session

from backoffice.domains.admin import users
from backoffice.domains.customers import national_id
from backoffice.security import auth, fields, sessions
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.customers import Customer
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


def make_principal(
    session: Session, username: str, roles: list[str], employee_id: int | None = None
) -> Principal:
    """A signed-in user with the given roles (their account linked to ``employee_id`` if
    given), as the services see the caller."""
    user, _ = make_user(session, username, roles)
    if employee_id is not None:
        user.employee_id = employee_id
        session.add(user)
        session.commit()
    return auth.resolve(session, sign_in(session, user))


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


def redirected_to(result: object) -> list[str]:
    """The paths a handler's returned events redirect to."""
    specs = result if isinstance(result, list) else [result]
    return [
        str(value._var_value)
        for spec in specs
        if getattr(getattr(spec, "handler", None), "fn", None)
        and spec.handler.fn.__qualname__ == "_redirect"
        for name, value in spec.args
        if str(name) == "path"
    ]


# --- records ------------------------------------------------------------------------------
CUSTOMER_ID_NUMBER = "110101199003071234"[:17] + national_id.check_character("11010119900307123")


def make_customer(
    session: Session,
    name: str = "张伟",
    id_number: str = CUSTOMER_ID_NUMBER,
    born: date = date(1990, 3, 7),
) -> Customer:
    """A registered customer with encrypted personal data and the blind indexes screening and
    search use."""
    from backoffice.domains.kyc import screening

    customer = Customer(
        customer_no=f"C{id_number[-6:]}",
        name_masked=fields.mask_name(name),
        name_cipher=fields.encrypt(name),
        name_hash=fields.blind_index(name, "customer.name"),
        id_number_cipher=fields.encrypt(id_number),
        id_number_hash=fields.blind_index(id_number, screening.ID_PURPOSE),
        phone_cipher=fields.encrypt("13812345678"),
        phone_hash=fields.blind_index("13812345678", "customer.phone"),
        address_cipher=fields.encrypt("北京市东城区东华门街道 1 号"),
        birth_date=born,
        registered_at=utcnow(),
    )
    session.add(customer)
    session.commit()
    return customer


def open_kyc_case(session: Session, officer: Principal, customer: Customer, risk: str = "low"):
    """An onboarding KYC case for the customer, opened by the officer."""
    from backoffice.engine import service
    from backoffice.engine.resource import get
    from models.kyc import KycCase

    result = service.create(
        session,
        principal=officer,
        resource=get("kyc_case"),
        values={"customer_id": str(customer.id), "kind": "onboarding", "aml_risk": risk},
    )
    session.commit()
    assert result.ok, result.errors
    return session.get(KycCase, result.record_id)


def numbered_customer(
    session: Session, n: int, registered: datetime, campaign_id: int | None = None
) -> Customer:
    """Customer K0000n, registered at ``registered``, with placeholder personal data (flushed,
    not committed)."""
    customer = Customer(
        customer_no=f"K{n:05d}",
        name_masked="张*",
        name_cipher=fields.encrypt(f"张{n}"),
        name_hash=f"h{n}",
        id_number_cipher=fields.encrypt("x"),
        id_number_hash=f"i{n}",
        phone_cipher=fields.encrypt("y"),
        phone_hash=f"p{n}",
        registered_at=registered,
        campaign_id=campaign_id,
    )
    session.add(customer)
    session.flush()
    return customer


def make_sales(session: Session, week) -> dict[str, object]:
    """Two partners, two products (money market R1 at 1.5 %, stock R4 at 0.8 %), customers old
    and new, transactions in ``week`` (a KPI period ending today), the week before and long ago
    (settled and failed)."""
    from decimal import Decimal

    from backoffice.config import get_settings
    from models.partners import Partner
    from models.products import Product
    from models.transactions import Transaction

    today, before = week.end, week.previous()

    def at(day: date, hour: int = 10) -> datetime:
        """A moment of a local day, as aware UTC."""
        return datetime.combine(day, time(hour), get_settings().zone).astimezone(UTC)

    bank = Partner(name="甲银行", kind="bank", licence_no="1", commission_rate=Decimal("1.5"))
    broker = Partner(
        name="乙证券", kind="securities", licence_no="2", commission_rate=Decimal("0.8")
    )
    session.add_all([bank, broker])
    session.flush()
    mmf = Product(
        code="MMF",
        name="货币一号",
        product_type="money_market",
        partner_id=bank.id,
        risk_level="R1",
    )
    stock = Product(
        code="STK", name="股票精选", product_type="stock", partner_id=broker.id, risk_level="R4"
    )
    session.add_all([mmf, stock])
    session.flush()
    old = numbered_customer(session, 1, at(today - timedelta(days=400)))
    new_buyer = numbered_customer(session, 2, at(week.start))
    numbered_customer(session, 3, at(week.end))  # new, never buys
    numbered_customer(session, 4, at(before.start))  # new last week
    n = 0

    def txn(customer, product, kind, amount, when, status="settled"):
        nonlocal n
        n += 1
        session.add(
            Transaction(
                txn_no=f"T{n:05d}",
                customer_id=customer.id,
                product_id=product.id,
                kind=kind,
                amount=Decimal(amount),
                status=status,
                occurred_at=when,
            )
        )

    txn(old, mmf, "subscription", "100000.00", at(today - timedelta(days=300)))  # long ago
    txn(old, mmf, "subscription", "1000.10", at(week.start, 0))  # first minute of the week
    txn(new_buyer, stock, "subscription", "2000.20", at(week.end, 23))  # last hour
    txn(old, stock, "redemption", "500.05", at(week.start + timedelta(days=2)))
    txn(old, mmf, "subscription", "9999.00", at(week.start + timedelta(days=1)), "failed")
    txn(old, mmf, "subscription", "700.00", at(before.end))  # last week
    session.commit()
    return {"mmf": mmf, "stock": stock, "bank": bank, "broker": broker}


GOOD_PARTNER = {
    "name": "华夏基金",
    "kind": "fund_company",
    "licence_no": "91110000",
    "status": "active",
    "commission_rate": "0.85",
    "contract_end": "2027-06-30",
}


def make_partner(session: Session, principal: Principal, **overrides: str) -> int:
    """A partner saved through the engine from ``GOOD_PARTNER`` and the overrides; its id."""
    from backoffice.engine import service
    from backoffice.engine.resource import get

    result = service.create(
        session, principal=principal, resource=get("partner"), values={**GOOD_PARTNER, **overrides}
    )
    assert result.ok, result
    session.commit()
    return result.record_id


def make_product(session: Session, principal: Principal, partner_id: int) -> int:
    """A 90-day fixed-term product (code P1) of the partner, saved through the engine; its id."""
    from backoffice.engine import service
    from backoffice.engine.resource import get

    result = service.create(
        session,
        principal=principal,
        resource=get("product"),
        values={
            "code": "P1",
            "name": "稳盈90天",
            "product_type": "fixed_term",
            "partner_id": str(partner_id),
            "risk_level": "R2",
            "min_purchase": "1000",
            "term_days": "90",
            "early_redemption": "not_allowed",
            "status": "on_sale",
        },
    )
    assert result.ok, result
    session.commit()
    return result.record_id


def new_product(session: Session, maker: Principal):
    """A bond product with a fresh code under a new partner, created by ``maker``."""
    import uuid
    from decimal import Decimal

    from backoffice.engine import service
    from backoffice.engine.resource import get
    from models.partners import Partner
    from models.products import Product

    partner = Partner(
        name=f"华夏-{uuid.uuid4().hex[:6]}",
        kind="fund_company",
        licence_no="91110000",
        status="active",
        commission_rate=Decimal("0.85"),
    )
    session.add(partner)
    session.commit()
    created = service.create(
        session,
        principal=maker,
        resource=get("product"),
        values={
            "code": f"MC-{uuid.uuid4().hex[:8]}",
            "name": "稳盈90天",
            "product_type": "bond",
            "partner_id": str(partner.id),
            "risk_level": "R2",
            "min_purchase": "1000",
            "early_redemption": "not_allowed",
        },
    )
    assert created.ok, created
    session.commit()
    return session.get(Product, created.record_id)


PDF = b"%PDF-1.4\n%%EOF\n"


def disclose(session: Session, principal: Principal, product_id: int) -> None:
    """Attach the prospectus and the risk disclosure a product needs before it goes on sale."""
    from backoffice.engine.resource import get
    from backoffice.platform import attachments

    for category in ("prospectus", "risk_disclosure"):
        _item, problem = attachments.add(
            session,
            principal=principal,
            resource=get("product"),
            record_id=product_id,
            filename=f"{category}.pdf",
            data=PDF,
            category=category,
        )
        assert problem == "", problem
    session.commit()


def open_ticket(
    session: Session,
    principal: Principal,
    customer: Customer,
    category: str = "account",
    priority: str = "normal",
    subject: str = "无法登录",
):
    """A phone ticket for the customer about a failed sign-in, opened by ``principal``."""
    from backoffice.engine import service
    from backoffice.engine.resource import get
    from models.tickets import Ticket

    result = service.create(
        session,
        principal=principal,
        resource=get("ticket"),
        values={
            "customer_id": str(customer.id),
            "channel": "phone",
            "category": category,
            "priority": priority,
            "subject": subject,
            "description": "客户来电：登录时提示密码错误。",
        },
    )
    assert result.ok, (result.errors, result.message)
    session.commit()
    return session.get(Ticket, result.record_id)


# --- demo data ----------------------------------------------------------------------------
TINY_DEMO = {
    "customers": 300,
    "transactions": 2_000,
    "tickets": 200,
    "campaigns": 6,
    "watchlist": 10,
}


def seed_tiny_demo(engine: sa.Engine, monkeypatch) -> dict[str, int]:
    """The demo data at the ``TINY_DEMO`` size, as ``seed --size small`` writes it; the rows
    written per table (none on a second run)."""
    from backoffice import seed

    monkeypatch.setitem(seed.SIZES, "small", seed.SeedSize(**TINY_DEMO))
    return seed.seed(engine, "small", progress=lambda _line: None)
