"""The panels of the home page, and which of them each person sees."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask import url_for
from sqlalchemy import func, select

from aocp.accounts.models import Invitation, User
from aocp.extensions import db
from aocp.orgs.models import Body, Membership
from aocp.policy import can

ROWS = 5  # the most urgent rows a panel shows; its full list has the rest


@dataclass
class Panel:
    """One panel: `count` rows in all, the first few in `rows`, drawn by the partial `template`."""
    name: str
    title: str
    template: str
    count: int
    rows: list = field(default_factory=list)
    more_url: str | None = None
    more_label: str = "See all"
    empty: str = "Nothing here."  # the one line an empty panel leaves in the "nothing waiting" list
    wide: bool = False


def your_bodies(user: User, today: date) -> Panel:
    rows = db.session.execute(
        select(Body, Membership.role).join(Membership, Membership.body_id == Body.id)
        .where(Membership.user_id == user.id).order_by(Body.id)).all()
    return Panel("bodies", "Your bodies", "home/_bodies.html", len(rows), rows,
                 url_for("meetings.workspaces") if rows and can(user, "workspaces.view") else None,
                 "All workspaces", "You are not a member of any body yet. The ASEAN Secretariat adds memberships.")


def administration(user: User, today: date) -> Panel | None:
    if not can(user, "users.manage"):
        return None
    people = db.session.scalar(select(func.count(User.id)).where(User.status == "active"))
    nominations = db.session.scalar(select(func.count(Invitation.id)).where(Invitation.status == "nominated"))
    return Panel("administration", "Administration", "home/_administration.html", nominations,
                 [{"people": people, "nominations": nominations}], empty="")


# In the order the page shows them; a function returns None for a panel that is not for this person.
PANELS: list[Callable[[User, date], Panel | None]] = [your_bodies, administration]


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
