"""Module landing pages and the grouped bell in a real browser: a count opens the list that
holds exactly those records; what waits for approval leaves out the caller's own work; the
bell groups notifications by kind, marks a group read and follows each person's choices."""

import re

from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from backoffice.db import make_engine
from backoffice.platform import notifications
from backoffice.platform.notifications import KINDS
from backoffice.security.rbac import Principal
from models.identity import User

WIDTHS = {"desktop": 1440, "tablet": 768, "phone": 390}


def _shots(page: Page, screenshot_dir, name: str) -> None:
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)
        page.screenshot(path=str(screenshot_dir / f"landing-{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def test_the_kyc_landing_page_counts_the_officers_work_and_a_count_opens_its_list(
    page: Page, app_url, sign_in_as, screenshot_dir
):
    sign_in_as("kyc.liu")
    page.goto(app_url + "/kyc")
    expect(page.locator("#landing-work")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("This module's pages are being built")).to_have_count(0)
    expect(page.get_by_text("分配给我的案件")).to_be_visible()
    mine = page.locator("#count-kyc_mine")
    expect(mine).to_contain_text(re.compile(r"\d"))
    count = mine.locator("h1, h2, h3, h4, h5, h6").first.inner_text().strip()
    expect(page.locator("#count-kyc_hits")).to_be_visible()  # compliance works the lists
    _shots(page, screenshot_dir, "kyc-zh")
    mine.click()
    expect(page).to_have_url(re.compile(r"/r/kyc_case\?queue=mine$"), timeout=30_000)
    expect(page.locator("#list-total")).to_contain_text(count, timeout=30_000)
    page.goto(app_url + "/kyc")
    expect(page.locator("#landing-work")).to_be_visible(timeout=30_000)
    page.get_by_role("radio", name="English").click()
    # the switch applies at once, and the choice outlives a reload
    expect(page.get_by_text("Cases assigned to me")).to_be_visible(timeout=30_000)
    page.reload()
    expect(page.get_by_text("Cases assigned to me")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Your work")).to_be_visible()
    _shots(page, screenshot_dir, "kyc-en")
    page.get_by_role("radio", name="中文").click()
    expect(page.get_by_text("分配给我的案件")).to_be_visible(timeout=30_000)


def test_an_executive_sees_no_watch_list_count_and_nothing_to_approve_in_kyc(
    page: Page, app_url, sign_in_as
):
    sign_in_as("ceo.huang")
    page.goto(app_url + "/kyc")
    expect(page.locator("#count-kyc_new")).to_be_visible(timeout=30_000)
    expect(page.locator("#count-kyc_hits")).to_have_count(0)
    expect(page.locator("#landing-approvals")).to_have_count(0)


def test_products_waiting_for_approval_are_not_shown_to_the_person_who_submitted_them(
    page: Page, app_url, sign_in_as, screenshot_dir
):
    sign_in_as("pm.zhao")  # the seed's products in review were submitted by pm.li
    page.goto(app_url + "/products")
    waiting = page.locator("#approve-product")
    expect(waiting).to_be_visible(timeout=30_000)
    links = waiting.locator("a")
    expect(links.first).to_be_visible()
    _shots(page, screenshot_dir, "products-zh")
    links.first.click()
    expect(page).to_have_url(re.compile(r"/r/product/record\?id=\d+$"), timeout=30_000)
    page.goto(app_url + "/products")
    expect(page.locator("#count-product_in_review")).to_be_visible(timeout=30_000)
    page.locator("#sign-out").click()
    expect(page).to_have_url(re.compile(r"/login/?$"), timeout=30_000)
    sign_in_as("pm.li")
    page.goto(app_url + "/products")
    expect(page.locator("#landing-approvals")).to_be_visible(timeout=30_000)
    expect(page.locator("#nothing-waiting")).to_be_visible()
    expect(page.locator("#approve-product")).to_have_count(0)


def test_the_bell_groups_by_kind_marks_a_group_read_and_follows_the_persons_choices(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    engine = make_engine(app_env["BACKOFFICE_DB_URL"])
    with Session(engine) as session:
        officer = session.exec(select(User).where(User.username == "kyc.sun")).one()
        principal = Principal(officer.id, officer.username, "", 0, frozenset({"compliance"}))
        kinds = notifications.bell_kinds(session, principal=principal)
        before = notifications.unread_by_kind(session, principal=principal, kinds=KINDS)
        for n in range(3):
            notifications.notify(
                session,
                kind="suitability",
                role="compliance",
                dedupe_key=f"browser.suitability.{n}",
                title_zh=f"{n + 1} 笔持仓待复核",
                title_en=f"{n + 1} holdings to review",
            )
        for n in range(2):
            notifications.notify(
                session,
                kind="kyc_overdue",  # off by default for compliance
                role="compliance",
                dedupe_key=f"browser.kyc.{n}",
                title_zh=f"KYC 案件 {n} 已超时",
                title_en=f"KYC case {n} is overdue",
            )
        session.commit()
    engine.dispose()
    assert "kyc_overdue" not in kinds
    shown = sum(n for kind, n in before.items() if kind in kinds)
    sign_in_as("kyc.sun")
    page.goto(app_url + "/kyc")
    count = page.locator("#bell-count")

    def expect_count(n: int) -> None:
        if n:
            expect(count).to_have_text(str(n), timeout=30_000)
        else:
            expect(count).to_have_count(0, timeout=30_000)

    expect_count(shown + 3)
    page.locator("#bell").click()
    group = page.locator(".notification-group[data-kind='suitability']")
    expect(group).to_be_visible(timeout=30_000)
    expect(group).to_contain_text("适当性复核")
    expect(group.locator(".notification")).to_have_count(3)
    expect(page.locator(".notification-group[data-kind='kyc_overdue']")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "bell-grouped-zh.png"))
    group.locator(".mark-group-read").click()
    shown -= before.get("suitability", 0)
    expect_count(shown)
    page.locator("#notification-settings").click()
    switch = page.locator("#pref-kyc_overdue")
    expect(switch).to_be_visible(timeout=30_000)
    expect(page.locator("#pref-sign_in")).to_be_disabled()
    page.screenshot(path=str(screenshot_dir / "bell-settings-zh.png"))
    switch.click()
    expect(switch).to_have_attribute("data-state", "checked", timeout=30_000)
    page.locator("#close-notification-settings").click()
    expect_count(shown + before.get("kyc_overdue", 0) + 2)
