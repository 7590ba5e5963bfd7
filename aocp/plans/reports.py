"""Quarterly progress reports: draft, submit, return with comments, resubmit, accept (then locked).

The lead Member States' focal persons and delegates (or ASEC) file a report per action line and quarter;
the chair or vice-chair of the responsible working group (or ASEC) reviews it. Every save and transition is
audited and frozen as a ReportRevision. Each call takes the version the user saw: if someone saved since,
Conflict is raised with the current report and nothing is overwritten. Services flush; views commit.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from aocp import audit
from aocp.accounts.models import User
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.notifications import plans as notices
from aocp.orgs.models import Organisation
from aocp.plans.access import is_asec
from aocp.plans.models import (
    LINE_STATUSES,
    ActionLine,
    MilestoneProgress,
    Plan,
    ProgressReport,
    ReportEvidence,
    ReportRevision,
    action_line_leads,
)
from aocp.plans.rates import cutoff_of, latest_accepted
from aocp.plans.services import FINAL_STATUSES, PlanError, clean_text, require
from aocp.policy import can
from aocp.timeutil import utcnow

TEXT_LIMIT = 20_000


class Conflict(Exception):
    """Someone changed the report since it was opened; carries the report as it is now."""

    def __init__(self, report: ProgressReport | None):
        super().__init__("Someone else changed this report since you opened it. Your changes were not saved; "
                         "review the current version and apply them again.")
        self.report = report


# Quarters

def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_end(year: int, quarter: int) -> date:
    return date(year, 12, 31) if quarter == 4 else date(year, quarter * 3 + 1, 1) - timedelta(days=1)


def report_deadline(year: int, quarter: int) -> date:
    """The day a quarter's reports are due: the quarter's end plus the PLAN_REPORT_GRACE_DAYS setting."""
    grace = current_app.config["PLAN_REPORT_GRACE_DAYS"]
    return quarter_end(year, quarter) + timedelta(days=grace)


# Reading

def get_report(line: ActionLine, year: int, quarter: int) -> ProgressReport | None:
    return db.session.execute(
        select(ProgressReport).where(ProgressReport.action_line_id == line.id, ProgressReport.year == year,
                                     ProgressReport.quarter == quarter)
        .options(selectinload(ProgressReport.milestone_progress), selectinload(ProgressReport.evidence))
    ).scalar_one_or_none()


def revisions(report: ProgressReport) -> list[ReportRevision]:
    """The report's frozen states, oldest first."""
    return list(db.session.execute(
        select(ReportRevision).where(ReportRevision.report_id == report.id)
        .options(selectinload(ReportRevision.created_by)).order_by(ReportRevision.id)).scalars())


def snapshot(report: ProgressReport) -> dict:
    """Every field of the report as plain data (what a revision freezes)."""
    return {
        "action_line_id": report.action_line_id, "year": report.year, "quarter": report.quarter,
        "state": report.state, "status": report.status, "narrative": report.narrative, "issues": report.issues,
        "support_needed": report.support_needed, "reviewer_comment": report.reviewer_comment,
        "version": report.version,
        "milestones": {str(mp.milestone_id): mp.percent
                       for mp in sorted(report.milestone_progress, key=lambda m: m.milestone_id)},
        "evidence": sorted(e.document_id for e in report.evidence),
    }


def _freeze(actor: User, report: ProgressReport, action: str, details: dict | None = None) -> None:
    db.session.add(ReportRevision(
        report_id=report.id, action_line_id=report.action_line_id, year=report.year, quarter=report.quarter,
        state=report.state, line_status=report.status, report_version=report.version,
        snapshot=json.dumps(snapshot(report), ensure_ascii=False, sort_keys=True), created_by_id=actor.id,
        created_at=utcnow()))
    audit.record(action, actor, report, {"action_line": report.action_line.code, "period": report.period,
                                         "state": report.state, "status": report.status,
                                         "version": report.version, **(details or {})})
    db.session.flush()


