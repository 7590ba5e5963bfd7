"""Accessibility of the key pages: axe-core finds no serious or critical violation on any of them, on a phone
and on a desktop screen, and each fits a phone's width.

The pages hold the demo data (`flask demo`: people, documents, meetings, action items, AMCAP reports) plus a
second document version, comments, circulated minutes, a personal access token and an open invitation, and each
is opened by the person who uses it, first in a phone-sized browser (the PHONE context), then at 1,280 pixels.
axe-core (all its rules but the experimental ones) comes bundled with axe-playwright-python and is injected with
`page.evaluate`, which the page's Content-Security-Policy does not govern: nothing is fetched, and the CSP stays
as served.

AOCP_SCREENSHOTS=1 also saves each page's first 1,480 CSS pixels, 375 wide, to docs/screenshots/<page>.png.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from aocp.accounts import mfa
from aocp.accounts.invitations import invite
from aocp.accounts.services import create_token, find_user
from aocp.cli import DEMO_PASSWORD
from aocp.documents import services as documents
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings import services as meetings
from aocp.meetings.models import Meeting
from tests.browser.conftest import PHONE, assert_fits, enter_code, save_screenshot, sign_in
from tests.conftest import body, link_in, org, outbox, totp_now

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")
DESKTOP = {"width": 1280, "height": 800}
PLAN = "/plans/AMCAP-III-P2"

DELEGATE = "delegate.mys@example.gov.my"
CHAIR = "focal.mys@example.gov.my"
ADMIN = "admin@asec.example.org"


@dataclass
class Site:
    """Ids the key pages' addresses need, and the invitation link's path."""
    document: int
    meeting: int
    held_meeting: int
    agenda_item: int
    delegate: int
    admin: int
    invitation: str


def build_site(app) -> Site:
    """The demo data, and what the demo leaves out that the key pages show."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        delegate, chair, admin = find_user(DELEGATE), find_user(CHAIR), find_user(ADMIN)
        admin.mfa_secret, admin.mfa_enabled = mfa.new_secret(), True
        paper = db.session.execute(select(Document).where(Document.title == "Draft agenda, 21st WGTIM Meeting")
                                   ).scalar_one()
        with documents.committing():
            documents.add_version(delegate, paper, documents.Upload(io.BytesIO(
                b"Revised draft agenda: country reports moved before the action line review.\n"),
                "WGTIM-21-draft-agenda-rev1.txt"), "Country reports moved up")
        documents.add_comment(chair, paper, "Please add an item on the nickel value chain study.")
        documents.add_comment(delegate, paper, "Added as item 4 in the revised draft.")
        wgtim = body("WGTIM")
        upcoming, held = (db.session.execute(select(Meeting).where(Meeting.body_id == wgtim.id,
                                                                   Meeting.number == n)).scalar_one()
                          for n in (21, 20))
        minutes = meetings.minutes_of(held)
        meetings.save_minutes(chair, held, "# Minutes of the 20th WGTIM Meeting\n\n"
                              "1. The Chair opened the meeting.\n2. Member States presented their country "
                              "reports on **tin and bauxite** trade.\n", minutes.version)
        meetings.circulate_minutes(chair, held)
        meetings.comment_minutes(delegate, held, "Malaysia's export figures for 2024 are final.")
        meetings.add_decision(chair, held, "The meeting endorsed the trade barriers inventory.")
        create_token(delegate, "Reporting spreadsheet", "read")
        with app.test_request_context():  # the invitation email is rendered from a template
            invite(admin, "farah@mgb.example.my", "Farah Aziz", org("MYS"), "delegate", ["WGTIM"])
        db.session.commit()
        ids = {"document": paper.id, "meeting": upcoming.id, "held_meeting": held.id, "delegate": delegate.id,
               "admin": admin.id, "agenda_item": upcoming.items[0].id}
    return Site(**ids, invitation=link_in(outbox(app)[-1], "/invitations/"))


