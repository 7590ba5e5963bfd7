"""The plan dashboard, the Member State matrix and the charts: numbers, dates, errors and query counts."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event

from aocp.extensions import db
from aocp.plans import charts, reports
from aocp.plans.models import Milestone
from tests.conftest import org, sign_in
from tests.plans.conftest import PHASE2, file_accepted, line, phase2
from tests.plans.test_pages import Browser, text

DASH = f"/plans/{PHASE2}/dashboard"
MATRIX = f"/plans/{PHASE2}/matrix"


@pytest.fixture
def viewer(app, people):
    """A browser signed in as a Member State's delegate who leads nothing (all of ASEAN sees dashboards)."""
    b = Browser(app)
    sign_in(app, b, people["other_delegate"].id)
    return b


def _progress(people):
    """TI1.1 and TI1.2 completed, TI1.3 withdrawn, TI2.1 delayed; two milestones (100% and 20%)."""
    ti11, ti21 = line("TI1.1"), line("TI2.1")
    ti11.participants = [org("THA")]
    m1 = Milestone(year=2024, text="Policy statement adopted", due_on=date(2024, 12, 31))
    m2 = Milestone(year=2025, text="Investment guide published", due_on=date(2025, 6, 30))
    ti11.milestones.append(m1)
    ti21.milestones.append(m2)
    db.session.commit()
    staff, admin = people["staff"], people["admin"]
    file_accepted(staff, admin, line("TI1.1"), 2025, 2, "completed", {m1.id: 100})
    file_accepted(staff, admin, line("TI1.2"), 2025, 2, "completed")
    file_accepted(staff, admin, line("TI1.3"), 2025, 1, "withdrawn")
    file_accepted(staff, admin, line("TI2.1"), 2025, 2, "delayed", {m2.id: 20})
    db.session.commit()


def test_the_dashboard_shows_both_rates_counts_groups_and_the_definition(viewer, people):
    _progress(people)
    r = viewer.get(DASH)
    assert r.status_code == 200
    page = text(r)
    assert 'data-rate="overall">7%<' in page  # 2 completed of 29 not withdrawn (30 lines): 6.9% -> 7%
    assert 'data-rate="milestones">60%<' in page  # (100 + 20) / 2 milestones due
    assert 'data-status="completed">2<' in page and 'data-status="withdrawn">1<' in page
    assert 'data-status="delayed">1<' in page and 'data-status="not_started">26<' in page
    assert "completed action lines divided by the number of action lines not withdrawn" in page
    for heading in ("By programme area", "By strategy", "By working group", "By lead country",
                    "Trend over quarters", "Overdue milestones (1)"):
        assert heading in page
    assert "Investment guide published" in page  # due 2025-06-30 at 20%: red


def test_the_charts_are_inline_svg_images_with_their_numbers_in_words(viewer, people):
    _progress(people)
    page = text(viewer.get(DASH))
    svgs = re.findall(r"<svg class=\"chart\" role=\"img\" aria-label=\"([^\"]+)\"", page)
    assert len(svgs) == 6  # status, four groupings, trend
    area = next(label for label in svgs if label.startswith("Achievement rate by programme area"))
    assert "TIM: " in area and "SMD: 0%" in area
    assert any("2025 Q2: 7%" in label for label in svgs)
    assert "<script" not in page.split("<main", 1)[1] and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")


def test_a_past_date_shows_the_plan_as_it_stood_then(viewer, people):
    _progress(people)
    page = text(viewer.get(f"{DASH}?as_of=2025-01-01"))  # every report was accepted later, today
    assert 'data-rate="overall">0%<' in page and 'data-status="not_started">30<' in page
    assert "as of 2025-01-01" in page
    assert "Missing reports for 2025 Q1" in page


def test_missing_reports_for_the_quarter_are_listed_with_their_lead(viewer, people):
    expected = reports.missing_reports(date(2025, 8, 15), phase2())
    page = text(viewer.get(f"{DASH}?as_of=2025-08-15"))
    assert f"Missing reports for 2025 Q3 ({len(expected)})" in page and len(expected) == 30
    row = page[page.index('href="/plans/AMCAP-III-P2/lines/TI1.1">TI1.1</a></td>'):][:200]
    assert "MYS" in row and "Nothing filed" in row


@pytest.mark.parametrize("bad", ["2025-13-01", "yesterday", "2025-1-1", "1999-12-31", "9999-12-31",
                                 "２０２５-01-01", "2025-02-30", "2025-01-01T00:00", "-1"])
def test_a_bad_as_of_date_is_a_clear_400(viewer, bad):
    for url in (DASH, MATRIX):
        r = viewer.get(url, query_string={"as_of": bad})
        assert r.status_code == 400
        assert "YYYY-MM-DD" in text(r)


def test_unknown_plans_answer_404_on_dashboard_and_matrix(viewer):
    assert viewer.get("/plans/NOPE/dashboard").status_code == 404
    assert viewer.get("/plans/NOPE/matrix?as_of=2025-01-01").status_code == 404


