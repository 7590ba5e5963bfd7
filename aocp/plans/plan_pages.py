"""AMCAP plan pages: the list, a plan and its sharing, creating and editing plans, their programme areas and
strategies, and importing a plan's structure from a spreadsheet."""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from aocp.extensions import db
from aocp.http import Invalid
from aocp.orgs.models import Body
from aocp.plans import access, bp, charts, imports, rates, services
from aocp.plans.forms import (
    ActionLineForm,
    AreaForm,
    ImportForm,
    PlanForm,
    SharingForm,
    StrategyForm,
    fill_area,
    fill_line,
    fill_plan,
    fill_strategy,
)
from aocp.plans.loading import load_plan
from aocp.plans.models import ActionLine, Plan, Strategy
from aocp.plans.pages import by_code, field_error, form_page, orgs_by_code, page_arg
from aocp.plans.services import PlanError
from aocp.policy import guard


@bp.get("/plans/")
@guard("plans.view")
def index():
    page = db.paginate(select(Plan).where(access.visible_plans_clause(current_user, Plan))
                       .order_by(Plan.start_year.desc(), Plan.code), page=page_arg(), per_page=20, error_out=False)
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
                                        status=form.status.data, carried_from=by_code(Plan, form.carried_from.data))
        except PlanError as err:
            db.session.rollback()
            field_error(form, err)
        else:
            db.session.commit()
            flash(f"Plan {plan.code} created. Add its programme areas, strategies and action lines, or import them.",
                  "success")
            return redirect(url_for(".plan", code=plan.code))
    return form_page(form, "New plan", None, url_for(".index"), status)


@bp.route("/plans/<code>/edit", methods=["GET", "POST"])
@guard("plans.manage")
def edit_plan(code: str):
    plan = load_plan(code)
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
            field_error(form, err)
        else:
            db.session.commit()
            flash("Plan saved.", "success")
            return redirect(url_for(".plan", code=plan.code))
    return form_page(form, f"Edit {plan.code}", plan, url_for(".plan", code=plan.code), status)


@bp.get("/plans/<code>")
@guard("plans.view")
def plan(code: str):
    plan = services.plan_structure(load_plan(code).id)
    states = rates.line_states(plan)
    flags: dict[int, list[str]] = {}
    for f in rates.milestone_flags(plan):
        flags.setdefault(f.action_line_id, []).append(f.flag)
    line_flags = {line_id: charts.worst_flag(values) for line_id, values in flags.items()}
    return render_template("plans/plan.html", plan=plan, states=states, line_flags=line_flags,
                           sharing_form=SharingForm())


@bp.post("/plans/<code>/sharing")
@guard("plans.manage")
def sharing(code: str):
    plan = load_plan(code)
    form = SharingForm()
    if not form.validate_on_submit():
        raise Invalid({"shared": "The form expired or was incomplete; open the plan and try again."})
    services.share_with_partners(current_user, plan, form.shared.data == "yes")
    db.session.commit()
    flash("Partners (observers) now see this plan's structure and published rates; its reports and packs stay "
          "with ASEAN." if plan.shared_with_partners else "Only ASEAN sees this plan now.", "success")
    return redirect(url_for(".plan", code=plan.code))


# Structure

@bp.route("/plans/<code>/areas/new", methods=["GET", "POST"])
@guard("plans.manage")
def new_area(code: str):
    plan = load_plan(code)
    form = AreaForm()
    fill_area(form)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            area = services.add_area(current_user, plan, code=form.code.data, name=form.name.data,
                                     key_focus=form.key_focus.data,
                                     working_group=by_code(Body, form.working_group.data))
        except PlanError as err:
            db.session.rollback()
            field_error(form, err)
        else:
            db.session.commit()
            flash(f"Programme area {area.code} added.", "success")
            return redirect(url_for(".plan", code=plan.code))
    return form_page(form, f"New programme area in {plan.code}", plan, url_for(".plan", code=plan.code), status)


@bp.route("/plans/<code>/strategies/new", methods=["GET", "POST"])
@guard("plans.manage")
def new_strategy(code: str):
    plan = load_plan(code)
    form = StrategyForm()
    fill_strategy(form, plan)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        area = next(a for a in plan.areas if str(a.id) == form.area.data)
        try:
            strategy = services.add_strategy(current_user, area, code=form.code.data, title=form.title.data)
        except PlanError as err:
            db.session.rollback()
            field_error(form, err)
        else:
            db.session.commit()
            flash(f"Strategy {strategy.code} added.", "success")
            return redirect(url_for(".plan", code=plan.code))
    return form_page(form, f"New strategy in {plan.code}", plan, url_for(".plan", code=plan.code), status,
                      "" if plan.areas else "Add a programme area first.")


@bp.route("/plans/<code>/lines/new", methods=["GET", "POST"])
@guard("plans.manage")
def new_line(code: str):
    plan = load_plan(code)
    form = ActionLineForm()
    fill_line(form, plan)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        strategy = db.session.get(Strategy, int(form.strategy.data))
        try:
            line = services.add_action_line(current_user, strategy, code=form.code.data, text=form.text.data,
                                            body=by_code(Body, form.body.data), leads=orgs_by_code(form.leads.data),
                                            participants=orgs_by_code(form.participants.data),
                                            indicators=form.indicators.data)
        except PlanError as err:
            db.session.rollback()
            field_error(form, err)
        else:
            db.session.commit()
            flash(f"Action line {line.code} added. Add its yearly milestones.", "success")
            return redirect(url_for(".line", code=plan.code, line_code=line.code))
    return form_page(form, f"New action line in {plan.code}", plan, url_for(".plan", code=plan.code), status,
                      "" if form.strategy.choices else "Add a strategy first.")


# Import

@bp.route("/plans/<code>/import", methods=["GET", "POST"])
@guard("plans.manage")
def import_structure(code: str):
    plan = load_plan(code)
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
                field_error(form, err)
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
    load_plan(code)
    content, mimetype, filename = imports.template(fmt)
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
