"""Meetings ahead: the meetings of the bodies a person may see in the next days, each with the person's reply,
their Member State's country report and the meeting's readiness; the list behind the home page's meeting panels.

`statement` is shared by the page and the panels so that a panel's count is its list's count.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import flash, render_template, request
from flask_login import current_user
from sqlalchemy import exists, false, select
from sqlalchemy.orm import joinedload

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.home.listing import rows_page
from aocp.meetings import bp, readiness
from aocp.meetings.access import visible_bodies_clause, visible_meetings_clause
from aocp.meetings.models import RSVP, Meeting, Participant
from aocp.meetings.views import page_arg, utc_today
from aocp.orgs.models import Body, Membership
from aocp.policy import guard

DAYS = 90  # "ahead" by default: the next three months
MAX_DAYS = 366


@dataclass
class Filters:
    days: int = DAYS
    body: Body | None = None
    below: bool = False  # only meetings whose readiness is below 100%


def statement(user: User, today: date, f: Filters):
    """(Meeting, expected, submitted, reply, mine_expected, mine_submitted) rows, soonest first: meetings not
    cancelled, not over, starting within `f.days`, of the bodies `user` may see."""
    expected, submitted = readiness.counts()
    reply = (select(Participant.rsvp).where(Participant.meeting_id == Meeting.id, Participant.user_id == user.id)
             .scalar_subquery())
    if user.org.kind == "member_state":
        in_body = exists().where(Membership.body_id == Meeting.body_id, Membership.user_id == User.id,
                                 User.org_id == user.org_id)
        mine = (in_body, readiness.reported(user.org_id))
    else:
        mine = (false(), false())
    stmt = (select(Meeting, expected, submitted, reply.label("reply"), mine[0].label("mine_expected"),
                   mine[1].label("mine_submitted"))
            .options(joinedload(Meeting.body))
            .where(visible_meetings_clause(user), Meeting.status != "cancelled",
                   Meeting.ends_on >= today, Meeting.starts_on <= today + timedelta(days=f.days))
            .order_by(Meeting.starts_on, Meeting.start_time, Meeting.id))
    if f.body is not None:
        stmt = stmt.where(Meeting.body_id == f.body.id)
    if f.below:
        stmt = stmt.where(expected.element > submitted.element)
    return stmt


def when(meeting: Meeting, zone: str) -> datetime | None:
    """The meeting's start in the time zone `zone` (the person's), or None when its clock cannot be read."""
    try:
        hours, minutes = (int(p) for p in meeting.start_time.split(":"))
        start = datetime.combine(meeting.starts_on, time(hours, minutes), tzinfo=ZoneInfo(meeting.timezone))
        return start.astimezone(ZoneInfo(zone or "UTC"))
    except (ValueError, KeyError):
        return None


def view_rows(user: User, rows) -> list[dict]:
    """What a row shows: the meeting, its start in the person's zone, readiness, the person's reply and state."""
    return [{"meeting": r.Meeting, "start": when(r.Meeting, user.timezone), "expected": r.expected,
             "submitted": r.submitted, "percent": readiness.percent(r.expected, r.submitted), "reply": r.reply,
             "mine": ("submitted" if r.mine_submitted else "missing") if r.mine_expected else None}
            for r in rows]


def _filters(args, bodies: list[Body]) -> Filters:
    """The page's filters; a value that names nothing is ignored with a message."""
    f = Filters()
    raw = args.get("days", "")
    if raw:
        if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_DAYS:
            f.days = int(raw)
        else:
            flash(f"Days ahead must be a whole number from 1 to {MAX_DAYS}; the filter was ignored.", "error")
    code = args.get("body", "").upper()[:16]
    if code:
        f.body = next((b for b in bodies if b.code == code), None)
        if f.body is None:
            flash("There is no workspace of that name you may see; the filter was ignored.", "error")
    raw = args.get("readiness", "")
    if raw not in ("", "below"):
        flash("Readiness is either any or below 100%; the filter was ignored.", "error")
    f.below = raw == "below"
    return f


@bp.get("/meetings/upcoming")
@guard("workspaces.view")
def upcoming():
    user = current_user._get_current_object()
    bodies = db.session.execute(select(Body).where(visible_bodies_clause(user, Body.id))
                                .order_by(Body.id)).scalars().all()
    f = _filters(request.args, bodies)
    page = rows_page(statement(user, utc_today(), f), page_arg())
    args = {k: v for k, v in {"days": f.days if f.days != DAYS else None, "body": f.body.code if f.body else None,
                              "readiness": "below" if f.below else None}.items() if v}
    return render_template("meetings/upcoming.html", page=page, rows=view_rows(user, page.items), filters=f,
                           args=args, bodies=bodies, rsvp_labels=RSVP,
                           max_days=MAX_DAYS, today=utc_today())
