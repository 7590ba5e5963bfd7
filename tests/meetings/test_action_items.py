"""Action items: added from a meeting, listed across meetings per body and Member State, updated by those allowed."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.meetings import assignments
from aocp.meetings.models import ActionItem, Meeting
from tests.conftest import body, csrf_token, org, post_form, sign_in
from tests.meetings.conftest import counted, page, schedule, soon, user


def post(client, url: str, data: dict):
    return client.post(url, data={"csrf_token": csrf_token(client, "/profile/"), **data})


def action(meeting_id: int | None, title: str, *, owner_user: int | None = None, owner_org: str | None = None,
           due_in: int | None = None, actor: int, code: str = "WGTIM") -> int:
    m = db.session.get(Meeting, meeting_id) if meeting_id else None
    item = assignments.add_action(user(actor), body(code), assignments.ActionDetails(
        title, owner_user=user(owner_user) if owner_user else None, owner_org=org(owner_org) if owner_org else None,
        due_on=soon(due_in) if due_in is not None else None), m)
    db.session.commit()
    return item.id


def status_of(item_id: int) -> str:
    db.session.expire_all()
    return db.session.get(ActionItem, item_id).status


# Adding from the meeting page

def test_the_chair_assigns_an_action_item_to_a_member_state(app, client, people, meeting):
    sign_in(app, client, people["chair"])
    url = f"/meetings/{meeting}"
    r = post_form(client, f"{url}/actions", {"action-title": "Share tin export statistics",
                                             "action-owner_org": "THA", "action-owner_user": "",
                                             "action-due_on": soon(60).isoformat(), "action-action_line": "ti1.1"},
                  page=url)
    assert r.status_code == 302
    with app.app_context():
        item = db.session.execute(select(ActionItem)).scalar_one()
        assert (item.owner_org.code, item.action_line, item.meeting_id, item.status) == ("THA", "TI1.1", meeting,
                                                                                         "open")
        entry = db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc())).scalars().first()
        assert entry.action == "action_item.assigned" and entry.actor_id == people["chair"]
    html = page(client, f"{url}/actions")
    assert "Share tin export statistics" in html and "TI1.1" in html and "Thailand" in html


@pytest.mark.parametrize("typed", ["mys@example.org", " MYS@Example.org ", "hafiz malaysia", "Hafiz Malaysia (MYS)",
                                   "Hafiz <mys@example.org>"])
def test_the_chair_assigns_an_action_item_to_a_person_typed_by_email_or_name(app, client, people, meeting, typed):
    sign_in(app, client, people["staff"])
    r = post(client, f"/meetings/{meeting}/actions", {"action-title": "Draft the terms of reference",
                                                      "action-owner_user": typed})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.execute(select(ActionItem.owner_user_id)).scalar_one() == people["mys"]


def test_a_name_two_members_share_asks_for_the_email(app, client, people, meeting, make_user):
    make_user("delegate", "VNM", "hafiz.vnm@example.org", {"WGTIM": "member"}, name="Hafiz Malaysia")
    sign_in(app, client, people["chair"])
    r = post(client, f"/meetings/{meeting}/actions", {"action-title": "Draft", "action-owner_user": "Hafiz Malaysia"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert re.search(r'aria-describedby="action-owner_user-hint action-owner_user-err"[^>]*aria-invalid="true"', html)
    assert re.search(r'id="action-owner_user-err"><li>Several members of WGTIM are called “Hafiz Malaysia”: type the '
                     r'email of the one you mean.</li>', html)
    assert 'value="Hafiz Malaysia"' in html  # what was typed stays in the field
    named_with_org = {"action-title": "Draft", "action-owner_user": "Hafiz Malaysia (VNM)"}
    assert post(client, f"/meetings/{meeting}/actions", named_with_org).status_code == 302


@pytest.mark.parametrize("data, message", [
    ({"action-title": "No owner"}, "Name an owner: a person or a Member State."),
    ({"action-title": "Bad line", "action-owner_org": "THA", "action-action_line": "TRADE"},
     "An action line code looks like TI1.1 or MD2.3."),
    ({"action-title": "", "action-owner_org": "THA"}, "An action item needs a title."),
    ({"action-title": "Partner", "action-owner_org": "JPN"}, "Not a valid choice"),
    ({"action-title": "Stranger", "action-owner_user": "outsider@example.org"},
     "No member of WGTIM matches “outsider@example.org”."),
    ({"action-title": "Stranger", "action-owner_user": "Jose Outside (PHL)", "action-owner_org": "THA"},
     "No member of WGTIM matches “Jose Outside (PHL)”."),
    ({"action-title": "Long", "action-owner_user": "x" * 400}, "Type a name or an email of a member of WGTIM."),
    ({"action-title": "When", "action-owner_org": "THA", "action-due_on": "next week"}, "Not a valid date value"),
])
def test_bad_action_items_are_refused_with_a_message(app, client, people, meeting, data, message):
    sign_in(app, client, people["chair"])
    r = post(client, f"/meetings/{meeting}/actions", data)
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(ActionItem)).scalar() == 0


@pytest.mark.parametrize("who, status", [("mys", 403), ("tha_focal", 403), ("observer", 403), ("outsider", 404)])
def test_only_managers_add_action_items(app, client, people, meeting, who, status):
    sign_in(app, client, people[who])
    r = post(client, f"/meetings/{meeting}/actions", {"action-title": "Mine", "action-owner_org": "MYS"})
    assert r.status_code == status
    if who != "outsider":
        assert "Add an action item" not in page(client, f"/meetings/{meeting}")
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(ActionItem)).scalar() == 0


# Updating the status

@pytest.fixture
def state_item(app, people, meeting):
    with app.app_context():
        return action(meeting, "Thailand reports on tin", owner_org="THA", due_in=10, actor=people["chair"])


def test_the_focal_person_of_the_owning_member_state_updates_its_item(app, client, people, state_item):
    sign_in(app, client, people["tha_focal"])
    html = page(client, "/actions/")
    assert f'action="/actions/{state_item}/status"' in html
    r = post_form(client, f"/actions/{state_item}/status", {"status": "in_progress", "next": "/actions/?org=THA"},
                  page="/actions/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/actions/?org=THA")
    with app.app_context():
        assert status_of(state_item) == "in_progress"
        entry = db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc())).scalars().first()
        assert entry.action == "action_item.status" and entry.actor_id == people["tha_focal"]


def test_closing_an_item_records_when(app, client, people, state_item):
    sign_in(app, client, people["chair"])
    assert post(client, f"/actions/{state_item}/status", {"status": "done"}).status_code == 302
    with app.app_context():
        assert db.session.get(ActionItem, state_item).closed_at is not None


@pytest.mark.parametrize("who, status", [("tha", 403), ("mys", 403), ("observer", 403), ("outsider", 404)])
def test_others_cannot_update_a_state_owned_item(app, client, people, state_item, who, status):
    sign_in(app, client, people[who])
    if who != "outsider":
        assert f'action="/actions/{state_item}/status"' not in page(client, "/actions/")
    assert post(client, f"/actions/{state_item}/status", {"status": "done"}).status_code == status
    with app.app_context():
        assert status_of(state_item) == "open"


def test_a_focal_person_of_another_member_state_cannot_update_it(app, client, people, meeting, make_user):
    mys_focal = make_user("focal_person", "MYS", "focal.mys2@example.org", {"WGTIM": "member"})
    with app.app_context():
        item = action(meeting, "Thai item", owner_org="THA", actor=people["chair"])
    sign_in(app, client, mys_focal)
    assert post(client, f"/actions/{item}/status", {"status": "done"}).status_code == 403
    with app.app_context():
        assert status_of(item) == "open"


def test_the_owner_of_an_item_updates_it(app, client, people, meeting):
    with app.app_context():
        item = action(meeting, "Hafiz drafts the note", owner_user=people["mys"], actor=people["chair"])
    sign_in(app, client, people["mys"])
    assert post(client, f"/actions/{item}/status", {"status": "done"}).status_code == 302
    with app.app_context():
        assert status_of(item) == "done"


def test_a_bad_status_is_refused_and_changes_nothing(app, client, people, state_item):
    sign_in(app, client, people["chair"])
    r = post(client, f"/actions/{state_item}/status", {"status": "finished"})
    assert r.status_code == 400 and "choose a status from the list" in r.get_data(as_text=True)
    with app.app_context():
        assert status_of(state_item) == "open"


def test_the_status_form_needs_its_csrf_token(app, client, people, state_item):
    sign_in(app, client, people["chair"])
    r = client.post(f"/actions/{state_item}/status", data={"status": "done"})
    assert r.status_code == 400
    with app.app_context():
        assert status_of(state_item) == "open"


def test_a_foreign_next_address_is_ignored(app, client, people, state_item):
    sign_in(app, client, people["chair"])
    r = post(client, f"/actions/{state_item}/status", {"status": "done", "next": "https://evil.example.org/"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/actions/")


def test_an_unknown_item_is_404(app, client, people):
    sign_in(app, client, people["chair"])
    assert post(client, "/actions/999/status", {"status": "done"}).status_code == 404


# The cross-meeting list

@pytest.fixture
def spread(app, people, meeting):
    """Items in WGTIM (open, overdue, done, owned by states and people) and one in WGSMD."""
    with app.app_context():
        ids = {
            "tha_overdue": action(meeting, "Overdue Thai survey", owner_org="THA", due_in=-5, actor=people["chair"]),
            "mys_open": action(meeting, "Malaysian data request", owner_user=people["mys"], due_in=20,
                               actor=people["chair"]),
            "done": action(None, "Finished study", owner_org="MYS", actor=people["chair"]),
            "wgsmd": action(None, "WGSMD mine closure review", owner_org="PHL", actor=people["staff"],
                            code="WGSMD"),
        }
        assignments.set_action_status(user(people["chair"]), db.session.get(ActionItem, ids["done"]), "done")
        db.session.commit()
        return ids


def test_members_see_open_items_of_their_bodies_only(app, client, people, spread):
    sign_in(app, client, people["tha"])
    html = page(client, "/actions/")
    assert "Overdue Thai survey" in html and "Malaysian data request" in html
    assert "Finished study" not in html and "WGSMD mine closure review" not in html
    assert re.search(r"Overdue Thai survey.*?overdue</span>", html, re.S)
    sign_in(app, client, people["outsider"])
    html = page(client, "/actions/")
    assert "WGSMD mine closure review" in html and "Overdue Thai survey" not in html


def test_asec_sees_every_body_and_the_counts_per_body_and_member_state(app, client, people, spread):
    sign_in(app, client, people["staff"])
    html = page(client, "/actions/")
    assert "WGSMD mine closure review" in html and "Overdue Thai survey" in html
    per_body = html[html.index('id="per-body-h"'):html.index('id="per-state-h"')]
    assert re.search(r'body=WGTIM">WGTIM</a></td><td>2</td>\s*<td><a href="/actions/\?body=WGTIM&amp;overdue=1">1',
                     per_body)
    per_state = html[html.index('id="per-state-h"'):]
    for state in ("Malaysia", "Philippines", "Thailand"):
        assert f">{state}</a></td><td>1</td>" in per_state


@pytest.mark.parametrize("query, shown, hidden", [
    ("?overdue=1", ["Overdue Thai survey"], ["Malaysian data request", "Finished study"]),
    ("?org=MYS", ["Malaysian data request"], ["Overdue Thai survey", "WGSMD mine closure review"]),
    ("?org=MYS&status=all", ["Malaysian data request", "Finished study"], ["Overdue Thai survey"]),
    ("?status=done", ["Finished study"], ["Overdue Thai survey", "Malaysian data request"]),
    ("?body=WGSMD", ["WGSMD mine closure review"], ["Overdue Thai survey"]),
    ("?body=wgtim&org=THA", ["Overdue Thai survey"], ["WGSMD mine closure review", "Malaysian data request"]),
])
def test_the_list_filters_by_body_member_state_status_and_overdue(app, client, people, spread, query, shown,
                                                                   hidden):
    sign_in(app, client, people["admin"])
    html = page(client, "/actions/" + query)
    table = html[:html.index('id="per-body-h"')]
    for title in shown:
        assert title in table, (query, title)
    for title in hidden:
        assert title not in table, (query, title)


def test_filters_naming_nothing_visible_are_ignored_with_a_message(app, client, people, spread):
    sign_in(app, client, people["tha"])
    html = page(client, "/actions/?body=WGSMD&status=whatever&org=JPN")
    assert "There is no workspace of that name you may see" in html
    assert "Unknown status" in html and "Choose a Member State from the list" in html
    assert "WGSMD mine closure review" not in html and "Overdue Thai survey" in html


def test_the_list_is_paginated_and_costs_the_same_queries_with_more_items(app, client, people, meeting):
    with app.app_context():
        for n in range(30):
            action(meeting, f"Task {n:02d}", owner_org="THA" if n % 2 else None,
                   owner_user=None if n % 2 else people["mys"], due_in=n - 10, actor=people["chair"])
    sign_in(app, client, people["tha_focal"])
    with counted(app) as few:
        first = client.get("/actions/").get_data(as_text=True)
    assert "Task 00" in first and "Task 24" in first and "Task 25" not in first and "Page 1 of 2" in first
    second = page(client, "/actions/?page=2")
    assert "Task 25" in second and "Task 29" in second and "Task 00" not in second
    with app.app_context():
        other = schedule(people["chair"], number=40)
        for n in range(30, 60):
            action(other, f"Task {n:02d}", owner_org="MYS", due_in=n, actor=people["chair"])
    with counted(app) as many:
        client.get("/actions/")
    assert len(many) == len(few), (len(few), len(many))
    assert "Page 1 of 3" in page(client, "/actions/")
