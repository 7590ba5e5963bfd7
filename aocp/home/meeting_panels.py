"""Home page panels about meetings: the meetings ahead of my bodies, and for ASEC the meetings of the next 30 days
whose readiness is below 100%. Each reads its list's statement (`meetings.upcoming`) twice: a count and 5 rows."""
from __future__ import annotations

from datetime import date

from flask import url_for

from aocp.accounts.models import ASEC_ROLES, User
from aocp.extensions import db
from aocp.home import ROWS, Panel
from aocp.home.listing import count
from aocp.meetings import upcoming
from aocp.policy import can

ASEC_DAYS = 30  # the ASEC overview looks a month ahead


def _panel(user: User, today: date, f: upcoming.Filters, **panel) -> Panel:
    stmt = upcoming.statement(user, today, f)
    total = count(stmt)
    rows = upcoming.view_rows(user, db.session.execute(stmt.limit(ROWS)).all())
    return Panel(count=total, rows=rows, **panel)


def meetings_ahead(user: User, today: date) -> Panel | None:
    if not can(user, "workspaces.view"):
        return None
    return _panel(user, today, upcoming.Filters(), name="meetings", title="Meetings ahead",
                  template="home/_meetings.html", more_url=url_for("meetings.upcoming"),
                  more_label="All meetings ahead",
                  empty=f"no meeting of your bodies in the next {upcoming.DAYS} days.", wide=True)


def meetings_not_ready(user: User, today: date) -> Panel | None:
    """ASEC: meetings of the next 30 days where some Member State expected has not shared its country report."""
    if user.role not in ASEC_ROLES:
        return None
    return _panel(user, today, upcoming.Filters(days=ASEC_DAYS, below=True), name="readiness",
                  title=f"Readiness below 100% (next {ASEC_DAYS} days)", template="home/_readiness.html",
                  more_url=url_for("meetings.upcoming", days=ASEC_DAYS, readiness="below"),
                  more_label="All meetings not ready",
                  empty=f"every meeting of the next {ASEC_DAYS} days has all its country reports.")
