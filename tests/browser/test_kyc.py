"""A compliance officer works a KYC case: claims it, sees masked data, reveals the ID number for
a reason, clears a watch-list hit, and a risky case waits for a second officer."""

import re
import sqlite3

from playwright.sync_api import Page, expect


def _case_with_open_hit(app_env: dict[str, str]) -> tuple[int, str]:
    database = app_env["BACKOFFICE_DB_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT k.id, k.case_no FROM kyc_case k JOIN screening_hit h ON h.case_id = k.id "
            "WHERE h.status = 'open' AND k.status = 'new' AND k.aml_risk != 'high' "
            "AND (SELECT COUNT(*) FROM screening_hit x WHERE x.customer_id = k.customer_id) = 1 "
            "ORDER BY k.id LIMIT 1"
        ).fetchone()


def _age_step_up(app_env: dict[str, str], username: str) -> None:
    """As if the officer entered their last TOTP code an hour ago."""
    database = app_env["BACKOFFICE_DB_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE staff_session SET totp_verified_at = datetime('now', '-1 hour') "
            "WHERE user_id = (SELECT id FROM app_user WHERE username = ?)",
            (username,),
        )


def test_officer_claims_reveals_clears_a_hit_and_a_second_officer_approves(
    page: Page, app_url, app_env, sign_in_as, authenticator, screenshot_dir
):
    case_id, case_no = _case_with_open_hit(app_env)
    sign_in_as("kyc.liu")
    page.goto(app_url + "/r/kyc_case?queue=new")
    expect(page.locator("#queue-new")).to_be_visible(timeout=30_000)
    expect(page.locator(".list-row").first).to_contain_text("新案件")
    page.screenshot(path=str(screenshot_dir / "kyc-queue.png"), full_page=True)

    page.goto(app_url + f"/r/kyc_case/record?id={case_id}")
    expect(page.locator("#page-title")).to_have_text(case_no, timeout=30_000)
    expect(page.locator("#case-assignee")).to_have_text("未分配")
    id_cell = page.locator("#identity-id_number")
    expect(id_cell).to_contain_text("***********")  # masked: 3 digits, 11 stars, 4 digits
    page.locator("#case-claim").click()
    expect(page.locator("#case-assignee")).to_have_text("刘洋")
    expect(page.locator("#record-state")).to_have_text("审核中")

    page.locator("#reveal-id_number").click()
    page.locator("#reveal-submit").click()  # no reason: refused, still masked
    expect(page.get_by_text("请写明查看理由（至少 4 个字）。")).to_be_visible()
    _age_step_up(app_env, "kyc.liu")  # a reveal needs a fresh TOTP code
    page.locator("#reveal-reason").fill("核对客户上传的身份证件")
    page.locator("#reveal-submit").click()
    expect(page.locator("#step-up-code")).to_be_visible(timeout=15_000)
    expect(id_cell).to_contain_text("***********")
    page.screenshot(path=str(screenshot_dir / "kyc-step-up.png"))
    page.locator("#step-up-code").fill(authenticator.code("kyc.liu"))
    page.locator("#step-up-submit").click()
    expect(page.locator("#step-up-code")).to_have_count(0, timeout=15_000)
    # the reveal asked for goes ahead once the code is verified: no second click
    expect(id_cell).not_to_contain_text("*", timeout=15_000)
    expect(id_cell).to_have_text(re.compile(r"^\d{17}[\dX]$"))

    # the risk questionnaire in use, answered with the last choice of each question (C5)
    expect(page.locator("#case-score")).to_have_text("请先完成风险测评问卷。")
    page.locator("#case-score-submit").click()  # nothing answered: refused
    expect(page.get_by_text("请回答每一道题。")).to_be_visible()
    answers = page.locator(".answer")
    for index in range(answers.count()):
        answers.nth(index).click()
        page.get_by_role("option").last.click()
    page.locator("#case-score-submit").click()
    expect(page.locator("#case-score")).to_contain_text("C5", timeout=15_000)
    expect(page.locator("#scored-answers")).to_contain_text("10 年以上")

    # an open hit means the case cannot be approved alone …
    expect(page.locator("#transition-approve")).to_have_count(0)
    row = page.locator(".hit-row").first
    reason = row.locator(".hit-reason input")
    reason.fill("出生日期与证件不符，非同一人")
    expect(reason).to_have_value("出生日期与证件不符，非同一人")  # not redrawn since
    row.locator(".hit-save").click()
    expect(page.get_by_text("已记录命中处理结果。")).to_be_visible()
    expect(page.locator(".hit-row").first).to_contain_text("误报")
    expect(page.locator("#transition-approve")).to_be_visible()  # cleared: the officer decides
    page.screenshot(path=str(screenshot_dir / "kyc-case.png"), full_page=True)

    # risk raised to high, it goes to a second officer instead
    page.locator("#field-aml_risk button").first.click()
    page.get_by_role("option", name="高", exact=True).click()
    page.locator("#record-save").click()
    expect(page.locator("#transition-propose")).to_be_visible(timeout=15_000)
    expect(page.locator("#transition-approve")).to_have_count(0)
    page.locator("#transition-propose").click()
    expect(page.locator("#record-state")).to_have_text("待复核")
    expect(page.locator("#transition-confirm")).to_have_count(0)  # not by the proposer

    sign_in_as("kyc.sun")
    page.goto(app_url + "/r/kyc_case?queue=second")
    expect(page.locator(".list-row", has_text=case_no)).to_be_visible(timeout=30_000)
    page.goto(app_url + f"/r/kyc_case/record?id={case_id}")
    page.locator("#transition-confirm").click()
    expect(page.locator("#record-state")).to_have_text("已通过")
    page.locator("#tab-history").click()
    expect(page.locator("#history")).to_contain_text("复核通过")
    expect(page.locator("#history")).to_contain_text("查看明文")
    database = app_env["BACKOFFICE_DB_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        tolerance = db.execute(
            "SELECT c.risk_tolerance FROM customer c JOIN kyc_case k ON k.customer_id = c.id "
            "WHERE k.id = ?",
            (case_id,),
        ).fetchone()[0]
    assert tolerance == "C5"  # suitability now lets this customer buy R5 products


def test_an_agent_sees_customers_masked_and_cannot_reveal(page: Page, app_url, app_env, sign_in_as):
    sign_in_as("cs.zhou")
    page.goto(app_url + "/r/customer")
    expect(page.locator(".list-row").first).to_be_visible(timeout=30_000)
    page.locator(".list-row a").first.click()
    expect(page.locator("#identity-id_number")).to_contain_text("***********", timeout=30_000)
    expect(page.locator("#reveal-id_number")).to_have_count(0)
    expect(page.locator("#value-birth_date")).to_have_text("******")
