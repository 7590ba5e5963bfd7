"""Review packs (JWG quarterly, ASOMM yearly, Mid-/Final-Term Review) as XLSX, CSV and PDF, as of a date."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event, select, update

from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.plans import packs, reports, services
from aocp.plans.models import ReportRevision
from aocp.plans.services import PlanError
from tests.conftest import login, org
from tests.plans.conftest import file_accepted, line, new_plan, phase2

HOSTILE = "=HYPERLINK(\"http://evil.example\",\"click\")"
PAST = "2025-10-31"


def _backdate(when: datetime) -> None:
    db.session.execute(update(ReportRevision).values(created_at=when))
    db.session.commit()


@pytest.fixture
def history(people):
    """Q3 2025 as it stood on 31 October 2025, then a report accepted later and a draft never accepted."""
    admin, lead, chair = people["admin"], people["lead_focal"], people["chair"]
    milestone = services.add_milestone(admin, line("TI1.1"), year=2025, text="Regional workshop",
                                       target="+50 participants", due_on=date(2025, 9, 30))
    line("TI1.2").leads = [org("THA")]
    report = reports.save_draft(lead, line("TI1.1"), 2025, 3, status="completed", narrative=HOSTILE,
                                issues="@SUM(A1:A9)", support_needed="-2+3", milestones={milestone.id: 80})
    reports.submit_report(lead, report, report.version)
    reports.accept_report(chair, report, report.version)
    file_accepted(admin, chair, line("TI1.2"), 2025, 3, "delayed")
    _backdate(datetime(2025, 10, 10, 8, 0))
    # Accepted after the as-of date: must not show in a pack as of 31 October 2025.
    later = reports.save_draft(admin, line("TI1.3"), 2025, 3, status="completed", narrative="Filed late in 2026")
    reports.submit_report(admin, later, later.version)
    reports.accept_report(chair, later, later.version)
    # Never accepted: must never show.
    reports.save_draft(admin, line("TI2.1"), 2025, 3, status="completed", narrative="Unreviewed draft text")
    db.session.commit()
    return people


def _download(client, user, path: str):
    login(client, user.email)
    response = client.get(path)
    data = response.get_data()
    response.close()
    return response, data


def _sheet_rows(data: bytes, title: str) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data))
    return [tuple(r) for r in wb[title].iter_rows(values_only=True)]


# --- spreadsheet safety ------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("plain", "plain"), ("a=b", "a=b"), ("", ""), (12, 12), (None, None), ("x\x01y", "xy"),
])
def test_cells_that_would_start_a_formula_are_escaped(value, expected):
    assert packs.safe_cell(value) == expected


# --- choosing a pack ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,args,field", [
    ("jwg", {"year": "2025", "quarter": "5"}, "quarter"),
    ("jwg", {"year": "2025"}, "quarter"),
    ("jwg", {"quarter": "1"}, "year"),
    ("jwg", {"year": "2031", "quarter": "1"}, "year"),
    ("asomm", {"year": "twenty"}, "year"),
    ("asomm", {"year": "2025", "as_of": "2025-13-01"}, "as_of"),
    ("asomm", {"year": "2025", "as_of": "31/10/2025"}, "as_of"),
    ("final", {"as_of": "2026-11-26"}, "as_of"),
    ("jwg", {"year": "2025", "quarter": "4", "as_of": "2025-09-30"}, "quarter"),
    ("asomm", {"year": "2025", "as_of": "2024-12-31"}, "year"),
])
def test_bad_pack_requests_are_refused_with_the_field(ctx, kind, args, field):
    with pytest.raises(PlanError) as err:
        packs.parse_request(phase2(), kind, args, date(2026, 11, 25))
    assert err.value.field == field


def test_a_good_request_defaults_to_today_and_drops_what_the_kind_does_not_use(ctx):
    wanted = packs.parse_request(phase2(), "midterm", {"year": "2023", "quarter": "2"}, date(2026, 11, 25))
    assert wanted == packs.PackRequest("midterm", None, None, date(2026, 11, 25))
    wanted = packs.parse_request(phase2(), "jwg", {"year": "2025", "quarter": "3", "as_of": PAST}, date(2026, 11, 25))
    assert wanted == packs.PackRequest("jwg", 2025, 3, date(2025, 10, 31))


@pytest.mark.parametrize("who", ["staff", "lead_focal", "other_delegate", "chair"])
def test_all_of_asean_gets_the_packs_page_and_is_told_who_may_see_a_pack(client, people, who):
    login(client, people[who].email)
    r = client.get("/plans/AMCAP-III-P2/packs")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Review packs" in page and "JWG quarterly monitoring report" in page and "Final-Term Review" in page
    assert "Who can see a pack, and why" in page and "Partners (observers) cannot" in page


def test_a_partner_gets_403_for_the_packs_page_and_every_pack_even_of_a_shared_plan(client, history):
    phase2().shared_with_partners = True
    db.session.commit()
    login(client, history["observer"].email)
    assert client.get("/plans/AMCAP-III-P2/packs").status_code == 403
    for kind in ("jwg.xlsx?year=2025&quarter=3", "asomm.csv?year=2025", "midterm.pdf", "final.csv"):
        r = client.get(f"/plans/AMCAP-III-P2/packs/{kind}")
        assert r.status_code == 403 and r.mimetype == "text/html", kind
        assert b"Filed late in 2026" not in r.data and b"SUM(A1:A9)" not in r.data


def test_signed_out_visitors_are_sent_to_sign_in_and_unknown_plans_are_not_found(client, people):
    r = client.get("/plans/AMCAP-III-P2/packs/jwg.csv?year=2025&quarter=3")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    login(client, people["other_delegate"].email)
    assert client.get("/plans/NO-SUCH-PLAN/packs").status_code == 404
    assert client.get("/plans/AB%00C/packs/final.csv").status_code in (400, 404)
    assert client.get("/plans/NO-SUCH-PLAN/packs/final.csv").status_code == 404
    assert client.get("/plans/AMCAP-III-P2/packs/everything.csv").status_code == 404
    assert client.get("/plans/AMCAP-III-P2/packs/final.docx").status_code == 404


def test_the_form_sends_the_browser_to_the_download(client, people):
    login(client, people["staff"].email)
    r = client.get("/plans/AMCAP-III-P2/packs?download=1&kind=asomm&format=pdf&year=2024&quarter=2&as_of=")
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/plans/AMCAP-III-P2/packs/asomm.pdf?year=2024")
    r = client.get("/plans/AMCAP-III-P2/packs?download=1&kind=asomm&format=exe")
    assert r.status_code == 400 and "Choose a kind of pack and a format." in r.get_data(as_text=True)


@pytest.mark.parametrize("query,message", [
    ("year=2025&quarter=5", "Choose a quarter, 1 to 4."),
    ("year=2025&quarter=3&as_of=2025-02-30", "Give the as-of date as YYYY-MM-DD"),
    ("year=2025&quarter=3&as_of=2099-01-01", "The as-of date cannot be in the future."),
    ("year=abc&quarter=1", "Give a year of the plan, 2021 to 2025."),
])
def test_bad_downloads_re_render_the_page_with_400_and_change_nothing(client, people, query, message):
    login(client, people["chair"].email)
    before = db.session.scalar(select(db.func.count(AuditEntry.id)))
    r = client.get(f"/plans/AMCAP-III-P2/packs/jwg.xlsx?{query}")
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert message in r.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(AuditEntry.id))) == before


# --- content, read back ------------------------------------------------------------------------------

def test_the_jwg_workbook_as_of_a_past_date_leaves_out_later_reports_and_escapes_formulas(client, history):
    r, data = _download(client, history["other_delegate"], f"/plans/AMCAP-III-P2/packs/jwg.xlsx?year=2025"
                                                           f"&quarter=3&as_of={PAST}")
    assert r.status_code == 200 and r.mimetype == packs.FORMATS["xlsx"]
    assert r.headers["Content-Disposition"] == \
        "attachment; filename=AMCAP-III-P2-JWG-monitoring-2025-Q3-as-of-2025-10-31.xlsx"
    wb = load_workbook(io.BytesIO(data))
    assert not [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    summary = dict(r[:2] for r in wb["Summary"].iter_rows(min_row=2, values_only=True))
    # 1 of 30 lines completed on 31 October 2025: 3.33% -> 3%.
    assert summary["Achievement rate"].startswith("3% (1 of 30 action lines")
    assert summary["Milestone-weighted rate"].startswith("80% (mean % done of 1 milestones due)")
    lines = {row[0]: row for row in _sheet_rows(data, "Action lines")[1:]}
    assert len(lines) == 30
    assert lines["TI1.1"][3:] == ("MYS", "Completed", 80, "Completed", "'" + HOSTILE, "'@SUM(A1:A9)", "'-2+3")
    assert lines["TI1.2"][3:7] == ("THA", "Delayed", None, "Delayed")
    assert lines["TI1.3"][4:7] == ("Not started", None, "No accepted report")
    assert lines["TI2.1"][4:8] == ("Not started", None, "No accepted report", None)
    milestones = _sheet_rows(data, "Milestones 2025")
    assert milestones[1] == ("TI1.1", "Regional workshop", "'+50 participants", "2025-09-30", 80, 100, "RED")
    counts = dict(_sheet_rows(data, "Status counts")[1:])
    assert counts == {"Not started": 28, "On track": 0, "Delayed": 1, "Completed": 1, "Carried over": 0,
                      "Withdrawn": 0}


def test_the_same_pack_today_counts_the_later_report_but_never_the_draft(client, history):
    r, data = _download(client, history["staff"], "/plans/AMCAP-III-P2/packs/jwg.csv?year=2025&quarter=3")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = data.decode("utf-8-sig")
    assert "Unreviewed draft text" not in text and "Filed late in 2026" in text
    rows = list(csv.reader(io.StringIO(text)))
    assert all(not cell.startswith(packs.FORMULA_STARTS) for row in rows for cell in row)
    details = {row[0]: row[1] for row in rows[1:7]}
    assert details["Achievement rate"].startswith("7% (2 of 30")  # 2/30 = 6.67% -> 7%
    ti13 = next(row for row in rows if row and row[0] == "TI1.3")
    assert ti13[4:7] == ["Completed", "", "Completed"]


def test_the_csv_as_of_a_past_date_has_the_escaped_narratives(client, history):
    r, data = _download(client, history["lead_focal"],
                        f"/plans/AMCAP-III-P2/packs/jwg.csv?year=2025&quarter=3&as_of={PAST}")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    ti11 = next(row for row in rows if row and row[0] == "TI1.1")
    assert ti11[7:] == ["'" + HOSTILE, "'@SUM(A1:A9)", "'-2+3"]
    assert "Filed late in 2026" not in data.decode("utf-8-sig")
    assert all(not cell.startswith(packs.FORMULA_STARTS) for row in rows for cell in row)


def test_the_final_review_pdf_lists_lead_status_and_remarks_as_of_the_date(client, history):
    r, data = _download(client, history["chair"], f"/plans/AMCAP-III-P2/packs/final.pdf?as_of={PAST}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "AMCAP-III-P2-Final-Term-Review-as-of-2025-10-31.pdf" in r.headers["Content-Disposition"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Final-Term Review" in text and "Review table" in text
    assert "Regional workshop" not in text  # the review table has no milestone section
    assert "HYPERLINK" in text and "Filed late in 2026" not in text and "Unreviewed draft text" not in text
    assert "31 Oct 2025" in text


def test_the_midterm_review_workbook_has_the_review_columns(client, history):
    r, data = _download(client, history["staff"], f"/plans/AMCAP-III-P2/packs/midterm.xlsx?as_of={PAST}")
    rows = _sheet_rows(data, "Review table")
    assert rows[0] == ("Action line", "Text", "Lead", "Status", "% done", "Remarks")
    ti11 = next(row for row in rows if row[0] == "TI1.1")
    assert ti11[2:] == ("MYS", "Completed", 80, "'" + HOSTILE + " Issues: @SUM(A1:A9)")
    assert len(rows) == 1 + 30
    by_lead = {row[0]: row for row in _sheet_rows(data, "By lead country")[1:]}
    assert by_lead["MYS"][2:5] == (1, 1, 100)
    assert by_lead["THA"][2:5] == (0, 1, 0)


def test_the_asomm_report_takes_the_years_newest_accepted_report(client, history):
    r, data = _download(client, history["other_delegate"],
                        f"/plans/AMCAP-III-P2/packs/asomm.xlsx?year=2025&as_of={PAST}")
    assert "AMCAP-III-P2-ASOMM-report-2025-as-of-2025-10-31.xlsx" in r.headers["Content-Disposition"]
    lines = {row[0]: row for row in _sheet_rows(data, "Action lines")[1:]}
    assert lines["TI1.1"][5:9] == ("Completed", 80, "2025 Q3", "'" + HOSTILE)
    assert lines["TI1.3"][5:8] == ("Not started", None, None)
    trend = _sheet_rows(data, "Trend")
    assert trend[-1] == ("2025 Q4", 1, 30, 3) and len(trend) == 1 + 20
    assert "By strategy" in load_workbook(io.BytesIO(data)).sheetnames


def test_a_past_pack_is_the_same_after_more_reports_are_accepted(client, history):
    path = f"/plans/AMCAP-III-P2/packs/jwg.csv?year=2025&quarter=3&as_of={PAST}"
    _r, first = _download(client, history["staff"], path)
    file_accepted(history["admin"], history["chair"], line("TI1.2"), 2025, 4, "completed")
    db.session.commit()
    response = client.get(path)
    second = response.get_data()
    response.close()
    strip = [row for row in csv.reader(io.StringIO(first.decode("utf-8-sig"))) if row[:1] != ["Generated"]]
    again = [row for row in csv.reader(io.StringIO(second.decode("utf-8-sig"))) if row[:1] != ["Generated"]]
    assert strip == again


# --- query counts ------------------------------------------------------------------------------------

def _count_queries(fn) -> int:
    counter = {"n": 0}

    def count(*_args, **_kwargs):
        counter["n"] += 1
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return counter["n"]


def test_a_pack_takes_the_same_number_of_queries_whatever_the_data(ctx, people):
    staff, admin = people["staff"], people["admin"]

    def plan_with(code: str, n: int):
        plan = new_plan(staff, code=code, lines=n)
        for i in range(1, n + 1):
            action_line = line(f"T1.{i}", plan)
            action_line.leads = [org("MYS"), org("THA")]
            m = services.add_milestone(staff, action_line, year=2021, text=f"Step {i}")
            file_accepted(staff, admin, action_line, 2021, 1, "on_track", {m.id: 50})
            file_accepted(staff, admin, action_line, 2021, 2, "completed", {m.id: 100})
        db.session.commit()
        return plan

    small, large = plan_with("SMALL-PLAN", 2), plan_with("LARGE-PLAN", 12)
    for kind, args in (("jwg", {"year": "2021", "quarter": "2"}), ("asomm", {"year": "2021"}), ("final", {})):
        counts = []
        for plan in (small, large):
            wanted = packs.parse_request(plan, kind, args, date.today())
            db.session.expire_all()
            counts.append(_count_queries(lambda: [packs.render_pack(packs.build(staff, plan, wanted), fmt)
                                                  for fmt in ("csv",)]))
        assert counts[0] == counts[1], (kind, counts)
    built = packs.build(staff, large, packs.parse_request(large, "final", {}, date.today()))
    assert built.details[3][1].startswith("100% (12 of 12")


def test_packs_for_ten_years_of_reports_on_100_action_lines_stay_within_the_bound(ctx, people):
    """100 lines x 40 quarters of accepted reports, inserted in bulk; every pack builds within 10 seconds."""
    import json
    import time

    from sqlalchemy import insert

    from aocp.plans.models import ActionLine, Milestone, MilestoneProgress, ProgressReport

    staff = people["staff"]
    plan = new_plan(staff, code="BENCH-PLAN", start=2021, end=2030, lines=1)
    strategy_id = line("T1.1", plan).strategy_id
    db.session.execute(insert(ActionLine), [
        {"plan_id": plan.id, "strategy_id": strategy_id, "code": f"B{i}", "text": f"Bench line {i}",
         "position": 10 + i} for i in range(99)])
    line_ids = list(db.session.execute(select(ActionLine.id).where(ActionLine.plan_id == plan.id)).scalars())
    db.session.execute(insert(Milestone), [{"action_line_id": lid, "year": y, "text": f"Milestone {y}",
                                            "due_on": date(y, 12, 31)} for lid in line_ids for y in range(2021, 2031)])
    milestones = {(lid, y): mid for mid, lid, y in db.session.execute(
        select(Milestone.id, Milestone.action_line_id, Milestone.year)
        .where(Milestone.action_line_id.in_(line_ids)))}
    periods = [(y, q) for y in range(2021, 2031) for q in range(1, 5)]
    statuses = ("on_track", "delayed", "on_track", "completed")
    db.session.execute(insert(ProgressReport), [
        {"action_line_id": lid, "year": y, "quarter": q, "status": statuses[(lid + q) % 4], "state": "accepted",
         "narrative": f"Progress in {y} Q{q}", "version": 3} for lid in line_ids for y, q in periods])
    report_rows = list(db.session.execute(select(ProgressReport.id, ProgressReport.action_line_id,
                                                 ProgressReport.year, ProgressReport.quarter, ProgressReport.status)
                                          .where(ProgressReport.action_line_id.in_(line_ids))))
    db.session.execute(insert(MilestoneProgress), [
        {"report_id": rid, "milestone_id": milestones[(lid, y)], "percent": 25 * q}
        for rid, lid, y, q, _ in report_rows])
    db.session.execute(insert(ReportRevision), [
        {"report_id": rid, "action_line_id": lid, "year": y, "quarter": q, "state": "accepted", "line_status": s,
         "report_version": 3, "snapshot": json.dumps({"year": y, "quarter": q, "status": s, "issues": "",
                                                     "narrative": f"Progress in {y} Q{q}", "support_needed": ""}),
         "created_at": datetime(y, 3 * q, 20)} for rid, lid, y, q, s in report_rows])
    db.session.commit()
    assert len(report_rows) == 4000

    timings = {}
    for kind, args in (("jwg", {"year": "2026", "quarter": "3"}), ("asomm", {"year": "2025"}), ("final", {})):
        wanted = packs.parse_request(plan, kind, args, date(2026, 11, 25))
        for fmt in ("xlsx", "csv", "pdf"):
            start = time.perf_counter()
            data = packs.render_pack(packs.build(staff, plan, wanted), fmt)
            timings[(kind, fmt)] = time.perf_counter() - start
            assert len(data) > 1000
    assert max(timings.values()) < 10, timings  # about 0.5 s (CSV) to 2 s (PDF) on a shared 2-core machine
