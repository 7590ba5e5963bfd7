"""Browser journey in headless Chromium against a live server: an ASEC administrator invites a delegate, who
accepts, signs in, enrols a second factor, signs out and signs in again with a code.

Drives the system's Chromium (/usr/bin/chromium or AOCP_CHROMIUM) through Playwright; never downloads a browser.
"""
from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pyotp
import pytest
from werkzeug.serving import make_server

from aocp import create_app
from tests.conftest import PASSWORD, link_in, outbox, totp_now

CHROMIUM = os.environ.get("AOCP_CHROMIUM", "/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"Chromium not found at {CHROMIUM}: browser journeys skipped (apt-get install chromium)"),
]


@pytest.fixture
def live(app):
    """The test database served over HTTP on a free loopback port, with CSRF and real forms."""
    server_app = create_app("testing", {
        "DATABASE_URL": app.config["DATABASE_URL"], "UPLOAD_DIR": app.config["UPLOAD_DIR"],
        "MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"], "RATELIMIT_STORAGE_URL": "memory://"})
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    server_app.config["SITE_URL"] = f"http://127.0.0.1:{server.port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server_app.config["SITE_URL"]
    server.shutdown()
    thread.join(5)
    with server_app.app_context():
        from aocp.extensions import db
        db.engine.dispose()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"])
        yield chromium
        chromium.close()


def new_page(browser, base: str, problems: list[str]):
    """A fresh browser context whose console errors and off-site requests are collected in `problems`."""
    context = browser.new_context(base_url=base)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: problems.append(f"off-site request: {r.url}")
            if not r.url.startswith(base) and not r.url.startswith(("data:", "blob:")) else None)
    return page


def sign_in(page, email: str, password: str = PASSWORD):
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def next_step_code(secret: str) -> str:
    """A code from the next time step: the enrolment code's step may not be used twice."""
    step = int(time.time()) // 30
    while int(time.time()) // 30 == step:
        time.sleep(0.2)
    return pyotp.TOTP(secret).now()


def test_admin_invites_a_delegate_who_accepts_enrols_mfa_and_signs_in_again_with_a_code(
        live, browser, app, make_user, tmp_path):
    admin_id = make_user("asec_admin", email="admin@asec.example.org", mfa_on=True)
    problems: list[str] = []

    admin = new_page(browser, live, problems)
    sign_in(admin, "admin@asec.example.org")
    admin.get_by_label(re.compile("code", re.I)).first.fill(totp_now(app, admin_id))
    admin.get_by_role("button", name=re.compile("Continue|Verify|Sign in", re.I)).click()
    admin.goto("/admin/people/invite")
    admin.get_by_label("Email").fill("lan.nguyen@example.gov.vn")
    admin.get_by_label("Full name").fill("Nguyễn Thị Lan")
    admin.get_by_label("Organisation").select_option(label="Viet Nam (VNM)")
    admin.get_by_label("Role").select_option("delegate")
    admin.get_by_label(re.compile("Bodies")).select_option("WGTIM")
    admin.get_by_role("button", name=re.compile("invit", re.I)).click()
    admin.wait_for_load_state()
    assert "lan.nguyen@example.gov.vn" in admin.content()

    [message] = [m for m in outbox(app) if "lan.nguyen@example.gov.vn" in m["To"]]
    link = link_in(message, "/invitations/")

    delegate = new_page(browser, live, problems)
    delegate.goto(link)
    delegate.get_by_label("New password", exact=True).fill("Mekong river minerals 2026")
    delegate.get_by_label("Repeat the new password").fill("Mekong river minerals 2026")
    delegate.get_by_role("button").filter(has_text=re.compile("password|account|accept", re.I)).first.click()
    delegate.wait_for_load_state()
    if "/login" in delegate.url:
        sign_in(delegate, "lan.nguyen@example.gov.vn", "Mekong river minerals 2026")
    assert "WGTIM" in delegate.content()

    delegate.goto("/profile/mfa")
    secret = delegate.get_by_test_id("mfa-secret").inner_text().strip()
    delegate.get_by_label(re.compile("code", re.I)).first.fill(pyotp.TOTP(secret).now())
    delegate.get_by_role("button", name="Turn on").click()
    delegate.wait_for_load_state()
    assert re.search(r"recovery code", delegate.content(), re.I)

    delegate.goto("/")
    delegate.get_by_role("button", name="Sign out").click()
    delegate.wait_for_url(re.compile(r"/login"))
    sign_in(delegate, "lan.nguyen@example.gov.vn", "Mekong river minerals 2026")
    delegate.wait_for_url(re.compile(r"/login/code"))
    delegate.get_by_label(re.compile("code", re.I)).first.fill(next_step_code(secret))
    delegate.get_by_role("button", name=re.compile("Continue|Verify|Sign in", re.I)).click()
    delegate.wait_for_load_state()
    page = delegate.content()
    assert "Nguyễn Thị Lan" in page and "WGTIM" in page
    assert problems == []
