"""The workspace and meeting endpoints of /api/v1: what each role may see and do, validation, no N+1."""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from aocp.accounts.models import User
from aocp.audit import AuditEntry
from aocp.documents.models import Document, DocumentGrant
from aocp.extensions import db
from aocp.meetings import services
from aocp.meetings.models import ActionItem, AgendaItem, AgendaPaper, Decision, Meeting, Minutes, Participant
from aocp.timeutil import utcnow
from tests.api.conftest import assert_error, bearer
from tests.conftest import org

API = "/api/v1"
TODAY = utcnow().date()
SOON = (TODAY + timedelta(days=30)).isoformat()
LATER = (TODAY + timedelta(days=32)).isoformat()


# --- people and their tokens ------------------------------------------------------------------------

class Person:
    """A user and the bearer header of their write-scope token."""

    def __init__(self, uid: int, raw: str):
        self.id, self.headers = uid, bearer(raw)


@pytest.fixture
def person(make_user, make_token):
    """person(role, org_code=None, bodies=None, scope='write') -> Person (an account with a token)."""
    def make(role: str, org_code: str | None = None, bodies: dict | None = None, scope: str = "write") -> Person:
        uid = make_user(role, org_code=org_code, bodies=bodies, mfa_on=role == "asec_admin")
        return Person(uid, make_token(uid, scope))
    return make


@pytest.fixture
def ppl(person):
    """Around WGTIM: ASEC, its chair (a Malaysian delegate), members from Malaysia and Thailand, a Japanese
    observer member, and a Philippine delegate who belongs only to WGSMD."""
    class People:
        admin = person("asec_admin")
        staff = person("asec_staff")
        chair = person("delegate", "MYS", {"WGTIM": "chair"})
        focal = person("focal_person", "MYS", {"WGTIM": "member"})
        delegate = person("delegate", "MYS", {"WGTIM": "member"})
        thai = person("delegate", "THA", {"WGTIM": "member"})
        observer = person("observer", "JPN", {"WGTIM": "observer"})
        outsider = person("delegate", "PHL", {"WGSMD": "member"})
    return People


def call(client, method: str, url: str, who: Person | None = None, body=None, **kwargs):
    return client.open(API + url, method=method, headers=who.headers if who else {},
                       **({"json": body} if body is not None else {}), **kwargs)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def schedule(client, who: Person, code: str = "WGTIM", **fields) -> int:
    data = ok(call(client, "POST", f"/workspaces/{code}/meetings", who,
                   {"starts_on": SOON, "ends_on": LATER, **fields}), 201)
    return data["id"]


def add_item(client, who: Person, meeting_id: int, title: str = "Country reports") -> int:
    return ok(call(client, "POST", f"/meetings/{meeting_id}/agenda", who, {"title": title}), 201)["id"]


def make_doc(app, uploader: Person, title: str, level: str = "asean", orgs: tuple[str, ...] = ()) -> int:
    with app.app_context():
        user = db.session.get(User, uploader.id)
        doc = Document(title=title, org=user.org, uploader=user, access_level=level)
        doc.grants = [DocumentGrant(org_id=org(code).id) for code in orgs]
        db.session.add(doc)
        db.session.commit()
        return doc.id


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def actions(app) -> list[str]:
    with app.app_context():
        return db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()


def last_denial(app) -> dict | None:
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "access.denied")
                                   .order_by(AuditEntry.id.desc())).scalars().first()
        return json.loads(entry.details) | {"actor_id": entry.actor_id} if entry else None


@pytest.fixture
def meeting(client, ppl) -> int:
    return schedule(client, ppl.chair, venue="Kuala Lumpur", host="MYS")


# --- workspaces -----------------------------------------------------------------------------------------

def test_a_member_lists_only_the_workspaces_of_their_bodies(client, ppl, meeting):
    items = ok(call(client, "GET", "/workspaces", ppl.delegate))["items"]
    assert [w["code"] for w in items] == ["WGTIM"]
    wgtim = items[0]
    assert wgtim["members_count"] == 5 and wgtim["my_role"] == "member" and wgtim["can_manage"] is False
    assert wgtim["next_meeting"]["id"] == meeting and wgtim["next_meeting"]["title"] == "1st WGTIM Meeting"


def test_asec_lists_every_workspace_and_an_outsider_only_their_own(client, ppl):
    codes = [w["code"] for w in ok(call(client, "GET", "/workspaces", ppl.staff))["items"]]
    assert set(codes) >= {"AMMIN", "ASOMM", "JWG", "WGTIM", "WGSMD", "TF"} and len(codes) == 9
    assert [w["code"] for w in ok(call(client, "GET", "/workspaces", ppl.outsider))["items"]] == ["WGSMD"]


def test_the_workspace_shows_members_upcoming_meetings_and_open_action_items(app, client, ppl, meeting):
    ok(call(client, "POST", f"/meetings/{meeting}/action-items", ppl.chair,
            {"title": "Send the trade statistics", "owner_org": "MYS"}), 201)
    cancelled = schedule(client, ppl.chair, status="cancelled")
    data = ok(call(client, "GET", "/workspaces/wgtim", ppl.observer))
    assert data["code"] == "WGTIM" and data["my_role"] == "observer" and data["can_manage"] is False
    members = {m["user_id"]: m for m in data["members"]}
    assert members[ppl.chair.id]["body_role"] == "chair" and members[ppl.chair.id]["org"] == "MYS"
    observer = members[ppl.observer.id]
    assert (observer["org"], observer["role"], observer["body_role"]) == ("JPN", "observer", "observer")
    assert ppl.outsider.id not in members and data["members_count"] == 5
    assert [m["id"] for m in data["upcoming_meetings"]] == [meeting]  # not the cancelled one
    assert ok(call(client, "GET", f"/meetings/{cancelled}", ppl.observer))["status"] == "cancelled"
    assert data["open_action_items"] == 1


def test_a_workspace_the_caller_is_not_in_is_not_found_and_the_refusal_is_audited(app, client, ppl):
    assert_error(call(client, "GET", "/workspaces/WGTIM", ppl.outsider), 404, "not_found")
    assert last_denial(app) | {"path": None} == {"rule": "workspaces.view", "method": "GET", "path": None,
                                                 "actor_id": ppl.outsider.id}
    assert_error(call(client, "GET", "/workspaces/WGTIM/meetings", ppl.outsider), 404)


@pytest.mark.parametrize("code", ["NOPE", "W%25", "%C3%A9", "W%0AG", "x" * 40])
def test_an_unknown_workspace_code_is_a_json_404(client, ppl, code):
    assert_error(call(client, "GET", f"/workspaces/{code}", ppl.admin), 404)


def test_workspaces_need_a_token(client):
    assert_error(call(client, "GET", "/workspaces"), 401, "unauthorized")
    assert_error(call(client, "GET", "/action-items"), 401, "unauthorized")


# --- scheduling meetings ---------------------------------------------------------------------------------