def _flush_or_conflict(report: ProgressReport) -> None:
    line_id, year, quarter = report.action_line_id, report.year, report.quarter
    try:
        db.session.flush()  # version_id_col: a save by someone else between our read and this write fails here
    except StaleDataError:
        db.session.rollback()
        raise Conflict(_reload(line_id, year, quarter)) from None


def _reload(line_id: int, year: int, quarter: int) -> ProgressReport | None:
    line = db.session.get(ActionLine, line_id)
    return get_report(line, year, quarter) if line else None


def _check_version(report: ProgressReport, seen_version: int | None) -> None:
    if seen_version is None or int(seen_version) != report.version:
        raise Conflict(report)


# Drafting

def _check_period(line: ActionLine, year: int, quarter: int, today: date) -> None:
    plan: Plan = line.plan
    if plan.status != "active":
        raise PlanError("Progress is reported on plans being implemented.")
    if not isinstance(year, int) or year not in plan.years:
        raise PlanError(f"Report on a year of the plan, {plan.start_year} to {plan.end_year}.", "year")
    if quarter not in (1, 2, 3, 4):
        raise PlanError("Choose a quarter, 1 to 4.", "quarter")
    if (year, quarter) > quarter_of(today):
        raise PlanError("Reports are filed for the current quarter or a past one.", "quarter")


def _clean_milestones(line: ActionLine, milestones: Mapping[int, int]) -> dict[int, int]:
    known = {m.id for m in line.milestones}
    values = {}
    for milestone_id, percent in milestones.items():
        try:
            milestone_id = int(milestone_id)
        except (TypeError, ValueError):
            raise PlanError("A milestone of another action line was given.", "milestones") from None
        if milestone_id not in known:
            raise PlanError("A milestone of another action line was given.", "milestones")
        try:
            value = int(str(percent).strip())
        except (TypeError, ValueError):
            raise PlanError("Give % done as a whole number from 0 to 100.", f"milestone-{milestone_id}") from None
        if not 0 <= value <= 100:
            raise PlanError("Give % done as a whole number from 0 to 100.", f"milestone-{milestone_id}")
        values[milestone_id] = value
    return values


def _apply_milestones(report: ProgressReport, values: dict[int, int]) -> None:
    current = {mp.milestone_id: mp for mp in report.milestone_progress}
    for milestone_id, mp in current.items():
        if milestone_id not in values:
            report.milestone_progress.remove(mp)
    for milestone_id, value in values.items():
        if milestone_id in current:
            current[milestone_id].percent = value
        else:
            report.milestone_progress.append(MilestoneProgress(milestone_id=milestone_id, percent=value))


def _clean_evidence(actor: User, document_ids: Iterable[int]) -> list[int]:
    try:
        ids = list(dict.fromkeys(int(i) for i in document_ids))
    except (TypeError, ValueError):
        raise PlanError("Evidence is given as document numbers.", "evidence") from None
    docs = {d.id: d for d in db.session.execute(select(Document).where(Document.id.in_(ids))).scalars()} if ids else {}
    for doc_id in ids:
        doc = docs.get(doc_id)
        if doc is None or doc.deleted_at is not None or not can(actor, "documents.view", doc):
            raise PlanError(f"Document {doc_id} does not exist or you cannot open it.", "evidence")
    return ids


def _apply_evidence(report: ProgressReport, ids: list[int]) -> None:
    current = {e.document_id: e for e in report.evidence}
    for doc_id, row in current.items():
        if doc_id not in ids:
            report.evidence.remove(row)
    for doc_id in ids:
        if doc_id not in current:
            report.evidence.append(ReportEvidence(document_id=doc_id))


