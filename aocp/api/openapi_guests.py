"""The OpenAPI description of meeting_guests.py: readiness, guests, papers shared with guests, the papers pack,
the calendar link and restoring a document version."""
from __future__ import annotations

from aocp.api.openapi import PATHS, SCHEMAS, STR, _errors, _ok, _op, _p, _ref
from aocp.api.openapi_meetings import _HIDDEN, INT, NULL_STR, TIME, _read, _write
from aocp.meetings.models import GUEST_ROLES, RSVP
from aocp.meetings.readiness import STATES

NULL_TIME = {**TIME, "nullable": True}
_MEETING_ID = _p("meeting_id", INT)
_ROLE = {"type": "string", "enum": list(GUEST_ROLES)}

SCHEMAS.update({
    "Delegation": {"type": "object", "properties": {
        "org": STR, "name": STR, "state": {"type": "string", "enum": list(STATES)},
        "people_in_aocp": INT, "members_of_body": INT, "in_person": INT, "online": INT, "not_attending": INT,
        "submitted_at": NULL_TIME, "on_agenda": {"type": "boolean"}, "last_change": NULL_TIME,
        "reports": {"type": "array", "description": "Country reports filed for the meeting the caller may open",
                    "items": {"type": "object", "properties": {"id": INT, "title": STR}}}}},
    "Readiness": {"type": "object", "properties": {
        "meeting_id": INT, "expected": INT, "submitted": INT, "percent": {"type": "integer", "nullable": True},
        "papers_due": NULL_STR, "items": {"type": "array", "items": _ref("Delegation")}},
        "description": "Every Member State (and China, Japan and the Republic of Korea for ASOMM+3); a country "
                       "report counts only when filed for this meeting"},
    "Guest": {"type": "object", "properties": {"user_id": INT, "name": STR, "org": STR, "role": _ROLE,
                                               "rsvp": {"type": "string", "enum": list(RSVP)}}},
    "GuestInvite": {"type": "object", "required": ["user_id", "role"], "additionalProperties": False,
                    "properties": {"user_id": INT, "role": _ROLE}},
    "GuestShare": {"type": "object", "required": ["shared"], "additionalProperties": False,
                   "properties": {"shared": {"type": "boolean"}}},
    "CalendarLink": {"type": "object", "properties": {
        "active": {"type": "boolean"}, "created_at": NULL_TIME, "replaced": {"type": "boolean"},
        "url": {"type": "string", "description": "The private feed URL; given only when created or reset"}}},
})

_ZIP = {"200": {"description": "A ZIP, streamed: `index.csv`, then `01-Agenda-item-title/original-name.ext` for "
                               "each paper the caller may open, in agenda order (guests: those shared with guests "
                               "once the agenda is published)",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}}

PATHS.update({
    "/meetings/{meeting_id}/readiness": {"get": _read(
        "Readiness: each delegation expected, its replies, country report and last change", "workspaces.view",
        _ref("Readiness"), [_MEETING_ID])},
    "/meetings/{meeting_id}/guests": {
        "get": _read("The meeting's guests, resource persons and secretariat officers", "meetings.manage",
                     {"type": "object", "properties": {"items": {"type": "array", "items": _ref("Guest")}}},
                     [_MEETING_ID], 403),
        "post": _write("Invite a person from outside the body to this meeting only (422 when they are a member "
                       "of the body, already invited or not active)", "meetings.manage",
                       _ok(_ref("Guest"), "201", "Created"), [_MEETING_ID], "GuestInvite", 400, 422),
    },
    "/meetings/{meeting_id}/guests/{user_id}": {"delete": _write(
        "Remove a guest from the meeting", "meetings.manage", {"204": {"description": "Removed"}},
        [_MEETING_ID, _p("user_id", INT)], None, 422)},
    "/meetings/{meeting_id}/papers/{doc_id}/guests": {"put": _write(
        "Share an agenda paper with the meeting's guests, or stop", "meetings.manage",
        _ok({"type": "object", "properties": {"document_id": INT, "shared": {"type": "boolean"}}}),
        [_MEETING_ID, _p("doc_id", INT)], "GuestShare", 400, 422)},
    "/meetings/{meeting_id}/papers.zip": {"get": {
        **_op("Download all papers of the meeting the caller may open, as one ZIP", "meetings.attend",
              {**_ZIP, **_errors(404)}, params=[_MEETING_ID])}},
    "/calendar/link": {
        "get": _op("Whether the caller has a private calendar feed link", "workspaces.view",
                   _ok(_ref("CalendarLink"))),
        "post": _op("Create the private calendar feed link, or reset it (the old URL stops working)",
                    "workspaces.view", _ok(_ref("CalendarLink"), "201", "Created"), write=True),
        "delete": _op("Turn the calendar feed link off (204 also when there was none)", "workspaces.view",
                      {"204": {"description": "Turned off"}}, write=True),
    },
    "/documents/{doc_id}/versions/{number}/restore": {"post": _op(
        "Restore an older version: a copy of it becomes the newest version (audited)", "documents.edit",
        {**_ok(_ref("DocumentVersion"), "201", "Created"), **_errors(403, 404, 422)},
        params=[_p("doc_id", INT), _p("number", INT)], write=True)},
})
PATHS["/meetings/{meeting_id}/papers.zip"]["get"]["description"] += " " + _HIDDEN
