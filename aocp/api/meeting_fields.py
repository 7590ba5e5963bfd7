"""What only the meetings API answers: its service errors as JSON (`handled`) and the minutes' JSON shape, which a
conflict carries. Loading is in `aocp.meetings.loading`, input checks in `aocp.http`."""
from __future__ import annotations

from functools import wraps

from flask import g
from sqlalchemy.exc import IntegrityError

from aocp.extensions import db
from aocp.http import json_error
from aocp.meetings.markdown import render
from aocp.meetings.services import Conflict, MeetingError
from aocp.policy import RULES, PermissionDenied, record_denial


def handling(conflict_error, current_of, service_error):
    """A decorator turning service errors into JSON answers; whatever went wrong, nothing is kept.

    `conflict_error` is a service's optimistic-locking conflict (409 with `current_of(err)`, the object as it is
    now, read before the rollback expires it); `service_error` its input error carrying `.field` (422 naming the
    field, else 409). A refusal answers 403 with the refusal's own message, or a general one.
    """
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except Refused as refused:
                db.session.rollback()
                return refused.response
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
                return forbidden(str(err) if str(err) in RULES else "service",
                                 getattr(err, "message", "") or "You are not allowed to do this.")
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


# --- still used by the plans API (api/plans.py), which builds its refusals as finished answers ---------

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
