"""Plan structure shared by pages and API: plans, programme areas, strategies, action lines, milestones,
carry-over. Services check the policy, audit and flush; views commit.

Progress reports live in `aocp.plans.reports`, the CSV/XLSX import in `aocp.plans.imports`, the
achievement rates in `aocp.plans.rates`.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from aocp import audit
from aocp.accounts.models import User
from aocp.extensions import db
from aocp.orgs.models import Body, Organisation
from aocp.plans.models import PLAN_STATUSES, ActionLine, Milestone, Plan, ProgrammeArea, Strategy
from aocp.policy import PermissionDenied, can

PLAN_CODE = re.compile(r"^[A-Z0-9][A-Z0-9+\-]{1,31}$")
AREA_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,15}$")
ITEM_CODE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,15}$")
FIRST_YEAR, LAST_YEAR, LONGEST_PLAN = 2000, 2100, 15
FINAL_STATUSES = ("completed", "withdrawn", "carried_over")


class PlanError(ValueError):
    """Bad input for a plan action; `field` names the form field when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def require(actor: User, rule: str, obj=None) -> None:
    """Raise PermissionDenied unless the actor may do `rule` (on `obj`)."""
    if not can(actor, rule, obj):
        raise PermissionDenied(rule)


def clean_text(value: str | None, field: str, label: str, limit: int, required: bool = True) -> str:
    """Trimmed text; PlanError when it is missing or longer than `limit` characters."""
    value = (value or "").strip()
    if "\x00" in value:
        raise PlanError(f"{label} contains a character that is not allowed.", field)
    if required and not value:
        raise PlanError(f"{label} is required.", field)
    if len(value) > limit:
        raise PlanError(f"{label} is limited to {limit:,} characters.", field)
    return value


def clean_code(value: str | None, pattern: re.Pattern, field: str, example: str) -> str:
    code = (value or "").strip().upper()
    if not pattern.match(code):
        raise PlanError(f"Give a code of capital letters and digits, e.g. {example}.", field)
    return code


def clean_year(value, field: str) -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise PlanError("Give the year as four digits, e.g. 2026.", field) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PlanError(f"Give a year between {FIRST_YEAR} and {LAST_YEAR}.", field)
    return year


def _open_plan(plan: Plan) -> None:
    if plan.status == "closed":
        raise PlanError("This plan is closed; its structure no longer changes.")


# Plans

def plan_by_code(code: str) -> Plan | None:
    return db.session.execute(select(Plan).where(Plan.code == (code or "").strip().upper())).scalar_one_or_none()


def plan_structure(plan_id: int) -> Plan | None:
    """A plan with its areas, strategies, action lines, leads, participants and milestones loaded (no N+1)."""
    lines = selectinload(Plan.areas).selectinload(ProgrammeArea.strategies).selectinload(Strategy.action_lines)
    return db.session.execute(
        select(Plan).where(Plan.id == plan_id).options(
            selectinload(Plan.areas).selectinload(ProgrammeArea.working_group),
            lines.selectinload(ActionLine.leads), lines.selectinload(ActionLine.participants),
            lines.selectinload(ActionLine.milestones), lines.selectinload(ActionLine.body),
            lines.selectinload(ActionLine.carried_from).selectinload(ActionLine.plan))
    ).scalar_one_or_none()


def _check_plan(name: str, title: str, description: str, start_year, end_year, status: str):
    name = clean_text(name, "name", "A plan's name", 200)
    title = clean_text(title, "title", "The full title", 300, required=False)
    description = clean_text(description, "description", "The description", 20_000, required=False)
    start, end = clean_year(start_year, "start_year"), clean_year(end_year, "end_year")
    if end < start:
        raise PlanError("The plan cannot end before it starts.", "end_year")
    if end - start + 1 > LONGEST_PLAN:
        raise PlanError(f"A plan covers at most {LONGEST_PLAN} years.", "end_year")
    if status not in PLAN_STATUSES:
        raise PlanError("Choose a status from the list.", "status")
    return name, title, description, start, end


def create_plan(actor: User, *, code: str, name: str, start_year, end_year, title: str = "",
                description: str = "", status: str = "draft", carried_from: Plan | None = None) -> Plan:
    """A new plan (e.g. AMCAP-IV Phase 1, 2026-2030), empty until areas and action lines are added."""
    require(actor, "plans.manage")
    code = clean_code(code, PLAN_CODE, "code", "AMCAP-IV-P1")
    name, title, description, start, end = _check_plan(name, title, description, start_year, end_year, status)
    if plan_by_code(code) is not None:
        raise PlanError(f"There is already a plan with code {code}.", "code")
    plan = Plan(code=code, name=name, title=title, description=description, start_year=start, end_year=end,
                status=status, carried_from=carried_from, created_by_id=actor.id)
    db.session.add(plan)
    db.session.flush()
    audit.record("plan.created", actor, plan, {"code": code, "years": [start, end],
                                               "follows": carried_from.code if carried_from else None})
    return plan


