"""API clients in a real browser: an administrator creates one and sees its key once, the key
works against the served API, a rotation keeps the old key for its overlap, a revocation ends
every key at once; the list in both languages at three widths. Nobody else opens the page, and
a handler called directly by someone else, or without a fresh second factor, changes nothing.
A webhook subscription saved on the generic form shows its signing secret once, on its page."""

from __future__ import annotations

import re

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from reflex.state import State
from sqlmodel import Session, select

import backoffice.backoffice  # noqa: F401  (registers every page and state)
from backoffice.domains.integrations import clients
from models.audit import AuditEntry
from models.integrations import ApiClient, ApiKey
from state.auth import StepUpState, carry_cookie
from state.integrations import IntegrationsState
from tests.factories import make_principal, make_user, run, sign_in

WIDTHS = {"desktop": 1440, "tablet": 768, "phone": 390}
NO_SIDEWAYS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def _whoami(app_url: str, key: str) -> httpx.Response:
    return httpx.get(
        f"{app_url}/api/v1/whoami", headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


def _shots(page: Page, screenshot_dir, name: str) -> None:
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)
        assert page.evaluate(NO_SIDEWAYS), f"{name} scrolls sideways at {width} px"
        page.screenshot(
            path=str(screenshot_dir / f"integrations-{name}-{label}.png"), full_page=True
        )
    page.set_viewport_size({"width": 1440, "height": 900})


def _shown_key(page: Page) -> str:
    shown = page.locator("#new-key")
    expect(shown).to_have_text(re.compile(r"^bo_[0-9a-f]{12}_\S{20,}$"), timeout=30_000)
    return shown.inner_text().strip()


@pytest.mark.timeout(1800)  # the first test to use the app waits for its build too
def test_admin_creates_rotates_and_revokes_an_api_client(
    page: Page, app_url, sign_in_as, screenshot_dir
):
    sign_in_as("admin")
    page.locator("#sidebar #nav-integrations").click()
    expect(page).to_have_url(re.compile(r"/integrations/?$"))
    expect(page.locator("#page-title")).to_have_text("系统集成")

    # a bad allow-list entry: refused with its reason, nothing made
    page.locator("#client-name").fill("platform-web")
    page.locator("#client-allowed-ips").fill("127.0.0.1, not-an-address")
    page.locator("#create-client").click()
    expect(page.locator("#integrations-error")).to_contain_text("not-an-address")
    expect(page.locator("#new-key-panel")).to_have_count(0)
    expect(page.locator("#client-row-platform-web")).to_have_count(0)

    page.locator("#client-allowed-ips").fill("127.0.0.1, ::1")
    page.locator("#client-rate").fill("120")
    page.locator("#create-client").click()
    first_key = _shown_key(page)
    expect(page.locator("#new-key-panel")).to_contain_text("不再显示")
    expect(page.locator("#copy-key")).to_be_visible()
    row = page.locator("#client-row-platform-web")
    expect(row).to_contain_text("客户平台（接口）")
    expect(row).to_contain_text("127.0.0.1, ::1")
    expect(row).to_contain_text("120")
    expect(row).to_contain_text("有效")
    # the list shows the key's public part only
    prefix = first_key[: len("bo_") + 12]
    expect(row.locator(".key-line")).to_have_count(1)
    expect(row.locator(".key-line")).to_contain_text(prefix)
    assert first_key not in row.inner_text()

    answer = _whoami(app_url, first_key)
    assert answer.status_code == 200, answer.text
    assert answer.json()["client"] == "platform-web"
    assert answer.json()["roles"] == ["platform"]
    assert "transaction.create" in answer.json()["rights"]

    # shown once: dismissed, and not there again after a reload
    page.locator("#dismiss-key").click()
    expect(page.locator("#new-key-panel")).to_have_count(0)
    page.reload()
    expect(page.locator("#client-row-platform-web")).to_be_visible(timeout=30_000)
    expect(page.locator("#new-key-panel")).to_have_count(0)
    assert first_key not in page.content()

    # rotation with an hour's overlap: both keys work, the old one says when it ends
    row.locator(".rotate-client").click()
    expect(page.locator("#rotate-panel")).to_contain_text("platform-web")
    page.locator("#overlap-hours").fill("1")
    page.locator("#confirm-rotate").click()
    second_key = _shown_key(page)
    assert second_key != first_key
    expect(page.locator("#rotate-panel")).to_have_count(0)
    expect(row.locator(".key-line")).to_have_count(2)
    expect(row).to_contain_text("即将失效")
    assert _whoami(app_url, first_key).status_code == 200
    assert _whoami(app_url, second_key).status_code == 200
    page.locator("#dismiss-key").click()

    # the list in English, at three widths
    page.get_by_role("radio", name="English").click()
    expect(page.locator("#page-title")).to_have_text("Integrations", timeout=30_000)
    expect(row).to_contain_text("Customer platform (API)")
    expect(row).to_contain_text("Ending")
    _shots(page, screenshot_dir, "en")
    page.get_by_role("radio", name="中文").click()
    expect(page.locator("#page-title")).to_have_text("系统集成", timeout=30_000)
    _shots(page, screenshot_dir, "zh")

    # revocation asks first, then ends every key at once
    row.locator(".revoke-client").click()
    expect(page.locator("#revoke-panel")).to_contain_text("不可撤销")
    page.locator("#confirm-revoke").click()
    expect(page.locator("#revoke-panel")).to_have_count(0)
    expect(row).to_contain_text("已吊销")
    expect(row.locator(".revoke-client")).to_have_count(0)
    for key in (first_key, second_key):
        refused = _whoami(app_url, key)
        assert refused.status_code == 401, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")


