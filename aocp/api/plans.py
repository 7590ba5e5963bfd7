"""API endpoints for AMCAP plans: plans and their structure, action lines, milestones and the computed
achievement rates (progress reports: plan_reports.py).

The same services, loaders and policy as the pages. ASEAN (ASEC and the Member States' people) reads every plan,
its action lines, milestones and rates; partners (observers) only those of a plan ASEC shares with them
(`shared_with_partners`), any other plan being unknown to them (404). ASEC (`plans.manage`) creates plans,
shares them with partners and changes action lines and milestones.
"""
from __future__ import annotations

import re

from flask import g, request, url_for
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import contains_eager, joinedload

from aocp.api import bp
from aocp.api.auth import api_guard
from aocp.api.plan_fields import (
    BadRequest,
    as_of_arg,
    groups_json,
    handled,
    iso_time,
    line_json,
    milestone_json,
    milestone_rate_json,
    plan_json,
    rate_json,
)
from aocp.extensions import db
from aocp.http import Fields, body_by_code, json_body, page_args, paginated
from aocp.orgs.models import Body, Organisation
from aocp.plans import rates, services
from aocp.plans.access import visible_plans_clause
from aocp.plans.loading import load_line_by_id, load_plan
from aocp.plans.models import (
    LINE_STATUSES,
    PLAN_STATUSES,
    ActionLine,
    Plan,
    ProgrammeArea,
    Strategy,
    action_line_leads,
    action_line_participants,
)
from aocp.policy import can
from aocp.timeutil import utcnow

PLAN_FIELDS = {"code", "name", "title", "description", "start_year", "end_year", "status", "carried_from"}
LINE_FIELDS = {"text", "working_group", "leads", "participants", "indicators"}
MILESTONE_FIELDS = {"year", "text", "target", "due_on"}
MAX_CODES = 50
FILTER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+\-]{0,31}$")


def _orgs(f: Fields, name: str, default: list[Organisation]) -> list[Organisation]:
    if not f.has(name):
        return default
    value = f.data[name]
    if not isinstance(value, list) or not all(isinstance(c, str) and c.strip().isalnum() and len(c) <= 16
                                              for c in value) \
            or len(value) > MAX_CODES:
        f.fail(name, f"A list of up to {MAX_CODES} organisation codes.")
        return default
    codes = [c.strip().upper() for c in value]
    found = {o.code: o for o in db.session.execute(select(Organisation).where(Organisation.code.in_(codes)))
             .scalars()} if codes else {}
    unknown = [c for c in codes if c not in found]
    if unknown:
        f.fail(name, f"Unknown organisation code: {', '.join(unknown[:5])}.")
        return default
    return [found[c] for c in dict.fromkeys(codes)]


# --- plans -----------------------------------------------------------------------------------------

@bp.get("/plans")
@api_guard("plans.view")
@handled
def list_plans():
    stmt = (select(Plan).options(joinedload(Plan.carried_from)).where(visible_plans_clause(g.api_user, Plan))
            .order_by(Plan.start_year.desc(), Plan.code))
    if (status := request.args.get("status")) is not None:
        if status not in PLAN_STATUSES:
            raise BadRequest("Unknown plan status.", {"status": f"One of {', '.join(PLAN_STATUSES)}."})
        stmt = stmt.where(Plan.status == status)
    return paginated(stmt, plan_json)


@bp.post("/plans")
@api_guard("plans.manage")
@handled
def create_plan():
    f = Fields(json_body(), PLAN_FIELDS, required=("code", "name", "start_year", "end_year"))
    code, name = f.text("code", max_length=32), f.text("name", max_length=200)
    title, description = f.text("title", max_length=300), f.text("description", max_length=20_000, multiline=True)
    start, end = f.whole("start_year", 2000, 2100), f.whole("end_year", 2000, 2100)
    status = f.text("status", default="draft", max_length=16)
    carried_from = None
    if f.has("carried_from") and f.data["carried_from"] is not None:
        value = f.data["carried_from"]
        carried_from = (services.plan_by_code(value) if isinstance(value, str)
                        and services.PLAN_CODE.match(value.strip().upper()) else None)
        if carried_from is None:
            f.fail("carried_from", "Unknown plan code.")
    f.check()
    plan = services.create_plan(g.api_user, code=code, name=name, start_year=start, end_year=end, title=title,
                                description=description, status=status, carried_from=carried_from)
    db.session.commit()
    return plan_json(plan), 201, {"Location": url_for("api.get_plan", code=plan.code)}


