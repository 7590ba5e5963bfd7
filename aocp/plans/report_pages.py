"""The page of an action line's quarterly progress report: file it (save, submit, resubmit) and review it
(accept, return), each with the version the person saw (409 with the current report when it moved on)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from aocp.documents.access import visible_clause
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.http import Invalid
from aocp.plans import access, bp, reports
from aocp.plans.forms import ReportForm, ReviewForm
from aocp.plans.loading import load_line, load_plan, load_report
from aocp.plans.models import ActionLine, Plan, ProgressReport
from aocp.plans.pages import PageError, field_error
from aocp.plans.services import PlanError
from aocp.policy import can, guard, require
from aocp.timeutil import utcnow


def _period(plan: Plan, year: int, quarter: int) -> None:
    if year not in plan.years or not 1 <= quarter <= 4:
        raise PageError(404, f"{plan.code} has no quarter {year} Q{quarter}; it runs from {plan.start_year} "
                             f"to {plan.end_year}, quarters 1 to 4.")
    if (year, quarter) > reports.quarter_of(utcnow().date()):
        raise PageError(404, f"{year} Q{quarter} has not started yet; reports are filed for the current or a past "
                             "quarter.")


def _evidence_choices(report: ProgressReport | None) -> list[tuple[str, str]]:
    docs = db.session.execute(select(Document.id, Document.title).where(visible_clause(current_user))
                              .order_by(Document.created_at.desc(), Document.id.desc()).limit(200)).all()
    attached = [e.document_id for e in report.evidence] if report else []
    known = {d.id for d in docs}
    missing = [i for i in attached if i not in known]
    if missing:
        docs += db.session.execute(select(Document.id, Document.title).where(
            Document.id.in_(missing), visible_clause(current_user))).all()
    return [(str(i), title) for i, title in docs]


def _report_form(report: ProgressReport | None) -> ReportForm:
    if report is None:
        form = ReportForm(formdata=None)
        form.version.data = ""
    else:
        form = ReportForm(formdata=None, obj=report)
        form.evidence.data = [str(e.document_id) for e in report.evidence]
        form.version.data = str(report.version)
    return form


def _int_or_none(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


FILE_ACTIONS, REVIEW_ACTIONS = ("save", "submit"), ("accept", "return")


def _action() -> str:
    """The button pressed, checked against the line's rules before anything is read (403 when not theirs)."""
    if request.method != "POST":
        return ""
    action = request.form.get("action", "")
    if action not in FILE_ACTIONS + REVIEW_ACTIONS:
        raise Invalid({"action": "Choose Save draft, Submit, Accept or Return."})
    return action


@bp.route("/plans/<code>/lines/<line_code>/reports/<int:year>/Q<int:quarter>", methods=["GET", "POST"])
@guard("reports.view")
def report(code: str, line_code: str, year: int, quarter: int):
    plan = load_plan(code)
    line = load_line(plan, line_code)
    _period(plan, year, quarter)
    action = _action()
    if action:
        require(current_user, "reports.edit" if action in FILE_ACTIONS else "reports.review", line)
    # A filer opens the quarter's report before there is one; others find only what is filed.
    report = load_report(line, year, quarter, new_ok=bool(action) or can(current_user, "reports.edit", line))
    form, review = _report_form(report), ReviewForm(formdata=None)
    milestone_values = {m.id: str(mp.percent) for mp in (report.milestone_progress if report else [])
                        for m in line.milestones if m.id == mp.milestone_id}
    status, conflict = 200, None
    if action:
        form = ReportForm() if action in FILE_ACTIONS else form
        review = ReviewForm() if action in REVIEW_ACTIONS else review
        target = form if action in FILE_ACTIONS else review
        form.evidence.choices = _evidence_choices(report)
        if action in FILE_ACTIONS:
            milestone_values = {m.id: request.form.get(f"milestone-{m.id}", "").strip() for m in line.milestones}
        if not target.validate_on_submit():
            status = 400
        else:
            status, conflict = _run(action, line, year, quarter, report, form, review, milestone_values, target)
            if status == 303:
                return redirect(url_for(".report", code=plan.code, line_code=line.code, year=year, quarter=quarter))
        report = reports.get_report(line, year, quarter)
    return _render(plan, line, year, quarter, report, form, review, milestone_values, conflict), status


def _run(action: str, line: ActionLine, year: int, quarter: int, report: ProgressReport | None, form: ReportForm,
         review: ReviewForm, milestone_values: dict[int, str], target) -> tuple[int, ProgressReport | None]:
    """Apply a valid form: (303, None) when done and committed, else the status and the conflicting report."""
    seen = _int_or_none(target.version.data)
    try:
        message = _apply(action, line, year, quarter, report, form, review, milestone_values, seen)
    except reports.Conflict as err:
        db.session.rollback()
        flash(str(err), "error")
        target.version.data = str(err.report.version) if err.report else ""
        return 409, err.report
    except PlanError as err:
        db.session.rollback()
        if err.field and err.field.startswith("milestone-"):
            flash(f"{err}", "error")
        else:
            field_error(target, err)
        return 400, None
    db.session.commit()
    flash(message, "success")
    return 303, None


def _render(plan: Plan, line: ActionLine, year: int, quarter: int, report: ProgressReport | None, form: ReportForm,
            review: ReviewForm, milestone_values: dict[int, str], conflict: ProgressReport | None) -> str:
    form.evidence.choices = _evidence_choices(report)
    if report is not None and not review.version.data:
        review.version.data = str(report.version)
    evidence = []
    if report is not None and report.evidence:
        evidence = db.session.execute(select(Document).where(
            Document.id.in_([e.document_id for e in report.evidence]), visible_clause(current_user))
            .order_by(Document.title)).scalars().all()
    return render_template("plans/report.html", plan=plan, line=line, year=year, quarter=quarter, report=report,
                           form=form, review=review, milestone_values=milestone_values,
                           may_edit=can(current_user, "reports.change", report or line),
                           may_review=report is not None and can(current_user, "reports.decide", report),
                           evidence=evidence, conflict=conflict,
                           history=reports.revisions(report) if report else [],
                           deadline=reports.report_deadline(year, quarter),
                           readers=access.report_readers(report, line))


def _apply(action: str, line: ActionLine, year: int, quarter: int, report: ProgressReport | None, form: ReportForm,
           review: ReviewForm, milestone_values: dict[int, str], seen: int | None) -> str:
    """Run the chosen action through the services; returns the message to show."""
    if action in ("save", "submit"):
        percents = {mid: value for mid, value in milestone_values.items() if value != ""}
        report = reports.save_draft(current_user, line, year, quarter, status=form.status.data,
                                    narrative=form.narrative.data, issues=form.issues.data,
                                    support_needed=form.support_needed.data, milestones=percents,
                                    evidence=form.evidence.data or [], seen_version=seen)
        if action == "save":
            return "Draft saved."
        resubmitted = report.state == "returned"
        reports.submit_report(current_user, report, report.version)
        return "Report resubmitted for review." if resubmitted else "Report submitted for review."
    if report is None:
        raise PlanError("There is no report to review yet.")
    if seen != report.version:  # the report moved on since the reviewer opened it: show what changed
        raise reports.Conflict(report)
    if action == "accept":
        reports.accept_report(current_user, report, seen, review.reviewer_comment.data or "")
        return "Report accepted; it is now locked."
    reports.return_report(current_user, report, review.reviewer_comment.data or "", seen)
    return "Report returned to the lead country with your comments."
