"""The panels of the home page, and which of them each person sees."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import url_for
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.home import ROWS, Panel  # noqa: F401  (panel modules may import them from here too)
from aocp.orgs.models import Body, Membership
from aocp.policy import can


def your_bodies(user: User, today: date) -> Panel:
    rows = db.session.execute(
        select(Body, Membership.role).join(Membership, Membership.body_id == Body.id)
        .where(Membership.user_id == user.id).order_by(Body.id)).all()
    return Panel("bodies", "Your bodies", "home/_bodies.html", len(rows), rows,
                 url_for("meetings.workspaces") if rows and can(user, "workspaces.view") else None,
                 "All workspaces", "You are not a member of any body yet. The ASEAN Secretariat adds memberships.")


# In the order the page shows them; a function returns None for a panel that is not for this person.
PANELS: list[Callable[[User, date], Panel | None]] = [your_bodies]

# The panels of other modules, in the order the page shows them.
from aocp.home import meeting_panels, news, work_panels  # noqa: E402

PANELS[:0] = [meeting_panels.meetings_ahead, work_panels.my_action_items, news.new_since_last_visit,
              work_panels.accounts_pending, work_panels.my_nominations, meeting_panels.meetings_not_ready]


def _add_panels() -> None:
    from aocp.home import report_panels  # it imports Panel and ROWS from here

    PANELS.extend(report_panels.PANELS)


_add_panels()


def panels_for(user: User, today: date) -> tuple[list[Panel], list[Panel]]:
    """(panels with rows, empty panels): an empty panel is shown as one line, taking no space."""
    shown, empty = [], []
    for make in PANELS:
        panel = make(user, today)
        if panel is None:
            continue
        (shown if panel.rows else empty).append(panel)
    return shown, empty
