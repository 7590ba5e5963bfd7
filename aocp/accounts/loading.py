"""Loading the accounts, memberships, invitations and tokens a URL names, for pages and the API alike.

Each loader takes the rule the route is guarded by: the object is returned when the person may do it, and a
missing object is `http.NotFound` (404, a page or JSON by the request)."""
from __future__ import annotations

from aocp.accounts.models import ApiToken, Invitation, User
from aocp.extensions import db
from aocp.http import checked
from aocp.orgs.models import Membership


def load_user(user_id: int, rule: str = "users.view") -> User:
    return checked(db.session.get(User, user_id), "person", rule)


def load_membership(membership_id: int, rule: str = "memberships.manage") -> Membership:
    return checked(db.session.get(Membership, membership_id), "membership", rule)


def load_invitation(inv_id: int, rule: str = "invitations.approve") -> Invitation:
    return checked(db.session.get(Invitation, inv_id), "invitation", rule)


def load_token(token_id: int, rule: str = "users.manage") -> ApiToken:
    return checked(db.session.get(ApiToken, token_id), "token", rule)
