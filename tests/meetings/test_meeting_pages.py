"""Scheduling and editing meetings, and the meeting page: agenda, papers, readiness, participants."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings import assignments, services
from aocp.meetings.models import AgendaItem, AgendaPaper, Meeting, Participant
from aocp.orgs.models import Membership
from tests.conftest import body, csrf_token, org, post_form, sign_in
from tests.meetings.conftest import audit_actions, counted, make_doc, page, schedule, soon, user


def post(client, url: str, data: dict):
    """Post as a browser would, with the session's CSRF token taken from a page anyone signed in can open."""
    return client.post(url, data={"csrf_token": csrf_token(client, "/profile/"), **data})


def meeting_form(**overrides) -> dict:
    data = {"number": "7", "starts_on": soon(40).isoformat(), "ends_on": soon(41).isoformat(),
            "start_time": "10:00", "timezone": "Asia/Manila", "host": "PHL", "venue": "Manila",
            "online_url": "", "chair": "0", "status": "planned", "group_with": "0", "paper_deadline": ""}
    return {**data, **overrides}


def invited_count(meeting_id: int) -> int:
    return db.session.execute(select(func.count()).where(Participant.meeting_id == meeting_id)).scalar()


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


# Scheduling

def test_the_chair_schedules_a_meeting_and_the_members_are_invited(app, client, people):
    sign_in(app, client, people["chair"])
    form = page(client, "/workspaces/WGTIM/meetings/new")
    assert re.search(r'id="number"[^>]*value="1"', form)
    r = post_form(client, "/workspaces/WGTIM/meetings/new",
                  meeting_form(number="21", chair=str(people["chair"]), timezone="Asia/Bangkok", host="THA"))
    assert r.status_code == 302
    with app.app_context():
        m = db.session.execute(select(Meeting)).scalar_one()
        assert (m.title, m.timezone, m.host.code, m.chair_id) == ("21st WGTIM Meeting", "Asia/Bangkok", "THA",
                                                                   people["chair"])
        invited = set(db.session.execute(select(Participant.user_id)).scalars())
        assert invited == {people[k] for k in ("chair", "mys", "tha", "tha_focal", "observer")}
        assert "meeting.created" in audit_actions()
    assert r.headers["Location"].endswith(f"/meetings/{m.id}")
    html = page(client, f"/meetings/{m.id}")
    assert "<h1>21st WGTIM Meeting" in html and "10:00 Asia/Bangkok (UTC+07:00)" in html
    assert "03:00 UTC" in html


def test_the_form_proposes_the_next_number_and_the_body_chair(app, client, people, meeting):
    sign_in(app, client, people["staff"])
    html = page(client, "/workspaces/WGTIM/meetings/new")
    assert re.search(r'id="number"[^>]*value="22"', html)
    assert re.search(rf'<option selected value="{people["chair"]}">Aminah Chair', html)
    assert "5th JWG Meeting" in html  # the back-to-back choice
    for zone in ("Asia/Bangkok", "Asia/Jakarta", "Asia/Yangon"):
        assert f'value="{zone}"' in html


@pytest.mark.parametrize("overrides, field, message", [
    ({"ends_on": soon(39).isoformat()}, "ends_on", "The meeting cannot end before it starts."),
    ({"paper_deadline": soon(45).isoformat()}, "paper_deadline", "Papers are due before the meeting starts."),
    ({"start_time": "9am"}, "start_time", "Give the start time as HH:MM"),
    ({"online_url": "http://example.org/x"}, "online_url", "An online link starts with https://."),
    ({"starts_on": "31/12/2026"}, "starts_on", "Give the first day as a date, e.g. 2026-03-24."),
    ({"timezone": "Europe/Paris"}, "timezone", "Not a valid choice"),
    ({"number": "0"}, "number", "A number from 1 to 9999."),
    ({"number": "21"}, "number", "WGTIM already has a meeting number 21."),
    ({"chair": str(10**6)}, "chair", "Not a valid choice"),
])
def test_bad_meeting_details_are_refused_on_the_field_and_change_nothing(app, client, people, meeting,
                                                                          overrides, field, message):
    sign_in(app, client, people["chair"])
    with app.app_context():
        before = (count(Meeting), len(audit_actions()))
    r = post_form(client, "/workspaces/WGTIM/meetings/new", meeting_form(**overrides))
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert re.search(rf'id="{field}-err"><li>{re.escape(message)}', html), html[html.find("errors") - 200:][:600]
    with app.app_context():
        assert (count(Meeting), len(audit_actions())) == before


