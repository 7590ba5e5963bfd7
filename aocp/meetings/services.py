"""Meeting actions shared by pages and API. Services check the policy, audit, flush; views commit."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import available_timezones

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from aocp import audit
from aocp.accounts.models import User
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings.models import (
    MEETING_STATUSES,
    RSVP,
    AgendaItem,
    AgendaPaper,
    Decision,
    Meeting,
    Minutes,
    MinutesComment,
    MinutesRevision,
    Participant,
)
from aocp.notifications import meetings as notices
from aocp.orgs.models import Body, Membership, Organisation
from aocp.policy import PermissionDenied, can
from aocp.timeutil import utcnow

ACTION_LINE = re.compile(r"^[A-Z]{2}\d\.\d{1,2}$")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class MeetingError(ValueError):
    """Bad input for a meeting action; `field` names the form field when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class Conflict(Exception):
    """Someone else changed the minutes since they were opened; carries the current text."""

    def __init__(self, minutes: Minutes):
        super().__init__("Someone else changed these minutes since you opened them.")
        self.minutes = minutes


def require(actor: User, rule: str, obj) -> None:
    if not can(actor, rule, obj):
        raise PermissionDenied(rule)


@dataclass
class MeetingDetails:
    starts_on: date
    ends_on: date
    start_time: str = "09:00"
    end_time: str = ""  # empty: 17:00, or two hours after a later start
    timezone: str = "Asia/Jakarta"
    host: Organisation | None = None
    venue: str = ""
    online_url: str = ""
    chair: User | None = None
    status: str = "planned"
    group_with: Meeting | None = None
    paper_deadline: date | None = None
    number: int | None = None


def _check(d: MeetingDetails, body: Body) -> None:
    if d.ends_on < d.starts_on:
        raise MeetingError("The meeting cannot end before it starts.", "ends_on")
    if (d.ends_on - d.starts_on).days >= 5:
        raise MeetingError("A meeting lasts 1 to 5 days.", "ends_on")
    if d.paper_deadline and d.paper_deadline > d.starts_on:
        raise MeetingError("Papers are due before the meeting starts.", "paper_deadline")
    if not TIME.match(d.start_time or ""):
        raise MeetingError("Give the start time as HH:MM, e.g. 09:30.", "start_time")
    if not d.end_time and TIME.match(d.start_time or ""):
        hours, minutes = d.start_time.split(":")
        d.end_time = "17:00" if d.start_time < "15:00" else f"{min(int(hours) + 2, 23):02d}:{minutes}"
    if not TIME.match(d.end_time or ""):
        raise MeetingError("Give the end time as HH:MM, e.g. 17:00.", "end_time")
    if d.end_time <= d.start_time:
        raise MeetingError("Each day ends after it starts: give an end time after the start time.", "end_time")
    if d.timezone not in available_timezones():
        raise MeetingError("Choose a time zone from the list.", "timezone")
    if d.status not in MEETING_STATUSES:
        raise MeetingError("Choose a status from the list.", "status")
    if d.online_url and not d.online_url.startswith("https://"):
        raise MeetingError("An online link starts with https://.", "online_url")
    if d.group_with is not None and d.group_with.body_id == body.id:
        raise MeetingError("A meeting is grouped with another body's meeting (e.g. the JWG).", "group_with")
    if d.number is not None and d.number < 1:
        raise MeetingError("Meeting numbers start at 1.", "number")


def next_number(body: Body) -> int:
    return (db.session.execute(select(func.max(Meeting.number)).where(Meeting.body_id == body.id)).scalar() or 0) + 1