def _structure_json(plan: Plan, statuses: dict[int, str]) -> list[dict]:
    return [{"code": a.code, "name": a.name, "key_focus": a.key_focus,
             "working_group": a.working_group.code if a.working_group else None,
             "strategies": [{"code": s.code, "title": s.title, "action_lines": [
                 {"id": line.id, "code": line.code, "text": line.text,
                  "working_group": line.body.code if line.body else None, "leads": [o.code for o in line.leads],
                  "participants": [o.code for o in line.participants], "milestones": len(line.milestones),
                  "status": statuses.get(line.id, "not_started"),
                  "url": url_for("api.get_action_line", line_id=line.id)}
                 for line in s.action_lines]} for s in a.strategies]} for a in plan.areas]


@bp.get("/plans/<code>")
@api_guard("plans.view")
@handled
def get_plan(code: str):
    plan = services.plan_structure(load_plan(code).id)
    statuses = {line_id: state.status for line_id, state in rates.line_states(plan).items()}
    return plan_json(plan) | {"areas": _structure_json(plan, statuses),
                              "can_manage": can(g.api_user, "plans.manage", plan)}


@bp.patch("/plans/<code>")
@api_guard("plans.manage")
@handled
def update_plan_sharing(code: str):
    """Share the plan's structure and published rates with partners, or stop (the one field changed here)."""
    plan = load_plan(code)
    f = Fields(json_body(), {"shared_with_partners"}, required=("shared_with_partners",))
    shared = f.data.get("shared_with_partners")
    if f.has("shared_with_partners") and not isinstance(shared, bool):
        f.fail("shared_with_partners", "true or false.")
    f.check()
    services.share_with_partners(g.api_user, plan, shared)
    db.session.commit()
    return plan_json(plan)


@bp.get("/plans/<code>/rates")
@api_guard("plans.view")
@handled
def plan_rates(code: str):
    plan = load_plan(code)
    as_of = as_of_arg()
    summary = rates.summary(plan, as_of)
    return {"plan": plan.code, "as_of": iso_time(summary.as_of), "overall": rate_json(summary.overall),
            "milestones": milestone_rate_json(summary.milestones), "status_counts": summary.status_counts,
            "by_area": groups_json(summary.by_area), "by_strategy": groups_json(summary.by_strategy),
            "by_working_group": groups_json(summary.by_working_group), "by_lead": groups_json(summary.by_lead),
            "trend": [{"year": t.year, "quarter": t.quarter, "withdrawn": t.withdrawn, **rate_json(t.rate)}
                      for t in rates.trend(plan, summary.as_of)]}


# --- action lines ----------------------------------------------------------------------------------

def _list_options() -> tuple:
    # The list shows only the codes of a line's plan, strategy, area and working group. Plan, strategy and area
    # are joined already (to filter and sort): loading them from those joins rather than joining each table a
    # second time took PostgreSQL's planning from 12 to 2 ms.
    return (contains_eager(ActionLine.plan).load_only(Plan.code),
            contains_eager(ActionLine.strategy).load_only(Strategy.code).contains_eager(Strategy.area)
            .load_only(ProgrammeArea.code),
            joinedload(ActionLine.body).load_only(Body.code))


def _org_codes(line_ids: list[int]) -> dict[int, tuple[list, list]]:
    """Lead and participant Member State codes of these lines, each list in code order, in one statement."""
    parts = [select(table.c.action_line_id, literal(n).label("part"), Organisation.code)
             .join(Organisation, Organisation.id == table.c.org_id).where(table.c.action_line_id.in_(line_ids))
             for n, table in enumerate((action_line_leads, action_line_participants))]
    orgs: dict[int, tuple[list, list]] = {line_id: ([], []) for line_id in line_ids}
    if line_ids:
        for line_id, part, code in db.session.execute(union_all(*parts).order_by("code")):
            orgs[line_id][part].append(code)
    return orgs


