"""Action items: assigned from a meeting page, listed across meetings per body and Member State, and updated by
the body's managers, the person who owns an item or a focal person of the Member State that owns it."""
from __future__ import annotations

from functools import cache

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.forms import safe_next
from aocp.meetings import assignments, bp, person_search
from aocp.meetings.access import owned_clause, visible_bodies_clause
from aocp.meetings.forms import ActionItemForm, ActionStatusForm
from aocp.meetings.loading import load_action, load_meeting
from aocp.meetings.meeting_pages import back_to, meeting_page
from aocp.meetings.models import ACTION_STATUSES, ActionItem, Meeting
from aocp.meetings.services import MeetingError
from aocp.meetings.views import OPEN, action_choices, field_error, page_arg, utc_today
from aocp.orgs.models import Body, Organisation
from aocp.policy import can, guard


@bp.post("/meetings/<int:meeting_id>/actions")
@guard("meetings.manage")
def add_action(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    form = ActionItemForm()
    action_choices(form, meeting)
    if form.validate_on_submit():
        owner_org = db.session.execute(select(Organisation).where(Organisation.code == form.owner_org.data)
                                       ).scalar_one_or_none() if form.owner_org.data else None
        try:
            owner_user = person_search.resolve(meeting, "owner", form.owner_user.data, "owner_user")
            details = assignments.ActionDetails(title=form.title.data, owner_user=owner_user, owner_org=owner_org,
                                             due_on=form.due_on.data, action_line=form.action_line.data or "")
            assignments.add_action(current_user, meeting.body, details, meeting)
            db.session.commit()
        except MeetingError as err:
            db.session.rollback()
            field_error(form, err, {"owner": "owner_user"})
        else:
            flash("Action item added.", "success")
            return back_to(meeting, "actions")
    return meeting_page(meeting, 400, action_form=form)


def _action_filters(args) -> dict:
    """Filters of the action list; a value that names nothing is ignored with a message."""
    f = {"body": args.get("body", "").upper()[:16], "org": args.get("org", "").upper()[:16],
         "status": args.get("status", ""), "overdue": args.get("overdue") == "1", "owner": args.get("owner", "")}
    if f["status"] not in ("", "all", *ACTION_STATUSES):
        flash("Unknown status; the filter was ignored.", "error")
        f["status"] = ""
    if f["owner"] not in ("", "me"):
        flash("Owner is either anyone or “me” (you or your Member State); the filter was ignored.", "error")
        f["owner"] = ""
    return f


@cache  # built once, on first use (when the mappers are complete), like the document lists' loads
def list_options() -> tuple:
    """What a row of the list shows: the body's names, the meeting's number, the owner's name and organisation."""
    return (joinedload(ActionItem.body).load_only(Body.code, Body.short_name),
            joinedload(ActionItem.meeting).load_only(Meeting.body_id, Meeting.number),
            joinedload(ActionItem.owner_user).load_only(User.name, User.org_id),
            joinedload(ActionItem.owner_org).load_only(Organisation.code, Organisation.name))


def _open_summaries(visible, overdue, bodies, states) -> tuple[list, list]:
    """Open and overdue items per body and per Member State (the item's own, else its owner's), from one count
    grouped by both: (code, name, open, overdue) rows, bodies in id order and states in name order."""
    owner_org = func.coalesce(ActionItem.owner_org_id, User.org_id)
    rows = db.session.execute(
        select(ActionItem.body_id, owner_org, func.count(), func.sum(case((overdue, 1), else_=0)))
        .outerjoin(User, User.id == ActionItem.owner_user_id)
        .where(visible, ActionItem.status.in_(OPEN)).group_by(ActionItem.body_id, owner_org)).all()
    by_body: dict[int, list[int]] = {}
    by_state: dict[int, list[int]] = {}
    for body_id, org_id, count, late in rows:
        for totals, key in ((by_body, body_id), (by_state, org_id)):
            total = totals.setdefault(key, [0, 0])
            total[0] += count
            total[1] += late or 0
    per_body = [(b.code, b.short_name, *by_body[b.id]) for b in bodies if b.id in by_body]
    per_state = [(s.code, s.name, *by_state[s.id]) for s in states if s.id in by_state]
    return per_body, per_state


@bp.get("/actions/")
@guard("workspaces.view")
def actions(status: int = 200):
    f = _action_filters(request.args)
    today = utc_today()
    visible = visible_bodies_clause(current_user, ActionItem.body_id)
    overdue = (ActionItem.status.in_(OPEN)) & (ActionItem.due_on < today)
    bodies = db.session.execute(select(Body).where(visible_bodies_clause(current_user, Body.id))
                                .order_by(Body.id)).scalars().all()
    states = db.session.execute(select(Organisation).where(Organisation.kind == "member_state")
                                .order_by(Organisation.name)).scalars().all()
    stmt = select(ActionItem).where(visible)
    if f["body"]:
        body = next((b for b in bodies if b.code == f["body"]), None)
        if body is None:
            flash("There is no workspace of that name you may see; the filter was ignored.", "error")
            f["body"] = ""
        else:
            stmt = stmt.where(ActionItem.body_id == body.id)
    if f["org"]:
        state = next((s for s in states if s.code == f["org"]), None)
        if state is None:
            flash("Choose a Member State from the list; the filter was ignored.", "error")
            f["org"] = ""
        else:
            stmt = stmt.where(or_(ActionItem.owner_org_id == state.id,
                                  ActionItem.owner_user_id.in_(select(User.id).where(User.org_id == state.id))))
    if f["status"] in ACTION_STATUSES:
        stmt = stmt.where(ActionItem.status == f["status"])
    elif f["status"] == "":
        stmt = stmt.where(ActionItem.status.in_(OPEN))
    if f["overdue"]:
        stmt = stmt.where(overdue)
    if f["owner"] == "me":
        stmt = stmt.where(owned_clause(current_user))
    page = db.paginate(
        stmt.options(*list_options())
        .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id),
        page=page_arg(), per_page=25, error_out=False)
    per_body, per_state = _open_summaries(visible, overdue, bodies, states)
    user = current_user._get_current_object()
    may_update = {a.id for a in page.items if can(user, "actions.update", a)}
    args = {k: v for k, v in {"body": f["body"], "org": f["org"], "status": f["status"],
                              "overdue": "1" if f["overdue"] else "", "owner": f["owner"]}.items() if v}
    return render_template("meetings/actions.html", page=page, filters=f, args=args, bodies=bodies,
                           states=states, per_body=per_body, per_state=per_state, today=today,
                           statuses=ACTION_STATUSES, may_update=may_update), status


@bp.post("/actions/<int:action_id>/status")
@guard("actions.update")
def action_status(action_id: int):
    item = load_action(action_id, "actions.update")
    form = ActionStatusForm()
    if not form.validate_on_submit():
        flash(f"“{item.title}”: choose a status from the list.", "error")
        return actions(400)
    assignments.set_action_status(current_user, item, form.status.data)
    db.session.commit()
    flash(f"“{item.title}” is now {ACTION_STATUSES[item.status].lower()}.", "success")
    return redirect(safe_next(request.form.get("next"), url_for(".actions")))
