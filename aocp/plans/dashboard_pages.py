"""A plan's dashboard (achievement rates, trend, overdue milestones, missing reports) and its participation
matrix, each as of a date."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from aocp.extensions import db
from aocp.orgs.models import Organisation
from aocp.plans import bp, charts, rates, reports
from aocp.plans.loading import load_plan
from aocp.plans.models import LINE_STATUSES, ActionLine
from aocp.plans.pages import as_of_arg
from aocp.policy import can, guard


@bp.get("/plans/<code>/dashboard")
@guard("plans.view")
def dashboard(code: str):
    plan = load_plan(code)
    as_of = as_of_arg()
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
                           trend_chart=trend_chart, status_chart=status_chart,
                           quarter=reports.quarter_of(as_of), reports_readable=can(current_user, "reports.view"))


@bp.get("/plans/<code>/matrix")
@guard("packs.view")
def matrix(code: str):
    plan = load_plan(code)
    as_of = as_of_arg()
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
