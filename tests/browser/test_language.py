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
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

import backoffice.backoffice  # noqa: F401  (registers every page)
from backoffice.engine.resource import all_resources
from backoffice.seed import DEMO_USERS
from pages.layout import registered_pages
from tests.permission_walk import roles_by_page

pytestmark = pytest.mark.timeout(1800)  # the app's build, then every page twice
ROOT = Path(__file__).resolve().parent.parent.parent
# who walks which page: the first of these who may open it
WALKERS = ("admin", "ceo.huang", "kyc.liu", "hr.zheng", "pmo.xu", "cs.wu")
CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
# words a Chinese page uses as they are: acronyms and names of things
ENGLISH_IN_CHINESE = {
    "KYC", "AML", "SLA", "CSV", "XLSX", "PDF", "TOTP", "KPI", "KPIs", "ROI", "HR", "ID", "CSAT",
    "RAG", "PMO", "CEO", "AUM", "QR", "Excel", "ZIP", "JSON", "URL", "IP", "Q1", "Q2", "Q3", "Q4",
    "CNY", "PNG", "SQL", "App", "app", "PEP", "OK", "Cookie",
}  # fmt: skip

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


def _roles_of(username: str) -> frozenset[str]:
    return frozenset(next(r for u, _name, r in DEMO_USERS if u == username))


def _pages(records: dict[str, int]) -> dict[str, list[str]]:
    """Each walker's pages: every registered page (by the first walker whose roles pass its
    gate and its loads' guards), and a record page of each kind that has a record."""
    openers = roles_by_page()
    walks: dict[str, list[str]] = {u: [] for u in WALKERS}
    for route, *_rest in registered_pages:
        path = route
        if route.endswith("/record"):
            key = route.split("/")[2]
            if key not in records:
                continue
            path = f"{route}?id={records[key]}"
        for username in WALKERS:
            if _roles_of(username) & openers[route] and not (
                route == "/me/appraisals" and username == "admin"  # no employee of their own
            ):
                walks[username].append(path)
                break
    return walks


CODE = re.compile(
    r"\{[a-z_]+\}"  # placeholders of a template
    r"|\b[a-z_]+(?:\.[a-z_]+)+\b"  # identifiers: jobs, audit actions, usernames
    r"|[\w.+-]+@[\w.-]+"  # e-mail addresses
    r"|(?<![A-Za-z])[a-z_]+\.(?=[\s）)]|$)"  # a prefix of identifiers (auth.)
    r"|\b[A-Z][a-z]+(?:-[A-Z][a-z]+)+\b"  # HTTP header names (Backoffice-Signature)
)
# help that shows both languages on purpose: the answer lines of a risk question hold both
BILINGUAL = {
    spec.help_text("zh")
    for resource in all_resources()
    for spec in resource.fields
    if "中文" in spec.help_text("en") and "English" in spec.help_text("zh")
} | {
    spec.help_text("en")
    for resource in all_resources()
    for spec in resource.fields
    if "中文" in spec.help_text("en") and "English" in spec.help_text("zh")
}


class Data:
    """The data a page may show as stored, in either language (see the module's docstring)."""

    def __init__(self, texts: set[str]) -> None:
        self.texts = texts
        self.longest_first = sorted((t for t in texts if len(t) > 1), key=len, reverse=True)

    def strip(self, text: str) -> str:
        """``text`` without the data in it: whole values, values cut short (…), values
        inside it, masked values (a value's first characters and asterisks), codes and
        placeholders, numbers with a stored unit."""
        if text in self.texts or text in BILINGUAL:
            return ""
        if len(text) >= 12 and any(t.startswith(text.rstrip("…")) for t in self.longest_first):
            return ""
        if re.sub(r"[\d.,%¥+\-\s]+", " ", text).strip() in self.texts:
            return ""
        for value in self.longest_first:  # a stored address whole: its host looks like a code
            if "://" in value and value in text:
                text = text.replace(value, " ")
        text = CODE.sub(" ", text)
        for masked in re.findall(r"\S+?\*{2,}", text):
            prefix = masked.rstrip("*")
            if any(t.startswith(prefix) for t in self.longest_first):
                text = text.replace(masked, " ")
        for value in self.longest_first:
            if value in text:
                text = _without(text, value)
        return text


def _without(text: str, value: str) -> str:
    """``text`` with ``value`` taken out where it stands as a whole: a stored "ie" or "Co"
    is not taken out of the middle of a word (which would leave a foreign-looking rest)."""
    before = r"(?<![A-Za-z0-9])" if _latin(value[0]) else ""
    after = r"(?![A-Za-z0-9])" if _latin(value[-1]) else ""
    if not (before or after):
        return text.replace(value, " ")
    return re.sub(before + re.escape(value) + after, " ", text)


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def chinese_outside_data(texts: list[str], data: Data) -> list[str]:
    return [t for t in texts if CJK_CHAR.search(t) and CJK_CHAR.search(data.strip(t))]


