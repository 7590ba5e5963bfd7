"""The home page's progress-report panels: reports due for my Member State, reports waiting for my review, and
ASEC's picture (submitted and waiting, missing this quarter by Member State). Each reads `plans.queues`, the same
queries and access rules as the list page its link opens, in a fixed number of statements."""
from __future__ import annotations

from datetime import date

from flask import url_for

from aocp.accounts.models import User
from aocp.home import ROWS, Panel
from aocp.plans import queues
from aocp.plans.access import is_asec
from aocp.plans.reports import quarter_of
from aocp.policy import can


def _panel(user: User, today: date, filters: queues.Filters, name: str, title: str, more: str, empty: str,
           template: str = "home/_reports.html") -> Panel:
    count, rows = queues.counted_rows(user, filters, today, ROWS)
    return Panel(name, title, template, count, rows, url_for("plans.reports", **queues.filter_args(filters)),
                 more, empty)


def reports_due(user: User, today: date) -> Panel | None:
    """Member States' focal persons and delegates: the reports of the lines their country leads or contributes
    to, for the current and the last quarter, overdue first."""
    if not queues.files_reports(user) or not can(user, "reports.view"):
        return None
    return _panel(user, today, queues.due_filters(today), "reports-due", "Reports due", "All reports due",
                  "no progress report is due for your Member State.")


def waiting_for_my_review(user: User, today: date) -> Panel | None:
    """Chairs and vice-chairs (of the line's working group, or of WGCBM): submitted reports they may decide."""
    if is_asec(user) or not queues.reviews_reports(user) or not can(user, "reports.view"):
        return None
    return _panel(user, today, queues.Filters(review=True), "review", "Waiting for my review",
                  "All reports waiting for my review", "no progress report is waiting for your review.")


def submitted_and_waiting(user: User, today: date) -> Panel | None:
    """ASEC: every submitted report, oldest first (ASEC may decide them all)."""
    if not is_asec(user):
        return None
    return _panel(user, today, queues.Filters(state="submitted"), "submitted", "Reports submitted and waiting",
                  "All submitted reports", "no progress report is waiting for review.")


def missing_this_quarter(user: User, today: date) -> Panel | None:
    """ASEC: quarters not started this quarter, counted by lead Member State, each count linking to its list."""
    if not is_asec(user):
        return None
    year, quarter = quarter_of(today)
    due = f"{year}Q{quarter}"
    total = queues.count(user, queues.Filters(state="not_started", periods=((year, quarter),), due=due), today)
    rows = [{"lead": code, "count": n,
             "url": url_for("plans.reports", state="not_started", lead=code or "none", due=due)}
            for code, n in queues.missing_by_member_state(today)]
    return Panel("missing", f"Missing reports, {year} Q{quarter}", "home/_missing_reports.html", total, rows,
                 url_for("plans.reports", state="not_started", due=due), "All missing reports",
                 f"every action line has a report for {year} Q{quarter}.")

