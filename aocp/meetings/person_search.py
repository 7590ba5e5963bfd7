"""Naming a person on the meeting page: the chair types a name or an email into one field.

A body has hundreds of members, too many for a list in the page: GET /meetings/<id>/people suggests a few as one
types, and on submit the server resolves what was typed to exactly one eligible person (works without script).
Three sets of people may be named: members not yet invited (`invite`), members who may own an action item
(`owner`), the same people the meeting page's lists offered, and anyone active in AOCP not yet invited, of any
organisation (`guest`: guests and resource persons from outside the body).
"""
from __future__ import annotations

import re
from functools import cache

from flask import request
from sqlalchemy import Select, bindparam, func, or_, select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.http import json_error
from aocp.meetings import bp
from aocp.meetings.loading import load_meeting
from aocp.meetings.models import Meeting, Participant
from aocp.meetings.services import MeetingError
from aocp.orgs.models import Membership, Organisation
from aocp.policy import guard

PICKS = ("invite", "owner", "guest")
SUGGESTIONS = 10
MAX_TYPED = 320
# What a suggestion puts in the field: "Name (ORG)", or "Name <email>" when two suggestions share name and ORG.
SUGGESTED = re.compile(r"^(?P<name>.+?)\s*(?:<(?P<email>[^<>\s]+)>|\((?P<org>[A-Za-z]{2,16})\))$")


def eligible(meeting: Meeting, pick: str) -> Select:
    """(id, name, email, org) of the active people that `pick` may name: members of the meeting's body, or for
    `guest` anyone not invited yet."""
    invited = select(Participant.user_id).where(Participant.meeting_id == meeting.id)
    if pick == "guest":
        return (select(User.id, User.name, User.email, Organisation.code.label("org"))
                .join(Organisation, Organisation.id == User.org_id)
                .where(User.status == "active", User.id.not_in(invited)))
    stmt = (select(User.id, User.name, User.email, Organisation.code.label("org"))
            .join(Membership, Membership.user_id == User.id).join(Organisation, Organisation.id == User.org_id)
            .where(Membership.body_id == meeting.body_id, User.status == "active"))
    if pick == "invite":
        stmt = stmt.where(User.id.not_in(invited))
    return stmt


def suggest(meeting: Meeting, pick: str, typed: str) -> tuple[list[dict], bool]:
    """Up to SUGGESTIONS people whose name contains, or whose email starts with, what was typed; and whether
    there were more. An email is matched but never shown: the chair sees names, as on the members page."""
    typed = " ".join(typed.split())
    rows = db.session.execute(
        eligible(meeting, pick)
        .where(or_(User.name.icontains(typed, autoescape=True), User.email.startswith(typed.lower(), autoescape=True)))
        .order_by(User.name, User.id).limit(SUGGESTIONS + 1)).all()
    shown = rows[:SUGGESTIONS]
    labels = [f"{r.name} ({r.org})" for r in shown]
    people = [{"id": r.id, "name": r.name, "org": r.org,
               "value": label if labels.count(label) == 1 else f"{r.name} <{r.email}>"}
              for r, label in zip(shown, labels)]
    return people, len(rows) > SUGGESTIONS


def _matching(stmt: Select, typed: str) -> Select:
    """The rows of `stmt` that what was typed names: an email, "Name <email>", "Name (ORG)" or a whole name."""
    m = SUGGESTED.match(typed)
    if m and m["email"]:
        return stmt.where(User.email == m["email"].lower())
    if m and m["org"]:
        return stmt.where(func.lower(User.name) == func.lower(m["name"]), Organisation.code == m["org"].upper())
    if "@" in typed and " " not in typed:
        return stmt.where(User.email == typed.lower())
    return stmt.where(func.lower(User.name) == func.lower(typed))


def resolve(meeting: Meeting, pick: str, typed: str, field: str) -> User | None:
    """The one eligible person named by what was typed (None when nothing was); a MeetingError for `field`
    when nobody or several people match."""
    typed = " ".join((typed or "").split())
    if not typed:
        return None
    group = "people in AOCP" if pick == "guest" else f"members of {meeting.body.short_name}"
    one = "person in AOCP" if pick == "guest" else f"member of {meeting.body.short_name}"
    if len(typed) > MAX_TYPED:
        raise MeetingError(f"Type a name or an email of a {one}.", field)
    rows = db.session.execute(_matching(eligible(meeting, pick), typed).limit(2)).all()
    if len(rows) == 1:
        return db.session.get(User, rows[0].id)
    if rows:
        raise MeetingError(f"Several {group} are called “{typed}”: type the email of the one you mean.", field)
    already = {"invite": lambda: _matching(eligible(meeting, "owner"), typed), "guest": lambda: _invited(meeting, typed)}
    if pick in already and db.session.execute(already[pick]().limit(1)).first():
        raise MeetingError(f"“{typed}” is already invited.", field)
    raise MeetingError(f"No {one} matches “{typed}”. Type their name or email, or pick a suggestion.", field)


def _invited(meeting: Meeting, typed: str) -> Select:
    """The people already invited to the meeting that what was typed names."""
    return _matching(select(User.id).join(Organisation, Organisation.id == User.org_id)
                     .join(Participant, Participant.user_id == User.id)
                     .where(Participant.meeting_id == meeting.id), typed)


@cache
def _invitable_orgs_stmt() -> Select:
    """`invitable_orgs`' statement, built once with the body and the meeting as parameters: every chair's view of
    the meeting page runs it, and building and keying it each time cost more than running it."""
    not_invited = (select(User.id).join(Membership, Membership.user_id == User.id)
                   .where(User.org_id == Organisation.id, Membership.body_id == bindparam("body_id"),
                          User.status == "active",
                          User.id.not_in(select(Participant.user_id)
                                         .where(Participant.meeting_id == bindparam("meeting_id")))))
    return select(Organisation.code).where(not_invited.exists()).order_by(Organisation.code)


def invitable_orgs(meeting: Meeting) -> list[str]:
    """Codes of the organisations with members not yet invited (empty when everyone is): those of the people
    `eligible(meeting, "invite")` gives."""
    return list(db.session.execute(_invitable_orgs_stmt(), {"body_id": meeting.body_id, "meeting_id": meeting.id})
                .scalars())


@bp.get("/meetings/<int:meeting_id>/people")
@guard("meetings.manage")
def people(meeting_id: int):
    """Suggestions for a person field: ?for=invite|owner&q=<part of a name or email>."""
    meeting = load_meeting(meeting_id, "meetings.manage")
    pick, typed = request.args.get("for", ""), request.args.get("q", "")
    if pick not in PICKS:
        return json_error(400, f"Say which people: for={' or for='.join(PICKS)}.", "bad_request")
    if not typed.strip() or len(typed) > MAX_TYPED:
        return json_error(400, f"Type 1 to {MAX_TYPED} characters of a name or an email in q.", "bad_request")
    found, more = suggest(meeting, pick, typed)
    return {"people": found, "more": more}
