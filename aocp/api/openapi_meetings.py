"""The OpenAPI description of the workspace and meeting endpoints (meetings.py, meeting_records.py)."""
from __future__ import annotations

from aocp.api.openapi import PAGING, PATHS, ROLE, SCHEMAS, STR, _errors, _ok, _op, _p, _page_of, _q, _ref
from aocp.meetings.models import ACTION_STATUSES, MEETING_STATUSES, MINUTES_STATUSES, RSVP

INT = {"type": "integer"}
NULL_INT = {"type": "integer", "nullable": True}
NULL_STR = {"type": "string", "nullable": True}
DAY = {"type": "string", "format": "date"}
NULL_DAY = {**DAY, "nullable": True}
TIME = {"type": "string", "format": "date-time"}
NULL_TIME = {**TIME, "nullable": True}
_MEETING_STATUS = {"type": "string", "enum": list(MEETING_STATUSES)}
_ACTION_STATUS = {"type": "string", "enum": list(ACTION_STATUSES)}
_BODY_ROLE = {"type": "string", "enum": ["chair", "vice_chair", "member", "observer"], "nullable": True}
_PERSON = {"allOf": [_ref("MeetingPerson")], "nullable": True}

_KIND = {"type": "string", "enum": ["item", "break", "session"]}
_ITEM_FIELDS = {
    "title": {"type": "string", "maxLength": 300}, "presenter": {"type": "string", "maxLength": 200},
    "duration_minutes": {"type": "integer", "minimum": 1, "maximum": 600, "default": 15,
                         "description": "Ignored for a session heading"},
    "notes": {"type": "string", "maxLength": 10000}, "kind": {**_KIND, "default": "item"},
    "day": {"type": "integer", "minimum": 1, "maximum": 5, "description": "Default: the last day with items"},
    "fixed_start": {**NULL_STR, "description": "HH:MM local time; null or absent: follows the item before "
                                               "(422 when it overlaps it)"},
}
_CODE = _p("code", STR)
_MEETING_ID = _p("meeting_id", INT)
_ITEM_ID = _p("item_id", INT)
_HIDDEN = ("404 when it does not exist or the caller may not see its workspace (body members and ASEC see "
           "a workspace; the refusal is audited); 403 when they may see it but not do this.")


def _list_of(name: str) -> dict:
    return {"type": "object", "required": ["items"], "properties": {"items": {"type": "array",
                                                                              "items": _ref(name)}}}


def _json(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _write(summary: str, rule: str, responses: dict, params: list, body: str | None, *codes: int) -> dict:
    op = _op(summary, rule, {**responses, **_errors(404, *codes)}, params=params, write=True)
    if body:
        op["requestBody"] = _json(body)
    op["description"] += " " + _HIDDEN
    return op


def _read(summary: str, rule: str, schema: dict, params: list, *codes: int) -> dict:
    op = _op(summary, rule, {**_ok(schema), **_errors(404, *codes)}, params=params)
    op["description"] += " " + _HIDDEN
    return op


_MEETING_FIELDS = {
    "starts_on": DAY, "ends_on": {**DAY, "description": "Default: starts_on; a meeting lasts 1 to 5 days"},
    "start_time": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
                   "description": "Local time at the venue, HH:MM (default 09:00)"},
    "end_time": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
                 "description": "When each day ends, local time, after start_time (default 17:00, or two hours "
                                "after a later start)"},
    "timezone": {"type": "string", "description": "IANA time zone, e.g. Asia/Jakarta (the default)"},
    "host": {**NULL_STR, "description": "Host organisation code"}, "venue": {"type": "string", "maxLength": 300},
    "online_url": {"type": "string", "maxLength": 500, "description": "Starts with https://"},
    "chair": {**NULL_INT, "description": "User id of a member of the body (or ASEC staff)"},
    "status": _MEETING_STATUS,
    "group_with": {**NULL_INT, "description": "Id of another body's meeting it is held back-to-back with"},
    "paper_deadline": {**NULL_DAY, "description": "On or before starts_on"},
    "number": {**NULL_INT, "minimum": 1, "description": "Default: the body's next number; cannot be changed"},
}

