"""Naming the document to attach to an agenda item: the contributor types part of its title into one field.

A working group has thousands of documents, too many for a list in the page (which offered only the latest
hundred, and drawing them was a sixth of the meeting page's time): GET /meetings/<id>/documents suggests a few
as one types, and on submit the server resolves what was typed to exactly one document the person may open
(works without script). Any such document may be attached; it keeps its own access level.
"""
from __future__ import annotations

import re

from flask import request
from flask_login import current_user
from sqlalchemy import Select, case, func, select

from aocp.documents.access import visible_clause
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.http import json_error
from aocp.meetings import bp
from aocp.meetings.loading import load_meeting
from aocp.meetings.models import Meeting
from aocp.meetings.services import MeetingError
from aocp.policy import guard

SUGGESTIONS = 10
MAX_TYPED = 320
LARGEST_ID = 2**31 - 1
# What a suggestion puts in the field, "Title (#123)", or a number alone: "#123" or "123".
NUMBERED = re.compile(r"^(?:.*\(#(?P<suffix>[0-9]{1,10})\)|#?(?P<bare>[0-9]{1,10}))$", re.DOTALL)


def attachable(meeting: Meeting) -> Select:
    """(id, title) of the documents the signed-in person may open, this meeting's first, then its body's, then
    the newest."""
    return (select(Document.id, Document.title)
            .where(visible_clause(current_user), Document.deleted_at.is_(None))
            .order_by(case((Document.meeting_id == meeting.id, 0), (Document.body_id == meeting.body_id, 1), else_=2),
                      Document.updated_at.desc(), Document.id.desc()))


def _tidy(typed: str | None) -> str:
    return " ".join((typed or "").split())


@bp.get("/meetings/<int:meeting_id>/documents")
@guard("meetings.contribute")
def documents(meeting_id: int):
    """Suggestions for the paper field: ?q=<part of a title>."""
    meeting = load_meeting(meeting_id, "meetings.contribute")
    typed = request.args.get("q", "")
    tidy = _tidy(typed)
    if not tidy or len(typed) > MAX_TYPED:
        return json_error(400, f"Type 1 to {MAX_TYPED} characters of a document's title in q.", "bad_request")
    rows = db.session.execute(attachable(meeting).where(Document.title.icontains(tidy, autoescape=True))
                              .limit(SUGGESTIONS + 1)).all()
    return {"documents": [{"id": r.id, "title": r.title, "value": f"{r.title} (#{r.id})"} for r in rows[:SUGGESTIONS]],
            "more": len(rows) > SUGGESTIONS}


def resolve(meeting: Meeting, typed: str | None, field: str) -> Document:
    """The one document the signed-in person may open that was typed: a suggestion, its number or its whole
    title. A MeetingError for `field` when none or several match; a number nobody may open and one that does
    not exist get the same answer."""
    typed = _tidy(typed)
    if not typed or len(typed) > MAX_TYPED:
        raise MeetingError("Type part of a document's title and pick one of the suggestions.", field)
    numbered = NUMBERED.match(typed)
    number = int(numbered["suffix"] or numbered["bare"]) if numbered else None
    if number is not None and number <= LARGEST_ID:
        found = db.session.execute(attachable(meeting).where(Document.id == number)).first()
        # A suggestion names its document only with that document's own title: a title may end in "(#12)" itself.
        if found and (numbered["bare"] or typed.lower() == f"{_tidy(found.title)} (#{found.id})".lower()):
            return db.session.get(Document, found.id)
        if numbered["bare"]:
            raise MeetingError(f"No document you may open has the number {number}.", field)
    rows = db.session.execute(attachable(meeting).where(func.lower(Document.title) == typed.lower()).limit(2)).all()
    if len(rows) == 1:
        return db.session.get(Document, rows[0].id)
    if rows:
        raise MeetingError(f"Several documents are called “{typed}”: pick the one you mean from the suggestions, "
                           "or type its number (shown after #).", field)
    raise MeetingError(f"No document you may open is called “{typed}”. Type part of its title and pick a "
                       "suggestion.", field)
