"""Journeys: the WGTIM chair builds a two-day timetable with a break, edits an item in place, reorders by keyboard
and by dragging, and publishes; a member sees it and the members are told once. On a desktop and on a phone.
And no page of a meeting is taller than 2,000 pixels at 1,366 wide with 15 agenda items and 20 participants.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.meetings import services
from aocp.meetings.models import AgendaItem, AgendaVersion, Meeting
from aocp.notifications.models import Notification
from tests.browser.conftest import assert_fits, sign_in
from tests.meetings.conftest import schedule

pytestmark = pytest.mark.browser

CHAIR = "aminah@jmg.example.my"
MEMBER = "somchai@dmr.example.th"
SUB_PAGES = ("", "/agenda", "/papers", "/participants", "/minutes", "/actions")


def world(app, make_user) -> dict[str, int]:
    ids = {"chair": make_user("focal_person", org_code="MYS", email=CHAIR, name="Aminah Hassan",
                              bodies={"WGTIM": "chair"}),
           "member": make_user("delegate", org_code="THA", email=MEMBER, name="Somchai Srisuk",
                               bodies={"WGTIM": "member"})}
    with app.app_context():
        ids["meeting"] = schedule(ids["chair"], "WGTIM", 30, days=1, number=22, timezone="Asia/Kuala_Lumpur",
                                  start_time="09:00", end_time="17:00")
    return ids


def add(page, title: str, minutes: str, kind: str = "Item", day: str = "Day 1", fixed: str = "") -> None:
    page.get_by_text("Add an agenda item", exact=True).click()
    form = page.locator("#add-item form")
    form.get_by_label("Agenda item").fill(title)
    form.get_by_label("Kind").select_option(label=kind)
    form.get_by_label("Day").select_option(label=day)
    form.get_by_label("Minutes").fill(minutes)
    form.get_by_label("Fixed start (optional)").fill(fixed)
    form.get_by_role("button", name="Add to the agenda").click()
    expect(page.get_by_role("status")).to_contain_text("Agenda item added.")


def told(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.kind == "agenda_published"))


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_chair_builds_edits_and_publishes_a_two_day_timetable(browsing, app, make_user, phone):
    ids = world(app, make_user)
    page = browsing.new_page("chair", phone=phone)
    sign_in(page, CHAIR)
    page.goto(f"/meetings/{ids['meeting']}")
    page.get_by_role("navigation", name="22nd WGTIM Meeting").get_by_role("link", name="Agenda").click()
    expect(page).to_have_url(re.compile(rf"/meetings/{ids['meeting']}/agenda$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("22nd WGTIM Meeting: Agenda")

    add(page, "Opening session", "15", kind="Session heading")
    add(page, "Adoption of the agenda", "15")
    add(page, "Coffee break", "20", kind="Break")
    add(page, "Country reports", "90")
    add(page, "Work plan 2027", "60", day="Day 2", fixed="10:00")
    timetable = page.locator("#agenda")
    day1, day2 = page.locator("ol.timetable").nth(0), page.locator("ol.timetable").nth(1)
    expect(day1.locator("li")).to_have_count(4)
    expect(day1.locator("li").nth(1)).to_contain_text("09:00–09:15")
    expect(day1.locator("li").nth(1)).to_contain_text("1.1")
    expect(day1.locator("li").nth(2)).to_contain_text("09:15–09:35")
    expect(day1.locator("li").nth(3)).to_contain_text("09:35–11:05")
    expect(day2.locator("li")).to_have_count(1)
    expect(day2).to_contain_text("10:00–11:00")
    expect(timetable).to_contain_text("Total: 3 h 05 min")
    if phone:
        assert_fits(page)

    # Edit an item in place: the country reports take two hours.
    day1.locator("li").filter(has_text="Country reports").get_by_role("link", name=re.compile("^Edit")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit “Country reports”")
    page.get_by_label("Minutes").fill("120")
    if phone:
        assert_fits(page)
    page.get_by_role("button", name="Save the item").click()
    expect(page.get_by_role("status")).to_contain_text("“Country reports” saved.")
    expect(page.locator("ol.timetable").nth(0).locator("li").nth(3)).to_contain_text("09:35–11:35")

    # Keyboard: the break moves up one place, before the adoption of the agenda.
    page.locator("ol.timetable").nth(0).locator("li").filter(has_text="Coffee break") \
        .get_by_role("button", name="Move up").focus()
    page.keyboard.press("Enter")
    expect(page.locator("ol.timetable").nth(0).locator("li").nth(1)).to_contain_text("Coffee break")
    with app.app_context():
        titles = db.session.execute(select(AgendaItem.title).where(AgendaItem.meeting_id == ids["meeting"])
                                    .order_by(AgendaItem.position)).scalars().all()
    assert titles[:3] == ["Opening session", "Coffee break", "Adoption of the agenda"]

    if not phone:
        # Drag: the adoption of the agenda back above the break.
        rows = page.locator("ol.timetable").nth(0).locator("li")
        rows.filter(has_text="Adoption of the agenda").drag_to(rows.filter(has_text="Coffee break"),
                                                                target_position={"x": 5, "y": 2})
        expect(page.get_by_role("status")).to_contain_text("Agenda order saved.")
        expect(page.locator("ol.timetable").nth(0).locator("li").nth(1)).to_contain_text("Adoption of the agenda")

    page.get_by_role("button", name="Publish the agenda").click()
    expect(page.get_by_role("status")).to_contain_text("Agenda published")
    first = told(app)
    assert first == 1  # the member is told (not the chair who published)
    # A change after publishing is marked; nobody is told until the chair publishes again.
    page.locator("ol.timetable").nth(1).locator("li").get_by_role("link", name=re.compile("^Edit")).click()
    page.get_by_label("Fixed start (optional)").fill("")
    page.get_by_role("button", name="Save the item").click()
    expect(page.locator("#agenda")).to_contain_text("changed since published")
    assert told(app) == first
    page.get_by_role("button", name="Publish the agenda again").click()
    expect(page.get_by_role("status")).to_contain_text("Agenda published")
    assert told(app) == 2 * first
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AgendaVersion)) == 2

    # The member reads the published timetable, with no editing control.
    member = browsing.new_page("member", phone=phone)
    sign_in(member, MEMBER)
    member.goto(f"/meetings/{ids['meeting']}/agenda")
    expect(member.locator("ol.timetable").nth(1)).to_contain_text("Work plan 2027")
    expect(member.get_by_role("button", name="Move up")).to_have_count(0)
    expect(member.get_by_text("Add an agenda item")).to_have_count(0)
    if phone:
        assert_fits(member)
    # An old link to the single meeting page's agenda opens the agenda page.
    member.goto(f"/meetings/{ids['meeting']}#agenda")
    expect(member).to_have_url(re.compile(rf"/meetings/{ids['meeting']}/agenda$"))
    # Printed, the page is its content: no navigation, tabs or forms.
    member.emulate_media(media="print")
    expect(member.get_by_role("navigation", name="22nd WGTIM Meeting")).to_be_hidden()
    expect(member.locator("ol.timetable").nth(0)).to_be_visible()
    browsing.assert_clean()


def test_no_page_of_a_meeting_is_taller_than_2000_pixels(browsing, app, make_user):
    ids = world(app, make_user)
    with app.app_context():
        meeting = db.session.get(Meeting, ids["meeting"])
        chair = db.session.get(User, ids["chair"])
        for n in range(15):
            services.add_item(chair, meeting, f"Agenda item {n + 1} on the minerals trade", "Member States", 20,
                              day=1 + n // 8)
        db.session.commit()
    people = [make_user("delegate", org_code=("IDN", "VNM", "PHL", "SGP")[n % 4], email=f"p{n}@example.org",
                        bodies={"WGTIM": "member"}) for n in range(18)]
    with app.app_context():
        services.invite(db.session.get(User, ids["chair"]), db.session.get(Meeting, ids["meeting"]),
                        [db.session.get(User, uid) for uid in people])
        db.session.commit()
    page = browsing.new_page("chair")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, CHAIR)
    for sub in SUB_PAGES:
        page.goto(f"/meetings/{ids['meeting']}{sub}")
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height <= 2000, (sub, height)
    browsing.assert_clean()
