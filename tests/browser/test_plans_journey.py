"""Journey: the lead country files its Q3 progress report on an AMCAP action line, the working-group chair returns
it with a comment, the lead country resubmits, the chair accepts (the report is locked), and ASEC downloads the
JWG quarterly monitoring pack as XLSX, which shows the accepted status.

Thailand leads TI1.2 of AMCAP-III Phase 2 (a WGTIM line); the seed leaves leads empty, so the setup sets it
through the plan services, with one 2025 milestone to report % done on. The plan ran 2021-2025, so 2025 Q3 is a
past quarter of the plan: the line page offers its latest quarter, and a past quarter is opened at its address.
"""
from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.plans import reports, services
from tests.browser.conftest import sign_in
from tests.conftest import org
from tests.plans.conftest import line as plan_line

pytestmark = pytest.mark.browser

PLAN = "AMCAP-III-P2"
LINE = "TI1.2"
REPORT_PATH = f"/plans/{PLAN}/lines/{LINE}/reports/2025/Q3"
MILESTONE = "Regional study of investment impediments published"
FIRST_NARRATIVE = "Draft study circulated to WGTIM members; two Member States have yet to reply."
RETURN_COMMENT = "Please say which Member States are missing and when the study will be published."
FINAL_NARRATIVE = "Replies received from Cambodia and Lao PDR; the study goes to the 22nd WGTIM for endorsement."


def setup_plan(app, make_user) -> dict[str, int]:
    ids = {
        "thai": make_user("focal_person", email="kanokwan@dpim.example.th", name="Kanokwan Chaiyaporn",
                          org_code="THA"),
        "chair": make_user("focal_person", email="ramon@mgb.example.ph", name="Ramon dela Cruz", org_code="PHL",
                           bodies={"WGTIM": "chair"}),
        "staff": make_user("asec_staff", email="dewi@asean.example.org", name="Dewi Lestari"),
    }
    with app.app_context():
        staff = db.session.get(User, ids["staff"])
        line = plan_line(LINE)
        services.update_action_line(staff, line, text=line.text, body=line.body, leads=[org("THA")],
                                    participants=list(line.participants), indicators=line.indicators or "")
        services.add_milestone(staff, line, year=2025, text=MILESTONE, target="1 study")
        db.session.commit()
    return ids


def flash(page):
    return page.get_by_role("status")


def state_of(page):
    return page.locator("dt:has-text('State') + dd")


