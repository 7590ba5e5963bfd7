"""Calendars: the .ics file of a meeting, and the private, revocable feed of everything a person may see."""
from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import delete, event, select

from aocp import policy
from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.meetings import services
from aocp.meetings.models import CalendarFeed, Meeting
from aocp.orgs.models import Membership
from tests.conftest import body, sign_in
from tests.meetings._factories import hidden, make_meeting, make_people, user

START = date(2026, 3, 2)


@pytest.fixture
def cast(make_user):
    return make_people(make_user)


@pytest.fixture
def wgtim(app, cast):
    return make_meeting(app, cast["chair"], starts_on=START, ends_on=START + timedelta(days=1), number=21)


def parse(response) -> Calendar:
    assert response.status_code == 200 and response.mimetype == "text/calendar", response.status_code
    return Calendar.from_ical(response.data)


def events(cal: Calendar) -> dict[str, object]:
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def create_link(client) -> str:
    """Create (or reset) the signed-in person's feed link; returns the path shown once on the page."""
    token = hidden(client.get("/calendar/feed-link").get_data(as_text=True), "csrf_token")
    r = client.post("/calendar/link", data={"csrf_token": token})
    assert r.status_code == 200
    match = re.search(r'value="https?://[^/"]+(/calendar/feed/[A-Za-z0-9_-]+\.ics)"', r.get_data(as_text=True))
    assert match, "the new link is shown"
    return match.group(1)


# One meeting's .ics file

def test_a_meetings_ics_has_its_times_in_its_own_time_zone(app, client, cast, wgtim):
    sign_in(app, client, cast["member"])
    r = client.get(f"/meetings/{wgtim}.ics")
    assert re.match(r'attachment; filename="21st-WGTIM-Meeting\.ics"', r.headers["Content-Disposition"])
    cal = parse(r)
    (ev,) = cal.walk("VEVENT")
    bangkok = ZoneInfo("Asia/Bangkok")
    assert ev.decoded("dtstart") == datetime(2026, 3, 2, 9, 30, tzinfo=bangkok)
    assert ev.decoded("dtstart").astimezone(timezone.utc) == datetime(2026, 3, 2, 2, 30, tzinfo=timezone.utc)
    assert ev["dtstart"].params["TZID"] == "Asia/Bangkok"
    assert ev.decoded("dtend") == datetime(2026, 3, 3, 17, 0, tzinfo=bangkok)
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Bangkok"]
    assert str(ev["summary"]) == "21st WGTIM Meeting"
    assert str(ev["location"]) == "Centara Grand, Bangkok"
    assert str(ev["status"]) == "TENTATIVE"
    assert str(ev["uid"]) == f"meeting-{wgtim}@127.0.0.1"
    assert f"/meetings/{wgtim}" in str(ev["description"]) and "Thailand" in str(ev["description"])


def test_the_uid_is_stable_between_downloads_and_the_feed(app, client, cast, wgtim):
    sign_in(app, client, cast["chair"])
    first = events(parse(client.get(f"/meetings/{wgtim}.ics")))
    second = events(parse(client.get(f"/meetings/{wgtim}.ics")))
    feed = events(parse(app.test_client().get(create_link(client))))
    assert list(first) == list(second) == list(feed) == [f"meeting-{wgtim}@127.0.0.1"]


def test_a_cancelled_online_meeting_says_so(app, client, cast):
    mid = make_meeting(app, cast["chair"], starts_on=START, ends_on=START, venue="", status="cancelled",
                       online_url="https://meet.example.org/wgtim", timezone="Asia/Jakarta", start_time="14:00")
    sign_in(app, client, cast["chair"])
    (ev,) = parse(client.get(f"/meetings/{mid}.ics")).walk("VEVENT")
    assert str(ev["status"]) == "CANCELLED"
    assert str(ev["location"]) == "https://meet.example.org/wgtim"
    assert ev.decoded("dtstart") == datetime(2026, 3, 2, 14, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert ev.decoded("dtend") == datetime(2026, 3, 2, 17, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def test_a_meeting_starting_late_still_ends_after_it_starts(app, client, cast):
    mid = make_meeting(app, cast["chair"], starts_on=START, ends_on=START, start_time="19:00")
    sign_in(app, client, cast["chair"])
    (ev,) = parse(client.get(f"/meetings/{mid}.ics")).walk("VEVENT")
    assert ev.decoded("dtend") - ev.decoded("dtstart") == timedelta(hours=2)


@pytest.mark.parametrize("part, status", [("chair", 200), ("member", 200), ("body_observer", 200),
                                          ("partner", 200), ("staff", 200), ("admin", 200), ("outsider", 404)])
def test_the_ics_follows_the_policy(app, client, cast, wgtim, part, status):
    sign_in(app, client, cast[part])
    r = client.get(f"/meetings/{wgtim}.ics")
    assert r.status_code == status
    assert (b"BEGIN:VCALENDAR" in r.data) is (status == 200)


def test_signed_out_visitors_get_no_ics(client, wgtim):
    r = client.get(f"/meetings/{wgtim}.ics")
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]


# The private feed

def test_the_link_is_shown_once_and_stored_only_as_a_hash(app, client, cast):
    sign_in(app, client, cast["member"])
    page = client.get("/calendar/feed-link").get_data(as_text=True)
    assert "Create my calendar link" in page
    path = create_link(client)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 40
    with app.app_context():
        feed = db.session.execute(select(CalendarFeed)).scalar_one()
        assert feed.user_id == cast["member"] and feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert not any(token in (e.details or "") for e in db.session.execute(select(AuditEntry)).scalars())
        assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "calendar.link_created")
                                  ).scalar_one().actor_id == cast["member"]
    again = client.get("/calendar/feed-link").get_data(as_text=True)
    assert token not in again and "Reset link" in again


