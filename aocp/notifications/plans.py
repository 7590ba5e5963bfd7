"""What progress reports tell whom: the report workflow's calls into `notify` (the daily reminders are the
plans domain's, in `aocp.plans.reminders`)."""
from __future__ import annotations

from sqlalchemy import select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.notifications.emails import url_for_path
from aocp.notifications.services import notify
from aocp.orgs.models import Membership
from aocp.plans.access import REVIEWER_BODY_ROLES
from aocp.plans.models import ActionLine, ProgressReport


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


def report_reviewed(actor: User, report: ProgressReport, lead_contacts: list[User]) -> None:
    """Tell the report's authors and the lead Member States' contacts (focal persons and delegates)."""
    line = report.action_line
    verdict = "accepted" if report.state == "accepted" else "returned with comments"
    authors = [u for u in (report.submitted_by, report.created_by) if u is not None]
    people = authors + lead_contacts
    notify("report_reviewed", actor, report, people, f"Progress report {verdict}: {line.code}, {report.period}",
           report_url(line, report.year, report.quarter), report.reviewer_comment[:500])