def test_lead_files_q3_chair_returns_lead_resubmits_chair_accepts_asec_downloads_jwg_pack(
        browsing, app, make_user, tmp_path):
    setup_plan(app, make_user)

    # Kanokwan, Thailand's focal person, finds the action line her country leads.
    thai = browsing.new_page("thai-focal-person")
    sign_in(thai, "kanokwan@dpim.example.th")
    thai.get_by_role("navigation", name="Main").get_by_role("link", name="AMCAP").click()
    expect(thai.get_by_role("heading", level=1)).to_have_text("AMCAP plans")
    thai.get_by_role("link", name=PLAN, exact=True).click()
    thai.get_by_role("link", name=LINE, exact=True).click()
    expect(thai.get_by_role("heading", level=1)).to_contain_text(LINE)
    expect(thai.locator("dt:has-text('Lead Member States') + dd")).to_have_text("Thailand")
    expect(thai.get_by_role("link", name="Report on 2025 Q4")).to_be_visible()
    expect(thai.get_by_text("No reports filed yet.")).to_be_visible()

    # She files the 2025 Q3 report and submits it.
    thai.goto(REPORT_PATH)
    expect(thai.get_by_role("heading", level=1)).to_have_text(f"Progress report: {LINE}, 2025 Q3")
    expect(state_of(thai)).to_have_text("Not started")
    thai.get_by_label("Status of the action line").select_option(label="Delayed")
    thai.get_by_label(re.compile(MILESTONE)).fill("40")
    thai.get_by_label("Narrative").fill(FIRST_NARRATIVE)
    thai.get_by_role("button", name="Submit for review").click()
    expect(flash(thai)).to_contain_text("Report submitted for review.")
    expect(state_of(thai)).to_have_text("Submitted for review")
    expect(thai.get_by_role("button", name="Save draft")).to_have_count(0)

    # Ramon, chair of WGTIM, finds it on the action line and returns it with a comment.
    chair = browsing.new_page("wgtim-chair")
    sign_in(chair, "ramon@mgb.example.ph")
    chair.get_by_role("navigation", name="Main").get_by_role("link", name="AMCAP").click()
    chair.get_by_role("link", name=PLAN, exact=True).click()
    chair.get_by_role("link", name=LINE, exact=True).click()
    chair.get_by_role("link", name="2025 Q3").click()
    expect(chair).to_have_url(re.compile(re.escape(REPORT_PATH) + "$"))
    report_card = chair.get_by_role("region", name="Report")
    expect(report_card).to_contain_text("Delayed")
    expect(report_card).to_contain_text("40% done")
    expect(report_card).to_contain_text(FIRST_NARRATIVE)
    chair.get_by_label("Comment for the lead country").fill(RETURN_COMMENT)
    chair.get_by_role("button", name="Return with comment").click()
    expect(flash(chair)).to_contain_text("Report returned to the lead country with your comments.")
    expect(state_of(chair)).to_have_text("Returned with comments")
    expect(chair.get_by_role("button", name="Accept")).to_have_count(0)

    # Kanokwan sees the comment, edits her report and resubmits it.
    thai.reload()
    expect(state_of(thai)).to_have_text("Returned with comments")
    expect(thai.locator("dt:has-text(\"Reviewer's comment\") + dd")).to_have_text(RETURN_COMMENT)
    expect(thai.get_by_label("Narrative")).to_have_value(FIRST_NARRATIVE)
    expect(thai.get_by_label(re.compile(MILESTONE))).to_have_value("40")
    thai.get_by_label("Status of the action line").select_option(label="On track")
    thai.get_by_label(re.compile(MILESTONE)).fill("60")
    thai.get_by_label("Narrative").fill(FINAL_NARRATIVE)
    thai.get_by_role("button", name="Resubmit for review").click()
    expect(flash(thai)).to_contain_text("Report resubmitted for review.")
    expect(state_of(thai)).to_have_text("Submitted for review")

    # Ramon accepts it: the report is locked for everyone.
    chair.reload()
    expect(state_of(chair)).to_have_text("Submitted for review")
    expect(report_card).to_contain_text("On track")
    expect(report_card).to_contain_text("60% done")
    expect(report_card).to_contain_text(FINAL_NARRATIVE)
    chair.get_by_role("button", name="Accept").click()
    expect(flash(chair)).to_contain_text("Report accepted; it is now locked.")
    expect(state_of(chair)).to_have_text("Accepted (locked)")
    expect(chair.get_by_role("button", name="Accept")).to_have_count(0)
    expect(chair.get_by_role("button", name="Return with comment")).to_have_count(0)

    thai.reload()
    expect(state_of(thai)).to_have_text("Accepted (locked)")
    expect(thai.get_by_role("button", name=re.compile("Save draft|Submit|Resubmit"))).to_have_count(0)
    expect(thai.get_by_role("region", name="Report")).to_contain_text(FINAL_NARRATIVE)
    history = thai.get_by_role("region", name="Revision history")
    expect(history).to_contain_text("Kanokwan Chaiyaporn")
    expect(history).to_contain_text("Ramon dela Cruz")

    with app.app_context():
        report = reports.get_report(plan_line(LINE), 2025, 3)
        assert (report.state, report.status, report.narrative) == ("accepted", "on_track", FINAL_NARRATIVE)
        assert report.locked
        assert [mp.percent for mp in report.milestone_progress] == [60]
        states = [r.state for r in reports.revisions(report)]
        assert states[-3:] == ["returned", "submitted", "accepted"]
        assert states.count("submitted") == 2

    # Dewi, at the ASEAN Secretariat, downloads the JWG quarterly monitoring report for 2025 Q3 as XLSX.
    asec = browsing.new_page("asec-staff")
    sign_in(asec, "dewi@asean.example.org")
    asec.get_by_role("navigation", name="Main").get_by_role("link", name="AMCAP").click()
    asec.get_by_role("link", name=PLAN, exact=True).click()
    asec.get_by_role("link", name="Review packs").click()
    expect(asec.get_by_role("heading", level=1)).to_contain_text("Review packs")
    asec.get_by_label("Pack", exact=True).select_option(label="JWG quarterly monitoring report")
    asec.get_by_label("Year (JWG and ASOMM)").select_option("2025")
    asec.get_by_label("Quarter (JWG)").select_option(label="Q3")
    asec.get_by_label("Format").select_option(label="Excel workbook (XLSX)")
    with asec.expect_download() as info:
        asec.get_by_role("button", name="Download").click()
    download = info.value
    assert re.fullmatch(rf"{PLAN}-JWG-monitoring-2025-Q3-as-of-\d{{4}}-\d{{2}}-\d{{2}}\.xlsx",
                        download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    workbook = load_workbook(saved, read_only=True)
    try:
        summary = [row for row in workbook["Summary"].iter_rows(values_only=True)]
        assert "JWG quarterly monitoring report, 2025 Q3" in summary[0][0]
        rows = list(workbook["Action lines"].iter_rows(values_only=True))
        header, lines = rows[0], {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
        assert header[:7] == ("Code", "Action line", "Working group", "Lead", "Status", "% done",
                              "Reported for 2025 Q3")
        ours = lines[LINE]
        assert ours["Lead"] == "THA"
        assert ours["Working group"] == "WGTIM"
        assert ours["Status"] == "On track"
        assert ours["Reported for 2025 Q3"] == "On track"
        assert ours["% done"] == 60
        assert ours["Narrative"] == FINAL_NARRATIVE
        assert lines["TI1.1"]["Reported for 2025 Q3"] == "No accepted report"
        assert len(lines) == 30
    finally:
        workbook.close()

    browsing.assert_clean()