def create_meeting(actor: User, body: Body, d: MeetingDetails) -> Meeting:
    """Schedule a meeting; the body's members are invited as participants."""
    require(actor, "meetings.manage", body)
    _check(d, body)
    number = d.number or next_number(body)
    if db.session.execute(select(Meeting.id).where(Meeting.body_id == body.id, Meeting.number == number)).first():
        raise MeetingError(f"{body.short_name} already has a meeting number {number}.", "number")
    meeting = Meeting(body=body, number=number, created_by_id=actor.id)
    _apply(meeting, d)
    db.session.add(meeting)
    db.session.flush()
    members = db.session.execute(select(Membership.user_id).where(Membership.body_id == body.id)).scalars()
    db.session.add_all(Participant(meeting_id=meeting.id, user_id=uid) for uid in members)
    db.session.flush()
    audit.record("meeting.created", actor, meeting, {"body": body.code, "number": number})
    notices.meeting_invited(actor, meeting, notices.participants(meeting))
    return meeting


def _apply(meeting: Meeting, d: MeetingDetails) -> None:
    for name in ("starts_on", "ends_on", "start_time", "end_time", "timezone", "host", "chair", "status", "group_with",
                 "paper_deadline"):
        setattr(meeting, name, getattr(d, name))
    meeting.venue, meeting.online_url = d.venue.strip(), d.online_url.strip()


def update_meeting(actor: User, meeting: Meeting, d: MeetingDetails) -> None:
    require(actor, "meetings.manage", meeting)
    _check(d, meeting.body)
    before = meeting.status
    _apply(meeting, d)
    from aocp.meetings import timetable
    problems = timetable.build(meeting, meeting.items).problems
    if problems:  # e.g. items on a day the new dates no longer have
        raise MeetingError(problems[0], "ends_on")
    db.session.flush()
    audit.record("meeting.updated", actor, meeting, {"status": [before, meeting.status]})


# Agenda

def add_item(actor: User, meeting: Meeting, title: str, presenter: str = "", duration: int = 15,
             notes: str = "", **timing) -> AgendaItem:
    """An item at the end of its day (`timing`: kind, day, fixed_start; see timetable.ItemDetails)."""
    from aocp.meetings import timetable
    timing.setdefault("day", max((i.day for i in meeting.items), default=1))
    return timetable.add(actor, meeting, timetable.ItemDetails(title, presenter, duration, notes, **timing))


def remove_item(actor: User, item: AgendaItem) -> None:
    meeting = item.meeting
    require(actor, "meetings.manage", meeting)
    meeting.items.remove(item)
    for n, other in enumerate(meeting.items, start=1):
        other.position = n
    meeting.agenda_changed_at = utcnow()
    db.session.flush()
    audit.record("agenda.item_removed", actor, meeting, {"title": item.title})


def reorder(actor: User, meeting: Meeting, item_ids: list[int]) -> None:
    """Put the agenda in the given order; the list must name every item exactly once. Items keep their day."""
    require(actor, "meetings.manage", meeting)
    by_id = {i.id: i for i in meeting.items}
    if sorted(item_ids) != sorted(by_id):
        raise MeetingError("The new order must list every agenda item once.", "order")
    for n, item_id in enumerate(item_ids, start=1):
        by_id[item_id].position = n
    from aocp.meetings import timetable
    timetable.check(meeting, meeting.items)
    timetable.renumber(meeting)
    meeting.agenda_changed_at = utcnow()
    db.session.flush()
    audit.record("agenda.reordered", actor, meeting, {"order": [i.id for i in meeting.items]})


def move(actor: User, item: AgendaItem, offset: int) -> None:
    """Move an item one place up (-1) or down (+1), across to the next day at either end of its day."""
    from aocp.meetings import timetable
    timetable.move(actor, item, offset)


def publish_agenda(actor: User, meeting: Meeting) -> None:
    from aocp.meetings import timetable
    timetable.publish(actor, meeting)


def attach_paper(actor: User, item: AgendaItem, doc: Document) -> None:
    """Attach a document the actor may open to an agenda item (it keeps its own access level)."""
    require(actor, "meetings.contribute", item.meeting)
    require(actor, "documents.view", doc)
    if any(p.document_id == doc.id for p in item.papers):
        return
    item.papers.append(AgendaPaper(document_id=doc.id))
    db.session.flush()
    audit.record("agenda.paper_attached", actor, item.meeting, {"item": item.id, "document": doc.id})


