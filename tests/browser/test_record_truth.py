"""What a record page shows is the record its title names: going record → list → another
record, every form input holds the database's values of the record now open, whatever widget
(text, number, money, percent, date, choice, reference picker, custom field)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parent.parent.parent

# custom fields on two resources, with a different value on every record
ADD_CUSTOM_FIELDS = """
from sqlmodel import select
from backoffice.db import session_scope
from backoffice.engine import custom
from backoffice.security.rbac import Principal
from models.partners import Partner
from models.products import Product

actor = Principal(
    user_id=1, username="admin", display_name="admin", session_id=0, roles=frozenset({"admin"})
)
with session_scope(write=True) as session:
    custom.add_definition(
        session, actor=actor, resource_key="product", name="shelf", label_zh="货架",
        label_en="Shelf", kind="text",
    )
    custom.add_definition(
        session, actor=actor, resource_key="partner", name="tier", label_zh="合作等级",
        label_en="Tier", kind="choice", choices="A\\nB\\nC",
    )
    for product in session.exec(select(Product)).all():
        custom.save_values(session, "product", product.id, {"x_shelf": f"S-{product.id}"})
    for partner in session.exec(select(Partner)).all():
        custom.save_values(session, "partner", partner.id, {"x_tier": "ABC"[partner.id % 3]})
"""


def _db(app_env: dict[str, str]) -> sqlite3.Connection:
    db = sqlite3.connect(app_env["BACKOFFICE_DB_URL"].removeprefix("sqlite:///"))
    db.row_factory = sqlite3.Row
    return db


def _stored(app_env: dict[str, str], table: str, record_id: int) -> dict[str, str]:
    """The record's columns and custom values as the database holds them."""
    with _db(app_env) as db:
        row = db.execute(f"SELECT * FROM {table} WHERE id = ?", (record_id,)).fetchone()
        values = {k: "" if row[k] is None else str(row[k]) for k in row.keys()}
        for name, value in db.execute(
            "SELECT f.name, v.value FROM custom_value v JOIN custom_field f ON f.id = v.field_id"
            " WHERE v.resource = ? AND v.record_id = ?",
            (table, record_id),
        ):
            values["x_" + name] = value
    return values


def _same(shown: str, stored: str) -> bool:
    if shown == stored:
        return True
    try:  # money and rates: NUMERIC comes back from SQLite without its scale
        return Decimal(shown) == Decimal(stored)
    except InvalidOperation:
        return False


# every form input's value by field name: inputs and text areas, a choice's or reference
# picker's value (the select Radix keeps for the form), a checkbox's state
READ_FORM = """() => {
  const values = {};
  for (const el of document.querySelectorAll('form [id^="field-"]')) {
    const name = el.id.slice(6);
    if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') values[name] = el.value;
    else if (el.getAttribute('role') === 'checkbox')
      values[name] = el.getAttribute('data-state') === 'checked' ? '1' : '0';
    else {
      const select = el.querySelector('select');
      if (select) values[name] = select.value;
    }
  }
  return values;
}"""


def _check_record(page: Page, app_env: dict[str, str], table: str, title_column: str) -> set[str]:
    record_id = int(page.url.split("id=")[1].split("&")[0])
    stored = _stored(app_env, table, record_id)
    title = page.locator("#page-title")
    deadline = time.monotonic() + 30
    while not _same(title.inner_text().strip(), stored[title_column]):
        assert time.monotonic() < deadline, f"the title never named {table} #{record_id}"
        time.sleep(0.2)
    expect(page.locator("#record-save")).to_be_visible()
    shown = page.evaluate(READ_FORM)
    compared = {name: value for name, value in shown.items() if name in stored}
    wrong = {
        name: (value, stored[name])
        for name, value in compared.items()
        if not _same(value, stored[name])
    }
    assert not wrong, f"{table} #{record_id} shows another record's values: {wrong}"
    return set(compared)


