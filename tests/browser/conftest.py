"""Browser tests: the real app (production build) on a free port, driven by Playwright in
Debian's Chromium. Without Chromium the tests are skipped with instructions; under CI=true a
missing browser is an error."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = os.environ.get("BACKOFFICE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    message = (
        f"Chromium not found at {CHROMIUM}. Install it with: "
        "sudo apt-get update && sudo apt-get install -y chromium"
    )
    if IN_CI:
        pytest.fail(message + " (CI=true: browser tests may not be skipped)")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the app did not answer {url} in {timeout}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def app_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("app-data")
    env = {
        **os.environ,
        "BACKOFFICE_DATA_DIR": str(data),
        "BACKOFFICE_DB_URL": f"sqlite:///{data / 'browser.db'}",
        "BACKOFFICE_DEFAULT_LANG": "zh",
        # no ticks of their own: a job run meanwhile (escalating the seeded cases, screening
        # again) would change the data a test reads; tests run jobs with "run now"
        "BACKOFFICE_SCHEDULER": "off",
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    env.pop("BACKOFFICE_TEST_DB_URL", None)
    return env


@pytest.fixture(scope="session")
def app_url(app_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Seed a fresh database and serve the production build of the app on a free port."""
    _require_chromium()
    subprocess.run(
        [sys.executable, "-m", "backoffice", "seed", "--size", "small"],
        cwd=ROOT,
        env=app_env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    app_env = {**app_env, "BACKOFFICE_ALLOWED_ORIGINS": f"http://127.0.0.1:{port}"}
    log = tmp_path_factory.mktemp("app-log") / "app.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            # as production starts it: the scheduled jobs in a process of their own
            [
                sys.executable,
                "scripts/serve_prod.py",
                *("--env", "prod", "--frontend-port", str(port)),
            ],
            cwd=ROOT,
            env=app_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/ping", process, log, timeout=900)
        _wait_for(f"{url}/", process, log, timeout=60)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    _require_chromium()
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}, "locale": "zh-CN"}


@pytest.fixture
def screenshot_dir() -> Path:
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Authenticator:
    """Plays the staff member's authenticator app: remembers each account's key and never
    reuses a time step (the server refuses replayed codes)."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.last_step: dict[str, int] = {}

    def code(self, username: str) -> str:
        import pyotp

        now = int(time.time() // 30)
        step = max(now, self.last_step.get(username, 0) + 1)
        if step > now + 1:
            time.sleep((step - 1) * 30 - time.time() + 0.5)
        self.last_step[username] = step
        return pyotp.TOTP(self.secrets[username]).at(step * 30)


@pytest.fixture(scope="session")
def authenticator() -> Authenticator:
    return Authenticator()


def sign_in(
    page,
    app_url: str,
    authenticator: Authenticator,
    username: str,
    screenshot_dir: Path | None = None,
) -> None:
    """Sign in through the real page: password, then TOTP (enrolling on the first sign-in)."""
    from playwright.sync_api import expect

    from backoffice.seed import DEMO_PASSWORD

    page.goto(app_url + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#sign-in").click()
    if username not in authenticator.secrets:
        key = page.locator("#enrol-key")
        expect(key).to_be_visible(timeout=30_000)
        expect(page.locator("#enrol-qr")).to_be_visible()
        if screenshot_dir:
            page.screenshot(path=str(screenshot_dir / "login-enrol.png"))
        authenticator.secrets[username] = key.inner_text().strip()
        page.locator("#enrol-code").fill(authenticator.code(username))
        page.locator("#enrol-code-submit").click()
        expect(page.locator("#recovery-codes")).to_be_visible(timeout=30_000)
        if screenshot_dir:
            page.screenshot(path=str(screenshot_dir / "login-recovery-codes.png"))
        page.locator("#continue").click()
    else:
        page.locator("#totp-code").fill(authenticator.code(username))
        page.locator("#totp-code-submit").click()
    expect(page.locator("#page-title")).to_be_visible(timeout=30_000)
    # the page was loaded anew with the session cookie: its name comes over the new
    # websocket once the page is live
    expect(page.locator("#current-user")).not_to_be_empty(timeout=30_000)


@pytest.fixture
def sign_in_as(page, app_url: str, authenticator: Authenticator):
    """Sign in through the real page: password, then TOTP (enrolling on the first sign-in)."""

    def sign_in_page(username: str, screenshot_dir: Path | None = None) -> None:
        sign_in(page, app_url, authenticator, username, screenshot_dir)

    return sign_in_page
