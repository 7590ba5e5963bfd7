"""Journeys: My AOCP brings each person's work to them, on a desktop and on a phone.

A Thai delegate of WGTIM starts at the home page and reaches their next meeting's papers, their country's due
progress report and their Member State's action item in at most two clicks each. The WGCBM chair (who monitors
AMCAP every quarter with ASEC) and an ASEC officer each find a report just submitted in their queue on the home
page and accept it. A focal person sees their nomination waiting on the home page, then approved.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.meetings.assignments import ActionDetails, add_action
from aocp.meetings.models import Meeting
from aocp.plans import reports
from aocp.plans.models import ActionLine
from aocp.timeutil import utcnow
from tests.browser.conftest import assert_fits, enter_code, save_screenshot, sign_in
from tests.conftest import body, org, totp_now
from tests.meetings.conftest import schedule, soon
from tests.plans.conftest import new_plan

pytestmark = pytest.mark.browser

PLAN = "JOURNEY-PLAN"
THAI = "somchai@dmr.example.th"
WGCBM_CHAIR = "lan.nguyen@monre.example.vn"
STAFF = "dewi@asean.example.org"


def world(app, make_user) -> dict[str, int]:
    """A plan taking reports this quarter with two lines Thailand leads, the 22nd WGTIM meeting in 20 days and an
    action item owned by Thailand."""
    ids = {
        "thai": make_user("delegate", org_code="THA", email=THAI, name="Somchai Wongsakul", bodies={"WGTIM": "member"}),
        "chair": make_user("focal_person", org_code="PHL", email="ramon@mgb.example.ph", name="Ramon dela Cruz",
                           bodies={"WGTIM": "chair"}),
        "wgcbm": make_user("delegate", org_code="VNM", email=WGCBM_CHAIR, name="Nguyen Thi Lan",
                           bodies={"WGCBM": "chair"}),
        "staff": make_user("asec_staff", email=STAFF, name="Dewi Lestari"),
    }
    with app.app_context():
        staff, chair = db.session.get(User, ids["staff"]), db.session.get(User, ids["chair"])
        year = utcnow().year
        plan = new_plan(staff, code=PLAN, start=year - 1, end=year + 3, lines=2)
        for line in db.session.execute(db.select(ActionLine).where(ActionLine.plan_id == plan.id)).scalars():
            line.leads = [org("THA")]
        db.session.commit()
        ids["meeting"] = schedule(ids["chair"], "WGTIM", 20, number=22, venue="Centara Grand, Bangkok",
                                  paper_deadline=soon(10))
        meeting = db.session.get(Meeting, ids["meeting"])
        add_action(chair, body("WGTIM"), ActionDetails(title="Send the summary of Thailand's new minerals act",
                                                       owner_org=org("THA"), due_on=soon(5)), meeting)
        db.session.commit()
    return ids


def panel(page, name: str):
    return page.locator(f"#panel-{name}")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_thai_delegate_reaches_papers_report_and_action_items_from_home(browsing, app, make_user, phone):
    ids = world(app, make_user)
    page = browsing.new_page("thai-delegate", phone=phone)
    sign_in(page, THAI)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Somchai Wongsakul")
    if phone:
        assert_fits(page)
    save_screenshot(page, "my-aocp-phone" if phone else "my-aocp-desktop", height=1480 if phone else 900)

    # Meetings ahead: the 22nd WGTIM meeting, papers due, Thailand's country report still missing. One click.
    meetings = panel(page, "meetings")
    expect(meetings).to_contain_text("22nd WGTIM Meeting")
    expect(meetings).to_contain_text("THA report missing")
    meetings.get_by_role("link", name="Papers").first.click()
    expect(page).to_have_url(re.compile(rf"/meetings/{ids['meeting']}/papers$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("22nd WGTIM Meeting")
    page.go_back()

    # Reports due: this quarter's report of T1.1, which Thailand leads. One click to its page, ready to file.
    due = panel(page, "reports-due")
    expect(due).to_contain_text("not started", ignore_case=True)
    year, quarter = reports.quarter_of(utcnow().date())
    due.get_by_role("link", name=f"T1.1, {year} Q{quarter}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Progress report: T1.1, {year} Q{quarter}")
    if phone:
        assert_fits(page)
    page.go_back()

    # My action items: Thailand's item, one click to the list of items owned by them or their Member State.
    actions = panel(page, "actions")
    actions.get_by_role("link", name="Send the summary of Thailand's new minerals act").click()
    expect(page).to_have_url(re.compile(r"/actions/\?owner=me"))
    expect(page.get_by_role("main")).to_contain_text("Send the summary of Thailand's new minerals act")
    browsing.assert_clean()


def _submit(app, ids, line_code: str):
    with app.app_context():
        thai = db.session.get(User, ids["thai"])
        line = db.session.execute(db.select(ActionLine).join(ActionLine.plan)
                                  .where(ActionLine.code == line_code, ActionLine.plan.has(code=PLAN))).scalar_one()
        year, quarter = reports.quarter_of(utcnow().date())
        report = reports.save_draft(thai, line, year, quarter, status="on_track",
                                    narrative="National workshop held with the provinces.")
        reports.submit_report(thai, report, report.version)
        db.session.commit()


def _accept_from_home(page, line_code: str, panel_name: str) -> None:
    queue = panel(page, panel_name)
    year, quarter = reports.quarter_of(utcnow().date())
    queue.get_by_role("link", name=f"{line_code}, {year} Q{quarter}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Progress report: {line_code}, {year} Q{quarter}")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_contain_text("accepted", ignore_case=True)
    page.goto("/")
    expect(page.locator(f"#panel-{panel_name}").get_by_role("link", name=f"{line_code}, {year} Q{quarter}")) \
        .to_have_count(0)


def test_the_wgcbm_chair_and_an_asec_officer_find_a_submitted_report_in_their_queue_and_accept_it(
        browsing, app, make_user):
    ids = world(app, make_user)
    _submit(app, ids, "T1.1")
    _submit(app, ids, "T1.2")

    chair = browsing.new_page("wgcbm-chair")
    sign_in(chair, WGCBM_CHAIR)
    expect(panel(chair, "review")).to_contain_text("Waiting for my review")
    _accept_from_home(chair, "T1.1", "review")

    staff = browsing.new_page("asec-officer")
    sign_in(staff, STAFF)
    submitted = panel(staff, "submitted")
    expect(submitted).to_contain_text("Reports submitted and waiting")
    expect(submitted.get_by_role("link", name=re.compile(r"^T1\.1, "))).to_have_count(0)  # the chair decided it
    _accept_from_home(staff, "T1.2", "submitted")
    browsing.assert_clean()


def test_a_focal_person_sees_their_nomination_waiting_then_approved(browsing, app, make_user):
    make_user("focal_person", org_code="MYS", email="faizal@kln.gov.example.my", name="Ahmad Faizal")
    admin_id = make_user("asec_admin", email="admin@asean.example.org", name="Siti Rahmawati", mfa_on=True)

    focal = browsing.new_page("focal", phone=True)
    sign_in(focal, "faizal@kln.gov.example.my")
    focal.get_by_role("navigation", name="Main").get_by_role("link", name="Nominate a delegate").click()
    focal.get_by_label("Email").fill("nurul@kln.gov.example.my")
    focal.get_by_label("Full name").fill("Nurul Aisyah")
    focal.get_by_role("button", name="Nominate").click()
    expect(focal.get_by_role("status")).to_contain_text("Nurul Aisyah is nominated.")
    focal.goto("/")
    expect(panel(focal, "my-nominations")).to_contain_text("nurul@kln.gov.example.my")
    assert_fits(focal)

    admin = browsing.new_page("admin")
    sign_in(admin, "admin@asean.example.org")
    enter_code(admin, totp_now(app, admin_id))
    pending = panel(admin, "nominations")
    expect(pending).to_contain_text("nurul@kln.gov.example.my")
    pending.get_by_role("link", name="All nominations").click()
    admin.get_by_role("row").filter(has_text="nurul@kln.gov.example.my") \
        .get_by_role("button", name="Approve and send").click()
    expect(admin.get_by_role("status")).to_contain_text("approved and sent")

    # The focal person is told, and the nomination has left their home page.
    focal.goto("/")
    expect(panel(focal, "my-nominations")).not_to_contain_text("nurul@kln.gov.example.my")
    focal.goto("/notifications/")
    expect(focal.get_by_role("main")).to_contain_text("Nurul Aisyah")
    expect(focal.get_by_role("main")).to_contain_text("approved", ignore_case=True)
    browsing.assert_clean()