def test_the_feed_needs_no_session_and_lists_exactly_what_its_owner_may_see(app, client, cast, wgtim):
    second = make_meeting(app, cast["chair"], number=22)
    with app.app_context():
        smd = services.create_meeting(user(cast["staff"]), body("WGSMD"),
                                      services.MeetingDetails(starts_on=START, ends_on=START))
        db.session.commit()
        hidden_id = smd.id
    for part in ("member", "partner", "outsider", "staff"):
        owner = app.test_client()
        sign_in(app, owner, cast[part])
        path = create_link(owner)
        r = client.get(path)  # `client` never signed in: a calendar app
        listed = set(events(parse(r)))
        with app.app_context():
            person = user(cast[part])
            expected = {f"meeting-{m.id}@127.0.0.1" for m in db.session.execute(select(Meeting)).scalars()
                        if policy.can(person, "workspaces.view", m)}
        assert listed == expected, part
        if part in ("member", "partner"):
            assert listed == {f"meeting-{wgtim}@127.0.0.1", f"meeting-{second}@127.0.0.1"}
        if part == "outsider":
            assert listed == {f"meeting-{hidden_id}@127.0.0.1"}
        if part == "staff":
            assert len(listed) == 3


def test_resetting_the_link_retires_the_old_one(app, client, cast, wgtim):
    sign_in(app, client, cast["member"])
    old = create_link(client)
    calendar_app = app.test_client()
    assert calendar_app.get(old).status_code == 200
    new = create_link(client)
    assert new != old
    r = calendar_app.get(old)
    assert r.status_code == 404 and "reset or turned off" in r.get_data(as_text=True)
    assert calendar_app.get(new).status_code == 200
    with app.app_context():
        assert db.session.execute(select(CalendarFeed)).scalars().all()[0].user_id == cast["member"]
        assert len(db.session.execute(select(CalendarFeed)).scalars().all()) == 1
        assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "calendar.link_reset")).scalar_one()


def test_turning_the_link_off_retires_it(app, client, cast, wgtim):
    sign_in(app, client, cast["member"])
    path = create_link(client)
    token = hidden(client.get("/calendar/feed-link").get_data(as_text=True), "csrf_token")
    r = client.post("/calendar/link/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "Your calendar link is turned off." in r.get_data(as_text=True)
    assert app.test_client().get(path).status_code == 404
    with app.app_context():
        assert db.session.execute(select(CalendarFeed)).first() is None


def test_a_deactivated_persons_feed_is_refused(app, client, cast, wgtim):
    sign_in(app, client, cast["member"])
    path = create_link(client)
    with app.app_context():
        user(cast["member"]).status = "deactivated"
        db.session.commit()
    r = app.test_client().get(path)
    assert r.status_code == 404 and b"BEGIN:VCALENDAR" not in r.data


def test_the_feed_follows_membership_as_it_is_now(app, client, cast, wgtim):
    sign_in(app, client, cast["member"])
    path = create_link(client)
    calendar_app = app.test_client()
    assert list(events(parse(calendar_app.get(path)))) == [f"meeting-{wgtim}@127.0.0.1"]
    with app.app_context():
        db.session.execute(delete(Membership).where(Membership.user_id == cast["member"]))
        db.session.commit()
    assert events(parse(calendar_app.get(path))) == {}


@pytest.mark.parametrize("token", ["x", "short", "a" * 43, "%00" + "a" * 40, "a" * 150, "..%2f..%2fetc"])
def test_a_wrong_or_malformed_token_is_not_found(app, client, cast, token):
    r = client.get(f"/calendar/feed/{token}.ics")
    assert r.status_code in (400, 404) and b"BEGIN:VCALENDAR" not in r.data


def test_creating_a_link_needs_the_csrf_token(app, client, cast):
    sign_in(app, client, cast["member"])
    assert client.post("/calendar/link").status_code == 400
    with app.app_context():
        assert db.session.execute(select(CalendarFeed)).first() is None


@pytest.mark.parametrize("part", ["chair", "member", "body_observer", "partner", "outsider", "staff", "admin"])
def test_everyone_signed_in_may_have_a_calendar_link(app, client, cast, part):
    sign_in(app, client, cast[part])
    assert client.get("/calendar/feed-link").status_code == 200
    assert app.test_client().get(create_link(client)).status_code == 200


@pytest.mark.parametrize("path", ["/calendar", "/calendar/list", "/calendar/feed-link"])
def test_signed_out_visitors_are_sent_to_sign_in_for_the_calendar_pages(client, path):
    r = client.get(path)
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]


def test_the_feed_runs_the_same_number_of_queries_for_more_meetings(app, client, cast):
    sign_in(app, client, cast["staff"])
    path = create_link(client)
    calendar_app = app.test_client()

    def count() -> int:
        statements = []
        with app.app_context():
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert calendar_app.get(path).status_code == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    make_meeting(app, cast["chair"], number=1)
    small = count()
    for n, code in enumerate(("WGSMD", "JWG", "WGCBM", "WGTIM"), start=2):
        make_meeting(app, cast["staff"], code=code, number=n, host=("MYS", "VNM", "KHM", "PHL")[n - 2])
    assert count() == small
