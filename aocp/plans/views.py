"""AMCAP pages: plans and their structure, import, action lines, quarterly reports, dashboard and matrix.

Views load the plan and line from the URL (404 when unknown), check the policy, call a service, commit once
and redirect. Services raise PermissionDenied (403), PlanError (shown on its field), ImportRejected (422 with
the rows) and reports.Conflict (409 with the other person's version).
"""
from __future__ import annotations

from datetime import date

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from aocp.documents.access import visible_clause
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings.access import visible_bodies_clause
from aocp.meetings.models import ActionItem
from aocp.orgs.models import Body, Organisation
from aocp.plans import access, bp, charts, imports, rates, reports, services
from aocp.plans.forms import (ActionLineForm, AreaForm, CarryOverForm, ImportForm, MilestoneForm, PlanForm,
                              ReportForm, ReviewForm, SharingForm, StrategyForm, fill_area, fill_carry, fill_line,
                              fill_plan, fill_strategy)
from aocp.plans.models import LINE_STATUSES, PLAN_STATUSES, REPORT_STATES, ActionLine, Plan, ProgressReport, Strategy
from aocp.plans.services import PlanError
from aocp.policy import can, guard, record_denial, require
from aocp.timeutil import utcnow


LINE_OPTIONS = (joinedload(ActionLine.plan), joinedload(ActionLine.body), selectinload(ActionLine.leads),
                selectinload(ActionLine.participants), selectinload(ActionLine.milestones),
                joinedload(ActionLine.strategy).joinedload(Strategy.area),
                joinedload(ActionLine.carried_from).joinedload(ActionLine.plan))