def save_draft(actor: User, line: ActionLine, year: int, quarter: int, *, status: str, narrative: str = "",
               issues: str = "", support_needed: str = "", milestones: Mapping[int, int] | None = None,
               evidence: Iterable[int] | None = None, seen_version: int | None = None,
               today: date | None = None) -> ProgressReport:
    """Create or change the report of `line` for a quarter. A new report needs `seen_version=None`; an
    existing one the version the user opened. `milestones` maps milestone id -> % done and `evidence` lists
    document ids; each replaces what the report had (None keeps it). Submitted and accepted reports are
    not edited here."""
    require(actor, "reports.edit", line)
    _check_period(line, year, quarter, today or utcnow().date())
    if status not in LINE_STATUSES:
        raise PlanError("Choose the action line's status from the list.", "status")
    narrative = clean_text(narrative, "narrative", "The narrative", TEXT_LIMIT, required=False)
    issues = clean_text(issues, "issues", "Issues", TEXT_LIMIT, required=False)
    support_needed = clean_text(support_needed, "support_needed", "Support needed", TEXT_LIMIT, required=False)
    # Everything is checked before anything changes: a refused save leaves no trace in the session.
    percents = _clean_milestones(line, milestones) if milestones is not None else None
    documents = _clean_evidence(actor, evidence) if evidence is not None else None
    report = get_report(line, year, quarter)
    created = report is None
    if created:
        if seen_version not in (None, 0):
            raise Conflict(None)
        report = ProgressReport(action_line=line, year=year, quarter=quarter, created_by_id=actor.id)
        db.session.add(report)
    else:
        if report.state == "accepted":
            raise PlanError("This report is accepted and locked.")
        if report.state == "submitted":
            raise PlanError("This report is with the reviewer; it can be changed again if it is returned.")
        _check_version(report, seen_version)
    report.status, report.narrative, report.issues, report.support_needed = status, narrative, issues, support_needed
    report.updated_by_id, report.updated_at = actor.id, utcnow()  # always an UPDATE, so the version moves on
    if percents is not None:
        _apply_milestones(report, percents)
    if documents is not None:
        _apply_evidence(report, documents)
    if created:
        try:
            db.session.flush()
        except IntegrityError:  # someone created this quarter's report at the same moment
            db.session.rollback()
            raise Conflict(_reload(line.id, year, quarter)) from None
    else:
        _flush_or_conflict(report)
    _freeze(actor, report, "report.created" if created else "report.saved")
    return report


# Workflow

def submit_report(actor: User, report: ProgressReport, seen_version: int | None) -> ProgressReport:
    """Send a draft (or a returned report, which resubmits it) to the reviewer."""
    require(actor, "reports.edit", report)
    if report.state not in ("draft", "returned"):
        raise PlanError("Only a draft or a returned report is submitted.")
    _check_version(report, seen_version)
    if not report.narrative.strip():
        raise PlanError("Describe the progress in the narrative before submitting.", "narrative")
    resubmitted = report.state == "returned"
    report.state, report.submitted_at, report.submitted_by_id = "submitted", utcnow(), actor.id
    report.updated_by_id, report.updated_at = actor.id, utcnow()
    _flush_or_conflict(report)
    _freeze(actor, report, "report.resubmitted" if resubmitted else "report.submitted")
    notices.report_submitted(actor, report)
    return report


def _review(actor: User, report: ProgressReport, seen_version: int | None) -> None:
    require(actor, "reports.review", report)
    if report.state != "submitted":
        raise PlanError("Only a submitted report is reviewed.")
    if report.submitted_by_id == actor.id and not is_asec(actor):
        raise PlanError("Someone other than the person who submitted the report reviews it.")
    _check_version(report, seen_version)


def return_report(actor: User, report: ProgressReport, comment: str, seen_version: int | None) -> ProgressReport:
    """Send a submitted report back to the lead country with comments."""
    _review(actor, report, seen_version)
    comment = clean_text(comment, "reviewer_comment", "A comment for the lead country", 5000)
    report.state, report.reviewer_comment = "returned", comment
    report.reviewed_by_id, report.reviewed_at = actor.id, utcnow()
    report.updated_by_id, report.updated_at = actor.id, utcnow()
    _flush_or_conflict(report)
    _freeze(actor, report, "report.returned")
    notices.report_reviewed(actor, report, _lead_people(report.action_line))
    return report