def test_grouping_a_jwg_meeting_with_itself_is_not_offered(app, client, people, meeting):
    sign_in(app, client, people["staff"])
    html = page(client, "/workspaces/JWG/meetings/new")
    assert "Held back-to-back with" not in html


def test_the_form_refuses_a_post_without_its_csrf_token(app, client, people):
    sign_in(app, client, people["chair"])
    r = client.post("/workspaces/WGTIM/meetings/new", data=meeting_form())
    assert r.status_code == 400 and "Form expired" in r.get_data(as_text=True)
    with app.app_context():
        assert count(Meeting) == 0


def test_the_chair_edits_the_meeting(app, client, people, meeting):
    sign_in(app, client, people["chair"])
    html = page(client, f"/meetings/{meeting}/edit")
    assert 'value="Centara Grand, Bangkok"' in html and 'id="number"' not in html
    assert '<option selected value="THA">Thailand</option>' in html
    data = meeting_form(status="held", venue="Queen Sirikit Centre", host="THA", timezone="Asia/Bangkok",
                        starts_on=soon(31).isoformat(), ends_on=soon(32).isoformat())
    data.pop("number")
    with app.app_context():
        data["group_with"] = str(db.session.get(Meeting, meeting).group_with_id)
    r = post_form(client, f"/meetings/{meeting}/edit", data)
    assert r.status_code == 302
    with app.app_context():
        m = db.session.get(Meeting, meeting)
        assert (m.status, m.venue, m.number, m.group_with.number) == ("held", "Queen Sirikit Centre", 21, 5)
        assert audit_actions()[-1] == "meeting.updated"


def test_an_edit_with_bad_dates_changes_nothing(app, client, people, meeting):
    sign_in(app, client, people["chair"])
    data = meeting_form(starts_on=soon(31).isoformat(), ends_on=soon(20).isoformat(), venue="Elsewhere")
    r = post_form(client, f"/meetings/{meeting}/edit", data)
    assert r.status_code == 400 and "The meeting cannot end before it starts." in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Meeting, meeting).venue == "Centara Grand, Bangkok"


@pytest.mark.parametrize("who, status", [("mys", 403), ("tha_focal", 403), ("observer", 403), ("outsider", 404),
                                         ("staff", 200), ("admin", 200), ("chair", 200)])
def test_who_may_edit_a_meeting(app, client, people, meeting, who, status):
    sign_in(app, client, people[who])
    assert client.get(f"/meetings/{meeting}/edit").status_code == status
    r = post(client, f"/meetings/{meeting}/edit", meeting_form(venue="Changed"))
    assert r.status_code == (302 if status == 200 else status)
    with app.app_context():
        assert (db.session.get(Meeting, meeting).venue == "Changed") == (status == 200)


# The meeting page

@pytest.mark.parametrize("who, status", [("chair", 200), ("mys", 200), ("tha_focal", 200), ("observer", 200),
                                         ("staff", 200), ("admin", 200), ("outsider", 404)])
