"""The meeting's participants, from its page: replies to an invitation, inviting people (by name or a whole
delegation) and recording who attended."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.forms import safe_next
from aocp.meetings import bp, person_search, services
from aocp.meetings.forms import InviteForm, RsvpForm
from aocp.meetings.loading import load_attended, load_meeting
from aocp.meetings.meeting_pages import back_to, meeting_page
from aocp.meetings.models import Participant
from aocp.meetings.services import MeetingError
from aocp.meetings.views import field_error, invite_choices, utc_today
from aocp.orgs.models import Organisation
from aocp.policy import can, guard


@bp.post("/meetings/<int:meeting_id>/rsvp")
@guard("workspaces.view")
def rsvp(meeting_id: int):
    """Anyone invited answers for themselves (the service refuses people who were not invited). A reply sent from
    another page (the home page's meetings ahead) goes back there (`next`, a path on this site)."""
    meeting = load_attended(meeting_id)  # guests reply too
    form = RsvpForm()
    back = request.form.get("next")
    if form.validate_on_submit():
        services.rsvp(current_user, meeting, form.rsvp.data)
        db.session.commit()
        flash(f"Your reply to the {meeting.title} is saved.", "success")
        return redirect(safe_next(back, url_for(".participants", meeting_id=meeting.id)))
    if back and safe_next(back, "") == back:
        flash(f"{meeting.title}: {form.rsvp.errors[0] if form.rsvp.errors else 'the form expired; try again.'}",
              "error")
        return redirect(back, 303)
    if not can(current_user, "workspaces.view", meeting):  # a guest: back to their page, never the full one
        flash(form.rsvp.errors[0] if form.rsvp.errors else "The form expired; try again.", "error")
        return redirect(url_for(".guest_view", meeting_id=meeting.id), 303)
    return meeting_page(meeting, 400, rsvp_form=form)


@bp.post("/meetings/<int:meeting_id>/invite")
@guard("meetings.manage")
def invite(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    form = InviteForm()
    invite_choices(form, meeting)
    if form.validate_on_submit():
        try:
            person = person_search.resolve(meeting, "invite", form.person.data, "person")
        except MeetingError as err:
            person, people = None, []
            field_error(form, err)
        else:
            if person is not None:
                people = [person]
            elif form.org.data:
                ids = select(person_search.eligible(meeting, "invite").subquery().c.id)
                people = db.session.execute(select(User).join(Organisation, Organisation.id == User.org_id)
                                            .where(User.id.in_(ids), Organisation.code == form.org.data)
                                            ).scalars().all()
            else:
                people = []
                form.person.errors = ["Type the name or email of a person, or choose an organisation."]
        if people:
            count = services.invite(current_user, meeting, people)
            db.session.commit()
            flash(f"{count} {'person' if count == 1 else 'people'} invited.", "success")
            return back_to(meeting, "participants")
    return meeting_page(meeting, 400, invite_form=form)


@bp.post("/meetings/<int:meeting_id>/attendance")
@guard("meetings.manage")
def attendance(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    invited = set(db.session.execute(select(Participant.user_id).where(Participant.meeting_id == meeting.id))
                  .scalars())
    raw = request.form.getlist("present")
    if meeting.starts_on > utc_today():
        flash("Attendance is recorded once the meeting has started.", "error")
        return meeting_page(meeting, 400, tab="participants")
    if not all(v.isascii() and v.isdigit() and int(v) in invited for v in raw):
        flash("Tick only people on the list of participants.", "error")
        return meeting_page(meeting, 400, tab="participants")
    services.record_attendance(current_user, meeting, {int(v) for v in raw})
    db.session.commit()
    flash("Attendance saved.", "success")
    return back_to(meeting, "participants")
