"""Who may do what in a body's workspace: it follows body membership (the policy's object rules call these).

ASEC sees and manages every workspace. A body's chair and vice-chair manage it; its members contribute
(papers, replies, comments, their own action items); its observers read. Everyone else sees nothing of it.
Objects may be a Body, a Meeting or an ActionItem; a meeting and an action item inherit from their body.

Guests, resource persons and secretariat officers invited from outside the body to ONE meeting (a participant
whose role is not "member") attend that meeting only (`can_attend`): its published agenda and the papers the chair
shared with guests (`guest_papers`). They see nothing else of the body: not its workspace, not its other meetings,
not the meeting's readiness, participants, minutes or action items (`can_view` stays with the body's members).
"""
from __future__ import annotations

from sqlalchemy import and_, exists, or_, select, true

from aocp.accounts.models import ASEC_ROLES
from aocp.meetings.models import GUEST_ROLES, ActionItem, AgendaItem, AgendaPaper, Meeting, Participant
from aocp.orgs.models import Membership

MANAGERS = ("chair", "vice_chair")
CONTRIBUTORS = ("chair", "vice_chair", "member")


def body_id_of(obj) -> int | None:
    """The body an object belongs to (Body, Meeting, ActionItem or anything with body_id)."""
    if obj is None:
        return None
    if obj.__class__.__name__ == "Body":
        return obj.id
    return getattr(obj, "body_id", None)


def body_role(user, obj) -> str | None:
    body_id = body_id_of(obj)
    return user.body_role(body_id) if body_id is not None else None


def can_view(user, obj) -> bool:
    return user.role in ASEC_ROLES or body_role(user, obj) is not None


def can_contribute(user, obj) -> bool:
    return user.role in ASEC_ROLES or (body_role(user, obj) in CONTRIBUTORS and user.role != "observer")


def can_manage(user, obj) -> bool:
    return user.role in ASEC_ROLES or (body_role(user, obj) in MANAGERS and user.role != "observer")


def can_update_action(user, item) -> bool:
    """Managers of the body, the person who owns the item, or a focal person of the Member State that owns it."""
    if can_manage(user, item):
        return True
    if getattr(item, "owner_user_id", None) == user.id:
        return True
    return (getattr(item, "owner_org_id", None) == user.org_id and user.role == "focal_person"
            and can_view(user, item))


def visible_bodies_clause(user, body_id_column):
    """SQL: rows whose body the user may see (for lists of meetings and action items)."""
    if user.role in ASEC_ROLES:
        return true()
    return body_id_column.in_(select(Membership.body_id).where(Membership.user_id == user.id))


def owned_clause(user):
    """SQL: action items owned by the user or by their organisation (their Member State): "my action items"."""
    return or_(ActionItem.owner_user_id == user.id, ActionItem.owner_org_id == user.org_id)


def guest_role(user, meeting) -> str | None:
    """The role of `user` as a guest of `meeting` (guest, resource person, secretariat), or None."""
    if meeting is None or not isinstance(meeting, Meeting):
        return None
    from aocp.extensions import db

    return db.session.execute(select(Participant.role).where(
        Participant.meeting_id == meeting.id, Participant.user_id == user.id,
        Participant.role.in_(GUEST_ROLES))).scalar_one_or_none()


def can_attend(user, meeting) -> bool:
    """See the meeting's guest page: the body's members and ASEC (who see all of it), and its own guests."""
    return can_view(user, meeting) or guest_role(user, meeting) is not None


def guest_meetings(user):
    """SQL: ids of the meetings `user` is a guest of."""
    return select(Participant.meeting_id).where(Participant.user_id == user.id, Participant.role.in_(GUEST_ROLES))


def visible_meetings_clause(user):
    """SQL on Meeting: the meetings a person finds in lists (meetings ahead, calendars): those of the bodies they
    may see, and those they are a guest of."""
    if user.role in ASEC_ROLES:
        return true()
    return or_(visible_bodies_clause(user, Meeting.body_id), Meeting.id.in_(guest_meetings(user)))


def guest_papers(user, document_id_column):
    """SQL: the document is shared with the guests of a meeting whose agenda is published and that `user` is a
    guest of (the documents' access rule adds this for guests)."""
    return exists().where(
        AgendaPaper.document_id == document_id_column, AgendaPaper.for_guests.is_(True),
        AgendaItem.id == AgendaPaper.agenda_item_id, Meeting.id == AgendaItem.meeting_id,
        Meeting.agenda_published_at.is_not(None), Participant.meeting_id == Meeting.id,
        and_(Participant.user_id == user.id, Participant.role.in_(GUEST_ROLES)))
