"""Journey: the chair of WGTIM schedules the 21st WGTIM Meeting, builds and publishes its agenda; a Thai delegate
sees it, replies, shares Thailand's country report and attaches it to the agenda, and the readiness view shows
Thailand as submitted; the chair writes and circulates the minutes, the delegate comments, the chair adopts them
(locked); the chair assigns an action item to the delegate (typing part of the name, the delegate is suggested),
who marks it done, and the action item list shows it
closed.
"""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from aocp.audit import AuditEntry
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings.models import ActionItem, AgendaItem, Meeting, Minutes, Participant
from tests.browser.conftest import sign_in
from tests.browser.test_documents_journey import drop_file

pytestmark = pytest.mark.browser

CHAIR = {"email": "aminah@jmg.example.my", "name": "Aminah Hassan"}
DELEGATE = {"email": "somchai@dmr.example.th", "name": "Somchai Srisuk"}
REPORT_TITLE = "Thailand country report to the 21st WGTIM"
REPORT_TEXT = "Thailand country report: tin and rare earth production, new ESG screening of concessions.\n"
ACTION = "Share Thailand's rare earth processing data with the WGTIM"


def accept_dialogs(page) -> None:
    """Answer "OK" to the confirmations some buttons ask for (circulate, adopt)."""
    page.on("dialog", lambda dialog: dialog.accept())


def form_of(scope, button: str):
    """The form in `scope` submitted by the button of that name (pages hold several forms)."""
    return scope.locator("form").filter(has=scope.page.get_by_role("button", name=button, exact=True))


def choose_suggestion(field, typed: str, value: str) -> None:
    """Type into a field with suggestions, see the one suggestion `value` offered in its datalist, and choose it
    (which puts its value in the field)."""
    field.press_sequentially(typed)
    suggested = field.page.locator(f"datalist#{field.get_attribute('list')} option")
    expect(suggested).to_have_count(1)
    expect(suggested).to_have_attribute("value", value)
    field.fill(suggested.get_attribute("value"))


def meeting_state(app, meeting_id: int) -> dict:
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        minutes = db.session.execute(select(Minutes).where(Minutes.meeting_id == meeting_id)).scalar_one_or_none()
        return {
            "published": meeting.agenda_published_at is not None,
            "items": db.session.execute(select(AgendaItem.title).where(AgendaItem.meeting_id == meeting_id)
                                        .order_by(AgendaItem.position)).scalars().all(),
            "rsvp": dict(db.session.execute(select(Participant.user_id, Participant.rsvp)
                                            .where(Participant.meeting_id == meeting_id)).all()),
            "minutes": (minutes.status, minutes.body_md) if minutes else None,
            "actions": db.session.execute(select(ActionItem.title, ActionItem.owner_user_id, ActionItem.status,
                                                 ActionItem.closed_at.is_not(None))
                                          .where(ActionItem.meeting_id == meeting_id)).all(),
        }


