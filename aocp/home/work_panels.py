"""Home page panels of things to do: my action items, and nominations (ASEC: accounts pending approval; a focal
person: their own nominations still waiting)."""
from __future__ import annotations

from datetime import date

from flask import url_for
from sqlalchemy import func, select

from aocp.accounts.models import Invitation, User
from aocp.extensions import db
from aocp.home import ROWS, Panel
from aocp.meetings.access import owned_clause, visible_bodies_clause
from aocp.meetings.action_items import list_options
from aocp.meetings.models import ActionItem
from aocp.meetings.views import OPEN
from aocp.policy import can


def my_action_items(user: User, today: date) -> Panel | None:
    """Open items owned by me or my Member State in bodies I may see, overdue first (the list `?owner=me`)."""
    if not can(user, "workspaces.view"):
        return None
    where = (visible_bodies_clause(user, ActionItem.body_id), owned_clause(user), ActionItem.status.in_(OPEN))
    total = db.session.scalar(select(func.count(ActionItem.id)).where(*where))
    rows = db.session.execute(
        select(ActionItem).where(*where).options(*list_options())
        .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id).limit(ROWS)).scalars().all()
    return Panel("actions", "My action items", "home/_actions.html", total, rows,
                 url_for("meetings.actions", owner="me"), "All my action items",
                 "no open action item owned by you or your Member State.")


def _nominations(where, order, limit: int) -> tuple[int, list[Invitation]]:
    total = db.session.scalar(select(func.count(Invitation.id)).where(*where))
    rows = db.session.execute(select(Invitation).where(*where).order_by(*order).limit(limit)).scalars().all()
    return total, rows


def accounts_pending(user: User, today: date) -> Panel | None:
    """ASEC administrators: nominations waiting for approval, longest waiting first."""
    if not can(user, "invitations.approve"):
        return None
    total, rows = _nominations((Invitation.status == "nominated",), (Invitation.created_at, Invitation.id), ROWS)
    return Panel("nominations", "Accounts pending approval", "home/_nominations.html", total, rows,
                 url_for("admin.invitations", status="nominated"), "All nominations",
                 "no nomination is waiting for approval.")


def my_nominations(user: User, today: date) -> Panel | None:
    """A focal person: the delegates they nominated whom ASEC has not yet approved or refused."""
    if not can(user, "users.nominate") or can(user, "invitations.approve"):
        return None
    total, rows = _nominations((Invitation.status == "nominated", Invitation.invited_by_id == user.id),
                               (Invitation.created_at, Invitation.id), ROWS)
    return Panel("my-nominations", "My nominations waiting", "home/_nominations.html", total, rows,
                 url_for("admin.nominate", status="nominated"), "All my nominations",
                 "none of your nominations is waiting for ASEC.")
