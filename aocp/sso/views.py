"""Single sign-on pages: the flow (start, callback), linking on the profile, provider settings for ASEC."""
from __future__ import annotations

import secrets
import time

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from aocp.accounts.services import AccountError, external_url
from aocp.accounts.signing_in import begin_sign_in, login_limit
from aocp.extensions import db, limiter
from aocp.forms import ActionForm
from aocp.orgs.choices import org_choices
from aocp.orgs.models import Organisation
from aocp.policy import guard, public
from aocp.sso import oidc, services
from aocp.sso.forms import ProviderForm
from aocp.sso.models import IdentityProvider, SsoIdentity

bp = Blueprint("sso", __name__)

FLOW_SECONDS = 600  # time allowed at the provider between "Sign in with …" and the callback


@bp.app_template_global()
def sso_sign_in_providers() -> list[IdentityProvider]:
    """The enabled providers, for the buttons on the sign-in page."""
    return services.enabled_providers()


def _enabled(slug: str) -> IdentityProvider | None:
    return db.session.execute(select(IdentityProvider).where(IdentityProvider.slug == slug,
                                                             IdentityProvider.enabled)).scalar_one_or_none()


def _callback_url(provider: IdentityProvider) -> str:
    # On SITE_URL, like the links in emails: the redirect URI registered at the provider must match exactly.
    return external_url("sso.callback", slug=provider.slug)


def _failed(provider: IdentityProvider, message: str, reason: str, purpose: str, status: int = 400):
    db.session.rollback()
    services.failed(provider, reason, message, purpose, current_user if current_user.is_authenticated else None)
    db.session.commit()
    return render_template("sso/failed.html", provider=provider, message=message, purpose=purpose), status


def _begin(provider: IdentityProvider, purpose: str, next_url: str | None = None):
    try:
        url, flow = oidc.begin(provider, _callback_url(provider))
    except oidc.OidcError as err:
        return _failed(provider, str(err), err.reason, purpose, 502)
    session["sso_flow"] = {**flow, "provider": provider.slug, "purpose": purpose, "next": next_url,
                           "at": int(time.time()),
                           "user_id": current_user.id if purpose == "link" else None}
    return redirect(url)


@bp.route("/auth/sso/<slug>/start")
@limiter.limit(login_limit)
@public
def start(slug: str):
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    provider = _enabled(slug)
    if provider is None:
        flash("That sign-in option is not available.", "error")
        return redirect(url_for("accounts.login"))
    return _begin(provider, "login", request.args.get("next"))


def _valid_flow(slug: str) -> dict | None:
    """The flow this browser started for this provider, once: the state proves the callback answers it."""
    flow = session.pop("sso_flow", None)
    state = request.args.get("state", "")
    if (not flow or flow.get("provider") != slug or not state or time.time() - flow.get("at", 0) > FLOW_SECONDS
            or not secrets.compare_digest(state.encode(), flow["state"].encode())):
        return None
    return flow


@bp.route("/auth/sso/<slug>/callback")
@limiter.limit(login_limit)
@public
def callback(slug: str):
    provider = _enabled(slug)
    if provider is None:
        flash("That sign-in option is not available.", "error")
        return redirect(url_for("accounts.login"))
    flow = _valid_flow(slug)
    if flow is None:
        return _failed(provider, "this answer does not belong to a sign-in started in this browser, or it came "
                                 "too late. Please start again.", "state", "login")
    purpose = flow["purpose"]
    if error := request.args.get("error"):
        detail = request.args.get("error_description", "")[:300]
        return _failed(provider, f"the provider said {error[:100]}{': ' + detail if detail else ''}.",
                       "provider_error", purpose)
    code = request.args.get("code")
    if not code:
        return _failed(provider, "the provider sent no authorization code.", "no_code", purpose)
    try:
        oidc.check_response_issuer(provider, request.args.get("iss"))
        tokens = oidc.exchange_code(provider, code, _callback_url(provider), flow["verifier"])
        claims = oidc.id_token_claims(provider, tokens, flow["nonce"])
    except oidc.OidcError as err:
        return _failed(provider, str(err), err.reason, purpose, 502 if err.reason in oidc.UNAVAILABLE else 400)
    if purpose == "link":
        return _finish_link(provider, claims, flow)
    try:
        found = services.resolve(provider, claims)
    except services.SsoRefused as err:
        db.session.rollback()
        services.refused(provider, claims, err, purpose)
        db.session.commit()
        return render_template("sso/refused.html", provider=provider, message=str(err)), 403
    if found.how == "provisioned":
        db.session.commit()
        return render_template("sso/refused.html", provider=provider, message=services.PENDING), 202
    method = f"sso:{provider.slug}"
    trusted = provider.asserts_mfa(claims)
    return begin_sign_in(found.user, method + ("+provider-mfa" if trusted else ""), flow.get("next"),
                         second_factor_done=trusted)


