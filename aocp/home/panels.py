"""The panels of the home page, and which of them each person sees."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import url_for
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.home import Panel, meeting_panels, news, report_panels, work_panels
from aocp.orgs.models import Body, Membership
from aocp.policy import can


def your_bodies(user: User, today: date) -> Panel:
    rows = db.session.execute(
        select(Body, Membership.role).join(Membership, Membership.body_id == Body.id)
        .where(Membership.user_id == user.id).order_by(Body.id)).all()
    return Panel("bodies", "Your bodies", "home/_bodies.html", len(rows), rows,
                 url_for("meetings.workspaces") if rows and can(user, "workspaces.view") else None,
                 "All workspaces", "You are not a member of any body yet. The ASEAN Secretariat adds memberships.")


# In the order the page shows them (what is due soonest first); a function returns None for a panel that is not
# for this person.
PANELS: list[Callable[[User, date], Panel | None]] = [
    meeting_panels.meetings_ahead, report_panels.reports_due, report_panels.waiting_for_my_review,
    work_panels.my_action_items, news.new_since_last_visit,
    report_panels.submitted_and_waiting, report_panels.missing_this_quarter, meeting_panels.meetings_not_ready,
    work_panels.accounts_pending, work_panels.my_nominations, your_bodies,
]


def panels_for(user: User, today: date) -> tuple[list[Panel], list[Panel]]:
    """(panels with rows, empty panels): an empty panel is shown as one line, taking no space."""
    shown, empty = [], []
    for make in PANELS:
        panel = make(user, today)
        if panel is None:
            continue
        (shown if panel.rows else empty).append(panel)
    return shown, empty
