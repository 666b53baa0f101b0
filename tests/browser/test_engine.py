"""The generic resource pages in a browser: list, filter, sort, create, edit, history,
stale edits, archive, and a maker-checker workflow."""

import re

from playwright.sync_api import Browser, Page, expect


def _choose(page: Page, field_id: str, option: str) -> None:
    page.locator(f"#{field_id} button, #{field_id}[role=combobox]").first.click()
    page.get_by_role("option", name=option, exact=True).click()


def test_partner_list_filters_sorts_and_links(page: Page, app_url, sign_in_as, screenshot_dir):
    sign_in_as("pm.li")
    page.goto(app_url + "/r/partner")
    expect(page.locator("#page-title")).to_have_text("合作伙伴", timeout=30_000)
    expect(page.locator("#list-total")).to_have_text("共 12")
    page.screenshot(path=str(screenshot_dir / "engine-partner-list.png"), full_page=True)
    page.goto(app_url + "/r/partner?kind=bank&sort=-commission_rate")
    expect(page.locator("#list-total")).to_have_text("共 2")
    rows = page.locator(".list-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("银行")
    page.locator("#list-search").fill("招商")
    page.locator("#list-apply").click()
    expect(page).to_have_url(re.compile(r"q=%E6%8B%9B%E5%95%86"))
    expect(page.locator(".list-row")).to_have_count(1)


def test_create_edit_history_and_archive(page: Page, app_url, sign_in_as, screenshot_dir):
    sign_in_as("pm.zhao")
    page.goto(app_url + "/r/partner/record?id=new")
    expect(page.locator("#record-save")).to_be_visible(timeout=30_000)
    page.locator("#field-name").fill("测试合作机构")
    page.locator("#field-licence_no").fill("91330000TEST")
    page.locator("#field-commission_rate").fill("0.123456")
    page.locator("#record-save").click()
    expect(page.locator("#error-commission_rate")).to_have_text("小数位数过多。")
    expect(page.locator("#error-kind")).to_have_text("必填。")
    page.screenshot(path=str(screenshot_dir / "engine-validation.png"), full_page=True)
    _choose(page, "field-kind", "银行")
    _choose(page, "field-status", "合作中")
    page.locator("#field-commission_rate").fill("0.75")
    page.locator("#record-save").click()
    expect(page).to_have_url(re.compile(r"record\?id=\d+"), timeout=30_000)
    expect(page.locator("#page-title")).to_have_text("测试合作机构")
    page.locator("#field-commission_rate").fill("0.80")
    page.locator("#record-save").click()
    expect(page.get_by_text("已保存。").first).to_be_visible()
    page.locator("#tab-history").click()
    expect(page.locator("#history")).to_contain_text("佣金率: 0.75% → 0.80%")
    expect(page.locator("#history")).to_contain_text("赵磊")
    expect(page.locator("#history")).not_to_contain_text("pm.zhao")
    expect(page.locator("#history")).not_to_contain_text("commission_rate")
    page.screenshot(path=str(screenshot_dir / "engine-history.png"), full_page=True)


def test_a_stale_edit_is_refused_with_who_changed_it(
    browser: Browser, page: Page, app_url, sign_in_as
):
    sign_in_as("pm.li")
    page.goto(app_url + "/r/partner?q=宁波")
    page.locator(".list-row a").first.click()
    expect(page.locator("#record-save")).to_be_visible(timeout=30_000)
    url = page.url
    other = browser.new_context(viewport={"width": 1440, "height": 900})
    other_page = other.new_page()
    other_page.context.add_cookies(page.context.cookies())
    other_page.goto(url)
    expect(other_page.locator("#record-save")).to_be_visible(timeout=30_000)
    other_page.locator("#field-notes").fill("第一位同事的修改")
    other_page.locator("#record-save").click()
    expect(other_page.get_by_text("已保存。").first).to_be_visible(timeout=30_000)
    page.locator("#field-notes").fill("我的修改")
    page.locator("#record-save").click()
    # the person by the name staff know, the field by its label
    expect(page.locator("#record-message")).to_contain_text("李娜")
    expect(page.locator("#record-message")).to_contain_text("（合作备注）")
    expect(page.locator("#record-message")).to_contain_text("您的修改未保存")
    page.reload()
    expect(page.locator("#field-notes")).to_have_value("第一位同事的修改", timeout=30_000)
    other.close()


def test_product_needs_a_second_product_manager_to_publish(
    page: Page, app_url, sign_in_as, screenshot_dir, tmp_path
):
    sign_in_as("pm.li")
    page.goto(app_url + "/r/product?status=draft")
    page.locator(".list-row a").first.click()
    expect(page.locator("#record-summary")).to_contain_text("产品说明书 ✗", timeout=30_000)
    expect(page.locator("#transition-submit")).to_have_count(0)
    url = page.url
    page.locator("#tab-attachments").click()
    for label, name in (("产品说明书", "说明书.pdf"), ("风险揭示书", "风险揭示书.pdf")):
        document = tmp_path / name
        document.write_bytes(b"%PDF-1.4\n%%EOF\n")
        page.locator("#attach-category").click()
        page.get_by_role("option", name=label, exact=True).click()
        page.locator("#attachment-upload input[type=file]").set_input_files(str(document))
        expect(page.locator(".attachment-row", has_text=name)).to_contain_text(f"{label} v1")
    page.screenshot(path=str(screenshot_dir / "product-disclosures.png"), full_page=True)
    page.locator("#transition-submit").click()
    expect(page.locator("#record-state")).to_have_text("审核中")
    expect(page.locator("#transition-publish")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "engine-submitted.png"), full_page=True)
    sign_in_as("pm.zhao")
    page.goto(url)
    expect(page.locator("#transition-publish")).to_be_visible(timeout=30_000)
    page.locator("#transition-publish").click()
    expect(page.locator("#record-state")).to_have_text("在售")
    page.locator("#tab-history").click()
    expect(page.locator("#history")).to_contain_text("审批上架")
    expect(page.locator("#history")).to_contain_text("提交审核")


