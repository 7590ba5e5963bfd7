"""The daily progress report reminders: a quarter's report due soon, and a report past its deadline.

`flask --app app plans remind` reminds the lead Member States' focal persons and delegates of a quarter's
report due within `--days` days, and of a report past its deadline. Safe to run more than once a day: a
person hears about one action line's report at most once per day (UTC) for each kind.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from aocp.notifications.plans import report_url
from aocp.notifications.services import notified_today, notify
from aocp.plans import reports
from aocp.plans.models import ActionLine
from aocp.timeutil import utcnow


def _quarters(today: date) -> list[tuple[int, int]]:
    """The current quarter and the one before it (whose report is due in the first days of this one)."""
    year, quarter = reports.quarter_of(today)
    return [(year - 1, 4) if quarter == 1 else (year, quarter - 1), (year, quarter)]


def _remind(kind: str, year: int, quarter: int, today: date) -> int:
    """Tell each lead contact of every line whose report for the quarter is not submitted; returns how many."""
    missing = reports.missing_reports(today=reports.quarter_end(year, quarter))
    by_line: dict[ActionLine, list[int]] = defaultdict(list)
    for entry in missing:
        if entry.lead is not None:  # a line without a lead is ASEC's to follow up
            by_line[entry.action_line].append(entry.lead.id)
    contacts = reports.lead_contacts({org_id for org_ids in by_line.values() for org_id in org_ids})
    deadline = reports.report_deadline(year, quarter)
    days = (deadline - today).days
    if kind == "report_due":
        title, text = f"Progress report due {deadline:%d %b %Y}", (
            "Due today." if days == 0 else f"Due in {days} day{'s' if days != 1 else ''}.")
    else:
        title, text = f"Progress report overdue since {deadline:%d %b %Y}", (
            f"{-days} day{'s' if days != -1 else ''} past the deadline.")
    count = 0
    for line, org_ids in by_line.items():
        already = notified_today(kind, line)
        people = [u for org_id in org_ids for u in contacts[org_id] if u.id not in already]
        if people:
            count += len(notify(kind, None, line, people, f"{title}: {line.code}, {year} Q{quarter}",
                                report_url(line, year, quarter), f"{text} {line.plan.code}: {line.text[:200]}"))
    return count


def remind_reports(days: int, today: date | None = None) -> tuple[int, int]:
    """Remind lead contacts of reports due within `days` days and of reports past their deadline (the previous
    quarter's); returns (due, missing) notifications made."""
    today = today or utcnow().date()
    due = missing = 0
    for year, quarter in _quarters(today):
        deadline = reports.report_deadline(year, quarter)
        if 0 <= (deadline - today).days <= days:
            due += _remind("report_due", year, quarter, today)
    year, quarter = _quarters(today)[0]
    if today > reports.report_deadline(year, quarter):
        missing += _remind("report_missing", year, quarter, today)
    return due, missing
