"""What partners (observers) may read of AMCAP on the pages: a plan's structure and rates when ASEC shares the
plan with them, never its progress reports, review history, packs or matrix."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.notifications.services import notify
from aocp.plans import reports
from tests.conftest import csrf_token
from tests.plans.conftest import PHASE2, line, phase2
from tests.plans.test_pages import Browser, sign_in, text

PLAN_URL = f"/plans/{PHASE2}"
LINE_URL = f"{PLAN_URL}/lines/TI1.1"
REPORT_URL = f"{LINE_URL}/reports/2025/Q2"
SECRET = "Confidential: the ministry withdrew its funding"


@pytest.fixture
def filed(people):
    """An accepted TI1.1 report for 2025 Q2 whose text only ASEAN may read (returned once, then accepted)."""
    lead, chair = people["lead_focal"], people["chair"]
    report = reports.save_draft(lead, line("TI1.1"), 2025, 2, status="delayed", narrative=SECRET,
                                issues="Budget cut", support_needed="A donor")
    reports.submit_report(lead, report, report.version)
    reports.return_report(chair, report, "Name the ministry", report.version)
    reports.save_draft(lead, line("TI1.1"), 2025, 2, status="delayed", narrative=SECRET, seen_version=report.version)
    reports.submit_report(lead, report, report.version)
    reports.accept_report(chair, report, report.version)
    db.session.commit()
    return report


@pytest.fixture
def browser(app, people):
    """browser('staff') -> a browser signed in as that person."""
    def get(who: str) -> Browser:
        b = Browser(app)
        sign_in(app, b, people[who].id)
        return b
    return get


@pytest.fixture
def partner(app, people):
    b = Browser(app)
    sign_in(app, b, people["observer"].id)
    return b


def _share(shared: bool = True) -> None:
    phase2().shared_with_partners = shared
    db.session.commit()


def test_a_plan_not_shared_is_unknown_to_a_partner(partner, filed):
    assert PHASE2 not in text(partner.get("/plans/"))
    for url in (PLAN_URL, LINE_URL, f"{PLAN_URL}/dashboard"):
        r = partner.get(url)
        assert r.status_code == 404, url
        assert SECRET not in text(r)


def test_a_partner_never_reads_reports_packs_or_the_matrix_even_of_a_shared_plan(partner, filed):
    _share()
    for url in (REPORT_URL, f"{PLAN_URL}/matrix", f"{PLAN_URL}/packs", f"{PLAN_URL}/packs/jwg.csv?year=2025&quarter=2"):
        r = partner.get(url)
        assert r.status_code == 403, url
        assert SECRET not in text(r) and "Name the ministry" not in text(r)
    denied = db.session.execute(select(AuditEntry.details).where(AuditEntry.action == "access.denied")).scalars()
    assert any('"reports.view"' in d for d in denied)


def test_a_shared_plan_shows_a_partner_its_structure_and_rates_but_no_report(partner, filed):
    _share()
    page = text(partner.get("/plans/"))
    assert PHASE2 in page
    page = text(partner.get(PLAN_URL))
    assert "TI1.1" in page and "Trade and Investment in Minerals" in page and "Delayed" in page
    assert "Member State matrix" not in page and "Review packs" not in page
    page = text(partner.get(LINE_URL))
    assert "TI1.1" in page and REPORT_URL not in page and SECRET not in page
    assert "Progress reports are ASEAN&#39;s own" in page or "Progress reports are ASEAN's own" in page
    r = partner.get(f"{PLAN_URL}/dashboard?as_of=2025-08-15")
    assert r.status_code == 200 and 'data-rate="overall"' in text(r)
    assert "Missing reports" not in text(r) and SECRET not in text(r)


def test_asean_still_reads_the_report_and_its_history(browser, filed):
    page = text(browser("other_delegate").get(REPORT_URL))
    assert SECRET in page and "Revision history" in page and "Returned with comments" in page


def test_a_report_page_says_who_may_read_it_and_why(browser, people, filed):
    page = text(browser("other_delegate").get(REPORT_URL))
    assert "Who can read this, and why" in page
    assert "ASEC and the people of every ASEAN Member State" in page and "Not partners (observers)" in page
    reports.save_draft(people["lead_focal"], line("TI1.1"), 2025, 3, status="on_track", narrative="Draft")
    db.session.commit()
    page = text(browser("lead_focal").get(f"{LINE_URL}/reports/2025/Q3"))
    assert "a draft stays with its authors" in page and "(MYS)" in page


def test_asec_shares_a_plan_with_partners_on_its_page_and_it_is_audited(browser, partner, people):
    staff = browser("staff")
    page = text(staff.get(PLAN_URL))
    assert "Share structure with partners" in page and "ASEAN Member States and ASEC only" in page
    r = staff.post(f"{PLAN_URL}/sharing", data={"csrf_token": csrf_token(staff, PLAN_URL), "shared": "yes"})
    assert r.status_code == 302
    db.session.expire_all()
    assert phase2().shared_with_partners is True
    assert partner.get(PLAN_URL).status_code == 200
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "plan.shared")) == 1
    r = staff.post(f"{PLAN_URL}/sharing", data={"csrf_token": csrf_token(staff, PLAN_URL), "shared": "no"})
    db.session.expire_all()
    assert phase2().shared_with_partners is False and partner.get(PLAN_URL).status_code == 404
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "plan.unshared")) == 1


@pytest.mark.parametrize("shared", ["maybe", ""])
def test_a_bad_sharing_value_is_a_400_and_changes_nothing(browser, shared):
    staff = browser("staff")
    r = staff.post(f"{PLAN_URL}/sharing", data={"csrf_token": csrf_token(staff, PLAN_URL), "shared": shared})
    assert r.status_code == 400
    db.session.expire_all()
    assert phase2().shared_with_partners is False


@pytest.mark.parametrize("who", ["lead_focal", "chair", "observer"])
def test_only_asec_shares_a_plan(browser, who):
    c = browser(who)
    r = c.post(f"{PLAN_URL}/sharing", data={"csrf_token": csrf_token(c, "/plans/"), "shared": "yes"})
    assert r.status_code == 403
    db.session.expire_all()
    assert phase2().shared_with_partners is False


def test_a_partner_is_never_notified_about_a_report(people, filed):
    _share()
    made = notify("report_reviewed", people["chair"], filed, [people["observer"], people["other_delegate"]],
                  "Progress report accepted", REPORT_URL)
    assert [n.recipient_id for n in made] == [people["other_delegate"].id]

