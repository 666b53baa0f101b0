"""Every page at phone, tablet and desktop widths in both languages: nothing scrolls sideways
except inside a labelled scroll region (a table or chart that says so), and a full-page picture
of each in ``test-artifacts/screenshots/<lang>/<width>/<page>.png``."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS, Authenticator, sign_in

WIDTHS = {1440: 900, 768: 1024, 390: 844}
LANGUAGES = ("zh", "en")
# one account per role, in the order that reaches every page with the fewest sign-ins
ACCOUNTS = {
    "executive": "ceo.huang",
    "compliance": "kyc.liu",
    "hr": "hr.zheng",
    "cs_lead": "cs.wu",
    "admin": "admin",
}
# record pages of a few kinds (the first record of each), and under HR a new-record form and an
# import page
RECORDS = ("product", "kyc_case", "ticket", "employee", "customer", "project", "campaign")
HR_ROUTES = ("/r/employee/record?id=new", "/r/employee/import")

# The first element past the right edge that is not inside a box that clips or scrolls it
# (its parent is not past the edge too), and every scroll box that overflows without a
# labelled region around it.
MEASURE = """() => {
  const root = document.documentElement, vw = root.clientWidth;
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  const name = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = typeof el.className === 'string' ? el.className.trim().split(/\\s+/) : [];
    if (cls[0]) s += '.' + cls.slice(0, 2).join('.');
    const text = (el.innerText || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return text ? `${s} "${text}"` : s;
  };
  const wide = [], unlabelled = [];
  // a fixed box (the toasts' list) scrolls nothing: what it holds is measured on its own
  const fixed = (el) => getComputedStyle(el).position === 'fixed';
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 1 && !fixed(el) && !clipped(el)) {
      const p = el.parentElement, pr = p && p.getBoundingClientRect();
      if (!p || p === document.body || fixed(p) || pr.right <= vw + 1)
        wide.push({el: name(el), right: Math.round(r.right)});
    }
    const ox = getComputedStyle(el).overflowX;
    if ((ox === 'auto' || ox === 'scroll') && el.scrollWidth > el.clientWidth + 1
        && !['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)
        && !el.closest('[role=region][aria-label], .js-plotly-plot'))
      unlabelled.push(name(el));
  }
  wide.sort((a, b) => b.right - a.right);
  return {
    doc: root.scrollWidth, body: document.body.scrollWidth, vw,
    wide: wide.slice(0, 3), unlabelled: unlabelled.slice(0, 3),
  };
}"""


CHARTS_FIT = """() => [...document.querySelectorAll('.js-plotly-plot')].every((p) => {
  const c = p.querySelector('.svg-container');
  return !c || c.getBoundingClientRect().width <= p.getBoundingClientRect().width + 1;
})"""


def _first_ids(app_env: dict[str, str]) -> dict[str, int]:
    from backoffice.engine.resource import get

    database = app_env["BACKOFFICE_DB_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        return {
            key: db.execute(f"SELECT MIN(id) FROM {get(key).model.__tablename__}").fetchone()[0]
            for key in RECORDS
        }


def _pages_by_account(app_env: dict[str, str]) -> dict[str, list[str]]:
    """Each page to walk (every registered page but the generic record and import pages, plus
    a few of those) under the first account whose role may open it."""
    import backoffice.backoffice  # noqa: F401  (registers every page)
    from pages.layout import registered_pages
    from tests.permission_walk import roles_by_page

    reachable = roles_by_page()
    ids = _first_ids(app_env)
    routes = [
        route
        for route, *_ in registered_pages
        if not (route.startswith("/r/") and route.endswith(("/record", "/import")))
    ]
    routes += [f"/r/{key}/record?id={ids[key]}" for key in RECORDS]
    walk: dict[str, list[str]] = {account: [] for account in ACCOUNTS.values()}
    for route in routes:
        roles = reachable[route.split("?")[0]]
        role = next(role for role in ACCOUNTS if role in roles)
        walk[ACCOUNTS[role]].append(route)
    walk[ACCOUNTS["hr"]] += HR_ROUTES
    return walk


def _file_name(route: str) -> str:
    path, _, query = route.partition("?")
    name = path.strip("/").replace("/", "-") or "home"
    return name + ("-new" if query.endswith("=new") else "")


# what shows that a page's data arrived, where no spinner says it is still loading
READY = {
    "/admin": "#users-table tbody tr",
    "/admin/sessions": "#sessions-table tbody tr",
    "/admin/jobs": "#jobs-table tbody tr",
    "/audit": ".audit-row",
    "/campaigns/results": ".results-row, .js-plotly-plot .main-svg",
    "/partners/commission": ".commission-row",
    "/projects/gantt": ".milestone-row, .js-plotly-plot .main-svg",
    "/projects/risks": ".risk-row",
    "/hr/overview": ".headcount-row",
    "/hr/hiring": ".candidate-card",
    "/kpi": ".kpi-card, .js-plotly-plot .main-svg",
    "/kpi/metrics": ".metric-row, .js-plotly-plot .main-svg",
    "/tickets/reports": ".report-row",
}


def _settle(page: Page, route: str) -> None:
    """The page is live and its data arrived."""
    expect(page.locator("#page-title").first).to_be_visible(timeout=30_000)
    expect(page.locator(".rt-Spinner")).to_have_count(0, timeout=30_000)
    path, _, query = route.partition("?")
    if path in READY:
        for selector in READY[path].split(", "):
            expect(page.locator(selector).first).to_be_attached(timeout=30_000)
    elif path.endswith("/record") and not query.endswith("=new"):
        expect(page.locator("[id^=value-], [id^=field-]").first).to_be_attached(timeout=30_000)
    if page.locator(".js-plotly-plot").count():
        page.wait_for_load_state("networkidle")


def _check(page: Page, route: str, lang: str, problems: list[str], shots: Path) -> None:
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(50)
        # plotly redraws a chart for its new box a moment after the resize
        page.wait_for_function(CHARTS_FIT, timeout=5_000)
        m = page.evaluate(MEASURE)
        where = f"{route} [{lang} {width}px]"
        if m["doc"] > m["vw"] or m["body"] > m["vw"]:
            problems.append(
                f"{where} scrolls sideways: page {m['doc']} px, body {m['body']} px in "
                f"{m['vw']} px; past the edge: {m['wide']}"
            )
        elif m["wide"]:
            problems.append(f"{where} content past the edge: {m['wide']}")
        if m["unlabelled"]:
            problems.append(
                f"{where} scrolls inside a box with no labelled region: {m['unlabelled']}"
            )
        folder = shots / lang / str(width)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{_file_name(route)}.png"), full_page=True)


def _use_language(page: Page, lang: str) -> None:
    page.evaluate(f"localStorage.setItem('bo_lang', '{lang}')")


def walk(
    browser: Browser,
    app_url: str,
    app_env: dict[str, str],
    authenticator: Authenticator,
    only: str = "",
) -> tuple[list[str], int]:
    """Every page (those whose route contains ``only``) in both languages at every width: the
    problems found and the number of page loads."""
    shots = ARTIFACTS / "screenshots"
    problems: list[str] = []
    walked = 0
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    for lang in LANGUAGES if only in "/login" else ():
        page.goto(app_url + "/login")
        _use_language(page, lang)
        page.reload()
        expect(page.locator("#sign-in")).to_be_visible(timeout=30_000)
        _check(page, "/login", lang, problems, shots)
        walked += 1
    context.close()

    for account, all_routes in _pages_by_account(app_env).items():
        routes = [route for route in all_routes if only in route]
        if not routes:
            continue
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        page = context.new_page()
        sign_in(page, app_url, authenticator, account)
        for lang in LANGUAGES:
            _use_language(page, lang)
            for route in routes:
                page.goto(app_url + route)
                _settle(page, route)
                _check(page, route, lang, problems, shots)
                walked += 1
        context.close()
    return problems, walked


@pytest.mark.timeout(1800)  # the first test to use the app waits for its build too
def test_no_page_scrolls_sideways_at_any_width_in_either_language(
    browser: Browser, app_url: str, app_env: dict[str, str], authenticator: Authenticator
):
    started = time.monotonic()
    problems, walked = walk(browser, app_url, app_env, authenticator)
    elapsed = time.monotonic() - started
    print(f"\n{walked} page loads x {len(WIDTHS)} widths in {elapsed:.0f} s")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


PHONE = {"width": 390, "height": 844}
NO_SIDEWAYS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def _one(app_env: dict[str, str], sql: str) -> tuple:
    with sqlite3.connect(app_env["BACKOFFICE_DB_URL"].removeprefix("sqlite:///")) as db:
        return db.execute(sql).fetchone()


def _fits(page: Page, selector: str) -> None:
    """The element is on screen, whole, at the phone's width."""
    expect(page.locator(selector)).to_be_in_viewport(ratio=1)
    box = page.locator(selector).bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (selector, box)


