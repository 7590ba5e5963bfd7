"""Minutes and decisions of a meeting: read, draft (with autosave), circulate, comment, adopt; record decisions.

Nobody's text is ever overwritten silently: the editor and the autosave endpoint send the version they
started from, and a stale version comes back as a conflict showing both texts.
"""
from __future__ import annotations

import re
from functools import wraps

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import ValidationError, validate_csrf
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from aocp import policy
from aocp.extensions import csrf, db
from aocp.forms import ActionForm
from aocp.http import NotFound, json_error
from aocp.meetings import bp, services
from aocp.meetings.loading import can_read_minutes, current_minutes, load_decision, load_meeting
from aocp.meetings.markdown import render
from aocp.meetings.meeting_pages import TABS
from aocp.meetings.models import (
    MINUTES_STATUSES,
    AgendaItem,
    Decision,
    Meeting,
    Minutes,
    MinutesComment,
    MinutesRevision,
)
from aocp.policy import can, guard, record_denial, require

MAX_MINUTES = 500_000


def _id_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class MinutesForm(FlaskForm):
    body_md = TextAreaField("Minutes (Markdown)", validators=[Length(max=MAX_MINUTES)],
                            render_kw={"rows": 24, "spellcheck": "true"})
    version = HiddenField(validators=[DataRequired()])


class MinutesCommentForm(FlaskForm):
    body = TextAreaField("Your comment", validators=[DataRequired("Write a comment first."), Length(max=5000)],
                         render_kw={"rows": 4})


class DecisionForm(FlaskForm):
    agenda_item = SelectField("Agenda item", coerce=_id_or_zero, default=0)
    text = TextAreaField("Decision", validators=[DataRequired("Write the decision."), Length(max=5000)],
                         render_kw={"rows": 3})


