"""The list of progress reports (`/plans/reports`): every report row the person may open, filtered, most urgent
first; the home page's report panels link here. A filter value that cannot be used is ignored with a message."""
from __future__ import annotations

from flask import flash, render_template, request
from flask_login import current_user
from sqlalchemy import select

from aocp.extensions import db
from aocp.http import RowPage
from aocp.orgs.models import Body, Organisation
from aocp.plans import bp, queues
from aocp.plans.access import visible_plans_clause
from aocp.plans.models import Plan
from aocp.plans.pages import page_arg
from aocp.policy import guard
from aocp.timeutil import utcnow

PER_PAGE = 25


def _choices() -> dict:
    """The filter form's lists: plans the person may see, working groups, Member States."""
    return {"plans": db.session.execute(select(Plan).where(visible_plans_clause(current_user, Plan))
                                        .order_by(Plan.start_year.desc(), Plan.code)).scalars().all(),
            "bodies": db.session.execute(select(Body).where(Body.code.like("WG%")).order_by(Body.code))
            .scalars().all(),
            "member_states": db.session.execute(select(Organisation).where(Organisation.kind == "member_state")
                                         .order_by(Organisation.code)).scalars().all()}


@bp.get("/plans/reports", endpoint="reports")
@guard("reports.view")
def report_list():
    today = utcnow().date()
    filters, errors = queues.parse_filters(request.args, current_user, today)
    for name, message in errors.items():
        flash(f"The filter {name}={request.args.get(name, '')[:40]} was ignored: {message}", "error")
    number = page_arg()
    total = queues.count(current_user, filters, today)
    rows = queues.rows(current_user, filters, today, PER_PAGE, (number - 1) * PER_PAGE)
    return render_template("plans/reports.html", page=RowPage(rows, number, PER_PAGE, total), filters=filters,
                           args=queues.filter_args(filters), states=queues.STATES, today=today,
                           open_periods=queues.open_periods(today), **_choices())
