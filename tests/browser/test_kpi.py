"""An executive reads the KPI dashboard, changes the dates and opens the records behind a bar;
an alert rule fires on the demo data and clears when its threshold is raised; a
customer-service agent sees no figures."""

import re
import sqlite3

from playwright.sync_api import Page, expect


def _one(app_env: dict[str, str], sql: str, *params: object) -> tuple:
    path = app_env["BACKOFFICE_DB_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute(sql, params).fetchone()


def test_an_executive_changes_the_dates_and_opens_the_records_behind_a_bar(
    page: Page, app_url, sign_in_as, screenshot_dir
):
    sign_in_as("ceo.huang")
    page.goto(app_url + "/kpi")
    cards = page.locator(".kpi-card")
    expect(cards).to_have_count(8, timeout=30_000)
    expect(page.locator("#card-aum .kpi-value")).to_have_text(re.compile(r"^¥"))
    expect(page.locator("#kpi-chart-0 .main-svg").first).to_be_visible(timeout=30_000)
    expect(page.locator("#kpi-forecast-method")).to_contain_text("最小二乘")
    page.screenshot(path=str(screenshot_dir / "kpi-overview.png"), full_page=True)

    month = {
        key: page.locator(f"#card-{key} .kpi-value").inner_text()
        for key in ("subscriptions", "new_customers")
    }
    page.get_by_role("button", name="近 7 天").click()
    expect(page).to_have_url(re.compile(r"start=\d{4}-\d\d-\d\d"), timeout=30_000)
    for key, value in month.items():
        expect(page.locator(f"#card-{key} .kpi-value")).not_to_have_text(value, timeout=30_000)
    page.screenshot(path=str(screenshot_dir / "kpi-week.png"), full_page=True)

    page.locator("#area-products").click()
    expect(cards).to_have_count(4, timeout=30_000)
    expect(page.locator("#kpi-chart-1 .main-svg").first).to_be_visible(timeout=30_000)
    page.screenshot(path=str(screenshot_dir / "kpi-products.png"), full_page=True)
    # a person clicks where the bar is drawn (plotly's own layer takes the click and names the bar)
    box = page.locator("#kpi-chart-1 .point path").first.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page).to_have_url(re.compile(r"/r/transaction\?.*product_type="), timeout=30_000)
    expect(page.locator("#list-table tbody tr").first).to_be_visible(timeout=30_000)
    page.screenshot(path=str(screenshot_dir / "kpi-drill-down.png"), full_page=True)


def test_an_alert_fires_on_the_demo_data_and_clears_when_its_threshold_is_raised(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    rule_id, alert_no = _one(
        app_env,
        "SELECT r.id, a.alert_no FROM kpi_alert_rule r JOIN kpi_alert a ON a.rule_id = r.id "
        "WHERE r.metric = 'tickets_opened' AND a.status = 'open'",
    )
    sign_in_as("cs.wu")
    page.goto(app_url + "/kpi")
    expect(page.locator(".kpi-alert").first).to_contain_text(alert_no, timeout=30_000)
    expect(page.locator(".kpi-card")).to_have_count(3)  # a lead sees the service figures only
    expect(page.locator("#area-products")).to_have_count(0)
    expect(page.locator("#kpi-chart-0 .main-svg").first).to_be_visible(timeout=30_000)
    page.screenshot(path=str(screenshot_dir / "kpi-lead-alert.png"), full_page=True)

    sign_in_as("admin")
    page.goto(app_url + f"/r/kpi_alert_rule/record?id={rule_id}")
    expect(page.locator("#field-threshold")).to_be_visible(timeout=30_000)
    page.locator("#field-threshold").fill("1000000")
    page.locator("#record-save").click()
    expect(page.get_by_text("已保存。").first).to_be_visible(timeout=30_000)
    status, cleared = _one(
        app_env, "SELECT status, cleared_at FROM kpi_alert WHERE alert_no = ?", alert_no
    )
    assert status == "cleared" and cleared is not None
    page.goto(app_url + "/r/kpi_alert?queue=open")
    expect(page.locator("#page-title")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(alert_no)).to_have_count(0, timeout=30_000)
    page.screenshot(path=str(screenshot_dir / "kpi-alert-cleared.png"), full_page=True)


def test_a_customer_service_agent_sees_no_figures(page: Page, app_url, sign_in_as):
    sign_in_as("cs.zhou")
    page.goto(app_url + "/kpi")
    expect(page.locator("#kpi-no-metrics")).to_be_visible(timeout=30_000)
    expect(page.locator(".kpi-card")).to_have_count(0)


def test_an_administrator_opens_the_kpi_module_for_its_alert_rules(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    """The KPI entry in an administrator's sidebar opens: no figures, no refusal, and the way to
    the alert rules they keep."""
    (denied_before,) = _one(
        app_env, "SELECT COUNT(*) FROM audit_entry WHERE action = 'access.denied'"
    )
    sign_in_as("admin")
    page.goto(app_url + "/")
    page.locator("#sidebar a[href='/kpi']").click()
    expect(page.locator("#kpi-no-metrics")).to_be_visible(timeout=30_000)
    expect(page.locator(".kpi-card")).to_have_count(0)
    page.locator("#kpi-alert-rules").click()
    expect(page).to_have_url(re.compile(r"/r/kpi_alert_rule"), timeout=30_000)
    (denied_after,) = _one(
        app_env, "SELECT COUNT(*) FROM audit_entry WHERE action = 'access.denied'"
    )
    assert denied_after == denied_before
    page.screenshot(path=str(screenshot_dir / "kpi-administrator.png"), full_page=True)