def update_plan(actor: User, plan: Plan, *, name: str, start_year, end_year, title: str = "",
                description: str = "", status: str) -> Plan:
    require(actor, "plans.manage", plan)
    name, title, description, start, end = _check_plan(name, title, description, start_year, end_year, status)
    before = {"status": plan.status, "years": [plan.start_year, plan.end_year]}
    plan.name, plan.title, plan.description = name, title, description
    plan.start_year, plan.end_year, plan.status = start, end, status
    db.session.flush()
    audit.record("plan.updated", actor, plan, {"before": before, "status": status, "years": [start, end]})
    return plan


def share_with_partners(actor: User, plan: Plan, shared: bool) -> Plan:
    """Show (or stop showing) the plan's structure and published rates to partners; reports stay ASEAN's."""
    require(actor, "plans.manage", plan)
    if plan.shared_with_partners != shared:
        plan.shared_with_partners = shared
        db.session.flush()
        audit.record("plan.shared" if shared else "plan.unshared", actor, plan, {"code": plan.code})
    return plan


# Structure

def add_area(actor: User, plan: Plan, *, code: str, name: str, key_focus: str = "",
             working_group: Body | None = None) -> ProgrammeArea:
    require(actor, "plans.manage", plan)
    _open_plan(plan)
    code = clean_code(code, AREA_CODE, "code", "TIM")
    name = clean_text(name, "name", "A programme area's name", 200)
    key_focus = clean_text(key_focus, "key_focus", "The key focus", 5000, required=False)
    if any(a.code == code for a in plan.areas):
        raise PlanError(f"{plan.code} already has a programme area {code}.", "code")
    area = ProgrammeArea(code=code, name=name, key_focus=key_focus, working_group=working_group,
                         position=max((a.position for a in plan.areas), default=0) + 1)
    plan.areas.append(area)
    db.session.flush()
    audit.record("plan.area_added", actor, plan, {"area": code})
    return area


def add_strategy(actor: User, area: ProgrammeArea, *, code: str, title: str) -> Strategy:
    plan = area.plan
    require(actor, "plans.manage", plan)
    _open_plan(plan)
    code = clean_code(code, ITEM_CODE, "code", "TI1")
    title = clean_text(title, "title", "A strategy's title", 2000)
    if db.session.execute(select(Strategy.id).where(Strategy.plan_id == plan.id, Strategy.code == code)).first():
        raise PlanError(f"{plan.code} already has a strategy {code}.", "code")
    strategy = Strategy(code=code, title=title, plan=plan,
                        position=max((s.position for s in area.strategies), default=0) + 1)
    area.strategies.append(strategy)
    db.session.flush()
    audit.record("plan.strategy_added", actor, plan, {"strategy": code, "area": area.code})
    return strategy


def _check_orgs(leads: Iterable[Organisation], participants: Iterable[Organisation]):
    leads, participants = list(dict.fromkeys(leads)), list(dict.fromkeys(participants))
    if any(o.kind != "member_state" for o in leads):
        raise PlanError("Lead countries are ASEAN Member States.", "leads")
    return leads, participants


def _next_line_position(plan: Plan) -> int:
    return (db.session.scalar(select(func.max(ActionLine.position)).where(ActionLine.plan_id == plan.id)) or 0) + 1


def add_action_line(actor: User, strategy: Strategy, *, code: str, text: str, body: Body | None = None,
                    leads: Iterable[Organisation] = (), participants: Iterable[Organisation] = (),
                    indicators: str = "") -> ActionLine:
    """An action line under a strategy; without a body it goes to the area's working group."""
    plan = strategy.plan
    require(actor, "plans.manage", plan)
    _open_plan(plan)
    code = clean_code(code, ITEM_CODE, "code", "TI1.1")
    text = clean_text(text, "text", "The action line's text", 5000)
    indicators = clean_text(indicators, "indicators", "The indicators", 5000, required=False)
    leads, participants = _check_orgs(leads, participants)
    if db.session.execute(select(ActionLine.id).where(ActionLine.plan_id == plan.id,
                                                      ActionLine.code == code)).first():
        raise PlanError(f"{plan.code} already has an action line {code}.", "code")
    line = ActionLine(code=code, text=text, plan=plan, strategy=strategy, indicators=indicators,
                      body=body or strategy.area.working_group, leads=leads, participants=participants,
                      position=_next_line_position(plan))
    db.session.add(line)
    db.session.flush()
    audit.record("action_line.created", actor, line, {"plan": plan.code, "code": code,
                                                      "leads": [o.code for o in leads]})
    return line


