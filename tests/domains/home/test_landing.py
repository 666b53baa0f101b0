"""Module landing pages: each count is the total of the list it links to, for each demo role;
a role gets no count of records it may not see; "waiting for your approval" leaves out what
the caller made (maker ≠ checker) and what they hold no right to approve."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlmodel import select

import backoffice.domains  # noqa: F401  (registers every resource)
from backoffice.domains.home import landing
from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.security import auth
from models.identity import User
from models.products import Product
from tests.factories import disclose, make_principal, new_product, seed_tiny_demo, sign_in, take

PRODUCT = get("product")


def _list_total(session, principal, href: str) -> int:
    """The total the list page at ``href`` shows the caller."""
    url = urlsplit(href)
    resource = get(url.path.removeprefix("/r/"))
    schema = service.schema_of(session, resource)
    query = service.parse_query(schema, dict(parse_qsl(url.query)))
    return service.list_page(
        session, principal=principal, resource=resource, query=query, schema=schema
    ).total


@pytest.fixture
def seeded(clean_db, session, monkeypatch):
    seed_tiny_demo(clean_db, monkeypatch)
    return session


def test_every_count_on_every_landing_page_is_the_total_of_the_list_it_opens(seeded):
    session = seeded
    shown = 0
    for user in session.exec(select(User).order_by(User.username)).all():
        principal = auth.resolve(session, sign_in(session, user))
        for module in landing.PLANS:
            page = landing.landing(session, principal=principal, module=module, lang="en")
            if module not in principal.modules():
                assert page is None
                continue
            for tile in page.work + page.figures:
                if not tile.href.startswith("/r/"):
                    continue  # the appraisal desk
                assert tile.count == _list_total(session, principal, tile.href), (
                    user.username,
                    tile.key,
                )
                shown += 1
    assert shown > 100
    # the seed gives each queue something to show somewhere
    kyc = auth.resolve(
        session,
        sign_in(session, session.exec(select(User).where(User.username == "kyc.liu")).one()),
    )
    page = landing.landing(session, principal=kyc, module="kyc", lang="zh")
    counts = {t.key: t.count for t in page.work}
    assert counts["kyc_mine"] > 0 and counts["kyc_hits"] > 0 and counts["kyc_overdue"] > 0
    assert page.work[0].label == "分配给我的案件"


def test_a_role_gets_no_count_of_records_it_may_not_see(seeded):
    session = seeded

    def page(username, module):
        user = session.exec(select(User).where(User.username == username)).one()
        principal = auth.resolve(session, sign_in(session, user))
        return landing.landing(session, principal=principal, module=module, lang="en")

    executive = page("ceo.huang", "kyc")  # views cases, not the watch lists
    keys = {t.key for t in executive.work + executive.figures}
    assert "kyc_hits" not in keys and "kyc_new" in keys
    assert "kyc_mine" not in keys  # works no cases
    assert executive.approvals == []  # approves nothing in KYC
    assert page("cs.zhou", "kyc") is None  # an agent does not open the KYC module
    agent = page("cs.zhou", "tickets")
    assert "ticket_reports" not in {s[1].rsplit("/", 1)[-1] for s in agent.shortcuts}
    lead = page("cs.wu", "tickets")
    assert "/tickets/reports" in {s[1] for s in lead.shortcuts}
    # tickets are counted within the caller's scope: the agent's list, not everyone's
    everyone = landing.count_of(
        session,
        principal=auth.resolve(
            session,
            sign_in(session, session.exec(select(User).where(User.username == "ceo.huang")).one()),
        ),
        count=landing.Count("x", "ticket", queue="waiting"),
    )
    mine = next(t for t in agent.figures if t.key == "tickets_waiting")
    assert mine.count <= everyone[0]


def test_what_waits_for_my_approval_leaves_out_what_i_made(session):
    drafter = make_principal(session, "pm.d", ["product_manager"])
    checker = make_principal(session, "pm.c", ["product_manager"])
    marketing = make_principal(session, "mkt.m", ["marketing"])  # views products, approves none
    product = new_product(session, drafter)
    disclose(session, drafter, product.id)
    assert take(session, drafter, PRODUCT, product, "submit").ok
    session.commit()

    def waiting(principal):
        page = landing.landing(session, principal=principal, module="products", lang="zh")
        return {a.resource: a for a in page.approvals}

    assert waiting(drafter)["product"].count == 0
    mine = waiting(checker)["product"]
    assert mine.count == 1
    assert mine.items == [(product.name, f"/r/product/record?id={product.id}")]
    assert "product" not in waiting(marketing)
    # once published, it waits for nobody
    assert take(session, checker, PRODUCT, product, "publish").ok
    session.commit()
    assert waiting(checker)["product"].count == 0
    assert session.get(Product, product.id).status == "on_sale"


def test_a_module_without_a_landing_plan_or_not_open_to_the_caller_has_none(session):
    agent = make_principal(session, "cs.x", ["cs_agent"])
    assert "projects" not in agent.modules() and "tickets" in agent.modules()
    assert landing.landing(session, principal=agent, module="projects", lang="en") is None
    assert landing.landing(session, principal=agent, module="kpi", lang="en") is None
    assert landing.landing(session, principal=agent, module="tickets", lang="en") is not None
