"""Input checks, refusals and policy-checked loading shared by the workspace and meeting API endpoints."""
from __future__ import annotations

from functools import wraps

from flask import g
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from aocp.extensions import db
from aocp.http import Invalid, NotFound, body_by_code, checked
from aocp.meetings.markdown import render
from aocp.meetings.models import ActionItem, AgendaItem, Decision, Meeting
from aocp.meetings.services import Conflict, MeetingError
from aocp.orgs.models import Body
from aocp.policy import RULES, PermissionDenied, record_denial
from aocp.http import json_error


class Refused(Exception):
    """A finished JSON answer (404, 403, 400) raised from inside a view."""

    def __init__(self, response):
        super().__init__("refused")
        self.response = response


def forbidden(rule: str, message: str = "You are not allowed to do this."):
    record_denial(g.api_user, rule)
    return json_error(403, message, "forbidden")


def bad_request(message: str, fields: dict[str, str] | None = None):
    return json_error(400, message, "bad_request", **({"fields": fields} if fields else {}))


def handling(conflict_error, current_of, service_error):
    """A decorator turning refusals and service errors into JSON answers; whatever went wrong, nothing is kept.

    `conflict_error` is a service's optimistic-locking conflict (409 with `current_of(err)`, the object as it is
    now, read before the rollback expires it); `service_error` its input error carrying `.field`.
    """
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except Refused as refused:
                db.session.rollback()
                return refused.response
            except Invalid as err:
                db.session.rollback()
                return json_error(422, "Some fields are not valid.", "validation_error", fields=err.fields)
            except conflict_error as err:
                current = current_of(err)
                db.session.rollback()
                return json_error(409, str(err), "conflict", current=current)
            except service_error as err:
                db.session.rollback()
                if err.field:
                    return json_error(422, "Some fields are not valid.", "validation_error",
                                      fields={err.field: str(err)})
                return json_error(409, str(err), "conflict")
            except PermissionDenied as err:
                db.session.rollback()
                return forbidden(str(err) if str(err) in RULES else "service")
            except IntegrityError:  # e.g. two requests taking the same meeting number at once
                db.session.rollback()
                return json_error(409, "Someone else changed this at the same time; reload and try again.",
                                  "conflict")
        return wrapped
    return decorator


handled = handling(Conflict, lambda err: minutes_state(err.minutes), MeetingError)


def minutes_state(minutes) -> dict:
    updated_by = minutes.updated_by
    return {"meeting_id": minutes.meeting_id, "status": minutes.status, "version": minutes.version,
            "body_md": minutes.body_md, "body_html": str(render(minutes.body_md)),
            "updated_at": minutes.updated_at.isoformat() + "Z" if minutes.updated_at else None,
            "updated_by": {"id": updated_by.id, "name": updated_by.name, "org": updated_by.org.code}
            if updated_by else None,
            "adopted_at": minutes.adopted_at.isoformat() + "Z" if minutes.adopted_at else None}


# --- loading what the URL names, through the policy ---------------------------------------------

def load_workspace(code: str, rule: str | None = None) -> Body:
    return checked(body_by_code(code), "workspace", "workspaces.view", rule)


def load_meeting(meeting_id: int, rule: str | None = None) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id, options=[joinedload(Meeting.body), joinedload(Meeting.host),
                                                           joinedload(Meeting.chair)])
    return checked(meeting, "meeting", "workspaces.view", rule)


def load_item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound("agenda item")
    return item


def load_decision(meeting: Meeting, decision_id: int) -> Decision:
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.meeting_id != meeting.id:
        raise NotFound("decision")
    return decision


def load_action(item_id: int, rule: str | None = None) -> ActionItem:
    return checked(db.session.get(ActionItem, item_id), "action item", "workspaces.view", rule)