def test_the_chair_schedules_a_meeting_and_the_members_are_invited(app, client, ppl):
    r = call(client, "POST", "/workspaces/WGTIM/meetings", ppl.chair,
             {"starts_on": SOON, "ends_on": LATER, "start_time": "13:30", "timezone": "Asia/Kuala_Lumpur",
              "host": "mys", "venue": "Putrajaya", "online_url": "https://meet.example.org/wgtim",
              "chair": ppl.chair.id, "status": "confirmed", "paper_deadline": SOON, "number": 21})
    data = ok(r, 201)
    assert r.headers["Location"] == data["url"] == f"{API}/meetings/{data['id']}"
    assert data["title"] == "21st WGTIM Meeting" and data["number"] == 21 and data["body"] == "WGTIM"
    assert (data["starts_on"], data["ends_on"], data["start_time"]) == (SOON, LATER, "13:30")
    assert data["host"] == "MYS" and data["chair"]["id"] == ppl.chair.id and data["status"] == "confirmed"
    assert data["can_manage"] is True and data["agenda"] == [] and data["my_rsvp"] == "invited"
    invited = {p["user_id"] for p in data["participants"]}
    assert invited == {ppl.chair.id, ppl.focal.id, ppl.delegate.id, ppl.thai.id, ppl.observer.id}
    assert "meeting.created" in actions(app)
    again = ok(call(client, "POST", "/workspaces/WGTIM/meetings", ppl.chair, {"starts_on": LATER}), 201)
    assert again["number"] == 22 and again["ends_on"] == LATER and again["timezone"] == "Asia/Jakarta"


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_asec_schedules_meetings_for_any_body(client, ppl, who):
    data = ok(call(client, "POST", "/workspaces/JWG/meetings", getattr(ppl, who), {"starts_on": SOON}), 201)
    assert data["body"] == "JWG" and data["participants"] == []


@pytest.mark.parametrize("who", ["delegate", "focal", "thai"])
def test_a_member_who_is_not_chair_may_not_schedule_a_meeting(app, client, ppl, who):
    assert_error(call(client, "POST", "/workspaces/WGTIM/meetings", getattr(ppl, who), {"starts_on": SOON}),
                 403, "forbidden")
    assert count(app, Meeting) == 0
    assert last_denial(app)["rule"] == "meetings.manage"


def test_an_observer_member_may_read_but_not_schedule(app, client, ppl, meeting):
    assert ok(call(client, "GET", "/workspaces/WGTIM/meetings", ppl.observer))["total"] == 1
    assert_error(call(client, "POST", "/workspaces/WGTIM/meetings", ppl.observer, {"starts_on": SOON}), 403)
    assert count(app, Meeting) == 1


def test_a_delegate_of_another_body_does_not_find_the_workspace_to_schedule_in(app, client, ppl):
    assert_error(call(client, "POST", "/workspaces/WGTIM/meetings", ppl.outsider, {"starts_on": SOON}), 404)
    assert count(app, Meeting) == 0


def test_the_chair_of_one_body_may_not_schedule_for_another(app, client, ppl, person):
    wgsmd_member = person("delegate", "MYS", {"WGTIM": "chair", "WGSMD": "member"})
    assert_error(call(client, "POST", "/workspaces/WGSMD/meetings", wgsmd_member, {"starts_on": SOON}), 403)


def test_a_read_scope_token_may_list_but_not_schedule(client, ppl, person):
    reader = person("delegate", "MYS", {"WGTIM": "chair"}, scope="read")
    assert ok(call(client, "GET", "/workspaces/WGTIM/meetings", reader))["items"] == []
    assert_error(call(client, "POST", "/workspaces/WGTIM/meetings", reader, {"starts_on": SOON}), 403,
                 "insufficient_scope")


@pytest.mark.parametrize("fields, field", [
    ({}, "starts_on"),
    ({"starts_on": "2026-13-01"}, "starts_on"),
    ({"starts_on": 20261201}, "starts_on"),
    ({"starts_on": "1 Dec 2026"}, "starts_on"),
    ({"starts_on": "0999-01-01"}, "starts_on"),
    ({"starts_on": None}, "starts_on"),
    ({"ends_on": "2020-01-01"}, "ends_on"),
    ({"start_time": "25:00"}, "start_time"),
    ({"start_time": 930}, "start_time"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"host": "XYZ"}, "host"),
    ({"host": 5}, "host"),
    ({"online_url": "http://meet.example.org"}, "online_url"),
    ({"online_url": "https://x/" + "a" * 500}, "online_url"),
    ({"venue": "v" * 301}, "venue"),
    ({"venue": "Kuala\x00Lumpur"}, "venue"),
    ({"chair": 999_999}, "chair"),
    ({"chair": "1"}, "chair"),
    ({"chair": True}, "chair"),
    ({"chair": 2**40}, "chair"),
    ({"status": "done"}, "status"),
    ({"status": ["planned"]}, "status"),
    ({"group_with": 999_999}, "group_with"),
    ({"paper_deadline": LATER}, "paper_deadline"),
    ({"number": 0}, "number"),
    ({"number": 1.5}, "number"),
    ({"colour": "red"}, "colour"),
])
def test_invalid_meeting_fields_answer_422_naming_the_field_and_change_nothing(app, client, ppl, fields, field):
    payload = {"starts_on": SOON, **fields} if "starts_on" not in fields and fields else fields
    before = actions(app)
    error = assert_error(call(client, "POST", "/workspaces/WGTIM/meetings", ppl.chair, payload), 422,
                         "validation_error")
    assert field in error["fields"], error
    assert count(app, Meeting) == 0 and count(app, Participant) == 0
    assert actions(app) == before


def test_the_chair_must_be_able_to_see_the_workspace(app, client, ppl):
    error = assert_error(call(client, "POST", "/workspaces/WGTIM/meetings", ppl.chair,
                              {"starts_on": SOON, "chair": ppl.outsider.id}), 422)
    assert error["fields"] == {"chair": "An active member of this body, or ASEC staff."}


def test_grouping_needs_another_bodys_meeting_the_caller_may_see(client, ppl, meeting):
    jwg = schedule(client, ppl.staff, "JWG")
    error = assert_error(call(client, "POST", "/workspaces/WGTIM/meetings", ppl.chair,
                              {"starts_on": SOON, "group_with": jwg}), 422)
    assert "group_with" in error["fields"]  # the chair is not in the JWG: it is as if it did not exist
    assert "group_with" in assert_error(call(client, "POST", "/workspaces/WGTIM/meetings", ppl.chair,
                                             {"starts_on": SOON, "group_with": meeting}), 422)["fields"]
    data = ok(call(client, "POST", "/workspaces/WGTIM/meetings", ppl.staff, {"starts_on": SOON, "group_with": jwg}),
              201)
    assert data["group_with"] == jwg


def test_a_taken_meeting_number_is_refused(client, ppl, meeting):
    error = assert_error(call(client, "POST", "/workspaces/WGTIM/meetings", ppl.chair,
                              {"starts_on": SOON, "number": 1}), 422)
    assert error["fields"]["number"] == "WGTIM already has a meeting number 1."


