"""The progress-report queues: the reports a Member State must file, those waiting for a person's review, and
ASEC's picture (submitted and waiting, missing by Member State). The list page, its API twin and the home panels
all read them from here.

A row is an action line's report for a quarter: a filed report (draft, submitted, returned, accepted) or a quarter
not started yet ("not_started": no report filed). Quarters not started are listed for the quarters open for
reporting (the current and the last, or the one asked for) of the plans that take reports now, leaving out lines
already completed, withdrawn or carried over. Every query is filtered by the same rules as the report page
(`access.readable_reports_clause`): a person never gets a row they may not open. Each call runs a fixed number of
statements whatever the number of reports.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Integer, and_, case, cast, exists, false, func, literal_column, null, or_, select, union_all
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.http import body_by_code, org_by_code
from aocp.orgs.models import Body, Organisation
from aocp.plans import access, services
from aocp.plans.models import (
    REPORT_STATES,
    ActionLine,
    Plan,
    ProgressReport,
    action_line_leads,
    action_line_participants,
)
from aocp.plans.reports import quarter_of, report_deadline
from aocp.plans.services import FINAL_STATUSES

STATES = {"not_started": "Not started", **REPORT_STATES}
OPEN_STATES = ("not_started", "draft", "returned")  # still to be filed (or filed again)
Period = tuple[int, int]


@dataclass
class Filters:
    """What a list of report rows is narrowed to; None or False: not narrowed."""
    state: str | None = None
    lead: Organisation | None = None
    no_lead: bool = False  # lines with no lead Member State named yet
    periods: tuple[Period, ...] | None = None  # None: every filed report, and the open quarters not started
    due: str | None = None  # the periods as asked: "open" or "2026Q4"
    plan: Plan | None = None
    body: Body | None = None
    review: bool = False  # reports the person may accept or return now
    mine: bool = False  # lines the person's organisation leads or contributes to


@dataclass(frozen=True)
class Row:
    line: ActionLine
    year: int
    quarter: int
    state: str
    report: ProgressReport | None
    deadline: date
    overdue: bool

    @property
    def period(self) -> str:
        return f"{self.year} Q{self.quarter}"

    @property
    def due(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def state_label(self) -> str:
        return STATES[self.state]


# --- which plans and quarters -------------------------------------------------------------------------------

def reporting_plans():
    """SQL: the plans that take progress reports now, those being implemented (the plan lifecycle may change
    which; every queue asks here)."""
    return Plan.status == "active"


def previous(period: Period) -> Period:
    year, quarter = period
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def open_periods(today: date) -> tuple[Period, Period]:
    """The quarters open for reporting: the current one and the last."""
    current = quarter_of(today)
    return current, previous(current)


def last_overdue(today: date) -> Period:
    """The newest quarter whose reports are past their deadline on `today`."""
    period = previous(quarter_of(today))
    while report_deadline(*period) >= today:
        period = previous(period)
    return period


def _index(year, quarter):
    return year * 4 + quarter


# --- reading filters (pages ignore a bad one with a message, the API answers 400) ------------------------------

DUE = re.compile(r"^(\d{4})[Qq]([1-4])$")
FILTER_NAMES = ("state", "lead", "due", "plan", "body", "review", "mine")


def parse_filters(args, user: User, today: date) -> tuple[Filters, dict[str, str]]:
    """Filters from query arguments, and what is wrong with each one that is not used."""
    filters, errors = Filters(), {}
    if (state := args.get("state")) is not None and state != "":
        if state in STATES:
            filters.state = state
        else:
            errors["state"] = f"One of {', '.join(STATES)}."
    if (lead := args.get("lead")) is not None and lead != "":
        if lead.lower() == "none":
            filters.no_lead = True
        elif (org := org_by_code(lead)) is not None:
            filters.lead = org
        else:
            errors["lead"] = "An organisation code (e.g. THA), or none."
    if (due := args.get("due")) is not None and due != "":
        _due(due, filters, errors, today)
    if (code := args.get("plan")) is not None and code != "":
        plan = services.plan_by_code(code) if services.PLAN_CODE.match(code.strip().upper()) else None
        if plan is not None and access.can_view_plan(user, plan):
            filters.plan = plan
        else:
            errors["plan"] = "A plan code (e.g. AMCAP-III-P2)."
    if (code := args.get("body")) is not None and code != "":
        if (body := body_by_code(code)) is not None:
            filters.body = body
        else:
            errors["body"] = "A working group code (e.g. WGSMD)."
    for name, value in (("review", "me"), ("mine", "1")):
        if (given := args.get(name)) is not None and given != "":
            if given == value:
                setattr(filters, name, True)
            else:
                errors[name] = f"Only {name}={value}."
    return filters, errors


def _due(raw: str, filters: Filters, errors: dict[str, str], today: date) -> None:
    if raw == "open":
        filters.periods, filters.due = open_periods(today), raw
        return
    match = DUE.match(raw)
    if match and 2000 <= int(match.group(1)) <= 2100:
        filters.periods = ((int(match.group(1)), int(match.group(2))),)
        filters.due = f"{match.group(1)}Q{match.group(2)}"
    else:
        errors["due"] = "A quarter as YYYYQn (e.g. 2026Q4), or open (the current and the last quarter)."


def filter_args(filters: Filters) -> dict[str, str]:
    """The query arguments that give these filters (for links and the pager)."""
    args = {"state": filters.state, "lead": "none" if filters.no_lead else getattr(filters.lead, "code", None),
            "plan": getattr(filters.plan, "code", None), "body": getattr(filters.body, "code", None),
            "review": "me" if filters.review else None, "mine": "1" if filters.mine else None,
            "due": filters.due}
    return {k: v for k, v in args.items() if v}


# --- the rows -------------------------------------------------------------------------------------------------

def _in_periods(year_col, quarter_col, periods):
    return or_(*(and_(year_col == y, quarter_col == q) for y, q in periods)) if periods else false()


def _not_started(periods: list[Period]):
    """Lines of the plans taking reports with nothing filed for one of `periods` (within the plan's years), and
    not completed, withdrawn or carried over by their newest accepted report before that quarter."""
    quarters = union_all(*(select(literal_column(str(y)).label("year"), literal_column(str(q)).label("quarter"))
                           for y, q in periods)).subquery("quarters")
    filed = ProgressReport.__table__.alias("filed")
    before = ProgressReport.__table__.alias("before")
    status_then = (select(before.c.status).where(
        before.c.action_line_id == ActionLine.id, before.c.state == "accepted",
        _index(before.c.year, before.c.quarter) < _index(quarters.c.year, quarters.c.quarter))
        .order_by(before.c.year.desc(), before.c.quarter.desc()).limit(1).scalar_subquery())
    return (select(ActionLine.id.label("line_id"), quarters.c.year, quarters.c.quarter,
                   cast(null(), Integer).label("report_id"), literal_column("'not_started'").label("state"))
            .select_from(ActionLine).join(Plan, Plan.id == ActionLine.plan_id)
            .join(quarters, and_(quarters.c.year >= Plan.start_year, quarters.c.year <= Plan.end_year))
            .where(reporting_plans(),
                   ~exists(select(filed.c.id).where(filed.c.action_line_id == ActionLine.id,
                                                    filed.c.year == quarters.c.year,
                                                    filed.c.quarter == quarters.c.quarter)),
                   func.coalesce(status_then, "not_started").not_in(FINAL_STATUSES)))


def _filed(periods: tuple[Period, ...] | None):
    pr = ProgressReport
    stmt = select(pr.action_line_id.label("line_id"), pr.year, pr.quarter, pr.id.label("report_id"),
                  pr.state.label("state"))
    return stmt if periods is None else stmt.where(_in_periods(pr.year, pr.quarter, periods))


def _rows(filters: Filters, today: date):
    """Subquery (line_id, year, quarter, report_id, state): filed reports and quarters not started."""
    current = quarter_of(today)
    slots = [p for p in (filters.periods or open_periods(today)) if p <= current]
    parts = []
    if filters.state != "not_started":
        parts.append(_filed(filters.periods))
    if slots and filters.state in (None, "not_started") and not filters.review:  # a review is of a filed report
        parts.append(_not_started(slots))
    if not parts:  # nothing can match (e.g. not started, in a future quarter)
        parts.append(_filed(()))
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("rows")


def _narrowed(user: User, filters: Filters, today: date):
    """The statement of the person's rows (ActionLine, year, quarter, state, report), filtered, unordered."""
    rows = _rows(filters, today)
    stmt = (select(ActionLine, rows.c.year, rows.c.quarter, rows.c.state, ProgressReport)
            .select_from(rows).join(ActionLine, ActionLine.id == rows.c.line_id)
            .join(Plan, Plan.id == ActionLine.plan_id)
            .outerjoin(ProgressReport, ProgressReport.id == rows.c.report_id)
            .where(access.readable_reports_clause(user, rows.c.line_id, rows.c.state),
                   access.visible_plans_clause(user, Plan)))
    if filters.state:
        stmt = stmt.where(rows.c.state == filters.state)
    if filters.lead is not None:
        stmt = stmt.where(access.leads_clause(filters.lead.id, rows.c.line_id))
    if filters.no_lead:
        stmt = stmt.where(~exists(select(action_line_leads.c.org_id)
                                  .where(action_line_leads.c.action_line_id == rows.c.line_id)))
    if filters.plan is not None:
        stmt = stmt.where(ActionLine.plan_id == filters.plan.id)
    if filters.body is not None:
        stmt = stmt.where(ActionLine.body_id == filters.body.id)
    if filters.mine:
        contributes = exists(select(action_line_participants.c.org_id).where(
            action_line_participants.c.action_line_id == rows.c.line_id,
            action_line_participants.c.org_id == user.org_id))
        stmt = stmt.where(or_(access.leads_clause(user.org_id, rows.c.line_id), contributes))
    if filters.review:
        stmt = stmt.where(rows.c.state == "submitted", access.reviewable_lines_clause(user, ActionLine.body_id))
        if not access.is_asec(user):  # nobody but ASEC reviews a report they submitted
            stmt = stmt.where(or_(ProgressReport.submitted_by_id.is_(None), ProgressReport.submitted_by_id != user.id))
    return stmt, rows


def _ordered(stmt, rows, filters: Filters, today: date):
    """Waiting for review: oldest submitted first. Otherwise overdue first (oldest first), then the rest still to
    be filed by due date, then the others newest first."""
    if filters.review or filters.state == "submitted":
        return stmt.order_by(ProgressReport.submitted_at, ProgressReport.id)
    index, still_open = _index(rows.c.year, rows.c.quarter), rows.c.state.in_(OPEN_STATES)
    rank = case((and_(still_open, index <= _index(*last_overdue(today))), 0), (still_open, 1), else_=2)
    return stmt.order_by(rank, case((still_open, index), else_=-index), Plan.code, ActionLine.position,
                         ActionLine.code)


def count(user: User, filters: Filters, today: date, narrowed=None) -> int:
    stmt, rows = narrowed or _narrowed(user, filters, today)
    return db.session.scalar(select(func.count()).select_from(
        stmt.with_only_columns(rows.c.line_id, maintain_column_froms=False).subquery())) or 0


def counted_rows(user: User, filters: Filters, today: date, limit: int) -> tuple[int, list[Row]]:
    """How many rows in all and the first `limit`, from one build of the statement (a home page panel)."""
    narrowed = _narrowed(user, filters, today)
    return count(user, filters, today, narrowed), rows(user, filters, today, limit, narrowed=narrowed)


def rows(user: User, filters: Filters, today: date, limit: int, offset: int = 0, narrowed=None) -> list[Row]:
    """One page of the person's rows, most urgent first (two statements: the rows and the lines' leads)."""
    stmt, sub = narrowed or _narrowed(user, filters, today)
    stmt = (_ordered(stmt, sub, filters, today).limit(limit).offset(offset)
            .options(contains_eager(ActionLine.plan), joinedload(ActionLine.body), selectinload(ActionLine.leads)))
    overdue = _index(*last_overdue(today))
    return [Row(line, year, quarter, state, report, report_deadline(year, quarter),
                state in OPEN_STATES and _index(year, quarter) <= overdue)
            for line, year, quarter, state, report in db.session.execute(stmt).unique()]


# --- the home page's questions ---------------------------------------------------------------------------------

def files_reports(user: User) -> bool:
    """Focal persons and delegates of Member States: their country files reports."""
    return user.role in access.FILERS and user.org.kind == "member_state"


def reviews_reports(user: User) -> bool:
    """ASEC, and anyone chairing or vice-chairing a body (the lines of their group, or all for WGCBM's)."""
    return access.is_asec(user) or (user.role not in access.PARTNER_ROLES and any(
        m.role in access.REVIEWER_BODY_ROLES for m in user.memberships))


def due_filters(today: date) -> Filters:
    """Reports due for the person's Member State: lines it leads or contributes to, the quarters open now."""
    return Filters(periods=open_periods(today), due="open", mine=True)


def missing_by_member_state(today: date) -> list[tuple[str | None, int]]:
    """(lead organisation code, or None for lines without a lead; quarters not started) for the current quarter,
    in code order, in one statement (ASEC's picture: every line is visible to ASEC)."""
    missing = _not_started([quarter_of(today)]).subquery("missing")
    return [(code, n) for code, n in db.session.execute(
        select(Organisation.code, func.count()).select_from(missing)
        .outerjoin(action_line_leads, action_line_leads.c.action_line_id == missing.c.line_id)
        .outerjoin(Organisation, Organisation.id == action_line_leads.c.org_id)
        .group_by(Organisation.code).order_by(Organisation.code.is_(None), Organisation.code))]
