"""Changes to a meeting's agenda: items added, edited in place, moved, reordered, removed, the agenda published,
papers attached and removed. Bad input re-renders the agenda (or papers) page with the message (400) and changes
nothing."""
from __future__ import annotations

from flask import abort, flash, render_template, request
from flask_login import current_user

from aocp.extensions import db
from aocp.meetings import bp, paper_search, services, timetable
from aocp.meetings.forms import AgendaItemForm, PaperForm
from aocp.meetings.loading import load_item, load_meeting
from aocp.meetings.meeting_pages import PAGE_OPTIONS, back_to, meeting_page
from aocp.meetings.services import MeetingError
from aocp.meetings.views import field_error, paper_choices
from aocp.policy import guard


def _details(form: AgendaItemForm) -> timetable.ItemDetails:
    return timetable.ItemDetails(form.title.data or "", form.presenter.data or "", form.duration_minutes.data,
                                 form.notes.data or "", form.kind.data, form.day.data, form.fixed_start.data)


@bp.post("/meetings/<int:meeting_id>/items")
@guard("meetings.manage")
def add_item(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    form = AgendaItemForm()
    form.fill_days(timetable.day_count(meeting))
    if form.validate_on_submit():
        try:
            item = timetable.add(current_user, meeting, _details(form))
            db.session.commit()
        except MeetingError as err:
            db.session.rollback()
            field_error(form, err)
        else:
            flash("Agenda item added.", "success")
            return back_to(meeting, "agenda", f"item-{item.id}")
    return meeting_page(load_meeting(meeting_id, options=PAGE_OPTIONS), 400, item_form=form)


@bp.route("/meetings/<int:meeting_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@guard("meetings.manage")
def edit_item(meeting_id: int, item_id: int):
    """The item's own form: changed in place, its papers and number kept."""
    meeting = load_meeting(meeting_id, "meetings.manage", options=PAGE_OPTIONS)
    item = load_item(meeting, item_id)
    form = AgendaItemForm(obj=item if request.method == "GET" else None)
    form.fill_days(timetable.day_count(meeting))
    if form.validate_on_submit():
        try:
            timetable.update(current_user, item, _details(form))
            db.session.commit()
        except MeetingError as err:
            db.session.rollback()
            field_error(form, err)
        else:
            flash(f"“{item.title}” saved.", "success")
            return back_to(meeting, "agenda", f"item-{item.id}")
    return render_template("meetings/agenda_item_form.html", meeting=meeting, item=item, item_form=form), \
        400 if form.errors else 200


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/remove")
@guard("meetings.manage")
def remove_item(meeting_id: int, item_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    item = load_item(meeting, item_id)
    title = item.title
    services.remove_item(current_user, item)
    db.session.commit()
    flash(f"“{title}” removed from the agenda.", "success")
    return back_to(meeting, "agenda")


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/move/<any(up, down):direction>")
@guard("meetings.manage")
def move_item(meeting_id: int, item_id: int, direction: str):
    meeting = load_meeting(meeting_id, "meetings.manage")
    try:
        services.move(current_user, load_item(meeting, item_id), -1 if direction == "up" else 1)
        db.session.commit()
    except MeetingError as err:
        db.session.rollback()
        return meeting_page(load_meeting(meeting_id, options=PAGE_OPTIONS), 400, agenda_error=str(err))
    return back_to(meeting, "agenda", f"item-{item_id}")


@bp.post("/meetings/<int:meeting_id>/agenda/order")
@guard("meetings.manage")
def reorder_agenda(meeting_id: int):
    """Without JavaScript: every item gets a number, and the agenda is sorted by them."""
    meeting = load_meeting(meeting_id, "meetings.manage")
    positions = {}
    for item in meeting.items:
        raw = request.form.get(f"position-{item.id}", "").strip()
        if not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= 1000):
            return meeting_page(meeting, 400, agenda_error="Give every agenda item a number from 1 to 1000.")
        positions[item.id] = int(raw)
    order = sorted(meeting.items, key=lambda i: (positions[i.id], i.position))
    try:
        services.reorder(current_user, meeting, [i.id for i in order])
        db.session.commit()
    except MeetingError as err:
        db.session.rollback()
        return meeting_page(load_meeting(meeting_id, options=PAGE_OPTIONS), 400, agenda_error=str(err))
    flash("Agenda order saved.", "success")
    return back_to(meeting, "agenda")


@bp.post("/meetings/<int:meeting_id>/agenda/publish")
@guard("meetings.manage")
def publish_agenda(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    try:
        services.publish_agenda(current_user, meeting)
        db.session.commit()
    except MeetingError as err:
        db.session.rollback()
        return meeting_page(load_meeting(meeting_id, options=PAGE_OPTIONS), 400, agenda_error=str(err))
    flash("Agenda published; the participants are told.", "success")
    return back_to(meeting, "agenda")


@bp.post("/meetings/<int:meeting_id>/papers")
@guard("meetings.contribute")
def attach_paper(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.contribute")
    form = PaperForm()
    paper_choices(form, meeting)
    if form.validate_on_submit():
        try:
            doc = paper_search.resolve(meeting, form.document.data, "document")
        except MeetingError as err:
            field_error(form, err)
        else:
            item = load_item(meeting, form.item.data)
            services.attach_paper(current_user, item, doc)
            db.session.commit()
            flash(f"“{doc.title}” attached to “{item.title}”.", "success")
            return back_to(meeting, "papers", f"item-{item.id}")
    return meeting_page(meeting, 400, paper_form=form)


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/papers/<int:doc_id>/remove")
@guard("meetings.manage")
def detach_paper(meeting_id: int, item_id: int, doc_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    item = load_item(meeting, item_id)
    if not any(p.document_id == doc_id for p in item.papers):
        abort(404)
    services.detach_paper(current_user, item, doc_id)
    db.session.commit()
    flash("Paper removed from the agenda item.", "success")
    return back_to(meeting, "papers", f"item-{item.id}")