# (page name, address) by who opens them; names are the screenshots' file names.
ANONYMOUS_PAGES = [("sign-in", "/login"), ("invitation", "{invitation}")]
DELEGATE_PAGES = [
    ("home", "/"),
    ("documents", "/documents/"),
    ("document", "/documents/{document}"),
    ("document-audience", "/documents/{document}/audience"),
    ("upload", "/documents/upload"),
    ("search-results", "/documents/?q=country+report"),
    ("capacity-building", "/documents/capacity-building"),
    ("workspace", "/workspaces/WGTIM"),
    ("workspace-members", "/workspaces/WGTIM/members"),
    ("meeting", "/meetings/{meeting}"),
    ("meeting-readiness", "/meetings/{meeting}/readiness"),
    ("meeting-guest-view", "/meetings/{meeting}/guest"),
    ("meeting-agenda", "/meetings/{meeting}/agenda"),
    ("meeting-papers", "/meetings/{meeting}/papers"),
    ("meeting-participants", "/meetings/{meeting}/participants"),
    ("meeting-actions", "/meetings/{meeting}/actions"),
    ("action-items", "/actions/"),
    ("calendar", "/calendar"),
    ("calendar-list", "/calendar/list"),
    ("calendar-link", "/calendar/feed-link"),
    ("search", "/search?q=nickel"),
    ("plan-dashboard", f"{PLAN}/dashboard"),
    ("action-line", f"{PLAN}/lines/TI1.1"),
    ("progress-report", f"{PLAN}/lines/TI1.1/reports/2025/Q4"),
    ("notifications", "/notifications/"),
    ("profile", "/profile/"),
    ("error-403", "/admin/people"),
    ("error-404", "/documents/999999"),
]
CHAIR_PAGES = [("meeting-chair", "/meetings/{meeting}"), ("meeting-agenda-chair", "/meetings/{meeting}/agenda"),
               ("meeting-papers-chair", "/meetings/{meeting}/papers"),
               ("meeting-participants-chair", "/meetings/{held_meeting}/participants"),
               ("meeting-actions-chair", "/meetings/{meeting}/actions"),
               ("agenda-item-edit", "/meetings/{meeting}/items/{agenda_item}/edit"),
               ("meeting-guests", "/meetings/{meeting}/guests"),
               ("minutes-editor", "/meetings/{held_meeting}/minutes")]
ADMIN_PAGES = [
    ("admin-people", "/admin/people"),
    ("admin-person", "/admin/people/{delegate}"),
    ("invitations", "/admin/invitations"),
    ("audit-log", "/admin/audit"),
    ("profile-mfa", "/profile/"),
]
ERROR_PAGES = {"error-403": 403, "error-404": 404}


def blocking_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line per rule."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    width = page.viewport_size["width"]
    return [f"{page.url} at {width}px: {v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
            for v in results["violations"] if v["impact"] in BLOCKING]


def open_page(browsing, page, site: Site, name: str, address: str) -> str | None:
    """Go to the page; what is wrong if it did not answer as expected."""
    path = address.format(**vars(site))
    status = ERROR_PAGES.get(name, 200)
    if status != 200:
        browsing.expect_error_status(status, path.split("?")[0])
    response = page.goto(path)
    return None if response.status == status else f"{name}: {path} answered {response.status}, not {status}"


def check_pages(browsing, page, site: Site, pages: list[tuple[str, str]]) -> list[str]:
    """Each page on the phone (fits the screen, no blocking violation; screenshot when asked), then each
    again on a desktop-sized screen (no blocking violation); every finding, so that one run lists them all."""
    found = []
    for name, address in pages:
        if wrong := open_page(browsing, page, site, name, address):
            found.append(wrong)
            continue
        try:
            assert_fits(page)
        except AssertionError as err:
            found.append(f"{name}: {err}")
        found += blocking_violations(page)
        save_screenshot(page, name)
    page.set_viewport_size(DESKTOP)
    for name, address in pages:
        if not open_page(browsing, page, site, name, address):
            found += blocking_violations(page)
    page.set_viewport_size(PHONE["viewport"])
    return found


@pytest.fixture
def site(app) -> Site:
    return build_site(app)


def test_sign_in_second_factor_and_invitation_pages_have_no_serious_violations(browsing, app, site):
    page = browsing.new_page("anonymous", phone=True)
    found = check_pages(browsing, page, site, ANONYMOUS_PAGES)
    sign_in(page, ADMIN, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/login/code$"))
    found += check_pages(browsing, page, site, [("second-factor", "/login/code")])
    enter_code(page, totp_now(app, site.admin))
    assert found == [], "\n".join(found)
    browsing.assert_clean()


def test_delegates_pages_have_no_serious_violations(browsing, site):
    page = browsing.new_page("delegate", phone=True)
    sign_in(page, DELEGATE, DEMO_PASSWORD)
    found = check_pages(browsing, page, site, DELEGATE_PAGES)
    assert found == [], "\n".join(found)
    browsing.assert_clean()


def test_chairs_meeting_and_minutes_pages_have_no_serious_violations(browsing, site):
    page = browsing.new_page("chair", phone=True)
    sign_in(page, CHAIR, DEMO_PASSWORD)
    found = check_pages(browsing, page, site, CHAIR_PAGES)
    assert found == [], "\n".join(found)
    browsing.assert_clean()


def test_administrators_pages_have_no_serious_violations(browsing, app, site):
    page = browsing.new_page("admin", phone=True)
    sign_in(page, ADMIN, DEMO_PASSWORD)
    enter_code(page, totp_now(app, site.admin))
    found = check_pages(browsing, page, site, ADMIN_PAGES)
    assert found == [], "\n".join(found)
    browsing.assert_clean()


def test_axe_runs_under_the_pages_csp_and_reports_a_missing_label(browsing):
    page = browsing.new_page("control", phone=True)
    response = page.goto("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert blocking_violations(page) == []
    page.evaluate("document.querySelector('label[for=email]').remove()")
    found = blocking_violations(page)
    assert len(found) == 1 and ": label (critical): " in found[0] and "#email" in found[0], found
    browsing.assert_clean()
