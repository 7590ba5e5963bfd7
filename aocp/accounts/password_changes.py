"""Changing a password: by the holder (knowing the current one) or through a reset link sent by email."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from aocp import audit
from aocp.accounts import throttle
from aocp.accounts.models import PasswordReset, User
from aocp.accounts.passwords import verify_password
from aocp.accounts.services import (
    AccountError,
    check_new_password,
    claimed,
    external_url,
    find_user,
    normalise_email,
    set_password,
)
from aocp.accounts.tokens import digest, new_secret
from aocp.extensions import db
from aocp.mail import send_email
from aocp.sessions import end_sessions
from aocp.timeutil import utcnow


def change_password(user: User, current: str, new: str, session_row_id: int | None, client: str) -> None:
    if not verify_password(user.password_hash, current):
        throttle.register_failure(user, client, "password_change")
        raise AccountError("Your current password is not correct.")
    check_new_password(new, user)
    set_password(user, new)
    end_sessions(user.id, except_row_id=session_row_id)
    audit.record("password.changed", actor=user, target=user)


def request_password_reset(email: str) -> None:
    """Email a reset link when the address belongs to an active account; silent otherwise."""
    user = find_user(email)
    if user is None or not user.is_active:
        audit.record("password.reset_requested", actor_email=normalise_email(email)[:254],
                     details={"sent": False})
        return
    raw, hashed = new_secret()
    ttl = current_app.config["RESET_TTL_MINUTES"]
    db.session.add(PasswordReset(user_id=user.id, token_hash=hashed, expires_at=utcnow() + timedelta(minutes=ttl)))
    link = external_url("accounts.reset_password", token=raw)
    send_email(user.email, "Reset your AOCP password",
               render_template("email/reset.txt", user=user, link=link, minutes=ttl))
    audit.record("password.reset_requested", actor=user, target=user, details={"sent": True})


def find_reset(raw: str) -> PasswordReset | None:
    reset = (db.session.execute(select(PasswordReset).where(PasswordReset.token_hash == digest(raw)))
             .scalar_one_or_none())
    if reset is None or reset.used_at or reset.expires_at < utcnow() or not reset.user.is_active:
        return None
    return reset


def complete_reset(reset: PasswordReset, password: str) -> User:
    """Set the new password and end every session; the second factor is still asked at sign-in."""
    user = reset.user
    check_new_password(password, user)
    now = utcnow()
    if not claimed(update(PasswordReset).where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None),
                                                PasswordReset.expires_at >= now).values(used_at=now)):
        raise AccountError("This link has already been used. Ask for a new one if you still need it.")
    set_committed_value(reset, "used_at", now)
    set_password(user, password)
    throttle.lift(user)  # whoever holds the mailbox is the holder: their pauses end with the old password
    end_sessions(user.id)
    audit.record("password.reset", actor=user, target=user)
    return user
