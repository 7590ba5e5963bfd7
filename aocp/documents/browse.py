"""Browsing and searching documents: the list with its filters, and the capacity-building repository."""
from __future__ import annotations

from flask import flash, render_template, request
from flask_login import current_user
from sqlalchemy import select

from aocp.documents import bp, queries, services
from aocp.documents.models import DOC_TYPES
from aocp.extensions import db
from aocp.orgs.models import Body, Organisation
from aocp.policy import guard

PER_PAGE = 20


def page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100_000 else 1  # '²'.isdigit() is True


@bp.get("/")
@guard("documents.view")
def index(fixed: dict | None = None, template: str = "documents/index.html"):
    args = request.args.to_dict()
    args.update(fixed or {})
    try:
        filters = queries.Filters.from_args(args)
    except queries.FilterError as err:
        flash(f"{err} The filter was ignored.", "error")
        filters = queries.Filters()
    page = queries.page_of(current_user, filters, page_arg(), PER_PAGE, uploader=False)  # the list does not show them
    orgs = db.session.execute(select(Organisation.code, Organisation.name).order_by(Organisation.name)).all()
    bodies = db.session.execute(select(Body.code, Body.short_name).order_by(Body.id)).all()
    return render_template(template, page=page, filters=filters, orgs=orgs, bodies=bodies, doc_types=DOC_TYPES,
                           short_query=bool(filters.q) and services.search.too_short(filters.q))


@bp.get("/capacity-building")
@guard("documents.view")
def capacity_building():
    """The capacity-building repository (AMCAP action line IH1.3): capacity-building material, browsable."""
    return index({"type": "capacity_building"}, "documents/capacity_building.html")
