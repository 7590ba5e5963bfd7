"""Sign-in pages: password, second factor, sign-out, invitation acceptance, password reset."""
from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from aocp import audit
from aocp.accounts import invitations, password_changes, services, throttle
from aocp.accounts.forms import AcceptInvitationForm, LoginForm, ResetForm, ResetRequestForm, SecondFactorForm
from aocp.accounts.models import User
from aocp.accounts.signing_in import MFA_PENDING_SECONDS, begin_sign_in, finish_sign_in, login_limit
from aocp.extensions import db, limiter
from aocp.forms import ActionForm
from aocp.policy import guard, public

bp = Blueprint("accounts", __name__)

GENERIC_FAILURE = "The email or password is not correct."
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        result = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        if not result.ok:
            db.session.commit()  # keep the failure count and its audit entry
            time.sleep(throttle.failure_delay(result.user))  # after the commit: no row stays locked meanwhile
            flash(GENERIC_FAILURE, "error")
            return render_template("accounts/login.html", form=form), 200
        return begin_sign_in(result.user, "password", form.next.data)
    return render_template("accounts/login.html", form=form)


def _pending_user() -> tuple[User | None, dict]:
    pending = session.get("mfa_pending")
    if not pending or time.time() - pending["at"] > MFA_PENDING_SECONDS:
        return None, {}
    user = db.session.get(User, pending["user_id"])
    return (user if user and user.is_active else None), pending


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@public
def second_factor():
    user, pending = _pending_user()
    if user is None:
        session.pop("mfa_pending", None)
        flash("Please sign in again.", "info")
        return redirect(url_for("accounts.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        if services.check_second_factor(user, form.code.data, request.remote_addr):
            return finish_sign_in(user, pending.get("method", "password") + "+totp", pending.get("next"))
        db.session.commit()
        time.sleep(throttle.failure_delay(user))
        flash("That code is not valid. Codes can be used only once.", "error")
    return render_template("accounts/second_factor.html", form=form)


@bp.route("/logout", methods=["POST"])
@guard("profile.manage")
def logout():
    if ActionForm().validate_on_submit():
        audit.record("auth.logout", actor=current_user)
        db.session.commit()
        logout_user()
        session.clear()
        session.regenerate()
        flash("You have signed out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@public
def accept_invitation(token: str):
    inv = invitations.find_invitation(token)
    if inv is None:
        return render_template("accounts/link_invalid.html", what="invitation"), 404
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            invitations.accept_invitation(inv, form.password.data)
        except services.AccountError as err:
            db.session.rollback()
            form.password.errors.append(str(err))
        else:
            db.session.commit()
            flash("Your account is ready. Sign in with your email and new password.", "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/accept_invitation.html", form=form, inv=inv)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@public
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        password_changes.request_password_reset(form.email.data)
        db.session.commit()
        flash("If an active account uses that email, a reset link is on its way. It works once, for "
              f"{current_app.config['RESET_TTL_MINUTES']} minutes.", "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@public
def reset_password(token: str):
    reset = password_changes.find_reset(token)
    if reset is None:
        return render_template("accounts/link_invalid.html", what="password reset link"), 404
    form = ResetForm()
    if form.validate_on_submit():
        try:
            password_changes.complete_reset(reset, form.password.data)
        except services.AccountError as err:
            db.session.rollback()
            form.password.errors.append(str(err))
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            session.regenerate()
            flash("Your password is changed and every session signed out. Sign in with the new password.",
                  "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form, email=reset.user.email)