def _finish_link(provider: IdentityProvider, claims: dict, flow: dict):
    if not current_user.is_authenticated or current_user.id != flow.get("user_id"):
        return _failed(provider, "you were signed out while linking. Sign in and try again.", "signed_out", "link")
    try:
        services.link(provider, current_user, claims)
    except services.SsoRefused as err:
        db.session.rollback()
        services.refused(provider, claims, err, "link")
        db.session.commit()
        flash(str(err), "error")
    else:
        db.session.commit()
        flash(f"Your {provider.name} identity is linked: you can now sign in with it.", "success")
    return redirect(url_for("profile.index"))


# --- the profile -------------------------------------------------------------------

@bp.route("/profile/sso/<slug>/link", methods=["POST"])
@guard("profile.manage")
def link(slug: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    provider = _enabled(slug)
    if provider is None:
        abort(404)
    return _begin(provider, "link")


@bp.route("/profile/sso/identities/<int:identity_id>/unlink", methods=["POST"])
@guard("profile.manage")
def unlink(identity_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    identity = db.session.execute(select(SsoIdentity).where(SsoIdentity.id == identity_id,
                                                            SsoIdentity.user_id == current_user.id)
                                  ).scalar_one_or_none()
    if identity is None:
        abort(404)
    name = identity.provider.name
    try:
        services.unlink(current_user, identity)
    except AccountError as err:
        db.session.rollback()
        flash(str(err), "error")
        return redirect(url_for("profile.index"))
    db.session.commit()
    flash(f"Your {name} identity is no longer linked.", "success")
    return redirect(url_for("profile.index"))


# --- provider settings (ASEC) ---------------------------------------------------------

@bp.route("/admin/sso/")
@guard("sso.manage")
def providers():
    rows = db.session.execute(select(IdentityProvider).order_by(IdentityProvider.name)).scalars().all()
    return render_template("sso/providers.html", providers=rows)


def _orgs(ids: list[str]) -> list[Organisation]:
    wanted = {int(i) for i in ids if i.isdigit()}
    return list(db.session.execute(select(Organisation).where(Organisation.id.in_(wanted))).scalars())


@bp.route("/admin/sso/new", methods=["GET", "POST"], defaults={"provider_id": None})
@bp.route("/admin/sso/<int:provider_id>", methods=["GET", "POST"])
@guard("sso.manage")
def provider(provider_id: int | None):
    row = db.get_or_404(IdentityProvider, provider_id) if provider_id else None
    form = ProviderForm(obj=row, data=None if row is None else {
        "orgs": [str(o.id) for o in row.allowed_orgs], "new_account_org": str(row.default_org_id or "")})
    form.orgs.choices = org_choices()
    form.new_account_org.choices = [("", "— none —")] + org_choices()
    if form.validate_on_submit():
        default_org = _orgs([form.new_account_org.data or ""])
        settings = services.ProviderSettings(
            slug=form.slug.data, name=form.name.data, issuer=form.issuer.data, client_id=form.client_id.data,
            client_secret=form.secret.data or "", enabled=form.enabled.data,
            allowed_orgs=_orgs(form.orgs.data), allow_email_link=form.allow_email_link.data,
            allow_provisioning=form.allow_provisioning.data, default_org=default_org[0] if default_org else None,
            trust_mfa=form.trust_mfa.data, mfa_acr_values=form.mfa_acr_values.data or "")
        try:
            row = services.save_provider(current_user, row, settings)
        except AccountError as err:
            db.session.rollback()
            form.issuer.errors.append(str(err))
        else:
            db.session.commit()
            flash(f"{row.name} saved.", "success")
            return redirect(url_for(".provider", provider_id=row.id))
    redirect_uri = _callback_url(row) if row else external_url("sso.callback", slug="SHORT-NAME")
    return render_template("sso/provider.html", provider=row, form=form, redirect_uri=redirect_uri), \
        (400 if form.errors else 200)