@pytest.mark.parametrize("raw, content_type", [
    ("not json", "application/json"), ("[1, 2]", "application/json"), ('"text"', "application/json"),
    ('{"starts_on": "2026-12-01"}', "text/plain"), ('{"venue": "\\ud800"}', "application/json"), ("", None),
])
def test_a_body_that_is_not_a_json_object_is_a_400(app, client, ppl, raw, content_type):
    r = client.post(f"{API}/workspaces/WGTIM/meetings", data=raw, content_type=content_type,
                    headers=ppl.chair.headers)
    assert_error(r, 400)
    assert count(app, Meeting) == 0


def test_the_meeting_list_is_paginated_and_filtered(client, ppl):
    past = ok(call(client, "POST", "/workspaces/WGTIM/meetings", ppl.chair,
                   {"starts_on": "2024-05-01", "status": "held"}), 201)["id"]
    future = [schedule(client, ppl.chair) for _ in range(3)]
    page = ok(call(client, "GET", "/workspaces/WGTIM/meetings?per_page=2", ppl.delegate))
    assert (page["total"], page["pages"], page["page"], len(page["items"])) == (4, 2, 1, 2)
    upcoming = ok(call(client, "GET", "/workspaces/WGTIM/meetings?when=upcoming", ppl.delegate))["items"]
    assert [m["id"] for m in upcoming] == future
    assert [m["id"] for m in ok(call(client, "GET", "/workspaces/WGTIM/meetings?when=past",
                                     ppl.delegate))["items"]] == [past]
    assert [m["id"] for m in ok(call(client, "GET", "/workspaces/WGTIM/meetings?status=held",
                                     ppl.delegate))["items"]] == [past]
    for query in ("when=soon", "status=over", "page=0", "per_page=500", "page=x"):
        assert_error(call(client, "GET", f"/workspaces/WGTIM/meetings?{query}", ppl.delegate), 400)


# --- one meeting ------------------------------------------------------------------------------------------

def test_the_chair_changes_only_the_fields_sent(app, client, ppl, meeting):
    data = ok(call(client, "PATCH", f"/meetings/{meeting}", ppl.chair,
                   {"status": "confirmed", "venue": "Langkawi", "host": None, "paper_deadline": SOON}))
    assert (data["status"], data["venue"], data["host"], data["paper_deadline"]) == ("confirmed", "Langkawi",
                                                                                      None, SOON)
    assert data["starts_on"] == SOON and data["number"] == 1
    assert "meeting.updated" in actions(app)


def test_a_meeting_number_cannot_be_changed(client, ppl, meeting):
    error = assert_error(call(client, "PATCH", f"/meetings/{meeting}", ppl.chair, {"number": 7}), 422)
    assert error["fields"] == {"number": "A meeting's number cannot be changed."}


def test_a_refused_change_keeps_the_meeting_as_it_was(app, client, ppl, meeting):
    assert_error(call(client, "PATCH", f"/meetings/{meeting}", ppl.chair,
                      {"venue": "Changed", "ends_on": "2020-01-01"}), 422)
    assert ok(call(client, "GET", f"/meetings/{meeting}", ppl.chair))["venue"] == "Kuala Lumpur"


@pytest.mark.parametrize("who, status", [("delegate", 403), ("focal", 403), ("observer", 403), ("outsider", 404)])
def test_only_managers_change_a_meeting(app, client, ppl, meeting, who, status):
    assert_error(call(client, "PATCH", f"/meetings/{meeting}", getattr(ppl, who), {"venue": "Elsewhere"}), status)
    with app.app_context():
        assert db.session.get(Meeting, meeting).venue == "Kuala Lumpur"


@pytest.mark.parametrize("who", ["admin", "staff", "chair", "focal", "delegate", "thai", "observer"])
def test_everyone_who_sees_the_workspace_sees_the_meeting(client, ppl, meeting, who):
    data = ok(call(client, "GET", f"/meetings/{meeting}", getattr(ppl, who)))
    assert data["id"] == meeting and data["venue"] == "Kuala Lumpur"
    assert data["can_manage"] is (who in ("admin", "staff", "chair"))


def test_a_meeting_outside_ones_bodies_is_not_found_on_every_route(client, ppl, meeting):
    for method, url in [("GET", ""), ("GET", "/participants"), ("GET", "/decisions"), ("GET", "/minutes"),
                        ("PUT", "/rsvp"), ("POST", "/agenda"), ("POST", "/decisions")]:
        assert_error(call(client, method, f"/meetings/{meeting}{url}", ppl.outsider, {}), 404)
    assert_error(call(client, "GET", "/meetings/999999", ppl.admin), 404)


# --- agenda -----------------------------------------------------------------------------------------------

def test_the_chair_builds_reorders_and_publishes_the_agenda(app, client, ppl, meeting):
    first = ok(call(client, "POST", f"/meetings/{meeting}/agenda", ppl.chair,
                    {"title": "  Adoption of   the agenda ", "presenter": "Chair", "duration_minutes": 10,
                     "notes": "Line one\nLine two"}), 201)
    assert first["title"] == "Adoption of the agenda" and first["position"] == 1 and first["papers"] == []
    second, third = add_item(client, ppl.chair, meeting, "Reports"), add_item(client, ppl.chair, meeting, "AOB")
    order = ok(call(client, "PUT", f"/meetings/{meeting}/agenda/order", ppl.chair,
                    {"order": [third, first["id"], second]}))["items"]
    assert [(i["id"], i["position"]) for i in order] == [(third, 1), (first["id"], 2), (second, 3)]
    assert call(client, "DELETE", f"/meetings/{meeting}/agenda/{third}", ppl.chair).status_code == 204
    published = ok(call(client, "POST", f"/meetings/{meeting}/agenda/publish", ppl.chair))
    assert published["agenda_published_at"].endswith("Z")
    assert [(i["id"], i["position"]) for i in published["agenda"]] == [(first["id"], 1), (second, 2)]
    assert {"agenda.item_added", "agenda.reordered", "agenda.item_removed", "agenda.published"} <= set(actions(app))


def test_an_empty_agenda_cannot_be_published(app, client, ppl, meeting):
    assert_error(call(client, "POST", f"/meetings/{meeting}/agenda/publish", ppl.chair), 409, "conflict")
    with app.app_context():
        assert db.session.get(Meeting, meeting).agenda_published_at is None


@pytest.mark.parametrize("payload, field", [
    ({}, "title"), ({"title": ""}, "title"), ({"title": "t" * 301}, "title"), ({"title": 5}, "title"),
    ({"title": "x", "duration_minutes": 0}, "duration_minutes"),
    ({"title": "x", "duration_minutes": "15"}, "duration_minutes"),
    ({"title": "x", "presenter": "p" * 201}, "presenter"), ({"title": "x", "notes": "\x07"}, "notes"),
    ({"title": "x", "position": 1}, "position"),
])
def test_invalid_agenda_items_are_refused(app, client, ppl, meeting, payload, field):
    assert field in assert_error(call(client, "POST", f"/meetings/{meeting}/agenda", ppl.chair, payload),
                                 422)["fields"]
    assert count(app, AgendaItem) == 0