def test_who_may_open_the_meeting_page(app, client, people, meeting, who, status):
    sign_in(app, client, people[who])
    r = client.get(f"/meetings/{meeting}")
    assert r.status_code == status
    if status == 200:
        html = r.get_data(as_text=True)
        assert "<h1>21st WGTIM Meeting" in html and "09:30 Asia/Bangkok (UTC+07:00)" in html
        assert "Centara Grand, Bangkok" in html and "5th JWG Meeting" in html
        assert "Country reports" in html and "2 items" in html  # readiness, and what is new
        manage = who in ("chair", "staff", "admin")
        assert ("Edit details" in html) == manage
        agenda = page(client, f"/meetings/{meeting}/agenda")
        assert "Adoption of the agenda" in agenda and "Country reports" in agenda
        assert ("Add an agenda item" in agenda) == manage
        assert ("Attach a paper" in page(client, f"/meetings/{meeting}/papers")) == (who != "observer")


def test_an_unknown_meeting_is_404(app, client, people):
    sign_in(app, client, people["staff"])
    assert client.get("/meetings/999").status_code == 404
    assert client.get("/meetings/99999999999").status_code == 404


def test_links_to_minutes_calendar_and_exports_appear_once_those_pages_exist(app, client, people, meeting):
    sign_in(app, client, people["mys"])
    html = page(client, f"/meetings/{meeting}")
    for endpoint, href in (("meetings.minutes", f"/meetings/{meeting}/minutes"),
                           ("meetings.meeting_ics", f"/meetings/{meeting}.ics")):
        if endpoint in app.view_functions:
            assert f'href="{href}"' in html
        else:
            assert f'href="{href}"' not in html


# Agenda

def agenda_titles(meeting_id: int) -> list[str]:
    return list(db.session.execute(select(AgendaItem.title).where(AgendaItem.meeting_id == meeting_id)
                                   .order_by(AgendaItem.position)).scalars())


def test_the_chair_adds_moves_reorders_and_removes_items(app, client, people, meeting):
    sign_in(app, client, people["chair"])
    url = f"/meetings/{meeting}"
    r = post_form(client, f"{url}/items", {"item-title": "Any other business", "item-presenter": "",
                                           "item-duration_minutes": "20", "item-notes": "Short."}, page=url)
    assert r.status_code == 302
    with app.app_context():
        assert agenda_titles(meeting) == ["Adoption of the agenda", "Country reports", "Any other business"]
        ids = {i.title: i.id for i in db.session.execute(select(AgendaItem)).scalars()}
    assert post(client, f"{url}/items/{ids['Any other business']}/move/up", {}).status_code == 302
    with app.app_context():
        assert agenda_titles(meeting) == ["Adoption of the agenda", "Any other business", "Country reports"]
    r = post(client, f"{url}/agenda/order", {f"position-{ids['Adoption of the agenda']}": "3",
                                             f"position-{ids['Any other business']}": "1",
                                             f"position-{ids['Country reports']}": "2"})
    assert r.status_code == 302
    with app.app_context():
        assert agenda_titles(meeting) == ["Any other business", "Country reports", "Adoption of the agenda"]
    assert post(client, f"{url}/items/{ids['Country reports']}/remove", {}).status_code == 302
    with app.app_context():
        assert agenda_titles(meeting) == ["Any other business", "Adoption of the agenda"]
        positions = db.session.execute(select(AgendaItem.position).order_by(AgendaItem.position)).scalars().all()
        assert positions == [1, 2]
        actions = audit_actions()
    assert ["agenda.item_added", "agenda.reordered", "agenda.reordered", "agenda.item_removed"] == \
        [a for a in actions if a.startswith("agenda.")][-4:]


def test_an_agenda_item_without_a_title_is_refused(app, client, people, meeting):
    sign_in(app, client, people["chair"])
    url = f"/meetings/{meeting}"
    r = post_form(client, f"{url}/items", {"item-title": "  ", "item-duration_minutes": "700"}, page=url)
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "An agenda item needs a title." in html and "A duration between 1 and 600 minutes." in html
    with app.app_context():
        assert len(agenda_titles(meeting)) == 2


def test_a_reorder_with_a_missing_number_is_refused(app, client, people, meeting):
    sign_in(app, client, people["chair"])
    with app.app_context():
        first = db.session.execute(select(AgendaItem.id).order_by(AgendaItem.position)).scalars().first()
    r = post(client, f"/meetings/{meeting}/agenda/order", {f"position-{first}": "2"})
    assert r.status_code == 400 and "Give every agenda item a number from 1 to 1000." in r.get_data(as_text=True)
    with app.app_context():
        assert agenda_titles(meeting) == ["Adoption of the agenda", "Country reports"]