def update_action_line(actor: User, line: ActionLine, *, text: str, body: Body | None,
                       leads: Iterable[Organisation], participants: Iterable[Organisation],
                       indicators: str = "") -> ActionLine:
    """Change an action line's text, responsible body, leads, participants and indicators."""
    require(actor, "plans.manage", line.plan)
    _open_plan(line.plan)
    text = clean_text(text, "text", "The action line's text", 5000)
    indicators = clean_text(indicators, "indicators", "The indicators", 5000, required=False)
    leads, participants = _check_orgs(leads, participants)
    before = {"leads": [o.code for o in line.leads], "body": line.body.code if line.body else None}
    line.text, line.indicators, line.body = text, indicators, body
    line.leads, line.participants = leads, participants
    db.session.flush()
    audit.record("action_line.updated", actor, line, {
        "before": before, "leads": [o.code for o in leads], "body": body.code if body else None,
        "participants": [o.code for o in participants]})
    return line


def _check_milestone(plan: Plan, year, text: str, target: str, due_on: date | None):
    year = clean_year(year, "year")
    if year not in plan.years:
        raise PlanError(f"Milestones fall within the plan's years, {plan.start_year} to {plan.end_year}.", "year")
    text = clean_text(text, "text", "The milestone", 2000)
    target = clean_text(target, "target", "The target", 2000, required=False)
    due_on = due_on or date(year, 12, 31)
    if due_on.year != year:
        raise PlanError(f"A {year} milestone is due within {year}.", "due_on")
    return year, text, target, due_on


def add_milestone(actor: User, line: ActionLine, *, year, text: str, target: str = "",
                  due_on: date | None = None) -> Milestone:
    """A yearly milestone with its target; it is due on 31 December of its year unless `due_on` says otherwise."""
    require(actor, "plans.manage", line.plan)
    _open_plan(line.plan)
    year, text, target, due_on = _check_milestone(line.plan, year, text, target, due_on)
    milestone = Milestone(year=year, text=text, target=target, due_on=due_on)
    line.milestones.append(milestone)
    db.session.flush()
    audit.record("milestone.added", actor, line, {"milestone": milestone.id, "year": year})
    return milestone


def update_milestone(actor: User, milestone: Milestone, *, year, text: str, target: str = "",
                     due_on: date | None = None) -> Milestone:
    line = milestone.action_line
    require(actor, "plans.manage", line.plan)
    _open_plan(line.plan)
    year, text, target, due_on = _check_milestone(line.plan, year, text, target, due_on)
    milestone.year, milestone.text, milestone.target, milestone.due_on = year, text, target, due_on
    db.session.flush()
    audit.record("milestone.updated", actor, line, {"milestone": milestone.id, "year": year})
    return milestone


# Carry-over

def carry_over(actor: User, line: ActionLine, into: Strategy, *, code: str | None = None) -> ActionLine:
    """Continue an unfinished action line in another plan: a new line linked back to it.

    The old line, its milestones and reports stay as they were (its history); the new line copies the text,
    responsible body, leads, participants and indicators, and gets its own milestones in the new plan.
    """
    from aocp.plans.rates import latest_status

    target = into.plan
    require(actor, "plans.manage", target)
    _open_plan(target)
    if target.id == line.plan_id:
        raise PlanError("An action line is carried over into another plan.", "plan")
    if latest_status(line) == "completed":
        raise PlanError(f"{line.code} is completed; only unfinished action lines are carried over.")
    if db.session.execute(select(ActionLine.id).where(ActionLine.plan_id == target.id,
                                                      ActionLine.carried_from_id == line.id)).first():
        raise PlanError(f"{line.code} is already carried over into {target.code}.")
    new = add_action_line(actor, into, code=code or line.code, text=line.text, body=line.body, leads=line.leads,
                          participants=line.participants, indicators=line.indicators)
    new.carried_from = line
    db.session.flush()
    audit.record("action_line.carried_over", actor, line, {"from": line.plan.code, "into": target.code,
                                                           "new_id": new.id, "code": new.code})
    return new


def carried_chain(line: ActionLine) -> list[ActionLine]:
    """The line and the lines it continues, newest first (AMCAP-IV -> AMCAP-III Phase 2 -> ...)."""
    chain, seen = [line], {line.id}
    while chain[-1].carried_from is not None and chain[-1].carried_from.id not in seen:
        chain.append(chain[-1].carried_from)
        seen.add(chain[-1].id)
    return chain