@pytest.mark.parametrize("order", ["missing", "twice", "stranger", "floats", "text", None])
def test_a_new_order_must_name_every_item_once(app, client, ppl, meeting, order):
    a, b = add_item(client, ppl.chair, meeting), add_item(client, ppl.chair, meeting, "Other")
    other = add_item(client, ppl.chair, schedule(client, ppl.chair))
    value = {"missing": [a], "twice": [a, b, a], "stranger": [a, b, other], "floats": [float(a), float(b)]
             }.get(order, order)
    assert "order" in assert_error(call(client, "PUT", f"/meetings/{meeting}/agenda/order", ppl.chair,
                                        {"order": value}), 422)["fields"]
    with app.app_context():
        assert [db.session.get(AgendaItem, i).position for i in (a, b)] == [1, 2]


def test_an_item_of_another_meeting_is_not_found_under_this_one(app, client, ppl, meeting):
    other = add_item(client, ppl.chair, schedule(client, ppl.chair))
    assert_error(call(client, "DELETE", f"/meetings/{meeting}/agenda/{other}", ppl.chair), 404)
    assert count(app, AgendaItem) == 1


@pytest.mark.parametrize("who", ["delegate", "focal", "observer"])
def test_members_do_not_change_the_agenda(app, client, ppl, meeting, who):
    item = add_item(client, ppl.chair, meeting)
    someone = getattr(ppl, who)
    assert_error(call(client, "POST", f"/meetings/{meeting}/agenda", someone, {"title": "Mine"}), 403)
    assert_error(call(client, "DELETE", f"/meetings/{meeting}/agenda/{item}", someone), 403)
    assert_error(call(client, "POST", f"/meetings/{meeting}/agenda/publish", someone), 403)
    assert count(app, AgendaItem) == 1


# --- papers -----------------------------------------------------------------------------------------------

def test_a_delegate_attaches_their_country_paper(app, client, ppl, meeting):
    item = add_item(client, ppl.chair, meeting)
    doc = make_doc(app, ppl.delegate, "Malaysia country report")
    data = ok(call(client, "POST", f"/meetings/{meeting}/agenda/{item}/papers", ppl.delegate,
                   {"document_id": doc}), 201)
    assert [(p["id"], p["title"], p["org"]) for p in data["papers"]] == [(doc, "Malaysia country report", "MYS")]
    assert ok(call(client, "POST", f"/meetings/{meeting}/agenda/{item}/papers", ppl.delegate,
                   {"document_id": doc}), 200)["papers"][0]["id"] == doc
    assert ok(call(client, "GET", f"/meetings/{meeting}", ppl.thai))["agenda"][0]["papers"][0]["id"] == doc
    assert count(app, AgendaPaper) == 1 and "agenda.paper_attached" in actions(app)


def test_a_restricted_paper_is_listed_only_for_those_who_may_open_it(app, client, ppl, meeting):
    item = add_item(client, ppl.chair, meeting)
    thai_only = make_doc(app, ppl.thai, "Thai restricted paper", level="named", orgs=("THA",))
    shared = make_doc(app, ppl.thai, "Thai shared paper")
    for doc in (thai_only, shared):
        ok(call(client, "POST", f"/meetings/{meeting}/agenda/{item}/papers", ppl.thai, {"document_id": doc}), 201)

    def papers(who):
        return [p["id"] for p in ok(call(client, "GET", f"/meetings/{meeting}", who))["agenda"][0]["papers"]]

    assert papers(ppl.thai) == [thai_only, shared] and papers(ppl.staff) == [thai_only, shared]
    assert papers(ppl.delegate) == [shared] and papers(ppl.chair) == [shared]
    assert papers(ppl.observer) == []  # Japan is outside ASEAN: not even the ASEAN-level paper
    text = call(client, "GET", f"/meetings/{meeting}", ppl.delegate).get_data(as_text=True)
    assert "Thai restricted paper" not in text


def test_nobody_attaches_a_document_they_may_not_open(app, client, ppl, meeting):
    item = add_item(client, ppl.chair, meeting)
    secret = make_doc(app, ppl.thai, "Thai only", level="named", orgs=("THA",))
    for doc_id in (secret, 999_999):
        error = assert_error(call(client, "POST", f"/meetings/{meeting}/agenda/{item}/papers", ppl.delegate,
                                  {"document_id": doc_id}), 422)
        assert error["fields"] == {"document_id": "No document with this id that you may open."}
    assert count(app, AgendaPaper) == 0


@pytest.mark.parametrize("payload", [{}, {"document_id": "1"}, {"document_id": True}, {"doc": 1}])
def test_a_paper_reference_must_be_a_document_id(app, client, ppl, meeting, payload):
    item = add_item(client, ppl.chair, meeting)
    assert_error(call(client, "POST", f"/meetings/{meeting}/agenda/{item}/papers", ppl.delegate, payload), 422)


def test_an_observer_may_not_attach_papers(app, client, ppl, meeting):
    item = add_item(client, ppl.chair, meeting)
    doc = make_doc(app, ppl.delegate, "Paper")
    assert_error(call(client, "POST", f"/meetings/{meeting}/agenda/{item}/papers", ppl.observer,
                      {"document_id": doc}), 403)
    assert count(app, AgendaPaper) == 0


def test_the_chair_detaches_a_paper_and_a_member_may_not(app, client, ppl, meeting):
    item = add_item(client, ppl.chair, meeting)
    doc = make_doc(app, ppl.delegate, "Paper")
    ok(call(client, "POST", f"/meetings/{meeting}/agenda/{item}/papers", ppl.delegate, {"document_id": doc}), 201)
    assert_error(call(client, "DELETE", f"/meetings/{meeting}/agenda/{item}/papers", ppl.delegate,
                      {"document_id": doc}), 403)
    assert count(app, AgendaPaper) == 1
    assert call(client, "DELETE", f"/meetings/{meeting}/agenda/{item}/papers", ppl.chair,
                body={"document_id": doc}).status_code == 204
    assert count(app, AgendaPaper) == 0 and count(app, Document) == 1
    assert_error(call(client, "DELETE", f"/meetings/{meeting}/agenda/{item}/papers", ppl.chair,
                      {"document_id": doc}), 422)


# --- participants -------------------------------------------------------------------------------------------

def test_participants_are_listed_with_their_organisations(client, ppl, meeting):
    items = ok(call(client, "GET", f"/meetings/{meeting}/participants", ppl.observer))["items"]
    assert [p["org"] for p in items] == sorted(p["org"] for p in items)
    assert {p["rsvp"] for p in items} == {"invited"} and {p["attended"] for p in items} == {None}


