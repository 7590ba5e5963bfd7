"""Who may do what: one policy for pages, API and templates, deny by default.

Rules are named "<domain>.<verb>". A role grants a rule through ROLE_RULES; a rule may also
have an object check in OBJECT_RULES that narrows it for one object (an organisation, a user).
Every view declares its rule with @guard (or @public); the app refuses any endpoint that did not.
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import abort, current_app, request
from flask_login import current_user

PUBLIC = "public"

RULES = {
    "profile.manage": "Change one's own password, second factor, sessions and tokens",
    "orgs.view": "See organisations",
    "bodies.view": "See bodies: their names and descriptions",
    "bodies.members": "See who belongs to a body, with their emails: its own members and ASEC",
    "users.view": "See people and their accounts",
    "users.manage": "Invite, deactivate and reactivate people and change their roles",
    "users.nominate": "Nominate a delegate of one's own Member State",
    "invitations.approve": "Approve nominations and send invitations",
    "orgs.manage": "Create and edit organisations",
    "bodies.manage": "Create and edit bodies",
    "memberships.manage": "Add and remove body memberships",
    "audit.view": "Browse and export the audit log",
    "documents.view": "Open a document, its versions, comments and audience",
    "documents.upload": "Share new documents",
    "documents.edit": "Change a document's details, add versions and change who may see it",
    "documents.file_for": "Share a document, or a new version of it, in the name of an organisation",
    "documents.file_in": "File a document in a body or for its meeting, or share it with the body's members",
    "documents.comment": "Comment on a document one may open",
    "documents.delete": "Move a document to the trash",
    "documents.trash": "See the trash and restore documents from it",
    "documents.purge": "Delete a document from the trash for good",
    "documents.downloads": "See who downloaded or previewed a document, in its activity",
    "workspaces.view": "See a body's workspace, its meetings, minutes and action items",
    "meetings.manage": "Schedule meetings, run the agenda, minutes, decisions and action items of a body",
    "meetings.attend": "See a meeting one is invited to as a guest, resource person or secretariat officer from "
                       "outside its body: its published agenda and the papers shared with guests, nothing else",
    "meetings.contribute": "Submit papers, reply to invitations and comment on circulated minutes",
    "actions.update": "Update the status of an action item one owns or manages",
    "notifications.view": "See one's own notifications and choose which to receive",
    "notifications.defaults": "Set the default notification choices for each role",
    "plans.view": "See an AMCAP plan's structure (areas, strategies, action lines, milestones) and published "
                  "achievement rates: ASEAN, and partners for a plan ASEC shares with them",
    "reports.view": "Read progress reports and their review history: ASEAN only; a draft only its authors",
    "packs.view": "Download review packs (JWG, ASOMM, Mid-/Final-Term) and see the participation matrix: ASEAN only",
    "plans.manage": "Create plans and their structure, import them, carry action lines over",
    "reports.edit": "Save, submit and resubmit a progress report of an action line one's Member State leads",
    "reports.review": "Accept or return a progress report of an action line of a working group one chairs or "
                      "vice-chairs, or of any line for WGCBM's chair and vice-chair",
    "reports.change": "Save or submit this report now: a draft or a returned one, or the quarter's first, for "
                      "those who file the line's reports",
    "reports.decide": "Accept or return this report now: a submitted one, for those who review the line's reports",
    "sso.manage": "Configure the OpenID Connect providers people may sign in with",
    "search.use": "Search AOCP from the header: each kind of result filtered by the rule of its own list",
}

_SIGNED_IN = {"profile.manage", "orgs.view", "bodies.view", "bodies.members", "documents.view",
              "documents.comment", "workspaces.view", "meetings.attend", "notifications.view", "plans.view", "search.use"}
# Observers read what is shared with them; Member States and ASEC share.
_CONTRIBUTE = {"documents.upload", "documents.edit", "documents.delete", "meetings.manage", "meetings.contribute",
               "actions.update", "reports.edit", "reports.review", "reports.change", "reports.decide",
               "documents.file_for", "documents.file_in"}
# ASEAN-internal progress: Member States' people and ASEC read it; partners (observers) do not.
_ASEAN = {"reports.view", "packs.view"}
ROLE_RULES: dict[str, frozenset[str]] = {
    "asec_admin": frozenset(RULES),
    "asec_staff": frozenset(_SIGNED_IN | _CONTRIBUTE | _ASEAN | {"users.view", "documents.trash",
                                                                 "documents.downloads", "plans.manage"}),
    "focal_person": frozenset(_SIGNED_IN | _CONTRIBUTE | _ASEAN | {"users.nominate"}),
    "delegate": frozenset(_SIGNED_IN | _CONTRIBUTE | _ASEAN),
    "observer": frozenset(_SIGNED_IN),
}


def _nominate(user, org) -> bool:
    # Administrators nominate for anyone; a focal person only for their own Member State.
    if user.role == "asec_admin":
        return True
    return org is not None and org.kind == "member_state" and org.id == user.org_id


def _open_document(user, doc) -> bool:
    from aocp.documents.access import reason

    return reason(user, doc) is not None


def _own_document(user, doc) -> bool:
    # The uploader and ASEC manage a document; nobody edits what they cannot open.
    from aocp.documents.access import sees_everything

    return sees_everything(user) or (doc.uploader_id == user.id and doc.deleted_at is None)


def _file_for(user, org) -> bool:
    # A document speaks for its organisation: people file in their own's name, ASEC for anyone's.
    from aocp.documents.access import sees_everything

    return sees_everything(user) or (org is not None and org.id == user.org_id)


def _workspace(check: str) -> Callable[[Any, Any], bool]:
    # Workspaces and member lists follow body membership. (Imported when first asked: the meetings package
    # loads its pages, which import this module.)
    def rule(user, obj) -> bool:
        from aocp.meetings import access

        return getattr(access, check)(user, obj)
    return rule


def _report(check: str) -> Callable[[Any, Any], bool]:
    # Plans are shared with partners by a flag; progress reports follow the action line's lead Member States
    # and responsible working group.
    def rule(user, obj) -> bool:
        from aocp.plans import access

        return getattr(access, check)(user, obj)
    return rule


OBJECT_RULES: dict[str, Callable[[Any, Any], bool]] = {
    "workspaces.view": _workspace("can_view"),
    "meetings.manage": _workspace("can_manage"),
    "meetings.contribute": _workspace("can_contribute"),
    "meetings.attend": _workspace("can_attend"),
    "actions.update": _workspace("can_update_action"),
    "users.nominate": _nominate,
    "documents.view": _open_document,
    "documents.comment": _open_document,
    "documents.edit": _own_document,
    "documents.delete": _own_document,
    "documents.file_for": _file_for,
    "documents.file_in": _workspace("can_view"),  # a body's members (any role) and ASEC
    "bodies.members": _workspace("can_view"),
    "plans.view": _report("can_view_plan"),
    "reports.view": _report("can_read_report"),
    "reports.edit": _report("can_edit_report"),
    "reports.review": _report("can_review_report"),
    "reports.change": _report("can_change_report"),  # these two also look at the report's state
    "reports.decide": _report("can_decide_report"),
}


def can(user, rule: str, obj: Any = None) -> bool:
    """True when `user` may do `rule` (on `obj`, when the rule looks at objects)."""
    if rule not in RULES:
        raise KeyError(f"unknown policy rule {rule!r}")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if rule not in ROLE_RULES.get(user.role, ()):
        return False
    check = OBJECT_RULES.get(rule)
    return check(user, obj) if (check and obj is not None) else True


class PermissionDenied(Exception):
    """Raised by services with the refused rule (and, when useful, a message for the person); views and the API
    turn it into 403."""

    def __init__(self, rule: str = "", message: str = ""):
        super().__init__(rule)
        self.message = message


def record_denial(user, rule: str) -> None:
    """Audit a refused request in its own small transaction."""
    from aocp import audit
    from aocp.extensions import db

    db.session.rollback()
    audit.record("access.denied", actor=user, details={"rule": rule, "path": request.path,
                                                        "method": request.method})
    db.session.commit()


def require(user, rule: str, obj: Any = None) -> None:
    """Abort with 403 (and an audit entry) unless `user` may do `rule`."""
    if not can(user, rule, obj):
        if getattr(user, "is_authenticated", False):
            record_denial(user, rule)
        abort(403)


def guard(rule: str) -> Callable:
    """Declare a page's rule: sign-in required, then `rule` checked before the view runs."""
    if rule not in RULES:
        raise KeyError(f"unknown policy rule {rule!r}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            require(current_user, rule)
            return view(*args, **kwargs)

        wrapped.policy_rule = rule
        return wrapped
    return decorator


def public(view):
    """Declare a page open to anyone (sign-in pages, health check)."""
    view.policy_rule = PUBLIC
    return view


def enforce_declared() -> None:
    """before_request hook: an endpoint that declared no rule is refused (default deny)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None
    view = current_app.view_functions.get(endpoint)
    if getattr(view, "policy_rule", None) is None:
        abort(403)
    return None
