"""What progress reports tell whom: the workflow's calls into `notify` and the daily report reminders.

`flask --app app plans remind` reminds the lead Member States' focal persons and delegates of a quarter's
report due within `--days` days, and of a report past its deadline. Safe to run more than once a day: a
person hears about one action line's report at most once per day (UTC) for each kind.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.notifications.emails import url_for_path
from aocp.notifications.services import notified_today, notify
from aocp.orgs.models import Membership
from aocp.plans import reports
from aocp.plans.access import REVIEWER_BODY_ROLES
from aocp.plans.models import ActionLine, ProgressReport
from aocp.timeutil import utcnow

plans_cli = AppGroup("plans", help="AMCAP plans and progress reports.")


def report_url(line: ActionLine, year: int, quarter: int) -> str:
    return url_for_path("plans.report", code=line.plan.code, line_code=line.code, year=year, quarter=quarter)


def reviewers(line: ActionLine) -> list[User]:
    """Active chairs and vice-chairs of the line's responsible working group."""
    if line.body_id is None:
        return []
    return list(db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.body_id == line.body_id, Membership.role.in_(REVIEWER_BODY_ROLES),
               User.status == "active", User.role != "observer").order_by(User.email)).scalars())


def report_submitted(actor: User, report: ProgressReport) -> None:
    line = report.action_line
    notify("report_submitted", actor, report, reviewers(line),
           f"Progress report to review: {line.code}, {report.period}", report_url(line, report.year, report.quarter),
           f"Submitted by {actor.name} for {line.plan.code}; accept it or return it with comments.")


def report_reviewed(actor: User, report: ProgressReport) -> None:
    line = report.action_line
    verdict = "accepted" if report.state == "accepted" else "returned with comments"
    authors = [u for u in (report.submitted_by, report.created_by) if u is not None]
    leads = reports.lead_contacts(org.id for org in line.leads)
    people = authors + [u for org in line.leads for u in leads[org.id]]
    notify("report_reviewed", actor, report, people, f"Progress report {verdict}: {line.code}, {report.period}",
           report_url(line, report.year, report.quarter), report.reviewer_comment[:500])


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


@plans_cli.command("remind")
@click.option("--days", type=click.IntRange(0, 30), default=7, show_default=True,
              help="Remind of a quarter's report deadline this many days ahead.")
def remind_command(days: int):
    """Send today's progress report reminders: due soon and past the deadline (run once a day)."""
    due, missing = remind_reports(days)
    db.session.commit()
    click.echo(f"Reminded {due} people of progress reports due and {missing} of reports past the deadline.")
