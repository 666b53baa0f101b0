"""Marketing spends a campaign's budget: a warning at 80 %, a hard stop at 100 %; scheduled
jobs are visible to administrators and their warnings reach the bell; a new campaign is given
its code and products."""

import re

from playwright.sync_api import Page, expect


def _choose(page: Page, field_id: str, option: str) -> None:
    page.locator(f"#{field_id} button").first.click()
    page.get_by_role("option", name=option, exact=True).click()


def _spend(page: Page, app_url: str, campaign: str, amount: str) -> None:
    page.goto(app_url + "/r/campaign_spend/record?id=new")
    expect(page.locator("#record-save")).to_be_visible(timeout=30_000)
    page.locator("#find-campaign_id").fill(campaign)
    page.wait_for_timeout(700)
    _choose(page, "field-campaign_id", campaign)
    page.locator("#field-amount").fill(amount)
    page.locator("#record-save").click()


def test_budget_warning_and_hard_stop(page: Page, app_url, sign_in_as, screenshot_dir):
    sign_in_as("mkt.chen")
    page.goto(app_url + "/r/campaign?status=running&sort=name")
    expect(page.locator(".list-row").first).to_be_visible(timeout=30_000)
    page.locator(".list-row a").first.click()
    expect(page.locator("#value-budget")).to_be_visible(timeout=30_000)
    name = page.locator("#page-title").inner_text()
    budget = float(page.locator("#value-budget").inner_text().replace("¥", "").replace(",", ""))
    spent = float(page.locator("#value-spent").inner_text().replace("¥", "").replace(",", ""))
    remaining = round(budget - spent, 2)
    _spend(page, app_url, name, f"{remaining + 1:.2f}")
    expect(page.locator("#error-amount")).to_have_text("超出活动剩余预算，已拒绝（预算硬上限）。")
    _spend(page, app_url, name, f"{remaining:.2f}")
    expect(page).to_have_url(re.compile(r"record\?id=\d+"), timeout=30_000)
    page.goto(app_url + "/r/campaign?q=" + name)
    expect(page.locator(".list-row").first).to_contain_text("已结束", timeout=30_000)
    expect(page.locator("#bell-count")).to_be_visible()
    page.locator("#bell").click()
    expect(page.locator(".notification", has_text=name).first).to_contain_text("预算已用完")
    page.screenshot(path=str(screenshot_dir / "campaign-budget-bell.png"), full_page=True)


def test_admin_sees_jobs_and_runs_contract_warnings(
    page: Page, app_url, sign_in_as, screenshot_dir
):
    sign_in_as("admin")
    page.goto(app_url + "/admin/jobs")
    expect(page.locator("#jobs-table")).to_contain_text("合同到期提醒", timeout=30_000)
    row = page.locator(
        "#jobs-table tr", has=page.locator("#run-partners-contract_expiry")
    )  # its own result
    page.locator("#run-partners-contract_expiry").click()
    expect(row).to_contain_text("新发提醒", timeout=60_000)
    page.screenshot(path=str(screenshot_dir / "admin-jobs.png"), full_page=True)
    sign_in_as("pm.li")
    page.locator("#bell").click()
    expect(page.locator(".notification").first).to_contain_text("合同将于")


def test_campaign_results_page(page: Page, app_url, sign_in_as, screenshot_dir):
    sign_in_as("mkt.chen")
    page.goto(app_url + "/campaigns")
    page.locator("#nav-campaigns-results").click()
    expect(page.locator("#page-title")).to_have_text("活动效果", timeout=30_000)
    expect(page.locator(".results-row").first).to_be_visible()
    expect(page.locator("#budget-chart .main-svg").first).to_be_visible(timeout=30_000)
    expect(page.locator("#spend-chart .scatterlayer .trace").first).to_be_attached()
    page.screenshot(path=str(screenshot_dir / "campaign-results.png"), full_page=True)


def test_a_cash_back_campaign_with_its_products(page: Page, app_url, sign_in_as, screenshot_dir):
    sign_in_as("mkt.chen")
    page.goto(app_url + "/r/campaign/record?id=new")
    expect(page.locator("#record-save")).to_be_visible(timeout=30_000)
    page.locator("#field-name").fill("稳健理财返现周")
    expect(page.locator("#field-cashback_rate")).to_have_count(0)
    _choose(page, "field-kind", "投资返现")
    _choose(page, "field-channel", "线上")
    page.locator("#field-start_date").fill("2027-03-01")
    page.locator("#field-end_date").fill("2027-03-31")
    page.locator("#field-budget").fill("80000")
    page.locator("#record-save").click()
    expect(page.locator("#error-cashback_rate")).to_have_text("必填。")
    expect(page.locator("#error-code")).to_have_text("必填。")
    page.locator("#field-code").fill("返现 27")  # not what a code is made of
    page.locator("#field-cashback_rate").fill("1.5")
    page.locator("#find-product_ids").fill("稳盈")
    page.wait_for_timeout(800)
    page.locator("#field-product_ids").get_by_text("稳盈90天").click()
    page.locator("#find-product_ids").fill("现金")
    page.wait_for_timeout(800)
    page.locator("#field-product_ids").get_by_text("现金宝").click()
    expect(page.locator("#field-product_ids").get_by_role("checkbox", checked=True)).to_have_count(
        2
    )
    page.screenshot(path=str(screenshot_dir / "campaign-products.png"), full_page=True)
    page.locator("#record-save").click()
    expect(page.locator("#error-code")).to_contain_text("大写字母、数字或短横线")
    page.locator("#field-code").fill("cashback-27")  # kept in upper case
    page.locator("#record-save").click()
    expect(page).to_have_url(re.compile(r"record\?id=\d+"), timeout=30_000)
    page.reload()
    ticked = page.locator("#field-product_ids").get_by_role("checkbox", checked=True)
    expect(ticked).to_have_count(2, timeout=30_000)
    expect(page.locator("#field-code")).to_have_value("CASHBACK-27")
    page.locator("#tab-history").click()
    expect(page.locator("#history")).to_contain_text("参与活动的产品")
