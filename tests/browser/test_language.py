"""One language at a time: every page walked in English and in Chinese, and a switch on an
open page that changes the whole page at once.

What counts as data, shown as stored in either language: the text of the seeded database
(``seeded_text.py``: names, titles, notes, decrypted customer names), masked names (张**),
numbers, dates, amounts, codes and acronyms, and text inside a plotly chart (the charts'
own checks cover their ticks). Everything else on screen is the interface and must be in
the page's language: an English page may hold no Chinese character outside data, a Chinese
page no English word outside data. The language switch names each language in itself.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from backoffice.engine.resource import all_resources
from backoffice.security import gate, rbac
from backoffice.seed import DEMO_USERS
from pages.layout import registered_pages

pytestmark = pytest.mark.timeout(900)  # the walk opens every page twice
ROOT = Path(__file__).resolve().parent.parent.parent
# who walks which page: the first of these who may open it
WALKERS = ("admin", "ceo.huang", "kyc.liu", "hr.zheng", "pmo.xu", "cs.wu")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]")
CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
MASKED = re.compile(r"[\u3400-\u9fff]\*+")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
# words a Chinese page uses as they are: acronyms and names of things
ENGLISH_IN_CHINESE = {
    "KYC", "AML", "SLA", "CSV", "XLSX", "PDF", "TOTP", "KPI", "KPIs", "ROI", "HR", "ID", "CSAT",
    "RAG", "PMO", "CEO", "AUM", "QR", "Excel", "ZIP", "JSON", "URL", "IP", "Q1", "Q2", "Q3", "Q4",
    "CNY", "PNG", "SQL", "App", "app", "PEP", "OK",
}  # fmt: skip
SEPARATORS = re.compile(r"\s*(?:·|,|，|、|;|；|:|：|/|\||→|—|–|\(|\)|（|）|\[|\]|「|」|\n)\s*")

# every visible text node outside the language switch and the charts, with where it is
TEXTS_JS = """() => {
  const out = [];
  const skip = 'script,style,noscript,.js-plotly-plot,#language-switch,[data-lang-free]';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const parent = node.parentElement;
    if (!text || !parent || parent.closest(skip)) continue;
    if (!parent.getClientRects().length) continue;
    const style = getComputedStyle(parent);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    out.push(text);
  }
  for (const input of document.querySelectorAll('input[placeholder],textarea[placeholder]')) {
    if (input.getClientRects().length && !input.closest(skip)) out.push(input.placeholder);
  }
  return out;
}"""

# waits until the page's text has stopped changing (its load events answered)
SETTLE_JS = """async () => {
  let last = '', same = 0;
  for (let i = 0; i < 40 && same < 3; i++) {
    await new Promise((r) => setTimeout(r, 150));
    const now = document.body.innerText;
    same = now === last ? same + 1 : 0;
    last = now;
  }
}"""


def _principal(username: str) -> rbac.Principal:
    roles = next(r for u, _name, r in DEMO_USERS if u == username)
    grants = {
        (res, a) for role in roles for res, acts in rbac.DEFAULT_GRANTS[role].items() for a in acts
    }
    return rbac.Principal(
        user_id=0,
        username=username,
        display_name=username,
        session_id=0,
        roles=frozenset(roles),
        permissions=frozenset(grants),
    )


def _may_open(principal: rbac.Principal, path: str) -> bool:
    if gate.page_refusal(principal, path) is not None:
        return False
    parts = path.strip("/").split("/")
    if parts[0] == "r":
        resource = next(r for r in all_resources() if r.key == parts[1])
        if parts[-1] == "import":
            return principal.can(resource.permission, "import")
    if path == "/me/appraisals":
        return principal.can("self_appraisal", "view") and "admin" not in principal.roles
    if path.startswith("/admin"):
        return "admin" in principal.roles
    return True


def _pages(records: dict[str, int]) -> dict[str, list[str]]:
    """Each walker's pages: every registered page, a record page of each kind with a record."""
    paths = []
    for route, *_rest in registered_pages:
        if route.endswith("/record"):
            key = route.split("/")[2]
            if key in records:
                paths.append(f"{route}?id={records[key]}")
        else:
            paths.append(route)
    walks: dict[str, list[str]] = {u: [] for u in WALKERS}
    for path in paths:
        for username in WALKERS:
            if _may_open(_principal(username), path.split("?")[0]):
                walks[username].append(path)
                break
    return walks


def _is_data(text: str, data: set[str]) -> bool:
    if text in data:
        return True
    return all(
        not piece or piece in data or MASKED.fullmatch(piece) for piece in SEPARATORS.split(text)
    )


def chinese_outside_data(texts: list[str], data: set[str]) -> list[str]:
    found = []
    for text in texts:
        if not CJK_CHAR.search(text) or _is_data(text, data):
            continue
        rest = SEPARATORS.split(text)
        if all(not CJK_CHAR.search(MASKED.sub("", p)) or p in data for p in rest):
            continue
        found.append(text)
    return found


