"""Every page at phone, tablet and desktop widths in both languages: nothing scrolls sideways
except inside a labelled scroll region (a table or chart that says so), and a full-page picture
of each in ``test-artifacts/screenshots/<lang>/<width>/<page>.png``."""

from __future__ import annotations

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
    from tests.test_roles import pages as roles_of_page

    reachable = roles_of_page()
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


def _settle(page: Page) -> None:
    """The page is live (the user's name came over the websocket) and its data arrived."""
    expect(page.locator("#page-title").first).to_be_visible(timeout=30_000)
    expect(page.locator(".rt-Spinner")).to_have_count(0, timeout=30_000)
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
                _settle(page)
                _check(page, route, lang, problems, shots)
                walked += 1
        context.close()
    return problems, walked


@pytest.mark.timeout(900)
def test_no_page_scrolls_sideways_at_any_width_in_either_language(
    browser: Browser, app_url: str, app_env: dict[str, str], authenticator: Authenticator
):
    started = time.monotonic()
    problems, walked = walk(browser, app_url, app_env, authenticator)
    elapsed = time.monotonic() - started
    print(f"\n{walked} page loads x {len(WIDTHS)} widths in {elapsed:.0f} s")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