def test_an_item_of_another_meeting_is_404(app, client, people, meeting):
    with app.app_context():
        other = schedule(people["chair"], number=30)
        item = services.add_item(user(people["chair"]), db.session.get(Meeting, other), "Elsewhere")
        db.session.commit()
        item_id = item.id
    sign_in(app, client, people["chair"])
    assert post(client, f"/meetings/{meeting}/items/{item_id}/remove", {}).status_code == 404
    assert post(client, f"/meetings/{meeting}/items/{item_id}/move/up", {}).status_code == 404
    with app.app_context():
        assert agenda_titles(other) == ["Elsewhere"]


def test_publishing_the_agenda(app, client, people, meeting):
    sign_in(app, client, people["mys"])
    assert "The agenda is a draft until the chair publishes it." in page(client, f"/meetings/{meeting}/agenda")
    sign_in(app, client, people["chair"])
    assert post(client, f"/meetings/{meeting}/agenda/publish", {}).status_code == 302
    with app.app_context():
        assert db.session.get(Meeting, meeting).agenda_published_at is not None
        assert audit_actions()[-1] == "agenda.published"
    assert "Publish the agenda again" in page(client, f"/meetings/{meeting}/agenda")


def test_an_empty_agenda_cannot_be_published(app, client, people):
    with app.app_context():
        empty = schedule(people["chair"], number=3)
    sign_in(app, client, people["chair"])
    r = post(client, f"/meetings/{empty}/agenda/publish", {})
    assert r.status_code == 400 and "Add at least one agenda item before publishing." in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Meeting, empty).agenda_published_at is None


@pytest.mark.parametrize("who, status", [("mys", 403), ("tha_focal", 403), ("observer", 403), ("outsider", 404)])
def test_only_managers_change_the_agenda(app, client, people, meeting, who, status):
    sign_in(app, client, people[who])
    with app.app_context():
        first = db.session.execute(select(AgendaItem.id).order_by(AgendaItem.position)).scalars().first()
    url = f"/meetings/{meeting}"
    assert post(client, f"{url}/items", {"item-title": "Mine", "item-duration_minutes": "5"}).status_code == status
    assert post(client, f"{url}/items/{first}/move/down", {}).status_code == status
    assert post(client, f"{url}/items/{first}/remove", {}).status_code == status
    assert post(client, f"{url}/agenda/publish", {}).status_code == status
    with app.app_context():
        assert agenda_titles(meeting) == ["Adoption of the agenda", "Country reports"]
        assert db.session.get(Meeting, meeting).agenda_published_at is None


def test_agenda_changes_need_the_csrf_token(app, client, people, meeting):
    sign_in(app, client, people["chair"])
    r = client.post(f"/meetings/{meeting}/items", data={"item-title": "Sneaky", "item-duration_minutes": "5"})
    assert r.status_code == 400
    assert client.post(f"/meetings/{meeting}/agenda/publish").status_code == 400
    with app.app_context():
        assert len(agenda_titles(meeting)) == 2
        assert db.session.get(Meeting, meeting).agenda_published_at is None


# Papers

def second_item(meeting_id: int) -> int:
    return db.session.execute(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id)
                              .order_by(AgendaItem.position.desc())).scalars().first()


