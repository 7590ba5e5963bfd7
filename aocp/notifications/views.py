"""Notification pages: the list (mark one or all read), one's settings, and ASEC's defaults per role.

Someone else's notification answers 404, like any object one may not see.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, has_request_context, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from aocp.accounts.models import ROLE_LABELS, ROLES
from aocp.documents.access import visible_clause
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.forms import ActionForm, safe_next
from aocp.notifications import emails, services
from aocp.notifications.forms import defaults_form, preferences_form
from aocp.notifications.models import BUILTIN_DEFAULTS, CHANNELS, KINDS, Notification
from aocp.orgs.models import Body
from aocp.policy import guard

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def _own(notification_id: int) -> Notification:
    note = db.session.execute(select(Notification).where(
        Notification.id == notification_id, Notification.recipient_id == current_user.id)).scalar_one_or_none()
    if note is None:
        abort(404)
    return note


def _visible_documents(notes: list[Notification]) -> set[int]:
    """Restricted documents (among these notifications') the viewer may still open: one query per page."""
    ids = {n.object_id for n in notes if n.restricted and n.object_type == "document" and n.object_id}
    if not ids:
        return set()
    return set(db.session.execute(select(Document.id).where(Document.id.in_(ids),
                                                            visible_clause(current_user))).scalars())


@bp.get("/")
@guard("notifications.view")
def index():
    unread_only = request.args.get("unread") == "1"
    stmt = (select(Notification).options(joinedload(Notification.actor))
            .where(Notification.recipient_id == current_user.id).order_by(Notification.id.desc()))
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    page = db.paginate(stmt, per_page=20, max_per_page=100)
    return render_template("notifications/index.html", page=page, unread_only=unread_only, kinds=KINDS,
                           visible_docs=_visible_documents(page.items), generic=emails.GENERIC_DOCUMENT,
                           action=ActionForm())


@bp.post("/<int:notification_id>/read")
@guard("notifications.view")
def mark_read(notification_id: int):
    note = _own(notification_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.mark_read(current_user, note)
    db.session.commit()
    if request.form.get("open"):
        return redirect(safe_next(note.url))
    return redirect(safe_next(request.form.get("next"), url_for(".index")))


@bp.post("/read-all")
@guard("notifications.view")
def mark_all_read():
    if not ActionForm().validate_on_submit():
        abort(400)
    count = services.mark_all_read(current_user)
    db.session.commit()
    flash(f"{count} notification{'s' if count != 1 else ''} marked as read.", "success")
    return redirect(url_for(".index"))


@bp.route("/settings", methods=["GET", "POST"])
@guard("notifications.view")
def settings():
    defaults = services.role_defaults()
    effective = {kind: services.default_channel(current_user.role, kind, defaults) for kind in KINDS}
    bodies = db.session.execute(select(Body).order_by(Body.id)).scalars().all()
    labels = [(b.id, f"{b.short_name} — {b.name}") for b in bodies]
    if request.method == "GET":
        chosen = services.preferences_of(current_user)
        data = {f"kind_{k}": chosen.get(k, "default") for k in KINDS}
        data["muted"] = [str(i) for i in sorted(services.muted_body_ids(current_user))]
        form = preferences_form(effective, labels, data=data)
    else:
        form = preferences_form(effective, labels)
    if form.validate_on_submit():
        services.set_preferences(current_user, {k: form[f"kind_{k}"].data for k in KINDS},
                                 {int(v) for v in form.muted.data or []})
        db.session.commit()
        flash("Your notification settings are saved.", "success")
        return redirect(url_for(".settings"))
    member_of = {m.body_id for m in current_user.memberships}
    return render_template("notifications/settings.html", form=form, kinds=KINDS, member_of=member_of,
                           bodies=bodies), 400 if form.errors else 200


@bp.route("/defaults", methods=["GET", "POST"])
@guard("notifications.defaults")
def defaults():
    if request.method == "GET":
        current = services.role_defaults()
        form = defaults_form(BUILTIN_DEFAULTS, data={f"{r}__{k}": current.get((r, k), "default")
                                                     for r in ROLES for k in KINDS})
    else:
        form = defaults_form(BUILTIN_DEFAULTS)
    if form.validate_on_submit():
        services.set_role_defaults(current_user, {(r, k): form[f"{r}__{k}"].data for r in ROLES for k in KINDS})
        db.session.commit()
        flash("Default notification settings saved. People's own choices still come first.", "success")
        return redirect(url_for(".defaults"))
    return render_template("notifications/defaults.html", form=form, kinds=KINDS, roles=ROLES,
                           role_labels=ROLE_LABELS, channels=CHANNELS, builtin=BUILTIN_DEFAULTS), \
        400 if form.errors else 200


def _unread() -> int | None:
    """The bell's count: one query per request, only when a signed-in page draws the bell."""
    if "unread_notifications" not in g:
        try:
            g.unread_notifications = services.unread_count(current_user)
        except SQLAlchemyError:  # an error page drawn while the database is away still renders
            db.session.rollback()
            g.unread_notifications = None
    return g.unread_notifications


@bp.app_context_processor
def bell():
    if not has_request_context() or not current_user.is_authenticated:
        return {}
    return {"unread_notifications": _unread}


@bp.app_template_filter("local")
def local(value) -> str:
    """A UTC time in the signed-in person's own time zone."""
    tz = current_user.timezone if has_request_context() and current_user.is_authenticated else "UTC"
    return emails.local_time(value, tz) or "—"