def english_outside_data(texts: list[str], data: set[str]) -> list[str]:
    found = []
    for text in texts:
        if _is_data(text, data):
            continue
        words = [
            w
            for piece in SEPARATORS.split(text)
            if piece not in data and not re.fullmatch(r"[\w.+-]+@[\w.-]+|[a-z]+\.[a-z]+", piece)
            for w in WORD.findall(piece)
        ]
        if any(w not in ENGLISH_IN_CHINESE and not w.isupper() for w in words):
            found.append(text)
    return found


@pytest.fixture(scope="module")
def seeded(app_url: str, app_env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "tests.browser.seeded_text"],
        cwd=ROOT,
        env=app_env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = json.loads(out)
    found["texts"] = set(found["texts"]) | {name for _u, name, _r in DEMO_USERS}
    return found


def _settle(page: Page) -> None:
    page.wait_for_load_state("domcontentloaded")
    page.evaluate(SETTLE_JS)


def _switch(page: Page, lang: str) -> None:
    name = "English" if lang == "en" else "中文"
    page.get_by_role("radio", name=name).click()
    expect(page.get_by_role("radio", name=name)).to_have_attribute("data-state", "on")
    _settle(page)


def _check(page: Page, lang: str, data: set[str]) -> list[str]:
    texts = page.evaluate(TEXTS_JS)
    wrong = chinese_outside_data(texts, data) if lang == "en" else english_outside_data(texts, data)
    return list(dict.fromkeys(wrong))


def test_every_page_speaks_one_language(page: Page, app_url, sign_in_as, seeded, screenshot_dir):
    started = time.monotonic()
    data = seeded["texts"]
    problems: dict[str, list[str]] = {}
    # the sign-in page, signed out
    page.goto(app_url + "/login")
    _settle(page)
    for lang in ("en", "zh"):
        _switch(page, lang)
        if wrong := _check(page, lang, data):
            problems[f"{lang} /login"] = wrong
    walks = _pages(seeded["records"])
    visited = 0
    for username, paths in walks.items():
        if not paths:
            continue
        page.context.clear_cookies()
        sign_in_as(username)
        for lang in ("en", "zh"):
            _switch(page, lang)
            for path in paths:
                page.goto(app_url + path)
                expect(page.locator("#current-user")).not_to_be_empty(timeout=30_000)
                _settle(page)
                visited += 1
                if wrong := _check(page, lang, data):
                    problems[f"{lang} {path} ({username})"] = wrong
    elapsed = time.monotonic() - started
    print(f"language walk: {visited} pages in {elapsed:.0f} s")
    report = "\n".join(f"{where}: {wrong[:8]}" for where, wrong in problems.items())
    (screenshot_dir.parent / "language-walk.txt").write_text(report + "\n", encoding="utf-8")
    assert not problems, f"{len(problems)} pages mix languages:\n{report}"


def _chart_texts(page: Page) -> list[str]:
    return page.locator(".js-plotly-plot .gtitle, .js-plotly-plot .legendtext").all_inner_texts()


def test_a_switch_changes_the_open_page_at_once(
    page: Page, app_url, sign_in_as, seeded, screenshot_dir
):
    """On a list (its filters and sort kept), the KPI dashboard, the Gantt plan and a record
    page: the switch changes every text and chart title, in place, without a reload."""
    data = seeded["texts"]
    sign_in_as("ceo.huang")
    paths = (
        "/r/product?sort=-name&page=1&status=on_sale",
        "/kpi",
        "/projects/gantt",
        f"/r/product/record?id={seeded['records']['product']}",
    )
    _switch(page, "zh")
    loads: list[int] = []
    page.on("load", lambda _p: loads.append(1))
    failures = []
    for path in paths:
        page.goto(app_url + path)
        _settle(page)
        charts_zh = _chart_texts(page)
        before = page.evaluate("() => document.body.innerText")
        loads.clear()
        _switch(page, "en")
        name = re.sub(r"\W+", "-", path.split("?")[0]).strip("-")
        page.screenshot(path=str(screenshot_dir / f"switch-{name}-en.png"), full_page=True)
        charts_en = _chart_texts(page)
        if loads:
            failures.append(f"{path}: the switch reloaded the page")
        if not page.url.endswith(path):
            failures.append(f"{path}: the switch lost the address ({page.url})")
        if page.evaluate("() => document.body.innerText") == before:
            failures.append(f"{path}: nothing changed")
        if wrong := _check(page, "en", data):
            failures.append(f"{path}: still Chinese after the switch: {wrong[:8]}")
        if charts_zh and (charts_en == charts_zh or chinese_outside_data(charts_en, data)):
            failures.append(f"{path}: chart titles not switched: {charts_en[:6]}")
        _switch(page, "zh")
        if wrong := _check(page, "zh", data):
            failures.append(f"{path}: still English after switching back: {wrong[:8]}")
    assert not failures, "\n".join(failures)
