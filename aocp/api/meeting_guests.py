"""API endpoints for a meeting's readiness, its guests and resource persons, the papers shared with them and the
papers pack; and for the person's calendar link and restoring a document version. The same services and policy
as the pages (`meetings.readiness`, `meetings.guests`, `meetings.papers_pack`, `meetings.calendar`,
`documents.services.restore_version`)."""
from __future__ import annotations

from flask import g

from aocp.accounts.models import User
from aocp.accounts.services import external_url
from aocp.api import bp
from aocp.api.auth import api_guard
from aocp.api.document_input import answers_document_errors
from aocp.api.document_json import version_json
from aocp.api.meeting_fields import handled
from aocp.documents import services as documents
from aocp.documents.access import visible_clause
from aocp.documents.loading import load_document, load_version
from aocp.extensions import db
from aocp.http import Fields, json_body
from aocp.meetings import calendar, guests, papers_pack, readiness
from aocp.meetings.loading import load_attended, load_meeting
from aocp.meetings.models import GUEST_ROLES
from aocp.meetings.services import MeetingError


def _time(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def readiness_json(table: readiness.Readiness) -> dict:
    return {"meeting_id": table.meeting.id, "expected": table.expected, "submitted": table.submitted,
            "percent": table.percent, "papers_due": table.meeting.paper_deadline.isoformat()
            if table.meeting.paper_deadline else None,
            "items": [{"org": r.code, "name": r.name, "state": r.state, "people_in_aocp": r.people,
                       "members_of_body": r.in_body, "in_person": r.in_person, "online": r.online,
                       "not_attending": r.not_attending, "submitted_at": _time(r.submitted_at),
                       "on_agenda": r.attached, "last_change": _time(r.changed_at),
                       "reports": [{"id": d.id, "title": d.title} for d in r.docs]} for r in table.rows]}


@bp.get("/meetings/<int:meeting_id>/readiness")
@api_guard("workspaces.view")
@handled
def get_readiness(meeting_id: int):
    meeting = load_meeting(meeting_id)
    return readiness_json(readiness.delegations(meeting, visible_clause(g.api_user)))


def guest_json(row) -> dict:
    return {"user_id": row.user_id, "name": row.name, "org": row.org_code, "role": row.role, "rsvp": row.rsvp}


@bp.get("/meetings/<int:meeting_id>/guests")
@api_guard("meetings.manage")
@handled
def list_guests(meeting_id: int):
    return {"items": [guest_json(r) for r in guests.guests(load_meeting(meeting_id, "meetings.manage"))]}


@bp.post("/meetings/<int:meeting_id>/guests")
@api_guard("meetings.manage")
@handled
def invite_guest(meeting_id: int):
    """Invite one person from outside the body to this meeting, as guest, resource person or secretariat."""
    meeting = load_meeting(meeting_id, "meetings.manage")
    f = Fields(json_body(), {"user_id", "role"}, required=("user_id", "role"))
    user_id = f.whole("user_id", 1, 2**31 - 1)
    role = f.data.get("role")
    if role not in GUEST_ROLES:
        f.fail("role", f"One of: {', '.join(GUEST_ROLES)}.")
    f.check()
    person = db.session.get(User, user_id)
    if person is None:
        raise MeetingError("No person with this id.", "user_id")
    guests.invite_guest(g.api_user, meeting, person, role)
    db.session.commit()
    row = next(r for r in guests.guests(meeting) if r.user_id == person.id)
    return guest_json(row), 201


@bp.delete("/meetings/<int:meeting_id>/guests/<int:user_id>")
@api_guard("meetings.manage")
@handled
def remove_guest(meeting_id: int, user_id: int):
    guests.remove_guest(g.api_user, load_meeting(meeting_id, "meetings.manage"), user_id)
    db.session.commit()
    return "", 204


@bp.put("/meetings/<int:meeting_id>/papers/<int:doc_id>/guests")
@api_guard("meetings.manage")
@handled
def share_paper(meeting_id: int, doc_id: int):
    """Share an agenda paper with the meeting's guests ({"shared": true}) or stop ({"shared": false})."""
    meeting = load_meeting(meeting_id, "meetings.manage")
    f = Fields(json_body(), {"shared"}, required=("shared",))
    if not isinstance(f.data.get("shared"), bool):
        f.fail("shared", "true or false.")
    f.check()
    guests.share_paper(g.api_user, meeting, doc_id, f.data["shared"])
    db.session.commit()
    return {"document_id": doc_id, "shared": f.data["shared"]}


@bp.get("/meetings/<int:meeting_id>/papers.zip")
@api_guard("meetings.attend")
@handled
def papers_pack_zip(meeting_id: int):
    return papers_pack.response(g.api_user, load_attended(meeting_id), "api")


# --- the calendar link ------------------------------------------------------------------------------

@bp.get("/calendar/link")
@api_guard("workspaces.view")
def get_calendar_link():
    feed = calendar.feed_of(g.api_user)
    return {"active": feed is not None, "created_at": _time(feed.created_at) if feed else None}


@bp.post("/calendar/link")
@api_guard("workspaces.view")
def make_calendar_link():
    """Create the private feed link, or reset it (the old URL stops working). The URL is given this once."""
    feed, token, replaced = calendar.make_link(g.api_user)
    db.session.commit()
    return {"active": True, "created_at": _time(feed.created_at), "replaced": replaced,
            "url": external_url("meetings.calendar_feed", token=token)}, 201


@bp.delete("/calendar/link")
@api_guard("workspaces.view")
def delete_calendar_link():
    """Turn the link off; deleting when there is none changes nothing (204 all the same)."""
    calendar.delete_link(g.api_user)
    db.session.commit()
    return "", 204


# --- restoring a document version ---------------------------------------------------------------------

@bp.post("/documents/<int:doc_id>/versions/<int:number>/restore")
@api_guard("documents.edit")
@answers_document_errors()
def restore_version(doc_id: int, number: int):
    """Make a copy of an older version the newest one (nothing is overwritten)."""
    doc = load_document(doc_id, "documents.edit")
    old = load_version(doc, number)
    with documents.committing():
        version = documents.restore_version(g.api_user, doc, old)
    data = version_json(doc.id, version, full=True)
    return data, 201, {"Location": data["download_url"]}