SCHEMAS.update({
    "MeetingPerson": {"type": "object", "properties": {"id": INT, "name": STR, "org": STR}},
    "Meeting": {"type": "object", "properties": {
        "id": INT, "body": STR, "number": INT, "title": {"type": "string", "example": "21st WGTIM Meeting"},
        "starts_on": DAY, "ends_on": DAY, "start_time": STR, "end_time": STR, "timezone": STR, "host": NULL_STR, "venue": STR,
        "online_url": STR, "chair": _PERSON, "status": _MEETING_STATUS, "group_with": NULL_INT,
        "paper_deadline": NULL_DAY, "agenda_published_at": NULL_TIME,
        "agenda_changed_since_published": {"type": "boolean"}, "created_at": TIME, "url": STR}},
    "Workspace": {"type": "object", "properties": {
        "code": STR, "short_name": STR, "name": STR, "description": STR, "parent": NULL_STR,
        "my_role": {**_BODY_ROLE, "description": "The caller's role in the body (null for ASEC non-members)"},
        "can_manage": {"type": "boolean"}, "members_count": INT,
        "next_meeting": {"allOf": [_ref("Meeting")], "nullable": True}}},
    "WorkspaceMember": {"type": "object", "properties": {"user_id": INT, "name": STR, "org": STR, "role": ROLE,
                                                         "body_role": _BODY_ROLE}},
    "WorkspaceFull": {"allOf": [_ref("Workspace"), {"type": "object", "properties": {
        "members": {"type": "array", "items": _ref("WorkspaceMember")},
        "upcoming_meetings": {"type": "array", "items": _ref("Meeting"),
                              "description": "The next ten meetings not cancelled, current ones included"},
        "open_action_items": INT}}]},
    "Paper": {"type": "object", "description": "A document attached to an agenda item (only those the caller "
                                               "may open are listed)", "properties": {
        "id": INT, "title": STR, "type": STR, "org": STR, "access": STR, "url": STR}},
    "AgendaItem": {"type": "object", "properties": {
        "id": INT, "position": INT, "title": STR, "presenter": STR, "duration_minutes": INT, "notes": STR,
        "kind": _KIND, "day": INT, "fixed_start": NULL_STR,
        "number": {"type": "string", "description": "1, 1.1... (a session heading numbers the items under it; "
                                                    "empty for a break)"},
        "start": {"type": "string", "description": "HH:MM, local time at the venue"}, "end": STR,
        "starts_at": {**TIME, "description": "The start as a moment, with the venue's UTC offset"},
        "papers": {"type": "array", "items": _ref("Paper")}}},
    "Timetable": {"type": "object", "properties": {
        "meeting_id": INT, "timezone": STR, "start_time": STR, "end_time": STR, "total_minutes": INT,
        "published_at": NULL_TIME, "version": NULL_INT, "changed_since_published": {"type": "boolean"},
        "days": {"type": "array", "items": {"type": "object", "properties": {
            "day": INT, "date": DAY, "start": NULL_STR, "end": NULL_STR, "runs_over": {"type": "boolean"},
            "items": {"type": "array", "items": _ref("AgendaItem")}}}}}},
    "AgendaVersion": {"type": "object", "properties": {"number": INT, "published_at": TIME, "items": {
        "type": "array", "items": {"type": "object"}, "description": "The timetable as published"}}},
    "Participant": {"type": "object", "properties": {
        "user_id": INT, "name": STR, "org": STR, "rsvp": {"type": "string", "enum": list(RSVP)},
        "attended": {"type": "boolean", "nullable": True}, "invited_at": TIME}},
    "MeetingFull": {"allOf": [_ref("Meeting"), {"type": "object", "properties": {
        "agenda": {"type": "array", "items": _ref("AgendaItem")},
        "participants": {"type": "array", "items": _ref("Participant")},
        "my_rsvp": {"type": "string", "enum": list(RSVP), "nullable": True},
        "can_manage": {"type": "boolean"}, "can_contribute": {"type": "boolean"}}}]},
    "MeetingCreate": {"type": "object", "required": ["starts_on"], "additionalProperties": False,
                      "properties": _MEETING_FIELDS},
    "MeetingUpdate": {"type": "object", "additionalProperties": False, "properties": _MEETING_FIELDS,
                      "description": "Only the fields sent change; null clears host, chair, group_with and "
                                     "paper_deadline"},
    "AgendaItemCreate": {"type": "object", "required": ["title"], "additionalProperties": False,
                         "properties": _ITEM_FIELDS},
    "AgendaItemUpdate": {"type": "object", "additionalProperties": False, "properties": _ITEM_FIELDS,
                         "description": "Only the fields sent change; the item keeps its papers"},
    "AgendaOrder": {"type": "object", "required": ["order"], "additionalProperties": False, "properties": {
        "order": {"type": "array", "items": INT, "description": "Every agenda item id of the meeting, once"}}},
    "PaperRef": {"type": "object", "required": ["document_id"], "additionalProperties": False,
                 "properties": {"document_id": INT}},
    "Invite": {"type": "object", "additionalProperties": False, "description": "Either user_ids or org",
               "properties": {"user_ids": {"type": "array", "items": INT,
                                           "description": "Active members of the body, or ASEC staff"},
                              "org": {"type": "string", "description": "Invite that organisation's members "
                                                                        "of the body"}}},
    "Invited": {"type": "object", "properties": {"invited": {"type": "integer", "description": "Newly invited"},
                                                 "items": {"type": "array", "items": _ref("Participant")}}},
    "Rsvp": {"type": "object", "required": ["rsvp"], "additionalProperties": False, "properties": {
        "rsvp": {"type": "string", "enum": ["in_person", "online", "not_attending"]}}},
    "Attendance": {"type": "object", "required": ["present"], "additionalProperties": False, "properties": {
        "present": {"type": "array", "items": INT, "description": "User ids of the participants who attended; "
                                                                  "the others are marked absent"}}},
    "Decision": {"type": "object", "properties": {"id": INT, "meeting_id": INT, "agenda_item_id": NULL_INT,
                                                  "text": STR, "created_at": TIME}},
    "DecisionCreate": {"type": "object", "required": ["text"], "additionalProperties": False, "properties": {
        "text": {"type": "string", "maxLength": 5000}, "agenda_item_id": NULL_INT}},
    "DecisionUpdate": {"type": "object", "additionalProperties": False, "properties": {
        "text": {"type": "string", "maxLength": 5000}, "agenda_item_id": NULL_INT}},
    "ActionItem": {"type": "object", "properties": {
        "id": INT, "body": STR, "meeting_id": NULL_INT, "title": STR, "owner_user": _PERSON,
        "owner_org": NULL_STR, "due_on": NULL_DAY, "status": _ACTION_STATUS, "action_line": STR,
        "overdue": {"type": "boolean"}, "created_at": TIME, "closed_at": NULL_TIME}},
    "UpcomingMeeting": {"type": "object", "description": "A meeting ahead, as the home page shows it", "properties": {
        "id": INT, "title": STR, "body": STR, "starts_on": DAY, "ends_on": DAY,
        "start": {**NULL_TIME, "description": "The start in the caller's time zone"}, "timezone": STR, "venue": STR,
        "agenda_published": {"type": "boolean"}, "paper_deadline": NULL_DAY,
        "readiness": {"type": "object", "properties": {"expected": INT, "submitted": INT, "percent": NULL_INT}},
        "my_reply": NULL_STR,
        "my_member_state_report": {"type": "string", "enum": ["submitted", "missing"], "nullable": True}}},
    "NewsItem": {"type": "object", "properties": {
        "kind": {"type": "string", "enum": ["document", "minutes", "decision"]}, "title": STR,
        "url": {"type": "string", "description": "The page inside AOCP"}, "at": TIME, "where": STR}},
    "ActionItemCreate": {"type": "object", "required": ["title"], "additionalProperties": False,
                         "description": "Name an owner: a person, a Member State, or both", "properties": {
                             "title": {"type": "string", "maxLength": 300},
                             "owner_user_id": {**NULL_INT, "description": "A member of the body, or ASEC staff"},
                             "owner_org": {**NULL_STR, "description": "Member State (or ASEC) code"},
                             "due_on": NULL_DAY,
                             "action_line": {"type": "string", "description": "AMCAP action line, e.g. TI1.1"}}},
    "ActionItemUpdate": {"type": "object", "required": ["status"], "additionalProperties": False,
                         "properties": {"status": _ACTION_STATUS}},
    "Minutes": {"type": "object", "properties": {
        "meeting_id": INT, "status": {"type": "string", "enum": list(MINUTES_STATUSES)},
        "version": {"type": "integer", "description": "Send it back when saving"},
        "body_md": {"type": "string", "nullable": True,
                    "description": "Markdown; null for a draft the caller does not manage (drafts stay with managers)"},
        "body_html": {"type": "string", "nullable": True,
                      "description": "The Markdown rendered as sanitised HTML (no raw HTML, "
                                     "scripts or unsafe links)"},
        "updated_at": NULL_TIME, "updated_by": _PERSON,
        "adopted_at": NULL_TIME}},
    "MinutesSave": {"type": "object", "required": ["body_md", "version"], "additionalProperties": False,
                    "properties": {"body_md": {"type": "string", "maxLength": 500000},
                                   "version": {"type": "integer", "description": "The version you read"}}},
})

