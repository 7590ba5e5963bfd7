"""Who may do what in a body's workspace: it follows body membership (the policy's object rules call these).

ASEC sees and manages every workspace. A body's chair and vice-chair manage it; its members contribute
(papers, replies, comments, their own action items); its observers read. Everyone else sees nothing of it.
Objects may be a Body, a Meeting or an ActionItem; a meeting and an action item inherit from their body.
"""
from __future__ import annotations

from sqlalchemy import or_, select, true

from aocp.accounts.models import ASEC_ROLES
from aocp.meetings.models import ActionItem
from aocp.orgs.models import Membership

MANAGERS = ("chair", "vice_chair")
CONTRIBUTORS = ("chair", "vice_chair", "member")


def body_id_of(obj) -> int | None:
    """The body an object belongs to (Body, Meeting, ActionItem or anything with body_id)."""
    if obj is None:
        return None
    if obj.__class__.__name__ == "Body":
        return obj.id
    return getattr(obj, "body_id", None)


def body_role(user, obj) -> str | None:
    body_id = body_id_of(obj)
    return user.body_role(body_id) if body_id is not None else None


def can_view(user, obj) -> bool:
    return user.role in ASEC_ROLES or body_role(user, obj) is not None


def can_contribute(user, obj) -> bool:
    return user.role in ASEC_ROLES or (body_role(user, obj) in CONTRIBUTORS and user.role != "observer")


def can_manage(user, obj) -> bool:
    return user.role in ASEC_ROLES or (body_role(user, obj) in MANAGERS and user.role != "observer")


def can_update_action(user, item) -> bool:
    """Managers of the body, the person who owns the item, or a focal person of the Member State that owns it."""
    if can_manage(user, item):
        return True
    if getattr(item, "owner_user_id", None) == user.id:
        return True
    return (getattr(item, "owner_org_id", None) == user.org_id and user.role == "focal_person"
            and can_view(user, item))


def visible_bodies_clause(user, body_id_column):
    """SQL: rows whose body the user may see (for lists of meetings and action items)."""
    if user.role in ASEC_ROLES:
        return true()
    return body_id_column.in_(select(Membership.body_id).where(Membership.user_id == user.id))


def owned_clause(user):
    """SQL: action items owned by the user or by their organisation (their Member State): "my action items"."""
    return or_(ActionItem.owner_user_id == user.id, ActionItem.owner_org_id == user.org_id)
