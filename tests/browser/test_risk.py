"""Compliance records a risk reading that breaches its threshold (an alert opens) and one that
recovers (the alert closes itself); and starts the next version of the risk questionnaire."""

import sqlite3

from playwright.sync_api import Page, expect


def _id_of(app_env: dict[str, str], sql: str) -> int:
    database = app_env["BACKOFFICE_DB_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        return db.execute(sql).fetchone()[0]


def test_a_breach_opens_an_alert_that_closes_on_recovery(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    indicator = _id_of(app_env, "SELECT id FROM risk_indicator WHERE code = 'LIQ_REDEEM'")
    sign_in_as("kyc.sun")
    page.goto(app_url + f"/r/risk_indicator/record?id={indicator}")
    expect(page.locator("#reading-value")).to_be_visible(timeout=30_000)
    page.locator("#reading-value").fill("abc")
    page.locator("#reading-submit").click()
    expect(page.get_by_text("请输入数字。").first).to_be_visible()
    page.locator("#reading-value").fill("16.5")
    page.locator("#reading-note").fill("T+0 赎回申请汇总")
    page.locator("#reading-submit").click()
    expect(page.locator("#readings")).to_contain_text("超限", timeout=15_000)
    expect(page.locator("#value-level")).to_have_text("超限")
    page.screenshot(path=str(screenshot_dir / "risk-indicator.png"), full_page=True)

    page.goto(app_url + "/r/risk_alert?queue=open")
    row = page.locator(".list-row", has_text="单日赎回占比")
    expect(row).to_be_visible(timeout=30_000)
    expect(row).to_contain_text("16.5")

    page.goto(app_url + f"/r/risk_indicator/record?id={indicator}")
    expect(page.locator("#reading-value")).to_be_visible(timeout=30_000)
    page.locator("#reading-value").fill("3.2")
    page.locator("#reading-submit").click()
    expect(page.locator("#value-level")).to_have_text("正常", timeout=15_000)
    page.goto(app_url + "/r/risk_alert?queue=open")
    expect(page.locator("#queue-open")).to_be_visible(timeout=30_000)
    expect(page.locator(".list-row", has_text="单日赎回占比")).to_have_count(0)


def test_compliance_starts_the_next_questionnaire_version(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    active = _id_of(app_env, "SELECT id FROM risk_questionnaire WHERE status = 'active'")
    sign_in_as("kyc.liu")
    page.goto(app_url + f"/r/questionnaire/record?id={active}")
    expect(page.locator(".questionnaire-question")).to_have_count(10, timeout=30_000)
    expect(page.locator("#questionnaire-max")).to_have_text("53")
    expect(page.locator("#questionnaire-bands")).to_contain_text("C5 ≥ 42")
    expect(page.locator("#record-save")).to_have_count(0)  # a version in use does not change
    page.screenshot(path=str(screenshot_dir / "questionnaire.png"), full_page=True)
    page.locator("#questionnaire-new-version").click()
    expect(page.locator("#record-state")).to_have_text("草稿", timeout=30_000)
    expect(page.locator(".questionnaire-question")).to_have_count(10)
    expect(page.locator("#questionnaire-new-version")).to_have_count(0)
