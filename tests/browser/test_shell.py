"""The app shell in a real browser: modules, both languages, themes and a tablet layout."""

import re

from playwright.sync_api import Page, expect
from sqlmodel import Session

from backoffice.db import make_engine
from backoffice.services import overview
from pages.navigation import MODULES

NAV_KEYS = ["home"] + [m.key for m in MODULES]


def _app_counts(app_env: dict[str, str]) -> dict[str, int]:
    engine = make_engine(app_env["BACKOFFICE_DB_URL"])
    with Session(engine) as session:
        counts = overview.record_counts(session)
    engine.dispose()
    return counts


def test_shell_shows_every_module_in_both_languages(page: Page, app_url, app_env, screenshot_dir):
    page.goto(app_url + "/")
    expect(page.locator("#page-title")).to_have_text("运营概览", timeout=30_000)
    for key in NAV_KEYS:
        expect(page.locator(f"#sidebar #nav-{key}")).to_be_visible()
    expect(page.locator("#sidebar #nav-products")).to_have_text("理财产品")
    expect(page.locator("#card-products")).to_contain_text(re.compile(r"理财产品: \d"))
    page.screenshot(path=str(screenshot_dir / "shell-zh.png"), full_page=True)

    page.get_by_role("radio", name="English").click()
    expect(page.locator("#page-title")).to_have_text("Overview")
    expect(page.locator("#sidebar #nav-kyc")).to_have_text("KYC & AML")
    expect(page.locator("#app-title")).to_have_text("Wealth Platform Back Office")
    page.screenshot(path=str(screenshot_dir / "shell-en.png"), full_page=True)

    page.reload()
    expect(page.locator("#page-title")).to_have_text("Overview", timeout=30_000)
    page.get_by_role("radio", name="中文").click()
    expect(page.locator("#page-title")).to_have_text("运营概览")


def test_module_page_shows_the_database_counts(page: Page, app_url, app_env):
    counts = _app_counts(app_env)
    page.goto(app_url + "/")
    page.locator("#sidebar #nav-kyc").click()
    expect(page).to_have_url(re.compile(r"/kyc/?$"))
    expect(page.locator("#page-title")).to_have_text("客户身份识别与反洗钱")
    expect(page.locator("#stat-kyc_open")).to_have_text(f"{counts['kyc_open']:,}")
    expect(page.locator("#stat-watchlist")).to_have_text(f"{counts['watchlist']:,}")
    page.goto(app_url + "/kpi")
    expect(page.locator("#stat-transactions")).to_have_text(f"{counts['transactions']:,}")


def test_dark_mode_toggle(page: Page, app_url, screenshot_dir):
    page.goto(app_url + "/")
    expect(page.locator("#page-title")).to_be_visible(timeout=30_000)
    before = page.evaluate("document.documentElement.className")
    page.locator("#theme-toggle").click()
    expect(page.locator("html")).not_to_have_class(before)
    after = page.evaluate("document.documentElement.className")
    assert ("dark" in after) != ("dark" in before)
    page.screenshot(path=str(screenshot_dir / "shell-dark.png"))


def test_tablet_and_narrow_layouts(page: Page, app_url, screenshot_dir):
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto(app_url + "/")
    expect(page.locator("#sidebar")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(screenshot_dir / "shell-tablet.png"))
    page.set_viewport_size({"width": 600, "height": 900})
    expect(page.locator("#sidebar")).to_be_hidden()
    page.get_by_role("button", name="menu").click()
    expect(page.get_by_role("dialog").locator("#nav-hr")).to_be_in_viewport(ratio=1)
    page.wait_for_timeout(500)  # let the slide-in animation finish before the picture
    page.screenshot(path=str(screenshot_dir / "shell-narrow-menu.png"))


def test_sign_in_placeholder(page: Page, app_url, screenshot_dir):
    page.goto(app_url + "/login")
    expect(page.get_by_text("员工登录").or_(page.get_by_text("理财平台运营后台"))).to_be_visible(
        timeout=30_000
    )
    page.screenshot(path=str(screenshot_dir / "login-zh.png"))
    page.locator("#enter-demo").click()
    expect(page.locator("#page-title")).to_have_text("运营概览")
