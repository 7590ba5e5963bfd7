"""AMCAP action line pages: a line with its reports, evidence and action items; new lines and milestones,
carrying a line over into another plan."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from aocp.documents.access import visible_clause
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings.access import visible_bodies_clause
from aocp.meetings.models import ActionItem
from aocp.plans import bp, rates, reports, services
from aocp.plans.forms import CarryOverForm, MilestoneForm, fill_carry
from aocp.plans.loading import load_line, load_plan
from aocp.plans.models import ActionLine, ProgressReport, Strategy
from aocp.plans.pages import field_error, form_page
from aocp.plans.services import PlanError
from aocp.policy import can, guard
from aocp.timeutil import utcnow


@bp.route("/plans/<code>/lines/<line_code>/milestones/new", methods=["GET", "POST"])
@guard("plans.manage")
def new_milestone(code: str, line_code: str):
    plan = load_plan(code)
    line = load_line(plan, line_code)
    form = MilestoneForm()
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            services.add_milestone(current_user, line, year=form.year.data, text=form.text.data,
                                   target=form.target.data, due_on=form.due_on.data)
        except PlanError as err:
            db.session.rollback()
            field_error(form, err)
        else:
            db.session.commit()
            flash("Milestone added.", "success")
            return redirect(url_for(".line", code=plan.code, line_code=line.code))
    back = url_for(".line", code=plan.code, line_code=line.code)
    return form_page(form, f"New milestone for {line.code}", plan, back, status,
                      f"Within the plan's years, {plan.start_year} to {plan.end_year}; due on 31 December "
                      "of its year unless you give another date.")


@bp.route("/plans/<code>/lines/<line_code>/carry-over", methods=["GET", "POST"])
@guard("plans.manage")
def carry_over(code: str, line_code: str):
    plan = load_plan(code)
    line = load_line(plan, line_code)
    form = CarryOverForm()
    fill_carry(form, plan)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        strategy = db.session.get(Strategy, int(form.strategy.data))
        try:
            new = services.carry_over(current_user, line, strategy, code=form.code.data or None)
        except PlanError as err:
            db.session.rollback()
            field_error(form, err)
        else:
            target_code = new.plan.code
            db.session.commit()
            flash(f"{line.code} carried over into {target_code} as {new.code}.", "success")
            return redirect(url_for(".line", code=target_code, line_code=new.code))
    back = url_for(".line", code=plan.code, line_code=line.code)
    return form_page(form, f"Carry {line.code} over into another plan", plan, back, status,
                      "The new action line keeps a link back to this one; this one and its reports stay as they are.")


@bp.get("/plans/<code>/lines/<line_code>")
@guard("plans.view")
def line(code: str, line_code: str):
    plan = load_plan(code)
    line = load_line(plan, line_code)
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
