"""Signing a person in, shared by the password and single sign-on pages: a new session, the second factor first
when the person has one, then the page they were going to."""
from __future__ import annotations

import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import login_user

from aocp.accounts import services
from aocp.accounts.models import User
from aocp.extensions import db
from aocp.forms import safe_next

MFA_PENDING_SECONDS = 300  # how long the password step waits for the second factor


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def finish_sign_in(user: User, method: str, next_url: str | None):
    session.pop("mfa_pending", None)
    session.regenerate()  # a new session id at sign-in: no fixation
    login_user(user)
    services.signed_in(user, method, request.remote_addr)
    db.session.commit()
    if user.mfa_required and not user.mfa_enabled:
        flash("Your account needs a second factor. Set it up now to continue.", "info")
        return redirect(url_for("profile.mfa_setup"))
    return redirect(safe_next(next_url, url_for("main.home")))


def begin_sign_in(user: User, method: str, next_url: str | None, second_factor_done: bool = False):
    """Sign in, asking first for the second factor when the person has one and it was not done elsewhere."""
    if user.mfa_enabled and not second_factor_done:
        session["mfa_pending"] = {"user_id": user.id, "at": int(time.time()), "next": next_url, "method": method}
        db.session.commit()
        return redirect(url_for("accounts.second_factor"))
    return finish_sign_in(user, method, next_url)
