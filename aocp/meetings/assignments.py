"""Action items: assigning them (to a person or a Member State) and changing their status, audited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from aocp import audit
from aocp.accounts.models import User
from aocp.extensions import db
from aocp.meetings.models import ACTION_STATUSES, ActionItem, Meeting
from aocp.meetings.services import ACTION_LINE, MeetingError, require
from aocp.notifications import meetings as notices
from aocp.orgs.models import Body, Organisation
from aocp.timeutil import utcnow


@dataclass
class ActionDetails:
    title: str
    owner_user: User | None = None
    owner_org: Organisation | None = None
    due_on: date | None = None
    action_line: str = ""


def add_action(actor: User, body: Body, d: ActionDetails, meeting: Meeting | None = None) -> ActionItem:
    require(actor, "meetings.manage", meeting or body)
    title = " ".join((d.title or "").split())
    if not title or len(title) > 300:
        raise MeetingError("An action item needs a title of 1 to 300 characters.", "title")
    if d.owner_user is None and d.owner_org is None:
        raise MeetingError("Name an owner: a person or a Member State.", "owner")
    line = (d.action_line or "").strip().upper()
    if line and not ACTION_LINE.match(line):
        raise MeetingError("An action line code looks like TI1.1 or MD2.3.", "action_line")
    item = ActionItem(body_id=body.id, meeting_id=meeting.id if meeting else None, title=title,
                      owner_user=d.owner_user, owner_org=d.owner_org, due_on=d.due_on, action_line=line,
                      created_by_id=actor.id)
    db.session.add(item)
    db.session.flush()
    audit.record("action_item.assigned", actor, item, {"title": title, "owner_user": getattr(d.owner_user, "id", None),
                                                       "owner_org": getattr(d.owner_org, "code", None)})
    notices.action_assigned(actor, item)
    return item


def set_action_status(actor: User, item: ActionItem, status: str) -> None:
    require(actor, "actions.update", item)
    if status not in ACTION_STATUSES:
        raise MeetingError("Choose a status from the list.", "status")
    before, item.status = item.status, status
    item.closed_at = utcnow() if status in ("done", "cancelled") else None
    audit.record("action_item.status", actor, item, {"status": [before, status]})
