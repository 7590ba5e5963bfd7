"""Journey: the chair drafts minutes in the browser. The draft saves itself as she types; when ASEC saved in the
meantime she is warned and nothing is overwritten; when her session ends what she typed stays in the browser and
comes back after she signs in again.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.meetings import services
from aocp.meetings.models import Meeting, Minutes
from aocp.sessions import end_sessions
from tests.browser.conftest import sign_in
from tests.conftest import body

pytestmark = pytest.mark.browser


@pytest.fixture
def setup(app, make_user):
    chair = make_user("focal_person", org_code="MYS", email="aminah@jmg.example.my", name="Aminah Hassan",
                      bodies={"WGTIM": "chair"})
    staff = make_user("asec_staff", org_code="ASEC", email="sari@asean.example.org", name="Sari Staff")
    with app.app_context():
        start = date.today() + timedelta(days=20)
        meeting = services.create_meeting(db.session.get(User, chair), body("WGTIM"),
                                          services.MeetingDetails(starts_on=start, ends_on=start))
        db.session.commit()
        return {"chair": chair, "staff": staff, "meeting": meeting.id}


def minutes_text(app, meeting_id: int) -> str | None:
    with app.app_context():
        return db.session.execute(select(Minutes.body_md).where(Minutes.meeting_id == meeting_id)).scalar()


def test_the_draft_saves_itself_warns_of_conflicts_and_survives_an_ended_session(app, browsing, setup):
    path = f"/meetings/{setup['meeting']}/minutes"
    browsing.expect_error_status(409, f"{path}/draft")
    browsing.expect_error_status(401, f"{path}/draft")
    chair = browsing.new_page("chair")
    sign_in(chair, "aminah@jmg.example.my")
    chair.goto(path)
    editor = chair.get_by_label("Minutes (Markdown)")
    status = chair.locator("[data-autosave-status]")

    # Typing saves by itself a few seconds later.
    editor.fill("# Opening\n\nThe chair welcomed delegates.")
    expect(status).to_have_text(re.compile(r"^Saved at \d\d:\d\d\.$"))
    assert minutes_text(app, setup["meeting"]) == "# Opening\n\nThe chair welcomed delegates."

    # ASEC saves from elsewhere; the chair's next autosave is refused and she sees both texts.
    with app.app_context():
        meeting = db.session.get(Meeting, setup["meeting"])
        services.save_minutes(db.session.get(User, setup["staff"]), meeting, "ASEC's corrected text",
                              services.minutes_of(meeting).version)
        db.session.commit()
    editor.fill("# Opening\n\nThe chair welcomed delegates and thanked Thailand.")
    expect(status).to_contain_text("Not saved: Sari Staff saved these minutes")
    expect(chair.get_by_role("alert")).to_contain_text("ASEC's corrected text")
    assert minutes_text(app, setup["meeting"]) == "ASEC's corrected text"

    # She keeps her text deliberately.
    chair.get_by_role("button", name="Keep my text (replace theirs)").click()
    expect(status).to_have_text(re.compile(r"^Saved at"))
    assert minutes_text(app, setup["meeting"]).endswith("thanked Thailand.")

    # Her session ends (as after an idle timeout); what she types next is kept in the browser.
    with app.app_context():
        end_sessions(setup["chair"])
        db.session.commit()
    editor.fill("Typed after the session ended: decisions on the nickel study.")
    expect(status).to_contain_text("your session has ended")
    assert minutes_text(app, setup["meeting"]).endswith("thanked Thailand.")

    chair.reload()
    expect(chair).to_have_url(re.compile(r"/login\?next="))
    sign_in(chair, "aminah@jmg.example.my", go=False)
    expect(chair).to_have_url(re.compile(re.escape(path) + "$"))
    expect(chair.get_by_role("alert")).to_contain_text("Restored text you typed in this browser")
    expect(editor).to_have_value("Typed after the session ended: decisions on the nickel study.")
    chair.get_by_role("button", name="Save", exact=True).click()
    expect(chair.get_by_role("status")).to_contain_text("Minutes saved.")
    assert minutes_text(app, setup["meeting"]) == "Typed after the session ended: decisions on the nickel study."
    browsing.assert_clean()
