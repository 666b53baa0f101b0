"""The built frontend works under the portal's content security policy: signing in, a list, a
record, the KPI dashboard's charts and the plotly Gantt chart raise no violation, and the
document and its assets carry the security headers."""

from __future__ import annotations

import re

from playwright.sync_api import ConsoleMessage, Page, Response, expect

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber} (${(event.sample || "").slice(0, 80)})`
  );
});
"""


def assert_security_headers(response: Response) -> None:
    headers = response.headers
    if response.status != 304:  # a revalidation leaves the stored policy as it is
        policy = headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in policy, (response.url, headers)
        script_src = next(d for d in policy.split("; ") if d.startswith("script-src "))
        assert "'unsafe-inline'" not in script_src
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("referrer-policy") == "no-referrer"
    assert "camera=()" in headers.get("permissions-policy", "")
    assert headers.get("cross-origin-opener-policy") == "same-origin"
    assert headers.get("server") == "web", "no server software named"
    assert "strict-transport-security" not in headers, "plain HTTP: no HSTS"


def test_the_portal_runs_under_its_content_security_policy(
    page: Page, app_url, sign_in_as, screenshot_dir
):
    violations: list[str] = []
    console: list[str] = []
    assets: list[Response] = []

    def on_violation(description: str) -> None:
        violations.append(description)

    page.expose_function("reportCspViolation", on_violation)
    page.add_init_script(REPORT_VIOLATIONS)

    def on_console(message: ConsoleMessage) -> None:
        console.append(f"{message.type}: {message.text}")

    def on_response(response: Response) -> None:
        if re.search(r"\.(js|css)(\?|$)", response.url):
            assets.append(response)

    page.on("console", on_console)
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.on("response", on_response)

    try:
        document = page.goto(app_url + "/login")
        assert document is not None and document.ok
        assert_security_headers(document)
        sign_in_as("ceo.huang")

        page.goto(app_url + "/r/partner")
        expect(page.locator("#page-title")).to_have_text("合作伙伴", timeout=30_000)
        expect(page.locator(".list-row").first).to_be_visible(timeout=30_000)
        # a search puts its terms in the address bar (a script the server sends)
        page.locator("#list-search").fill("招商")
        page.locator("#list-apply").click()
        expect(page).to_have_url(re.compile(r"q=%E6%8B%9B%E5%95%86"), timeout=30_000)
        expect(page.locator(".list-row")).to_have_count(1, timeout=30_000)
        page.locator(".list-row a").first.click()
        expect(page).to_have_url(re.compile(r"/r/partner/record\?id=\d+"), timeout=30_000)
        expect(page.locator("#page-title")).to_be_visible(timeout=30_000)

        page.goto(app_url + "/kpi")
        expect(page.locator(".kpi-card").first).to_be_visible(timeout=30_000)
        expect(page.locator("#kpi-chart-0 .main-svg").first).to_be_visible(timeout=30_000)

        page.goto(app_url + "/projects/gantt")
        expect(page.locator("#gantt .main-svg").first).to_be_visible(timeout=30_000)
        page.screenshot(path=str(screenshot_dir / "csp-gantt.png"), full_page=True)

    finally:  # shown with a failure: what the browser said on the way
        print("\n".join(violations + console))

    assert assets, "the pages loaded their scripts and styles"
    for asset in assets:
        if asset.url.startswith(app_url):
            assert_security_headers(asset)
    csp_console = [line for line in console if "Content Security Policy" in line]
    assert not violations and not csp_console, "\n".join(violations + console)