def detach_paper(actor: User, item: AgendaItem, doc_id: int) -> None:
    require(actor, "meetings.manage", item.meeting)
    item.papers = [p for p in item.papers if p.document_id != doc_id]
    db.session.flush()
    audit.record("agenda.paper_detached", actor, item.meeting, {"item": item.id, "document": doc_id})


# Participants

def invite(actor: User, meeting: Meeting, users: list[User]) -> int:
    require(actor, "meetings.manage", meeting)
    have = set(db.session.execute(select(Participant.user_id).where(Participant.meeting_id == meeting.id))
               .scalars())
    new = [u for u in users if u.id not in have and u.is_active]
    db.session.add_all(Participant(meeting_id=meeting.id, user_id=u.id) for u in new)
    db.session.flush()
    if new:
        audit.record("meeting.invited", actor, meeting, {"people": [u.id for u in new]})
        notices.meeting_invited(actor, meeting, new)
    return len(new)


def rsvp(actor: User, meeting: Meeting, answer: str) -> Participant:
    if answer not in RSVP or answer == "invited":
        raise MeetingError("Answer attending in person, online, or not attending.", "rsvp")
    part = db.session.execute(select(Participant).where(Participant.meeting_id == meeting.id,
                                                        Participant.user_id == actor.id)).scalar_one_or_none()
    if part is None:
        raise PermissionDenied("meetings.rsvp")
    part.rsvp, part.replied_at = answer, utcnow()
    audit.record("meeting.rsvp", actor, meeting, {"rsvp": answer})
    return part


def record_attendance(actor: User, meeting: Meeting, present_user_ids: set[int]) -> None:
    require(actor, "meetings.manage", meeting)
    parts = db.session.execute(select(Participant).where(Participant.meeting_id == meeting.id)).scalars()
    for p in parts:
        p.attended = p.user_id in present_user_ids
    audit.record("meeting.attendance", actor, meeting, {"present": sorted(present_user_ids)})


# Minutes

def minutes_of(meeting: Meeting) -> Minutes:
    minutes = db.session.execute(select(Minutes).where(Minutes.meeting_id == meeting.id)).scalar_one_or_none()
    if minutes is None:
        from aocp.meetings import timetable
        minutes = Minutes(meeting_id=meeting.id, body_md=timetable.minutes_outline(meeting), status="draft")
        db.session.add(minutes)
        db.session.flush()
    return minutes


def save_minutes(actor: User, meeting: Meeting, text: str, seen_version: int) -> Minutes:
    """Save the draft if nobody saved since `seen_version`; otherwise raise Conflict (never overwrite)."""
    require(actor, "meetings.manage", meeting)
    minutes = minutes_of(meeting)
    if minutes.status == "adopted":
        raise MeetingError("Adopted minutes are locked.")
    if len(text) > 500_000:
        raise MeetingError("Minutes are limited to 500,000 characters.", "body_md")
    if minutes.version != seen_version:
        raise Conflict(minutes)
    minutes.body_md, minutes.updated_by_id, minutes.updated_at = text, actor.id, utcnow()
    try:
        db.session.flush()  # version_id_col: a concurrent save between our read and this write fails here
    except StaleDataError:
        db.session.rollback()
        raise Conflict(minutes_of(meeting)) from None
    return minutes


def _freeze(actor: User, minutes: Minutes, status: str) -> None:
    minutes.status = status
    db.session.add(MinutesRevision(minutes_id=minutes.id, status=status, body_md=minutes.body_md,
                                   created_by_id=actor.id))


