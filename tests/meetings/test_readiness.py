"""Readiness that tells the truth: every Member State expected (and the Plus Three at ASOMM+3), only country
reports filed for this meeting count, replies per delegation, sort by state, CSV/XLSX export for the
secretariat; the home page's SQL counts agree with the table."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings import readiness, services
from aocp.meetings.models import AgendaItem, Meeting
from aocp.orgs.models import Organisation
from tests.conftest import sign_in
from tests.meetings.conftest import make_doc, page, schedule, user


def table(meeting_id: int) -> readiness.Readiness:
    return readiness.delegations(db.session.get(Meeting, meeting_id))


def sql_counts(meeting_id: int) -> tuple[int, int]:
    expected, submitted = readiness.counts()
    row = db.session.execute(select(expected, submitted).where(Meeting.id == meeting_id)).one()
    return row.expected, row.submitted


def org_id(code: str) -> int:
    return db.session.execute(select(Organisation.id).where(Organisation.code == code)).scalar()


def attach(actor_id: int, meeting_id: int, doc_id: int) -> None:
    item = db.session.execute(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
                              .order_by(AgendaItem.position.desc())).scalars().first()
    services.attach_paper(user(actor_id), item, db.session.get(Document, doc_id))
    db.session.commit()


def section(html: str) -> str:
    start = html.index('id="readiness"')
    return html[start:html.index("</section>", start)]


def test_all_ten_member_states_are_expected_whatever_the_membership(app, people, meeting):
    with app.app_context():
        t = table(meeting)
        assert [r.code for r in t.rows] == ["BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM"]
        assert sql_counts(meeting) == (10, 0)
        brunei = t.of(org_id("BRN"))
        assert (brunei.people, brunei.state, brunei.state_label) == (0, "no_member", "No member in AOCP")
        phl = t.of(org_id("PHL"))  # a PHL delegate is in AOCP, in another body only
        assert (phl.people, phl.in_body, phl.state) == (1, 0, "missing")
        plus_three = schedule(people["staff"], "ASOMM3", 40)
        codes = [r.code for r in table(plus_three).rows]
        assert len(codes) == 13 and codes[-3:] == ["CHN", "JPN", "KOR"]
        assert sql_counts(plus_three) == (13, 0)


def test_only_a_report_filed_for_this_meeting_counts(app, people, meeting):
    with app.app_context():
        earlier = schedule(people["chair"], "WGTIM", 5, number=20)
        old = make_doc(people["tha"], "Thailand report for the 20th", doc_type="country_report",
                       meeting_id=earlier)
        attach(people["chair"], meeting, old)  # on this agenda, filed for another meeting: does not count
        assert table(meeting).of(org_id("THA")).submitted_at is None
        assert sql_counts(meeting) == (10, 0)
        new = make_doc(people["tha"], "Thailand report for the 21st", doc_type="country_report",
                       meeting_id=meeting)
        t = table(meeting)
        tha = t.of(org_id("THA"))
        assert tha.state == "submitted" and not tha.attached and tha.changed_at is not None
        assert sql_counts(meeting) == (10, 1) == (t.expected, t.submitted)
        attach(people["chair"], meeting, new)
        assert table(meeting).of(org_id("THA")).attached


def test_the_hint_follows_the_state(app, client, people, meeting):
    sign_in(app, client, people["tha"])
    hint = section(page(client, f"/meetings/{meeting}"))
    assert "Share the country report of Thailand for this meeting" in hint
    assert "attached to this meeting&#39;s agenda counts" not in hint
    with app.app_context():
        doc = make_doc(people["tha"], "Thailand report 2026", doc_type="country_report", meeting_id=meeting)
    hint = section(page(client, f"/meetings/{meeting}"))
    assert "Share the country report" not in hint and "attach it to an agenda item" in hint
    assert "Thailand report 2026" in hint
    with app.app_context():
        attach(people["chair"], meeting, doc)
    assert "filed for this meeting and on the agenda" in section(page(client, f"/meetings/{meeting}"))


def test_replies_per_delegation_and_sort_by_state(app, client, people, meeting):
    with app.app_context():
        m = db.session.get(Meeting, meeting)
        services.rsvp(user(people["tha"]), m, "in_person")
        services.rsvp(user(people["tha_focal"]), m, "online")
        services.rsvp(user(people["mys"]), m, "not_attending")
        db.session.commit()
        make_doc(people["mys"], "Malaysia report", doc_type="country_report", meeting_id=meeting)
        t = table(meeting)
        tha, mys = t.of(org_id("THA")), t.of(org_id("MYS"))
        assert (tha.in_person, tha.online, tha.not_attending) == (1, 1, 0)
        assert (mys.in_person, mys.online, mys.not_attending) == (0, 0, 1)
        assert tha.changed_at is not None
        states = [r.state for r in t.sorted("state")]
        assert states == sorted(states, key=list(readiness.STATES).index) and states[-1] == "submitted"
    sign_in(app, client, people["tha"])
    html = page(client, f"/meetings/{meeting}/readiness?sort=state")
    rows = section(html).split("<tr data-state=")[1:]
    assert len(rows) == 10 and rows[-1].startswith('"submitted"') and "Malaysia" in rows[-1]
    assert "1 in person · 1 online · 0 not attending" in html
    assert "no member in AOCP" in html and "Add a person of" not in html  # the fix link is ASEC's
    assert client.get(f"/meetings/{meeting}/readiness.csv").status_code == 403  # export: the secretariat
    sign_in(app, client, people["admin"])
    assert "Add a person of Brunei Darussalam" in page(client, f"/meetings/{meeting}/readiness")


def test_export_csv_and_xlsx_neutralise_formulas(app, client, people, meeting):
    with app.app_context():
        db.session.get(Organisation, org_id("LAO")).name = "=HYPERLINK(\"http://x\")"
        db.session.commit()
    sign_in(app, client, people["chair"])
    r = client.get(f"/meetings/{meeting}/readiness.csv")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Delegation" and len(rows) == 11
    lao = next(row for row in rows if row[1] == "LAO")
    assert lao[0] == "'=HYPERLINK(\"http://x\")" and lao[7] == "No member in AOCP"
    r = client.get(f"/meetings/{meeting}/readiness.xlsx?sort=state")
    sheet = load_workbook(io.BytesIO(r.data)).active
    values = [c.value for c in sheet["A"]]
    assert len(values) == 11 and "'=HYPERLINK(\"http://x\")" in values
    sign_in(app, client, people["outsider"])
    assert client.get(f"/meetings/{meeting}/readiness").status_code == 404
    assert client.get(f"/meetings/{meeting}/readiness.xlsx").status_code == 404
