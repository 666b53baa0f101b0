"""Every chart page as an executive reads it, in both languages at 1440 and 768 px: what
plotly drew (ticks, axis titles, legends, titles) is in the page's language, with no English
month names or "6M"-style suffixes on a Chinese page; a screenshot of each for people to look
at (test-artifacts/screenshots/charts-*.png)."""

import re

from playwright.sync_api import Page, expect

PAGES = (
    ("kpi", "/kpi"),
    ("kpi-products", "/kpi?area=products"),
    ("kpi-people", "/kpi?area=people"),
    ("kpi-metrics", "/kpi/metrics"),
    ("campaigns", "/campaigns/results"),
    ("hr", "/hr/overview"),
    ("gantt", "/projects/gantt"),
    ("tickets-report", "/tickets/reports"),
)
MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")
SI = re.compile(r"\d(k|M|G|B)$")
CJK = re.compile(r"[\u4e00-\u9fff]")
DRAWN = ".main-svg .xtick text, .main-svg .ytick text"
TITLES = ".main-svg .g-xtitle text, .main-svg .g-ytitle text, .main-svg .gtitle"


def test_every_chart_speaks_the_pages_language_at_both_widths(
    page: Page, app_url, sign_in_as, screenshot_dir
):
    sign_in_as("ceo.huang")
    for lang in ("zh", "en"):
        if lang == "en":
            page.set_viewport_size({"width": 1440, "height": 900})  # the switch is in the bar
            page.get_by_role("radio", name="English").click()
            expect(page.locator("#page-title")).not_to_have_text(CJK, timeout=30_000)
        for width in (1440, 768):
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in PAGES:
                page.goto(app_url + path)
                expect(page.locator(".main-svg").first).to_be_visible(timeout=30_000)
                expect(page.locator(".main-svg .xtick text").first).to_be_visible(timeout=30_000)
                page.wait_for_timeout(400)
                page.screenshot(
                    path=str(screenshot_dir / f"charts-{name}-{lang}-{width}.png"), full_page=True
                )
                ticks = page.locator(DRAWN).all_text_contents()
                titles = page.locator(TITLES).all_text_contents()
                if lang == "zh":
                    assert not [t for t in ticks + titles if MONTHS.search(t)], (path, ticks)
                    assert not [t for t in ticks if SI.search(t.strip())], (path, ticks)
                    axis_titles = page.locator(
                        ".main-svg .g-xtitle text, .main-svg .g-ytitle text"
                    ).all_text_contents()
                    assert axis_titles and all(CJK.search(t) for t in axis_titles), (
                        path,
                        axis_titles,
                    )
                else:
                    assert not [t for t in titles if CJK.search(t)], (path, titles)
