"""Keyset pages (``service.page_after``): each page starts where the last one ended, in the list
view's order with the id breaking ties, empty values last; no OFFSET, so a page deep in a big
table is found through the index as the first one is."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.security.rbac import Principal
from models.partners import Partner

PARTNER = get("partner")


def _partners(session: Session, count: int) -> dict[int, Partner]:
    session.execute(
        sa.insert(Partner),
        [
            {
                "name": f"P{n:04d}",
                "kind": "bank" if n % 2 else "fund_company",
                "licence_no": str(n),
                "status": "active",
                "commission_rate": Decimal(n % 5),
                "contract_end": date(2027, 1, 1 + n % 9) if n % 3 else None,
                "notes": "",
            }
            for n in range(count)
        ],
    )
    session.commit()
    return {p.id: p for p in session.exec(select(Partner)).all()}


def _walk(session: Session, principal: Principal, params: dict[str, str], size: int) -> list:
    schema = service.schema_of(session, PARTNER)
    query = service.parse_query(schema, params)
    name, _descending = service.sort_order(PARTNER, query.sort)
    seen, after = [], None
    while True:
        records, more, errors = service.page_after(
            session, principal=principal, schema=schema, query=query, after=after, limit=size
        )
        assert errors == [] and len(records) <= size
        seen += records
        if not more:
            return seen
        after = (getattr(records[-1], name), records[-1].id)


@pytest.mark.parametrize("sort", ["", "-id", "commission_rate", "-commission_rate", "contract_end"])
def test_pages_hold_every_record_once_in_the_list_order(session, pm, sort):
    everyone = _partners(session, 95)
    walked = _walk(session, pm, {"sort": sort}, size=10)
    assert len(walked) == len({p.id for p in walked}) == 95
    column, descending = service.sort_order(PARTNER, sort)

    def key(p: Partner) -> tuple:
        value = getattr(p, column)
        return (value is None, value if value is not None else 0, p.id)

    expected = sorted(everyone.values(), key=key, reverse=descending)
    if descending:  # empty values still last, and ties by id in the sort's direction
        dated = [p for p in expected if getattr(p, column) is not None]
        expected = dated + sorted(
            (p for p in expected if getattr(p, column) is None), key=lambda p: -p.id
        )
    assert [p.id for p in walked] == [p.id for p in expected]


def test_pages_keep_the_views_filters_and_row_checks(session, pm):
    everyone = _partners(session, 60)
    walked = _walk(session, pm, {"kind": "bank", "commission_rate__min": "2"}, size=7)
    assert {p.id for p in walked} == {
        i for i, p in everyone.items() if p.kind == "bank" and p.commission_rate >= 2
    }
    schema = service.schema_of(session, PARTNER)
    _records, _more, errors = service.page_after(
        session,
        principal=pm,
        schema=schema,
        query=service.parse_query(schema, {"contract_end__min": "soon"}),
        after=None,
        limit=5,
    )
    assert errors == ["contract_end"]


def test_a_deep_page_is_found_through_the_index_without_offset(session, pm, engine):
    everyone = _partners(session, 50)
    last = max(everyone)
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        schema = service.schema_of(session, PARTNER)
        query = service.parse_query(schema, {"sort": "-id"})
        records, _more, _errors = service.page_after(
            session, principal=pm, schema=schema, query=query, after=(last, last), limit=5
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    assert [r.id for r in records] == sorted(everyone, reverse=True)[1:6]
    statement, parameters = next(s for s in statements if "FROM partner" in s[0])
    if "OFFSET" in statement:  # SQLite's dialect writes one with any LIMIT: it is zero
        assert engine.dialect.name == "sqlite" and parameters[-1] == 0, statement
    if engine.dialect.name == "sqlite":
        plan = " ".join(
            str(row[-1])
            for row in session.connection().exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters
            )
        )
        assert "USING INTEGER PRIMARY KEY" in plan and "rowid<?" in plan, plan


def test_a_deep_page_sorted_by_time_seeks_the_time_index(session, pm, engine):
    """Sorted by a column other than id, the page after a cursor starts with a range on that
    column ("at or past the value"), so the database seeks its index instead of reading it
    from the top: the cost of page 10,000 is that of page 1."""
    from datetime import UTC, datetime, timedelta

    from models.transactions import Transaction
    from tests.factories import make_customer, make_partner, make_product

    customer = make_customer(session)
    product_id = make_product(session, pm, make_partner(session, pm))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    session.execute(
        sa.insert(Transaction),
        [
            {
                "txn_no": f"T{n:05d}",
                "customer_id": customer.id,
                "product_id": product_id,
                "kind": "subscription",
                "amount": Decimal("100.00"),
                "occurred_at": start + timedelta(minutes=n // 2),  # two rows per minute
            }
            for n in range(60)
        ],
    )
    session.commit()
    resource = get("transaction")
    schema = service.schema_of(session, resource)
    query = service.parse_query(schema, {"sort": "-occurred_at"})
    walked, after = [], None
    while True:
        records, more, _errors = service.page_after(
            session, principal=pm, schema=schema, query=query, after=after, limit=7
        )
        walked += [(r.occurred_at, r.id) for r in records]
        if not more:
            break
        after = (records[-1].occurred_at, records[-1].id)
    assert walked == sorted(walked, reverse=True) and len(set(walked)) == 60
    if engine.dialect.name == "sqlite":
        statement, parameters = _statement_of(engine, session, pm, schema, query, after)
        plan = " ".join(
            str(row[-1])
            for row in session.connection().exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters
            )
        )
        assert "SEARCH" in plan and "occurred_at<?" in plan, plan


def _statement_of(engine, session, principal, schema, query, after):
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        service.page_after(
            session, principal=principal, schema=schema, query=query, after=after, limit=7
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    return next(s for s in statements if 'FROM "transaction"' in s[0] or "FROM transaction" in s[0])