def test_the_chair_invites_people_and_an_organisations_members(app, client, ppl, person):
    meeting = ok(call(client, "POST", "/workspaces/WGTIM/meetings", ppl.staff, {"starts_on": SOON}), 201)["id"]
    with app.app_context():
        db.session.execute(db.delete(Participant).where(Participant.meeting_id == meeting))
        db.session.commit()
    data = ok(call(client, "POST", f"/meetings/{meeting}/participants", ppl.chair,
                   {"user_ids": [ppl.thai.id, ppl.staff.id]}))
    assert data["invited"] == 2 and {p["user_id"] for p in data["items"]} == {ppl.thai.id, ppl.staff.id}
    data = ok(call(client, "POST", f"/meetings/{meeting}/participants", ppl.chair, {"org": "mys"}))
    assert data["invited"] == 3
    assert {p["user_id"] for p in data["items"]} == {ppl.thai.id, ppl.staff.id, ppl.chair.id, ppl.focal.id,
                                                      ppl.delegate.id}
    assert ok(call(client, "POST", f"/meetings/{meeting}/participants", ppl.chair, {"org": "MYS"}))["invited"] == 0
    assert "meeting.invited" in actions(app)


@pytest.mark.parametrize("payload, field", [
    ({}, "user_ids"), ({"user_ids": [1], "org": "MYS"}, "user_ids"), ({"user_ids": "1"}, "user_ids"),
    ({"user_ids": [True]}, "user_ids"), ({"user_ids": [999_999]}, "user_ids"), ({"org": "XYZ"}, "org"),
    ({"org": None}, "org"), ({"user_ids": list(range(1, 600))}, "user_ids"), ({"team": "A"}, "team"),
])
def test_invitations_name_people_or_one_organisation(app, client, ppl, meeting, payload, field):
    before = count(app, Participant)
    assert field in assert_error(call(client, "POST", f"/meetings/{meeting}/participants", ppl.chair, payload),
                                 422)["fields"]
    assert count(app, Participant) == before


def test_people_outside_the_body_cannot_be_invited(app, client, ppl, meeting):
    error = assert_error(call(client, "POST", f"/meetings/{meeting}/participants", ppl.chair,
                              {"user_ids": [ppl.outsider.id]}), 422)
    assert str(ppl.outsider.id) in error["fields"]["user_ids"]
    assert count(app, Participant, Participant.user_id == ppl.outsider.id) == 0


@pytest.mark.parametrize("who", ["delegate", "observer"])
def test_members_do_not_invite(client, ppl, meeting, who):
    assert_error(call(client, "POST", f"/meetings/{meeting}/participants", getattr(ppl, who),
                      {"user_ids": [ppl.staff.id]}), 403)


@pytest.mark.parametrize("answer", ["in_person", "online", "not_attending"])
def test_a_participant_replies_to_the_invitation(app, client, ppl, meeting, answer):
    data = ok(call(client, "PUT", f"/meetings/{meeting}/rsvp", ppl.delegate, {"rsvp": answer}))
    assert data["user_id"] == ppl.delegate.id and data["rsvp"] == answer
    assert ok(call(client, "GET", f"/meetings/{meeting}", ppl.delegate))["my_rsvp"] == answer
    assert "meeting.rsvp" in actions(app)


@pytest.mark.parametrize("payload", [{"rsvp": "invited"}, {"rsvp": "maybe"}, {"rsvp": 1}, {}, {"rsvp": None}])
def test_a_reply_must_be_one_of_the_three_answers(app, client, ppl, meeting, payload):
    assert_error(call(client, "PUT", f"/meetings/{meeting}/rsvp", ppl.delegate, payload), 422)
    assert count(app, Participant, Participant.rsvp != "invited") == 0


def test_someone_not_invited_may_not_reply(app, client, ppl, meeting):
    error = assert_error(call(client, "PUT", f"/meetings/{meeting}/rsvp", ppl.staff, {"rsvp": "online"}), 403)
    assert error["message"] == "You are not among this meeting's participants."
    assert count(app, Participant, Participant.user_id == ppl.staff.id) == 0


def test_an_invited_observer_replies_as_on_the_meeting_page(client, ppl, meeting):
    data = ok(call(client, "PUT", f"/meetings/{meeting}/rsvp", ppl.observer, {"rsvp": "online"}))
    assert data["user_id"] == ppl.observer.id and data["rsvp"] == "online"


def test_the_chair_records_attendance(app, client, ppl, meeting):
    items = ok(call(client, "PUT", f"/meetings/{meeting}/attendance", ppl.chair,
                    {"present": [ppl.delegate.id, ppl.chair.id]}))["items"]
    attended = {p["user_id"]: p["attended"] for p in items}
    assert attended[ppl.delegate.id] is True and attended[ppl.chair.id] is True
    assert attended[ppl.thai.id] is False and attended[ppl.observer.id] is False


def test_attendance_names_only_participants(app, client, ppl, meeting):
    error = assert_error(call(client, "PUT", f"/meetings/{meeting}/attendance", ppl.chair,
                              {"present": [ppl.delegate.id, ppl.outsider.id]}), 422)
    assert error["fields"]["present"] == f"Not participants of this meeting: {ppl.outsider.id}."
    assert count(app, Participant, Participant.attended.is_not(None)) == 0
    assert_error(call(client, "PUT", f"/meetings/{meeting}/attendance", ppl.delegate, {"present": []}), 403)


# --- decisions ----------------------------------------------------------------------------------------------

def test_the_chair_records_decisions_linked_to_agenda_items(app, client, ppl, meeting):
    item = add_item(client, ppl.chair, meeting)
    made = ok(call(client, "POST", f"/meetings/{meeting}/decisions", ppl.chair,
                   {"text": "The meeting adopted the work plan.", "agenda_item_id": item}), 201)
    ok(call(client, "POST", f"/meetings/{meeting}/decisions", ppl.staff, {"text": "Next meeting in Hanoi."}), 201)
    items = ok(call(client, "GET", f"/meetings/{meeting}/decisions", ppl.observer))["items"]
    assert [(d["text"], d["agenda_item_id"]) for d in items] == [("The meeting adopted the work plan.", item),
                                                                  ("Next meeting in Hanoi.", None)]
    assert made["meeting_id"] == meeting


@pytest.mark.parametrize("payload, status", [
    ({}, 422), ({"text": " "}, 422), ({"text": "x" * 5001}, 422), ({"text": ["x"]}, 422),
    ({"text": "x", "agenda_item_id": "1"}, 422), ({"text": "x", "agenda_item_id": 999_999}, 404),
])
def test_a_decision_needs_text_and_an_item_of_this_meeting(app, client, ppl, meeting, payload, status):
    assert_error(call(client, "POST", f"/meetings/{meeting}/decisions", ppl.chair, payload), status)
    assert count(app, Decision) == 0


@pytest.mark.parametrize("who, status", [("delegate", 403), ("observer", 403), ("outsider", 404)])
def test_only_managers_record_decisions(app, client, ppl, meeting, who, status):
    assert_error(call(client, "POST", f"/meetings/{meeting}/decisions", getattr(ppl, who), {"text": "x"}), status)
    assert count(app, Decision) == 0


