"""The meeting timetable: days, breaks, sessions and fixed starts; the arithmetic across days and time zones; bad
input answered clearly with nothing changed; editing in place; publishing versions and telling the members once;
minutes that start from the agenda; and the meeting's pages, one per purpose."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings import services, timetable
from aocp.meetings.models import AgendaItem, AgendaVersion, Meeting
from aocp.notifications.models import Notification
from tests.conftest import post_form, sign_in
from tests.meetings.conftest import audit_actions, make_doc, page, schedule, soon, user
from tests.meetings.test_meeting_pages import post

Details = timetable.ItemDetails


def build_two_days(chair, meeting: Meeting) -> dict[str, AgendaItem]:
    """Day 1: an opening session with two items around a break and one fixed at 13:00; day 2: a second session."""
    rows = [("Opening session", "session", 1, 0, None), ("Welcome", "item", 1, 30, None),
            ("Coffee", "break", 1, 15, None), ("Country reports", "item", 1, 45, None),
            ("Site visit", "item", 1, 60, "13:00"), ("Work plan", "session", 2, 0, None),
            ("Work plan 2027", "item", 2, 90, None)]
    return {title: timetable.add(chair, meeting, Details(title, "", minutes, "", kind, day, fixed))
            for title, kind, day, minutes, fixed in rows}


def test_the_timetable_adds_up_across_days_and_time_zones(app, people):
    with app.app_context():
        mid = schedule(people["chair"], starts_in=30, days=1, timezone="Asia/Tokyo", start_time="09:00",
                       end_time="17:00")
        m = db.session.get(Meeting, mid)
        items = build_two_days(user(people["chair"]), m)
        db.session.commit()
        plan = timetable.build(m, m.items)
        got = [(r.number, r.item.title, r.start_text, r.end_text) for r in plan.rows]
        assert got == [("1", "Opening session", "09:00", "09:00"), ("1.1", "Welcome", "09:00", "09:30"),
                       ("", "Coffee", "09:30", "09:45"), ("1.2", "Country reports", "09:45", "10:30"),
                       ("1.3", "Site visit", "13:00", "14:00"), ("2", "Work plan", "09:00", "09:00"),
                       ("2.1", "Work plan 2027", "09:00", "10:30")]
        assert [(d.number, d.start_text, d.end_text, d.over) for d in plan.days] == [
            (1, "09:00", "14:00", False), (2, "09:00", "10:30", False)]
        assert plan.total == 30 + 15 + 45 + 60 + 90 and plan.problems == []
        # Tokyo is UTC+9: day 2 at 09:00 is midnight UTC that day.
        day2 = next(r for r in plan.rows if r.item.id == items["Work plan 2027"].id)
        assert day2.at.astimezone(timezone.utc) == datetime.combine(soon(31), datetime.min.time(), timezone.utc)
        # The same timetable in Yangon (UTC+6:30): the venue's clock is unchanged, the moment moves.
        m.timezone = "Asia/Yangon"
        day2 = next(r for r in timetable.build(m, m.items).rows if r.item.id == items["Work plan 2027"].id)
        assert (day2.start_text, day2.at.astimezone(timezone.utc).strftime("%H:%M")) == ("09:00", "02:30")


def test_a_day_that_runs_past_the_end_time_is_marked(app, client, people):
    with app.app_context():
        mid = schedule(people["chair"], days=0, start_time="15:00", end_time="16:00")
        m = db.session.get(Meeting, mid)
        timetable.add(user(people["chair"]), m, Details("Long debate", "", 90, "", "item", 1))
        db.session.commit()
        (day,) = timetable.build(m, m.items).days
        assert (day.end_text, day.over) == ("16:30", True)
    sign_in(app, client, people["chair"])
    html = page(client, f"/meetings/{mid}/agenda")
    assert "runs past 16:00" in html and "Total: 1 h 30 min" in html


@pytest.mark.parametrize("data, message", [
    ({"item-duration_minutes": "0"}, "A duration between 1 and 600 minutes."),
    ({"item-duration_minutes": "10000"}, "A duration between 1 and 600 minutes."),
    ({"item-fixed_start": "09:40"}, "the times overlap"),
    ({"item-fixed_start": "9h"}, "Give the start time as HH:MM"),
    ({"item-day": "3"}, "Not a valid choice"),
    ({"item-kind": "lunch"}, "Not a valid choice"),
])
def test_bad_agenda_items_are_refused_clearly_and_change_nothing(app, client, people, meeting, data, message):
    sign_in(app, client, people["chair"])
    with app.app_context():
        before = [(i.id, i.title, i.duration_minutes, i.fixed_start, i.day) for i in db.session.get(Meeting, meeting).items]
        audits = len(audit_actions())
    form = {"item-title": "Late item", "item-kind": "item", "item-day": "1", "item-duration_minutes": "30",
            "item-fixed_start": "", "item-presenter": "", "item-notes": ""} | data
    r = post_form(client, f"/meetings/{meeting}/items", form, page=f"/meetings/{meeting}/agenda")
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    with app.app_context():
        m = db.session.get(Meeting, meeting)
        assert [(i.id, i.title, i.duration_minutes, i.fixed_start, i.day) for i in m.items] == before
        assert len(audit_actions()) == audits and m.agenda_changed_at is not None  # from the fixture's items only


@pytest.mark.parametrize("data, field, message", [
    ({"end_time": "08:00"}, "end_time", "Each day ends after it starts"),
    ({"ends_on": soon(45).isoformat()}, "ends_on", "A meeting lasts 1 to 5 days."),
    ({"ends_on": soon(39).isoformat()}, "ends_on", "The meeting cannot end before it starts."),
])
def test_bad_meeting_times_are_refused_and_change_nothing(app, client, people, data, field, message):
    sign_in(app, client, people["chair"])
    form = {"number": "7", "starts_on": soon(40).isoformat(), "ends_on": soon(41).isoformat(), "start_time": "10:00",
            "end_time": "17:00", "timezone": "Asia/Manila", "host": "PHL", "venue": "", "online_url": "",
            "chair": "0", "status": "planned", "group_with": "0", "paper_deadline": ""} | data
    r = post_form(client, "/workspaces/WGTIM/meetings/new", form)
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Meeting)).scalar() == 0


def test_shortening_a_meeting_under_its_timetable_is_refused(app, client, people, meeting):
    with app.app_context():
        m = db.session.get(Meeting, meeting)
        timetable.add(user(people["chair"]), m, Details("Day two item", "", 30, "", "item", 2))
        db.session.commit()
        details = services.MeetingDetails(starts_on=m.starts_on, ends_on=m.starts_on, start_time=m.start_time,
                                          end_time=m.end_time, timezone=m.timezone)
        with pytest.raises(services.MeetingError, match="is on day 2; the meeting lasts 1 day"):
            services.update_meeting(user(people["chair"]), m, details)
        db.session.rollback()
        assert db.session.get(Meeting, meeting).ends_on == soon(32)


def test_the_chair_edits_an_item_in_place_and_it_keeps_its_papers(app, client, people, meeting):
    with app.app_context():
        doc = make_doc(people["mys"], "Tin note")
        item = db.session.execute(select(AgendaItem).where(AgendaItem.title == "Country reports")).scalar_one()
        services.attach_paper(user(people["chair"]), item, db.session.get(Document, doc))
        db.session.commit()
        item_id = item.id
    sign_in(app, client, people["chair"])
    url = f"/meetings/{meeting}/items/{item_id}/edit"
    assert 'value="Country reports"' in page(client, url)
    r = post_form(client, url, {"item-title": "Country reports and tin statistics", "item-kind": "item",
                                "item-day": "2", "item-duration_minutes": "75", "item-fixed_start": "10:00",
                                "item-presenter": "Member States", "item-notes": ""})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/meetings/{meeting}/agenda#item-{item_id}")
    with app.app_context():
        item = db.session.get(AgendaItem, item_id)
        assert (item.title, item.day, item.duration_minutes, item.fixed_start) == (
            "Country reports and tin statistics", 2, 75, "10:00")
        assert [p.document_id for p in item.papers] == [doc] and audit_actions()[-1] == "agenda.item_changed"
    html = page(client, f"/meetings/{meeting}/agenda")
    assert "10:00–11:15" in html and "Day 2" in html
    # Observers and members read; they do not edit.
    sign_in(app, client, people["mys"])
    assert client.get(url).status_code == 403
    sign_in(app, client, people["outsider"])
    assert client.get(url).status_code == 404


def test_moving_past_the_end_of_a_day_moves_to_the_next_day(app, client, people, meeting):
    with app.app_context():
        m = db.session.get(Meeting, meeting)
        last = m.items[-1].id
    sign_in(app, client, people["chair"])
    assert post(client, f"/meetings/{meeting}/items/{last}/move/down", {}).status_code == 302
    with app.app_context():
        assert db.session.get(AgendaItem, last).day == 2
    assert post(client, f"/meetings/{meeting}/items/{last}/move/up", {}).status_code == 302
    with app.app_context():
        assert db.session.get(AgendaItem, last).day == 1


def notified() -> int:
    return db.session.execute(select(func.count()).select_from(Notification)
                              .where(Notification.kind == "agenda_published")).scalar()


def test_publishing_keeps_a_version_and_changes_are_marked_and_told_once(app, client, people, meeting):
    sign_in(app, client, people["chair"])
    assert post(client, f"/meetings/{meeting}/agenda/publish", {}).status_code == 302
    with app.app_context():
        first = notified()
        assert first >= 1
        (v1,) = db.session.execute(select(AgendaVersion)).scalars().all()
        assert [(r["number"], r["title"], r["start"]) for r in v1.items] == [
            ("1", "Adoption of the agenda", "09:30"), ("2", "Country reports", "09:40")]
        item = db.session.execute(select(AgendaItem).where(AgendaItem.title == "Country reports")).scalar_one()
    assert "changed since published" not in page(client, f"/meetings/{meeting}/agenda")
    # Two edits: marked on the agenda and the overview, nobody told yet.
    for minutes in ("45", "50"):
        assert post_form(client, f"/meetings/{meeting}/items/{item.id}/edit",
                         {"item-title": "Country reports", "item-kind": "item", "item-day": "1",
                          "item-duration_minutes": minutes, "item-fixed_start": "", "item-presenter": "",
                          "item-notes": ""}).status_code == 302
    agenda = page(client, f"/meetings/{meeting}/agenda")
    assert agenda.count("changed since published") == 2  # the agenda, and the item
    assert "changed since published" in page(client, f"/meetings/{meeting}")
    with app.app_context():
        assert notified() == first
    # Publishing again tells each participant once, and keeps version 2.
    assert post(client, f"/meetings/{meeting}/agenda/publish", {}).status_code == 302
    with app.app_context():
        assert notified() == 2 * first
        assert db.session.execute(select(AgendaVersion.number).order_by(AgendaVersion.number)).scalars().all() == [1, 2]
        assert db.session.execute(select(Notification.title).order_by(Notification.id.desc())).scalars().first() \
            .startswith("Agenda changed")
    assert "changed since published" not in page(client, f"/meetings/{meeting}/agenda")
    # Nothing changed: publishing again is refused, nobody told.
    r = post(client, f"/meetings/{meeting}/agenda/publish", {})
    assert r.status_code == 400 and "Nothing has changed since the agenda was published" in r.get_data(as_text=True)
    with app.app_context():
        assert notified() == 2 * first


def test_a_new_minutes_draft_starts_with_a_heading_per_agenda_item(app, client, people):
    with app.app_context():
        mid = schedule(people["chair"], days=1)
        build_two_days(user(people["chair"]), db.session.get(Meeting, mid))
        db.session.commit()
    sign_in(app, client, people["chair"])
    html = page(client, f"/meetings/{mid}/minutes")
    assert ("## 1 Opening session\n\n### 1.1 Welcome\n\n### 1.2 Country reports\n\n### 1.3 Site visit\n\n"
            "## 2 Work plan\n\n### 2.1 Work plan 2027") in html.replace("&#39;", "'")
    assert "Coffee" not in html[html.index("<textarea"):html.index("</textarea>")]


SUB_PAGES = ("", "/agenda", "/papers", "/participants", "/minutes", "/actions")


@pytest.mark.parametrize("who, status", [("chair", 200), ("mys", 200), ("observer", 200), ("staff", 200),
                                         ("outsider", 404)])
def test_each_page_of_the_meeting_is_its_own_url_with_tabs_and_breadcrumbs(app, client, people, meeting, who,
                                                                            status):
    sign_in(app, client, people[who])
    for sub in SUB_PAGES:
        r = client.get(f"/meetings/{meeting}{sub}")
        assert r.status_code == status, sub
        if status == 200:
            html = r.get_data(as_text=True)
            assert html.count('aria-current="page"') >= 2, sub  # the breadcrumb's last step and the tab
            for other in SUB_PAGES:
                assert f'href="/meetings/{meeting}{other}"' in html
            assert '<a href="/workspaces/WGTIM">WGTIM</a>' in html


def test_editing_controls_come_after_the_content_and_only_for_managers(app, client, people, meeting):
    sign_in(app, client, people["chair"])
    html = page(client, f"/meetings/{meeting}/agenda")
    assert html.index("Country reports") < html.index("<summary>Add an agenda item</summary>")
    sign_in(app, client, people["mys"])
    html = page(client, f"/meetings/{meeting}/agenda")
    assert "Add an agenda item" not in html and "/edit" not in html and "Move up" not in html
    assert 'draggable="true"' not in html
