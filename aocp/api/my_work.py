"""The home page's lists in JSON: meetings ahead (with readiness and the caller's reply) and what is new since the
caller's last visit. The same statements as the pages (`meetings.upcoming`, `home.news`), so counts agree."""
from __future__ import annotations

from flask import abort, g, request
from sqlalchemy import select

from aocp.api import bp
from aocp.api.auth import api_guard
from aocp.extensions import db
from aocp.home import news
from aocp.home.listing import rows_page
from aocp.http import body_by_code, page_args, whole_number
from aocp.meetings import upcoming
from aocp.meetings.access import visible_bodies_clause
from aocp.meetings.views import utc_today
from aocp.orgs.models import Body


def _page(stmt, serialise) -> dict:
    page, per_page = page_args()
    result = rows_page(stmt, page, per_page)
    return {"items": [serialise(row) for row in result.items], "page": page, "per_page": per_page,
            "total": result.total, "pages": result.pages}


def _upcoming_filters(user) -> upcoming.Filters:
    f, args = upcoming.Filters(), request.args
    if (raw := args.get("days")) is not None:
        days = whole_number(raw)
        if days is None or not 1 <= days <= upcoming.MAX_DAYS:
            abort(400, f"days must be a whole number from 1 to {upcoming.MAX_DAYS}.")
        f.days = days
    if (code := args.get("body")) is not None:
        f.body = body_by_code(code)
        visible = f.body is not None and db.session.scalar(
            select(Body.id).where(Body.id == f.body.id, visible_bodies_clause(user, Body.id)))
        if not visible:
            abort(400, "Unknown body code.")
    if (raw := args.get("readiness")) is not None:
        if raw != "below":
            abort(400, "readiness must be below (meetings whose readiness is below 100%).")
        f.below = True
    return f


@bp.get("/meetings/upcoming")
@api_guard("workspaces.view")
def list_upcoming_meetings():
    """Meetings ahead of the bodies the caller may see, soonest first."""
    user = g.api_user

    def serialise(row) -> dict:
        [view] = upcoming.view_rows(user, [row])
        m = view["meeting"]
        return {"id": m.id, "title": m.title, "body": m.body.code, "starts_on": m.starts_on.isoformat(),
                "ends_on": m.ends_on.isoformat(), "start": view["start"].isoformat() if view["start"] else None,
                "timezone": m.timezone, "venue": m.venue, "agenda_published": m.agenda_published_at is not None,
                "paper_deadline": m.paper_deadline.isoformat() if m.paper_deadline else None,
                "readiness": {"expected": view["expected"], "submitted": view["submitted"],
                              "percent": view["percent"]},
                "my_reply": view["reply"], "my_member_state_report": view["mine"]}
    return _page(upcoming.statement(user, utc_today(), _upcoming_filters(user)), serialise)


@bp.get("/news")
@api_guard("bodies.view")
def list_news():
    """What is new since the caller's last visit (documents, circulated minutes, decisions), newest first."""
    kind = request.args.get("kind", "")
    if kind not in ("", *news.KINDS):
        abort(400, f"kind must be one of {', '.join(news.KINDS)}.")

    def serialise(row) -> dict:
        item = news.item(row)
        return {"kind": item.kind, "title": item.title, "url": item.url, "at": item.at.isoformat(),
                "where": item.where}
    return _page(news.statement(g.api_user, kind), serialise)