def test_export_the_filtered_view_and_import_all_or_nothing(
    page: Page, app_url, sign_in_as, screenshot_dir, tmp_path
):
    import csv
    import io

    sign_in_as("pm.li")
    page.goto(app_url + "/r/partner?kind=insurer")
    expect(page.locator("#list-total")).to_have_text("共 2", timeout=30_000)
    page.locator("#export-menu").click()
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    lines = list(csv.reader(io.StringIO(download.value.path().read_bytes().decode("utf-8-sig"))))
    assert len(lines) == 3 and lines[0][1] == "机构名称"
    assert {line[2] for line in lines[1:]} == {"保险公司"}

    bad = tmp_path / "partners.csv"
    bad.write_text(
        "机构名称,类型,牌照/注册号,状态\n新机构甲,银行,N1,合作中\n新机构乙,赌场,N2,合作中\n",
        encoding="utf-8",
    )
    page.goto(app_url + "/r/partner/import")
    expect(page.locator("#page-title")).to_contain_text("批量导入", timeout=30_000)
    page.locator("#import-upload input[type=file]").set_input_files(str(bad))
    expect(page.locator("#import-file")).to_contain_text("2 行")
    page.locator("#import-check").click()
    expect(page.locator("#import-error-count")).to_contain_text("1")
    expect(page.locator("#import-errors")).to_contain_text("赌场")
    expect(page.locator("#import-commit")).to_be_disabled()
    page.screenshot(path=str(screenshot_dir / "engine-import-errors.png"), full_page=True)

    good = tmp_path / "partners-fixed.csv"
    good.write_text(
        "机构名称,类型,牌照/注册号,状态\n新机构甲,银行,N1,合作中\n新机构乙,Insurer,N2,Active\n",
        encoding="utf-8",
    )
    page.locator("#import-upload input[type=file]").set_input_files(str(good))
    page.locator("#import-check").click()
    expect(page.locator("#import-ok")).to_be_visible()
    page.locator("#import-commit").click()
    expect(page.locator("#import-created")).to_contain_text("2")
    page.goto(app_url + "/r/partner?q=新机构")
    expect(page.locator(".list-row")).to_have_count(2, timeout=30_000)