def test_the_chair_corrects_and_removes_decisions_until_the_minutes_are_adopted(app, client, ppl, meeting):
    item = add_item(client, ppl.chair, meeting)
    made = ok(call(client, "POST", f"/meetings/{meeting}/decisions", ppl.chair, {"text": "Adopted the wrok plan."}),
              201)
    extra = ok(call(client, "POST", f"/meetings/{meeting}/decisions", ppl.chair, {"text": "By mistake."}), 201)
    url = f"/meetings/{meeting}/decisions/{made['id']}"
    fixed = ok(call(client, "PATCH", url, ppl.chair, {"text": "Adopted the work plan.", "agenda_item_id": item}))
    assert (fixed["text"], fixed["agenda_item_id"]) == ("Adopted the work plan.", item)
    assert ok(call(client, "PATCH", url, ppl.chair, {"agenda_item_id": None}))["text"] == "Adopted the work plan."
    for payload, status in (({"text": " "}, 422), ({"text": "x" * 5001}, 422), ({"colour": "red"}, 422),
                            ({"agenda_item_id": 999_999}, 404)):
        assert_error(call(client, "PATCH", url, ppl.chair, payload), status)
    assert_error(call(client, "PATCH", url, ppl.delegate, {"text": "Mine"}), 403)
    assert_error(call(client, "DELETE", url, ppl.observer), 403)
    assert_error(call(client, "PATCH", f"/meetings/{meeting}/decisions/999999", ppl.chair, {"text": "x"}), 404)
    assert call(client, "DELETE", f"/meetings/{meeting}/decisions/{extra['id']}", ppl.chair).status_code == 204
    assert [d["id"] for d in ok(call(client, "GET", f"/meetings/{meeting}/decisions", ppl.chair))["items"]] == [
        made["id"]]
    with app.app_context():
        db.session.add(Minutes(meeting_id=meeting, body_md="Adopted.", status="adopted", adopted_at=utcnow()))
        db.session.commit()
    assert_error(call(client, "PATCH", url, ppl.chair, {"text": "Too late"}), 409)
    assert_error(call(client, "DELETE", url, ppl.chair), 409)
    assert_error(call(client, "POST", f"/meetings/{meeting}/decisions", ppl.chair, {"text": "Too late"}), 409)
    with app.app_context():
        assert [d.text for d in db.session.execute(select(Decision)).scalars()] == ["Adopted the work plan."]
    assert actions(app).count("meeting.decision_updated") == 2 and "meeting.decision_removed" in actions(app)


# --- action items -------------------------------------------------------------------------------------------

def assign(client, who: Person, meeting_id: int, **fields) -> dict:
    return ok(call(client, "POST", f"/meetings/{meeting_id}/action-items", who,
                   {"title": "Send the statistics", **fields}), 201)


def test_the_chair_assigns_action_items_to_a_person_or_a_member_state(app, client, ppl, meeting):
    one = assign(client, ppl.chair, meeting, owner_user_id=ppl.thai.id, due_on="2025-01-31", action_line="ti1.1")
    assert one["owner_user"] == {"id": ppl.thai.id, "name": one["owner_user"]["name"], "org": "THA"}
    assert (one["body"], one["meeting_id"], one["status"], one["action_line"]) == ("WGTIM", meeting, "open", "TI1.1")
    assert one["overdue"] is True
    two = assign(client, ppl.chair, meeting, owner_org="mys")
    assert two["owner_org"] == "MYS" and two["owner_user"] is None and two["overdue"] is False
    assert "action_item.assigned" in actions(app)


@pytest.mark.parametrize("payload, field", [
    ({"owner_org": "MYS", "title": ""}, "title"), ({"title": "x"}, "owner"),
    ({"owner_org": "JPN"}, "owner_org"), ({"owner_org": "XYZ"}, "owner_org"),
    ({"owner_user_id": 999_999}, "owner_user_id"), ({"owner_user_id": "5"}, "owner_user_id"),
    ({"owner_org": "MYS", "due_on": "31/01/2026"}, "due_on"), ({"owner_org": "MYS", "action_line": "T1"},
                                                                "action_line"),
    ({"owner_org": "MYS", "priority": "high"}, "priority"),
])
def test_invalid_action_items_are_refused(app, client, ppl, meeting, payload, field):
    error = assert_error(call(client, "POST", f"/meetings/{meeting}/action-items", ppl.chair,
                              {"title": "Send", **payload}), 422)
    assert field in error["fields"], error
    assert count(app, ActionItem) == 0


def test_an_action_owner_must_be_able_to_see_the_workspace(app, client, ppl, meeting):
    assert_error(call(client, "POST", f"/meetings/{meeting}/action-items", ppl.chair,
                      {"title": "Send", "owner_user_id": ppl.outsider.id}), 422)


@pytest.mark.parametrize("who, status", [("delegate", 403), ("observer", 403), ("outsider", 404)])
def test_only_managers_assign_action_items(app, client, ppl, meeting, who, status):
    assert_error(call(client, "POST", f"/meetings/{meeting}/action-items", getattr(ppl, who),
                      {"title": "x", "owner_org": "MYS"}), status)
    assert count(app, ActionItem) == 0


def test_the_action_item_list_filters_and_shows_only_visible_bodies(app, client, ppl, meeting):
    late = assign(client, ppl.chair, meeting, owner_user_id=ppl.delegate.id, due_on="2025-01-31")["id"]
    thai = assign(client, ppl.chair, meeting, owner_org="THA", due_on=SOON)["id"]
    done = assign(client, ppl.chair, meeting, owner_org="MYS")["id"]
    ok(call(client, "PATCH", f"/action-items/{done}", ppl.chair, {"status": "done"}))
    wgsmd = ok(call(client, "POST", "/workspaces/WGSMD/meetings", ppl.staff, {"starts_on": SOON}), 201)["id"]
    hidden = assign(client, ppl.staff, wgsmd, owner_org="MYS")["id"]

    def ids(who, query=""):
        return [a["id"] for a in ok(call(client, "GET", f"/action-items{query}", who))["items"]]

    assert ids(ppl.delegate) == [late, thai, done]
    assert ids(ppl.staff) == [late, thai, done, hidden] and ids(ppl.outsider) == [hidden]
    assert ids(ppl.delegate, "?org=MYS") == [late, done] and ids(ppl.delegate, "?org=tha") == [thai]
    assert ids(ppl.delegate, "?status=open") == [late, thai] and ids(ppl.delegate, "?status=done,cancelled") == [done]
    assert ids(ppl.delegate, "?overdue=true") == [late] and ids(ppl.delegate, "?overdue=false") == [thai, done]
    assert ids(ppl.staff, "?body=WGSMD") == [hidden] and ids(ppl.delegate, "?body=WGSMD") == []
    page = ok(call(client, "GET", "/action-items?per_page=2&page=2", ppl.delegate))
    assert (page["total"], page["pages"], [a["id"] for a in page["items"]]) == (3, 2, [done])
    for query in ("body=NOPE", "org=ZZZ", "status=closed", "overdue=yes", "page=-1", "per_page=0"):
        assert_error(call(client, "GET", f"/action-items?{query}", ppl.delegate), 400)


