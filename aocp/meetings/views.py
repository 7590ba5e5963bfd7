"""Workspace and meeting pages: the list of workspaces, a body's workspace, scheduling a meeting and the meeting
page (agenda, papers, readiness, participants, decisions, action items), which the forms of participants.py,
agenda.py and action_items.py show again when refused.

A body or meeting the viewer may not see answers 404 (its existence is not revealed); one they may see but not
change answers 403 (`loading`). Papers keep their own access level: a paper the viewer may not open is not even titled.
"""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from aocp.accounts.models import User
from aocp.documents.access import visible_clause
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings import bp, person_search, services
from aocp.meetings.access import visible_bodies_clause
from aocp.meetings.forms import ActionItemForm, InviteForm, MeetingForm, PaperForm
from aocp.meetings.loading import load_body, load_meeting
from aocp.meetings.models import (
    ACTION_STATUSES,
    ActionItem,
    Meeting,
)
from aocp.meetings.services import MeetingError
from aocp.orgs.models import Body, Membership, Organisation
from aocp.policy import guard
from aocp.timeutil import utcnow

OPEN = ("open", "in_progress")
ROLE_ORDER = case({"chair": 0, "vice_chair": 1, "member": 2, "observer": 3}, value=Membership.role, else_=4)
# Members shown on a workspace page (chairs first); the members page lists them all, a page at a time.
WORKSPACE_MEMBERS = 12


def utc_today() -> date:
    return utcnow().date()


def page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100_000 else 1


def _int_arg(name: str) -> int:
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0


def field_error(form, err: MeetingError, aliases: dict | None = None) -> None:
    name = (aliases or {}).get(err.field, err.field)
    field = getattr(form, name, None) if name else None
    if field is not None:
        field.errors = list(field.errors) + [str(err)]
    else:
        flash(str(err), "error")


def _members(body: Body, *, people_only: bool = False) -> list:
    """(id, name, organisation code, body role) of the body's active members, chairs first."""
    stmt = (select(User.id, User.name, Organisation.code, Membership.role)
            .join(Membership, Membership.user_id == User.id).join(Organisation, Organisation.id == User.org_id)
            .where(Membership.body_id == body.id, User.status == "active").order_by(ROLE_ORDER, User.name))
    if people_only:
        stmt = stmt.where(User.role != "observer")
    return db.session.execute(stmt).all()


# Workspaces

@bp.get("/workspaces/")
@guard("workspaces.view")
def workspaces():
    bodies = db.session.execute(select(Body).where(visible_bodies_clause(current_user, Body.id))
                                .order_by(Body.id)).scalars().all()
    ids = [b.id for b in bodies]
    ranked = (select(Meeting.id, func.row_number().over(partition_by=Meeting.body_id,
                                                        order_by=(Meeting.starts_on, Meeting.id)).label("n"))
              .where(Meeting.body_id.in_(ids), Meeting.ends_on >= utc_today(), Meeting.status != "cancelled")
              .subquery())
    upcoming = db.session.execute(select(Meeting).options(joinedload(Meeting.host))
                                  .join(ranked, ranked.c.id == Meeting.id)
                                  .where(ranked.c.n == 1)).scalars()
    open_counts = dict(db.session.execute(
        select(ActionItem.body_id, func.count()).where(ActionItem.body_id.in_(ids), ActionItem.status.in_(OPEN))
        .group_by(ActionItem.body_id)).all())
    return render_template("meetings/workspaces.html", bodies=bodies, next_meeting={m.body_id: m for m in upcoming},
                           open_counts=open_counts)