def accept_report(actor: User, report: ProgressReport, seen_version: int | None,
                  comment: str = "") -> ProgressReport:
    """Accept a submitted report; it is locked from then on and counts in the rates."""
    _review(actor, report, seen_version)
    comment = clean_text(comment, "reviewer_comment", "The comment", 5000, required=False)
    report.state, report.reviewer_comment = "accepted", comment
    report.reviewed_by_id, report.reviewed_at = actor.id, utcnow()
    report.updated_by_id, report.updated_at = actor.id, utcnow()
    _flush_or_conflict(report)
    _freeze(actor, report, "report.accepted")
    notices.report_reviewed(actor, report, _lead_people(report.action_line))
    return report


# Reminders

@dataclass(frozen=True)
class MissingReport:
    action_line: ActionLine
    lead: Organisation | None  # None: the line has no lead yet (ASEC follows it up)
    year: int
    quarter: int
    deadline: date
    state: str | None  # None: nothing filed; "draft" or "returned": started but not with the reviewer


def missing_reports(today: date | None = None, plan: Plan | None = None,
                    statuses: dict[int, str] | None = None) -> list[MissingReport]:
    """(action line, lead) pairs whose report for the current quarter is not submitted or accepted, in the
    plans being implemented that cover this year; lines completed, withdrawn or carried over are skipped.
    One query. A caller that has the plan's line statuses as of `today` already (a line missing there has not
    started) passes them, and the query does without its window over the revisions."""
    today = today or utcnow().date()
    year, quarter = quarter_of(today)
    filed = (select(ProgressReport.action_line_id, ProgressReport.state)
             .where(ProgressReport.year == year, ProgressReport.quarter == quarter).subquery("filed"))
    stmt = (select(ActionLine, Organisation, filed.c.state)
            .join(Plan, Plan.id == ActionLine.plan_id)
            .outerjoin(action_line_leads, action_line_leads.c.action_line_id == ActionLine.id)
            .outerjoin(Organisation, Organisation.id == action_line_leads.c.org_id)
            .outerjoin(filed, filed.c.action_line_id == ActionLine.id)
            .where(Plan.status == "active", Plan.start_year <= year, Plan.end_year >= year,
                   (filed.c.state.is_(None)) | filed.c.state.in_(("draft", "returned")))
            .options(selectinload(ActionLine.plan))
            .order_by(Plan.code, ActionLine.position, ActionLine.code, Organisation.code))
    if statuses is None:
        latest = latest_accepted(plan.id if plan else None, cutoff_of(today))
        stmt = (stmt.outerjoin(latest, latest.c.action_line_id == ActionLine.id)
                .where((latest.c.line_status.is_(None)) | latest.c.line_status.not_in(FINAL_STATUSES)))
    if plan is not None:
        stmt = stmt.where(ActionLine.plan_id == plan.id)
    deadline = report_deadline(year, quarter)
    return [MissingReport(line, org, year, quarter, deadline, state)
            for line, org, state in db.session.execute(stmt)
            if statuses is None or statuses.get(line.id, "not_started") not in FINAL_STATUSES]


def _lead_people(line: ActionLine) -> list[User]:
    """The focal persons and delegates of the line's lead Member States, lead by lead."""
    contacts = lead_contacts(org.id for org in line.leads)
    return [u for org in line.leads for u in contacts[org.id]]


def lead_contacts(org_ids: Iterable[int]) -> dict[int, list[User]]:
    """Active focal persons and delegates of the given organisations, by organisation (one query)."""
    ids = set(org_ids)
    out: dict[int, list[User]] = {i: [] for i in ids}
    if not ids:
        return out
    users = db.session.execute(select(User).where(User.org_id.in_(ids), User.status == "active",
                                                  User.role.in_(("focal_person", "delegate")))
                               .order_by(User.role.desc(), User.email)).scalars()
    for user in users:
        out[user.org_id].append(user)
    return out
