"""The app shell in a real browser: modules by role, both languages, themes, layouts."""

import re

from playwright.sync_api import Page, expect
from sqlmodel import Session

from backoffice.db import make_engine
from backoffice.domains.home import overview
from backoffice.platform.navigation import MODULES


def _app_counts(app_env: dict[str, str]) -> dict[str, int]:
    engine = make_engine(app_env["BACKOFFICE_DB_URL"])
    with Session(engine) as session:
        counts = overview.record_counts(session)
    engine.dispose()
    return counts


def test_signed_out_visitor_is_sent_to_sign_in(page: Page, app_url):
    page.goto(app_url + "/kyc")
    expect(page).to_have_url(re.compile(r"/login/?$"), timeout=30_000)
    expect(page.locator("#sign-in")).to_be_visible()


def test_executive_sees_their_modules_in_both_languages(
    page: Page, app_url, sign_in_as, screenshot_dir
):
    sign_in_as("ceo.huang", screenshot_dir)
    expect(page.locator("#page-title")).to_have_text("运营概览")
    expect(page.locator("#current-user")).to_have_text("黄伟")
    for module in MODULES:
        nav = page.locator(f"#sidebar #nav-{module.key}")
        if module.key in ("admin", "audit", "integrations"):  # administrators', compliance's
            expect(nav).to_have_count(0)
        else:
            expect(nav).to_be_visible()
    expect(page.locator("#card-products")).to_contain_text(re.compile(r"理财产品: \d"))
    page.screenshot(path=str(screenshot_dir / "shell-zh.png"), full_page=True)

    page.get_by_role("radio", name="English").click()
    expect(page.locator("#page-title")).to_have_text("Overview")
    expect(page.locator("#sidebar #nav-kyc")).to_have_text("KYC & AML")
    expect(page.locator("#app-title")).to_have_text("Wealth Platform Back Office")
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot_dir / "shell-en.png"), full_page=True)
    page.reload()
    expect(page.locator("#page-title")).to_have_text("Overview", timeout=30_000)
    page.get_by_role("radio", name="中文").click()
    expect(page.locator("#page-title")).to_have_text("运营概览")


def test_agent_sees_only_tickets_and_is_turned_away_from_other_modules(
    page: Page, app_url, app_env, sign_in_as
):
    sign_in_as("cs.zhou")
    expect(page.locator("#sidebar #nav-tickets")).to_be_visible()
    for key in ("partners", "campaigns", "kyc", "hr", "kpi", "projects", "audit", "admin"):
        expect(page.locator(f"#sidebar #nav-{key}")).to_have_count(0)
    # the desk's reports and configuration are the lead's: not in the agent's sidebar
    expect(page.locator("#sidebar #nav-tickets-workspace")).to_be_visible()
    expect(page.locator("#sidebar #nav-tickets-reports")).to_have_count(0)
    for key in ("sla_policy", "business_holiday", "ticket_settings", "canned_reply"):
        expect(page.locator(f"#sidebar #nav-resource-{key}")).to_have_count(0)
    counts = _app_counts(app_env)  # every demo ticket is routed to the agent's team
    page.goto(app_url + "/tickets")
    expect(page.locator("#stat-tickets_open")).to_have_text(f"{counts['tickets_open']:,}")
    expect(page.locator("#open-tickets-reports")).to_have_count(0)
    page.goto(app_url + "/tickets/reports")
    expect(page.get_by_text("您没有执行此操作的权限。")).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"/$"), timeout=30_000)
    page.goto(app_url + "/hr")
    expect(page.get_by_text("您没有执行此操作的权限。")).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"/$"), timeout=30_000)
    expect(page.locator("#page-title")).to_have_text("运营概览")


def test_compliance_module_counts_match_the_database(page: Page, app_url, app_env, sign_in_as):
    sign_in_as("kyc.liu")
    counts = _app_counts(app_env)
    page.locator("#sidebar #nav-kyc").click()
    expect(page).to_have_url(re.compile(r"/kyc/?$"))
    expect(page.locator("#page-title")).to_have_text("客户身份识别与反洗钱")
    expect(page.locator("#stat-kyc_open")).to_have_text(f"{counts['kyc_open']:,}")
    expect(page.locator("#stat-watchlist")).to_have_text(f"{counts['watchlist']:,}")


def test_a_figure_the_role_may_not_count_is_left_out(page: Page, app_url, app_env, sign_in_as):
    """An executive reads KYC cases but not the watch lists: the KYC page counts the cases and
    shows no watch-list figure at all (not a dash), on the page and on the overview's card."""
    sign_in_as("ceo.huang")
    counts = _app_counts(app_env)
    page.goto(app_url + "/kyc")
    expect(page.locator("#stat-kyc_open")).to_have_text(f"{counts['kyc_open']:,}", timeout=30_000)
    expect(page.locator("#stat-watchlist")).to_have_count(0)
    page.goto(app_url + "/")
    card = page.locator("#card-kyc")
    expect(card).to_contain_text(f"{counts['kyc_open']:,}", timeout=30_000)
    expect(card).not_to_contain_text("—")


