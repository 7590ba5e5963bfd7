"""Daily reminders: papers due soon and overdue action items (sent by `flask --app app meetings remind`, in
meetings/cli.py).

Safe to run more than once a day: a person hears about one meeting's deadline or one overdue item at
most once per day (UTC).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings.models import ActionItem, Meeting
from aocp.notifications import meetings as hooks
from aocp.notifications.services import notified_today
from aocp.timeutil import utcnow


def remind_papers_due(days: int, today: date | None = None) -> int:
    """Remind participants of meetings whose paper deadline is within `days` days; returns the notifications made.

    Participants whose organisation has already submitted a paper to the meeting are not reminded.
    """
    today = today or utcnow().date()
    meetings = db.session.execute(select(Meeting).options(joinedload(Meeting.body)).where(
        Meeting.paper_deadline >= today, Meeting.paper_deadline <= today + timedelta(days=days),
        Meeting.status.in_(("planned", "confirmed")))).scalars().all()
    count = 0
    for meeting in meetings:
        done = set(db.session.execute(select(Document.org_id).where(
            Document.meeting_id == meeting.id, Document.deleted_at.is_(None))).scalars())
        already = notified_today("papers_due", meeting)
        people = [u for u in hooks.participants(meeting) if u.org_id not in done and u.id not in already]
        if people:
            count += len(hooks.papers_due(meeting, people))
    return count


def remind_overdue_actions(today: date | None = None) -> int:
    """Tell the owners of open action items past their due date; returns the notifications made."""
    today = today or utcnow().date()
    items = db.session.execute(select(ActionItem).options(joinedload(ActionItem.body)).where(
        ActionItem.status.in_(("open", "in_progress")), ActionItem.due_on < today)).scalars().all()
    count = 0
    for item in items:
        already = notified_today("action_overdue", item)
        people = [u for u in hooks.action_owners(item) if u.id not in already]
        if people:
            count += len(hooks.action_overdue(item, people, today))
    return count
