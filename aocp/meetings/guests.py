"""Guests and resource persons: people from outside a body invited to ONE of its meetings, with a role (guest,
resource person, secretariat), and the agenda papers the chair shares with them. One set of services for the
pages (guest_pages.py) and the API; the access rule is in access.py (`can_attend`, `guest_papers`)."""
from __future__ import annotations

from sqlalchemy import select

from aocp import audit
from aocp.accounts.models import User
from aocp.extensions import db
from aocp.meetings.access import can_view
from aocp.meetings.models import GUEST_ROLES, PARTICIPANT_ROLES, AgendaItem, AgendaPaper, Meeting, Participant
from aocp.meetings.services import MeetingError, require
from aocp.notifications import meetings as notices
from aocp.orgs.models import Organisation


def guests(meeting: Meeting) -> list:
    """(user_id, name, org_code, org_name, role, rsvp) of the meeting's guests, by name."""
    return db.session.execute(
        select(Participant.user_id, User.name, Organisation.code.label("org_code"),
               Organisation.name.label("org_name"), Participant.role, Participant.rsvp)
        .join(User, User.id == Participant.user_id).join(Organisation, Organisation.id == User.org_id)
        .where(Participant.meeting_id == meeting.id, Participant.role.in_(GUEST_ROLES))
        .order_by(User.name, User.id)).all()


def invite_guest(actor: User, meeting: Meeting, person: User, role: str) -> Participant:
    """Invite `person` to this meeting only, as `role`; a member of the body is invited as a member instead
    (the meeting page's invitation)."""
    require(actor, "meetings.manage", meeting)
    if role not in GUEST_ROLES:
        raise MeetingError("Choose the role: guest, resource person or secretariat.", "role")
    if not person.is_active:
        raise MeetingError(f"{person.name} cannot sign in to AOCP: their account is not active.", "person")
    if can_view(person, meeting):
        raise MeetingError(f"{person.name} already sees {meeting.body.short_name}'s meetings: invite them as a "
                           "member from the participants list.", "person")
    if db.session.execute(select(Participant.id).where(Participant.meeting_id == meeting.id,
                                                       Participant.user_id == person.id)).first():
        raise MeetingError(f"{person.name} is already invited.", "person")
    part = Participant(meeting_id=meeting.id, user_id=person.id, role=role)
    db.session.add(part)
    db.session.flush()
    audit.record("meeting.guest_invited", actor, meeting, {"person": person.id, "role": role})
    notices.meeting_invited(actor, meeting, [person])
    return part


def remove_guest(actor: User, meeting: Meeting, user_id: int) -> None:
    require(actor, "meetings.manage", meeting)
    part = db.session.execute(select(Participant).where(
        Participant.meeting_id == meeting.id, Participant.user_id == user_id,
        Participant.role.in_(GUEST_ROLES))).scalar_one_or_none()
    if part is None:
        raise MeetingError("That person is not a guest of this meeting.", "person")
    db.session.delete(part)
    audit.record("meeting.guest_removed", actor, meeting, {"person": user_id})


def share_paper(actor: User, meeting: Meeting, document_id: int, shared: bool) -> int:
    """Mark a paper of the agenda shared with the meeting's guests (or not); returns how many attachments
    changed (a paper may be on several items)."""
    require(actor, "meetings.manage", meeting)
    papers = db.session.execute(select(AgendaPaper).join(AgendaItem, AgendaItem.id == AgendaPaper.agenda_item_id)
                                .where(AgendaItem.meeting_id == meeting.id,
                                       AgendaPaper.document_id == document_id)).scalars().all()
    if not papers:
        raise MeetingError("That paper is not on this meeting's agenda.", "document")
    for paper in papers:
        paper.for_guests = shared
    audit.record("meeting.paper_shared" if shared else "meeting.paper_unshared", actor, meeting,
                 {"document": document_id})
    return len(papers)


def role_label(role: str) -> str:
    return PARTICIPANT_ROLES.get(role, role)