@bp.get("/workspaces/<code>")
@guard("workspaces.view")
def workspace(code: str):
    body = load_body(code)
    today = utc_today()
    members = db.session.execute(_memberships(body).limit(WORKSPACE_MEMBERS)).scalars().all()
    member_total = db.session.scalar(select(func.count()).select_from(_memberships(body).order_by(None).subquery()))
    meetings = select(Meeting).options(joinedload(Meeting.host)).where(Meeting.body_id == body.id)
    upcoming = db.session.execute(meetings.where(Meeting.ends_on >= today)
                                  .order_by(Meeting.starts_on, Meeting.id).limit(20)).scalars().all()
    past = db.paginate(meetings.where(Meeting.ends_on < today).order_by(Meeting.starts_on.desc(), Meeting.id.desc()),
                       page=page_arg(), per_page=10, error_out=False)
    open_actions = select(ActionItem).where(ActionItem.body_id == body.id, ActionItem.status.in_(OPEN))
    actions = db.session.execute(
        open_actions.options(joinedload(ActionItem.owner_user),
                             joinedload(ActionItem.owner_org), joinedload(ActionItem.meeting))
        .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id).limit(15)).scalars().all()
    open_total = db.session.execute(select(func.count()).select_from(open_actions.subquery())).scalar()
    documents = db.session.execute(
        select(Document).options(joinedload(Document.org))
        .where(visible_clause(current_user), Document.body_id == body.id, Document.deleted_at.is_(None))
        .order_by(Document.updated_at.desc(), Document.id.desc()).limit(10)).scalars().all()
    return render_template("meetings/workspace.html", body=body, members=members, member_total=member_total,
                           upcoming=upcoming, past=past,
                           actions=actions, open_total=open_total, documents=documents, today=today,
                           statuses=ACTION_STATUSES)


@bp.get("/workspaces/<code>/members")
@guard("workspaces.view")
def members(code: str):
    """Every active member, a page at a time, and how many each organisation has (its delegation)."""
    body = load_body(code, "bodies.members")
    page = db.paginate(_memberships(body), page=page_arg(), per_page=50, error_out=False)
    delegations = db.session.execute(
        select(Organisation.code, Organisation.name, func.count()).select_from(Membership)
        .join(User, User.id == Membership.user_id).join(Organisation, Organisation.id == User.org_id)
        .where(Membership.body_id == body.id, User.status == "active")
        .group_by(Organisation.code, Organisation.name).order_by(Organisation.code)).all()
    return render_template("meetings/members.html", body=body, page=page, delegations=delegations)


def _memberships(body: Body):
    """The body's memberships of active people, chairs first, with the person and their organisation."""
    return (select(Membership).join(User, User.id == Membership.user_id)
            .options(joinedload(Membership.user))
            .where(Membership.body_id == body.id, User.status == "active").order_by(ROLE_ORDER, User.name, User.id))


# Scheduling

def _fill_meeting_choices(form: MeetingForm, body: Body, meeting: Meeting | None = None) -> None:
    hosts = db.session.execute(select(Organisation.code, Organisation.name)
                               .where(Organisation.kind.in_(("member_state", "secretariat")))
                               .order_by(Organisation.name)).all()
    form.host.choices = [("", "—")] + [(o.code, o.name) for o in hosts]
    chairs = [(m.id, f"{m.name} ({m.code})") for m in _members(body, people_only=True)]
    if meeting is not None and meeting.chair is not None and meeting.chair_id not in {c[0] for c in chairs}:
        chairs.append((meeting.chair.id, meeting.chair.name))
    form.chair.choices = [(0, "—")] + chairs
    jwg = db.session.execute(select(Meeting).join(Body, Body.id == Meeting.body_id).options(joinedload(Meeting.body))
                             .where(Body.code == "JWG", Meeting.body_id != body.id)
                             .order_by(Meeting.starts_on.desc()).limit(50)).scalars().all()
    if meeting is not None and meeting.group_with is not None and meeting.group_with not in jwg:
        jwg.append(meeting.group_with)
    form.group_with.choices = [(0, "—")] + [(m.id, f"{m.title}, {m.starts_on:%d %b %Y}") for m in jwg]