def test_columns_saved_views_and_bulk_actions(page: Page, app_url, sign_in_as, screenshot_dir):
    sign_in_as("pm.zhao")
    page.goto(app_url + "/r/product?status=on_sale&sort=code")
    expect(page.locator("#list-table")).to_be_visible(timeout=30_000)
    page.locator("#columns-menu").click()
    page.locator("#column-management_fee_rate").click()
    expect(page).to_have_url(re.compile(r"cols=.*management_fee_rate"))
    expect(page.locator("#list-table")).to_contain_text("管理费率")
    page.keyboard.press("Escape")
    page.locator("#views-menu").click()
    page.locator("#view-name").fill("在售产品与管理费")
    page.locator("#view-save").click()
    expect(page.get_by_text("视图已保存。").first).to_be_visible()
    page.goto(app_url + "/r/product")
    expect(page.locator("#list-table")).to_be_visible(timeout=30_000)
    page.locator("#views-menu").click()
    page.locator(".saved-view", has_text="在售产品与管理费").click()
    expect(page).to_have_url(re.compile(r"status=on_sale"))
    expect(page.locator("#list-table")).to_contain_text("管理费率")
    rows = page.locator(".list-row")
    count = rows.count()
    assert count >= 2
    rows.nth(0).locator(".row-select").click()
    rows.nth(1).locator(".row-select").click()
    expect(page.locator("#bulk-count")).to_contain_text("2")
    page.screenshot(path=str(screenshot_dir / "engine-bulk.png"), full_page=True)
    page.locator("#bulk-transition-suspend").click()
    expect(page.get_by_text("已完成 2 条，未执行 0 条。")).to_be_visible()
    expect(page.locator(".list-row")).to_have_count(count - 2)


def test_attach_view_and_download_a_disclosure_document(
    page: Page, app_url, sign_in_as, tmp_path, screenshot_dir
):
    from backoffice.platform import pdf as writer

    pdf = tmp_path / "风险揭示书.pdf"
    lines = [writer.Line("风险揭示书（新版）", 18)]
    lines += [writer.Line(f"第{n}条 理财非存款，产品有风险，投资须谨慎。") for n in range(1, 50)]
    pdf.write_bytes(writer.render(lines))
    sign_in_as("pm.li")
    page.goto(app_url + "/r/product?q=P0000")
    page.locator(".list-row a").first.click()
    page.locator("#tab-attachments").click()
    rows = page.locator(".attachment-row")
    expect(page.locator("#attachment-upload")).to_be_visible(timeout=30_000)
    seeded = rows.count()  # products past draft already carry a (one-page) disclosure
    page.locator("#attachment-upload input[type=file]").set_input_files(str(pdf))
    expect(rows).to_have_count(seeded + 1, timeout=30_000)  # the new version is listed first
    expect(rows.first).to_contain_text("风险揭示书.pdf")
    page.locator(".attachment-view").first.click()  # read in the page, page by page, zoomed
    expect(page.locator("#viewer-page")).to_have_text("1 / 2")
    expect(page.locator("#viewer-image")).to_be_visible()
    first_page = page.locator("#viewer-image").get_attribute("src")
    page.locator("#viewer-next").click()
    expect(page.locator("#viewer-page")).to_have_text("2 / 2")
    assert page.locator("#viewer-image").get_attribute("src") != first_page
    page.locator("#viewer-zoom-in").click()
    expect(page.locator("#viewer-zoom")).to_have_text("150%")
    page.screenshot(path=str(screenshot_dir / "document-viewer.png"))
    page.locator("#viewer-close").click()
    expect(page.locator("#viewer-image")).to_have_count(0)
    with page.expect_download() as download:
        page.locator(".attachment-download").first.click()
    assert download.value.path().read_bytes() == pdf.read_bytes()
    page.locator("#tab-history").click()
    expect(page.locator("#history")).to_contain_text("在线查看附件")
    expect(page.locator("#history")).to_contain_text("上传附件")