def circulate_minutes(actor: User, meeting: Meeting) -> Minutes:
    require(actor, "meetings.manage", meeting)
    minutes = minutes_of(meeting)
    if minutes.status == "adopted":
        raise MeetingError("Adopted minutes are locked.")
    if not minutes.body_md.strip():
        raise MeetingError("Write the minutes before circulating them.")
    _freeze(actor, minutes, "circulated")
    db.session.flush()
    audit.record("minutes.circulated", actor, meeting, {"version": minutes.version})
    notices.minutes_circulated(actor, meeting)
    return minutes


def adopt_minutes(actor: User, meeting: Meeting) -> Minutes:
    require(actor, "meetings.manage", meeting)
    minutes = minutes_of(meeting)
    if minutes.status != "circulated":
        raise MeetingError("Minutes are circulated for comments before they are adopted.")
    _freeze(actor, minutes, "adopted")
    minutes.adopted_at = utcnow()
    db.session.flush()
    audit.record("minutes.adopted", actor, meeting, {"version": minutes.version})
    return minutes


def comment_minutes(actor: User, meeting: Meeting, body: str) -> MinutesComment:
    require(actor, "meetings.contribute", meeting)
    minutes = minutes_of(meeting)
    if minutes.status != "circulated":
        raise MeetingError("Comments are taken while the minutes are circulated.")
    body = (body or "").strip()
    if not body or len(body) > 5000:
        raise MeetingError("A comment of 1 to 5,000 characters is required.", "body")
    comment = MinutesComment(minutes_id=minutes.id, author_id=actor.id, body=body)
    db.session.add(comment)
    db.session.flush()
    audit.record("minutes.commented", actor, meeting, {"comment": comment.id})
    return comment


# Decisions and action items

def _require_open_decisions(actor: User, meeting: Meeting) -> None:
    """Managers change decisions until the minutes holding them are adopted."""
    require(actor, "meetings.manage", meeting)
    if db.session.scalar(select(Minutes.status).where(Minutes.meeting_id == meeting.id)) == "adopted":
        raise MeetingError("The minutes are adopted: their decisions are part of the record and can no longer "
                           "change.")


def _decision_input(actor: User, meeting: Meeting, text: str, item: AgendaItem | None) -> str:
    """The decision's text, checked, for a meeting whose decisions may still change."""
    _require_open_decisions(actor, meeting)
    text = (text or "").strip()
    if not text or len(text) > 5000:
        raise MeetingError("A decision of 1 to 5,000 characters is required.", "text")
    if item is not None and item.meeting_id != meeting.id:
        raise MeetingError("That agenda item belongs to another meeting.", "agenda_item")
    return text


def add_decision(actor: User, meeting: Meeting, text: str, item: AgendaItem | None = None) -> Decision:
    text = _decision_input(actor, meeting, text, item)
    decision = Decision(meeting_id=meeting.id, agenda_item=item, text=text)
    db.session.add(decision)
    db.session.flush()
    audit.record("meeting.decision_added", actor, meeting, {"decision": decision.id})
    return decision


def update_decision(actor: User, decision: Decision, text: str, item: AgendaItem | None = None) -> Decision:
    """Correct a decision's wording or its agenda item; the audit keeps the wording it had."""
    meeting = db.session.get(Meeting, decision.meeting_id)
    text = _decision_input(actor, meeting, text, item)
    before = {"text": decision.text, "agenda_item": decision.agenda_item_id}
    decision.text, decision.agenda_item = text, item
    db.session.flush()
    after = {"text": text, "agenda_item": decision.agenda_item_id}
    audit.record("meeting.decision_updated", actor, meeting,
                 {"decision": decision.id, "before": before, "after": after})
    return decision


def remove_decision(actor: User, decision: Decision) -> None:
    """Remove a decision recorded by mistake; the audit keeps its wording."""
    meeting = db.session.get(Meeting, decision.meeting_id)
    _require_open_decisions(actor, meeting)
    audit.record("meeting.decision_removed", actor, meeting, {"decision": decision.id, "text": decision.text})
    db.session.delete(decision)
    db.session.flush()