def test_chair_runs_a_wg_meeting_from_scheduling_to_a_closed_action_item(app, browsing, make_user):
    chair_id = make_user("focal_person", org_code="MYS", email=CHAIR["email"], name=CHAIR["name"],
                         bodies={"WGTIM": "chair"})
    delegate_id = make_user("delegate", org_code="THA", email=DELEGATE["email"], name=DELEGATE["name"],
                            bodies={"WGTIM": "member"})
    starts = date.today() + timedelta(days=40)
    deadline = starts - timedelta(days=14)

    # The chair opens the WGTIM workspace and schedules the meeting.
    chair = browsing.new_page("chair")
    accept_dialogs(chair)
    sign_in(chair, CHAIR["email"])
    chair.get_by_role("navigation", name="Main").get_by_role("link", name="Workspaces").click()
    expect(chair.get_by_role("heading", level=1)).to_have_text("Workspaces")
    chair.get_by_role("link", name="WGTIM", exact=True).click()
    chair.get_by_role("link", name="Schedule a meeting").click()
    expect(chair.get_by_role("heading", level=1)).to_have_text("Schedule a WGTIM meeting")
    chair.get_by_label("Meeting number").fill("21")
    chair.get_by_label("First day").fill(starts.isoformat())
    chair.get_by_label("Last day").fill((starts + timedelta(days=1)).isoformat())
    chair.get_by_label("Start time (local)").fill("09:00")
    chair.get_by_label("Time zone").select_option("Asia/Kuala_Lumpur")
    chair.get_by_label("Host country").select_option(label="Malaysia")
    chair.get_by_label("Venue").fill("Everly Hotel, Putrajaya")
    expect(chair.get_by_label("Chair", exact=True)).to_have_value(str(chair_id))
    chair.get_by_label("Papers due by").fill(deadline.isoformat())
    chair.get_by_role("button", name="Schedule the meeting").click()

    expect(chair.get_by_role("heading", level=1)).to_contain_text("21st WGTIM Meeting")
    expect(chair.get_by_role("status")).to_contain_text("21st WGTIM Meeting scheduled")
    expect(chair).to_have_url(re.compile(r"/meetings/\d+$"))
    meeting_path = re.search(r"/meetings/\d+$", chair.url).group(0)
    meeting_id = int(meeting_path.rsplit("/", 1)[1])
    details = chair.get_by_role("region", name="Details")
    expect(details).to_contain_text("Malaysia")
    expect(details).to_contain_text(deadline.strftime("%d %B %Y"))
    expect(details).to_contain_text("draft, not yet published")

    # Two agenda items on the agenda page, then the agenda is published.
    tabs = chair.get_by_role("navigation", name="21st WGTIM Meeting")
    tabs.get_by_role("link", name="Agenda").click()
    expect(chair).to_have_url(re.compile(re.escape(meeting_path) + "/agenda$"))
    agenda = chair.get_by_role("region", name="Timetable")
    add_item = form_of(agenda, "Add to the agenda")
    for title, presenter, minutes in (("Country reports on tin and rare earths", "Member States", "60"),
                                      ("Nickel value chain study", "Malaysia", "30")):
        agenda.get_by_text("Add an agenda item", exact=True).click()
        add_item.get_by_label("Agenda item").fill(title)
        add_item.get_by_label("Presenter").fill(presenter)
        add_item.get_by_label("Minutes").fill(minutes)
        add_item.get_by_role("button", name="Add to the agenda").click()
        expect(chair.get_by_role("status")).to_contain_text("Agenda item added.")
    expect(agenda.get_by_role("listitem").filter(has_text="Member States · 60 min")).to_contain_text(
        "Country reports on tin and rare earths")
    agenda.get_by_role("button", name="Publish the agenda").click()
    expect(chair.get_by_role("status")).to_contain_text("Agenda published")
    expect(chair.get_by_role("region", name="Timetable").get_by_role("button", name="Publish the agenda again")) \
        .to_be_visible()
    chair.get_by_role("navigation", name="21st WGTIM Meeting").get_by_role("link", name="Overview").click()
    expect(chair.get_by_role("region", name="Details")).to_contain_text(re.compile(r"Agenda\s*published \d"))
    state = meeting_state(app, meeting_id)
    assert state["published"]
    assert state["items"] == ["Country reports on tin and rare earths", "Nickel value chain study"]
    expect(chair.get_by_role("region", name="Readiness")).to_contain_text(
        "0 of 10 delegations have filed their country report for this meeting.")

    # The delegate finds the meeting in the workspace and replies that he attends in person.
    thai = browsing.new_page("thai-delegate")
    sign_in(thai, DELEGATE["email"])
    thai.get_by_role("navigation", name="Main").get_by_role("link", name="Workspaces").click()
    thai.get_by_role("link", name="21st WGTIM Meeting").click()
    expect(thai).to_have_url(re.compile(re.escape(meeting_path) + "$"))
    thai.get_by_role("navigation", name="21st WGTIM Meeting").get_by_role("link", name="Agenda").click()
    thai_agenda = thai.get_by_role("region", name="Timetable")
    expect(thai_agenda).to_contain_text("Country reports on tin and rare earths")
    expect(thai_agenda.get_by_role("button", name="Publish the agenda")).to_have_count(0)
    thai.goto(meeting_path)
    participants = thai.get_by_role("region", name="My reply")
    expect(participants.get_by_role("group")).to_contain_text("Your reply: No answer yet")
    participants.get_by_label("Attending in person").check()
    participants.get_by_role("button", name="Save my reply").click()
    expect(thai.get_by_role("status")).to_contain_text("Your reply to the 21st WGTIM Meeting is saved.")
    expect(thai.get_by_role("region", name="Participants").get_by_role("group")) \
        .to_contain_text("Your reply: Attending in person")
    assert meeting_state(app, meeting_id)["rsvp"][delegate_id] == "in_person"

    # He shares Thailand's country report from the readiness section, for the WGTIM.
    thai.goto(meeting_path)
    readiness = thai.get_by_role("region", name="Readiness")
    expect(readiness.get_by_role("row", name=re.compile("Thailand"))).to_contain_text("not yet")
    readiness.get_by_role("link", name="Share the country report of Thailand").click()
    expect(thai.get_by_role("heading", level=1)).to_have_text("Share documents")
    drop_file(thai, "thailand-country-report.txt", REPORT_TEXT, "text/plain")
    expect(thai.locator("[data-file-names]")).to_contain_text("thailand-country-report.txt")
    thai.get_by_label("Title").fill(REPORT_TITLE)
    expect(thai.get_by_label("Type")).to_have_value("country_report")  # chosen by the link
    expect(thai.get_by_label("Body (working group)")).to_have_value("WGTIM")
    thai.get_by_label("Members of a body").check()
    thai.get_by_label("Body whose members may see it").select_option("WGTIM")
    thai.get_by_role("button", name="Share").click()
    expect(thai.get_by_role("heading", level=1)).to_have_text(REPORT_TITLE)
    expect(thai).to_have_url(re.compile(r"/documents/\d+$"))
    doc_id = int(thai.url.rsplit("/", 1)[1])

    # ... and attaches it to the first agenda item, on the papers page.
    thai.goto(meeting_path + "/papers")
    thai.get_by_role("region", name="Papers by agenda item").get_by_role("listitem").filter(
        has_text="Country reports on tin and rare earths").get_by_role(
        "link", name="Attach a paper to this item").click()
    expect(thai).to_have_url(re.compile(r"[?&]attach=\d+#attach$"))
    item_id = re.search(r"[?&]attach=(\d+)", thai.url).group(1)
    attach = form_of(thai.get_by_role("region", name="Papers by agenda item"), "Attach")
    expect(attach.get_by_label("Agenda item")).to_have_value(item_id)  # the item whose link was followed
    # The documents matching what is typed are suggested.
    choose_suggestion(attach.get_by_label("Document"), "country report to the 21st", f"{REPORT_TITLE} (#{doc_id})")
    attach.get_by_role("button", name="Attach").click()
    expect(thai.get_by_role("status")).to_contain_text(
        f"“{REPORT_TITLE}” attached to “Country reports on tin and rare earths”.")
    expect(thai.locator(f"#item-{item_id}").get_by_role("link", name=REPORT_TITLE)).to_be_visible()

    # The readiness view now shows Thailand submitted (on time), Malaysia not yet.
    thai.goto(meeting_path)
    readiness = thai.get_by_role("region", name="Readiness")
    expect(readiness).to_contain_text("1 of 10 delegations have filed their country report for this meeting.")
    thailand = readiness.get_by_role("row", name=re.compile("Thailand"))
    expect(thailand).to_contain_text("submitted")
    expect(thailand).not_to_contain_text("submitted late")
    expect(thailand.get_by_role("link", name=REPORT_TITLE)).to_have_attribute("href", f"/documents/{doc_id}")
    expect(readiness.get_by_role("row", name=re.compile("Malaysia"))).to_contain_text("not yet")
    chair.goto(meeting_path)
    expect(chair.get_by_role("region", name="Readiness").get_by_role("row", name=re.compile("Thailand"))) \
        .to_contain_text("submitted")
    with app.app_context():
        assert db.session.get(Document, doc_id).doc_type == "country_report"

    # The chair writes the minutes and circulates them; the delegate cannot read the draft before that.
    minutes_path = f"{meeting_path}/minutes"
    thai.goto(minutes_path)
    expect(thai.get_by_role("region", name="Text")).to_contain_text("shown here once circulated")
    chair.get_by_role("navigation", name="21st WGTIM Meeting").get_by_role("link", name="Minutes and decisions").click()
    expect(chair).to_have_url(re.compile(re.escape(minutes_path) + "$"))
    chair.get_by_label("Minutes (Markdown)").fill(
        "# Opening\n\nThe chair welcomed the delegates.\n\n## Country reports\n\n"
        "Thailand presented its **country report** on tin and rare earths.")
    chair.get_by_role("button", name="Save", exact=True).click()
    expect(chair.get_by_role("status")).to_contain_text("Minutes saved.")
    chair.get_by_role("button", name="Circulate for comments").click()
    expect(chair.get_by_role("status")).to_contain_text("Minutes circulated for comments.")
    assert meeting_state(app, meeting_id)["minutes"][0] == "circulated"

    thai.reload()
    text = thai.get_by_role("region", name="Text")
    expect(text.get_by_role("heading", name="Country reports")).to_be_visible()
    expect(text.locator("strong")).to_have_text("country report")
    expect(thai.get_by_label("Minutes (Markdown)")).to_have_count(0)
    thai.get_by_label("Your comment").fill("Please add that Thailand will share its processing data.")
    thai.get_by_role("button", name="Add comment").click()
    expect(thai.get_by_role("status")).to_contain_text("Comment added.")
    expect(thai.get_by_role("region", name="Comments")).to_contain_text(DELEGATE["name"])

    # The chair sees the comment, amends the text and adopts: the minutes are locked.
    chair.reload()
    expect(chair.get_by_role("region", name="Comments")).to_contain_text("will share its processing data")
    editor = chair.get_by_label("Minutes (Markdown)")
    editor.fill(editor.input_value() + "\n\nThailand will share its processing data.")
    chair.get_by_role("button", name="Save", exact=True).click()
    expect(chair.get_by_role("status")).to_contain_text("Minutes saved.")
    chair.get_by_role("button", name="Adopt the minutes").click()
    expect(chair.get_by_role("status")).to_contain_text("Minutes adopted. They are now locked.")
    expect(chair.locator("[data-minutes-status]")).to_have_text("Adopted")
    expect(chair.get_by_role("region", name="Editing")).to_contain_text("Adopted minutes are locked.")
    expect(chair.get_by_label("Minutes (Markdown)")).to_have_count(0)
    expect(chair.get_by_role("button", name="Adopt the minutes")).to_have_count(0)
    expect(chair.get_by_role("region", name="Revisions").get_by_role("row")).to_have_count(3)  # header, 2 copies
    status, body_md = meeting_state(app, meeting_id)["minutes"]
    assert status == "adopted" and body_md.endswith("Thailand will share its processing data.")
    thai.reload()
    expect(thai.get_by_role("button", name="Add comment")).to_have_count(0)
    expect(thai.get_by_role("region", name="Text")).to_contain_text("Thailand will share its processing data.")

    # The chair assigns an action item to the delegate from the meeting page.
    chair.goto(meeting_path + "/actions")
    actions = chair.get_by_role("region", name="Action items from this meeting")
    actions.get_by_text("Add an action item", exact=True).click()
    actions.get_by_label("Action", exact=True).fill(ACTION)
    # The members matching what is typed are suggested.
    choose_suggestion(actions.get_by_label("Owner (person)"), "somch", f"{DELEGATE['name']} (THA)")
    actions.get_by_label("Due by").fill((starts + timedelta(days=60)).isoformat())
    actions.get_by_label("AMCAP action line").fill("TI1.1")
    actions.get_by_role("button", name="Add action item").click()
    expect(chair.get_by_role("status")).to_contain_text("Action item added.")
    row = chair.get_by_role("region", name="Action items from this meeting").get_by_role("row", name=re.compile(re.escape(ACTION)))
    expect(row).to_contain_text(f"{DELEGATE['name']} (THA)")
    expect(row.get_by_label(f"Status of “{ACTION}”")).to_have_value("open")
    assert meeting_state(app, meeting_id)["actions"] == [(ACTION, delegate_id, "open", False)]

    # The delegate finds it among the open action items of Thailand and marks it done.
    thai.get_by_role("navigation", name="Main").get_by_role("link", name="Action items").click()
    expect(thai.get_by_role("heading", level=1)).to_have_text("Action items")
    filters = thai.get_by_role("search")
    filters.get_by_label("Member State").select_option(label="Thailand")
    filters.get_by_role("button", name="Show").click()
    mine = thai.get_by_role("row", name=re.compile(re.escape(ACTION)))
    expect(mine).to_contain_text("21st WGTIM Meeting")
    expect(thai.get_by_role("region", name="Open items per Member State")
           .get_by_role("row", name=re.compile("Thailand"))).to_contain_text("1")
    mine.get_by_label(f"Status of “{ACTION}”").select_option(label="Done")
    mine.get_by_role("button", name="Update").click()
    expect(thai.get_by_role("status")).to_contain_text(f"“{ACTION}” is now done.")

    # Closed: gone from the open list, listed under "Done", and the meeting page shows it done.
    expect(thai.get_by_role("main")).to_contain_text("No action items match.")
    expect(thai.get_by_role("region", name="Open items per Member State")).to_contain_text(
        "No open action items owned by a Member State or its people.")
    filters.get_by_label("Status").select_option(label="Done")
    filters.get_by_role("button", name="Show").click()
    expect(filters.get_by_label("Member State")).to_have_value("THA")
    closed = thai.get_by_role("row", name=re.compile(re.escape(ACTION)))
    expect(closed.get_by_label(f"Status of “{ACTION}”")).to_have_value("done")
    chair.reload()
    expect(chair.get_by_role("region", name="Action items").get_by_label(f"Status of “{ACTION}”")) \
        .to_have_value("done")
    assert meeting_state(app, meeting_id)["actions"] == [(ACTION, delegate_id, "done", True)]
    with app.app_context():
        [(actor_id, details)] = db.session.execute(select(AuditEntry.actor_id, AuditEntry.details)
                                                   .where(AuditEntry.action == "action_item.status")).all()
    assert actor_id == delegate_id and json.loads(details) == {"status": ["open", "done"]}

    browsing.assert_clean()