def test_dark_mode_and_tablet_layouts(page: Page, app_url, sign_in_as, screenshot_dir):
    sign_in_as("pm.li")
    before = page.evaluate("document.documentElement.className")
    page.locator("#theme-toggle").click()
    expect(page.locator("html")).not_to_have_class(before)
    after = page.evaluate("document.documentElement.className")
    assert ("dark" in after) != ("dark" in before)
    page.screenshot(path=str(screenshot_dir / "shell-dark.png"))
    # a landscape tablet keeps the sidebar; the top bar folds its controls into one menu
    page.set_viewport_size({"width": 1024, "height": 768})
    expect(page.locator("#sidebar")).to_be_visible()
    expect(page.locator("#sign-out")).to_be_hidden()
    expect(page.locator("#account-menu")).to_be_in_viewport(ratio=1)
    page.screenshot(path=str(screenshot_dir / "shell-tablet.png"))
    # a portrait tablet or a phone opens the modules from the menu button
    page.set_viewport_size({"width": 600, "height": 900})
    expect(page.locator("#sidebar")).to_be_hidden()
    page.get_by_role("button", name="导航菜单").click()
    expect(page.get_by_role("dialog").locator("#nav-products")).to_be_in_viewport(ratio=1)
    page.wait_for_timeout(500)  # let the slide-in animation finish before the picture
    page.screenshot(path=str(screenshot_dir / "shell-narrow-menu.png"))
    page.keyboard.press("Escape")
    # the account menu holds the language, the theme and signing out
    page.locator("#account-menu").click()
    expect(page.locator("#menu-user")).to_have_text("李娜")
    page.locator("#menu-lang-en").click()
    expect(page.locator("#page-title")).to_have_text("Overview")
    # the menu closes on a choice; opened again once it has gone, it offers the other language
    expect(page.locator("#menu-lang-en")).to_be_hidden()
    page.locator("#account-menu").click()
    expect(page.locator("#menu-lang-zh")).to_be_enabled()
    page.locator("#menu-lang-zh").click()
    expect(page.locator("#page-title")).to_have_text("运营概览")


def test_wrong_password_and_sign_out(page: Page, app_url, sign_in_as, screenshot_dir):
    page.goto(app_url + "/login")
    page.locator("#username").fill("pmo.xu")
    page.locator("#password").fill("not-the-password")
    page.locator("#sign-in").click()
    expect(page.locator("#login-error")).to_have_text("用户名或密码错误。", timeout=30_000)
    page.screenshot(path=str(screenshot_dir / "login-error.png"))
    sign_in_as("pmo.xu")
    # the session cookie is HttpOnly: the browser holds it, no script can read it
    assert "bo_session" not in page.evaluate("document.cookie")
    cookie = next(c for c in page.context.cookies() if c["name"] == "bo_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    page.locator("#sign-out").click()
    expect(page).to_have_url(re.compile(r"/login/?$"), timeout=30_000)
    assert not [c for c in page.context.cookies() if c["name"] == "bo_session" and c["value"]]
    page.goto(app_url + "/projects")
    expect(page).to_have_url(re.compile(r"/login/?$"), timeout=30_000)


def test_a_websocket_from_another_origin_is_refused(app_url):
    import base64
    import os
    import socket
    from urllib.parse import urlsplit

    def handshake(origin: str) -> str:
        url = urlsplit(app_url)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
        )
        with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
            conn.sendall(request.encode())
            return conn.recv(200).decode(errors="replace").split("\r\n")[0]

    assert " 101 " in handshake(app_url)
    refused = handshake("http://evil.example.com")
    assert " 101 " not in refused and refused.startswith("HTTP/1.1 4"), refused


def test_user_changes_their_own_password(page: Page, app_url, sign_in_as):
    sign_in_as("mkt.chen")
    page.locator("#change-password").click()
    page.locator("#pw-current_password").fill("Licai-Demo-2026")
    page.locator("#pw-new_password").fill("short")
    page.locator("#pw-confirm_password").fill("short")
    page.locator("#pw-submit").click()
    expect(page.locator("#pw-error")).to_contain_text("至少需要 12 个字符")
    page.locator("#pw-new_password").fill("Licai-Demo-2026")
    page.locator("#pw-confirm_password").fill("Licai-Demo-2026")
    page.locator("#pw-submit").click()
    expect(page.get_by_text("密码已修改。")).to_be_visible()
