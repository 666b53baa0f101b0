"""A first visit is quiet: the icon is served, a signed-out visitor is sent to sign in without
a refusal, and the pages staff open say nothing in the console; history rows name people and
fields as staff know them."""

from __future__ import annotations

import re
import urllib.request

from playwright.sync_api import ConsoleMessage, Page, expect
from sqlmodel import Session, select

from backoffice.db import make_engine
from models.audit import AuditEntry
from models.products import Product

TOAST = "[data-sonner-toast]"
RAW_NAME = re.compile(r"\b[a-z]+(?:[_.][a-z0-9]+)+\b")


def _listen(page: Page) -> list[str]:
    """Console errors, page errors and failed requests of the app, as they happen."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    return problems


def test_the_icon_is_served(app_url):
    with urllib.request.urlopen(app_url + "/favicon.ico", timeout=10) as response:
        assert response.status == 200
        body = response.read()
    assert body[:4] == b"\x00\x00\x01\x00", "an ICO file"


def test_a_signed_out_visit_goes_to_sign_in_quietly(page: Page, app_url, screenshot_dir):
    problems = _listen(page)
    page.goto(app_url + "/")
    expect(page).to_have_url(re.compile(r"/login/?$"), timeout=30_000)
    expect(page.locator("#sign-in")).to_be_visible()
    page.wait_for_timeout(1500)  # a toast would have appeared by now
    expect(page.locator(TOAST)).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "first-visit-signed-out.png"))
    assert problems == []


def test_signed_in_pages_say_nothing_in_the_console_and_history_names_people(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    engine = make_engine(app_env["BACKOFFICE_DB_URL"])
    with Session(engine) as session:
        # a product whose trail the demo wrote as its product manager (pm.li, 李娜)
        product_id = session.exec(
            select(AuditEntry.entity_id)
            .where(AuditEntry.entity == "product", AuditEntry.actor == "pm.li")
            .order_by(AuditEntry.id)
        ).first()
        assert product_id and session.get(Product, int(product_id)) is not None
    engine.dispose()
    problems = _listen(page)
    sign_in_as("pm.li")
    for path in ("/", "/r/product", "/r/partner", "/partners", "/partners/commission"):
        page.goto(app_url + path)
        expect(page.locator("#page-title")).to_be_visible(timeout=30_000)
        page.wait_for_timeout(500)
    page.goto(app_url + f"/r/product/record?id={product_id}")
    expect(page.locator("#tab-history")).to_be_visible(timeout=30_000)
    page.locator("#tab-history").click()
    history = page.locator("#history")
    expect(history).to_contain_text("李娜", timeout=30_000)
    text = history.inner_text()
    assert "pm.li" not in text and RAW_NAME.findall(text) == [], text
    page.screenshot(path=str(screenshot_dir / "history-product-zh.png"), full_page=True)
    page.get_by_role("radio", name="English").click()
    # the switch builds the open record again in English, history included, without a reload
    expect(page.locator("#tab-history")).to_contain_text("History", timeout=30_000)
    page.locator("#tab-history").click()
    expect(history).to_contain_text("Status", timeout=30_000)
    text = history.inner_text()
    assert "pm.li" not in text and RAW_NAME.findall(text) == [], text
    page.screenshot(path=str(screenshot_dir / "history-product-en.png"), full_page=True)
    assert problems == []


def test_the_ledger_and_the_audit_log_show_labels_and_names(
    page: Page, app_url, sign_in_as, screenshot_dir
):
    sign_in_as("ceo.huang")
    page.goto(app_url + "/r/campaign_spend")
    expect(page.locator(".list-row").first).to_be_visible(timeout=30_000)
    header = page.locator("thead").first.inner_text()
    assert "登记时间" in header and "created_at" not in header, header
    cells = page.locator(".list-row").first.inner_text()
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", cells), "times in the company's zone"
    assert not RAW_NAME.search(cells), cells
    page.screenshot(path=str(screenshot_dir / "budget-ledger-zh.png"), full_page=True)

    page.context.clear_cookies()
    sign_in_as("admin")
    page.goto(app_url + "/audit?action=product.")
    expect(page.locator("#page-title")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)
    shown = page.locator("main, body").first.inner_text()
    assert "risk_level" not in shown and "change_request" not in shown
    page.screenshot(path=str(screenshot_dir / "audit-log-products-zh.png"), full_page=True)