def test_a_delegate_attaches_a_paper_and_only_those_who_may_open_it_see_it(app, client, people, meeting):
    with app.app_context():
        doc = make_doc(people["mys"], "Malaysia tin export note", level="asean", access_body=None)
        item = second_item(meeting)
    sign_in(app, client, people["mys"])
    html = page(client, f"/meetings/{meeting}/papers?attach={item}")
    assert re.search(rf'<option selected value="{item}">2. Country reports', html)
    assert 'list="paper-document-list"' in html and f'data-suggest="/meetings/{meeting}/documents"' in html
    suggested = client.get(f"/meetings/{meeting}/documents", query_string={"q": "TIN export"}).get_json()
    assert suggested == {"documents": [{"id": doc, "title": "Malaysia tin export note",
                                        "value": f"Malaysia tin export note (#{doc})"}], "more": False}
    r = post(client, f"/meetings/{meeting}/papers",
             {"paper-item": str(item), "paper-document": f"Malaysia tin export note (#{doc})"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.execute(select(AgendaPaper.document_id)).scalars().all() == [doc]
        assert audit_actions()[-1] == "agenda.paper_attached"
    assert f'href="/documents/{doc}">Malaysia tin export note' in page(client, f"/meetings/{meeting}/papers")
    sign_in(app, client, people["observer"])  # Japan: the paper is shared with ASEAN only
    html = page(client, f"/meetings/{meeting}/papers")
    assert "Malaysia tin export note" not in html and f"/documents/{doc}" not in html


def test_a_paper_the_contributor_may_not_open_cannot_be_attached(app, client, people, meeting):
    with app.app_context():
        hidden = make_doc(people["outsider"], "WGSMD internal", level="body", access_body="WGSMD",
                          body_code="WGSMD")
        item = second_item(meeting)
    sign_in(app, client, people["tha"])
    assert "WGSMD internal" not in page(client, f"/meetings/{meeting}/papers")
    assert client.get(f"/meetings/{meeting}/documents", query_string={"q": "WGSMD"}).get_json()["documents"] == []
    # Its number, its number as a suggestion would give it, and its title: all refused alike.
    for typed, told in [(str(hidden), f"No document you may open has the number {hidden}."),
                        (f"WGSMD internal (#{hidden})", "No document you may open is called"),
                        ("WGSMD internal", "No document you may open is called “WGSMD internal”")]:
        r = post(client, f"/meetings/{meeting}/papers", {"paper-item": str(item), "paper-document": typed})
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and told in html
        assert f'href="/documents/{hidden}"' not in html
    with app.app_context():
        assert count(AgendaPaper) == 0


def test_an_observer_cannot_attach_papers(app, client, people, meeting):
    with app.app_context():
        doc = make_doc(people["mys"], "Open paper", level="everyone", access_body=None)
        item = second_item(meeting)
    sign_in(app, client, people["observer"])
    r = post(client, f"/meetings/{meeting}/papers", {"paper-item": str(item), "paper-document": str(doc)})
    assert r.status_code == 403
    with app.app_context():
        assert count(AgendaPaper) == 0


def test_the_chair_removes_a_paper(app, client, people, meeting):
    with app.app_context():
        doc = make_doc(people["mys"], "Withdrawn paper", level="everyone", access_body=None)
        item = db.session.get(AgendaItem, second_item(meeting))
        services.attach_paper(user(people["mys"]), item, db.session.get(Document, doc))
        db.session.commit()
        item_id = item.id
    sign_in(app, client, people["mys"])
    assert post(client, f"/meetings/{meeting}/items/{item_id}/papers/{doc}/remove", {}).status_code == 403
    sign_in(app, client, people["chair"])
    assert post(client, f"/meetings/{meeting}/items/{item_id}/papers/{doc}/remove", {}).status_code == 302
    assert post(client, f"/meetings/{meeting}/items/{item_id}/papers/{doc}/remove", {}).status_code == 404
    with app.app_context():
        assert count(AgendaPaper) == 0


# Readiness

def test_readiness_shows_which_member_states_submitted_their_country_report(app, client, people, meeting):
    with app.app_context():
        make_doc(people["mys"], "Malaysia country report 2026", level="body", doc_type="country_report",
                 meeting_id=meeting)
        make_doc(people["tha"], "Thailand paper (not a report)", level="body", meeting_id=meeting)
    sign_in(app, client, people["tha"])
    html = page(client, f"/meetings/{meeting}")
    section = html[html.index('id="readiness"'):html.index('</main>')]
    assert "1 of 10 delegations have filed their country report" in section
    malaysia = section[section.index("Malaysia"):section.index("Thailand")]
    assert "submitted" in malaysia and "Malaysia country report 2026" in malaysia
    assert "not yet" in section[section.index("Thailand"):]
    assert "Japan" not in section  # observers are not Member States
    assert "Share the country report of Thailand" in section


def test_a_country_report_attached_to_the_agenda_counts_once_filed_for_the_meeting(app, client, people, meeting):
    with app.app_context():
        report = make_doc(people["tha"], "Thailand country report 2026", doc_type="country_report")
        paper = make_doc(people["mys"], "Malaysian meeting paper")
        item = second_item(meeting)
    sign_in(app, client, people["tha"])
    assert "0 of 10 delegations have filed" in page(client, f"/meetings/{meeting}")
    for doc in (report, paper):
        assert post(client, f"/meetings/{meeting}/papers", {"paper-item": str(item), "paper-document": str(doc)}
                    ).status_code == 302
    assert "0 of 10 delegations have filed" in page(client, f"/meetings/{meeting}")  # attached is not filed
    with app.app_context():
        db.session.get(Document, report).meeting_id = meeting
        db.session.commit()
    html = page(client, f"/meetings/{meeting}")
    section = html[html.index('id="readiness"'):html.index('</main>')]
    assert "1 of 10 delegations have filed their country report" in section
    thailand = section[section.index("Thailand"):]
    assert "submitted" in thailand and "Thailand country report 2026" in thailand
    assert "not yet" in section[section.index("Malaysia"):section.index("Thailand")]


def test_readiness_counts_a_report_the_viewer_may_not_open_without_titling_it(app, client, people, meeting):
    with app.app_context():
        make_doc(people["tha"], "Thai report, ASEAN only", level="asean", access_body=None,
                 doc_type="country_report", meeting_id=meeting)
    sign_in(app, client, people["observer"])
    html = page(client, f"/meetings/{meeting}")
    section = html[html.index('id="readiness"'):html.index('</main>')]
    assert "1 of 10 delegations have filed their country report" in section and "Thai report" not in html
    assert "Share the country report" not in section


# Participants

def test_a_participant_answers_the_invitation(app, client, people, meeting):
    sign_in(app, client, people["tha"])
    assert "Your reply: No answer yet" in page(client, f"/meetings/{meeting}")
    assert post_form(client, f"/meetings/{meeting}/rsvp", {"rsvp": "online"},
                     page=f"/meetings/{meeting}").status_code == 302
    with app.app_context():
        part = db.session.execute(select(Participant).where(Participant.user_id == people["tha"])).scalar_one()
        assert part.rsvp == "online" and audit_actions()[-1] == "meeting.rsvp"
    html = page(client, f"/meetings/{meeting}")
    assert "Your reply: Attending online" in html and "1 attending" in html


def test_an_observer_invited_to_the_meeting_answers_too(app, client, people, meeting):
    sign_in(app, client, people["observer"])
    assert post(client, f"/meetings/{meeting}/rsvp", {"rsvp": "not_attending"}).status_code == 302
    with app.app_context():
        part = db.session.execute(select(Participant).where(Participant.user_id == people["observer"])).scalar_one()
        assert part.rsvp == "not_attending"


def test_a_bad_answer_is_refused(app, client, people, meeting):
    sign_in(app, client, people["tha"])
    r = post(client, f"/meetings/{meeting}/rsvp", {"rsvp": "invited"})
    assert r.status_code == 400 and "Not a valid choice" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(Participant.rsvp).where(Participant.user_id == people["tha"])
                                  ).scalar_one() == "invited"


def test_someone_not_invited_cannot_answer_and_a_non_member_gets_404(app, client, people, meeting):
    sign_in(app, client, people["staff"])  # sees every workspace, was not invited
    assert post(client, f"/meetings/{meeting}/rsvp", {"rsvp": "online"}).status_code == 403
    sign_in(app, client, people["outsider"])
    assert post(client, f"/meetings/{meeting}/rsvp", {"rsvp": "online"}).status_code == 404
    with app.app_context():
        assert invited_count(meeting) == 5


def test_delegations_are_listed_per_member_state(app, client, people, meeting):
    sign_in(app, client, people["observer"])
    html = page(client, f"/meetings/{meeting}/participants")
    section = html[html.index('id="participants"'):html.index('</main>')]
    assert re.search(r'rowspan="2">Malaysia</th>\s*<td>Aminah Chair</td>', section)
    assert re.search(r'rowspan="2">Thailand</th>\s*<td>Nok Focal</td>', section)
    assert re.search(r'rowspan="1">Japan</th>', section)
    assert section.index("Malaysia") < section.index("Thailand") < section.index("Japan")
    assert "Invite" not in section


def test_the_chair_invites_a_person_or_an_organisation(app, client, people, meeting, make_user):
    late1 = make_user("delegate", "VNM", "vnm1@example.org", {"WGTIM": "member"}, name="Lan One")
    late2 = make_user("delegate", "VNM", "vnm2@example.org", {"WGTIM": "member"}, name="Minh Two")
    late3 = make_user("delegate", "IDN", "idn@example.org", {"WGTIM": "member"}, name="Budi Three")
    sign_in(app, client, people["chair"])
    html = page(client, f"/meetings/{meeting}/participants")
    assert 'list="invite-person-list"' in html and '<option value="VNM">VNM</option>' in html
    assert "Budi Three" not in html  # suggested as one types, not listed in the page
    assert post(client, f"/meetings/{meeting}/invite", {"invite-person": " budi  three "}).status_code == 302
    assert post(client, f"/meetings/{meeting}/invite", {"invite-org": "VNM"}).status_code == 302
    with app.app_context():
        invited = set(db.session.execute(select(Participant.user_id).where(Participant.meeting_id == meeting))
                      .scalars())
        assert {late1, late2, late3} <= invited and len(invited) == 8
        assert audit_actions()[-2:] == ["meeting.invited", "meeting.invited"]


def test_inviting_nobody_or_an_outsider_is_refused(app, client, people, meeting, make_user):
    make_user("delegate", "VNM", "vnm1@example.org", {"WGTIM": "member"})
    sign_in(app, client, people["chair"])
    r = post(client, f"/meetings/{meeting}/invite", {"invite-person": "  ", "invite-org": ""})
    assert r.status_code == 400 and "Type the name or email of a person, or choose an organisation." in r.get_data(
        as_text=True)
    r = post(client, f"/meetings/{meeting}/invite", {"invite-person": "outsider@example.org"})
    assert r.status_code == 400 and "No member of WGTIM matches “outsider@example.org”." in r.get_data(as_text=True)
    r = post(client, f"/meetings/{meeting}/invite", {"invite-person": "Hafiz Malaysia (MYS)", "invite-org": "VNM"})
    assert r.status_code == 400 and "“Hafiz Malaysia (MYS)” is already invited." in r.get_data(as_text=True)
    with app.app_context():
        assert invited_count(meeting) == 5


@pytest.mark.parametrize("who, status", [("mys", 403), ("observer", 403), ("outsider", 404)])
def test_only_managers_invite_and_take_attendance(app, client, people, meeting, make_user, who, status):
    make_user("delegate", "VNM", "vnm1@example.org", {"WGTIM": "member"})
    sign_in(app, client, people[who])
    assert post(client, f"/meetings/{meeting}/invite", {"invite-person": "vnm1@example.org"}).status_code == status
    assert post(client, f"/meetings/{meeting}/attendance", {"present": str(people["mys"])}).status_code == status
    with app.app_context():
        assert invited_count(meeting) == 5
        assert db.session.execute(select(Participant.attended).where(Participant.attended.is_not(None))).first() \
            is None


def test_attendance_is_taken_once_the_meeting_has_started(app, client, people):
    with app.app_context():
        held = schedule(people["chair"], starts_in=-3, number=20, days=1)
    sign_in(app, client, people["chair"])
    html = page(client, f"/meetings/{held}/participants")
    assert 'name="present"' in html and "Save attendance" in html
    r = post(client, f"/meetings/{held}/attendance", {"present": [str(people["mys"]), str(people["tha"])]})
    assert r.status_code == 302
    with app.app_context():
        rows = dict(db.session.execute(select(Participant.user_id, Participant.attended)).all())
        assert rows[people["mys"]] is True and rows[people["tha"]] is True and rows[people["chair"]] is False
        assert audit_actions()[-1] == "meeting.attendance"
    html = page(client, f"/meetings/{held}/participants")
    assert "2 present" in html


def test_attendance_before_the_meeting_or_for_strangers_is_refused(app, client, people, meeting):
    with app.app_context():
        held = schedule(people["chair"], starts_in=-3, number=20)
    sign_in(app, client, people["chair"])
    assert 'name="present"' not in page(client, f"/meetings/{meeting}/participants")
    r = post(client, f"/meetings/{meeting}/attendance", {"present": str(people["mys"])})
    assert r.status_code == 400 and "once the meeting has started" in r.get_data(as_text=True)
    r = post(client, f"/meetings/{held}/attendance", {"present": [str(people["outsider"])]})
    assert r.status_code == 400 and "Tick only people on the list of participants." in r.get_data(as_text=True)
    r = post(client, f"/meetings/{held}/attendance", {"present": ["abc"]})
    assert r.status_code == 400
    with app.app_context():
        assert db.session.execute(select(Participant.attended).where(Participant.attended.is_not(None))).first() \
            is None


# Cost

def test_the_meeting_page_costs_the_same_queries_with_more_items_papers_and_people(app, client, people, meeting,
                                                                                    make_user):
    sign_in(app, client, people["chair"])

    def grow(n: int, start: int) -> None:
        with app.app_context():
            chair = user(people["chair"])
            m = db.session.get(Meeting, meeting)
            wgtim = body("WGTIM")
            for k in range(start, start + n):
                item = services.add_item(chair, m, f"Item {k}", f"Presenter {k}", 10)
                # Viet Nam's papers filed by ASEC for it (Viet Nam has nobody in WGTIM).
                doc = make_doc(people["staff"] if k % 2 else people["mys"], f"Paper {k}", level="body",
                               doc_type="country_report", meeting_id=meeting, org_code="VNM" if k % 2 else "MYS")
                services.attach_paper(chair, item, db.session.get(Document, doc))
                assignments.add_action(chair, wgtim, assignments.ActionDetails(f"Action {k}", owner_org=org("THA")), m)
                services.add_decision(chair, m, f"Decision {k}", item)
            db.session.commit()
        for k in range(start, start + n):
            uid = make_user("delegate", "IDN", f"idn{k}@example.org", {"WGTIM": "member"})
            with app.app_context():
                services.invite(user(people["chair"]), db.session.get(Meeting, meeting), [user(uid)])
                db.session.commit()

    pages = ("", "/agenda", "/papers", "/participants", "/actions", "/minutes")
    grow(2, 0)
    for sub in pages:
        client.get(f"/meetings/{meeting}{sub}")
    few = {}
    for sub in pages:
        with counted(app) as statements:
            assert client.get(f"/meetings/{meeting}{sub}").status_code == 200
        few[sub] = len(statements)
    grow(8, 10)
    many, html = {}, {}
    for sub in pages:
        with counted(app) as statements:
            html[sub] = client.get(f"/meetings/{meeting}{sub}").get_data(as_text=True)
        many[sub] = len(statements)
    assert "Item 17" in html["/agenda"] and "Paper 17" in html["/papers"] and "Action 17" in html["/actions"]
    assert "Decision 17" in html["/minutes"] and html["/participants"].count("<tr>") >= 15
    assert many == few, (few, many)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Membership)).scalar() > 10
