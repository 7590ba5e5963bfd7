"""The calendar pages: every meeting the person may see, as a month and as a list, filtered by body.

A meeting is shown on each day it spans. The month is a grid of weeks (Monday first) with today marked; on a
phone the same page shows it as a list of the days that have meetings (the stylesheet picks one). Both views read
the bodies for the filter and the meetings in one statement each, whatever the number of meetings. The private
iCalendar feed (calendar.py) has its own page, linked from both. A filter value that names nothing is ignored
with a message.
"""
from __future__ import annotations

import calendar as cal
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import flash, render_template, request
from flask_login import current_user
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from aocp.extensions import db
from aocp.meetings import bp
from aocp.meetings.access import visible_bodies_clause, visible_meetings_clause
from aocp.meetings.models import Meeting
from aocp.meetings.views import page_arg
from aocp.orgs.models import Body
from aocp.policy import guard

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR, LAST_YEAR = 1970, 2100
GRID_LIMIT = 1000  # meetings drawn in one month's grid: far more than any real month holds
PER_PAGE = 25
_WEEKS = cal.Calendar(firstweekday=0)


def today_for(user) -> date:
    """Today's date where the person is (their time zone), which the grid marks."""
    try:
        zone = ZoneInfo(user.timezone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.now(zone).date()


def _month_arg(today: date) -> date:
    """The first day of the asked month (?month=YYYY-MM), or of this month if none or a bad one is asked."""
    raw = request.args.get("month", "")
    match = MONTH.match(raw) if raw.isascii() else None
    if match and FIRST_YEAR <= int(match[1]) <= LAST_YEAR and 1 <= int(match[2]) <= 12:
        return date(int(match[1]), int(match[2]), 1)
    if raw:
        flash("Months are written YYYY-MM (for example 2026-11); this month is shown instead.", "error")
    return today.replace(day=1)


def _visible_bodies(user) -> list[Body]:
    return db.session.execute(select(Body).where(visible_bodies_clause(user, Body.id))
                              .order_by(Body.id)).scalars().all()


def _body_arg(bodies: list[Body]) -> Body | None:
    """The body asked for (?body=CODE) among those the person may see; any other value is ignored, said so."""
    code = request.args.get("body", "").strip().upper()[:16]
    if not code:
        return None
    body = next((b for b in bodies if b.code == code), None)
    if body is None:
        flash("There is no workspace of that name you may see; the filter was ignored.", "error")
    return body


def visible_meetings(user, body: Body | None = None):
    """Meetings of the bodies the person may see and those they are a guest of (of one body, if `body`), with
    their body and host."""
    stmt = (select(Meeting).options(joinedload(Meeting.body), joinedload(Meeting.host))
            .where(visible_meetings_clause(user)))
    return stmt.where(Meeting.body_id == body.id) if body is not None else stmt


@dataclass
class Day:
    day: date
    meetings: list[Meeting]
    in_month: bool
    today: bool


def month_weeks(first: date, meetings: list[Meeting], today: date) -> list[list[Day]]:
    """The month's weeks, each a list of seven days with the meetings held on each (a meeting on every day of it)."""
    weeks = _WEEKS.monthdatescalendar(first.year, first.month)
    by_day: dict[date, list[Meeting]] = {}
    start, end = weeks[0][0], weeks[-1][-1]
    for meeting in meetings:
        day = max(meeting.starts_on, start)
        while day <= min(meeting.ends_on, end):
            by_day.setdefault(day, []).append(meeting)
            day += timedelta(days=1)
    return [[Day(d, by_day.get(d, []), d.month == first.month, d == today) for d in week] for week in weeks]


def _neighbours(first: date) -> tuple[date | None, date | None]:
    before = (first - timedelta(days=1)).replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    return before if before.year >= FIRST_YEAR else None, after if after.year <= LAST_YEAR else None


@bp.get("/calendar")
@guard("workspaces.view")
def calendar_month():
    today = today_for(current_user)
    first = _month_arg(today)
    bodies = _visible_bodies(current_user)
    body = _body_arg(bodies)
    weeks = _WEEKS.monthdatescalendar(first.year, first.month)
    meetings = db.session.execute(
        visible_meetings(current_user, body)
        .where(Meeting.starts_on <= weeks[-1][-1], Meeting.ends_on >= weeks[0][0])
        .order_by(Meeting.starts_on, Meeting.start_time, Meeting.id).limit(GRID_LIMIT)).scalars().all()
    grid = month_weeks(first, meetings, today)
    days = [d for week in grid for d in week if d.in_month and d.meetings]
    previous, following = _neighbours(first)
    args = {"body": body.code} if body else {}
    return render_template("meetings/calendar_month.html", first=first, weeks=grid, days=days, today=today,
                           bodies=bodies, body=body, args=args, previous=previous, following=following,
                           this_month=f"{today:%Y-%m}", weekdays=[cal.day_abbr[i] for i in range(7)])


@bp.get("/calendar/list")
@guard("workspaces.view")
def calendar_list():
    """Upcoming meetings first (soonest first), then past ones (latest first), a page at a time."""
    today = today_for(current_user)
    bodies = _visible_bodies(current_user)
    body = _body_arg(bodies)
    past = case((Meeting.ends_on < today, 1), else_=0)
    stmt = visible_meetings(current_user, body).order_by(
        past, case((Meeting.ends_on >= today, Meeting.starts_on)), Meeting.starts_on.desc(), Meeting.id)
    page = db.paginate(stmt, page=page_arg(), per_page=PER_PAGE, error_out=False)
    args = {"body": body.code} if body else {}
    return render_template("meetings/calendar_list.html", page=page, today=today, bodies=bodies, body=body,
                           args=args)