def english_outside_data(texts: list[str], data: Data) -> list[str]:
    def foreign(word: str) -> bool:
        return word not in ENGLISH_IN_CHINESE and not word.isupper()

    return [
        t for t in texts if WORD.search(t) and any(foreign(w) for w in WORD.findall(data.strip(t)))
    ]


def seeded_data(app_env: dict[str, str]) -> dict:
    """The database's texts and records as they are now (sessions signed in meanwhile too)."""
    out = subprocess.run(
        [sys.executable, "-m", "tests.browser.seeded_text"],
        cwd=ROOT,
        env=app_env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = json.loads(out)
    found["data"] = Data(set(found["texts"]) | {name for _u, name, _r in DEMO_USERS})
    return found


@pytest.fixture(scope="module")
def seeded(app_url: str, app_env: dict[str, str]) -> dict:
    return seeded_data(app_env)


def _settle(page: Page) -> None:
    page.wait_for_load_state("domcontentloaded")
    page.evaluate(SETTLE_JS)


def _switch(page: Page, lang: str) -> None:
    name = "English" if lang == "en" else "中文"
    page.get_by_role("radio", name=name).click()
    expect(page.get_by_role("radio", name=name)).to_have_attribute("data-state", "on")
    _settle(page)


def _check(page: Page, lang: str, data: Data, texts: list[str] | None = None) -> list[str]:
    texts = page.evaluate(TEXTS_JS) if texts is None else texts
    wrong = chinese_outside_data(texts, data) if lang == "en" else english_outside_data(texts, data)
    return list(dict.fromkeys(wrong))


def test_every_page_speaks_one_language(
    page: Page, app_url, app_env, sign_in_as, seeded, screenshot_dir
):
    started = time.monotonic()
    seen: dict[str, tuple[str, list[str]]] = {}  # where → (language, texts on screen)
    page.goto(app_url + "/login")
    _settle(page)
    for lang in ("en", "zh"):
        _switch(page, lang)
        seen[f"{lang} /login"] = (lang, page.evaluate(TEXTS_JS))
    for username, paths in _pages(seeded["records"]).items():
        if not paths:
            continue
        page.context.clear_cookies()
        sign_in_as(username)
        for lang in ("en", "zh"):
            _switch(page, lang)
            for path in paths:
                page.goto(app_url + path)
                _settle(page)
                seen[f"{lang} {path} ({username})"] = (lang, page.evaluate(TEXTS_JS))
    # data as the database holds it after the walk (the walkers' own sessions, audit entries)
    data = seeded_data(app_env)["data"]
    problems = {
        where: wrong
        for where, (lang, texts) in seen.items()
        if (wrong := _check(page, lang, data, texts))
    }
    print(f"language walk: {len(seen)} pages in {time.monotonic() - started:.0f} s")
    report = "\n".join(f"{where}: {wrong[:8]}" for where, wrong in problems.items())
    (screenshot_dir.parent / "language-walk.txt").write_text(report + "\n", encoding="utf-8")
    assert not problems, f"{len(problems)} pages mix languages:\n{report}"


def _chart_texts(page: Page) -> list[str]:
    """Chart titles and legends (SVG text: no innerText)."""
    return page.locator(".js-plotly-plot .gtitle, .js-plotly-plot .legendtext").evaluate_all(
        "els => els.map((e) => e.textContent)"
    )


def test_a_switch_changes_the_open_page_at_once(
    page: Page, app_url, sign_in_as, seeded, screenshot_dir
):
    """On a list (its filters and sort kept), the KPI dashboard, the Gantt plan and a record
    page: the switch changes every text and chart title, in place, without a reload."""
    data = seeded["data"]
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
        plots = page.locator(".js-plotly-plot").count()
        charts_zh = _chart_texts(page)
        for _ in range(20):  # plotly draws after the page's text is there
            if not plots or charts_zh:
                break
            page.wait_for_timeout(250)
            charts_zh = _chart_texts(page)
        if plots and not charts_zh:
            failures.append(f"{path}: its charts have no title or legend")
        before = page.evaluate("() => document.body.innerText")
        loads.clear()
        _switch(page, "en")
        charts_en = _chart_texts(page)
        for _ in range(20):  # plotly draws the rebuilt figures after the texts
            if not charts_zh or (charts_en and charts_en != charts_zh):
                break
            page.wait_for_timeout(250)
            charts_en = _chart_texts(page)
        name = re.sub(r"\W+", "-", path.split("?")[0]).strip("-")
        page.screenshot(path=str(screenshot_dir / f"switch-{name}-en.png"), full_page=True)
        if loads:
            failures.append(f"{path}: the switch reloaded the page")
        shown = urlsplit(page.url)
        if f"{shown.path.rstrip('/')}?{shown.query}".rstrip("?") != path:
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
