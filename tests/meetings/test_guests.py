"""Guests and resource persons: invited to ONE meeting by its chair or ASEC, they see that meeting's published
agenda and the papers shared with guests, nothing else of the body (404), on pages and API alike."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings import guests, services
from aocp.meetings.models import AgendaItem, Meeting, Participant
from tests.api.conftest import bearer, make_token  # noqa: F401 (a fixture)
from tests.conftest import post_form, sign_in
from tests.meetings.conftest import audit_actions, make_doc, page, schedule, user


@pytest.fixture
def world(app, people, meeting, make_user):
    """A CCOP resource person invited to the 21st WGTIM Meeting; on its agenda a paper shared with guests and
    one not; a WGTIM paper not on the agenda; the 20th WGTIM Meeting."""
    guest = make_user("observer", "CCOP", "rp@example.org", name="Rosa Resource")
    with app.app_context():
        m = db.session.get(Meeting, meeting)
        item = m.items[1]
        shared = make_doc(people["mys"], "Paper for guests")
        private = make_doc(people["mys"], "Members only paper")
        loose = make_doc(people["tha"], "Workspace paper")
        for doc in (shared, private):
            services.attach_paper(user(people["chair"]), item, db.session.get(Document, doc))
        guests.invite_guest(user(people["chair"]), m, user(guest), "resource_person")
        guests.share_paper(user(people["chair"]), m, shared, True)
        db.session.commit()
        other = schedule(people["chair"], "WGTIM", 5, number=20)
    return {"guest": guest, "shared": shared, "private": private, "loose": loose, "other": other,
            "meeting": meeting}


def publish(app, people, meeting_id):
    with app.app_context():
        services.publish_agenda(user(people["chair"]), db.session.get(Meeting, meeting_id))
        db.session.commit()


def test_the_chair_invites_a_resource_person_from_any_organisation(app, client, people, meeting, make_user):
    rp = make_user("observer", "IGF", "igf@example.org", name="Ines Forum")
    sign_in(app, client, people["chair"])
    url = f"/meetings/{meeting}/guests"
    assert "Invite guests and resource persons" in page(client, f"/meetings/{meeting}/participants")
    suggestions = client.get(f"/meetings/{meeting}/people?for=guest&q=Ines").get_json()
    assert [p["name"] for p in suggestions["people"]] == ["Ines Forum"]
    r = post_form(client, url, {"person": "Ines Forum (IGF)", "role": "resource_person"}, page=url)
    assert r.status_code == 302
    with app.app_context():
        part = db.session.execute(select(Participant).where(Participant.user_id == rp)).scalar_one()
        assert (part.meeting_id, part.role) == (meeting, "resource_person")
        assert audit_actions()[-1] == "meeting.guest_invited"
    html = page(client, url)
    assert "Ines Forum" in html and "Resource person" in html
    assert "resource person" in page(client, f"/meetings/{meeting}/participants")  # tagged among the participants
    for data, message in (({"person": "Ines Forum (IGF)", "role": "guest"}, "already invited"),
                          ({"person": "Somchai Thailand", "role": "guest"}, "already invited"),
                          ({"person": "nobody@example.org", "role": "guest"}, "No person in AOCP matches"),
                          ({"person": "Jose Outside", "role": "chair"}, "Not a valid choice")):
        r = post_form(client, url, data, page=url)
        assert r.status_code == 400 and message in r.get_data(as_text=True), data
    sign_in(app, client, people["tha"])  # a member, not a manager
    assert client.get(url).status_code == 403
    assert post_form(client, url, {"person": "Jose Outside", "role": "guest"}, page=f"/meetings/{meeting}"
                     ).status_code == 403


def test_a_body_member_is_not_invited_as_a_guest(app, people, meeting):
    with app.app_context():
        from aocp.meetings.services import MeetingError
        m = db.session.get(Meeting, meeting)
        with pytest.raises(MeetingError, match="already sees"):
            guests.invite_guest(user(people["chair"]), m, user(people["observer"]), "guest")


def test_a_guest_sees_that_meeting_only(app, client, people, world):
    m, g = world["meeting"], world["guest"]
    sign_in(app, client, g)
    r = client.get(f"/meetings/{m}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/meetings/{m}/guest")
    html = page(client, f"/meetings/{m}/guest")
    assert "You are invited as <strong>resource person</strong>" in html and "not published yet" in html
    assert "Paper for guests" not in html
    assert client.get(f"/documents/{world['shared']}").status_code == 404  # not before publishing
    publish(app, people, m)
    html = page(client, f"/meetings/{m}/guest")
    assert "Paper for guests" in html and "Country reports" in html and "Members only paper" not in html
    assert client.get(f"/documents/{world['shared']}").status_code == 200
    r = client.get(f"/documents/{world['shared']}/download")
    r.close()
    assert r.status_code == 200
    for url in (f"/documents/{world['private']}", f"/documents/{world['loose']}", f"/meetings/{world['other']}",
                f"/meetings/{world['other']}/guest", "/workspaces/WGTIM", "/workspaces/WGTIM/members",
                f"/meetings/{m}/readiness", f"/meetings/{m}/minutes", f"/meetings/{m}/record.pdf",
                f"/documents/{world['private']}/download"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/meetings/{m}/guests").status_code in (403, 404)
    assert "Paper for guests" in page(client, "/documents/") and "Members only paper" not in page(client, "/documents/")
    r = post_form(client, f"/meetings/{m}/rsvp", {"rsvp": "online", "next": f"/meetings/{m}/guest"},
                  page=f"/meetings/{m}/guest")
    assert r.status_code == 302
    assert "Your reply: Attending online" in page(client, f"/meetings/{m}/guest")


def test_the_api_answers_a_guest_as_the_pages_do(app, client, people, world, make_token):  # noqa: F811
    publish(app, people, world["meeting"])
    headers = bearer(make_token(world["guest"]))
    assert client.get(f"/api/v1/meetings/{world['meeting']}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/meetings/{world['other']}", headers=headers).status_code == 404
    assert client.get("/api/v1/workspaces/WGTIM", headers=headers).status_code == 404
    assert client.get(f"/api/v1/documents/{world['shared']}", headers=headers).status_code == 200
    r = client.get(f"/api/v1/documents/{world['shared']}/download", headers=headers)
    r.close()
    assert r.status_code == 200
    assert client.get(f"/api/v1/documents/{world['private']}", headers=headers).status_code == 404
    listed = [d["title"] for d in client.get("/api/v1/documents", headers=headers).get_json()["items"]]
    assert "Paper for guests" in listed and "Members only paper" not in listed


def test_members_and_outsiders_are_unchanged(app, client, people, world):
    publish(app, people, world["meeting"])
    sign_in(app, client, people["tha"])
    for doc in ("shared", "private", "loose"):
        assert client.get(f"/documents/{world[doc]}").status_code == 200
    assert client.get(f"/meetings/{world['meeting']}").status_code == 200
    assert "Paper for guests" in page(client, f"/meetings/{world['meeting']}/guest")  # what guests see
    sign_in(app, client, people["outsider"])
    for url in (f"/meetings/{world['meeting']}/guest", f"/meetings/{world['meeting']}",
                f"/documents/{world['shared']}"):
        assert client.get(url).status_code == 404, url


def test_guests_find_the_meeting_ahead_and_in_their_calendar_until_removed(app, client, people, world):
    m, g = world["meeting"], world["guest"]
    sign_in(app, client, g)
    assert "21st WGTIM Meeting" in page(client, "/meetings/upcoming")
    assert "20th WGTIM Meeting" not in page(client, "/meetings/upcoming")
    assert "21st WGTIM Meeting" in page(client, "/")
    listed = page(client, "/calendar/list")
    assert "21st WGTIM Meeting" in listed and "20th WGTIM Meeting" not in listed
    assert client.get(f"/meetings/{m}.ics").status_code == 200
    publish(app, people, m)
    with app.app_context():
        guests.remove_guest(user(people["chair"]), db.session.get(Meeting, m), g)
        db.session.commit()
    assert client.get(f"/meetings/{m}/guest").status_code == 404
    assert client.get(f"/documents/{world['shared']}").status_code == 404
    assert "21st WGTIM Meeting" not in page(client, "/meetings/upcoming")


def test_sharing_a_paper_with_guests_from_the_guests_page(app, client, people, world):
    sign_in(app, client, people["chair"])
    url = f"/meetings/{world['meeting']}/guests"
    r = post_form(client, f"{url}/papers/{world['private']}", {"shared": "1"}, page=url)
    assert r.status_code == 302
    with app.app_context():
        item_ids = select(AgendaItem.id).where(AgendaItem.meeting_id == world["meeting"])
        from aocp.meetings.models import AgendaPaper
        flags = dict(db.session.execute(select(AgendaPaper.document_id, AgendaPaper.for_guests)
                                        .where(AgendaPaper.agenda_item_id.in_(item_ids))).all())
        assert flags == {world["shared"]: True, world["private"]: True}
    r = post_form(client, f"{url}/papers/{world['loose']}", {"shared": "1"}, page=url)
    assert r.status_code == 302
    assert "not on this meeting" in page(client, url)
