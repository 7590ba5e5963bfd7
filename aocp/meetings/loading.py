"""Loading a workspace, a meeting or one of its records (agenda items, decisions, action items, minutes) through
the policy: one set of loaders for the pages and the API.

A body or meeting the person may not see is not found (404, audited, its existence not revealed); one they may
see but not change answers 403. Loaders raise (`http.NotFound`, `policy.PermissionDenied`); the app turns that
into the answer, a page or JSON.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from aocp.extensions import db
from aocp.http import NotFound, body_by_code, checked
from aocp.meetings.models import ActionItem, AgendaItem, Decision, Meeting, Minutes
from aocp.orgs.models import Body
from aocp.policy import can

VIEW = "workspaces.view"
# What a meeting is shown with on every page and in its JSON: its body, host and chair (joined, no query each).
DETAILS = (joinedload(Meeting.body), joinedload(Meeting.host), joinedload(Meeting.chair))


def load_workspace(code: str, rule: str | None = None) -> Body:
    """The body, if the person may see its workspace and may do `rule` in it."""
    return checked(body_by_code(code), "workspace", VIEW, rule)


load_body = load_workspace  # the pages speak of the body, the API of its workspace


def load_meeting(meeting_id: int, rule: str | None = None, options: tuple | None = None) -> Meeting:
    """The meeting, if the person may see its body's workspace and may do `rule`; `options` say which of its
    relations to load with it (DETAILS by default)."""
    meeting = db.session.get(Meeting, meeting_id, options=options or DETAILS)
    return checked(meeting, "meeting", VIEW, rule)


def load_item(meeting: Meeting, item_id: int) -> AgendaItem:
    """An agenda item of a loaded meeting."""
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound("agenda item")
    return item


def load_decision(meeting: Meeting, decision_id: int) -> Decision:
    """A decision of a loaded meeting."""
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.meeting_id != meeting.id:
        raise NotFound("decision")
    return decision


def load_action(action_id: int, rule: str | None = None) -> ActionItem:
    """The action item, if the person may see its body's workspace and may do `rule` on it."""
    return checked(db.session.get(ActionItem, action_id), "action item", VIEW, rule)


def current_minutes(meeting: Meeting) -> Minutes:
    """The meeting's minutes, or an unsaved draft that starts from the agenda, a heading per item (reading never
    writes)."""
    from aocp.meetings import timetable
    minutes = db.session.execute(select(Minutes).options(joinedload(Minutes.updated_by))
                                 .where(Minutes.meeting_id == meeting.id)).scalar_one_or_none()
    return minutes or Minutes(meeting_id=meeting.id, body_md=timetable.minutes_outline(meeting), status="draft",
                              version=1)


def can_read_minutes(user, meeting: Meeting, minutes: Minutes) -> bool:
    """Drafts stay with the body's managers until they are circulated; then everyone who sees the meeting reads them."""
    return minutes.status != "draft" or can(user, "meetings.manage", meeting)


def load_attended(meeting_id: int) -> Meeting:
    """The meeting, if the person may see it as its guest (or as one who sees its body): `meetings.attend`."""
    return checked(db.session.get(Meeting, meeting_id, options=DETAILS), "meeting", "meetings.attend")
