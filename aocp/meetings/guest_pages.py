"""Pages for guests and resource persons: the chair's page to invite them and share papers with them
(/meetings/<id>/guests, `meetings.manage`), and the guest's own view of the meeting (/meetings/<id>/guest,
`meetings.attend`): its details, the published agenda, the papers shared with guests and their reply."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from aocp.documents.access import visible_clause
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings import bp, guests, person_search
from aocp.meetings.forms import GuestForm, RsvpForm
from aocp.meetings.loading import load_attended, load_meeting
from aocp.meetings.models import PARTICIPANT_ROLES, RSVP, AgendaItem, AgendaPaper, Participant
from aocp.meetings.services import MeetingError
from aocp.meetings.views import field_error, local_start
from aocp.orgs.models import Organisation
from aocp.policy import guard


def agenda_papers(meeting, *, for_guests: bool, user=None) -> dict[int, list]:
    """Per agenda item, its papers (id, title, org code, shared with guests); only those shared with guests when
    `for_guests`, and only those `user` may open when given (one query)."""
    stmt = (select(AgendaPaper.agenda_item_id, Document.id, Document.title, AgendaPaper.for_guests,
                   Organisation.code.label("org_code"))
            .join(AgendaItem, AgendaItem.id == AgendaPaper.agenda_item_id)
            .join(Document, Document.id == AgendaPaper.document_id)
            .join(Organisation, Organisation.id == Document.org_id)
            .where(AgendaItem.meeting_id == meeting.id, Document.deleted_at.is_(None))
            .order_by(AgendaItem.position, Document.title))
    if for_guests:
        stmt = stmt.where(AgendaPaper.for_guests.is_(True))
    if user is not None:
        stmt = stmt.where(visible_clause(user))
    papers: dict[int, list] = {}
    for row in db.session.execute(stmt):
        papers.setdefault(row.agenda_item_id, []).append(row)
    return papers


@bp.get("/meetings/<int:meeting_id>/guest")
@guard("meetings.attend")
def guest_view(meeting_id: int):
    meeting = load_attended(meeting_id)
    published = meeting.agenda_published_at is not None
    mine = db.session.execute(select(Participant).where(Participant.meeting_id == meeting.id,
                                                        Participant.user_id == current_user.id)).scalar_one_or_none()
    return render_template(
        "meetings/guest.html", meeting=meeting, start=local_start(meeting), mine=mine, rsvp_labels=RSVP,
        roles=PARTICIPANT_ROLES, items=list(meeting.items) if published else [],
        papers=agenda_papers(meeting, for_guests=True, user=current_user) if published else {},
        rsvp_form=RsvpForm(formdata=None, rsvp=mine.rsvp if mine else None))


def _manage_page(meeting, form: GuestForm, status: int = 200):
    return render_template("meetings/guests.html", meeting=meeting, form=form, guests=guests.guests(meeting),
                           roles=PARTICIPANT_ROLES, rsvp_labels=RSVP, items=list(meeting.items),
                           papers=agenda_papers(meeting, for_guests=False)), status


@bp.get("/meetings/<int:meeting_id>/guests")
@guard("meetings.manage")
def guests_page(meeting_id: int):
    return _manage_page(load_meeting(meeting_id, "meetings.manage"), GuestForm(formdata=None))


@bp.post("/meetings/<int:meeting_id>/guests")
@guard("meetings.manage")
def invite_guest(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    form = GuestForm()
    if form.validate_on_submit():
        try:
            person = person_search.resolve(meeting, "guest", form.person.data, "person")
            guests.invite_guest(current_user, meeting, person, form.role.data)
            db.session.commit()
        except MeetingError as err:
            db.session.rollback()
            field_error(form, err)
        else:
            flash(f"{person.name} is invited to the {meeting.title} as {PARTICIPANT_ROLES[form.role.data].lower()}.",
                  "success")
            return redirect(url_for(".guests_page", meeting_id=meeting.id))
    return _manage_page(meeting, form, 400)


@bp.post("/meetings/<int:meeting_id>/guests/<int:user_id>/remove")
@guard("meetings.manage")
def remove_guest(meeting_id: int, user_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    try:
        guests.remove_guest(current_user, meeting, user_id)
        db.session.commit()
        flash("The guest is no longer invited.", "success")
    except MeetingError as err:
        db.session.rollback()
        flash(str(err), "error")
    return redirect(url_for(".guests_page", meeting_id=meeting.id))


@bp.post("/meetings/<int:meeting_id>/guests/papers/<int:doc_id>")
@guard("meetings.manage")
def share_paper(meeting_id: int, doc_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    shared = request.form.get("shared") == "1"
    try:
        guests.share_paper(current_user, meeting, doc_id, shared)
        db.session.commit()
        flash("Shared with the guests." if shared else "No longer shared with the guests.", "success")
    except MeetingError as err:
        db.session.rollback()
        flash(str(err), "error")
    return redirect(url_for(".guests_page", meeting_id=meeting.id, _anchor="papers"))