def _details(form: MeetingForm) -> services.MeetingDetails:
    host = db.session.execute(select(Organisation).where(Organisation.code == form.host.data)
                              ).scalar_one_or_none() if form.host.data else None
    return services.MeetingDetails(
        starts_on=form.starts_on.data, ends_on=form.ends_on.data, start_time=(form.start_time.data or "").strip(),
        end_time=(form.end_time.data or "").strip(),
        timezone=form.timezone.data, host=host, venue=form.venue.data or "", online_url=form.online_url.data or "",
        chair=db.session.get(User, form.chair.data) if form.chair.data else None, status=form.status.data,
        group_with=db.session.get(Meeting, form.group_with.data) if form.group_with.data else None,
        paper_deadline=form.paper_deadline.data, number=form.number.data if "number" in form else None)


@bp.route("/workspaces/<code>/meetings/new", methods=["GET", "POST"])
@guard("meetings.manage")
def new_meeting(code: str):
    body = load_body(code, "meetings.manage")
    form = MeetingForm()
    _fill_meeting_choices(form, body)
    if request.method == "GET":
        form.number.data = services.next_number(body)
        form.chair.data = next((m.id for m in _members(body, people_only=True) if m.role == "chair"), 0)
    if form.validate_on_submit():
        try:
            meeting = services.create_meeting(current_user, body, _details(form))
            db.session.commit()
        except MeetingError as err:
            db.session.rollback()
            field_error(form, err)
        else:
            flash(f"{meeting.title} scheduled; the members of {body.short_name} are invited.", "success")
            return redirect(url_for(".meeting", meeting_id=meeting.id))
    return render_template("meetings/meeting_form.html", form=form, body=body, meeting=None), \
        400 if form.errors else 200


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@guard("meetings.manage")
def edit_meeting(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    form = MeetingForm(obj=meeting if request.method == "GET" else None)
    del form.number  # a meeting keeps its number
    _fill_meeting_choices(form, meeting.body, meeting)
    if request.method == "GET":
        form.host.data = meeting.host.code if meeting.host else ""
        form.chair.data = meeting.chair_id or 0
        form.group_with.data = meeting.group_with_id or 0
    if form.validate_on_submit():
        try:
            services.update_meeting(current_user, meeting, _details(form))
            db.session.commit()
        except MeetingError as err:
            db.session.rollback()
            field_error(form, err)
        else:
            flash("Meeting details saved.", "success")
            return redirect(url_for(".meeting", meeting_id=meeting.id))
    return render_template("meetings/meeting_form.html", form=form, body=meeting.body, meeting=meeting), \
        400 if form.errors else 200


# The meeting page

def local_start(meeting: Meeting) -> dict:
    """The start as the venue's clock shows it, with its UTC offset and the same moment in UTC."""
    try:
        hours, minutes = (int(p) for p in meeting.start_time.split(":"))
        start = datetime.combine(meeting.starts_on, time(hours, minutes), tzinfo=ZoneInfo(meeting.timezone))
    except (ValueError, KeyError):
        return {"local": meeting.start_time, "offset": "", "utc": ""}
    offset = start.strftime("%z")
    return {"local": start.strftime("%H:%M"), "offset": f"UTC{offset[:3]}:{offset[3:]}",
            "utc": start.astimezone(ZoneInfo("UTC")).strftime("%d %b %Y %H:%M UTC")}


def paper_choices(form: PaperForm, meeting: Meeting) -> None:
    """The agenda items a paper may be attached to; the document is typed (paper_search resolves it)."""
    form.item.choices = [(0, "—")] + [(i.id, f"{i.position}. {i.title}") for i in meeting.items]


def invite_choices(form: InviteForm, meeting: Meeting) -> None:
    """The organisations with someone left to invite; the person is typed (person_search resolves it)."""
    form.org.choices = [("", "—")] + [(code, code) for code in person_search.invitable_orgs(meeting)]


def action_choices(form: ActionItemForm, meeting: Meeting, states: list | None = None) -> None:
    """The Member States that may own an action item (`states` when read already); an owning person is typed
    (person_search resolves it)."""
    if states is None:
        states = db.session.execute(select(Organisation.code, Organisation.name)
                                    .where(Organisation.kind == "member_state").order_by(Organisation.name)).all()
    form.owner_org.choices = [("", "—")] + [(s.code, s.name) for s in states]