def test_a_customer_service_agent_cannot_open_the_page(page: Page, app_url, sign_in_as):
    sign_in_as("cs.zhou")
    expect(page.locator("#sidebar #nav-integrations")).to_have_count(0)
    page.goto(app_url + "/integrations")
    expect(page.get_by_text("您没有执行此操作的权限。").first).to_be_visible(timeout=30_000)
    expect(page).not_to_have_url(re.compile(r"/integrations"), timeout=30_000)
    expect(page.locator("#clients-table")).to_have_count(0)
    expect(page.locator("#create-client")).to_have_count(0)


def _state(root: State, cls: type) -> object:
    return root.get_substate(cls.get_full_name().split(".")[1:])


def _denials(session: Session) -> int:
    session.rollback()  # a fresh read: the handlers wrote in their own sessions
    return session.exec(
        select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "access.denied")
    ).one()


def test_a_direct_handler_call_by_an_agent_is_refused_and_changes_nothing(session: Session):
    admin = make_principal(session, "keeper", ["admin"])
    client, _key = clients.create_client(session, actor=admin, name="platform", role="platform")
    session.commit()
    agent, _ = make_user(session, "agent", ["cs_agent"])
    root = State(_reflex_internal_init=True)
    carry_cookie(root, sign_in(session, agent))
    state = _state(root, IntegrationsState)
    denials = _denials(session)

    form = {"name": "sneaky", "role": "admin", "allowed_ips": "", "expires_on": "", "rate": "600"}
    assert run(IntegrationsState.event_handlers["create"].fn(state, form)) is not None
    state.revoking_id = client.id
    assert run(IntegrationsState.event_handlers["revoke"].fn(state)) is not None
    assert run(IntegrationsState.event_handlers["load"].fn(state)) is not None

    session.rollback()
    assert [c.name for c in session.exec(select(ApiClient)).all()] == ["platform"]
    assert session.get(ApiClient, client.id).revoked_at is None
    assert state.rows == [] and state.shown_key == ""
    assert _denials(session) == denials + 3


def test_rotation_waits_for_a_fresh_second_factor_then_goes_ahead(session: Session):
    admin = make_principal(session, "keeper", ["admin"])
    client, _key = clients.create_client(session, actor=admin, name="platform", role="platform")
    session.commit()
    stale, _ = make_user(session, "stale.admin", ["admin"])
    root = State(_reflex_internal_init=True)
    carry_cookie(root, sign_in(session, stale, stale_totp=True))
    state = _state(root, IntegrationsState)
    run(IntegrationsState.event_handlers["load"].fn(state))
    assert [row["name"] for row in state.rows] == ["platform"]
    run(IntegrationsState.event_handlers["ask_rotate"].fn(state, client.id))
    assert state.rotating_name == "platform"

    run(IntegrationsState.event_handlers["rotate"].fn(state, {"overlap_hours": "0"}))
    session.rollback()
    assert len(session.exec(select(ApiKey).where(ApiKey.client_id == client.id)).all()) == 1
    assert state.shown_key == ""
    step_up = _state(root, StepUpState)
    assert step_up.open
    assert step_up._pending is not None and step_up._pending[1] == "rotate"


@pytest.mark.timeout(1800)
def test_a_webhook_subscription_saved_on_the_form_shows_its_secret_once(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    from backoffice.db import make_engine
    from models.integrations import WebhookSubscription

    sign_in_as("admin")
    page.goto(app_url + "/r/webhook_subscription/record?id=new")
    expect(page.locator("#record-save")).to_be_visible(timeout=30_000)
    page.locator("#field-name").fill("crm-closings")
    page.locator("#field-url").fill("https://crm.example.com/hooks/backoffice")
    page.locator("#field-events").get_by_text("产品已结束销售").click()
    page.locator("#field-events").get_by_text("营销活动已取消").click()
    if page.locator("#field-is_active").get_attribute("data-state") != "checked":
        page.locator("#field-is_active").click()
    page.locator("#record-save").click()
    expect(page).to_have_url(re.compile(r"record\?id=\d+"), timeout=30_000)
    record_id = int(re.search(r"id=(\d+)", page.url).group(1))

    # the page the save leads to shows the new secret, once
    shown = page.locator("#webhook-secret")
    expect(shown).to_have_text(re.compile(r"^whsec_\S{40,}$"), timeout=30_000)
    secret = shown.inner_text().strip()
    expect(page.get_by_text("首次打开本页时生成")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "webhook-first-secret.png"), full_page=True)
    page.reload()
    expect(page.locator("#webhook-rotate-secret")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1000)
    expect(page.locator("#webhook-secret")).to_have_count(0)
    assert secret not in page.content()

    engine = make_engine(app_env["BACKOFFICE_DB_URL"])
    with Session(engine) as session:
        made = session.get(WebhookSubscription, record_id)
        assert made.events == "product.closed,campaign.cancelled" and made.is_active
        assert made.secret_cipher and secret not in made.secret_cipher
        actions = session.exec(
            select(AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.entity == "webhook_subscription")
            .where(AuditEntry.entity_id == str(record_id))
            .order_by(AuditEntry.id)
        ).all()
        assert [tuple(a) for a in actions] == [
            ("webhook_subscription.create", "admin"),
            ("webhook_subscription.issue_secret", "admin"),
        ]
    engine.dispose()
