"""The timetable and the minutes' steps through the API: the same rules and services as the pages."""
from __future__ import annotations

from datetime import timedelta

import pytest

from aocp.extensions import db
from aocp.meetings.models import AgendaItem, AgendaVersion, Minutes
from aocp.notifications.models import Notification
from aocp.timeutil import utcnow
from tests.api.conftest import assert_error
from tests.api.test_meetings_api import call, count, ok, person, ppl, schedule  # noqa: F401

ITEMS = [{"title": "Opening", "kind": "session", "day": 1}, {"title": "Welcome", "duration_minutes": 20},
         {"title": "Lunch", "kind": "break", "duration_minutes": 60, "fixed_start": "12:00"},
         {"title": "Tin statistics", "duration_minutes": 45, "day": 2, "presenter": "Malaysia"}]


@pytest.fixture
def timed(client, ppl):  # noqa: F811
    starts = utcnow().date() + timedelta(days=30)
    mid = schedule(client, ppl.chair, start_time="08:30", end_time="16:00", timezone="Asia/Manila",
                   starts_on=starts.isoformat(), ends_on=(starts + timedelta(days=1)).isoformat())
    ids = [ok(call(client, "POST", f"/meetings/{mid}/agenda", ppl.chair, item), 201)["id"] for item in ITEMS]
    return mid, ids


def test_the_timetable_is_read_with_numbers_times_and_total(client, ppl, timed):  # noqa: F811
    mid, ids = timed
    data = ok(call(client, "GET", f"/meetings/{mid}/agenda", ppl.thai))
    assert (data["timezone"], data["end_time"], data["total_minutes"]) == ("Asia/Manila", "16:00", 125)
    day1, day2 = data["days"]
    assert [(i["number"], i["title"], i["start"], i["end"]) for i in day1["items"]] == [
        ("1", "Opening", "08:30", "08:30"), ("1.1", "Welcome", "08:30", "08:50"), ("", "Lunch", "12:00", "13:00")]
    # A session ends with its day: the next day's first item, without a heading, is numbered 2.
    assert (day1["end"], day2["start"], day2["items"][0]["number"]) == ("13:00", "08:30", "2")
    assert day2["items"][0]["starts_at"].endswith("T08:30:00+08:00")
    full = ok(call(client, "GET", f"/meetings/{mid}", ppl.thai))
    assert [i["kind"] for i in full["agenda"]] == ["session", "item", "break", "item"]


def test_an_item_is_changed_in_place_and_bad_input_changes_nothing(app, client, ppl, timed):  # noqa: F811
    mid, ids = timed
    data = ok(call(client, "PATCH", f"/meetings/{mid}/agenda/{ids[1]}", ppl.chair,
                   {"title": "Welcome remarks", "duration_minutes": 30}))
    assert data["days"][0]["items"][1]["title"] == "Welcome remarks" and data["total_minutes"] == 135
    for body, field in (({"duration_minutes": 0}, "duration_minutes"),
                        ({"duration_minutes": 10_000}, "duration_minutes"),
                        ({"fixed_start": "08:40"}, "fixed_start"),
                        ({"day": 3}, "day"), ({"kind": "lunch"}, "kind")):
        r = call(client, "PATCH", f"/meetings/{mid}/agenda/{ids[2]}", ppl.chair, body)
        assert field in assert_error(r, 422)["fields"], body
    with app.app_context():
        lunch = db.session.get(AgendaItem, ids[2])
        assert (lunch.duration_minutes, lunch.fixed_start, lunch.day, lunch.kind) == (60, "12:00", 1, "break")
    assert call(client, "PATCH", f"/meetings/{mid}/agenda/{ids[2]}", ppl.delegate, {"title": "x"}).status_code == 403
    assert call(client, "PATCH", f"/meetings/{mid}/agenda/{ids[2]}", ppl.outsider, {"title": "x"}).status_code == 404


def test_publishing_keeps_versions_and_tells_once(app, client, ppl, timed):  # noqa: F811
    mid, ids = timed
    assert ok(call(client, "POST", f"/meetings/{mid}/agenda/publish", ppl.chair))["agenda_changed_since_published"] \
        is False
    told = count(app, Notification, Notification.kind == "agenda_published")
    assert told > 0
    assert call(client, "POST", f"/meetings/{mid}/agenda/publish", ppl.chair).status_code == 409
    for minutes in (25, 35):
        ok(call(client, "PATCH", f"/meetings/{mid}/agenda/{ids[1]}", ppl.chair, {"duration_minutes": minutes}))
    assert ok(call(client, "GET", f"/meetings/{mid}/agenda", ppl.thai))["changed_since_published"] is True
    assert count(app, Notification, Notification.kind == "agenda_published") == told
    ok(call(client, "POST", f"/meetings/{mid}/agenda/publish", ppl.chair))
    assert count(app, Notification, Notification.kind == "agenda_published") == 2 * told
    versions = ok(call(client, "GET", f"/meetings/{mid}/agenda/versions", ppl.thai))["items"]
    assert [v["number"] for v in versions] == [2, 1] and count(app, AgendaVersion) == 2
    assert [i["duration_minutes"] for i in versions[1]["items"]][1] == 20  # the first version stays as published
    assert call(client, "GET", f"/meetings/{mid}/agenda/versions", ppl.outsider).status_code == 404


def test_minutes_start_from_the_agenda_then_are_circulated_and_adopted(app, client, ppl, timed):  # noqa: F811
    mid, ids = timed
    draft = ok(call(client, "GET", f"/meetings/{mid}/minutes", ppl.chair))
    assert draft["body_md"] == "## 1 Opening\n\n### 1.1 Welcome\n\n## 2 Tin statistics\n\n"
    assert call(client, "POST", f"/meetings/{mid}/minutes/circulate", ppl.delegate).status_code == 403
    assert call(client, "POST", f"/meetings/{mid}/minutes/adopt", ppl.chair).status_code == 409
    ok(call(client, "PUT", f"/meetings/{mid}/minutes", ppl.chair, {"body_md": draft["body_md"] + "Agreed.",
                                                                    "version": 1}))
    assert ok(call(client, "POST", f"/meetings/{mid}/minutes/circulate", ppl.chair))["status"] == "circulated"
    assert ok(call(client, "POST", f"/meetings/{mid}/minutes/adopt", ppl.chair))["status"] == "adopted"
    assert count(app, Minutes, Minutes.status == "adopted") == 1
    assert call(client, "POST", f"/meetings/{mid}/minutes/circulate", ppl.outsider).status_code == 404


def test_a_meeting_over_five_days_or_ending_before_it_starts_is_refused(client, ppl):  # noqa: F811
    r = call(client, "POST", "/workspaces/WGTIM/meetings", ppl.chair,
             {"starts_on": "2027-03-01", "ends_on": "2027-03-06"})
    assert "ends_on" in assert_error(r, 422)["fields"]
    r = call(client, "POST", "/workspaces/WGTIM/meetings", ppl.chair,
             {"starts_on": "2027-03-01", "start_time": "10:00", "end_time": "09:00"})
    assert "end_time" in assert_error(r, 422)["fields"]
