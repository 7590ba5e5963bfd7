"""The home page (My AOCP) and the health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from aocp.extensions import db
from aocp.home.panels import panels_for
from aocp.policy import guard, public
from aocp.timeutil import utcnow

bp = Blueprint("main", __name__)


@bp.route("/")
@guard("bodies.view")
def home():
    panels, empty = panels_for(current_user, utcnow().date())
    return render_template("main/home.html", panels=panels, empty=empty)


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means unhealthy, never a 500 page
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
