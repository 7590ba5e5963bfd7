"""The meeting timetable: items follow one another on their day from the meeting's start time, unless an item has a
fixed start; each day's end and the total are computed; items are numbered 1, 2... and a session heading numbers
the items under it (1, 1.1, 1.2); breaks have no number. Times are the venue's clock (the meeting's time zone).

Changes are checked here before they are kept (services commit nothing): a fixed start that overlaps the item
before, a duration out of range, a day outside the meeting. Publishing keeps a frozen copy (AgendaVersion);
later changes are marked "changed since published" until the next publication, which tells the members once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from aocp import audit
from aocp.extensions import db
from aocp.meetings.models import ITEM_KINDS, AgendaItem, AgendaVersion, Meeting
from aocp.meetings.services import TIME, MeetingError, require
from aocp.notifications import meetings as notices
from aocp.timeutil import utcnow

MAX_DAYS = 5
MAX_DURATION = 600  # minutes: ten hours


def minutes_of(hhmm: str | None, default: int = 9 * 60) -> int:
    if not hhmm or not TIME.match(hhmm):
        return default
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}" if minutes < 24 * 60 else f"{minutes // 60 - 24:02d}:" \
        f"{minutes % 60:02d} (+1)"


def day_count(meeting: Meeting) -> int:
    return (meeting.ends_on - meeting.starts_on).days + 1


@dataclass
class Row:
    item: AgendaItem
    number: str
    start: int  # minutes since the day's midnight, venue time
    end: int
    at: datetime  # the start, aware, in the meeting's time zone

    @property
    def start_text(self) -> str:
        return hhmm(self.start)

    @property
    def end_text(self) -> str:
        return hhmm(self.end)


@dataclass
class Day:
    number: int
    on: date
    start: int
    end: int
    rows: list[Row] = field(default_factory=list)
    over: bool = False  # runs past the meeting's end time

    @property
    def start_text(self) -> str:
        return hhmm(self.start)

    @property
    def end_text(self) -> str:
        return hhmm(self.end)


@dataclass
class Plan:
    days: list[Day]
    total: int  # minutes of items and breaks
    problems: list[str]

    @property
    def rows(self) -> list[Row]:
        return [r for d in self.days for r in d.rows]

    def numbers(self) -> dict[int, str]:
        return {r.item.id: r.number for r in self.rows}


def ordered(items) -> list[AgendaItem]:
    return sorted(items, key=lambda i: (i.day or 1, i.position, i.id or 0))


def _numbers(items: list[AgendaItem]) -> list[str]:
    """1, 2... for items; a session heading numbers the items after it (1.1, 1.2) until the next heading or the
    end of its day; breaks have no number."""
    top, sub, in_session, day, out = 0, 0, False, None, []
    for item in items:
        if item.day != day:
            in_session, day = False, item.day
        if item.kind == "break":
            out.append("")
        elif item.kind == "session":
            top, sub, in_session = top + 1, 0, True
            out.append(str(top))
        elif in_session:
            sub += 1
            out.append(f"{top}.{sub}")
        else:
            top += 1
            out.append(str(top))
    return out


def build(meeting: Meeting, items) -> Plan:
    """The timetable of these items (the meeting's, in any order) with everything computed, and its problems."""
    items = ordered(items)
    zone = _zone(meeting)
    first, last = minutes_of(meeting.start_time), minutes_of(meeting.end_time, 17 * 60)
    days = [Day(n, meeting.starts_on + timedelta(days=n - 1), first, first) for n in range(1, day_count(meeting) + 1)]
    problems, total = [], 0
    for item, number in zip(items, _numbers(items)):
        if not 1 <= (item.day or 1) <= len(days):
            problems.append(f"“{item.title}” is on day {item.day}; the meeting lasts {len(days)} "
                            f"day{'s' if len(days) > 1 else ''}.")
            continue
        day = days[(item.day or 1) - 1]
        start = day.end
        if item.fixed_start:
            fixed = minutes_of(item.fixed_start)
            if fixed < day.end:
                before = day.rows[-1].item.title if day.rows else "the start of the day"
                problems.append(f"“{item.title}” is fixed at {item.fixed_start}, before {before} ends at "
                                f"{hhmm(day.end)}: the times overlap.")
            start = max(fixed, day.end) if day.rows else fixed
        duration = 0 if item.kind == "session" else item.duration_minutes
        total += duration
        moment = datetime.combine(day.on, time(0), tzinfo=zone) + timedelta(minutes=start)
        day.rows.append(Row(item, number, start, start + duration, moment))
        day.end = start + duration
        day.start = day.rows[0].start
    for day in days:
        day.over = day.end > last
    return Plan(days, total, problems)


def _zone(meeting: Meeting) -> ZoneInfo:
    try:
        return ZoneInfo(meeting.timezone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


# Checking and changing

@dataclass
class ItemDetails:
    title: str
    presenter: str = ""
    duration: int = 15
    notes: str = ""
    kind: str = "item"
    day: int = 1
    fixed_start: str | None = None


def clean(meeting: Meeting, d: ItemDetails) -> ItemDetails:
    """The details tidied, or MeetingError naming the field."""
    title = " ".join((d.title or "").split())
    if not title or len(title) > 300:
        raise MeetingError("An agenda item needs a title of 1 to 300 characters.", "title")
    if d.kind not in ITEM_KINDS:
        raise MeetingError("Choose an item, a break or a session heading.", "kind")
    duration = 0 if d.kind == "session" else d.duration
    if d.kind != "session" and not (isinstance(duration, int) and 0 < duration <= MAX_DURATION):
        raise MeetingError(f"A duration between 1 and {MAX_DURATION} minutes.", "duration_minutes")
    days = day_count(meeting)
    if not (isinstance(d.day, int) and 1 <= d.day <= days):
        raise MeetingError(f"Choose a day from 1 to {days}: the meeting lasts {days} day{'s' if days > 1 else ''}.",
                           "day")
    fixed = (d.fixed_start or "").strip() or None
    if fixed and not TIME.match(fixed):
        raise MeetingError("Give the start time as HH:MM, e.g. 13:30, or leave it empty.", "fixed_start")
    return ItemDetails(title, (d.presenter or "").strip()[:200], duration, (d.notes or "").strip(), d.kind, d.day,
                       fixed)


def check(meeting: Meeting, items) -> None:
    """MeetingError when the timetable does not hold together (overlapping times, an item past the last day)."""
    problems = build(meeting, items).problems
    if problems:
        raise MeetingError(problems[0], "fixed_start")


def touch(meeting: Meeting) -> None:
    meeting.agenda_changed_at = utcnow()


def renumber(meeting: Meeting) -> None:
    """Positions follow the days: 1..n in (day, position) order."""
    for n, item in enumerate(ordered(meeting.items), start=1):
        item.position = n
    meeting.items.sort(key=lambda i: i.position)


def _apply(item: AgendaItem, d: ItemDetails) -> None:
    item.title, item.presenter, item.duration_minutes, item.notes = d.title, d.presenter, d.duration, d.notes
    item.kind, item.day, item.fixed_start = d.kind, d.day, d.fixed_start


def add(actor, meeting: Meeting, d: ItemDetails) -> AgendaItem:
    require(actor, "meetings.manage", meeting)
    d = clean(meeting, d)
    item = AgendaItem(position=10_000)  # the last of its day
    _apply(item, d)
    meeting.items.append(item)
    check(meeting, meeting.items)
    renumber(meeting)
    touch(meeting)
    db.session.flush()
    audit.record("agenda.item_added", actor, meeting, {"item": item.id, "title": d.title})
    return item


def update(actor, item: AgendaItem, d: ItemDetails) -> AgendaItem:
    """Change an item in place (its papers stay attached); nothing is kept when the timetable would not hold."""
    meeting = item.meeting
    require(actor, "meetings.manage", meeting)
    d = clean(meeting, d)
    before = {"title": item.title, "duration": item.duration_minutes, "day": item.day, "start": item.fixed_start}
    _apply(item, d)
    check(meeting, meeting.items)
    renumber(meeting)
    touch(meeting)
    db.session.flush()
    audit.record("agenda.item_changed", actor, meeting, {"item": item.id, "before": before})
    return item


def move(actor, item: AgendaItem, offset: int) -> None:
    """One place up (-1) or down (+1); past the first or last item of its day, to the day before or after."""
    meeting = item.meeting
    require(actor, "meetings.manage", meeting)
    same_day = [i for i in ordered(meeting.items) if i.day == item.day]
    at = same_day.index(item)
    to = at + offset
    if 0 <= to < len(same_day):
        other = same_day[to]
        item.position, other.position = other.position, item.position
    elif 1 <= item.day + offset <= day_count(meeting):
        item.day += offset
        item.position = -1 if offset > 0 else 10_000
    check(meeting, meeting.items)
    renumber(meeting)
    touch(meeting)
    db.session.flush()
    audit.record("agenda.reordered", actor, meeting, {"order": [i.id for i in meeting.items]})


# Publishing

def latest_version(meeting: Meeting) -> AgendaVersion | None:
    return db.session.execute(select(AgendaVersion).where(AgendaVersion.meeting_id == meeting.id)
                              .order_by(AgendaVersion.number.desc()).limit(1)).scalar_one_or_none()


def changed_since_published(meeting: Meeting) -> bool:
    return bool(meeting.agenda_published_at and meeting.agenda_changed_at
                and meeting.agenda_changed_at > meeting.agenda_published_at)


def snapshot(plan: Plan) -> list[dict]:
    return [{"id": r.item.id, "number": r.number, "kind": r.item.kind, "title": r.item.title,
             "presenter": r.item.presenter, "day": r.item.day, "start": r.start_text, "end": r.end_text,
             "duration_minutes": r.item.duration_minutes if r.item.kind != "session" else 0} for r in plan.rows]


def changed_items(plan: Plan, version: AgendaVersion | None) -> set[int]:
    """The items added or changed since `version` was published."""
    if version is None:
        return set()
    before = {row["id"]: row for row in version.items}
    now = {row["id"]: row for row in snapshot(plan)}
    return {i for i, row in now.items() if before.get(i) != row}


def publish(actor, meeting: Meeting) -> AgendaVersion:
    """Keep a frozen copy and tell the participants once; publishing again without a change is refused."""
    require(actor, "meetings.manage", meeting)
    if not meeting.items:
        raise MeetingError("Add at least one agenda item before publishing.")
    if meeting.agenda_published_at and not changed_since_published(meeting):
        raise MeetingError("Nothing has changed since the agenda was published; the members have it already.")
    plan = build(meeting, meeting.items)
    if plan.problems:
        raise MeetingError(plan.problems[0])
    number = (db.session.execute(select(func.max(AgendaVersion.number))
                                 .where(AgendaVersion.meeting_id == meeting.id)).scalar() or 0) + 1
    version = AgendaVersion(meeting_id=meeting.id, number=number, items=snapshot(plan), published_by_id=actor.id)
    db.session.add(version)
    again = meeting.agenda_published_at is not None
    meeting.agenda_published_at = utcnow()
    db.session.flush()
    audit.record("agenda.published", actor, meeting, {"items": len(meeting.items), "version": number})
    notices.agenda_published(actor, meeting, again=again)
    return version


def minutes_outline(meeting: Meeting, items=None) -> str:
    """The start of a new minutes draft: a numbered heading per agenda item (breaks left out)."""
    lines = []
    for row in build(meeting, meeting.items if items is None else items).rows:
        if row.item.kind == "break":
            continue
        level = "###" if "." in row.number else "##"
        lines.append(f"{level} {row.number} {row.item.title}\n\n")
    return "".join(lines)