def test_the_owner_and_the_member_states_focal_person_update_an_action_item(app, client, ppl, meeting):
    mine = assign(client, ppl.chair, meeting, owner_user_id=ppl.delegate.id)["id"]
    ours = assign(client, ppl.chair, meeting, owner_org="MYS")["id"]
    data = ok(call(client, "PATCH", f"/action-items/{mine}", ppl.delegate, {"status": "in_progress"}))
    assert data["status"] == "in_progress" and data["closed_at"] is None
    data = ok(call(client, "PATCH", f"/action-items/{ours}", ppl.focal, {"status": "done"}))
    assert data["status"] == "done" and data["closed_at"].endswith("Z")
    assert "action_item.status" in actions(app)


@pytest.mark.parametrize("who, status", [("thai", 403), ("observer", 403), ("outsider", 404), ("delegate", 403)])
def test_others_may_not_update_an_action_item(app, client, ppl, meeting, who, status):
    item = assign(client, ppl.chair, meeting, owner_user_id=ppl.focal.id)["id"]
    assert_error(call(client, "PATCH", f"/action-items/{item}", getattr(ppl, who), {"status": "done"}), status)
    with app.app_context():
        assert db.session.get(ActionItem, item).status == "open"


@pytest.mark.parametrize("payload", [{"status": "finished"}, {"status": None}, {}, {"status": "done", "x": 1}])
def test_an_action_status_must_be_known(app, client, ppl, meeting, payload):
    item = assign(client, ppl.chair, meeting, owner_org="MYS")["id"]
    assert_error(call(client, "PATCH", f"/action-items/{item}", ppl.chair, payload), 422)
    with app.app_context():
        assert db.session.get(ActionItem, item).status == "open"


def test_an_unknown_action_item_is_not_found(client, ppl):
    assert_error(call(client, "PATCH", "/action-items/999999", ppl.admin, {"status": "done"}), 404)


# --- minutes ----------------------------------------------------------------------------------------------

def test_minutes_start_empty_and_reading_them_creates_nothing(app, client, ppl, meeting):
    data = ok(call(client, "GET", f"/meetings/{meeting}/minutes", ppl.observer))
    assert data == {"meeting_id": meeting, "status": "draft", "version": 1, "body_md": "", "body_html": "",
                    "updated_at": None, "updated_by": None, "adopted_at": None}
    assert count(app, Minutes) == 0


def test_the_chair_saves_the_minutes_with_the_version_read(app, client, ppl, meeting):
    text = "# Minutes\n\n  - indented item\n"
    saved = ok(call(client, "PUT", f"/meetings/{meeting}/minutes", ppl.chair, {"body_md": text, "version": 1}))
    assert saved["body_md"] == text and saved["version"] == 2 and saved["updated_by"]["id"] == ppl.chair.id
    again = ok(call(client, "PUT", f"/meetings/{meeting}/minutes", ppl.staff, {"body_md": "v3", "version": 2}))
    assert again["version"] == 3
    assert ok(call(client, "GET", f"/meetings/{meeting}/minutes", ppl.chair))["body_md"] == "v3"
    # A draft stays with the managers until it is circulated, as on the minutes page.
    withheld = ok(call(client, "GET", f"/meetings/{meeting}/minutes", ppl.delegate))
    assert withheld["status"] == "draft" and withheld["body_md"] is None and withheld["body_html"] is None


def test_minutes_come_as_markdown_and_as_sanitised_html(client, ppl, meeting):
    text = "## Opening\n\n**Agreed** <script>alert(1)</script> [link](javascript:alert(1))\n"
    ok(call(client, "PUT", f"/meetings/{meeting}/minutes", ppl.chair, {"body_md": text, "version": 1}))
    data = ok(call(client, "GET", f"/meetings/{meeting}/minutes", ppl.chair))
    assert data["body_md"] == text
    assert "<h2>Opening</h2>" in data["body_html"] and "<strong>Agreed</strong>" in data["body_html"]
    assert "<script" not in data["body_html"] and "&lt;script&gt;" in data["body_html"]
    assert "href" not in data["body_html"]  # the javascript: link stays text


def test_a_save_over_someone_elses_newer_minutes_is_a_409_with_the_current_text(app, client, ppl, meeting):
    ok(call(client, "PUT", f"/meetings/{meeting}/minutes", ppl.chair, {"body_md": "Chair's text", "version": 1}))
    r = call(client, "PUT", f"/meetings/{meeting}/minutes", ppl.staff, {"body_md": "Staff's text", "version": 1})
    assert r.status_code == 409 and r.mimetype == "application/json"
    error = r.get_json()["error"]
    assert error["code"] == "conflict" and "changed these minutes" in error["message"]
    assert error["current"]["body_md"] == "Chair's text" and error["current"]["version"] == 2
    assert error["current"]["updated_by"]["id"] == ppl.chair.id
    assert ok(call(client, "GET", f"/meetings/{meeting}/minutes", ppl.chair))["body_md"] == "Chair's text"


def test_a_first_save_with_a_made_up_version_is_a_conflict_and_stores_nothing(app, client, ppl, meeting):
    r = call(client, "PUT", f"/meetings/{meeting}/minutes", ppl.chair, {"body_md": "x", "version": 5})
    assert r.status_code == 409 and r.get_json()["error"]["current"]["version"] == 1
    assert count(app, Minutes) == 0


def test_adopted_minutes_are_locked(app, client, ppl, meeting):
    ok(call(client, "PUT", f"/meetings/{meeting}/minutes", ppl.chair, {"body_md": "Final text", "version": 1}))
    with app.app_context():
        actor, m = db.session.get(User, ppl.chair.id), db.session.get(Meeting, meeting)
        services.circulate_minutes(actor, m)
        services.adopt_minutes(actor, m)
        db.session.commit()
    current = ok(call(client, "GET", f"/meetings/{meeting}/minutes", ppl.chair))
    assert current["status"] == "adopted" and current["adopted_at"].endswith("Z")
    error = assert_error(call(client, "PUT", f"/meetings/{meeting}/minutes", ppl.chair,
                              {"body_md": "Rewritten", "version": current["version"]}), 409, "conflict")
    assert error["message"] == "Adopted minutes are locked."
    assert ok(call(client, "GET", f"/meetings/{meeting}/minutes", ppl.chair))["body_md"] == "Final text"


@pytest.mark.parametrize("payload, field", [
    ({"body_md": "x"}, "version"), ({"version": 1}, "body_md"), ({"body_md": 5, "version": 1}, "body_md"),
    ({"body_md": "x", "version": "1"}, "version"), ({"body_md": "x", "version": True}, "version"),
    ({"body_md": "a\x00b", "version": 1}, "body_md"), ({"body_md": "x" * 500_001, "version": 1}, "body_md"),
])
def test_minutes_input_is_checked(app, client, ppl, meeting, payload, field):
    r = call(client, "PUT", f"/meetings/{meeting}/minutes", ppl.chair, payload)
    if r.status_code == 413:  # larger than the API's JSON limit: refused before it is read
        assert_error(r, 413)
    else:
        assert field in assert_error(r, 422)["fields"]
    assert count(app, Minutes) == 0


