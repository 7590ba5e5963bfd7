"""Organisations and bodies (with their members) in the administration console."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from aocp.accounts.models import User
from aocp.accounts.services import AccountError
from aocp.admin import bp
from aocp.admin.forms import BodyForm, OrganisationForm
from aocp.extensions import db
from aocp.forms import ActionForm
from aocp.orgs import services
from aocp.orgs.models import Body, Membership, Organisation
from aocp.policy import can, guard, require


@bp.route("/organisations")
@guard("orgs.view")
def organisations():
    counts = dict(db.session.execute(select(User.org_id, func.count(User.id)).group_by(User.org_id)).all())
    orgs = db.session.execute(select(Organisation).order_by(Organisation.kind, Organisation.name)).scalars().all()
    return render_template("admin/organisations.html", orgs=orgs, counts=counts)


@bp.route("/organisations/new", methods=["GET", "POST"], defaults={"org_id": None})
@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
@guard("orgs.view")
def organisation(org_id: int | None):
    org = db.get_or_404(Organisation, org_id) if org_id else None
    if org is None or request.method == "POST":
        require(current_user, "orgs.manage")
    form = OrganisationForm(obj=org)
    if form.validate_on_submit():
        try:
            org = services.save_organisation(current_user, org, form.code.data, form.name.data, form.kind.data,
                                             form.require_mfa.data)
        except AccountError as err:
            db.session.rollback()
            form.code.errors.append(str(err))
        else:
            db.session.commit()
            flash(f"{org.name} saved.", "success")
            return redirect(url_for(".organisation", org_id=org.id))
    people = []
    if org is not None:
        people = db.session.execute(select(User).where(User.org_id == org.id).order_by(User.name).limit(200)
                                    ).scalars().all()
    return render_template("admin/organisation.html", org=org, form=form, people=people), (400 if form.errors else 200)


def _parent_choices(exclude: Body | None) -> list[tuple[str, str]]:
    bodies = db.session.execute(select(Body).order_by(Body.id)).scalars()
    return [("", "— none —")] + [(str(b.id), b.short_name) for b in bodies if exclude is None or b.id != exclude.id]


@bp.route("/bodies")
@guard("bodies.view")
def bodies():
    counts = dict(db.session.execute(select(Membership.body_id, func.count(Membership.id))
                                     .group_by(Membership.body_id)).all())
    rows = db.session.execute(select(Body).options(selectinload(Body.parent)).order_by(Body.id)).scalars().all()
    counts = {b.id: counts.get(b.id, 0) for b in rows if can(current_user, "bodies.members", b)}
    return render_template("admin/bodies.html", bodies=rows, counts=counts)


@bp.route("/bodies/new", methods=["GET", "POST"], defaults={"body_id": None})
@bp.route("/bodies/<int:body_id>", methods=["GET", "POST"])
@guard("bodies.view")
def body(body_id: int | None):
    body = db.get_or_404(Body, body_id) if body_id else None
    if body is None or request.method == "POST":
        require(current_user, "bodies.manage")
    form = BodyForm(obj=body, parent=str(body.parent_id or "") if body else "")
    form.parent.choices = _parent_choices(body)
    if form.validate_on_submit():
        parent = db.session.get(Body, int(form.parent.data)) if (form.parent.data or "").isdigit() else None
        try:
            body = services.save_body(current_user, body, form.code.data, form.short_name.data, form.name.data,
                                      parent, form.description.data or "")
        except AccountError as err:
            db.session.rollback()
            form.parent.errors.append(str(err))
        else:
            db.session.commit()
            flash(f"{body.short_name} saved.", "success")
            return redirect(url_for(".body", body_id=body.id))
    members = []
    if body is not None and can(current_user, "bodies.members", body):  # others see name and description only
        members = db.session.execute(select(Membership).join(Membership.user).where(Membership.body_id == body.id)
                                     .options(contains_eager(Membership.user))
                                     .order_by(Membership.role, User.name)).scalars().all()
    return render_template("admin/body.html", body=body, form=form, members=members,
                           action_form=ActionForm()), (400 if form.errors else 200)


