"""The PMO opens the demo project's Gantt (baseline beside forecast/actual), moves a milestone
with a reason and sees its dependant pushed and the change logged; the alert job tells the
PMO of the overdue milestone; the risk heat map shows the register."""

import sqlite3
import time
from datetime import date, timedelta

from playwright.sync_api import Page, expect


def _database(app_env: dict[str, str]) -> str:
    return app_env["BACKOFFICE_DB_URL"].removeprefix("sqlite:///")


def _one(app_env: dict[str, str], sql: str, *params: object) -> tuple:
    with sqlite3.connect(_database(app_env)) as db:
        return db.execute(sql, params).fetchone()


def test_pmo_moves_a_milestone_and_its_dependant_follows(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    uat_id, uat_end, uat_version = _one(
        app_env, "SELECT id, forecast_end, version FROM milestone WHERE name = '用户验收测试'"
    )
    rollout_id, rollout_start = _one(
        app_env,
        "SELECT id, forecast_start FROM milestone WHERE depends_on_id = ?",
        uat_id,
    )
    assert date.fromisoformat(rollout_start) == date.fromisoformat(uat_end) + timedelta(days=1)

    sign_in_as("pmo.xu")
    page.goto(app_url + "/projects/gantt")
    gantt = page.locator("#gantt")
    expect(gantt.locator(".main-svg").first).to_be_visible(timeout=30_000)
    expect(gantt).to_contain_text("基线")
    expect(gantt).to_contain_text("计划 / 实际")
    expect(gantt).to_contain_text("今天")
    expect(page.locator("#health-rule")).to_contain_text("10")
    expect(page.locator("#project-health")).to_have_text("红")
    expect(page.locator(".milestone-row")).to_have_count(13)
    page.screenshot(path=str(screenshot_dir / "projects-gantt.png"), full_page=True)

    new_end = date.fromisoformat(uat_end) + timedelta(days=7)
    page.locator(f"#move-{uat_id}").click()
    expect(page.locator("#move-name")).to_have_text("用户验收测试")
    page.locator("#move-forecast-end").fill(new_end.isoformat())
    page.locator("#move-reason").fill("业务部门验收人员到位延迟")
    page.screenshot(path=str(screenshot_dir / "projects-move-dialog.png"))
    page.locator("#move-save").click()
    expect(page.locator("#move-dialog")).not_to_be_visible(timeout=15_000)
    earliest = (new_end + timedelta(days=1)).isoformat()
    expect(page.locator(f"#milestone-{rollout_id} .earliest")).to_have_text(
        earliest, timeout=15_000
    )
    expect(page.locator("#adjustment-table")).to_contain_text("业务部门验收人员到位延迟")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "projects-after-move.png"), full_page=True)

    uat = _one(app_env, "SELECT forecast_end, version FROM milestone WHERE id = ?", uat_id)
    assert uat == (new_end.isoformat(), uat_version + 1)
    (pushed_start,) = _one(app_env, "SELECT forecast_start FROM milestone WHERE id = ?", rollout_id)
    assert pushed_start == earliest
    logged = _one(
        app_env,
        "SELECT count(*) FROM plan_adjustment WHERE milestone_id = ? AND cause_id = ? "
        "AND reason = '业务部门验收人员到位延迟' AND made_by = 'pmo.xu'",
        rollout_id,
        uat_id,
    )
    assert logged == (2,)  # its start and its end
    audited = _one(
        app_env,
        "SELECT count(*) FROM audit_entry WHERE action = 'milestone.move' AND entity_id = ?",
        str(uat_id),
    )
    assert audited == (1,)

    page.locator("#filter-health").click()
    page.get_by_role("option", name="红").click()
    expect(page.locator(".milestone-row").first).to_be_visible()
    rows = page.locator(".milestone-row")
    for i in range(rows.count()):
        expect(rows.nth(i)).to_contain_text("红")

    page.get_by_role("radio", name="English").click()
    expect(page.locator("#health-rule")).to_contain_text("Health rule: red = overdue")
    page.reload()  # the rows and the chart are drawn in the language of the page load
    expect(page.locator("#gantt")).to_contain_text("Baseline", timeout=15_000)
    page.screenshot(path=str(screenshot_dir / "projects-gantt-en.png"))
    page.get_by_role("radio", name="中文").click()
    expect(page.locator("#health-rule")).not_to_contain_text("Health rule", timeout=30_000)


def test_the_alert_job_tells_the_pmo_of_the_overdue_milestone(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    (overdue_id,) = _one(app_env, "SELECT id FROM milestone WHERE name = '安全测试与等保测评'")
    sign_in_as("admin")
    page.goto(app_url + "/admin/jobs")
    expect(page.locator("#jobs-table")).to_contain_text("里程碑逾期与风险预警", timeout=30_000)
    row = page.locator(
        "#jobs-table tr", has=page.locator("#run-projects-milestone_alerts")
    )  # its own result
    page.locator("#run-projects-milestone_alerts").click()
    expect(row).to_contain_text("新发提醒", timeout=60_000)
    (user_id,) = _one(app_env, "SELECT id FROM app_user WHERE username = 'pmo.xu'")
    deadline = time.monotonic() + 60  # the row may show an earlier run while this one commits
    while True:
        recipients = _one(
            app_env,
            "SELECT count(*) FROM notification WHERE dedupe_key LIKE ? "
            "AND (role = 'pmo' OR user_id = ?)",
            f"milestone:{overdue_id}:overdue:%",
            user_id,
        )
        if recipients == (2,) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert recipients == (2,), "the PMO role and the owner's own account, once each"

    sign_in_as("pmo.xu")
    page.locator("#bell").click()
    notice = page.locator(".notification", has_text="安全测试与等保测评").first
    expect(notice).to_contain_text("里程碑逾期", timeout=15_000)
    page.screenshot(path=str(screenshot_dir / "projects-alert.png"))


def test_the_risk_heat_map_shows_the_register(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    sign_in_as("pmo.xu")
    page.goto(app_url + "/projects/risks")
    expect(page.locator("#heat-4-5")).to_have_text("1", timeout=30_000)
    expect(page.locator(".risk-row").first).to_contain_text("等保测评整改项过多")
    expect(page.locator(".risk-row")).to_have_count(9)  # one of ten is closed
    page.screenshot(path=str(screenshot_dir / "projects-risk-map.png"), full_page=True)
