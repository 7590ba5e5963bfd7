"""The home page and the health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import func, select, text

from aocp.accounts.models import Invitation, User
from aocp.extensions import db
from aocp.orgs.models import Body, Membership
from aocp.policy import can, guard, public

bp = Blueprint("main", __name__)


@bp.route("/")
@guard("bodies.view")
def home():
    bodies = db.session.execute(
        select(Body, Membership.role).join(Membership, Membership.body_id == Body.id)
        .where(Membership.user_id == current_user.id).order_by(Body.id)).all()
    admin_counts = None
    if can(current_user, "users.manage"):
        admin_counts = {
            "people": db.session.scalar(select(func.count(User.id)).where(User.status == "active")),
            "nominations": db.session.scalar(select(func.count(Invitation.id))
                                             .where(Invitation.status == "nominated")),
        }
    return render_template("main/home.html", bodies=bodies, admin_counts=admin_counts)


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means unhealthy, never a 500 page
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
