"""What progress reports tell whom: the report workflow's calls into `notify` (the daily reminders are the
plans domain's, in `aocp.plans.reminders`)."""
from __future__ import annotations

from sqlalchemy import delete, exists, or_, select

from aocp.accounts.models import ASEC_ROLES, User
from aocp.extensions import db
from aocp.notifications.emails import url_for_path
from aocp.notifications.models import Notification
from aocp.notifications.services import notify
from aocp.orgs.models import Body, Membership
from aocp.plans.access import MONITORING_BODY, REVIEWER_BODY_ROLES
from aocp.plans.models import ActionLine, ProgressReport


def report_url(line: ActionLine, year: int, quarter: int) -> str:
    return url_for_path("plans.report", code=line.plan.code, line_code=line.code, year=year, quarter=quarter)


def reviewers(line: ActionLine) -> list[User]:
    """Everyone who may accept or return the line's reports, each once (one query): the active chairs and
    vice-chairs of the line's working group and of WGCBM, and ASEC's staff and administrators (so a report
    whose working group has no chair still reaches ASEC)."""
    groups = select(Body.id).where(Body.code == MONITORING_BODY)
    if line.body_id is not None:
        groups = groups.union(select(Body.id).where(Body.id == line.body_id))
    chairs = exists(select(Membership.id).where(Membership.user_id == User.id,
                                                Membership.role.in_(REVIEWER_BODY_ROLES),
                                                Membership.body_id.in_(groups)))
    return list(db.session.execute(
        select(User).where(User.status == "active", User.role != "observer",
                           or_(User.role.in_(ASEC_ROLES), chairs)).order_by(User.email)).scalars())


def report_submitted(actor: User, report: ProgressReport) -> None:
    line = report.action_line
    notify("report_submitted", actor, report, reviewers(line),
           f"Progress report to review: {line.code}, {report.period}", report_url(line, report.year, report.quarter),
           f"Submitted by {actor.name} for {line.plan.code}; accept it or return it with comments.")


def clear_review_requests(report: ProgressReport) -> int:
    """Once a reviewer has decided, the "to review" notifications nobody has opened go: they are deleted rather
    than marked read, so that neither the bell nor the notifications list shows a task that is no longer anyone's
    (one already read stays in its reader's history). Their daily-digest lines go with them."""
    return db.session.execute(delete(Notification).where(
        Notification.kind == "report_submitted", Notification.object_type == "progress_report",
        Notification.object_id == report.id, Notification.read_at.is_(None))).rowcount


def report_reviewed(actor: User, report: ProgressReport, lead_contacts: list[User]) -> None:
    """Tell the report's authors and the lead Member States' contacts (focal persons and delegates); the other
    reviewers' unread requests to review it go."""
    clear_review_requests(report)
    line = report.action_line
    verdict = "accepted" if report.state == "accepted" else "returned with comments"
    authors = [u for u in (report.submitted_by, report.created_by) if u is not None]
    people = authors + lead_contacts
    notify("report_reviewed", actor, report, people, f"Progress report {verdict}: {line.code}, {report.period}",
           report_url(line, report.year, report.quarter), report.reviewer_comment[:500])
