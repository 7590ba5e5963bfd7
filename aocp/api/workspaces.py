"""API endpoints for body workspaces: the bodies the caller may see, with their members, meetings and
open action items. A workspace follows body membership: ASEC sees every one, members their own, and a
workspace the caller may not see answers 404 (audited)."""
from __future__ import annotations

from flask import g
from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload, selectinload

from aocp.accounts.models import User
from aocp.api import bp
from aocp.api.auth import api_guard
from aocp.api.meeting_fields import handled
from aocp.api.meetings import meeting_json, meeting_options
from aocp.extensions import db
from aocp.meetings import access
from aocp.meetings.loading import load_workspace
from aocp.meetings.models import ActionItem, Meeting
from aocp.orgs.models import Body, Membership
from aocp.policy import can
from aocp.timeutil import utcnow

UPCOMING_LIMIT = 10


def workspace_json(b: Body, user: User) -> dict:
    return {"code": b.code, "short_name": b.short_name, "name": b.name, "description": b.description,
            "parent": b.parent.code if b.parent else None, "my_role": user.body_role(b.id),
            "can_manage": can(user, "meetings.manage", b)}



def _upcoming():
    today = utcnow().date()
    return and_(Meeting.ends_on >= today, Meeting.status != "cancelled")


def _next_meetings(body_ids: list[int]) -> dict[int, Meeting]:
    """Each body's next (or current) meeting that is not cancelled, in two queries whatever the number."""
    if not body_ids:
        return {}
    first = (select(Meeting.body_id, func.min(Meeting.starts_on).label("day"))
             .where(Meeting.body_id.in_(body_ids), _upcoming()).group_by(Meeting.body_id).subquery())
    rows = db.session.execute(
        select(Meeting).join(first, and_(Meeting.body_id == first.c.body_id, Meeting.starts_on == first.c.day))
        .options(*meeting_options()).order_by(Meeting.number)).scalars()
    found: dict[int, Meeting] = {}
    for m in rows:
        found.setdefault(m.body_id, m)
    return found


@bp.get("/workspaces")
@api_guard("workspaces.view")
@handled
def list_workspaces():
    user = g.api_user
    bodies = db.session.execute(select(Body).where(access.visible_bodies_clause(user, Body.id))
                                .options(selectinload(Body.parent)).order_by(Body.id)).scalars().all()
    ids = [b.id for b in bodies]
    counts = dict(db.session.execute(select(Membership.body_id, func.count(Membership.id))
                                     .where(Membership.body_id.in_(ids)).group_by(Membership.body_id)).all())
    upcoming = _next_meetings(ids)
    return {"items": [workspace_json(b, user) | {
        "members_count": counts.get(b.id, 0),
        "next_meeting": meeting_json(upcoming[b.id]) if b.id in upcoming else None} for b in bodies]}


@bp.get("/workspaces/<code>")
@api_guard("workspaces.view")
@handled
def get_workspace(code: str):
    user = g.api_user
    body = load_workspace(code, "bodies.members")
    members = db.session.execute(
        select(Membership).join(Membership.user).where(Membership.body_id == body.id)
        .options(joinedload(Membership.user)).order_by(User.name, User.id)).scalars().all()
    upcoming = db.session.execute(select(Meeting).where(Meeting.body_id == body.id, _upcoming())
                                  .options(*meeting_options()).order_by(Meeting.starts_on, Meeting.number)
                                  .limit(UPCOMING_LIMIT)).scalars()
    open_items = db.session.scalar(select(func.count(ActionItem.id)).where(
        ActionItem.body_id == body.id, ActionItem.status.in_(("open", "in_progress"))))
    return workspace_json(body, user) | {
        "members": [{"user_id": m.user_id, "name": m.user.name, "org": m.user.org.code, "role": m.user.role,
                     "body_role": m.role} for m in members],
        "members_count": len(members), "upcoming_meetings": [meeting_json(m) for m in upcoming],
        "open_action_items": open_items}

