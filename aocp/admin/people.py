"""People and invitations: list, invite, nominate, approve, edit, deactivate."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from aocp.accounts import invitations as invites  # "invite" and "invitations" name views below
from aocp.accounts import services, throttle
from aocp.accounts.loading import load_invitation, load_membership, load_token, load_user
from aocp.accounts.models import ROLES, USER_STATUSES, ApiToken, Invitation, User
from aocp.admin import bp
from aocp.admin.forms import InviteForm, MembershipForm, UserEditForm
from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.forms import ActionForm
from aocp.orgs.choices import body_choices, org_choices
from aocp.orgs.models import Body, Membership, Organisation
from aocp.policy import PermissionDenied, guard, require
from aocp.sessions import UserSession


def _get_org(value: str) -> Organisation:
    org = db.session.get(Organisation, int(value)) if value and value.isdigit() else None
    if org is None:
        abort(400)
    return org


@bp.route("/people")
@guard("users.view")
def people():
    q = request.args.get("q", "").strip()
    stmt = select(User).join(User.org).order_by(User.name)
    if q:
        q_lower = q.lower()  # % and _ typed by the admin are matched literally
        stmt = stmt.where(or_(func.lower(User.name).contains(q_lower, autoescape=True),
                              User.email.contains(q_lower, autoescape=True)))
    if (org := request.args.get("org", "")) and org.isascii() and org.isdigit() and len(org) <= 9:
        stmt = stmt.where(User.org_id == int(org))
    if (role := request.args.get("role", "")) in ROLES:
        stmt = stmt.where(User.role == role)
    if (status := request.args.get("status", "")) in USER_STATUSES:
        stmt = stmt.where(User.status == status)
    page = db.paginate(stmt, per_page=25, max_per_page=100)
    pending = db.session.scalar(select(func.count(User.id)).where(User.status == "pending"))
    return render_template("admin/people.html", page=page, orgs=org_choices(), roles=ROLES, statuses=USER_STATUSES,
                           pending=pending, filters={"q": q, "org": org, "role": role, "status": status})


def _invite_form(limit_org: Organisation | None = None) -> InviteForm:
    form = InviteForm()
    form.org.choices = org_choices(limit_org)
    form.bodies.choices = body_choices()
    if limit_org is not None:
        form.role.choices = [("delegate", "Member-state delegate")]
    return form


def _handle_invite(form: InviteForm, template: str, **context):
    if form.validate_on_submit():
        try:
            inv = invites.invite(current_user, form.email.data, form.name.data, _get_org(form.org.data),
                                  form.role.data, form.bodies.data or [])
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        except services.AccountError as err:
            db.session.rollback()
            form.email.errors.append(str(err))
        else:
            db.session.commit()
            if inv.status == "sent":
                flash(f"Invitation sent to {inv.email}.", "success")
            else:
                flash(f"{inv.name} is nominated. The ASEAN Secretariat will approve and send the invitation.",
                      "success")
            return redirect(request.path)
    return render_template(template, form=form, **context), (400 if form.errors else 200)


@bp.route("/people/invite", methods=["GET", "POST"])
@guard("users.manage")
def invite():
    return _handle_invite(_invite_form(), "admin/invite.html")


@bp.route("/nominate", methods=["GET", "POST"])
@guard("users.nominate")
def nominate():
    require(current_user, "users.nominate", current_user.org)
    stmt = select(Invitation).where(Invitation.invited_by_id == current_user.id)
    status = request.args.get("status", "")
    if status == "nominated":  # those still waiting for ASEC (the home page's count)
        stmt = stmt.where(Invitation.status == status)
    mine = db.session.execute(stmt.order_by(Invitation.created_at.desc()).limit(50)).scalars().all()
    return _handle_invite(_invite_form(current_user.org), "admin/nominate.html", nominations=mine, status=status)


@bp.route("/invitations")
@guard("invitations.approve")
def invitations():
    status = request.args.get("status", "nominated")
    stmt = select(Invitation).options(selectinload(Invitation.invited_by)).order_by(Invitation.created_at.desc())
    if status in ("nominated", "sent", "accepted", "revoked"):
        stmt = stmt.where(Invitation.status == status)
    page = db.paginate(stmt, per_page=25, max_per_page=100)
    return render_template("admin/invitations.html", page=page, status=status, action_form=ActionForm())


@bp.route("/invitations/<int:inv_id>/<any(approve, revoke):action>", methods=["POST"])
@guard("invitations.approve")
def invitation_action(inv_id: int, action: str):
    inv = load_invitation(inv_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        (invites.approve_nomination if action == "approve" else invites.revoke_invitation)(current_user, inv)
    except services.AccountError as err:
        db.session.rollback()
        flash(str(err), "error")
    else:
        db.session.commit()
        flash(f"Invitation for {inv.email} {'approved and sent' if action == 'approve' else 'withdrawn'}.", "success")
    return redirect(url_for(".invitations", status=request.args.get("status", "nominated")))


def _person_page(user: User, edit_form: UserEditForm | None = None, membership_form: MembershipForm | None = None):
    if edit_form is None:
        # Not obj=user: the form would take user.org (an Organisation) for its select, match no choice and
        # show the first organisation, so saving a name would silently move the person.
        edit_form = UserEditForm(data={"name": user.name, "org": str(user.org_id), "role": user.role})
    edit_form.org.choices = org_choices()
    membership_form = membership_form or MembershipForm()
    membership_form.body.choices = body_choices()
    tokens = db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at.desc())).scalars().all()
    sessions = db.session.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == user.id))
    entries = db.session.execute(select(AuditEntry).where(or_(
        AuditEntry.actor_id == user.id, (AuditEntry.target_type == "users") & (AuditEntry.target_id == str(user.id))))
        .order_by(AuditEntry.id.desc()).limit(20)).scalars().all()
    memberships = db.session.execute(select(Membership).join(Membership.body).where(Membership.user_id == user.id)
                                     .options(contains_eager(Membership.body)).order_by(Body.id)).scalars().all()
    return render_template("admin/person.html", person=user, edit_form=edit_form,
                           membership_form=membership_form, action_form=ActionForm(), tokens=tokens,
                           sessions=sessions, entries=entries, memberships=memberships,
                           paused=throttle.paused_clients(user), under_attack=throttle.under_attack(user))


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@guard("users.view")
def person(user_id: int):
    user = load_user(user_id)
    if request.method == "GET":
        return _person_page(user)
    require(current_user, "users.manage")
    form = UserEditForm()
    form.org.choices = org_choices()
    if form.validate_on_submit():
        try:
            services.update_user(current_user, user, form.name.data, _get_org(form.org.data), form.role.data)
        except services.AccountError as err:
            db.session.rollback()
            form.role.errors.append(str(err))
        else:
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for(".person", user_id=user.id))
    return _person_page(user, edit_form=form), 400


@bp.route("/people/<int:user_id>/<any(approve, deactivate, reactivate, unlock):action>", methods=["POST"])
@guard("users.manage")
def person_action(user_id: int, action: str):
    user = load_user(user_id, "users.manage")
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if action == "unlock":
            services.unlock(current_user, user)
        elif action == "approve":
            if user.status != "pending":
                raise services.AccountError("Only an account waiting for approval can be approved.")
            services.set_status(current_user, user, "active")
        else:
            services.set_status(current_user, user, "deactivated" if action == "deactivate" else "active")
    except services.AccountError as err:
        db.session.rollback()
        flash(str(err), "error")
    else:
        db.session.commit()
        flash({"deactivate": "Account deactivated; its sessions and tokens stopped working.",
               "reactivate": "Account reactivated.", "unlock": "Sign-in pause lifted.",
               "approve": "Account approved: it can sign in now."}[action], "success")
    return redirect(url_for(".person", user_id=user.id))


@bp.route("/people/<int:user_id>/memberships", methods=["POST"])
@guard("memberships.manage")
def add_membership(user_id: int):
    user = load_user(user_id, "memberships.manage")
    form = MembershipForm()
    form.body.choices = body_choices()
    if form.validate_on_submit():
        body = db.session.execute(select(Body).where(Body.code == form.body.data)).scalar_one()
        services.set_membership(current_user, user, body, form.role.data)
        db.session.commit()
        flash(f"{user.name} is now {form.role.data.replace('_', ' ')} of {body.short_name}.", "success")
        return redirect(url_for(".person", user_id=user.id))
    return _person_page(user, membership_form=form), 400


@bp.route("/memberships/<int:membership_id>/remove", methods=["POST"])
@guard("memberships.manage")
def remove_membership(membership_id: int):
    membership = load_membership(membership_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    user_id = membership.user_id
    services.remove_membership(current_user, membership)
    db.session.commit()
    flash("Membership removed.", "success")
    return redirect(request.form.get("back") == "body" and url_for(".body", body_id=membership.body_id)
                    or url_for(".person", user_id=user_id))


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@guard("users.manage")
def revoke_token(token_id: int):
    token = load_token(token_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.revoke_token(current_user, token)
    db.session.commit()
    flash("Token revoked.", "success")
    return redirect(url_for(".person", user_id=token.user_id))

