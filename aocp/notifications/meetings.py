"""What meeting events tell whom: the calls the meeting services make into `notify`.

Links go to the meeting pages that the meetings blueprint declares (found in the app's url_map, so they
follow those pages wherever they live); with no such page the link is AOCP's home page.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone

from flask import current_app
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.meetings.models import ActionItem, Meeting, Participant
from aocp.notifications.emails import url_for_path, zone
from aocp.notifications.services import notify
from aocp.orgs.models import Membership

_MEETING_ARGS = ("meeting_id",)
_BODY_ARGS = ("code", "body_code")


def _page(arguments: tuple[str, ...], value, hint: str = "") -> str | None:
    """The shortest GET page of the meetings blueprint that takes one of `arguments` (with `hint` in its path
    when such a page exists); files such as .ics or exports are not pages."""
    rules = [r for r in current_app.url_map.iter_rules()
             if r.endpoint.startswith("meetings.") and "GET" in r.methods and len(r.arguments) == 1
             and next(iter(r.arguments)) in arguments and "." not in r.rule.rsplit("/", 1)[-1]
             and "export" not in r.rule]
    if hint:
        rules = [r for r in rules if hint in r.rule] or rules
    if not rules:
        return None
    rule = min(rules, key=lambda r: (len(r.rule), r.rule))
    return url_for_path(rule.endpoint, **{next(iter(rule.arguments)): value})


def meeting_url(meeting: Meeting, hint: str = "") -> str:
    return _page(_MEETING_ARGS, meeting.id, hint) or _page(_BODY_ARGS, meeting.body.code) or "/"


def action_url(item: ActionItem) -> str:
    return (_page(_BODY_ARGS, item.body.code, "action") if not item.meeting else
            _page(_MEETING_ARGS, item.meeting_id, "action")) or _page(_BODY_ARGS, item.body.code) or "/"


def starts_at(meeting: Meeting) -> datetime:
    """The meeting's start as naive UTC (its date and start time are local to its own time zone)."""
    hours, minutes = (int(x) for x in (meeting.start_time or "09:00").split(":"))
    local = datetime.combine(meeting.starts_on, time(hours, minutes), tzinfo=zone(meeting.timezone))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _dates(meeting: Meeting) -> str:
    if meeting.ends_on == meeting.starts_on:
        return f"{meeting.starts_on:%d %b %Y}"
    return f"{meeting.starts_on:%d %b} to {meeting.ends_on:%d %b %Y}"


def _where(meeting: Meeting) -> str:
    place = ", ".join(p for p in (meeting.venue, meeting.host.name if meeting.host else "") if p)
    return " and ".join(p for p in (place, "online" if meeting.online_url else "") if p) or "place to be announced"


def participants(meeting: Meeting, members_only: bool = False) -> list[User]:
    """Everyone invited to the meeting who has not declined (`members_only`: not its guests, who never see the
    minutes)."""
    stmt = (select(User).join(Participant, Participant.user_id == User.id)
            .where(Participant.meeting_id == meeting.id, Participant.rsvp != "not_attending"))
    if members_only:
        stmt = stmt.where(Participant.role == "member")
    return list(db.session.execute(stmt).scalars())


def action_owners(item: ActionItem) -> list[User]:
    """The person who owns an action item, or the focal persons of the owning Member State in its body."""
    if item.owner_user is not None:
        return [item.owner_user]
    if item.owner_org_id is None:
        return []
    return list(db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(User.org_id == item.owner_org_id, User.role == "focal_person",
               Membership.body_id == item.body_id)).scalars())


def meeting_invited(actor: User | None, meeting: Meeting, people: list[User]) -> None:
    notify("meeting_invited", actor, meeting, people, f"You are invited to the {meeting.title}",
           meeting_url(meeting), f"{_dates(meeting)}, {_where(meeting)}.", when=starts_at(meeting))


def agenda_published(actor: User | None, meeting: Meeting, again: bool = False) -> None:
    """Once per publication: publishing again after changes tells the participants once, whatever the edits."""
    title = f"Agenda {'changed' if again else 'published'}: {meeting.title}"
    text = (f"The agenda changed since it was last published; {len(meeting.items)} agenda items." if again
            else f"{len(meeting.items)} agenda items.")
    notify("agenda_published", actor, meeting, participants(meeting), title, meeting_url(meeting, "agenda"), text,
           when=starts_at(meeting))


def minutes_circulated(actor: User | None, meeting: Meeting) -> None:
    notify("minutes_circulated", actor, meeting, participants(meeting, members_only=True),
           f"Minutes circulated for comments: {meeting.title}", meeting_url(meeting, "minutes"),
           "The draft minutes are open for your comments.")


def action_assigned(actor: User | None, item: ActionItem) -> None:
    due = f" Due {item.due_on:%d %b %Y}." if item.due_on else ""
    owner = item.owner_user.name if item.owner_user else (item.owner_org.name if item.owner_org else "")
    notify("action_assigned", actor, item, action_owners(item), f"Action item assigned: {item.title}",
           action_url(item), f"Owner: {owner}, {item.body.short_name}.{due}")


def papers_due(meeting: Meeting, people: list[User]) -> list:
    return notify("papers_due", None, meeting, people, f"Papers due {meeting.paper_deadline:%d %b %Y}: {meeting.title}",
           meeting_url(meeting, "agenda"), "Submit your papers and country report before the deadline.",
           when=starts_at(meeting))


def action_overdue(item: ActionItem, people: list[User], today: date) -> list:
    days = (today - item.due_on).days
    return notify("action_overdue", None, item, people, f"Overdue since {item.due_on:%d %b %Y}: {item.title}",
           action_url(item), f"{days} day{'s' if days != 1 else ''} past its due date in {item.body.short_name}.")
