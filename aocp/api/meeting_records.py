"""API endpoints for what a meeting records: decisions, action items and minutes.

Action items belong to a body (and usually a meeting); the cross-meeting list shows only those of
bodies the caller may see. Minutes are saved with the version the caller read: a save over someone
else's newer text answers 409 with the minutes as they are now, never a silent overwrite.
"""
from __future__ import annotations

from flask import abort, g, request
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from aocp.accounts.models import User
from aocp.api import bp
from aocp.api.auth import api_guard
from aocp.api.meeting_fields import handled, minutes_state
from aocp.api.meetings import person
from aocp.extensions import db
from aocp.http import MAX_ID, Fields, body_by_code, json_body, org_by_code, paginated
from aocp.meetings import access, assignments, services, timetable
from aocp.meetings.loading import can_read_minutes, load_action, load_decision, load_item, load_meeting
from aocp.meetings.models import ACTION_STATUSES, ActionItem, Decision, Meeting, Minutes
from aocp.policy import can
from aocp.timeutil import utcnow

OPEN = ("open", "in_progress")
MINUTES_LIMIT = 500_000


def _day(value) -> str | None:
    return value.isoformat() if value else None


def _time(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def decision_json(d: Decision) -> dict:
    return {"id": d.id, "meeting_id": d.meeting_id, "agenda_item_id": d.agenda_item_id, "text": d.text,
            "created_at": _time(d.created_at)}


def action_json(a: ActionItem) -> dict:
    today = utcnow().date()
    return {"id": a.id, "body": a.body.code, "meeting_id": a.meeting_id, "title": a.title,
            "owner_user": person(a.owner_user), "owner_org": a.owner_org.code if a.owner_org else None,
            "due_on": _day(a.due_on), "status": a.status, "action_line": a.action_line,
            "overdue": bool(a.is_open and a.due_on and a.due_on < today),
            "created_at": _time(a.created_at), "closed_at": _time(a.closed_at)}


def _action_options() -> tuple:
    return (joinedload(ActionItem.body), joinedload(ActionItem.owner_user),
            joinedload(ActionItem.owner_org))


# --- decisions --------------------------------------------------------------------------------------

@bp.get("/meetings/<int:meeting_id>/decisions")
@api_guard("workspaces.view")
@handled
def list_decisions(meeting_id: int):
    meeting = load_meeting(meeting_id)
    rows = db.session.execute(select(Decision).where(Decision.meeting_id == meeting.id)
                              .order_by(Decision.id)).scalars()
    return {"items": [decision_json(d) for d in rows]}


@bp.post("/meetings/<int:meeting_id>/decisions")
@api_guard("meetings.manage")
@handled
def add_decision(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    f = Fields(json_body(), {"text", "agenda_item_id"}, required=("text",))
    text = f.text("text", required=True, max_length=5000, multiline=True)
    item_id = f.whole("agenda_item_id", 1, MAX_ID, nullable=True)
    f.check()
    item = load_item(meeting, item_id) if item_id is not None else None
    decision = services.add_decision(g.api_user, meeting, text, item)
    db.session.commit()
    return decision_json(decision), 201


@bp.patch("/meetings/<int:meeting_id>/decisions/<int:decision_id>")
@api_guard("meetings.manage")
@handled
def update_decision(meeting_id: int, decision_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    decision = load_decision(meeting, decision_id)
    f = Fields(json_body(), {"text", "agenda_item_id"})
    text = f.text("text", required=True, max_length=5000, multiline=True) if f.has("text") else decision.text
    item_id = f.whole("agenda_item_id", 1, MAX_ID, nullable=True) if f.has("agenda_item_id") \
        else decision.agenda_item_id
    f.check()
    item = load_item(meeting, item_id) if item_id is not None else None
    services.update_decision(g.api_user, decision, text, item)
    db.session.commit()
    return decision_json(decision)


@bp.delete("/meetings/<int:meeting_id>/decisions/<int:decision_id>")
@api_guard("meetings.manage")
@handled
def remove_decision(meeting_id: int, decision_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    services.remove_decision(g.api_user, load_decision(meeting, decision_id))
    db.session.commit()
    return "", 204


# --- action items -----------------------------------------------------------------------------------

def _statuses(raw: str) -> list[str] | None:
    statuses = [s.strip() for s in raw.split(",") if s.strip()]
    return statuses if statuses and all(s in ACTION_STATUSES for s in statuses) else None


@bp.get("/action-items")
@api_guard("workspaces.view")
@handled
def list_action_items():
    """Action items across meetings, of the bodies the caller may see: soonest due first."""
    user, args = g.api_user, request.args
    stmt = (select(ActionItem).where(access.visible_bodies_clause(user, ActionItem.body_id))
            .options(*_action_options())
            .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id))
    if (code := args.get("body")) is not None:
        if (body := body_by_code(code)) is None:
            abort(400, "Unknown body code.")
        stmt = stmt.where(ActionItem.body_id == body.id)
    if (code := args.get("org")) is not None:
        if (org := org_by_code(code)) is None:
            abort(400, "Unknown organisation code.")
        # A Member State's items: those it owns and those owned by its people.
        stmt = stmt.where(or_(ActionItem.owner_org_id == org.id,
                              ActionItem.owner_user_id.in_(select(User.id).where(User.org_id == org.id))))
    if (raw := args.get("status")) is not None:
        if (statuses := _statuses(raw)) is None:
            abort(400, f"Unknown status: one or more (comma-separated) of {', '.join(ACTION_STATUSES)}.")
        stmt = stmt.where(ActionItem.status.in_(statuses))
    if (raw := args.get("overdue")) is not None:
        if raw not in ("true", "false"):
            abort(400, "overdue must be true or false.")
        late = and_(ActionItem.status.in_(OPEN), ActionItem.due_on < utcnow().date())
        stmt = stmt.where(late if raw == "true" else ~late | ActionItem.due_on.is_(None))
    if (raw := args.get("owner")) is not None:
        if raw != "me":
            abort(400, "owner must be me (items owned by the caller or the caller's organisation).")
        stmt = stmt.where(access.owned_clause(user))
    return paginated(stmt, action_json)


@bp.post("/meetings/<int:meeting_id>/action-items")
@api_guard("meetings.manage")
@handled
def add_action_item(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    f = Fields(json_body(), {"title", "owner_user_id", "owner_org", "due_on", "action_line"}, required=("title",))
    title = f.text("title", required=True)
    owner_id = f.whole("owner_user_id", 1, MAX_ID, nullable=True)
    owner_org = f.org("owner_org")
    due_on = f.day("due_on")
    action_line = f.text("action_line", max_length=16)
    owner_user = None
    if owner_id is not None:
        owner_user = db.session.get(User, owner_id)
        if owner_user is None or not owner_user.is_active or not access.can_view(owner_user, meeting):
            f.fail("owner_user_id", "An active member of this body, or ASEC staff.")
    if owner_org is not None and not owner_org.is_asean:
        f.fail("owner_org", "A Member State (or ASEC).")
    if owner_id is None and owner_org is None and not {"owner_user_id", "owner_org"} & set(f.errors):
        f.fail("owner", "Name an owner: owner_user_id (a person) or owner_org (a Member State code).")
    f.check()
    item = assignments.add_action(g.api_user, meeting.body,
                               assignments.ActionDetails(title, owner_user, owner_org, due_on, action_line), meeting)
    db.session.commit()
    return action_json(item), 201


@bp.patch("/action-items/<int:action_id>")
@api_guard("actions.update")
@handled
def update_action_item(action_id: int):
    item = load_action(action_id, "actions.update")
    f = Fields(json_body(), {"status"}, required=("status",))
    status = f.text("status", required=True, max_length=16)
    if f.has("status") and status not in ACTION_STATUSES:
        f.fail("status", f"One of {', '.join(ACTION_STATUSES)}.")
    f.check()
    assignments.set_action_status(g.api_user, item, status)
    db.session.commit()
    return action_json(item)


# --- minutes ----------------------------------------------------------------------------------------

def _minutes(meeting: Meeting) -> dict:
    minutes = db.session.execute(select(Minutes).where(Minutes.meeting_id == meeting.id)
                                 .options(joinedload(Minutes.updated_by))).scalar_one_or_none()
    if minutes is None:  # nothing written yet: what the first save will start from
        # A manager's first draft starts from the agenda, a heading per item.
        outline = timetable.minutes_outline(meeting) if can(g.api_user, "meetings.manage", meeting) else ""
        return {"meeting_id": meeting.id, "status": "draft", "version": 1, "body_md": outline, "body_html": "",
                "updated_at": None,
                "updated_by": None, "adopted_at": None}
    state = minutes_state(minutes)
    if not can_read_minutes(g.api_user, meeting, minutes):
        # As on the minutes page: a draft stays with the body's managers until it is circulated.
        state.update(body_md=None, body_html=None)
    return state


@bp.get("/meetings/<int:meeting_id>/minutes")
@api_guard("workspaces.view")
@handled
def get_minutes(meeting_id: int):
    return _minutes(load_meeting(meeting_id))


@bp.put("/meetings/<int:meeting_id>/minutes")
@api_guard("meetings.manage")
@handled
def save_minutes(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    f = Fields(json_body(), {"body_md", "version"}, required=("body_md", "version"))
    text = f.text("body_md", max_length=MINUTES_LIMIT, multiline=True, strip=False)
    version = f.whole("version", 1, MAX_ID)
    f.check()
    services.save_minutes(g.api_user, meeting, text, version)
    db.session.commit()
    return _minutes(meeting)
