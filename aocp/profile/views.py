"""Profile pages: one's own password, second factor, sessions and API tokens."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import delete, select

from aocp import audit
from aocp.accounts import mfa, password_changes, services
from aocp.accounts.models import ApiToken
from aocp.accounts.passwords import verify_password
from aocp.extensions import db
from aocp.forms import ActionForm
from aocp.policy import guard
from aocp.profile.forms import ChangePasswordForm, ConfirmMfaForm, PasswordConfirmForm, TimezoneForm, TokenForm
from aocp.sessions import UserSession, end_sessions
from aocp.sso import services as sso_services

bp = Blueprint("profile", __name__, url_prefix="/profile")


def _page(**forms):
    sessions = db.session.execute(select(UserSession).where(UserSession.user_id == current_user.id)
                                  .order_by(UserSession.last_seen_at.desc())).scalars().all()
    tokens = db.session.execute(select(ApiToken).where(ApiToken.user_id == current_user.id)
                                .order_by(ApiToken.created_at.desc())).scalars().all()
    context = {
        "password_form": ChangePasswordForm(), "token_form": TokenForm(), "action_form": ActionForm(),
        "confirm_form": PasswordConfirmForm(), "sessions": sessions, "tokens": tokens,
        "current_row": session.row_id, "recovery_left": mfa.remaining_recovery_codes(current_user),
        "timezone_form": TimezoneForm(data={"timezone": current_user.timezone}),
        "sso_identities": sso_services.identities_of(current_user), "sso_providers": sso_services.enabled_providers(),
    }
    context.update(forms)
    return render_template("profile/index.html", **context)


@bp.route("/")
@guard("profile.manage")
def index():
    return _page()


@bp.route("/password", methods=["POST"])
@guard("profile.manage")
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            password_changes.change_password(current_user, form.current.data, form.password.data, session.row_id,
                                     request.remote_addr)
        except services.AccountError as err:
            db.session.commit() if "current password" in str(err) else db.session.rollback()
            form.password.errors.append(str(err))
        else:
            db.session.commit()
            flash("Password changed. Your other sessions have been signed out.", "success")
            return redirect(url_for(".index"))
    return _page(password_form=form), 400


@bp.route("/timezone", methods=["POST"])
@guard("profile.manage")
def set_timezone():
    form = TimezoneForm()
    if form.validate_on_submit():
        before, current_user.timezone = current_user.timezone, form.timezone.data
        audit.record("profile.timezone_changed", actor=current_user, target=current_user,
                     details={"timezone": [before, current_user.timezone]})
        db.session.commit()
        flash(f"Times are now shown in {current_user.timezone}.", "success")
        return redirect(url_for(".index"))
    return _page(timezone_form=form), 400


@bp.route("/mfa", methods=["GET", "POST"])
@guard("profile.manage")
def mfa_setup():
    if current_user.mfa_enabled:
        flash("Your second factor is already on.", "info")
        return redirect(url_for(".index"))
    secret = session.get("mfa_setup_secret") or mfa.new_secret()
    session["mfa_setup_secret"] = secret
    form = ConfirmMfaForm()
    if form.validate_on_submit():
        try:
            codes = services.enable_mfa(current_user, secret, form.code.data, session.row_id)
        except services.AccountError as err:
            form.code.errors.append(str(err))
        else:
            db.session.commit()
            session.pop("mfa_setup_secret", None)
            return render_template("profile/recovery_codes.html", codes=codes, first=True)
    uri = mfa.provisioning_uri(current_user, secret)
    return render_template("profile/mfa_setup.html", form=form, secret=secret, qr=mfa.qr_svg(uri))


@bp.route("/mfa/disable", methods=["POST"])
@guard("profile.manage")
def mfa_disable():
    form = PasswordConfirmForm()
    if form.validate_on_submit() and verify_password(current_user.password_hash, form.password.data):
        try:
            services.disable_mfa(current_user, session.row_id)
        except services.AccountError as err:
            flash(str(err), "error")
            return redirect(url_for(".index"))
        db.session.commit()
        flash("Second factor turned off. Your other sessions have been signed out.", "success")
        return redirect(url_for(".index"))
    flash("Your password was not correct; nothing changed.", "error")
    return redirect(url_for(".index"))


@bp.route("/mfa/recovery-codes", methods=["POST"])
@guard("profile.manage")
def recovery_codes():
    form = PasswordConfirmForm()
    if not current_user.mfa_enabled:
        abort(400)
    if form.validate_on_submit() and verify_password(current_user.password_hash, form.password.data):
        codes = services.regenerate_recovery_codes(current_user)
        db.session.commit()
        return render_template("profile/recovery_codes.html", codes=codes, first=False)
    flash("Your password was not correct; nothing changed.", "error")
    return redirect(url_for(".index"))


@bp.route("/sessions/<int:row_id>/revoke", methods=["POST"])
@guard("profile.manage")
def revoke_session(row_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    gone = db.session.execute(delete(UserSession).where(UserSession.id == row_id,
                                                        UserSession.user_id == current_user.id)).rowcount
    if not gone:
        abort(404)
    audit.record("session.revoked", actor=current_user, target=("user_sessions", row_id))
    db.session.commit()
    if row_id == session.row_id:
        logout_user()
        session.clear()
        return redirect(url_for("accounts.login"))
    flash("That session has been signed out.", "success")
    return redirect(url_for(".index"))


@bp.route("/sessions/revoke-all", methods=["POST"])
@guard("profile.manage")
def sign_out_everywhere():
    if not ActionForm().validate_on_submit():
        abort(400)
    count = end_sessions(current_user.id)
    audit.record("session.revoked_all", actor=current_user, target=current_user, details={"sessions": count})
    db.session.commit()
    logout_user()
    session.clear()
    session.row_id = None  # its row is already gone
    session.regenerate()
    flash(f"Signed out everywhere ({count} session{'s' if count != 1 else ''}).", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/tokens", methods=["POST"])
@guard("profile.manage")
def create_token():
    form = TokenForm()
    if form.validate_on_submit():
        try:
            token, raw = services.create_token(current_user, form.name.data, form.scope.data, form.days.data)
        except services.AccountError as err:
            form.name.errors.append(str(err))
        else:
            db.session.commit()
            return render_template("profile/token_created.html", token=token, raw=raw)
    return _page(token_form=form), 400


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@guard("profile.manage")
def revoke_token(token_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    token = db.session.execute(select(ApiToken).where(ApiToken.id == token_id,
                                                      ApiToken.user_id == current_user.id)).scalar_one_or_none()
    if token is None:
        abort(404)
    services.revoke_token(current_user, token)
    db.session.commit()
    flash(f"Token “{token.name}” revoked.", "success")
    return redirect(url_for(".index"))
