"""Journey: the WGTIM chair invites a resource person from CCOP to the 22nd WGTIM Meeting and shares one agenda
paper with guests; a Thai delegate downloads all the papers as one ZIP; the resource person finds the meeting on
their home page, opens its guest page with the shared paper only, and gets 404 for the body's other meeting and
its workspace. On a desktop and on a phone (nothing scrolls sideways)."""
from __future__ import annotations

import re
import zipfile

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings import services
from aocp.meetings.models import Meeting, Participant
from tests.browser.conftest import assert_fits, sign_in
from tests.meetings.conftest import make_doc, schedule

pytestmark = pytest.mark.browser

CHAIR = "ramon@mgb.example.ph"
THAI = "somchai@dmr.example.th"
GUEST = "li.wei@ccop.example.org"


def world(app, make_user) -> dict[str, int]:
    ids = {"chair": make_user("focal_person", org_code="PHL", email=CHAIR, name="Ramon dela Cruz",
                              bodies={"WGTIM": "chair"}),
           "thai": make_user("delegate", org_code="THA", email=THAI, name="Somchai Wongsakul",
                             bodies={"WGTIM": "member"}),
           "guest": make_user("observer", org_code="CCOP", email=GUEST, name="Li Wei")}
    with app.app_context():
        ids["meeting"] = schedule(ids["chair"], "WGTIM", 20, number=22, venue="Centara Grand, Bangkok")
        ids["other"] = schedule(ids["chair"], "WGTIM", 60, number=23)
        meeting = db.session.get(Meeting, ids["meeting"])
        chair = db.session.get(User, ids["chair"])
        item = services.add_item(chair, meeting, "Geoscience data sharing", "CCOP", 30)
        db.session.flush()
        for title in ("Geoscience data note", "Members only budget"):
            doc_id = make_doc(ids["chair"], title)
            services.attach_paper(chair, item, db.session.get(Document, doc_id))
            ids[title] = doc_id
        services.publish_agenda(chair, meeting)
        db.session.commit()
    return ids


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_resource_person_is_invited_and_sees_that_meeting_only(browsing, app, make_user, phone):
    ids = world(app, make_user)
    meeting_path = f"/meetings/{ids['meeting']}"

    # The chair invites the resource person, choosing them among the suggestions, and shares one paper.
    chair = browsing.new_page("chair", phone=phone)
    sign_in(chair, CHAIR)
    chair.goto(meeting_path + "/participants")
    chair.get_by_role("link", name="Invite guests and resource persons").click()
    expect(chair.get_by_role("heading", level=1)).to_contain_text("Guests and resource persons")
    person = chair.get_by_label("Person")
    person.press_sequentially("Li We")
    suggested = chair.locator("datalist#guest-person-list option")
    expect(suggested).to_have_count(1)
    person.fill(suggested.get_attribute("value"))
    chair.get_by_label("Role").select_option("resource_person")
    chair.get_by_role("button", name="Invite", exact=True).click()
    expect(chair.get_by_role("status")).to_contain_text("Li Wei is invited to the 22nd WGTIM Meeting as resource person")
    expect(chair.get_by_role("region", name="Invited guests", exact=True)).to_contain_text("Resource person")
    papers = chair.get_by_role("region", name="Papers shared with guests")
    papers.get_by_role("button", name=re.compile("^Share with guests.*Geoscience data note")).click()
    expect(chair.get_by_role("status")).to_contain_text("Shared with the guests.")
    if phone:
        assert_fits(chair)
    with app.app_context():
        part = db.session.execute(select(Participant).where(Participant.user_id == ids["guest"])).scalar_one()
        assert (part.meeting_id, part.role) == (ids["meeting"], "resource_person")

    # A Thai delegate downloads all the papers at once.
    thai = browsing.new_page("thai", phone=phone)
    sign_in(thai, THAI)
    thai.goto(meeting_path)
    with thai.expect_download() as download:
        thai.get_by_role("link", name="Download all papers").click()
    with zipfile.ZipFile(download.value.path()) as pack:
        names = pack.namelist()
    assert names[0] == "index.csv" and len(names) == 3
    assert names[1:] == ["01-Geoscience data sharing/paper.txt", "01-Geoscience data sharing/paper (2).txt"]

    # The resource person finds the meeting on the home page and sees its guest page, nothing else.
    guest = browsing.new_page("guest", phone=phone)
    sign_in(guest, GUEST)
    expect(guest.locator("#panel-meetings")).to_contain_text("22nd WGTIM Meeting")
    guest.goto(meeting_path)
    expect(guest).to_have_url(re.compile(rf"{meeting_path}/guest$"))
    expect(guest.get_by_role("heading", level=1)).to_have_text("22nd WGTIM Meeting")
    agenda = guest.get_by_role("region", name="Agenda")
    expect(agenda.get_by_role("link", name="Geoscience data note")).to_be_visible()
    expect(agenda).not_to_contain_text("Members only budget")
    if phone:
        assert_fits(guest)
    for path in (f"/meetings/{ids['other']}", "/workspaces/WGTIM", f"/documents/{ids['Members only budget']}"):
        browsing.expect_error_status(404, path)
        response = guest.goto(path)
        assert response.status == 404, path