def test_on_a_phone_staff_approve_with_a_fresh_code_and_answer_a_ticket(
    page: Page, app_url, app_env, sign_in_as, authenticator, screenshot_dir
):
    page.set_viewport_size(PHONE)
    product_id, name = _one(
        app_env, "SELECT id, name FROM product WHERE status = 'in_review' ORDER BY id DESC"
    )
    sign_in_as("pm.zhao")
    _fits(page, "#account-menu")
    _fits(page, "#bell")

    # the list of products waiting for review: its rows readable, the page not wider than the phone
    page.goto(app_url + "/r/product?status=in_review")
    row = page.locator(".list-row", has_text=name)
    expect(row).to_be_visible(timeout=30_000)
    assert page.evaluate(NO_SIDEWAYS)
    row.locator("a").first.click()
    expect(page.locator("#page-title")).to_have_text(name, timeout=30_000)
    assert page.evaluate(NO_SIDEWAYS)
    _fits(page, "#transition-publish")

    # publishing needs a code entered in the last five minutes: as if the last was an hour ago
    with sqlite3.connect(app_env["BACKOFFICE_DB_URL"].removeprefix("sqlite:///")) as db:
        db.execute(
            "UPDATE staff_session SET totp_verified_at = datetime('now', '-1 hour') "
            "WHERE user_id = (SELECT id FROM app_user WHERE username = 'pm.zhao')"
        )
    page.locator("#transition-publish").click()
    expect(page.locator("#step-up-code")).to_be_visible(timeout=15_000)
    _fits(page, "#step-up-code")
    _fits(page, "#step-up-submit")
    page.screenshot(path=str(screenshot_dir / "phone-step-up.png"))
    page.locator("#step-up-code").fill(authenticator.code("pm.zhao"))
    page.locator("#step-up-submit").click()
    expect(page.locator("#record-state")).to_have_text("在售", timeout=15_000)
    assert _one(app_env, f"SELECT status FROM product WHERE id = {product_id}") == ("on_sale",)

    # an agent reads their queue, opens a ticket and answers it
    ticket_id, number = _one(
        app_env,
        "SELECT id, ticket_no FROM ticket WHERE assignee = 'cs.zhou' AND status = 'in_progress' "
        "ORDER BY id DESC",
    )
    page.locator("#account-menu").click()
    page.locator("#menu-sign-out").click()
    expect(page).to_have_url(re.compile(r"/login/?$"), timeout=30_000)
    sign_in_as("cs.zhou")
    page.goto(app_url + "/tickets/workspace?queue=mine")
    queue_row = page.locator(f"#queue-{number}")
    expect(queue_row).to_be_visible(timeout=30_000)
    _fits(page, "#queue-tabs")
    queue_row.click()
    expect(page.locator("#ticket-no")).to_have_text(number, timeout=15_000)
    expect(page.locator("#ticket-card")).to_be_in_viewport()  # brought into view below the queue
    page.locator("#ticket-composer").fill("您好，已为您核实，问题已处理。")
    _fits(page, "#ticket-send")
    page.locator("#ticket-send").click()
    expect(page.locator(".message-reply").last).to_contain_text("问题已处理", timeout=15_000)
    assert page.evaluate(NO_SIDEWAYS)
    page.screenshot(path=str(screenshot_dir / "phone-ticket-reply.png"), full_page=True)
    replies = _one(
        app_env,
        f"SELECT COUNT(*) FROM ticket_message WHERE ticket_id = {ticket_id} AND kind = 'reply' "
        "AND body LIKE '%问题已处理%'",
    )
    assert replies == (1,)
