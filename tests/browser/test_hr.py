"""HR hires a candidate from the board and sees the new employee and the headcount change; a
manager rates a report's self-assessment; a product manager sees no salary anywhere."""

import re
import sqlite3

from playwright.sync_api import Page, expect


def _one(app_env: dict[str, str], sql: str, *params: object) -> tuple:
    path = app_env["BACKOFFICE_DB_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute(sql, params).fetchone()


def test_hr_hires_a_candidate_and_the_headcount_moves(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    candidate_id, name = _one(
        app_env,
        # the demo's one accepted offer that starts today; the rest start a week or more later
        "SELECT id, name FROM candidate WHERE stage = 'offer' ORDER BY start_on, id LIMIT 1",
    )
    sign_in_as("hr.zheng")
    page.goto(app_url + "/hr/overview")
    total = page.locator("#headcount-actual")
    expect(total).not_to_have_text("", timeout=30_000)
    expect(page.locator(".org-node").first).to_be_visible()
    expect(page.locator(".gap-row").first).to_be_visible()
    before = int(total.inner_text())
    page.screenshot(path=str(screenshot_dir / "hr-overview.png"), full_page=True)

    page.goto(app_url + "/hr/hiring")
    card = page.locator(f'#stage-offer .candidate-card[data-name="{name}"]')
    expect(card).to_be_visible(timeout=30_000)
    page.screenshot(path=str(screenshot_dir / "hr-hiring-board.png"), full_page=True)
    card.locator(".move-hire").click()
    hired = page.locator(f'#stage-hired .candidate-card[data-name="{name}"]')
    expect(hired).to_be_visible(timeout=15_000)
    employee_id, status = _one(
        app_env,
        "SELECT e.id, e.status FROM candidate c JOIN employee e "
        "ON e.id = c.employee_id WHERE c.id = ?",
        candidate_id,
    )
    assert status == "probation"
    hired.locator(".employee-link").click()
    expect(page.locator("#page-title")).to_contain_text(name, timeout=30_000)
    assert page.url.endswith(f"id={employee_id}")
    expect(page.get_by_text("月薪", exact=True).first).to_be_visible()
    expect(page.locator("#field-salary")).to_have_value(re.compile(r"^[1-9]\d{3,}\.00$"))
    page.screenshot(path=str(screenshot_dir / "hr-new-employee.png"), full_page=True)

    page.goto(app_url + "/hr/overview")
    expect(page.locator("#headcount-actual")).to_have_text(str(before + 1), timeout=30_000)


def test_a_manager_rates_a_report_and_a_product_manager_sees_no_salary(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    (appraisal_id,) = _one(
        app_env,
        "SELECT a.id FROM appraisal a JOIN employee e ON e.id = a.employee_id "
        "JOIN appraisal_cycle c ON c.id = a.cycle_id "
        "WHERE e.name = '周婷' AND c.status = 'open'",
    )
    sign_in_as("cs.wu")
    page.locator("#my-appraisals").click()
    row = page.locator('.report-appraisal[data-name="周婷"]')
    expect(row).to_be_visible(timeout=30_000)
    row.get_by_role("combobox").click()
    page.get_by_role("option", name="A").click()
    row.locator('input[name="comment"]').fill("按时完成全部目标，客户满意度高。")
    row.get_by_role("button", name="提交评级").click()
    expect(row).to_contain_text("A 优秀", timeout=15_000)
    expect(row).to_contain_text("待 HR 校准")
    page.screenshot(path=str(screenshot_dir / "hr-manager-rating.png"), full_page=True)
    assert _one(
        app_env, "SELECT status, manager_rating, rated_by FROM appraisal WHERE id = ?", appraisal_id
    ) == ("rated", "A", "cs.wu")

    # a product manager: no HR module, and employees (with salaries) are refused
    sign_in_as("pm.li")
    expect(page.locator("#nav-hr")).to_have_count(0)
    (employee_id,) = _one(app_env, "SELECT id FROM employee WHERE name = '李娜'")
    page.goto(app_url + f"/r/employee/record?id={employee_id}")
    expect(page.get_by_text("您没有执行此操作的权限").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("月薪")).to_have_count(0)
    page.goto(app_url + "/r/candidate")
    expect(page.get_by_text("您没有执行此操作的权限").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("录用月薪")).to_have_count(0)
    page.goto(app_url + "/me/appraisals")
    expect(page.locator("#my-appraisal-status")).to_be_visible(timeout=30_000)  # loaded
    expect(page.get_by_text("¥")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "hr-pm-no-salary.png"), full_page=True)
