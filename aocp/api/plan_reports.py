"""API endpoints for quarterly progress reports: read, file (save, submit, resubmit) and review (accept, return).

Progress reports are ASEAN's (`reports.view`: 403 for partners); a draft is read only by those who may edit it
(404 for others). Reports are filed by the lead Member States' focal persons and delegates (`reports.edit`) and
reviewed by the working group's chair or vice-chair (`reports.review`), ASEC doing both. Every report write sends
the `version` the caller read: a stale one answers 409 with the current report in `error.current`, and nothing
changes.
"""
from __future__ import annotations

from flask import g, request, url_for

from aocp.api import bp
from aocp.api.auth import api_guard
from aocp.api.plan_fields import BadRequest, check_period, handled, iso_time, report_json
from aocp.extensions import db
from aocp.http import Fields, json_body, page_args, valid_id
from aocp.plans import queues, reports
from aocp.plans.loading import load_line_by_id, load_report
from aocp.plans.models import LINE_STATUSES
from aocp.plans.reports import Conflict
from aocp.policy import PermissionDenied, can
from aocp.timeutil import utcnow

REPORT_FIELDS = {"version", "status", "narrative", "issues", "support_needed", "milestones", "evidence"}
REVIEW_FIELDS = {"version", "comment"}
FILERS_ONLY = "Only the lead Member States' focal persons and delegates, or ASEC, file this action line's reports."


_REPORT_PATH = "/action-lines/<int:line_id>/reports/<int:year>/<int:quarter>"


@bp.get(_REPORT_PATH)
@api_guard("reports.view")
@handled
def get_report(line_id: int, year: int, quarter: int):
    check_period(year, quarter)
    line = load_line_by_id(line_id)
    return report_json(load_report(line, year, quarter), g.api_user)


def _milestone_values(f: Fields) -> dict[int, int] | None:
    if not f.has("milestones"):
        return None
    value = f.data["milestones"]
    if not isinstance(value, list) or len(value) > 500 or not all(
            isinstance(x, dict) and set(x) == {"milestone_id", "percent"} and valid_id(x["milestone_id"])
            and type(x["percent"]) is int and 0 <= x["percent"] <= 100 for x in value):
        f.fail("milestones", "A list of {milestone_id, percent} objects, percent a whole number from 0 to 100.")
        return None
    return {x["milestone_id"]: x["percent"] for x in value}


@bp.put(_REPORT_PATH)
@api_guard("reports.edit")
@handled
def save_report(line_id: int, year: int, quarter: int):
    """Create the quarter's report (version null or left out) or change a draft or returned one (version)."""
    check_period(year, quarter)
    line = load_line_by_id(line_id)
    if not can(g.api_user, "reports.edit", line):
        raise PermissionDenied("reports.edit", FILERS_ONLY)
    f = Fields(json_body(), REPORT_FIELDS, required=("status",))
    version = f.whole("version", 1, 2**31 - 1, nullable=True)
    status = f.text("status", max_length=16)
    if f.has("status") and status not in LINE_STATUSES:
        f.fail("status", f"One of {', '.join(LINE_STATUSES)}.")
    narrative = f.text("narrative", max_length=reports.TEXT_LIMIT, multiline=True)
    issues = f.text("issues", max_length=reports.TEXT_LIMIT, multiline=True)
    support = f.text("support_needed", max_length=reports.TEXT_LIMIT, multiline=True)
    milestones = _milestone_values(f)
    evidence = f.ids("evidence") if f.has("evidence") else None
    f.check()
    existing = reports.get_report(line, year, quarter)
    if existing is not None and version is None:
        raise Conflict(existing)
    report = reports.save_draft(g.api_user, line, year, quarter, status=status, narrative=narrative, issues=issues,
                                support_needed=support, milestones=milestones, evidence=evidence,
                                seen_version=version)
    db.session.commit()
    return report_json(report, g.api_user), 201 if existing is None else 200


def _transition(line_id: int, year: int, quarter: int, rule: str, comment_field: bool):
    check_period(year, quarter)
    line = load_line_by_id(line_id)
    report = load_report(line, year, quarter)
    f = Fields(json_body(), REVIEW_FIELDS if comment_field else {"version"}, required=("version",))
    version = f.whole("version", 1, 2**31 - 1)
    comment = f.text("comment", max_length=5000, multiline=True)
    f.check()
    if not can(g.api_user, rule, report):  # after the fields: a bad request is answered as such first
        raise PermissionDenied(rule, "You are not allowed to do this.")
    return report, version, comment


@bp.post(_REPORT_PATH + "/submit")
@api_guard("reports.edit")
@handled
def submit_report(line_id: int, year: int, quarter: int):
    report, version, _ = _transition(line_id, year, quarter, "reports.edit", False)
    reports.submit_report(g.api_user, report, version)
    db.session.commit()
    return report_json(report, g.api_user)


@bp.post(_REPORT_PATH + "/return")
@api_guard("reports.review")
@handled
def return_report(line_id: int, year: int, quarter: int):
    report, version, comment = _transition(line_id, year, quarter, "reports.review", True)
    reports.return_report(g.api_user, report, comment, version)
    db.session.commit()
    return report_json(report, g.api_user)


@bp.post(_REPORT_PATH + "/accept")
@api_guard("reports.review")
@handled
def accept_report(line_id: int, year: int, quarter: int):
    report, version, comment = _transition(line_id, year, quarter, "reports.review", True)
    reports.accept_report(g.api_user, report, version, comment)
    db.session.commit()
    return report_json(report, g.api_user)


# --- the list of reports (the page /plans/reports and the home panels read the same queues) --------------------

def report_row_json(row: queues.Row) -> dict:
    report = row.report
    return {"plan": row.line.plan.code, "action_line_id": row.line.id, "action_line": row.line.code,
            "working_group": row.line.body.code if row.line.body else None,
            "leads": [o.code for o in row.line.leads], "year": row.year, "quarter": row.quarter,
            "state": row.state, "due_on": row.deadline.isoformat(), "overdue": row.overdue,
            "report_id": report.id if report else None,
            "submitted_at": iso_time(report.submitted_at) if report else None,
            "url": url_for("api.get_report", line_id=row.line.id, year=row.year, quarter=row.quarter)}


@bp.get("/reports")
@api_guard("reports.view")
@handled
def list_reports():
    """Filters: state, lead (organisation code or none), due (YYYYQn or open), plan, body, review=me, mine=1."""
    today = utcnow().date()
    filters, errors = queues.parse_filters(request.args, g.api_user, today)
    if errors:
        raise BadRequest("Some filters are not valid.", errors)
    page, per_page = page_args()
    total = queues.count(g.api_user, filters, today)
    rows = queues.rows(g.api_user, filters, today, per_page, (page - 1) * per_page)
    return {"items": [report_row_json(row) for row in rows], "page": page, "per_page": per_page, "total": total,
            "pages": (total + per_page - 1) // per_page}
