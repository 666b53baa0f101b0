"""An agent works a new ticket from taking it to a rating, with a canned reply and keyboard
shortcuts; an overdue ticket escalates to the lead; the lead reads the desk's report."""

import re
import sqlite3
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect


def _database(app_env: dict[str, str]) -> str:
    return app_env["BACKOFFICE_DB_URL"].removeprefix("sqlite:///")


def _one(app_env: dict[str, str], sql: str, *params: object) -> tuple:
    with sqlite3.connect(_database(app_env)) as db:
        return db.execute(sql, params).fetchone()


def test_an_agent_takes_a_ticket_through_to_a_rating(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    ticket_id, number = _one(
        app_env,
        "SELECT id, ticket_no FROM ticket WHERE status = 'new' AND category = 'account' "
        "ORDER BY id DESC",
    )
    sign_in_as("cs.zhou")
    page.goto(app_url + f"/tickets/workspace?queue=unassigned&id={ticket_id}")
    expect(page.locator("#ticket-no")).to_have_text(number, timeout=30_000)
    expect(page.locator("#ticket-status")).to_have_text("新建")
    page.locator("#act-take").click()
    expect(page.locator("#ticket-status")).to_have_text("处理中", timeout=15_000)
    expect(page.locator("#ticket-assignee")).to_have_text("周婷")

    # a canned reply fills the composer with the ticket's number; Ctrl+Enter sends it
    page.locator("#canned-select").click()
    page.get_by_role("option", name="问候与受理").click()
    expect(page.locator("#ticket-composer")).to_have_value(
        re.compile(rf"您好，您的工单 {number}（.+）已受理，我是客服周婷")
    )
    page.locator("#ticket-composer").press("Control+Enter")
    expect(page.locator(".message-reply").last).to_contain_text(number, timeout=15_000)
    expect(page.locator("#ticket-composer")).to_have_value("")

    # keyboard: n switches to an internal note, r back to a reply
    page.locator("#ticket-subject").click()
    page.keyboard.press("n")
    expect(page.locator("#ticket-composer")).to_be_focused()
    # Ctrl+Enter at once after typing sends what was typed (no wait for the debounce)
    page.locator("#ticket-composer").fill("客户为老客户，已核实身份。")
    page.locator("#ticket-composer").press("Control+Enter")
    expect(page.locator(".message-note").last).to_contain_text("已核实身份", timeout=15_000)
    expect(page.locator("#ticket-composer")).to_have_value("")

    page.locator("#act-wait").click()
    expect(page.locator("#ticket-status")).to_have_text("等待客户", timeout=15_000)
    expect(page.locator("#ticket-sla")).to_contain_text("暂停")

    page.locator("#mode-customer").click()
    page.locator("#ticket-composer").fill("客户来电：已按提示重置密码，可以登录了。")
    page.locator("#ticket-send").click()
    expect(page.locator("#ticket-status")).to_have_text("处理中", timeout=15_000)

    page.locator("#ticket-resolve").click()
    expect(page.get_by_text("请填写解决说明")).to_be_visible()
    page.locator("#resolution-note").fill("指导客户重置密码，已电话确认可以登录。")
    page.locator("#ticket-resolve").click()
    expect(page.locator("#ticket-status")).to_have_text("已解决", timeout=15_000)

    page.locator("#rating-score").click()
    page.get_by_role("option", name="5 ★").click()
    page.locator("#rating-comment").fill("处理很快")
    page.locator("#rating-submit").click()
    expect(page.locator("#ticket-rating")).to_contain_text("5/5", timeout=15_000)
    expect(page.locator("#customer-panel")).to_contain_text("*")  # the name stays masked
    page.screenshot(path=str(screenshot_dir / "ticket-workspace.png"), full_page=True)

    status, rating, responded = _one(
        app_env,
        "SELECT status, satisfaction, first_responded_at FROM ticket WHERE id = ?",
        ticket_id,
    )
    assert (status, rating) == ("resolved", 5) and responded is not None
    kinds = [
        row[0]
        for row in sqlite3.connect(_database(app_env)).execute(
            "SELECT kind FROM ticket_message WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
    ]
    assert kinds[-3:] == ["reply", "note", "customer"]


def test_an_overdue_ticket_escalates_to_the_lead(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    ticket_id, number = _one(
        app_env,
        "SELECT id, ticket_no FROM ticket WHERE status = 'assigned' ORDER BY id DESC",
    )
    breaches = "SELECT count(*) FROM ticket_sla_breach WHERE ticket_id = ?"
    (recorded_before,) = _one(app_env, breaches, ticket_id)  # the demo may have some already
    past = (datetime.now(UTC) - timedelta(minutes=10)).replace(tzinfo=None).isoformat(" ")
    with sqlite3.connect(_database(app_env)) as db:
        db.execute(
            "UPDATE ticket SET first_response_due = ?, resolution_due = ?, priority = 'normal', "
            "first_response_breached_at = NULL, resolution_breached_at = NULL WHERE id = ?",
            (past, past, ticket_id),
        )
    sign_in_as("admin")
    page.goto(app_url + "/admin/jobs")
    expect(page.locator("#jobs-table")).to_contain_text("工单超时升级", timeout=30_000)
    row = page.locator(
        "#jobs-table tr", has=page.locator("#run-tickets-sla_escalation")
    )  # its own result
    page.locator("#run-tickets-sla_escalation").click()
    expect(row).to_contain_text(re.compile(r"超时 \d+ 项"), timeout=60_000)

    sign_in_as("cs.wu")
    page.locator("#bell").click()
    expect(page.locator(".notification", has_text=number).first).to_contain_text("超时")
    page.goto(app_url + f"/tickets/workspace?queue=team&id={ticket_id}")
    expect(page.locator("#ticket-priority")).to_have_text("紧急", timeout=30_000)
    page.screenshot(path=str(screenshot_dir / "ticket-escalated.png"), full_page=True)
    assert _one(app_env, breaches, ticket_id)[0] == recorded_before + 2

    page.goto(app_url + "/tickets/reports")
    expect(page.locator("#report-total")).to_contain_text("合计", timeout=30_000)
    expect(page.locator(".report-row").first).to_contain_text("%")
    page.screenshot(path=str(screenshot_dir / "ticket-reports.png"), full_page=True)


def test_another_agents_ticket_offers_no_reply_resolve_or_merge_and_says_why(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    ticket_id, number = _one(
        app_env,
        "SELECT id, ticket_no FROM ticket WHERE assignee = 'cs.zhou' AND status = 'in_progress' "
        "AND merged_into_id IS NULL ORDER BY id",
    )
    sign_in_as("cs.he")
    page.goto(app_url + f"/tickets/workspace?queue=team&id={ticket_id}")
    expect(page.locator("#ticket-no")).to_have_text(number, timeout=30_000)
    reason = "这是其他坐席的工单，需主管改派"
    expect(page.locator("#ticket-send")).to_be_disabled()
    expect(page.locator("#reply-refusal")).to_have_text(reason)
    expect(page.locator("#ticket-resolve")).to_be_disabled()
    expect(page.locator("#resolve-refusal")).to_have_text(reason)
    expect(page.locator("#merge-submit")).to_be_disabled()
    expect(page.locator("#merge-refusal")).to_have_text(reason)
    page.screenshot(path=str(screenshot_dir / "ticket-not-yours.png"), full_page=True)
    # an internal note stays open to every agent
    page.locator("#mode-note").click()
    expect(page.locator("#ticket-send")).to_be_enabled()
    page.locator("#ticket-composer").fill("同事补充：客户上午来过电话。")
    page.locator("#ticket-composer").press("Control+Enter")
    expect(page.locator(".message-note").last).to_contain_text("同事补充", timeout=15_000)