@pytest.mark.parametrize("who, status", [("delegate", 403), ("focal", 403), ("observer", 403), ("outsider", 404)])
def test_only_managers_write_the_minutes(app, client, ppl, meeting, who, status):
    assert_error(call(client, "PUT", f"/meetings/{meeting}/minutes", getattr(ppl, who),
                      {"body_md": "Mine", "version": 1}), status)
    assert count(app, Minutes) == 0


# --- never a 500 --------------------------------------------------------------------------------------------

JUNK = [[], "text", 5, None, {"title": {"nested": True}}, {"starts_on": ["2026-01-01"]}, {"order": {"a": 1}},
        {"present": [None]}, {"user_ids": [[1]]}, {"document_id": 10**30}, {"rsvp": {"x": 1}}, {"text": 1.5},
        {"status": 0}, {"body_md": None, "version": None}, {"\u0000": 1}, {"owner_org": ["MYS"]}]


@pytest.mark.parametrize("junk", JUNK, ids=range(len(JUNK)))
def test_junk_bodies_are_refused_cleanly_on_every_write(app, client, ppl, meeting, junk):
    item = add_item(client, ppl.chair, meeting)
    action = assign(client, ppl.chair, meeting, owner_org="MYS")["id"]
    targets = [("POST", "/workspaces/WGTIM/meetings"), ("PATCH", f"/meetings/{meeting}"),
               ("POST", f"/meetings/{meeting}/agenda"), ("PUT", f"/meetings/{meeting}/agenda/order"),
               ("POST", f"/meetings/{meeting}/agenda/{item}/papers"),
               ("DELETE", f"/meetings/{meeting}/agenda/{item}/papers"),
               ("POST", f"/meetings/{meeting}/participants"), ("PUT", f"/meetings/{meeting}/rsvp"),
               ("PUT", f"/meetings/{meeting}/attendance"), ("POST", f"/meetings/{meeting}/decisions"),
               ("POST", f"/meetings/{meeting}/action-items"), ("PATCH", f"/action-items/{action}"),
               ("PUT", f"/meetings/{meeting}/minutes")]
    before = actions(app)
    for method, url in targets:
        r = client.open(API + url, method=method, data=json.dumps(junk), content_type="application/json",
                        headers=ppl.chair.headers)
        assert r.status_code in (400, 422), (method, url, r.status_code, r.get_data(as_text=True))
    assert actions(app) == before


# --- queries do not grow with the data ------------------------------------------------------------------------

@contextmanager
def counting(app):
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def _grow(app, client, ppl, person, n: int) -> int:
    """Add `n` meetings, each with items, papers, participants, decisions and action items; returns the last."""
    meeting_id = 0
    for k in range(n):
        extra = person("delegate", "IDN", {"WGTIM": "member"})
        meeting_id = schedule(client, ppl.chair, host=("MYS", "THA", "IDN", "VNM", "LAO")[k], chair=extra.id)
        for t in range(2):
            item = add_item(client, ppl.chair, meeting_id, f"Item {t}")
            doc = make_doc(app, extra, f"Paper {k}.{t}", level="named", orgs=("IDN", "MYS"))
            ok(call(client, "POST", f"/meetings/{meeting_id}/agenda/{item}/papers", extra, {"document_id": doc}),
               201)
            ok(call(client, "POST", f"/meetings/{meeting_id}/decisions", ppl.chair, {"text": f"Decision {t}",
                                                                                    "agenda_item_id": item}), 201)
        assign(client, ppl.chair, meeting_id, owner_user_id=extra.id, due_on=SOON)
        assign(client, ppl.chair, meeting_id, owner_org="IDN")
    return meeting_id


LIST_URLS = ["/workspaces", "/workspaces/WGTIM", "/workspaces/WGTIM/meetings", "/meetings/{m}",
             "/meetings/{m}/participants", "/meetings/{m}/decisions", "/action-items", "/action-items?org=IDN",
             "/meetings/{m}/minutes"]


@pytest.mark.parametrize("who", ["staff", "delegate"])
def test_list_endpoints_make_the_same_number_of_queries_as_the_data_grows(app, client, ppl, person, who):
    def queries(meeting_id: int) -> dict[str, int]:
        ok(call(client, "GET", "/workspaces", getattr(ppl, who)))  # the token's first use is recorded once
        found = {}
        for url in LIST_URLS:
            with counting(app) as statements:
                ok(call(client, "GET", url.format(m=meeting_id), getattr(ppl, who)))
            found[url] = len(statements)
        return found

    small = queries(_grow(app, client, ppl, person, 1))
    large_meeting = _grow(app, client, ppl, person, 4)
    large = queries(large_meeting)
    assert large == small
    data = ok(call(client, "GET", f"/meetings/{large_meeting}", getattr(ppl, who)))
    assert len(data["participants"]) == 10 and all(len(i["papers"]) == 1 for i in data["agenda"])
    assert ok(call(client, "GET", "/action-items", getattr(ppl, who)))["total"] == 10


# --- the OpenAPI document describes what these endpoints answer ----------------------------------------------

def _properties(doc: dict, schema: dict) -> set[str]:
    if "$ref" in schema:
        return _properties(doc, doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names |= _properties(doc, part)
    return names


def test_real_answers_use_only_documented_fields(app, client, ppl, meeting):
    doc = ok(client.get(f"{API}/openapi.json"))
    item = add_item(client, ppl.chair, meeting)
    action = assign(client, ppl.chair, meeting, owner_org="MYS")

    def documented(path, method="get", status="200"):
        return doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]

    checks = [("/workspaces/WGTIM", "/workspaces/{code}"), (f"/meetings/{meeting}", "/meetings/{meeting_id}"),
              (f"/meetings/{meeting}/minutes", "/meetings/{meeting_id}/minutes")]
    for url, path in checks:
        data = ok(call(client, "GET", url, ppl.chair))
        assert set(data) <= _properties(doc, documented(path)), (url, set(data) - _properties(doc, documented(path)))
    meeting_data = ok(call(client, "GET", f"/meetings/{meeting}", ppl.chair))
    assert set(meeting_data["agenda"][0]) <= _properties(doc, doc["components"]["schemas"]["AgendaItem"])
    assert meeting_data["agenda"][0]["id"] == item
    assert set(meeting_data["participants"][0]) <= _properties(doc, doc["components"]["schemas"]["Participant"])
    assert set(action) <= _properties(doc, doc["components"]["schemas"]["ActionItem"])
    workspace = ok(call(client, "GET", "/workspaces", ppl.chair))["items"][0]
    assert set(workspace) <= _properties(doc, doc["components"]["schemas"]["Workspace"])