@bp.get("/action-lines")
@api_guard("plans.view")
@handled
def list_action_lines():
    """Filters: plan, area, strategy (codes), wg (body code), lead (Member State code), status (as of now)."""
    args = request.args
    stmt = (select(ActionLine)
            .join(Plan, Plan.id == ActionLine.plan_id)
            .join(Strategy, Strategy.id == ActionLine.strategy_id)
            .join(ProgrammeArea, ProgrammeArea.id == Strategy.area_id)
            .where(visible_plans_clause(g.api_user, Plan))
            .options(*_list_options())
            .order_by(Plan.start_year.desc(), Plan.code, ActionLine.position, ActionLine.code))
    errors = {}
    for name, column in (("plan", Plan.code), ("area", ProgrammeArea.code), ("strategy", Strategy.code)):
        if (value := args.get(name)) is not None:
            if not FILTER_CODE.match(value.strip()):
                errors[name] = "A code."
            stmt = stmt.where(column == value.strip().upper())
    if (wg := args.get("wg")) is not None:
        body = body_by_code(wg)
        if body is None:
            errors["wg"] = "Unknown body code."
        else:
            stmt = stmt.where(ActionLine.body_id == body.id)
    if (lead := args.get("lead")) is not None:
        org = db.session.execute(select(Organisation).where(Organisation.code == lead.strip().upper())
                                 ).scalar_one_or_none() if lead.strip().isalnum() and len(lead) <= 16 else None
        if org is None:
            errors["lead"] = "Unknown organisation code."
        else:
            stmt = stmt.where(ActionLine.id.in_(select(action_line_leads.c.action_line_id)
                                                .where(action_line_leads.c.org_id == org.id)))
    if (wanted := args.get("status")) is not None:
        if wanted not in LINE_STATUSES:
            errors["status"] = f"One of {', '.join(LINE_STATUSES)}."
        # Only this filter needs every line's status; otherwise those of the page's lines are read after.
        latest = rates.latest_accepted(None, utcnow())
        stmt = (stmt.outerjoin(latest, latest.c.action_line_id == ActionLine.id)
                .where(func.coalesce(latest.c.line_status, "not_started") == wanted))
    if errors:
        raise BadRequest("Some filters are not valid.", errors)
    page, per_page = page_args()
    total = db.session.scalar(select(db.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    lines = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    statuses = rates.statuses_of([line.id for line in lines])
    orgs = _org_codes([line.id for line in lines])
    return {"items": [line_json(line, statuses[line.id], orgs[line.id]) for line in lines], "page": page,
            "per_page": per_page, "total": total, "pages": (total + per_page - 1) // per_page}


@bp.get("/action-lines/<int:line_id>")
@api_guard("plans.view")
@handled
def get_action_line(line_id: int):
    line = load_line_by_id(line_id)
    return line_json(line, rates.latest_status(line)) | {
        "milestones": [milestone_json(m) for m in line.milestones],
        "can_manage": can(g.api_user, "plans.manage", line.plan),
        "can_report": can(g.api_user, "reports.edit", line)}


@bp.patch("/action-lines/<int:line_id>")
@api_guard("plans.manage")
@handled
def update_action_line(line_id: int):
    line = load_line_by_id(line_id)
    f = Fields(json_body(), LINE_FIELDS)
    text = f.text("text", default=line.text, max_length=5000, multiline=True)
    indicators = f.text("indicators", default=line.indicators, max_length=5000, multiline=True)
    body: Body | None = line.body
    if f.has("working_group"):
        value = f.data["working_group"]
        body = None if value is None else body_by_code(value)
        if value is not None and body is None:
            f.fail("working_group", "Unknown body code.")
    leads = _orgs(f, "leads", list(line.leads))
    participants = _orgs(f, "participants", list(line.participants))
    f.check()
    services.update_action_line(g.api_user, line, text=text, body=body, leads=leads, participants=participants,
                                indicators=indicators)
    db.session.commit()
    return line_json(load_line_by_id(line_id), rates.latest_status(line))


@bp.get("/action-lines/<int:line_id>/milestones")
@api_guard("plans.view")
@handled
def list_milestones(line_id: int):
    return {"items": [milestone_json(m) for m in load_line_by_id(line_id).milestones]}


@bp.post("/action-lines/<int:line_id>/milestones")
@api_guard("plans.manage")
@handled
def create_milestone(line_id: int):
    line = load_line_by_id(line_id)
    f = Fields(json_body(), MILESTONE_FIELDS, required=("year", "text"))
    year = f.whole("year", 2000, 2100)
    text = f.text("text", max_length=2000, multiline=True, required=True)
    target = f.text("target", max_length=2000, multiline=True)
    due_on = f.day("due_on")
    f.check()
    milestone = services.add_milestone(g.api_user, line, year=year, text=text, target=target, due_on=due_on)
    db.session.commit()
    return milestone_json(milestone), 201