PATHS.update({
    "/workspaces": {"get": _op("The workspaces (bodies) the caller may see, with member counts and next meetings",
                               "workspaces.view", _ok(_list_of("Workspace")))},
    "/workspaces/{code}": {"get": _read("A workspace: members and their roles, upcoming meetings, open action "
                                        "items", "workspaces.view", _ref("WorkspaceFull"), [_CODE])},
    "/workspaces/{code}/meetings": {
        "get": _read("A body's meetings (newest first; upcoming: soonest first)", "workspaces.view",
                     _page_of("Meeting"),
                     [_CODE, _q("when", {"type": "string", "enum": ["all", "upcoming", "past"]}, "Default all"),
                      _q("status", _MEETING_STATUS), *PAGING], 400),
        "post": _write("Schedule a meeting; the body's members are invited", "meetings.manage",
                       _ok(_ref("MeetingFull"), "201", "Created"), [_CODE], "MeetingCreate", 400, 409, 422),
    },
    "/meetings/{meeting_id}": {
        "get": _read("A meeting with its agenda (papers the caller may open) and participants", "workspaces.view",
                     _ref("MeetingFull"), [_MEETING_ID]),
        "patch": _write("Change a meeting (only the fields sent)", "meetings.manage", _ok(_ref("MeetingFull")),
                        [_MEETING_ID], "MeetingUpdate", 400, 409, 422),
    },
    "/meetings/{meeting_id}/agenda": {
        "get": _read("The timetable: days, numbered items with their times, each day's end and the total",
                     "workspaces.view", _ref("Timetable"), [_MEETING_ID]),
        "post": _write("Add an agenda item at the end of its day", "meetings.manage",
                       _ok(_ref("AgendaItem"), "201", "Created"), [_MEETING_ID], "AgendaItemCreate", 400, 422)},
    "/meetings/{meeting_id}/agenda/{item_id}": {
        "patch": _write("Change an agenda item in place (422 naming the field for overlapping times, a duration "
                        "out of range or a day outside the meeting; nothing kept)", "meetings.manage",
                        _ok(_ref("Timetable")), [_MEETING_ID, _ITEM_ID], "AgendaItemUpdate", 400, 422),
        "delete": _write("Remove an agenda item", "meetings.manage", {"204": {"description": "Removed"}},
                         [_MEETING_ID, _ITEM_ID], None, 409)},
    "/meetings/{meeting_id}/agenda/versions": {"get": _read(
        "The published versions of the agenda, newest first", "workspaces.view", _list_of("AgendaVersion"),
        [_MEETING_ID])},
    "/meetings/{meeting_id}/agenda/order": {"put": _write(
        "Put the agenda in a new order", "meetings.manage", _ok(_list_of("AgendaItem")), [_MEETING_ID],
        "AgendaOrder", 400, 422)},
    "/meetings/{meeting_id}/agenda/publish": {"post": _write(
        "Publish the agenda: keeps a version and tells the participants once (409 when it has no items or "
        "nothing changed since it was last published)", "meetings.manage", _ok(_ref("MeetingFull")),
        [_MEETING_ID], None, 409)},
    "/meetings/{meeting_id}/agenda/{item_id}/papers": {
        "post": _write("Attach a document the caller may open as a paper (201; 200 when already attached)",
                       "meetings.contribute", {**_ok(_ref("AgendaItem"), "201", "Attached"),
                                               **_ok(_ref("AgendaItem"), "200", "Already attached")},
                       [_MEETING_ID, _ITEM_ID], "PaperRef", 400, 422),
        "delete": _write("Detach a paper", "meetings.manage", {"204": {"description": "Detached"}},
                         [_MEETING_ID, _ITEM_ID], "PaperRef", 400, 422),
    },
    "/meetings/{meeting_id}/participants": {
        "get": _read("Participants, their replies and attendance", "workspaces.view", _list_of("Participant"),
                     [_MEETING_ID]),
        "post": _write("Invite people, or an organisation's members of the body", "meetings.manage",
                       _ok(_ref("Invited")), [_MEETING_ID], "Invite", 400, 422),
    },
    "/meetings/{meeting_id}/rsvp": {"put": _write(
        "Reply to one's own invitation (403 for someone not among the participants)", "workspaces.view",
        _ok(_ref("Participant")), [_MEETING_ID], "Rsvp", 400, 422)},
    "/meetings/{meeting_id}/attendance": {"put": _write(
        "Record who attended", "meetings.manage", _ok(_list_of("Participant")), [_MEETING_ID], "Attendance",
        400, 422)},
    "/meetings/{meeting_id}/decisions": {
        "get": _read("A meeting's decisions", "workspaces.view", _list_of("Decision"), [_MEETING_ID]),
        "post": _write("Record a decision, optionally linked to an agenda item", "meetings.manage",
                       _ok(_ref("Decision"), "201", "Created"), [_MEETING_ID], "DecisionCreate", 400, 422),
    },
    "/meetings/{meeting_id}/decisions/{decision_id}": {
        "patch": _write("Correct a decision's text or agenda item (409 once the minutes are adopted)",
                        "meetings.manage", _ok(_ref("Decision")), [_MEETING_ID, _p("decision_id", INT)],
                        "DecisionUpdate", 400, 409, 422),
        "delete": _write("Remove a decision recorded by mistake (409 once the minutes are adopted)",
                         "meetings.manage", {"204": {"description": "Removed"}}, [_MEETING_ID, _p("decision_id", INT)],
                         None, 409),
    },
    "/action-items": {"get": _op(
        "Action items of the bodies the caller may see, soonest due first", "workspaces.view",
        {**_ok(_page_of("ActionItem")), **_errors(400)},
        params=[_q("body", STR, "Body code"),
                _q("org", STR, "Member State code: items it owns or its people own"),
                _q("status", STR, f"One or more, comma-separated: {', '.join(ACTION_STATUSES)}"),
                _q("overdue", {"type": "string", "enum": ["true", "false"]}, "Open or in progress and past due"),
                _q("owner", {"type": "string", "enum": ["me"]},
                   "me: items owned by the caller or by the caller's organisation (Member State)"),
                *PAGING])},
    "/meetings/upcoming": {"get": _op(
        "Meetings ahead of the bodies the caller may see, soonest first, with readiness and the caller's reply",
        "workspaces.view", {**_ok(_page_of("UpcomingMeeting")), **_errors(400)},
        params=[_q("days", {"type": "integer", "minimum": 1, "maximum": 366}, "How many days ahead (default 90)"),
                _q("body", STR, "Body code"),
                _q("readiness", {"type": "string", "enum": ["below"]}, "Only meetings whose readiness is below 100%"),
                *PAGING])},
    "/news": {"get": _op(
        "What is new since the caller's last visit: documents shared with them, minutes circulated and decisions "
        "recorded in their bodies, newest first", "bodies.view", {**_ok(_page_of("NewsItem")), **_errors(400)},
        params=[_q("kind", {"type": "string", "enum": ["document", "minutes", "decision"]}), *PAGING])},
    "/meetings/{meeting_id}/action-items": {"post": _write(
        "Assign an action item from a meeting", "meetings.manage", _ok(_ref("ActionItem"), "201", "Created"),
        [_MEETING_ID], "ActionItemCreate", 400, 422)},
    "/action-items/{action_id}": {"patch": _write(
        "Change an action item's status (its body's chairs and ASEC, its owner, or a focal person of the owning "
        "Member State)", "actions.update", _ok(_ref("ActionItem")), [_p("action_id", INT)], "ActionItemUpdate",
        400, 422)},
    "/meetings/{meeting_id}/minutes": {
        "get": _read("The minutes as Markdown, with their status and version", "workspaces.view",
                     _ref("Minutes"), [_MEETING_ID]),
        "put": _write("Save the minutes; 409 with the current minutes (error.current) when someone saved since "
                      "the version sent, or when they are adopted (locked)", "meetings.manage",
                      _ok(_ref("Minutes")), [_MEETING_ID], "MinutesSave", 400, 409, 422),
    },
    "/meetings/{meeting_id}/minutes/circulate": {"post": _write(
        "Circulate the minutes for comments; the participants are told (409 when empty or adopted)",
        "meetings.manage", _ok(_ref("Minutes")), [_MEETING_ID], None, 409)},
    "/meetings/{meeting_id}/minutes/adopt": {"post": _write(
        "Adopt circulated minutes; they are locked (409 unless circulated)", "meetings.manage",
        _ok(_ref("Minutes")), [_MEETING_ID], None, 409)},
})
