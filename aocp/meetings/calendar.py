"""Calendars: an .ics file per meeting, and a private feed URL per person for calendar apps.

A calendar app cannot sign in, so the feed URL itself is the secret: 256 random bits, shown once, stored
only as a SHA-256 hash. Resetting the link replaces the hash (the old URL answers 404); turning it off
deletes it. The feed answers for its owner as they are now: deactivated people get nothing, and only
meetings of workspaces they may see today are listed.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, time, timedelta, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from icalendar import Calendar, Event
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload, selectinload

from aocp import audit
from aocp.accounts.models import User
from aocp.accounts.services import external_url
from aocp.extensions import db
from aocp.meetings import bp
from aocp.meetings.access import visible_meetings_clause
from aocp.meetings.loading import load_attended
from aocp.meetings.models import CalendarFeed, Meeting
from aocp.policy import guard, public
from aocp.timeutil import utcnow

# An event ends at the meeting's end time on its last day (this one when the end time cannot be read).
END_OF_DAY = time(17, 0)
FEED_LIMIT = 500  # the most recent meetings a feed lists
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
STATUS = {"planned": "TENTATIVE", "confirmed": "CONFIRMED", "held": "CONFIRMED", "cancelled": "CANCELLED"}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def meeting_times(meeting: Meeting) -> tuple[datetime, datetime]:
    """Start and end as aware datetimes in the meeting's own time zone."""
    tz = ZoneInfo(meeting.timezone)
    hours, minutes = (int(part) for part in meeting.start_time.split(":"))
    start = datetime.combine(meeting.starts_on, time(hours, minutes), tzinfo=tz)
    try:
        hours, minutes = (int(p) for p in (meeting.end_time or "").split(":"))
        end_of_day = time(hours, minutes)
    except ValueError:
        end_of_day = END_OF_DAY
    end = datetime.combine(meeting.ends_on, end_of_day, tzinfo=tz)
    return start, end if end > start else start + timedelta(hours=2)


def _event(meeting: Meeting, stamp: datetime) -> Event:
    start, end = meeting_times(meeting)
    event = Event()
    host = urlsplit(current_app.config.get("SITE_URL") or "http://aocp.local").hostname or "aocp.local"
    event.add("uid", f"meeting-{meeting.id}@{host}")
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", meeting.title)
    location = meeting.venue or meeting.online_url
    if location:
        event.add("location", location)
    if meeting.online_url:
        event.add("url", meeting.online_url)
    lines = [meeting.body.name]
    if meeting.host:
        lines.append(f"Host: {meeting.host.name}")
    if meeting.online_url and meeting.venue:
        lines.append(f"Online: {meeting.online_url}")
    page = url_for("meetings.meeting", meeting_id=meeting.id)
    lines.append(f"On AOCP: {current_app.config.get('SITE_URL', '').rstrip('/')}{page}")
    event.add("description", "\n".join(lines))
    event.add("status", STATUS.get(meeting.status, "TENTATIVE"))
    return event


def to_ical(meetings: list[Meeting], name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//ASEAN Secretariat//AOCP//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    stamp = datetime.now(timezone.utc).replace(microsecond=0)
    for meeting in meetings:
        cal.add_component(_event(meeting, stamp))
    cal.add_missing_timezones()  # a VTIMEZONE for every TZID the events use
    return cal.to_ical()


def _ics(data: bytes, filename: str | None = None) -> Response:
    response = Response(data, mimetype="text/calendar")
    response.charset = "utf-8"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/meetings/<int:meeting_id>.ics")
@guard("workspaces.view")
def meeting_ics(meeting_id: int):
    meeting = load_attended(meeting_id)  # its guests too
    slug = re.sub(r"[^A-Za-z0-9]+", "-", meeting.title).strip("-")
    return _ics(to_ical([meeting], meeting.title), f"{slug}.ics")


# The private feed

def _feed_of(user: User) -> CalendarFeed | None:
    return db.session.execute(select(CalendarFeed).where(CalendarFeed.user_id == user.id)).scalar_one_or_none()


@bp.get("/calendar/feed-link")
@guard("workspaces.view")
def calendar_settings():
    return render_template("meetings/calendar.html", feed=_feed_of(current_user), feed_url=None)


def make_link(user: User) -> tuple[CalendarFeed, str, bool]:
    """Create the person's feed link, or replace it (the old one stops working at once): the feed, the new
    secret (never stored, shown once) and whether an old link was replaced. The caller commits."""
    token = secrets.token_urlsafe(32)
    feed = _feed_of(user)
    replaced = feed is not None
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        db.session.add(feed)
    feed.token_hash, feed.created_at = hash_token(token), utcnow()
    db.session.flush()
    audit.record("calendar.link_reset" if replaced else "calendar.link_created", user, feed)
    return feed, token, replaced


def delete_link(user: User) -> bool:
    """Turn the person's feed link off; False when they had none. The caller commits."""
    deleted = db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id)).rowcount
    if deleted:
        audit.record("calendar.link_deleted", user, user)
    return bool(deleted)


def feed_of(user: User) -> CalendarFeed | None:
    return _feed_of(user)


@bp.post("/calendar/link")
@guard("workspaces.view")
def calendar_link():
    """Create the feed link, or replace it (the old one stops working at once). The new URL is shown once."""
    feed, token, replaced = make_link(current_user)
    db.session.commit()
    flash("Your old calendar link no longer works." if replaced else "Your calendar link is ready.", "success")
    return render_template("meetings/calendar.html", feed=feed,
                           feed_url=external_url("meetings.calendar_feed", token=token))


@bp.post("/calendar/link/delete")
@guard("workspaces.view")
def calendar_link_delete():
    deleted = delete_link(current_user)
    db.session.commit()
    flash("Your calendar link is turned off." if deleted else "You had no calendar link.", "success")
    return redirect(url_for(".calendar_settings"))


def _link_invalid():
    return render_template("errors/error.html", status=404, title="Calendar link not valid",
                           message="This calendar link does not work: it was reset or turned off, or its owner "
                                   "no longer has an account. Create a new link on your Calendar page in AOCP."), 404


@bp.get("/calendar/feed/<token>.ics")
@public
def calendar_feed(token: str):
    """Every meeting the link's owner may see now (restricted ones included); nothing else, and no session."""
    if not TOKEN.match(token):
        return _link_invalid()
    feed = db.session.execute(select(CalendarFeed).options(joinedload(CalendarFeed.user))
                              .where(CalendarFeed.token_hash == hash_token(token))).scalar_one_or_none()
    if feed is None or not feed.user.is_active:
        return _link_invalid()
    user = feed.user
    meetings = db.session.execute(
        select(Meeting).options(selectinload(Meeting.body), selectinload(Meeting.host))
        .where(visible_meetings_clause(user))
        .order_by(Meeting.starts_on.desc(), Meeting.id.desc()).limit(FEED_LIMIT)).scalars().all()
    return _ics(to_ical(meetings, f"AOCP meetings — {user.name}"))
