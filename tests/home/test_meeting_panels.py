"""My AOCP: meetings ahead (reply inline, my Member State's country report, readiness) and ASEC's meetings of the
next 30 days with readiness below 100%; the panels count what their lists count and show only what one may open."""
from __future__ import annotations

import re

from aocp.extensions import db
from aocp.meetings import services
from aocp.meetings.models import Meeting, Participant
from tests.conftest import csrf_token, sign_in
from tests.meetings.conftest import make_doc, page, schedule, user


def panel(html: str, name: str) -> str:
    """The panel's section of the home page ('' when it is not shown with rows)."""
    match = re.search(rf'<section class="card panel" id="panel-{name}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def count_of(section: str) -> int:
    return int(re.search(r'<span class="count" aria-label="(\d+) in all">', section).group(1))


def list_total(client, url: str) -> int:
    html = page(client, url)
    return len(re.findall(r'<li class="upcoming" id="upcoming-\d+">', html))


def test_a_delegate_sees_the_meetings_of_their_bodies_with_their_states_report(app, client, people, meeting):
    sign_in(app, client, people["tha"])
    section = panel(page(client, "/"), "meetings")
    assert "21st WGTIM Meeting" in section and "Centara Grand, Bangkok" in section
    assert "5th JWG Meeting" not in section  # JWG is not one of their bodies
    assert "THA report missing" in section and "readiness 0% (0 of 10)" in section
    assert "agenda not published" in section and "papers due" in section
    assert f'href="/meetings/{meeting}/papers"' in section
    # Bangkok 09:30 is 09:30 in Jakarta's zone too (both UTC+7), the person's default zone.
    assert "09:30 (Asia/Jakarta)" in section
    with app.app_context():
        make_doc(people["tha"], "Thailand country report", doc_type="country_report", meeting_id=meeting)
        services.publish_agenda(user(people["chair"]), db.session.get(Meeting, meeting))
        db.session.commit()
    section = panel(page(client, "/"), "meetings")
    assert "THA report submitted" in section and "readiness 10% (1 of 10)" in section
    assert "agenda published" in section and "agenda not published" not in section
    assert count_of(section) == list_total(client, "/meetings/upcoming") == 1


def test_people_outside_the_body_see_none_of_its_meetings(app, client, people, meeting):
    sign_in(app, client, people["outsider"])
    html = page(client, "/")
    assert "21st WGTIM Meeting" not in html and panel(html, "meetings") == ""
    assert "Meetings ahead: no meeting of your bodies" in html
    assert list_total(client, "/meetings/upcoming") == 0


def test_the_panel_counts_every_meeting_ahead_and_shows_the_soonest_five(app, client, people, meeting):
    with app.app_context():
        for n in range(7):
            schedule(people["chair"], "WGTIM", 40 + n, number=30 + n)
        schedule(people["chair"], "WGTIM", 95, number=50)  # beyond 90 days
        schedule(people["chair"], "WGTIM", 45, number=51, status="cancelled")
    sign_in(app, client, people["mys"])
    section = panel(page(client, "/"), "meetings")
    assert count_of(section) == 8 == list_total(client, "/meetings/upcoming?days=90")
    assert len(re.findall(r'<li class="upcoming"', section)) == 5 and "21st WGTIM Meeting" in section
    assert "50th" not in section and "51st" not in section
    assert 'href="/meetings/upcoming">All meetings ahead (8)' in section
    assert list_total(client, "/meetings/upcoming?days=120") == 9


def test_a_reply_from_the_home_page_is_saved_and_comes_back_home(app, client, people, meeting):
    sign_in(app, client, people["tha"])
    section = panel(page(client, "/"), "meetings")
    assert f'action="/meetings/{meeting}/rsvp"' in section and 'name="next" value="/"' in section
    token = csrf_token(client, "/")
    r = client.post(f"/meetings/{meeting}/rsvp", data={"csrf_token": token, "rsvp": "online", "next": "/"})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert "Your reply to the 21st WGTIM Meeting is saved." in page(client, "/")
    with app.app_context():
        assert db.session.query(Participant.rsvp).filter_by(meeting_id=meeting, user_id=people["tha"]).scalar() \
            == "online"
    # A "next" off the site goes to the meeting page instead.
    r = client.post(f"/meetings/{meeting}/rsvp", data={"csrf_token": token, "rsvp": "in_person",
                                                      "next": "//evil.example/"})
    assert r.headers["Location"] == f"/meetings/{meeting}/participants"
    # No answer chosen: back home with the reason, nothing changed.
    r = client.post(f"/meetings/{meeting}/rsvp", data={"csrf_token": token, "rsvp": "", "next": "/"})
    assert r.status_code == 303 and r.headers["Location"] == "/"
    assert "Answer attending in person, online, or not attending." in page(client, "/")


def test_people_not_invited_get_no_reply_form(app, client, people, meeting):
    sign_in(app, client, people["staff"])  # ASEC sees every meeting ahead; the body's members are the invited
    section = panel(page(client, "/"), "meetings")
    assert "21st WGTIM Meeting" in section and "/rsvp" not in section


def test_asec_sees_meetings_of_the_next_30_days_not_ready(app, client, people, meeting):
    with app.app_context():
        soon_one = schedule(people["chair"], "WGTIM", 10, number=22)
        schedule(people["staff"], "WGSMD", 12, number=3)  # all ten Member States expected, none submitted
    sign_in(app, client, people["staff"])
    section = panel(page(client, "/"), "readiness")
    assert "22nd WGTIM Meeting" in section and "3rd WGSMD Meeting" in section
    assert "21st WGTIM Meeting" not in section  # 31 days ahead
    assert "0%: 0 of 10 country reports" in section
    assert count_of(section) == 2 == list_total(client, "/meetings/upcoming?days=30&readiness=below")
    with app.app_context():
        make_doc(people["tha"], "Thailand report", doc_type="country_report", meeting_id=soon_one)
        make_doc(people["mys"], "Malaysia report", doc_type="country_report", meeting_id=soon_one)
    section = panel(page(client, "/"), "readiness")
    assert "20%: 2 of 10 country reports" in section and count_of(section) == 2  # still below 100%


def test_only_a_report_filed_for_the_meeting_counts_and_a_deleted_one_does_not(app, client, people, meeting):
    with app.app_context():
        m = db.session.get(Meeting, meeting)
        doc = make_doc(people["tha"], "Thai report on the agenda", doc_type="country_report")
        from aocp.documents.models import Document
        services.attach_paper(user(people["tha"]), m.items[1], db.session.get(Document, doc))
        gone = make_doc(people["mys"], "Malaysian report, deleted", doc_type="country_report", meeting_id=meeting)
        db.session.get(Document, gone).deleted_at = m.created_at
        db.session.commit()
    sign_in(app, client, people["staff"])
    assert "readiness 0% (0 of 10)" in page(client, "/meetings/upcoming")  # attached only, and deleted
    with app.app_context():
        db.session.get(Document, doc).meeting_id = meeting
        db.session.commit()
    assert "readiness 10% (1 of 10)" in page(client, "/meetings/upcoming")


def test_the_readiness_panel_is_for_asec_only(app, client, people, meeting):
    with app.app_context():
        schedule(people["chair"], "WGTIM", 10, number=22)
    sign_in(app, client, people["chair"])
    assert 'id="panel-readiness"' not in page(client, "/")


def test_bad_filters_on_the_meetings_list_are_ignored_with_a_message(app, client, people, meeting):
    sign_in(app, client, people["tha"])
    for query, message in (("days=abc", "Days ahead must be a whole number"), ("days=9999", "from 1 to 366"),
                           ("body=NOPE", "no workspace of that name"), ("readiness=high", "Readiness is either"),
                           ("body=WGSMD", "no workspace of that name")):
        html = page(client, f"/meetings/upcoming?{query}")
        assert message in html, query
        assert "21st WGTIM Meeting" in html