# Loading and reading

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _normalise(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def _page(meeting: Meeting, *, form: MinutesForm | None = None, decision_form: DecisionForm | None = None,
          comment_form: MinutesCommentForm | None = None, conflict: Minutes | None = None, status: int = 200):
    minutes = conflict or current_minutes(meeting)
    manage = can(current_user, "meetings.manage", meeting)
    if form is None and manage:
        form = MinutesForm(formdata=None, body_md=minutes.body_md, version=str(minutes.version))
    if decision_form is None:
        decision_form = DecisionForm(formdata=None)
    decision_form.agenda_item.choices = _item_choices(meeting)
    revisions, comments = [], []
    if minutes.id is not None:
        revisions = db.session.execute(select(MinutesRevision).options(joinedload(MinutesRevision.created_by))
                                       .where(MinutesRevision.minutes_id == minutes.id)
                                       .order_by(MinutesRevision.id.desc()).limit(200)).scalars().all()
        comments = db.session.execute(select(MinutesComment).options(joinedload(MinutesComment.author))
                                      .where(MinutesComment.minutes_id == minutes.id)
                                      .order_by(MinutesComment.id).limit(500)).scalars().all()
    decisions = db.session.execute(select(Decision).options(joinedload(Decision.agenda_item))
                                   .where(Decision.meeting_id == meeting.id).order_by(Decision.id)).scalars().all()
    readable = can_read_minutes(current_user, meeting, minutes)
    return render_template(
        "meetings/minutes.html", meeting=meeting, minutes=minutes, statuses=MINUTES_STATUSES,
        html=render(minutes.body_md, top=3) if readable else None, readable=readable, manage=manage, form=form,
        decision_form=decision_form, comment_form=comment_form or MinutesCommentForm(formdata=None),
        action=ActionForm(), revisions=revisions, comments=comments, decisions=decisions, conflict=conflict,
        meeting_url=url_for(".meeting", meeting_id=meeting.id), tabs=TABS, autosave_url=url_for(".minutes_draft", meeting_id=meeting.id),
    ), status


def _item_choices(meeting: Meeting) -> list[tuple[int, str]]:
    return [(0, "— Not linked to an agenda item —")] + [(i.id, f"{i.position}. {i.title}") for i in meeting.items]


# The minutes page and its editor

@bp.route("/meetings/<int:meeting_id>/minutes", methods=["GET", "POST"])
@guard("workspaces.view")
def minutes(meeting_id: int):
    meeting = load_meeting(meeting_id)
    if request.method == "GET":
        return _page(meeting)
    require(current_user, "meetings.manage", meeting)
    form = MinutesForm()
    if not form.validate_on_submit():
        return _page(meeting, form=form, status=400)
    text, seen = _normalise(form.body_md.data), _id_or_zero(form.version.data)
    try:
        services.save_minutes(current_user, meeting, text, seen)
        db.session.commit()
    except (services.Conflict, IntegrityError):
        db.session.rollback()
        theirs = current_minutes(meeting)
        if theirs.body_md == text:  # the same words were saved already (e.g. by this page's autosave)
            flash("Minutes saved.", "success")
            return redirect(url_for(".minutes", meeting_id=meeting.id))
        form.version.data = str(theirs.version)
        form.body_md.data = text
        return _page(meeting, form=form, conflict=theirs, status=409)
    except services.MeetingError as err:
        db.session.rollback()
        form.body_md.errors = [*form.body_md.errors, str(err)]
        return _page(meeting, form=form, status=409 if current_minutes(meeting).status == "adopted" else 422)
    flash("Minutes saved.", "success")
    return redirect(url_for(".minutes", meeting_id=meeting.id))


def json_guard(rule: str):
    """Like @guard, for an endpoint scripts call with JSON: they get 401/403 as JSON instead of a sign-in page."""
    if rule not in policy.RULES:
        raise KeyError(f"unknown policy rule {rule!r}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.is_json:
                    return json_error(401, "Your session has ended. Sign in again; your text is kept in this "
                                           "browser.", "unauthorized")
                return current_app.login_manager.unauthorized()
            if not can(current_user, rule):
                record_denial(current_user, rule)
                if request.is_json:
                    return json_error(403, "You may not do this.", "forbidden")
                abort(403)
            return view(*args, **kwargs)

        wrapped.policy_rule = rule
        return wrapped
    return decorator


@bp.post("/meetings/<int:meeting_id>/minutes/draft")
@json_guard("meetings.manage")
def minutes_draft(meeting_id: int):
    """Autosave: {"body_md", "version"} -> the new version, or 409 with the text someone else saved."""
    try:  # checked here rather than before the sign-in check, so a script learns first that the session ended
        validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
    except ValidationError:
        return json_error(400, "The page has expired. Reload it; your text is kept in this browser.", "csrf")
    try:  # a page's endpoint, answering JSON: the loader's refusals are turned into JSON here
        meeting = load_meeting(meeting_id, "meetings.manage")
    except NotFound:
        return json_error(404, "There is no such meeting, or you may not see it.", "not_found")
    except policy.PermissionDenied:
        record_denial(current_user, "meetings.manage")
        return json_error(403, "Only the body's chairs and ASEC edit the minutes.", "forbidden")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser follows; silent=True only covers malformed JSON
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("body_md"), str) \
            or not isinstance(data.get("version"), int) or isinstance(data.get("version"), bool):
        return json_error(422, 'Send JSON with "body_md" (text) and "version" (a number).', "invalid")
    if UNSTORABLE.search(data["body_md"]):  # NUL (PostgreSQL text holds none) or a lone surrogate (not Unicode)
        return json_error(422, "The text holds characters that cannot be saved.", "invalid")
    text = _normalise(data["body_md"])
    try:
        saved = services.save_minutes(current_user, meeting, text, data["version"])
        db.session.commit()
    except (services.Conflict, IntegrityError):
        db.session.rollback()
        theirs = current_minutes(meeting)
        return json_error(409, "Someone else saved these minutes since you opened them. Your text was not saved.",
                          "conflict", current=_describe(theirs))
    except services.MeetingError as err:
        db.session.rollback()
        locked = current_minutes(meeting).status == "adopted"
        return json_error(409 if locked else 422, str(err), "locked" if locked else "invalid")
    return {"version": saved.version, "saved_at": saved.updated_at.isoformat() + "Z"}


def _describe(m: Minutes) -> dict:
    return {"version": m.version, "body_md": m.body_md, "status": m.status,
            "updated_by": m.updated_by.name if m.updated_by else None,
            "updated_at": m.updated_at.isoformat() + "Z" if m.updated_at else None}


csrf.exempt(minutes_draft)  # validated inside, after the sign-in check (see above)


# Circulate, adopt, comment

def _step(meeting_id: int, do, done: str):
    meeting = load_meeting(meeting_id, "meetings.manage")
    try:  # the CSRF token was checked before the view ran
        do(current_user, meeting)
        db.session.commit()
    except services.MeetingError as err:
        db.session.rollback()
        flash(str(err), "error")
    else:
        flash(done, "success")
    return redirect(url_for(".minutes", meeting_id=meeting.id))


@bp.post("/meetings/<int:meeting_id>/minutes/circulate")
@guard("meetings.manage")
def minutes_circulate(meeting_id: int):
    return _step(meeting_id, services.circulate_minutes, "Minutes circulated for comments.")


@bp.post("/meetings/<int:meeting_id>/minutes/adopt")
@guard("meetings.manage")
def minutes_adopt(meeting_id: int):
    return _step(meeting_id, services.adopt_minutes, "Minutes adopted. They are now locked.")


@bp.post("/meetings/<int:meeting_id>/minutes/comments")
@guard("meetings.contribute")
def minutes_comment(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.contribute")
    form = MinutesCommentForm()
    if not form.validate_on_submit():
        return _page(meeting, comment_form=form, status=400)
    try:
        services.comment_minutes(current_user, meeting, form.body.data)
        db.session.commit()
    except services.MeetingError as err:
        db.session.rollback()
        flash(str(err), "error")  # the form itself is hidden when comments are closed
        return _page(meeting, comment_form=form, status=422)
    flash("Comment added.", "success")
    return redirect(url_for(".minutes", meeting_id=meeting.id) + "#comments")


@bp.get("/meetings/<int:meeting_id>/minutes/revisions/<int:revision_id>")
@guard("workspaces.view")
def minutes_revision(meeting_id: int, revision_id: int):
    meeting = load_meeting(meeting_id)
    revision = db.session.execute(select(MinutesRevision).join(Minutes, Minutes.id == MinutesRevision.minutes_id)
                                  .options(joinedload(MinutesRevision.created_by))
                                  .where(MinutesRevision.id == revision_id, Minutes.meeting_id == meeting.id)
                                  ).scalar_one_or_none()
    if revision is None:
        abort(404)
    return render_template("meetings/minutes_revision.html", meeting=meeting, revision=revision,
                           html=render(revision.body_md, top=3), statuses=MINUTES_STATUSES)


# Decisions

@bp.post("/meetings/<int:meeting_id>/decisions")
@guard("meetings.manage")
def decision_add(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    form = DecisionForm()
    form.agenda_item.choices = _item_choices(meeting)
    if form.validate_on_submit():
        item = db.session.get(AgendaItem, form.agenda_item.data) if form.agenda_item.data else None
        try:
            services.add_decision(current_user, meeting, form.text.data, item)
            db.session.commit()
        except services.MeetingError as err:
            db.session.rollback()
            field = form.agenda_item if err.field == "agenda_item" else form.text
            field.errors = [*field.errors, str(err)]
        else:
            flash("Decision recorded.", "success")
            return redirect(url_for(".minutes", meeting_id=meeting.id) + "#decisions")
    return _page(meeting, decision_form=form, status=400)


def _decision(meeting_id: int, decision_id: int) -> tuple[Meeting, Decision]:
    meeting = load_meeting(meeting_id, "meetings.manage")
    return meeting, load_decision(meeting, decision_id)


@bp.post("/meetings/<int:meeting_id>/decisions/<int:decision_id>")
@guard("meetings.manage")
def decision_edit(meeting_id: int, decision_id: int):
    """Correct a decision's wording or agenda item (until the minutes are adopted)."""
    meeting, decision = _decision(meeting_id, decision_id)
    form = DecisionForm()
    form.agenda_item.choices = _item_choices(meeting)
    if not form.validate_on_submit():
        flash("Write the decision (up to 5,000 characters) and choose an agenda item from the list.", "error")
        return _page(meeting, status=400)
    item = db.session.get(AgendaItem, form.agenda_item.data) if form.agenda_item.data else None
    return _change_decision(meeting, lambda: services.update_decision(current_user, decision, form.text.data, item),
                            "Decision corrected.")


@bp.post("/meetings/<int:meeting_id>/decisions/<int:decision_id>/remove")
@guard("meetings.manage")
def decision_remove(meeting_id: int, decision_id: int):
    meeting, decision = _decision(meeting_id, decision_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _change_decision(meeting, lambda: services.remove_decision(current_user, decision), "Decision removed.")


def _change_decision(meeting: Meeting, change, done: str):
    """Run a decision change and commit it, or show the minutes page again with the service's refusal."""
    try:
        change()
        db.session.commit()
    except services.MeetingError as err:
        db.session.rollback()
        flash(str(err), "error")
        return _page(meeting, status=400)
    flash(done, "success")
    return redirect(url_for(".minutes", meeting_id=meeting.id) + "#decisions")
