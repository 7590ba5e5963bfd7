"""The meeting in parts: an overview (details, my reply, readiness, what is new) and one page per purpose, linked
as tabs: the agenda (timetable), the papers, the participants and the action items (the minutes and decisions are
in minutes.py). Each page reads only what it shows, in a fixed number of statements whatever the data size.

Reading is the default; the forms appear only to those the policy allows, after the content or folded in a
disclosure. A form refused re-renders its own page with the message (400), changing nothing.
"""
from __future__ import annotations

from itertools import groupby

from flask import redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, inspect, or_, select
from sqlalchemy.orm import joinedload

from aocp.accounts.models import User
from aocp.documents.access import visible_clause
from aocp.documents.models import DOC_TYPES, Document
from aocp.extensions import db
from aocp.meetings import bp, readiness, timetable
from aocp.meetings.access import guest_role, visible_bodies_clause
from aocp.meetings.forms import ActionItemForm, AgendaItemForm, InviteForm, PaperForm, RsvpForm
from aocp.meetings.loading import load_meeting
from aocp.meetings.models import (
    ACTION_STATUSES,
    RSVP,
    ActionItem,
    AgendaItem,
    AgendaPaper,
    Decision,
    Meeting,
    Minutes,
    Participant,
)
from aocp.meetings.views import _int_arg, action_choices, invite_choices, local_start, utc_today
from aocp.orgs.models import Organisation
from aocp.policy import can, guard

# The tabs, in order: (name, endpoint, label). The overview is the meeting's own URL.
TABS = (("overview", "meetings.meeting", "Overview"), ("agenda", "meetings.agenda", "Agenda"),
        ("papers", "meetings.papers", "Papers"), ("participants", "meetings.participants", "Participants"),
        ("minutes", "meetings.minutes", "Minutes and decisions"), ("actions", "meetings.meeting_actions",
                                                                   "Action items"))
# Which page a refused form belongs to.
FORM_TABS = {"item_form": "agenda", "agenda_error": "agenda", "paper_form": "papers", "invite_form": "participants",
             "action_form": "actions", "rsvp_form": "overview"}
# What every meeting page shows of the meeting itself.
PAGE_OPTIONS = (joinedload(Meeting.body), joinedload(Meeting.host), joinedload(Meeting.chair),
                joinedload(Meeting.group_with).joinedload(Meeting.body))


def back_to(meeting: Meeting, tab: str, anchor: str | None = None):
    """After a change: the page of the meeting it was made on (and the place on it)."""
    endpoint = dict((name, endpoint) for name, endpoint, _ in TABS).get(tab, "meetings.meeting")
    return redirect(url_for(endpoint, meeting_id=meeting.id, _anchor=anchor))


def _items(meeting: Meeting) -> list[AgendaItem]:
    return db.session.execute(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                              .order_by(AgendaItem.position, AgendaItem.id)).scalars().all()


def _papers_by_item(items: list, visible) -> dict[int, list]:
    """The papers of each agenda item that the viewer may open by `visible` (one query)."""
    papers: dict[int, list] = {i.id: [] for i in items}
    if items:
        for paper in db.session.execute(
                select(AgendaPaper.agenda_item_id, Document.id, Document.title, Document.doc_type,
                       Organisation.code.label("org_code"))
                .join(Document, Document.id == AgendaPaper.document_id)
                .join(Organisation, Organisation.id == Document.org_id)
                .where(AgendaPaper.agenda_item_id.in_(papers), visible, Document.deleted_at.is_(None))
                .order_by(Document.title)):
            papers[paper.agenda_item_id].append(paper)
    return papers


def _participants(meeting: Meeting) -> list:
    return db.session.execute(
        select(Participant.user_id, Participant.rsvp, Participant.attended, Participant.role, User.name,
               Organisation.id.label("org_id"), Organisation.name.label("org_name"))
        .join(User, User.id == Participant.user_id).join(Organisation, Organisation.id == User.org_id)
        .where(Participant.meeting_id == meeting.id)
        .order_by(Organisation.kind != "member_state", Organisation.name, User.name)).all()