def test_create_a_product_with_a_searchable_issuer_picker(page: Page, app_url, sign_in_as):
    sign_in_as("pm.zhao")
    page.goto(app_url + "/r/product/record?id=new")
    expect(page.locator("#record-save")).to_be_visible(timeout=30_000)
    page.locator("#field-code").fill("P90001")
    page.locator("#field-name").fill("招银稳健180天")
    expect(page.locator("#field-coverage_type")).to_have_count(0)
    _choose(page, "field-product_type", "保险")  # the insurance terms appear …
    expect(page.locator("#field-coverage_type")).to_be_visible()
    expect(page.locator("#field-cooling_off_days")).to_be_visible()
    expect(page.locator("#field-early_redemption")).to_have_count(0)
    _choose(page, "field-product_type", "定期理财")  # … and give way to early redemption
    expect(page.locator("#field-coverage_type")).to_have_count(0)
    _choose(page, "field-early_redemption", "可提前赎回（收费）")
    page.locator("#field-early_redemption_fee_rate").fill("1.2")
    _choose(page, "field-risk_level", "R2 中低风险")
    page.locator("#find-partner_id").fill("招商")
    page.wait_for_timeout(800)
    page.locator("#field-partner_id button").first.click()
    options = page.get_by_role("option")
    expect(options).to_have_count(1)
    options.first.click()
    page.locator("#field-min_purchase").fill("1000")
    page.locator("#field-yield_min").fill("3.2")
    page.locator("#field-yield_max").fill("3.1")
    page.locator("#record-save").click()
    expect(page.locator("#error-yield_max")).to_have_text("最高收益不能低于最低收益。")
    expect(page.locator("#error-term_days")).to_have_text("定期理财产品必须填写期限。")
    page.locator("#field-yield_min").fill("2.8")
    page.locator("#field-term_days").fill("180")
    page.locator("#record-save").click()
    expect(page).to_have_url(re.compile(r"record\?id=\d+"), timeout=30_000)
    expect(page.locator("#record-state")).to_have_text("草稿")
    expect(page.locator("#value-partner_id").or_(page.locator("#field-partner_id"))).to_be_visible()


def test_a_yield_change_for_tomorrow_is_approved_by_a_second_manager(
    page: Page, app_url, sign_in_as, screenshot_dir
):
    from datetime import datetime, timedelta

    sign_in_as("pm.li")
    page.goto(app_url + "/r/product?status=on_sale&sort=code")
    page.locator(".list-row a").first.click()
    expect(page.locator("#field-yield_max")).to_be_visible(timeout=30_000)
    code = page.locator("#field-code").input_value()
    page.locator("#field-yield_max").fill("9.99")
    page.locator("#record-save").click()
    expect(page.locator("#error-yield_max")).to_contain_text("产品变更申请")
    page.goto(app_url + "/r/product_change/record?id=new")
    expect(page.locator("#record-save")).to_be_visible(timeout=30_000)
    page.locator("#find-product_id").fill(code)
    page.wait_for_timeout(700)
    page.locator("#field-product_id button").first.click()
    page.get_by_role("option").first.click()
    page.locator("#field-yield_max").fill("8.88")
    tomorrow = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%dT09:00")
    page.locator("#field-effective_at").fill(tomorrow)
    page.locator("#field-reason").fill("市场利率变化，调整预期收益")
    page.locator("#record-save").click()
    expect(page).to_have_url(re.compile(r"record\?id=\d+"), timeout=30_000)
    expect(page.locator("#record-summary")).to_contain_text("→ 8.8800")
    expect(page.locator("#transition-approve")).to_have_count(0)
    url = page.url
    sign_in_as("pm.zhao")
    page.goto(url)
    page.locator("#transition-approve").click()
    expect(page.locator("#record-state")).to_have_text("已批准（待生效）", timeout=30_000)
    page.screenshot(path=str(screenshot_dir / "product-change-approved.png"), full_page=True)
    page.goto(app_url + f"/r/product?q={code}")
    page.locator(".list-row a").first.click()
    expect(page.locator("#record-summary")).to_contain_text("已批准（待生效）", timeout=30_000)


def test_commission_report_by_month(page: Page, app_url, sign_in_as, screenshot_dir):
    sign_in_as("pm.li")
    page.goto(app_url + "/partners")
    page.locator("#nav-partners-commission").click()
    expect(page.locator("#page-title")).to_have_text("佣金报表", timeout=30_000)
    expect(page.locator(".commission-row").first).to_be_visible()
    expect(page.locator("#commission-total")).to_contain_text("¥")
    page.screenshot(path=str(screenshot_dir / "commission-report.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("#commission-export").click()
    assert download.value.path().read_bytes().decode("utf-8-sig").startswith("合作伙伴,月份,")
