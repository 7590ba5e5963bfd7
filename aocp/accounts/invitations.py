"""Invitations and nominations: an administrator invites, a focal person nominates a delegate for approval,
and the invited person accepts by choosing a password."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from aocp import audit
from aocp.accounts.models import Invitation, User
from aocp.accounts.services import (
    AccountError,
    check_new_password,
    check_new_person,
    claimed,
    external_url,
    find_user,
    normalise_email,
    set_password,
)
from aocp.accounts.tokens import digest, new_secret
from aocp.extensions import db
from aocp.mail import send_email
from aocp.notifications import accounts as notices
from aocp.orgs.models import Body, Membership, Organisation
from aocp.policy import PermissionDenied, can
from aocp.timeutil import utcnow


def _bodies(codes: list[str]) -> list[Body]:
    if not codes:
        return []
    found = db.session.execute(select(Body).where(Body.code.in_(codes))).scalars().all()
    missing = set(codes) - {b.code for b in found}
    if missing:
        raise AccountError(f"Unknown body code(s): {', '.join(sorted(missing))}.")
    return list(found)


def invite(actor: User, email: str, name: str, org: Organisation, role: str, body_codes: list[str]) -> Invitation:
    """An administrator invites directly; a focal person's nomination waits for approval."""
    email = normalise_email(email)
    if not can(actor, "users.manage"):
        if not can(actor, "users.nominate", org) or role != "delegate":
            raise PermissionDenied("Focal persons may nominate delegates of their own Member State only.")
    check_new_person(email, org, role)
    _bodies(body_codes)
    inv = Invitation(email=email, name=name.strip(), org_id=org.id, role=role, body_codes=",".join(body_codes),
                     status="nominated", invited_by_id=actor.id)
    db.session.add(inv)
    db.session.flush()
    if can(actor, "invitations.approve"):
        _send_invitation(actor, inv)
        audit.record("invitation.sent", actor=actor, target=inv, details={"email": email, "role": role,
                                                                          "org": org.code, "bodies": body_codes})
    else:
        audit.record("invitation.nominated", actor=actor, target=inv, details={"email": email, "role": role,
                                                                               "org": org.code})
    return inv


def approve_nomination(actor: User, inv: Invitation) -> None:
    if inv.status != "nominated":
        raise AccountError("Only a pending nomination can be approved.")
    _send_invitation(actor, inv)
    audit.record("invitation.approved", actor=actor, target=inv, details={"email": inv.email})
    notices.nomination_decided(actor, inv, approved=True)


def revoke_invitation(actor: User, inv: Invitation) -> None:
    if inv.status not in ("nominated", "sent"):
        raise AccountError("This invitation is no longer open.")
    refused = inv.status == "nominated"  # a nomination refused, rather than an invitation withdrawn
    inv.status, inv.token_hash = "revoked", None
    audit.record("invitation.revoked", actor=actor, target=inv, details={"email": inv.email})
    if refused:
        notices.nomination_decided(actor, inv, approved=False)


def _send_invitation(actor: User, inv: Invitation) -> str:
    raw, hashed = new_secret()
    hours = current_app.config["INVITATION_TTL_HOURS"]
    inv.status, inv.token_hash, inv.approved_by_id = "sent", hashed, actor.id
    inv.expires_at = utcnow() + timedelta(hours=hours)
    link = external_url("accounts.accept_invitation", token=raw)
    send_email(inv.email, "You are invited to AOCP",
               render_template("email/invitation.txt", inv=inv, link=link, hours=hours, actor=actor))
    return raw


def find_invitation(raw: str) -> Invitation | None:
    inv = db.session.execute(select(Invitation).where(Invitation.token_hash == digest(raw))).scalar_one_or_none()
    if inv is None or inv.status != "sent" or inv.expires_at < utcnow():
        return None
    return inv


def accept_invitation(inv: Invitation, password: str) -> User:
    """Create the account; the link stops working at once (its hash is dropped)."""
    if find_user(inv.email):
        raise AccountError("An account with this email already exists.")
    check_new_password(password, inv.email)
    now = utcnow()
    if not claimed(update(Invitation).where(Invitation.id == inv.id, Invitation.status == "sent",
                                             Invitation.token_hash == inv.token_hash, Invitation.expires_at >= now)
                    .values(status="accepted", token_hash=None, accepted_at=now)):
        raise AccountError("This invitation has already been accepted. Sign in with your email and password.")
    for name, value in (("status", "accepted"), ("token_hash", None), ("accepted_at", now)):
        set_committed_value(inv, name, value)
    user = User(email=inv.email, name=inv.name, org_id=inv.org_id, role=inv.role, status="active")
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    for body in _bodies(inv.bodies):
        db.session.add(Membership(user_id=user.id, body_id=body.id, role="member"))
    audit.record("invitation.accepted", actor=user, target=inv)
    return user