def _mine(meeting: Meeting, user) -> Participant | None:
    return db.session.execute(select(Participant).where(Participant.meeting_id == meeting.id,
                                                        Participant.user_id == user.id)).scalar_one_or_none()


def _whats_new(meeting: Meeting, user, visible) -> dict:
    """Counts for the overview, one statement: items, papers the viewer may open, replies, decisions, open
    action items, and the minutes' state."""
    item_ids = select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id).scalar_subquery()
    papers = (select(func.count(func.distinct(Document.id))).select_from(AgendaPaper)
              .join(Document, Document.id == AgendaPaper.document_id)
              .join(AgendaItem, AgendaItem.id == AgendaPaper.agenda_item_id)
              .where(AgendaItem.meeting_id == meeting.id, visible, Document.deleted_at.is_(None)).scalar_subquery())
    row = db.session.execute(select(
        select(func.count()).where(AgendaItem.meeting_id == meeting.id).scalar_subquery().label("items"),
        papers.label("papers"),
        select(func.count()).where(Participant.meeting_id == meeting.id).scalar_subquery().label("invited"),
        select(func.count()).where(Participant.meeting_id == meeting.id,
                                   Participant.rsvp.in_(("in_person", "online"))).scalar_subquery()
        .label("attending"),
        select(func.count()).where(Decision.meeting_id == meeting.id).scalar_subquery().label("decisions"),
        select(func.count()).where(ActionItem.meeting_id == meeting.id,
                                   ActionItem.status.in_(("open", "in_progress"))).scalar_subquery()
        .label("open_actions"),
        select(Minutes.status).where(Minutes.meeting_id == meeting.id).scalar_subquery().label("minutes"),
        select(func.max(Document.created_at)).join(AgendaPaper, AgendaPaper.document_id == Document.id)
        .where(AgendaPaper.agenda_item_id.in_(item_ids), visible).scalar_subquery().label("last_paper"),
    )).one()
    return row._asdict()


def _overview(meeting: Meeting, user, forms: dict) -> dict:
    visible = visible_clause(user)
    mine = _mine(meeting, user)
    group_root = meeting.group_with_id or meeting.id
    grouped = db.session.execute(
        select(Meeting).options(joinedload(Meeting.body))
        .where(or_(Meeting.group_with_id == group_root, Meeting.id == group_root), Meeting.id != meeting.id,
               visible_bodies_clause(user, Meeting.body_id))
        .order_by(Meeting.starts_on, Meeting.body_id)).scalars().all()
    return {"mine": mine, "grouped": grouped, "start": local_start(meeting), "news": _whats_new(meeting, user, visible),
            "readiness": readiness.delegations(meeting, visible),
            "changed": timetable.changed_since_published(meeting),
            "rsvp_form": forms.get("rsvp_form") or RsvpForm(formdata=None, rsvp=mine.rsvp if mine else None)}


def _agenda(meeting: Meeting, user, forms: dict) -> dict:
    items = _items(meeting)
    counts = dict(db.session.execute(
        select(AgendaPaper.agenda_item_id, func.count()).join(Document, Document.id == AgendaPaper.document_id)
        .where(AgendaPaper.agenda_item_id.in_([i.id for i in items]), visible_clause(user),
               Document.deleted_at.is_(None)).group_by(AgendaPaper.agenda_item_id)).all()) if items else {}
    plan, published = timetable.build(meeting, items), timetable.latest_version(meeting)
    form = forms.get("item_form") or AgendaItemForm(formdata=None, day=max((i.day for i in items), default=1))
    form.fill_days(timetable.day_count(meeting))
    changed = timetable.changed_since_published(meeting)
    return {"items": items, "paper_counts": counts, "plan": plan, "published": published, "changed": changed,
            "changed_items": timetable.changed_items(plan, published) if changed else set(),
            "item_form": form, "agenda_error": forms.get("agenda_error")}