def test_the_matrix_shows_lead_and_participating_countries_and_the_latest_status(viewer, people):
    _progress(people)
    page = text(viewer.get(MATRIX))
    assert re.search(r'data-cell="TI1.1-MYS"><abbr title="Lead">L</abbr>', page)
    assert re.search(r'data-cell="TI1.1-THA"><abbr title="Participating">P</abbr>', page)
    assert re.search(r'data-cell="TI1.2-MYS"></td>', page)
    row = page[page.index(">TI1.1</a></th>"):][:120]
    assert "Completed" in row
    page_then = text(viewer.get(f"{MATRIX}?as_of=2025-01-01"))
    assert "Not started" in page_then[page_then.index(">TI1.1</a></th>"):][:120] and "Completed" in row
    assert page.count('<th scope="col"><abbr') == 10  # the ten ASEAN Member States


def test_the_review_packs_link_appears_only_for_those_who_may_download_packs(app, viewer, people):
    assert f'href="/plans/{PHASE2}/packs"' in text(viewer.get(DASH))
    phase2().shared_with_partners = True  # a partner sees the shared plan's dashboard, never its packs
    db.session.commit()
    partner = Browser(app)
    sign_in(app, partner, people["observer"].id)
    r = partner.get(DASH)
    assert r.status_code == 200 and "Review packs" not in text(r)


# --- queries per page -------------------------------------------------------------------------------

@contextmanager
def counting():
    counter = {"n": 0}

    def count(*_args):
        counter["n"] += 1
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _file_many(people, quarters: list[tuple[int, int]], codes: list[str]) -> None:
    staff, admin = people["staff"], people["admin"]
    for code in codes:
        ln = line(code)
        ln.leads = [org("MYS"), org("PHL")]
        if not ln.milestones:
            ln.milestones.append(Milestone(year=2023, text=f"{code} milestone", due_on=date(2023, 12, 31)))
        db.session.commit()
        for year, quarter in quarters:
            if reports.get_report(ln, year, quarter) is None:
                file_accepted(staff, admin, ln, year, quarter, "on_track", {ln.milestones[0].id: 10 * quarter})
    db.session.commit()


def _statements(browser, url: str) -> int:
    browser.get(url)  # warm up: sessions, templates
    with counting() as counter:
        r = browser.get(url)
    assert r.status_code == 200
    return counter["n"]


def test_queries_per_page_do_not_grow_with_the_number_of_reports(viewer, people):
    urls = [DASH, f"{DASH}?as_of=2024-06-30", f"/plans/{PHASE2}", MATRIX, f"/plans/{PHASE2}/lines/TI1.1",
            f"/plans/{PHASE2}/lines/TI1.1/reports/2021/Q1", "/plans/"]
    quarters = [(y, q) for y in range(2021, 2026) for q in range(1, 5)]
    _file_many(people, quarters[:1], ["TI1.1", "TI1.2"])  # 2 reports
    before = {url: _statements(viewer, url) for url in urls}
    _file_many(people, quarters[:10], ["TI1.1", "TI1.2"])  # 20 reports, tenfold
    after = {url: _statements(viewer, url) for url in urls}
    assert after == before
    assert all(n >= 3 for n in before.values())


# --- charts -----------------------------------------------------------------------------------------

def test_a_bar_chart_escapes_its_labels_and_describes_itself():
    svg = charts.bar_chart("Rates <by> area", [("<script>", 40), ("SMD", None), ("MID", 100)])
    assert svg.startswith('<svg class="chart" role="img"') and "<title>Rates &lt;by&gt; area</title>" in svg
    assert "<script>" not in svg and "&lt;script&gt;: 40%" in svg and "SMD: no data" in svg
    assert svg.count("<rect") == 5  # three backgrounds, two filled bars (no bar for no data)


def test_a_line_chart_skips_quarters_without_data_and_the_worst_flag_wins():
    svg = charts.line_chart("Trend", [("2021 Q1", 0), ("2021 Q2", None), ("2021 Q3", 50)])
    assert svg.count("<circle") == 2 and "<polyline" in svg and "2021 Q2: no data" in svg
    assert charts.line_chart("Empty", []).count("<circle") == 0
    assert charts.worst_flag(["green", "amber", "red"]) == "red"
    assert charts.worst_flag(["green", "amber"]) == "amber" and charts.worst_flag([]) is None
    assert "Amber" in charts.rag_dot("amber") and "—" in charts.rag_dot(None)


def test_the_demo_progress_is_added_once_and_fills_the_dashboard(app, ctx, make_user):
    from aocp.demo import DEMO_PROGRESS, demo_plans
    from aocp.plans import rates

    make_user("asec_staff", email="staff@asec.example.org")
    make_user("asec_admin", email="admin@asec.example.org")
    expected = sum(len(progress) for *_rest, progress in DEMO_PROGRESS)
    assert demo_plans() == expected
    assert demo_plans() == 0
    plan = phase2()
    assert [o.code for o in line("TI1.2").leads] == ["MYS", "PHL"] and len(line("TI1.2").milestones) == 2
    assert rates.achievement_rate(plan).completed == 3  # TI1.1, TI2.1, MD1.1
    assert rates.achievement_rate(plan, date(2024, 12, 31)).completed == 0  # history dated to the deadlines
    assert rates.achievement_rate(plan, date(2025, 10, 31)).completed == 3
    assert plan.shared_with_partners  # the demo's observers see the structure and rates, not the reports
