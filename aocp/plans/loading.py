"""Loading a plan, an action line or a progress report through the policy: one loader for the pages and the API.

A plan not shared with the person (`plans.view`) is not found (404, audited, its existence not revealed), and so
are its action lines; a report they may not read (`reports.view`: a draft is its authors') is not found either.
Loaders raise (`http.NotFound`, `policy.PermissionDenied`); the app turns that into the answer, a page or JSON.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from aocp.extensions import db
from aocp.http import NotFound, checked, valid_id
from aocp.plans import reports, services
from aocp.plans.models import ActionLine, Plan, ProgressReport, Strategy

# What a line's page and the API show of it, loaded with it.
LINE_OPTIONS = (joinedload(ActionLine.plan), joinedload(ActionLine.body), selectinload(ActionLine.leads),
                selectinload(ActionLine.participants), selectinload(ActionLine.milestones),
                joinedload(ActionLine.strategy).joinedload(Strategy.area),
                joinedload(ActionLine.carried_from).joinedload(ActionLine.plan))
API_LINE_OPTIONS = (joinedload(ActionLine.plan), joinedload(ActionLine.strategy).joinedload(Strategy.area),
                    joinedload(ActionLine.body), selectinload(ActionLine.leads),
                    selectinload(ActionLine.participants), selectinload(ActionLine.milestones))


def load_plan(code: str, rule: str | None = None) -> Plan:
    """The plan with this code if the person may see it (`plans.view`) and may do `rule` on it."""
    valid = isinstance(code, str) and services.PLAN_CODE.match(code.strip().upper())
    return checked(services.plan_by_code(code) if valid else None, "plan", "plans.view", rule)


def load_line(plan: Plan, line_code: str, options: tuple = LINE_OPTIONS) -> ActionLine:
    """The action line of a loaded plan with this code (the pages' address of a line)."""
    line = db.session.execute(select(ActionLine).where(
        ActionLine.plan_id == plan.id, ActionLine.code == line_code.strip().upper()[:16]).options(*options)
    ).unique().scalar_one_or_none()
    if line is None:
        raise NotFound("action line")
    return line


def load_line_by_id(line_id: int, rule: str | None = None) -> ActionLine:
    """The action line with this id, if the person may see its plan (the API's address of a line)."""
    line = db.session.get(ActionLine, line_id, options=API_LINE_OPTIONS) if valid_id(line_id) else None
    return checked(line, "action line", "plans.view", rule)


def load_report(line: ActionLine, year: int, quarter: int, rule: str | None = None,
                new_ok: bool = False) -> ProgressReport | None:
    """The line's report for the quarter if the person may read it (`reports.view`) and do `rule` on it;
    None when nothing is filed yet and `new_ok` (the page where a filer starts one)."""
    report = reports.get_report(line, year, quarter)
    if report is None and new_ok:
        return None
    return checked(report, "progress report", "reports.view", rule)
