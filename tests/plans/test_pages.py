"""AMCAP pages: plans, structure forms, import, action lines and the quarterly report workflow, per role."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from aocp.audit import AuditEntry
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings.models import ActionItem
from aocp.plans.models import ActionLine, Milestone, Plan, ProgrammeArea, ProgressReport, Strategy
from tests.conftest import body, csrf_token, org, post_form, sign_in
from tests.plans.conftest import PHASE2, file_accepted, line

PLAN_URL = f"/plans/{PHASE2}"
LINE_URL = f"{PLAN_URL}/lines/TI1.1"
Q3 = f"{LINE_URL}/reports/2025/Q3"
ROLES = ("admin", "staff", "lead_focal", "lead_delegate", "other_delegate", "chair", "observer")




class Browser:
    """A test client whose every request runs in its own application context, as in production: the test's
    own context (and its `g`, where the signed-in user and the CSRF token are cached) is not shared."""

    def __init__(self, app):
        self.app, self.client = app, app.test_client()

    def _send(self, method: str, *args, **kwargs):
        with self.app.app_context():
            return getattr(self.client, method)(*args, **kwargs)

    def get(self, *args, **kwargs):
        return self._send("get", *args, **kwargs)

    def post(self, *args, **kwargs):
        return self._send("post", *args, **kwargs)

    def get_cookie(self, *args, **kwargs):
        return self.client.get_cookie(*args, **kwargs)


@pytest.fixture
def browser(app, people):
    """browser('chair') -> a browser signed in as that person (one per person)."""
    clients = {}

    def get(who: str) -> Browser:
        if who not in clients:
            clients[who] = Browser(app)
            sign_in(app, clients[who], people[who].id)
        return clients[who]
    return get


def text(r) -> str:
    return r.get_data(as_text=True)


def version_on(page: str) -> str:
    match = re.search(r'id="version" name="version" type="hidden" value="([^"]*)"', page)
    assert match, "no version field on the page"
    return match.group(1)


def report_row() -> ProgressReport | None:
    db.session.expire_all()
    return db.session.execute(select(ProgressReport).where(
        ProgressReport.action_line_id == line("TI1.1").id, ProgressReport.year == 2025,
        ProgressReport.quarter == 3)).scalar_one_or_none()


def audits(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


# --- plans and structure --------------------------------------------------------------------------

@pytest.mark.parametrize("who", [r for r in ROLES if r != "observer"])  # partners: tests/plans/test_partners.py
def test_all_of_asean_sees_the_plans_and_the_structure(browser, who):
    r = browser(who).get("/plans/")
    assert r.status_code == 200
    assert PHASE2 in text(r) and ">AMCAP</a>" in text(r)
    page = text(browser(who).get(PLAN_URL))
    assert "Trade and Investment in Minerals" in page and "TI1.1" in page and "MD2.3" in page
    assert ("Add action line" in page) is (who in ("admin", "staff"))


def test_someone_not_signed_in_is_sent_to_sign_in(client, ctx):
    r = client.get(PLAN_URL)
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_the_structure_shows_leads_working_group_latest_status_and_flag(browser, people):
    ti11 = line("TI1.1")
    db.session.add(Milestone(action_line=ti11, year=2024, text="Policy statement drafted",
                             due_on=date(2024, 12, 31)))
    db.session.commit()
    file_accepted(people["lead_focal"], people["chair"], line("TI1.1"), 2025, 2, "delayed")
    db.session.commit()
    page = text(browser("other_delegate").get(PLAN_URL))
    row = page[page.index(">TI1.1</a>"):page.index(">TI1.2</a>")]
    assert "MYS" in row and "WGTIM" in row and "Delayed" in row and "2025 Q2" in row and "Red" in row


@pytest.mark.parametrize("url", [
    "/plans/NO-SUCH-PLAN", "/plans/NO-SUCH-PLAN/dashboard", f"{PLAN_URL}/lines/XX9.9",
    f"{PLAN_URL}/lines/XX9.9/reports/2025/Q3", f"{LINE_URL}/reports/2025/Q5", f"{LINE_URL}/reports/2025/Q0",
    f"{LINE_URL}/reports/2019/Q1", f"{LINE_URL}/reports/2025/Q-1", f"{LINE_URL}/reports/2025/3",
    "/plans/" + "X" * 300, f"{PLAN_URL}/lines/" + "Y" * 300,
])
def test_unknown_plans_lines_and_quarters_answer_404(browser, url):
    r = browser("lead_focal").get(url)
    assert r.status_code == 404


def test_a_quarter_that_has_not_started_answers_404_with_a_clear_message(browser, people):
    new = Plan(code="FUTURE", name="Future", start_year=2026, end_year=2030, status="active")
    db.session.add(new)
    db.session.commit()
    r = browser("admin").get("/plans/FUTURE/lines/T1.1/reports/2027/Q1")
    assert r.status_code == 404


def test_asec_builds_a_plan_through_the_forms_and_each_step_is_audited(browser):
    c = browser("staff")
    r = post_form(c, "/plans/new", {"code": "amcap-iv-p1", "name": "AMCAP-IV Phase 1", "start_year": "2026",
                                    "end_year": "2030", "status": "draft", "carried_from": PHASE2})
    assert r.status_code == 302 and r.headers["Location"].endswith("/plans/AMCAP-IV-P1")
    base = "/plans/AMCAP-IV-P1"
    assert post_form(c, f"{base}/areas/new", {"code": "TIM", "name": "Trade and investment",
                                              "working_group": "WGTIM"}).status_code == 302
    db.session.expire_all()
    area = db.session.execute(select(ProgrammeArea).join(Plan).where(Plan.code == "AMCAP-IV-P1")).scalar_one()
    assert post_form(c, f"{base}/strategies/new", {"area": str(area.id), "code": "TI1",
                                                   "title": "Open markets"}).status_code == 302
    strategy = db.session.execute(select(Strategy).where(Strategy.area_id == area.id)).scalar_one()
    r = post_form(c, f"{base}/lines/new", {"strategy": str(strategy.id), "code": "TI1.1", "text": "Open up",
                                           "leads": ["MYS", "PHL"], "participants": ["JPN"], "body": ""})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"{base}/lines/TI1.1")
    r = post_form(c, f"{base}/lines/TI1.1/milestones/new", {"year": "2027", "text": "Study done", "target": "1"})
    assert r.status_code == 302
    plan = db.session.execute(select(Plan).where(Plan.code == "AMCAP-IV-P1")).scalar_one()
    new = line("TI1.1", plan)
    assert plan.carried_from.code == PHASE2 and [o.code for o in new.leads] == ["MYS", "PHL"]
    assert new.body.code == "WGTIM" and [m.text for m in new.milestones] == ["Study done"]
    for action in ("plan.created", "plan.area_added", "plan.strategy_added", "action_line.created",
                   "milestone.added"):
        assert audits(action) == 1
    page = text(c.get(f"{base}/lines/TI1.1"))
    assert "Study done" in page and "Malaysia" in page and "Japan" in page
    r = post_form(c, f"{base}/edit", {"name": "AMCAP-IV Phase 1", "start_year": "2026", "end_year": "2030",
                                      "status": "active"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).status == "active"


@pytest.mark.parametrize("who", ["lead_focal", "lead_delegate", "chair", "observer"])
def test_only_asec_may_open_or_post_the_structure_forms(browser, who):
    c = browser(who)
    for url in ("/plans/new", f"{PLAN_URL}/edit", f"{PLAN_URL}/areas/new", f"{PLAN_URL}/lines/new",
                f"{LINE_URL}/milestones/new", f"{LINE_URL}/carry-over", f"{PLAN_URL}/import",
                f"{PLAN_URL}/import/template.csv"):
        assert c.get(url).status_code == 403, url
    token = csrf_token(c, "/plans/")
    r = c.post("/plans/new", data={"csrf_token": token, "code": "X-1", "name": "X", "start_year": "2026",
                                   "end_year": "2027", "status": "draft"})
    assert r.status_code == 403
    assert db.session.scalar(select(func.count(Plan.id))) == 1


def test_plan_form_errors_are_shown_on_their_field_and_change_nothing(browser):
    c = browser("admin")
    r = post_form(c, "/plans/new", {"code": PHASE2, "name": "Again", "start_year": "2021", "end_year": "2025",
                                    "status": "draft"})
    assert r.status_code == 400 and f"There is already a plan with code {PHASE2}." in text(r)
    r = post_form(c, "/plans/new", {"code": "NEW-1", "name": "Backwards", "start_year": "2030",
                                    "end_year": "2026", "status": "draft"})
    assert r.status_code == 400 and "cannot end before it starts" in text(r)
    r = post_form(c, f"{PLAN_URL}/lines/TI1.1/milestones/new", {"year": "2031", "text": "Late"})
    assert r.status_code == 400 and "within the plan" in text(r)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Plan.id))) == 1
    assert db.session.scalar(select(func.count(Milestone.id))) == 0


def test_a_form_without_its_csrf_token_is_refused(browser):
    r = browser("admin").post("/plans/new", data={"code": "NEW-2", "name": "No token", "start_year": "2026",
                                                  "end_year": "2027", "status": "draft"})
    assert r.status_code == 400
    assert db.session.scalar(select(func.count(Plan.id))) == 1


def test_the_import_template_downloads_and_a_bad_file_lists_its_rows(browser):
    c = browser("staff")
    r = c.get(f"{PLAN_URL}/import/template.xlsx")
    assert r.status_code == 200 and r.data[:2] == b"PK" and "attachment" in r.headers["Content-Disposition"]
    r.close()
    r = c.get(f"{PLAN_URL}/import/template.csv")
    assert r.status_code == 200 and b"area_code,area_name" in r.data
    r.close()
    plan = services_plan(c)
    bad = ("area_code,area_name,strategy_code,strategy_title,action_line_code,action_line_text,leads\n"
           "TST,Testing,T1,Strategy,T1.1,First,MYS\n"
           "TST,,T1,,T1.2,,XXX\n")
    r = c.post(f"/plans/{plan}/import", data={"csrf_token": csrf_token(c, f"/plans/{plan}/import"),
                                              "file": (io.BytesIO(bad.encode()), "lines.csv")},
               content_type="multipart/form-data")
    assert r.status_code == 422
    assert "Nothing was imported" in text(r) and "<td>3</td>" in text(r)
    assert db.session.scalar(select(func.count(ActionLine.id)).join(Plan).where(Plan.code == plan)) == 0
    good = bad.splitlines()[0] + "\n" + bad.splitlines()[1] + "\n"
    r = c.post(f"/plans/{plan}/import", data={"csrf_token": csrf_token(c, f"/plans/{plan}/import"),
                                              "file": (io.BytesIO(good.encode()), "lines.csv")},
               content_type="multipart/form-data")
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ActionLine.id)).join(Plan).where(Plan.code == plan)) == 1


def services_plan(c) -> str:
    r = post_form(c, "/plans/new", {"code": "IMPORTED", "name": "Imported", "start_year": "2026",
                                    "end_year": "2030", "status": "draft"})
    assert r.status_code == 302
    return "IMPORTED"


def test_asec_carries_an_unfinished_line_over_into_the_next_plan(browser):
    c = browser("admin")
    services_plan(c)
    assert post_form(c, "/plans/IMPORTED/areas/new", {"code": "TIM", "name": "Trade"}).status_code == 302
    db.session.expire_all()
    area = db.session.execute(select(ProgrammeArea).join(Plan).where(Plan.code == "IMPORTED")).scalar_one()
    post_form(c, "/plans/IMPORTED/strategies/new", {"area": str(area.id), "code": "TI1", "title": "Open"})
    strategy = db.session.execute(select(Strategy).where(Strategy.area_id == area.id)).scalar_one()
    r = post_form(c, f"{LINE_URL}/carry-over", {"strategy": str(strategy.id), "code": ""})
    assert r.status_code == 302 and r.headers["Location"].endswith("/plans/IMPORTED/lines/TI1.1")
    page = text(c.get("/plans/IMPORTED/lines/TI1.1"))
    assert f'href="/plans/{PHASE2}/lines/TI1.1"' in page and "Carried over from" in page
    assert "Continued in" in text(c.get(LINE_URL))
    r = post_form(c, f"{LINE_URL}/carry-over", {"strategy": str(strategy.id), "code": ""})
    assert r.status_code == 400 and "already carried over" in text(r)


# --- the action line page --------------------------------------------------------------------------

def _document(people, title: str, level: str, uploader="lead_focal", access_body=None) -> int:
    from aocp.documents import services as documents

    details = documents.Details(title=title, org=org("MYS"), doc_type="country_report", language="en",
                                action_line="TI1.1")
    doc = documents.create(people[uploader], documents.Upload(io.BytesIO(b"evidence text"), f"{title}.txt"),
                           details, documents.Access(level, body(access_body) if access_body else None))
    db.session.commit()
    return doc.id


def test_the_line_page_shows_only_evidence_and_action_items_the_viewer_may_see(browser, people):
    open_doc = _document(people, "Open evidence", "everyone")
    closed_doc = _document(people, "Closed evidence", "body", uploader="staff", access_body="WGSMD")
    report = file_accepted(people["lead_focal"], people["chair"], line("TI1.1"), 2025, 2, "on_track")
    from aocp.plans.models import ReportEvidence
    report.evidence.extend([ReportEvidence(document_id=open_doc), ReportEvidence(document_id=closed_doc)])
    db.session.add_all([
        ActionItem(body_id=body("WGTIM").id, title="Circulate tin statistics", action_line="TI1.1"),
        ActionItem(body_id=body("WGSMD").id, title="Secret SMD follow-up", action_line="TI1.1"),
        ActionItem(body_id=body("WGTIM").id, title="Other line item", action_line="TI2.1"),
    ])
    db.session.commit()
    page = text(browser("other_delegate").get(LINE_URL))  # a WGTIM member, not in WGSMD
    assert "Open evidence" in page and "Closed evidence" not in page
    assert "Circulate tin statistics" in page and "Secret SMD follow-up" not in page
    assert "Other line item" not in page and "2025 Q2" in page and "Accepted" in page
    admin_page = text(browser("admin").get(LINE_URL))
    assert "Closed evidence" in admin_page and "Secret SMD follow-up" in admin_page


def test_drafts_are_listed_only_for_the_lead_country_and_asec(browser, people):
    from aocp.plans import reports

    reports.save_draft(people["lead_focal"], line("TI1.1"), 2025, 3, status="on_track", narrative="Draft text")
    db.session.commit()
    assert "2025 Q3" in text(browser("lead_delegate").get(LINE_URL))
    assert "2025 Q3" in text(browser("staff").get(LINE_URL))
    assert "2025 Q3" not in text(browser("other_delegate").get(LINE_URL))
    assert browser("other_delegate").get(Q3).status_code == 404
    assert browser("observer").get(Q3).status_code == 403  # partners read no report, draft or filed


def test_the_lead_country_reaches_any_earlier_quarter_from_the_line_page(browser):
    page = text(browser("lead_focal").get(LINE_URL))
    assert "Report on 2025 Q4" in page  # the plan has ended: its last quarter is the current one
    earlier = re.findall(r'href="(/plans/[^"]+/reports/(\d{4})/Q(\d))"', page)
    quarters = [(int(y), int(q)) for _, y, q in earlier]
    assert (2025, 3) in quarters and (2021, 1) in quarters and len(set(quarters)) == 20
    assert browser("lead_focal").get(Q3).status_code == 200
    assert "Report on an earlier quarter" not in text(browser("other_delegate").get(LINE_URL))


# --- the report workflow --------------------------------------------------------------------------

def _report_form(c, url=Q3, action="save", **fields):
    page = text(c.get(url))
    data = {"status": "on_track", "narrative": "Workshop held in Kuala Lumpur.", "issues": "", "support_needed": "",
            "version": version_on(page), "action": action}
    data.update(fields)
    return c.post(url, data={"csrf_token": csrf_token(c, url), **data})


def test_the_full_workflow_through_the_pages(browser, people):
    ti11 = line("TI1.1")
    ti11.milestones.append(Milestone(year=2025, text="Review published", due_on=date(2025, 12, 31)))
    db.session.commit()
    mid = line("TI1.1").milestones[0].id
    lead, chair = browser("lead_focal"), browser("chair")

    r = _report_form(lead, action="save", **{f"milestone-{mid}": "40"})
    assert r.status_code == 302 and report_row().state == "draft"
    r = _report_form(lead, action="submit", **{f"milestone-{mid}": "50"}, status="delayed")
    assert r.status_code == 302 and report_row().state == "submitted"
    page = text(lead.get(Q3))
    assert 'value="save"' not in page and "Submitted for review" in page

    page = text(chair.get(Q3))
    assert 'value="accept"' in page and 'value="return"' in page and "50% done" in page
    r = chair.post(Q3, data={"csrf_token": csrf_token(chair, Q3), "action": "return", "version": version_on(page),
                             "reviewer_comment": "Please add the workshop dates."})
    assert r.status_code == 302 and report_row().state == "returned"

    page = text(lead.get(Q3))
    assert "Please add the workshop dates." in page and "Resubmit" in page
    r = _report_form(lead, action="submit", narrative="Workshop held 3-4 July in Kuala Lumpur.",
                     **{f"milestone-{mid}": "60"})
    assert r.status_code == 302 and report_row().state == "submitted"

    page = text(chair.get(Q3))
    r = chair.post(Q3, data={"csrf_token": csrf_token(chair, Q3), "action": "accept", "version": version_on(page),
                             "reviewer_comment": ""})
    assert r.status_code == 302
    report = report_row()
    assert report.state == "accepted" and report.narrative.startswith("Workshop held 3-4 July")
    assert [mp.percent for mp in report.milestone_progress] == [60]

    page = text(lead.get(Q3))
    assert "(locked)" in page and 'value="save"' not in page and 'value="accept"' not in page
    assert page.count("<td>Accepted</td>") == 1 and "Returned with comments" in page  # revision history
    for action in ("report.created", "report.saved", "report.submitted", "report.returned",
                   "report.resubmitted", "report.accepted"):
        assert audits(action) >= 1, action
    r = _locked_save(lead)
    assert r.status_code == 400 and "accepted and locked" in text(r)
    assert report_row().version == report.version


def _locked_save(c):
    report = report_row()
    return c.post(Q3, data={"csrf_token": csrf_token(c, Q3), "action": "save", "status": "completed",
                            "narrative": "Changed", "version": str(report.version)})


@pytest.mark.parametrize("who", ["other_delegate", "observer", "chair"])
def test_people_outside_the_lead_country_get_403_when_filing(browser, who):
    c = browser(who)
    r = c.post(Q3, data={"csrf_token": csrf_token(c, "/plans/"), "action": "save", "status": "on_track",
                         "narrative": "Not mine", "version": ""})
    assert r.status_code == 403
    assert report_row() is None
    assert audits("access.denied") >= 1


def test_a_non_lead_delegate_can_read_a_submitted_report_but_not_edit_or_review_it(browser, people):
    _report_form(browser("lead_delegate"), action="submit")
    c = browser("other_delegate")
    page = text(c.get(Q3))
    assert "Workshop held in Kuala Lumpur." in page and 'value="save"' not in page and 'value="accept"' not in page
    version = str(report_row().version)
    for action in ("save", "submit", "accept", "return"):
        r = c.post(Q3, data={"csrf_token": csrf_token(c, "/plans/"), "action": action, "status": "completed",
                             "narrative": "Overwritten", "version": version, "reviewer_comment": "x"})
        assert r.status_code == 403, action
    assert report_row().state == "submitted" and report_row().narrative == "Workshop held in Kuala Lumpur."


def test_the_lead_cannot_review_and_the_observer_cannot_review(browser):
    _report_form(browser("lead_focal"), action="submit")
    version = str(report_row().version)
    for who in ("lead_focal", "observer", "other_delegate"):
        c = browser(who)
        r = c.post(Q3, data={"csrf_token": csrf_token(c, "/plans/"), "action": "accept", "version": version})
        assert r.status_code == 403, who
    assert report_row().state == "submitted"


def test_two_people_saving_the_same_version_get_a_conflict_not_a_silent_overwrite(browser):
    first, second = browser("lead_focal"), browser("lead_delegate")
    _report_form(first, action="save", narrative="First draft")
    url = Q3
    seen = version_on(text(second.get(url)))
    token2 = csrf_token(second, url)
    r = _report_form(first, action="save", narrative="Focal person's version")
    assert r.status_code == 302
    r = second.post(url, data={"csrf_token": token2, "action": "save", "status": "delayed",
                               "narrative": "Delegate's version", "version": seen})
    assert r.status_code == 409
    page = text(r)
    assert "Someone else changed this report" in page and "Focal person&#39;s version" in page
    assert "Delegate&#39;s version" in page  # their own text is kept in the form
    assert report_row().narrative == "Focal person's version"
    r = second.post(url, data={"csrf_token": token2, "action": "save", "status": "delayed",
                               "narrative": "Delegate's version", "version": version_on(page)})
    assert r.status_code == 302 and report_row().narrative == "Delegate's version"


def test_reviewers_racing_on_the_same_version_get_a_conflict(browser):
    _report_form(browser("lead_focal"), action="submit")
    chair, staff = browser("chair"), browser("staff")
    version = str(report_row().version)
    t1, t2 = csrf_token(chair, Q3), csrf_token(staff, Q3)
    assert chair.post(Q3, data={"csrf_token": t1, "action": "return", "version": version,
                                "reviewer_comment": "Add dates"}).status_code == 302
    r = staff.post(Q3, data={"csrf_token": t2, "action": "accept", "version": version})
    assert r.status_code == 409 and report_row().state == "returned"


def test_bad_report_input_is_refused_with_a_clear_message(browser, people):
    ti11 = line("TI1.1")
    ti11.milestones.append(Milestone(year=2025, text="Review", due_on=date(2025, 12, 31)))
    db.session.commit()
    mid = line("TI1.1").milestones[0].id
    lead = browser("lead_focal")
    r = _report_form(lead, action="save", **{f"milestone-{mid}": "140"})
    assert r.status_code == 400 and "whole number from 0 to 100" in text(r)
    r = _report_form(lead, action="save", status="finished")
    assert r.status_code == 400
    r = _report_form(lead, action="submit", narrative="")
    assert r.status_code == 400 and "narrative" in text(r)
    r = _report_form(lead, action="explode")
    assert r.status_code == 400
    r = lead.post(Q3, data={"action": "save", "status": "on_track", "narrative": "No token"})
    assert r.status_code == 400
    assert report_row() is None
    _report_form(lead, action="submit")
    chair = browser("chair")
    r = chair.post(Q3, data={"csrf_token": csrf_token(chair, Q3), "action": "return",
                             "version": str(report_row().version), "reviewer_comment": ""})
    assert r.status_code == 400 and "comment for the lead country" in text(r).lower()
    assert report_row().state == "submitted"


def test_evidence_is_picked_from_the_viewers_documents_only(browser, people):
    mine = _document(people, "Malaysia workshop report", "body", uploader="lead_delegate", access_body="WGTIM")
    hidden = _document(people, "Staff-only note", "body", uploader="staff", access_body="WGSMD")
    lead = browser("lead_delegate")
    page = text(lead.get(Q3))
    assert "Malaysia workshop report" in page and "Staff-only note" not in page
    r = _report_form(lead, action="save", evidence=[str(hidden)])
    assert r.status_code == 400 and "cannot open it" in text(r)
    r = _report_form(lead, action="save", evidence=[str(mine)])
    assert r.status_code == 302
    assert [e.document_id for e in report_row().evidence] == [mine]
    assert db.session.get(Document, hidden) is not None
