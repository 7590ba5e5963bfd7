"""Browser journeys: the test app served over HTTP, and headless Chromium driven by Playwright.

The system's Chromium is used (/usr/bin/chromium, or the path in AOCP_CHROMIUM); no browser is ever downloaded.
Without it, only the tests marked `browser` are skipped, with a reason saying how to get it.

The live server serves the session's own `app` (tests/conftest.py) from a thread, so the journeys and the
fixtures (`make_user`, `outbox`, `totp_now`) share one database, on SQLite or on PostgreSQL. CSRF stays on:
the browser submits the real forms. Every page a journey opens is watched for console errors, uncaught
exceptions, Content-Security-Policy violations, error responses nobody expected and requests to any host
other than the live server; a failing journey leaves a screenshot of each open page under test-artifacts/.
"""
from __future__ import annotations

import asyncio
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("AOCP_CHROMIUM") or "/usr/bin/chromium"
SKIP_REASON = f"Chromium not found at {CHROMIUM}: browser journeys skipped (apt-get install chromium)"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
TIMEOUT_MS = 10_000
PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

# Injected before any page script: CSP violations reported to the console, where the watch collects them.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
                + ` (${e.sourceFile || document.location.href}:${e.lineNumber})`);
});
"""


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


def pytest_collection_modifyitems(config, items):
    if chromium_available():
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)  # the page fixture screenshots failed journeys
    return report


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per request would drown a failure's output
        pass


@pytest.fixture(scope="module")
def live_server(app):
    """The session's app served on a free loopback port; email links point at it while the module runs."""
    assert app.config.get("WTF_CSRF_ENABLED", True), "CSRF must stay on: the browser submits real forms"
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    base = f"http://127.0.0.1:{server.port}"
    saved = {key: app.config.get(key) for key in ("SERVER_NAME", "SITE_URL")}
    # SERVER_NAME "localhost" (tests/conftest.py) would make links built outside a request name another host;
    # SITE_URL is what invitation and reset emails link to.
    app.config.update(SERVER_NAME=urlsplit(base).netloc, SITE_URL=base)
    thread = threading.Thread(target=server.serve_forever, name="aocp-live-server", daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        app.config.update(saved)


@pytest.fixture(scope="module")
def chromium():
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:  # Playwright's sync API refuses to start inside a running event loop
        pytest.fail("an asyncio event loop is running: Playwright's sync API cannot be used here")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Browsing:
    """Opens pages, each in its own browser context (its own cookies: one person, one device), and
    collects whatever goes wrong in any of them."""

    def __init__(self, browser, base: str):
        self.browser = browser
        self.base = base
        self.host = urlsplit(base).netloc
        self.pages: dict[str, object] = {}
        self.problems: list[str] = []
        self.allowed: set[tuple[int, str]] = set()  # (status, path) of error responses a journey expects

    def expect_error_status(self, status: int, path: str) -> None:
        """A journey that opens a refused page expects its status (and Chromium's console line for it)."""
        self.allowed.add((status, path))

    def _expected(self, status: int, url: str) -> bool:
        parts = urlsplit(url)
        return parts.netloc == self.host and (status, parts.path) in self.allowed

    def new_page(self, label: str, phone: bool = False):
        """A page in a new context; `phone` gives it a small touch screen (mobile viewport)."""
        context = self.browser.new_context(base_url=self.base, locale="en-GB", timezone_id="Asia/Jakarta",
                                           **(PHONE if phone else {}))
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_REPORTER)
        context.on("console", lambda msg: self._console(label, msg))
        context.on("weberror", lambda err: self.problems.append(f"[{label}] uncaught error: {err.error}"))
        context.on("request", lambda req: self._request(label, req))
        context.on("response", lambda res: self._response(label, res))
        page = context.new_page()
        self.pages[label] = page
        return page

    def _console(self, label, msg) -> None:
        # Chromium's "[DOM]" advice (e.g. a password form without its account name) is logged as verbose.
        if msg.type not in ("error", "assert") and not msg.text.startswith("[DOM]"):
            return
        text = msg.text
        status = re.search(r"status of (\d{3})", text)
        if status and self._expected(int(status.group(1)), msg.location.get("url", "")):
            return
        self.problems.append(f"[{label}] console {msg.type}: {text} at {msg.location.get('url')}")

    def _request(self, label, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != self.host:
            self.problems.append(f"[{label}] request to another host: {request.method} {request.url}")

    def _response(self, label, response) -> None:
        if response.status >= 400 and not self._expected(response.status, response.url):
            self.problems.append(f"[{label}] HTTP {response.status} for {response.request.method} {response.url}")

    def assert_clean(self) -> None:
        assert self.problems == [], "the browser saw problems:\n" + "\n".join(self.problems)

    def screenshot_all(self, name: str) -> list[Path]:
        ARTIFACTS.mkdir(exist_ok=True)
        saved = []
        for label, page in self.pages.items():
            if page.is_closed():
                continue
            path = ARTIFACTS / f"{name}-{label}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
                (ARTIFACTS / f"{name}-{label}.html").write_text(page.content(), encoding="utf-8")
            except Exception:  # a crashed page must not hide the test's own failure
                continue
            saved.append(path)
        return saved

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture
def browsing(request, live_server, chromium):
    """`browsing.new_page(label)`; at the end, screenshots if the journey failed, and no stray problems."""
    b = Browsing(chromium, live_server)
    try:
        yield b
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
            b.screenshot_all(name)
    finally:
        b.close()


# Helpers shared by the journeys.

def sign_in(page, email: str, password: str = PASSWORD, go: bool = True) -> None:
    """Submit the sign-in form (opened afresh, or the one on screen when `go` is false); the caller checks
    where it leads (home, the code page, or the page that asked for a sign-in)."""
    if go:
        page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def assert_fits(page) -> None:
    """Nothing on the page is wider than the screen (no sideways scrolling on a phone)."""
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width}px wide on a {width}px screen"


def enter_code(page, code: str) -> None:
    from playwright.sync_api import expect

    expect(page).to_have_url(re.compile(r"/login/code$"))
    page.get_by_label(re.compile("Code from your authenticator app")).fill(code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def sign_out(page) -> None:
    from playwright.sync_api import expect

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_contain_text("You have signed out.")


SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOT_HEIGHT = 1480  # two phone screens: enough to show a page's layout, small enough to keep in git


def save_screenshot(page, name: str, height: int = SCREENSHOT_HEIGHT) -> None:
    """With AOCP_SCREENSHOTS=1, save the top of the page to docs/screenshots/<name>.png (else nothing)."""
    if os.environ.get("AOCP_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = min(height, page.evaluate("document.documentElement.scrollHeight"))
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, scale="css",
                    clip={"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height})
