"""Input checks, refusals and policy-checked loading shared by the workspace and meeting API endpoints."""
from __future__ import annotations

import re
from datetime import date
from functools import wraps

from flask import g
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from aocp.api.accounts import MAX_ID
from aocp.extensions import db
from aocp.meetings.markdown import render
from aocp.meetings.models import ActionItem, AgendaItem, Decision, Meeting
from aocp.meetings.services import Conflict, MeetingError
from aocp.orgs.models import Body, Organisation
from aocp.policy import RULES, PermissionDenied, can, record_denial
from aocp.web import json_error

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # long texts keep tabs and line breaks
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FIRST_YEAR, LAST_YEAR = 1970, 2100
MAX_LIST = 500


class Invalid(Exception):
    """Input refused with 422; `fields` maps each field to what is wrong with it."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("invalid input")
        self.fields = fields


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


# --- reading JSON fields -------------------------------------------------------------------------

def valid_id(value) -> bool:
    return type(value) is int and 1 <= value <= MAX_ID  # bool is an int subclass: refused here


def parse_date(raw: str) -> date | None:
    """A YYYY-MM-DD date in a sensible range, or None."""
    if not isinstance(raw, str) or not ISO_DATE.match(raw):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


class Fields:
    """Reads the fields of a JSON object, collecting every problem before refusing (422)."""

    def __init__(self, data: dict, allowed: set[str], required: tuple[str, ...] = ()):
        self.data, self.errors = data, {}
        for name in sorted(set(data) - allowed)[:20]:
            self.errors[str(name)[:64]] = "Unknown field."
        for name in required:
            if name not in data:
                self.errors[name] = "Required."

    def has(self, name: str) -> bool:
        return name in self.data and name not in self.errors

    def text(self, name: str, default: str = "", max_length: int = 300, required: bool = False,
             multiline: bool = False, strip: bool = True) -> str:
        if not self.has(name):
            return default
        value = self.data[name]
        if not isinstance(value, str):
            self.errors[name] = "Text expected."
        elif (CONTROL_IN_TEXT if multiline else CONTROL).search(value):
            self.errors[name] = "No control characters."
        elif required and not value.strip():
            self.errors[name] = "Required."
        elif len(value.strip() if strip else value) > max_length:
            self.errors[name] = f"At most {max_length:,} characters."
        else:
            return value.strip() if strip else value
        return default

    def whole(self, name: str, low: int, high: int, default: int | None = None, nullable: bool = False):
        if not self.has(name):
            return default
        value = self.data[name]
        if value is None and nullable:
            return None
        if type(value) is not int or not low <= value <= high:
            self.errors[name] = f"A whole number from {low} to {high:,}."
            return default
        return value

    def day(self, name: str, default: date | None = None, nullable: bool = True) -> date | None:
        if not self.has(name):
            return default
        value = self.data[name]
        if value is None and nullable:
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.errors[name] = f"A date as YYYY-MM-DD between {FIRST_YEAR} and {LAST_YEAR}."
            return default
        return parsed

    def ids(self, name: str) -> list[int]:
        value = self.data.get(name)
        if not isinstance(value, list) or not all(valid_id(v) for v in value):
            self.errors[name] = "A list of ids (whole numbers)."
            return []
        if len(value) > MAX_LIST:
            self.errors[name] = f"At most {MAX_LIST} ids."
            return []
        return list(dict.fromkeys(value))

    def org(self, name: str, default: Organisation | None = None) -> Organisation | None:
        """An organisation named by its code; null clears it."""
        if not self.has(name):
            return default
        if self.data[name] is None:
            return None
        org = org_by_code(self.data[name])
        if org is None:
            self.errors[name] = "Unknown organisation code."
        return org

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def check(self) -> None:
        if self.errors:
            raise Invalid(self.errors)


def _is_code(code) -> bool:
    return isinstance(code, str) and 0 < len(code.strip()) <= 16 and code.strip().isascii() \
        and code.strip().isalnum()


def org_by_code(code) -> Organisation | None:
    if not _is_code(code):
        return None
    return db.session.execute(select(Organisation).where(Organisation.code == code.strip().upper())
                              ).scalar_one_or_none()


def body_by_code(code) -> Body | None:
    if not _is_code(code):
        return None
    return db.session.execute(select(Body).where(Body.code == code.strip().upper())).scalar_one_or_none()


# --- loading what the URL names, through the policy ---------------------------------------------

def _not_found(what: str):
    return json_error(404, f"There is no such {what}, or you may not see it.", "not_found")


def _checked(obj, what: str, rule: str | None):
    """`obj` if the caller may see it (else 404, audited) and may do `rule` on it (else 403, audited)."""
    user = g.api_user
    if obj is None:
        raise Refused(_not_found(what))
    if not can(user, "workspaces.view", obj):
        record_denial(user, "workspaces.view")
        raise Refused(_not_found(what))
    if rule is not None and not can(user, rule, obj):
        raise Refused(forbidden(rule))
    return obj


def load_workspace(code: str, rule: str | None = None) -> Body:
    return _checked(body_by_code(code), "workspace", rule)


def load_meeting(meeting_id: int, rule: str | None = None) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id, options=[joinedload(Meeting.body), joinedload(Meeting.host),
                                                           joinedload(Meeting.chair)])
    return _checked(meeting, "meeting", rule)


def load_item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise Refused(_not_found("agenda item"))
    return item


def load_decision(meeting: Meeting, decision_id: int) -> Decision:
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.meeting_id != meeting.id:
        raise Refused(_not_found("decision"))
    return decision


def load_action(item_id: int, rule: str | None = None) -> ActionItem:
    return _checked(db.session.get(ActionItem, item_id), "action item", rule)