class PageError(Exception):
    """A request that cannot be answered: shown as an error page with its status and a clear message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@bp.errorhandler(PageError)
def page_error(err: PageError):
    title = {400: "Bad request", 404: "Not found"}.get(err.status, "Error")
    return render_template("errors/error.html", status=err.status, title=title, message=err.message), err.status


@bp.context_processor
def plan_labels():
    return {"LINE_STATUSES": LINE_STATUSES, "REPORT_STATES": REPORT_STATES, "PLAN_STATUSES": PLAN_STATUSES,
            "rag_dot": charts.rag_dot}


# Loading

def _plan(code: str) -> Plan:
    """The plan, if the viewer may see it: a plan not shared with partners is unknown to them (404)."""
    plan = services.plan_by_code(code) if len(code) <= 32 else None
    if plan is not None and not can(current_user, "plans.view", plan):
        record_denial(current_user, "plans.view")
        plan = None
    if plan is None:
        raise PageError(404, f"There is no plan with the code {code[:40]}.")
    return plan


def _line(plan: Plan, line_code: str, options: tuple = LINE_OPTIONS) -> ActionLine:
    line = db.session.execute(select(ActionLine).where(
        ActionLine.plan_id == plan.id, ActionLine.code == line_code.strip().upper()[:16]).options(*options)
    ).unique().scalar_one_or_none()
    if line is None:
        raise PageError(404, f"{plan.code} has no action line {line_code[:20]}.")
    return line


def _as_of() -> date:
    raw = request.args.get("as_of", "").strip()
    if not raw:
        return utcnow().date()
    try:
        day = date.fromisoformat(raw) if len(raw) == 10 and raw.isascii() else None
    except ValueError:
        day = None
    if day is None or not services.FIRST_YEAR <= day.year <= services.LAST_YEAR:
        raise PageError(400, "Give the date as YYYY-MM-DD between 2000 and 2100, e.g. 2025-09-30.")
    return day


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100_000 else 1


def _field_error(form, err: PlanError) -> None:
    field = getattr(form, err.field, None) if err.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [str(err)]
    else:
        flash(str(err), "error")


def _by_code(model, code: str | None):
    return db.session.execute(select(model).where(model.code == code)).scalar_one_or_none() if code else None


def _orgs(codes: list[str]) -> list[Organisation]:
    if not codes:
        return []
    found = {o.code: o for o in db.session.execute(select(Organisation).where(Organisation.code.in_(codes))).scalars()}
    return [found[c] for c in codes if c in found]


def _form_page(form, heading: str, plan: Plan | None, back: str, status: int = 200, hint: str = ""):
    return render_template("plans/form.html", form=form, heading=heading, plan=plan, back=back, hint=hint), status


# Plans

@bp.get("/plans/")
@guard("plans.view")
def index():
    page = db.paginate(select(Plan).where(access.visible_plans_clause(current_user, Plan))
                       .order_by(Plan.start_year.desc(), Plan.code), page=_page_arg(), per_page=20, error_out=False)
    ids = [p.id for p in page.items]
    counts = dict(db.session.execute(select(ActionLine.plan_id, func.count(ActionLine.id))
                                     .where(ActionLine.plan_id.in_(ids)).group_by(ActionLine.plan_id)).all()) \
        if ids else {}
    return render_template("plans/index.html", page=page, counts=counts)


@bp.route("/plans/new", methods=["GET", "POST"])
@guard("plans.manage")
def new_plan():
    form = PlanForm()
    fill_plan(form)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            plan = services.create_plan(current_user, code=form.code.data, name=form.name.data,
                                        start_year=form.start_year.data, end_year=form.end_year.data,
                                        title=form.title.data, description=form.description.data,
                                        status=form.status.data, carried_from=_by_code(Plan, form.carried_from.data))
        except PlanError as err:
            db.session.rollback()
            _field_error(form, err)
        else:
            db.session.commit()
            flash(f"Plan {plan.code} created. Add its programme areas, strategies and action lines, or import them.",
                  "success")
            return redirect(url_for(".plan", code=plan.code))
    return _form_page(form, "New plan", None, url_for(".index"), status)


@bp.route("/plans/<code>/edit", methods=["GET", "POST"])
@guard("plans.manage")
def edit_plan(code: str):
    plan = _plan(code)
    form = PlanForm(obj=None if request.method == "POST" else plan)
    fill_plan(form, plan)
    del form.code, form.carried_from
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            services.update_plan(current_user, plan, name=form.name.data, start_year=form.start_year.data,
                                 end_year=form.end_year.data, title=form.title.data,
                                 description=form.description.data, status=form.status.data)
        except PlanError as err:
            db.session.rollback()
            _field_error(form, err)
        else:
            db.session.commit()
            flash("Plan saved.", "success")
            return redirect(url_for(".plan", code=plan.code))
    return _form_page(form, f"Edit {plan.code}", plan, url_for(".plan", code=plan.code), status)


@bp.get("/plans/<code>")
@guard("plans.view")
def plan(code: str):
    plan = services.plan_structure(_plan(code).id)
    states = rates.line_states(plan)
    flags: dict[int, list[str]] = {}
    for f in rates.milestone_flags(plan):
        flags.setdefault(f.action_line_id, []).append(f.flag)
    line_flags = {line_id: charts.worst_flag(values) for line_id, values in flags.items()}
    return render_template("plans/plan.html", plan=plan, states=states, line_flags=line_flags,
                           packs_url=_packs_url(plan), sharing_form=SharingForm())


def _packs_url(plan: Plan) -> str | None:
    if "plans.packs" in current_app.view_functions and can(current_user, "packs.view"):
        return url_for("plans.packs", code=plan.code)
    return None


@bp.post("/plans/<code>/sharing")
@guard("plans.manage")
def sharing(code: str):
    plan = _plan(code)
    form = SharingForm()
    if not form.validate_on_submit():
        raise PageError(400, "The form expired or was incomplete; open the plan and try again.")
    services.share_with_partners(current_user, plan, form.shared.data == "yes")
    db.session.commit()
    flash("Partners (observers) now see this plan's structure and published rates; its reports and packs stay "
          "with ASEAN." if plan.shared_with_partners else "Only ASEAN sees this plan now.", "success")
    return redirect(url_for(".plan", code=plan.code))


# Structure

@bp.route("/plans/<code>/areas/new", methods=["GET", "POST"])
@guard("plans.manage")
def new_area(code: str):
    plan = _plan(code)
    form = AreaForm()
    fill_area(form)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            area = services.add_area(current_user, plan, code=form.code.data, name=form.name.data,
                                     key_focus=form.key_focus.data,
                                     working_group=_by_code(Body, form.working_group.data))
        except PlanError as err:
            db.session.rollback()
            _field_error(form, err)
        else:
            db.session.commit()
            flash(f"Programme area {area.code} added.", "success")
            return redirect(url_for(".plan", code=plan.code))
    return _form_page(form, f"New programme area in {plan.code}", plan, url_for(".plan", code=plan.code), status)


@bp.route("/plans/<code>/strategies/new", methods=["GET", "POST"])
@guard("plans.manage")
def new_strategy(code: str):
    plan = _plan(code)
    form = StrategyForm()
    fill_strategy(form, plan)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        area = next(a for a in plan.areas if str(a.id) == form.area.data)
        try:
            strategy = services.add_strategy(current_user, area, code=form.code.data, title=form.title.data)
        except PlanError as err:
            db.session.rollback()
            _field_error(form, err)
        else:
            db.session.commit()
            flash(f"Strategy {strategy.code} added.", "success")
            return redirect(url_for(".plan", code=plan.code))
    return _form_page(form, f"New strategy in {plan.code}", plan, url_for(".plan", code=plan.code), status,
                      "" if plan.areas else "Add a programme area first.")


@bp.route("/plans/<code>/lines/new", methods=["GET", "POST"])
@guard("plans.manage")
def new_line(code: str):
    plan = _plan(code)
    form = ActionLineForm()
    fill_line(form, plan)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        strategy = db.session.get(Strategy, int(form.strategy.data))
        try:
            line = services.add_action_line(current_user, strategy, code=form.code.data, text=form.text.data,
                                            body=_by_code(Body, form.body.data), leads=_orgs(form.leads.data),
                                            participants=_orgs(form.participants.data),
                                            indicators=form.indicators.data)
        except PlanError as err:
            db.session.rollback()
            _field_error(form, err)
        else:
            db.session.commit()
            flash(f"Action line {line.code} added. Add its yearly milestones.", "success")
            return redirect(url_for(".line", code=plan.code, line_code=line.code))
    return _form_page(form, f"New action line in {plan.code}", plan, url_for(".plan", code=plan.code), status,
                      "" if form.strategy.choices else "Add a strategy first.")


@bp.route("/plans/<code>/lines/<line_code>/milestones/new", methods=["GET", "POST"])
@guard("plans.manage")
def new_milestone(code: str, line_code: str):
    plan = _plan(code)
    line = _line(plan, line_code)
    form = MilestoneForm()
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            services.add_milestone(current_user, line, year=form.year.data, text=form.text.data,
                                   target=form.target.data, due_on=form.due_on.data)
        except PlanError as err:
            db.session.rollback()
            _field_error(form, err)
        else:
            db.session.commit()
            flash("Milestone added.", "success")
            return redirect(url_for(".line", code=plan.code, line_code=line.code))
    back = url_for(".line", code=plan.code, line_code=line.code)
    return _form_page(form, f"New milestone for {line.code}", plan, back, status,
                      f"Within the plan's years, {plan.start_year} to {plan.end_year}; due on 31 December "
                      "of its year unless you give another date.")


@bp.route("/plans/<code>/lines/<line_code>/carry-over", methods=["GET", "POST"])
@guard("plans.manage")
def carry_over(code: str, line_code: str):
    plan = _plan(code)
    line = _line(plan, line_code)
    form = CarryOverForm()
    fill_carry(form, plan)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        strategy = db.session.get(Strategy, int(form.strategy.data))
        try:
            new = services.carry_over(current_user, line, strategy, code=form.code.data or None)
        except PlanError as err:
            db.session.rollback()
            _field_error(form, err)
        else:
            target_code = new.plan.code
            db.session.commit()
            flash(f"{line.code} carried over into {target_code} as {new.code}.", "success")
            return redirect(url_for(".line", code=target_code, line_code=new.code))
    back = url_for(".line", code=plan.code, line_code=line.code)
    return _form_page(form, f"Carry {line.code} over into another plan", plan, back, status,
                      "The new action line keeps a link back to this one; this one and its reports stay as they are.")


# Import

@bp.route("/plans/<code>/import", methods=["GET", "POST"])
@guard("plans.manage")
def import_structure(code: str):
    plan = _plan(code)
    form = ImportForm()
    errors, status = [], 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            upload = form.file.data
            try:
                summary = imports.import_structure(current_user, plan, upload.filename or "", upload.read())
            except imports.ImportRejected as err:
                db.session.rollback()
                errors, status = err.errors, 422
                flash(str(err), "error")
            except PlanError as err:
                db.session.rollback()
                _field_error(form, err)
            else:
                db.session.commit()
                flash(f"Imported {summary.areas} programme areas, {summary.strategies} strategies, "
                      f"{summary.action_lines} action lines and {summary.milestones} milestones.", "success")
                return redirect(url_for(".plan", code=plan.code))
    return render_template("plans/import.html", plan=plan, form=form, errors=errors, columns=imports.COLUMNS,
                           help=imports.HELP), status


@bp.get("/plans/<code>/import/template.<any(csv, xlsx):fmt>")
@guard("plans.manage")
def import_template(code: str, fmt: str):
    _plan(code)
    content, mimetype, filename = imports.template(fmt)
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# An action line

@bp.get("/plans/<code>/lines/<line_code>")
@guard("plans.view")
def line(code: str, line_code: str):
    plan = _plan(code)
    line = _line(plan, line_code)
    status = rates.latest_status(line)
    flags = [f for f in rates.milestone_flags(plan) if f.action_line_id == line.id]
    filed = db.session.execute(select(ProgressReport).where(ProgressReport.action_line_id == line.id)
                               .options(selectinload(ProgressReport.evidence))
                               .order_by(ProgressReport.year.desc(), ProgressReport.quarter.desc())).scalars().all()
    visible_reports = [r for r in filed if can(current_user, "reports.view", r)]
    doc_ids = {e.document_id for r in visible_reports for e in r.evidence}
    documents = db.session.execute(select(Document).where(Document.id.in_(doc_ids), visible_clause(current_user))
                                   .order_by(Document.title)).scalars().all() if doc_ids else []
    items = db.session.execute(select(ActionItem).where(
        ActionItem.action_line == line.code, visible_bodies_clause(current_user, ActionItem.body_id))
        .options(joinedload(ActionItem.body), joinedload(ActionItem.meeting), joinedload(ActionItem.owner_org),
                 joinedload(ActionItem.owner_user))
        .order_by(ActionItem.due_on, ActionItem.id).limit(100)).scalars().all()
    carried_into = db.session.execute(select(ActionLine).where(ActionLine.carried_from_id == line.id)
                                      .options(joinedload(ActionLine.plan))).scalars().all()
    year, quarter = reports.quarter_of(utcnow().date())
    current = (year, quarter) if year in plan.years else (plan.end_year, 4) if year > plan.end_year else None
    # Late reports are filed too: every quarter of the plan up to now, newest first.
    quarters = [(y, q) for y in reversed(plan.years) for q in (4, 3, 2, 1) if current and (y, q) < current]
    return render_template("plans/line.html", plan=plan, line=line, status=status, flags=flags,
                           reports=visible_reports, documents=documents, items=items, carried_into=carried_into,
                           current=current, quarters=quarters, may_edit=can(current_user, "reports.edit", line),
                           reports_readable=can(current_user, "reports.view"))


# Progress reports

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


@bp.route("/plans/<code>/lines/<line_code>/reports/<int:year>/Q<int:quarter>", methods=["GET", "POST"])
@guard("reports.view")
def report(code: str, line_code: str, year: int, quarter: int):
    plan = _plan(code)
    line = _line(plan, line_code)
    _period(plan, year, quarter)
    action = request.form.get("action", "") if request.method == "POST" else ""
    if action in ("save", "submit"):
        require(current_user, "reports.edit", line)
    elif action in ("accept", "return"):
        require(current_user, "reports.review", line)
    elif request.method == "POST":
        raise PageError(400, "Choose Save draft, Submit, Accept or Return.")
    report = reports.get_report(line, year, quarter)
    if report is None and not can(current_user, "reports.edit", line) and request.method == "GET":
        raise PageError(404, f"No report on {line.code} has been filed for {year} Q{quarter}.")
    if report is not None and not can(current_user, "reports.view", report):
        record_denial(current_user, "reports.view")
        raise PageError(404, f"No report on {line.code} has been filed for {year} Q{quarter}.")
    form, review = _report_form(report), ReviewForm(formdata=None)
    milestone_values = {m.id: str(mp.percent) for mp in (report.milestone_progress if report else [])
                        for m in line.milestones if m.id == mp.milestone_id}
    status, conflict = 200, None
    if request.method == "POST":
        form = ReportForm() if action in ("save", "submit") else form
        review = ReviewForm() if action in ("accept", "return") else review
        target = form if action in ("save", "submit") else review
        form.evidence.choices = _evidence_choices(report)
        if action in ("save", "submit"):
            milestone_values = {m.id: request.form.get(f"milestone-{m.id}", "").strip() for m in line.milestones}
        if not target.validate_on_submit():
            status = 400
        else:
            seen = _int_or_none(target.version.data)
            try:
                message = _apply(action, line, year, quarter, report, form, review, milestone_values, seen)
            except reports.Conflict as err:
                db.session.rollback()
                status, conflict = 409, err.report
                flash(str(err), "error")
                target.version.data = str(conflict.version) if conflict else ""
            except PlanError as err:
                db.session.rollback()
                status = 400
                if err.field and err.field.startswith("milestone-"):
                    flash(f"{err}", "error")
                else:
                    _field_error(target, err)
            else:
                db.session.commit()
                flash(message, "success")
                return redirect(url_for(".report", code=plan.code, line_code=line.code, year=year, quarter=quarter))
        report = reports.get_report(line, year, quarter)
    form.evidence.choices = _evidence_choices(report)
    if report is not None and not review.version.data:
        review.version.data = str(report.version)
    evidence = []
    if report is not None and report.evidence:
        evidence = db.session.execute(select(Document).where(
            Document.id.in_([e.document_id for e in report.evidence]), visible_clause(current_user))
            .order_by(Document.title)).scalars().all()
    may_edit = can(current_user, "reports.edit", line) and (report is None or report.state in ("draft", "returned"))
    may_review = (report is not None and report.state == "submitted" and can(current_user, "reports.review", line))
    return render_template("plans/report.html", plan=plan, line=line, year=year, quarter=quarter, report=report,
                           form=form, review=review, milestone_values=milestone_values, may_edit=may_edit,
                           may_review=may_review, evidence=evidence, conflict=conflict,
                           history=reports.revisions(report) if report else [],
                           deadline=reports.report_deadline(year, quarter),
                           readers=access.report_readers(report, line)), status


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


# Dashboard and matrix

@bp.get("/plans/<code>/dashboard")
@guard("plans.view")
def dashboard(code: str):
    plan = _plan(code)
    as_of = _as_of()
    numbers = rates.dashboard(plan, as_of)
    summary, overdue, trend = numbers.summary, numbers.overdue, numbers.trend
    # Only a plan being implemented in the date's year can be missing reports for it (missing_reports' own rule).
    # Who has filed what is ASEAN's business: partners see the rates only.
    due = (plan.status == "active" and plan.start_year <= as_of.year <= plan.end_year
           and can(current_user, "reports.view"))
    missing = reports.missing_reports(as_of, plan, numbers.statuses) if due else []
    groups = [("area", "Programme area", summary.by_area), ("strategy", "Strategy", summary.by_strategy),
              ("working_group", "Working group", summary.by_working_group), ("lead", "Lead country", summary.by_lead)]
    group_charts = {key: charts.bar_chart(f"Achievement rate by {label.lower()} as of {as_of.isoformat()}",
                                          [(g.key or "None", g.rate.percent) for g in rows])
                    for key, label, rows in groups}
    trend_chart = charts.line_chart(f"Achievement rate by quarter up to {as_of.isoformat()}",
                                    [(f"{q.year} Q{q.quarter}", q.rate.percent) for q in trend])
    status_chart = charts.bar_chart("Action lines by status (share of all)", [
        (LINE_STATUSES[s], rates.percent_half_up(n, sum(summary.status_counts.values())))
        for s, n in summary.status_counts.items()])
    return render_template("plans/dashboard.html", plan=plan, as_of=as_of, summary=summary, overdue=overdue,
                           missing=missing, trend=trend, groups=groups, group_charts=group_charts,
                           trend_chart=trend_chart, status_chart=status_chart, packs_url=_packs_url(plan),
                           quarter=reports.quarter_of(as_of), reports_readable=can(current_user, "reports.view"))


@bp.get("/plans/<code>/matrix")
@guard("packs.view")
def matrix(code: str):
    plan = _plan(code)
    as_of = _as_of()
    lines = db.session.execute(select(ActionLine).where(ActionLine.plan_id == plan.id)
                               .options(selectinload(ActionLine.leads), selectinload(ActionLine.participants))
                               .order_by(ActionLine.position, ActionLine.code)).scalars().all()
    states = rates.line_states(plan, as_of)
    countries = db.session.execute(select(Organisation).where(Organisation.kind == "member_state")
                                   .order_by(Organisation.code)).scalars().all()
    cells = {}
    for ln in lines:
        for o in ln.participants:
            cells[(ln.id, o.id)] = "participating"
        for o in ln.leads:
            cells[(ln.id, o.id)] = "lead"
    return render_template("plans/matrix.html", plan=plan, as_of=as_of, lines=lines, states=states,
                           countries=countries, cells=cells)

