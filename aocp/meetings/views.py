"""Workspace and meeting pages: the list of workspaces, a body's workspace, scheduling a meeting and the meeting
page (agenda, papers, readiness, participants, decisions, action items), which the forms of participants.py,
agenda.py and action_items.py show again when refused.

A body or meeting the viewer may not see answers 404 (its existence is not revealed); one they may see but not
change answers 403 (`loading`). Papers keep their own access level: a paper the viewer may not open is not even titled.
"""
from __future__ import annotations

from datetime import date, datetime, time
from itertools import groupby
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, inspect, or_, select
from sqlalchemy.orm import joinedload, selectinload

from aocp.accounts.models import User
from aocp.documents.access import visible_clause
from aocp.documents.models import DOC_TYPES, Document
from aocp.extensions import db
from aocp.meetings import bp, person_search, readiness, services
from aocp.meetings.access import guest_role, visible_bodies_clause
from aocp.meetings.forms import ActionItemForm, AgendaItemForm, InviteForm, MeetingForm, PaperForm, RsvpForm
from aocp.meetings.loading import load_body, load_meeting
from aocp.meetings.models import (
    ACTION_STATUSES,
    RSVP,
    ActionItem,
    AgendaItem,
    AgendaPaper,
    Decision,
    Meeting,
    Participant,
)
from aocp.meetings.services import MeetingError
from aocp.orgs.models import Body, Membership, Organisation
from aocp.policy import can, guard
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


def _member_states(meeting: Meeting) -> list:
    """(id, code, name, in_body) of every Member State, by name; in_body when one of its people is a member of the
    meeting's body. One read serves the owners of action items and the readiness view."""
    in_body = (select(Membership.id).join(User, User.id == Membership.user_id)
               .where(User.org_id == Organisation.id, Membership.body_id == meeting.body_id).exists())
    return db.session.execute(select(Organisation.id, Organisation.code, Organisation.name, in_body.label("in_body"))
                              .where(Organisation.kind == "member_state").order_by(Organisation.name)).all()


def _readiness(meeting: Meeting, visible, states: list) -> readiness.Readiness:
    """The delegations expected and their country reports for this meeting (`readiness`: one rule with the
    home page); the reports the viewer may open by `visible` are titled, others only counted."""
    return readiness.delegations(meeting, visible)


# What the meeting page shows of the meeting itself.
PAGE_OPTIONS = (joinedload(Meeting.body), joinedload(Meeting.host),
                joinedload(Meeting.chair),
                joinedload(Meeting.group_with).joinedload(Meeting.body), selectinload(Meeting.items))
PAGE_RELATIONS = {"body", "host", "chair", "group_with", "items"}


def _papers_by_item(items: list, visible) -> dict[int, list]:
    """The papers of each agenda item that the viewer may open by `visible` (one query)."""
    papers: dict[int, list] = {i.id: [] for i in items}
    if items:
        for paper in db.session.execute(
                select(AgendaPaper.agenda_item_id, Document.id, Document.title, Document.doc_type,
                       Organisation.code.label("org_code"))
                .join(Document, Document.id == AgendaPaper.document_id)
                .join(Organisation, Organisation.id == Document.org_id)
                .where(AgendaPaper.agenda_item_id.in_(papers), visible).order_by(Document.title)):
            papers[paper.agenda_item_id].append(paper)
    return papers


def meeting_page(meeting: Meeting, status: int = 200, **forms):
    if inspect(meeting).unloaded & PAGE_RELATIONS:
        meeting = db.session.execute(select(Meeting).where(Meeting.id == meeting.id).options(*PAGE_OPTIONS)
                                     ).unique().scalar_one()
    items = list(meeting.items)
    user = current_user._get_current_object()  # the signed-in user, read once rather than through the proxy
    visible = visible_clause(user)  # built once: three queries below use the viewer's rule
    papers = _papers_by_item(items, visible)
    participants = db.session.execute(
        select(Participant.user_id, Participant.rsvp, Participant.attended, Participant.role, User.name,
               Organisation.id.label("org_id"), Organisation.name.label("org_name"))
        .join(User, User.id == Participant.user_id).join(Organisation, Organisation.id == User.org_id)
        .where(Participant.meeting_id == meeting.id)
        .order_by(Organisation.kind != "member_state", Organisation.name, User.name)).all()
    delegations = [(name, list(group)) for (_, name), group in groupby(participants, key=lambda p: (p.org_id,
                                                                                                     p.org_name))]
    group_root = meeting.group_with_id or meeting.id
    grouped = db.session.execute(
        select(Meeting).options(joinedload(Meeting.body))
        .where(or_(Meeting.group_with_id == group_root, Meeting.id == group_root), Meeting.id != meeting.id,
               visible_bodies_clause(user, Meeting.body_id))
        .order_by(Meeting.starts_on, Meeting.body_id)).scalars().all()
    decisions = db.session.execute(
        select(Decision.text, AgendaItem.id.label("item_id"), AgendaItem.position, AgendaItem.title)
        .outerjoin(AgendaItem, AgendaItem.id == Decision.agenda_item_id)
        .where(Decision.meeting_id == meeting.id).order_by(Decision.id)).all()
    actions = db.session.execute(
        select(ActionItem).options(joinedload(ActionItem.owner_user),
                                   joinedload(ActionItem.owner_org))
        .where(ActionItem.meeting_id == meeting.id).order_by(ActionItem.id)).scalars().all()
    manage = can(user, "meetings.manage", meeting)
    contribute = can(user, "meetings.contribute", meeting)
    mine = next((p for p in participants if p.user_id == user.id), None)
    context = {
        "item_form": forms.get("item_form") or AgendaItemForm(formdata=None),
        "rsvp_form": forms.get("rsvp_form") or RsvpForm(formdata=None, rsvp=mine.rsvp if mine else None),
        "paper_form": forms.get("paper_form") or PaperForm(formdata=None, item=_int_arg("attach")),
        "invite_form": forms.get("invite_form") or InviteForm(formdata=None),
        "action_form": forms.get("action_form") or ActionItemForm(formdata=None),
        "agenda_error": forms.get("agenda_error"),
    }
    states = _member_states(meeting)
    if contribute:
        paper_choices(context["paper_form"], meeting)
    if manage:
        invite_choices(context["invite_form"], meeting)
        action_choices(context["action_form"], meeting, states)
    return render_template(
        "meetings/meeting.html", meeting=meeting, items=items, papers=papers, delegations=delegations,
        participants=participants, mine=mine, grouped=grouped, decisions=decisions, actions=actions,
        readiness=_readiness(meeting, visible, states), start=local_start(meeting), manage=manage,
        contribute=contribute, today=utc_today(), statuses=ACTION_STATUSES, rsvp_labels=RSVP, doc_types=DOC_TYPES,
        **context), status


@bp.get("/meetings/<int:meeting_id>")
@guard("workspaces.view")
def meeting(meeting_id: int):
    found = db.session.get(Meeting, meeting_id, options=PAGE_OPTIONS)
    if found is not None and not can(current_user, "workspaces.view", found) and guest_role(current_user, found):
        return redirect(url_for(".guest_view", meeting_id=meeting_id))  # a guest sees the meeting's guest page
    return meeting_page(load_meeting(meeting_id, options=PAGE_OPTIONS))


def back_to(meeting: Meeting, anchor: str):
    return redirect(url_for(".meeting", meeting_id=meeting.id, _anchor=anchor))
