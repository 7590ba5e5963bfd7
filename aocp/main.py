"""The home page (My AOCP), what is new since the last visit, and the health check."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from aocp.extensions import db
from aocp.forms import ActionForm, safe_next
from aocp.home import news
from aocp.home.listing import rows_page
from aocp.home.panels import panels_for
from aocp.meetings.models import RSVP
from aocp.policy import guard, public
from aocp.timeutil import utcnow

bp = Blueprint("main", __name__)


@bp.route("/")
@guard("bodies.view")
def home():
    today = utcnow().date()
    panels, empty = panels_for(current_user, today)
    return render_template("main/home.html", panels=panels, empty=empty, today=today, rsvp_labels=RSVP,
                           seen_form=ActionForm())


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100_000 else 1


@bp.get("/new")
@guard("bodies.view")
def whats_new():
    """Everything new since the last visit, newest first, a page at a time; `kind` narrows it to one kind."""
    user = current_user._get_current_object()
    kind = request.args.get("kind", "")
    if kind not in ("", *news.KINDS):
        flash("Unknown kind of news; the filter was ignored.", "error")
        kind = ""
    page = rows_page(news.statement(user, kind), _page_arg())
    return render_template("main/new.html", page=page, items=[news.item(r) for r in page.items], kind=kind,
                           kinds=news.KINDS, since=news.since(user), seen_form=ActionForm(),
                           args={"kind": kind} if kind else {})


@bp.post("/new/seen")
@guard("bodies.view")
def mark_all_seen():
    if not ActionForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for(".whats_new"))
    news.mark_all_seen(current_user)
    db.session.commit()
    flash("Everything is marked as seen.", "success")
    return redirect(safe_next(request.form.get("next"), url_for(".home")))


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means unhealthy, never a 500 page
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
