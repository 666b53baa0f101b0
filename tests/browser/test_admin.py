"""An administrator manages users and the permission matrix, with step-up TOTP."""

import re

from playwright.sync_api import Page, expect


def test_admin_creates_a_user_after_step_up_and_grants_a_permission(
    page: Page, app_url, sign_in_as, authenticator, screenshot_dir
):
    sign_in_as("admin")
    page.locator("#sidebar #nav-admin").click()
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    expect(page.locator("#user-row-admin")).to_be_visible()
    page.locator("#new-username").fill("new.agent")
    page.locator("#new-display-name").fill("新客服")
    page.locator("#new-password").fill("short")
    page.locator("#new-role-cs_agent").click()
    page.locator("#create-user").click()
    # the session's TOTP is fresh right after sign-in, so no step-up yet: the policy answers
    expect(page.get_by_text("密码至少需要 12 个字符。").first).to_be_visible()
    expect(page.locator("#user-row-new\\.agent")).to_have_count(0)
    page.locator("#new-password").fill("Welcome-To-The-Team-8")
    page.locator("#create-user").click()
    expect(page.locator("#user-row-new\\.agent")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "admin-users.png"), full_page=True)

    page.locator("#admin-tab-roles").click()
    expect(page.locator("#permission-matrix")).to_be_visible()
    cell = page.locator("#perm-ticket-export")
    expect(cell).to_have_attribute("data-state", "unchecked")
    cell.click()
    expect(cell).to_have_attribute("data-state", "checked")
    page.screenshot(path=str(screenshot_dir / "admin-roles.png"), full_page=True)


def test_admin_adds_a_custom_field_that_appears_in_forms_and_lists(
    page: Page, app_url, sign_in_as, screenshot_dir
):
    sign_in_as("admin")
    page.goto(app_url + "/admin/fields")
    expect(page.locator("#cf-add")).to_be_visible(timeout=30_000)
    page.locator("#cf-name").fill("Bad Name")
    page.locator("#cf-add").click()
    expect(page.locator("#cf-error-name")).to_be_visible()
    page.locator("#cf-name").fill("tier")
    page.locator("#cf-label_zh").fill("合作等级")
    page.locator("#cf-label_en").fill("Tier")
    page.locator("#cf-kind").click()
    page.get_by_role("option", name="选项", exact=True).click()
    page.locator("#cf-choices").fill("A\nB\nC")
    page.locator("#cf-add").click()
    expect(page.locator("#custom-fields")).to_contain_text("合作等级 / Tier")
    page.screenshot(path=str(screenshot_dir / "admin-custom-fields.png"), full_page=True)

    sign_in_as("pm.zhao")
    page.goto(app_url + "/r/partner")
    expect(page.locator("#list-table")).to_contain_text("合作等级", timeout=30_000)
    page.locator(".list-row a").first.click()
    expect(page.locator("#field-x_tier")).to_be_visible(timeout=30_000)
    page.locator("#field-x_tier button").first.click()
    page.get_by_role("option", name="B", exact=True).click()
    page.locator("#record-save").click()
    expect(page.get_by_text("已保存。").first).to_be_visible()
    page.locator("#tab-history").click()
    expect(page.locator("#history")).to_contain_text("合作等级: — → B")