def _visit(
    page: Page,
    app_url: str,
    app_env: dict[str, str],
    list_url: str,
    title_column: str,
    widgets: set[str],
) -> None:
    """Open the list, then each of its first rows in turn, going back to the list in between
    (the app's own navigation: React keeps the page's elements), comparing every field."""
    table = list_url.split("/")[2].split("?")[0]
    page.goto(app_url + list_url)
    expect(page.locator(".list-row").first).to_be_visible(timeout=30_000)
    count = min(page.locator(".list-row").count(), 4)
    assert count >= 2
    for index in [1, 0, *range(2, count)]:
        page.locator(".list-row a").nth(index).click()
        expect(page).to_have_url(re.compile(r"record\?id=\d+"), timeout=30_000)
        compared = _check_record(page, app_env, table, title_column)
        assert widgets <= compared, f"not on the form: {widgets - compared}"
        page.go_back()
        expect(page.locator(".list-row").first).to_be_visible(timeout=30_000)


def test_every_field_shows_the_record_in_the_title(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    subprocess.run([sys.executable, "-c", ADD_CUSTOM_FIELDS], cwd=ROOT, env=app_env, check=True)
    sign_in_as("pm.li")
    # products: text, choice, reference picker, percent, int, money, date, long text, custom text
    _visit(
        page,
        app_url,
        app_env,
        "/r/product?status=on_sale&sort=code",
        "name",
        {"code", "product_type", "partner_id", "yield_min", "min_purchase", "sale_start"}
        | {"description", "x_shelf"},
    )
    page.screenshot(path=str(screenshot_dir / "record-truth-product.png"), full_page=True)
    # partners: choice, percent, date, custom choice
    _visit(
        page,
        app_url,
        app_env,
        "/r/partner?sort=name",
        "name",
        {"kind", "commission_rate", "contract_end", "x_tier"},
    )
    # employees: two reference pickers, dates, a status
    sign_in_as("hr.zheng")
    _visit(
        page,
        app_url,
        app_env,
        "/r/employee?sort=-hire_date",
        "name",
        {"name", "team_id", "manager_id", "hire_date", "status"},
    )


SET_PERMISSION = """
import sys
from backoffice.db import session_scope
from backoffice.security.rbac import Principal
from backoffice.domains.admin import users

actor = Principal(
    user_id=1, username="admin", display_name="admin", session_id=0, roles=frozenset({"admin"})
)
role, resource, action, granted = sys.argv[1:5]
with session_scope(write=True) as session:
    assert not users.set_permission(
        session, actor=actor, role=role, resource=resource, action=action,
        granted=granted == "1",
    )
"""


def _set_permission(app_env: dict[str, str], *cell: str) -> None:
    subprocess.run([sys.executable, "-c", SET_PERMISSION, *cell], cwd=ROOT, env=app_env, check=True)


def test_a_revoked_right_takes_the_rows_off_the_screen(
    page: Page, app_url, app_env, sign_in_as, screenshot_dir
):
    sign_in_as("mkt.chen")
    page.goto(app_url + "/r/partner")
    expect(page.locator(".list-row").first).to_be_visible(timeout=30_000)
    _set_permission(app_env, "marketing", "partner", "view", "0")
    try:
        page.locator("#list-search").fill("银行")
        page.locator("#list-apply").click()
        expect(page.locator("#list-error")).to_have_text(
            "您无权查看这些数据，页面已清空。", timeout=15_000
        )
        expect(page.locator(".list-row")).to_have_count(0)
        page.screenshot(path=str(screenshot_dir / "revoked-search.png"), full_page=True)
        page.goto(app_url + "/r/partner")
        expect(page).to_have_url(re.compile(r"/$"), timeout=15_000)
        expect(page.locator(".list-row")).to_have_count(0)
        expect(page.locator("#sidebar #nav-partners")).to_have_count(0)
    finally:
        _set_permission(app_env, "marketing", "partner", "view", "1")