def _papers(meeting: Meeting, user, forms: dict) -> dict:
    items = _items(meeting)
    form = forms.get("paper_form") or PaperForm(formdata=None, item=_int_arg("attach"))
    if can(user, "meetings.contribute", meeting):
        form.item.choices = [(0, "—")] + [(i.id, f"{i.position}. {i.title}") for i in items]
    return {"items": items, "plan": timetable.build(meeting, items), "papers": _papers_by_item(items, visible_clause(user)),
            "paper_form": form, "doc_types": DOC_TYPES}


def _participants_tab(meeting: Meeting, user, forms: dict) -> dict:
    participants = _participants(meeting)
    delegations = [(name, list(group)) for (_, name), group in groupby(participants,
                                                                         key=lambda p: (p.org_id, p.org_name))]
    mine = next((p for p in participants if p.user_id == user.id), None)
    form = forms.get("invite_form") or InviteForm(formdata=None)
    if can(user, "meetings.manage", meeting):
        invite_choices(form, meeting)
    return {"participants": participants, "delegations": delegations, "mine": mine, "invite_form": form,
            "rsvp_form": forms.get("rsvp_form") or RsvpForm(formdata=None, rsvp=mine.rsvp if mine else None)}


def _actions(meeting: Meeting, user, forms: dict) -> dict:
    actions = db.session.execute(
        select(ActionItem).options(joinedload(ActionItem.owner_user), joinedload(ActionItem.owner_org))
        .where(ActionItem.meeting_id == meeting.id).order_by(ActionItem.id)).scalars().all()
    form = forms.get("action_form") or ActionItemForm(formdata=None)
    if can(user, "meetings.manage", meeting):
        action_choices(form, meeting)
    return {"actions": actions, "action_form": form}


BUILDERS = {"overview": _overview, "agenda": _agenda, "papers": _papers, "participants": _participants_tab,
            "actions": _actions}


def meeting_page(meeting: Meeting, status: int = 200, tab: str | None = None, **forms):
    """One page of the meeting: `tab`, or the page of the refused form passed in `forms`."""
    tab = tab or next((FORM_TABS[k] for k in forms if k in FORM_TABS), "overview")
    if inspect(meeting).unloaded & {"body", "host", "chair", "group_with"}:
        meeting = load_meeting(meeting.id, options=PAGE_OPTIONS)
    user = current_user._get_current_object()  # the signed-in user, read once rather than through the proxy
    context = BUILDERS[tab](meeting, user, forms)
    return render_template(
        f"meetings/meeting{'' if tab == 'overview' else '_' + tab}.html", meeting=meeting, tab=tab, tabs=TABS,
        manage=can(user, "meetings.manage", meeting), contribute=can(user, "meetings.contribute", meeting),
        today=utc_today(), statuses=ACTION_STATUSES, rsvp_labels=RSVP, **context), status


@bp.get("/meetings/<int:meeting_id>")
@guard("workspaces.view")
def meeting(meeting_id: int):
    found = db.session.get(Meeting, meeting_id, options=PAGE_OPTIONS)
    if found is not None and not can(current_user, "workspaces.view", found) and guest_role(current_user, found):
        return redirect(url_for(".guest_view", meeting_id=meeting_id))  # a guest sees the meeting's guest page
    return meeting_page(load_meeting(meeting_id, options=PAGE_OPTIONS))


@bp.get("/meetings/<int:meeting_id>/agenda")
@guard("workspaces.view")
def agenda(meeting_id: int):
    return meeting_page(load_meeting(meeting_id, options=PAGE_OPTIONS), tab="agenda")


@bp.get("/meetings/<int:meeting_id>/papers")
@guard("workspaces.view")
def papers(meeting_id: int):
    return meeting_page(load_meeting(meeting_id, options=PAGE_OPTIONS), tab="papers")


@bp.get("/meetings/<int:meeting_id>/participants")
@guard("workspaces.view")
def participants(meeting_id: int):
    return meeting_page(load_meeting(meeting_id, options=PAGE_OPTIONS), tab="participants")


@bp.get("/meetings/<int:meeting_id>/actions")
@guard("workspaces.view")
def meeting_actions(meeting_id: int):
    return meeting_page(load_meeting(meeting_id, options=PAGE_OPTIONS), tab="actions")

