"""Achievement rates of a plan, defined once here.

Status of an action line as of a moment
    The line status of its newest accepted progress report (by reporting period, then by revision) among the
    reports accepted on or before that moment, read from the ReportRevision rows frozen at acceptance. A line
    with no accepted report by then is "not_started". Accepted reports are locked, so the same date always
    gives the same answer: a past quarter is reproduced exactly, whatever was filed later.

Achievement rate
    completed action lines / action lines not withdrawn, both counted with their status as of the moment.
    Carried-over lines stay in the denominator (the AMCAP-III Phase 1 Final Term Review: 37 of 49 completed,
    12 carried over -> 76%). Shown as a whole percentage, rounded half up (37/49 = 75.51% -> 76%).

Milestone-weighted rate
    The mean "% done" of the milestones due on or before the date (due_on <= date), of lines not withdrawn.
    A milestone's "% done" is the percentage in the newest accepted report (as of the moment) that reports it,
    0 when no accepted report does.

Red/amber/green per milestone (see `rag`)
    green: 100% done, or not behind schedule; red: past its due date and not 100% done; amber: not yet due
    but more than AMBER_MARGIN points behind the expected progress, which grows linearly from 0% on
    1 January of the milestone's year to 100% on its due date.

Trend per quarter
    For each quarter of the plan up to the date, the achievement rate where each line's status is that of its
    newest accepted report for that quarter or an earlier one (accepted on or before the date).

Every function runs a fixed number of aggregate queries, whatever the number of lines and reports.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Integer, case, func, literal_column, select, union_all

from aocp.extensions import db
from aocp.orgs.models import Body, Organisation
from aocp.plans.models import (LINE_STATUSES, ActionLine, Milestone, MilestoneProgress, Plan, ProgrammeArea,
                               ProgressReport, ReportRevision, Strategy, action_line_leads)
from aocp.timeutil import utcnow

AMBER_MARGIN = 25
GROUPINGS = ("area", "strategy", "working_group", "lead")


def percent_half_up(numerator: float, denominator: float) -> int | None:
    """100 * numerator / denominator as a whole number, halves rounded up; None for 0/0."""
    if not denominator:
        return None
    value = Decimal(numerator) * 100 / Decimal(denominator)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Rate:
    """Completed action lines over action lines not withdrawn."""
    completed: int
    counted: int

    @property
    def fraction(self) -> float | None:
        return self.completed / self.counted if self.counted else None

    @property
    def percent(self) -> int | None:
        return percent_half_up(self.completed, self.counted)

    def __str__(self) -> str:
        return "–" if self.percent is None else f"{self.percent}%"


@dataclass(frozen=True)
class MilestoneRate:
    """Mean % done of the milestones due by the date."""
    due: int
    percent_sum: int

    @property
    def mean(self) -> float | None:
        return self.percent_sum / self.due if self.due else None

    @property
    def percent(self) -> int | None:
        return percent_half_up(self.percent_sum, self.due * 100) if self.due else None

    def __str__(self) -> str:
        return "–" if self.percent is None else f"{self.percent}%"


@dataclass(frozen=True)
class GroupRate:
    key: str | None  # area/strategy/body/organisation code; None for lines with no lead or no working group
    label: str
    rate: Rate
    milestones: MilestoneRate


@dataclass(frozen=True)
class QuarterRate:
    year: int
    quarter: int
    rate: Rate
    withdrawn: int


@dataclass(frozen=True)
class MilestoneFlag:
    milestone_id: int
    action_line_id: int
    action_line_code: str
    year: int
    text: str
    target: str
    due_on: date
    percent: int
    expected: int
    flag: str  # "red", "amber" or "green"


@dataclass(frozen=True)
class LineState:
    action_line_id: int
    code: str
    status: str  # a key of LINE_STATUSES
    year: int | None  # period of the report the status comes from
    quarter: int | None
    report_id: int | None
    accepted_at: datetime | None
    percent_done: int | None  # mean % done of all the line's milestones, None without milestones


@dataclass(frozen=True)
class PlanRates:
    as_of: datetime
    overall: Rate
    milestones: MilestoneRate
    status_counts: dict[str, int]
    by_area: list[GroupRate]
    by_strategy: list[GroupRate]
    by_working_group: list[GroupRate]
    by_lead: list[GroupRate]


def cutoff_of(as_of: date | datetime | None) -> datetime:
    """The moment a date stands for: the end of that day (UTC); now when None."""
    if as_of is None:
        return utcnow()
    if isinstance(as_of, datetime):
        return as_of
    return datetime.combine(as_of, time.max)


def latest_accepted(plan_id: int | None, cutoff: datetime, line_id: int | None = None):
    """Subquery: per action line (of a plan, or one line), its newest accepted revision as of `cutoff`.

    Columns: action_line_id, line_status, report_id, year, quarter, created_at (when it was accepted).
    Join it to ActionLine with an outer join; a line without a row there is "not_started".
    """
    rr = ReportRevision
    rn = func.row_number().over(partition_by=rr.action_line_id,
                                order_by=(rr.year.desc(), rr.quarter.desc(), rr.id.desc()))
    ranked = (select(rr.action_line_id, rr.line_status, rr.report_id, rr.year, rr.quarter, rr.created_at,
                     rn.label("rn"))
              .where(rr.state == "accepted", rr.created_at <= cutoff))
    if plan_id is not None:
        ranked = ranked.join(ActionLine, ActionLine.id == rr.action_line_id).where(ActionLine.plan_id == plan_id)
    if line_id is not None:
        ranked = ranked.where(rr.action_line_id == line_id)
    ranked = ranked.subquery("ranked")
    return (select(ranked.c.action_line_id, ranked.c.line_status, ranked.c.report_id, ranked.c.year,
                   ranked.c.quarter, ranked.c.created_at)
            .where(ranked.c.rn == 1).subquery("latest"))


def _latest_percent(plan_id: int, cutoff: datetime):
    """Subquery: per milestone, the % done in the newest accepted report (as of `cutoff`) that reports it.

    Accepted reports are locked, so their milestone rows are those frozen at acceptance.
    """
    accepted = select(ReportRevision.report_id).where(ReportRevision.state == "accepted",
                                                      ReportRevision.created_at <= cutoff)
    rn = func.row_number().over(partition_by=MilestoneProgress.milestone_id,
                                order_by=(ProgressReport.year.desc(), ProgressReport.quarter.desc()))
    ranked = (select(MilestoneProgress.milestone_id, MilestoneProgress.percent, rn.label("rn"))
              .join(ProgressReport, ProgressReport.id == MilestoneProgress.report_id)
              .join(ActionLine, ActionLine.id == ProgressReport.action_line_id)
              .where(ActionLine.plan_id == plan_id, ProgressReport.id.in_(accepted))
              .subquery("mp_ranked"))
    return select(ranked.c.milestone_id, ranked.c.percent).where(ranked.c.rn == 1).subquery("mp_latest")


def _status(latest):
    return func.coalesce(latest.c.line_status, "not_started")


def _group_columns(grouping: str | None):
    """(key, label, order) columns and the joins a grouping needs, starting from ActionLine."""
    if grouping is None:
        return (), []
    if grouping == "area":
        return ((ProgrammeArea.code, ProgrammeArea.name, ProgrammeArea.position),
                [(Strategy, Strategy.id == ActionLine.strategy_id, False),
                 (ProgrammeArea, ProgrammeArea.id == Strategy.area_id, False)])
    if grouping == "strategy":
        return ((Strategy.code, Strategy.title, Strategy.position),
                [(Strategy, Strategy.id == ActionLine.strategy_id, False)])
    if grouping == "working_group":
        return ((Body.code, Body.short_name, Body.code), [(Body, Body.id == ActionLine.body_id, True)])
    if grouping == "lead":
        return ((Organisation.code, Organisation.name, Organisation.code),
                [(action_line_leads, action_line_leads.c.action_line_id == ActionLine.id, True),
                 (Organisation, Organisation.id == action_line_leads.c.org_id, True)])
    raise ValueError(f"unknown grouping {grouping!r}; use one of {GROUPINGS}")


def _joined(stmt, joins):
    for target, on, outer in joins:
        stmt = stmt.join(target, on, isouter=outer)
    return stmt


def _line_counts(plan: Plan, cutoff: datetime, grouping: str | None) -> dict:
    """{group key: (label, order, completed, counted)} in one aggregate query."""
    cols, joins = _group_columns(grouping)
    latest = latest_accepted(plan.id, cutoff)
    status = _status(latest)
    stmt = select(*cols, func.sum(case((status == "completed", 1), else_=0)),
                  func.sum(case((status == "withdrawn", 0), else_=1)))
    stmt = _joined(stmt.select_from(ActionLine), joins)
    stmt = stmt.outerjoin(latest, latest.c.action_line_id == ActionLine.id).where(ActionLine.plan_id == plan.id)
    if cols:
        stmt = stmt.group_by(*cols)
    out = {}
    for row in db.session.execute(stmt):
        key, label, order = (row[0], row[1], row[2]) if cols else (None, "", 0)
        out[key] = (label, order, int(row[-2] or 0), int(row[-1] or 0))
    return out


def _milestone_sums(plan: Plan, cutoff: datetime, grouping: str | None) -> dict:
    """{group key: (milestones due, sum of % done)} in one aggregate query."""
    cols, joins = _group_columns(grouping)
    latest = latest_accepted(plan.id, cutoff)
    # The withdrawn lines as a list evaluated once: joined instead, SQLite scanned the window subquery for
    # every milestone row.
    withdrawn = select(latest.c.action_line_id).where(latest.c.line_status == "withdrawn")
    percent = _latest_percent(plan.id, cutoff)
    stmt = select(*cols, func.count(Milestone.id), func.sum(func.coalesce(percent.c.percent, 0)))
    stmt = stmt.select_from(Milestone).join(ActionLine, ActionLine.id == Milestone.action_line_id)
    stmt = _joined(stmt, joins)
    stmt = (stmt.outerjoin(percent, percent.c.milestone_id == Milestone.id)
            .where(ActionLine.plan_id == plan.id, Milestone.due_on <= cutoff.date(),
                   ActionLine.id.not_in(withdrawn)))
    if cols:
        stmt = stmt.group_by(*cols)
    return {(row[0] if cols else None): (int(row[-2] or 0), int(row[-1] or 0)) for row in db.session.execute(stmt)}


def achievement_rate(plan: Plan, as_of: date | datetime | None = None) -> Rate:
    """Completed / not withdrawn, as of the date (see the module docstring)."""
    _label, _order, completed, counted = _line_counts(plan, cutoff_of(as_of), None).get(None, ("", 0, 0, 0))
    return Rate(completed, counted)


def milestone_rate(plan: Plan, as_of: date | datetime | None = None) -> MilestoneRate:
    """Mean % done of the milestones due by the date."""
    due, total = _milestone_sums(plan, cutoff_of(as_of), None).get(None, (0, 0))
    return MilestoneRate(due, total)


def rates_by(plan: Plan, grouping: str, as_of: date | datetime | None = None) -> list[GroupRate]:
    """Both rates per programme area, strategy, working group or lead country (two queries), in plan order."""
    cutoff = cutoff_of(as_of)
    lines = _line_counts(plan, cutoff, grouping)
    milestones = _milestone_sums(plan, cutoff, grouping)
    groups = [GroupRate(key, label or "", Rate(completed, counted), MilestoneRate(*milestones.get(key, (0, 0))))
              for key, (label, _order, completed, counted) in lines.items()]
    order = {key: value[1] for key, value in lines.items()}
    return sorted(groups, key=lambda g: (g.key is None, order[g.key] if g.key is not None else 0, g.key or ""))


def status_counts(plan: Plan, as_of: date | datetime | None = None) -> dict[str, int]:
    """Action lines per status as of the date; every status is present (0 when none)."""
    latest = latest_accepted(plan.id, cutoff_of(as_of))
    status = _status(latest)
    stmt = (select(status, func.count(ActionLine.id)).select_from(ActionLine)
            .outerjoin(latest, latest.c.action_line_id == ActionLine.id)
            .where(ActionLine.plan_id == plan.id).group_by(status))
    counts = dict.fromkeys(LINE_STATUSES, 0)
    counts.update({s: int(n) for s, n in db.session.execute(stmt)})
    return counts


def summary(plan: Plan, as_of: date | datetime | None = None) -> PlanRates:
    """Everything a plan dashboard shows, in a fixed number of queries (two per grouping, three more)."""
    cutoff = cutoff_of(as_of)
    counts = status_counts(plan, cutoff)
    counted = sum(counts.values()) - counts["withdrawn"]
    return PlanRates(as_of=cutoff, overall=Rate(counts["completed"], counted),
                     milestones=milestone_rate(plan, cutoff), status_counts=counts,
                     by_area=rates_by(plan, "area", cutoff), by_strategy=rates_by(plan, "strategy", cutoff),
                     by_working_group=rates_by(plan, "working_group", cutoff), by_lead=rates_by(plan, "lead", cutoff))


def quarters(plan: Plan, until: date) -> list[tuple[int, int]]:
    """The plan's quarters from its first up to the one holding `until` (or its last)."""
    last = min((plan.end_year, 4), (until.year, (until.month - 1) // 3 + 1))
    return [(y, q) for y in plan.years for q in range(1, 5) if (y, q) <= last]


def trend(plan: Plan, as_of: date | datetime | None = None) -> list[QuarterRate]:
    """The achievement rate at each quarter of the plan up to the date (two queries)."""
    cutoff = cutoff_of(as_of)
    keys = [y * 4 + q - 1 for y, q in quarters(plan, cutoff.date())]
    if not keys:
        return []
    total = db.session.scalar(select(func.count(ActionLine.id)).where(ActionLine.plan_id == plan.id)) or 0
    selects = [select(literal_column(str(int(k)), Integer).label("k")) for k in keys]
    qs = (union_all(*selects) if len(selects) > 1 else selects[0]).subquery("q")
    rr = ReportRevision
    accepted = (select(rr.action_line_id, (rr.year * 4 + rr.quarter - 1).label("k"), rr.line_status,
                       rr.id.label("revision_id"))
                .join(ActionLine, ActionLine.id == rr.action_line_id)
                .where(ActionLine.plan_id == plan.id, rr.state == "accepted", rr.created_at <= cutoff)
                .subquery("acc"))
    rn = func.row_number().over(partition_by=(qs.c.k, accepted.c.action_line_id),
                                order_by=(accepted.c.k.desc(), accepted.c.revision_id.desc()))
    ranked = (select(qs.c.k.label("qk"), accepted.c.line_status, rn.label("rn"))
              .select_from(qs).join(accepted, accepted.c.k <= qs.c.k).subquery("ranked"))
    stmt = (select(ranked.c.qk, func.sum(case((ranked.c.line_status == "completed", 1), else_=0)),
                   func.sum(case((ranked.c.line_status == "withdrawn", 1), else_=0)))
            .where(ranked.c.rn == 1).group_by(ranked.c.qk))
    per_quarter = {int(k): (int(c or 0), int(w or 0)) for k, c, w in db.session.execute(stmt)}
    out = []
    for k in keys:
        completed, withdrawn = per_quarter.get(k, (0, 0))
        out.append(QuarterRate(k // 4, k % 4 + 1, Rate(completed, total - withdrawn), withdrawn))
    return out


def rag(percent: int, due_on: date, as_of: date, year: int | None = None) -> tuple[str, int]:
    """(flag, expected %) of a milestone; see the module docstring for the rule."""
    start = date(year or due_on.year, 1, 1)
    if due_on <= start:
        start = due_on - timedelta(days=365)
    span = (due_on - start).days
    expected = max(0, min(100, round(100 * (as_of - start).days / span)))
    if percent >= 100:
        return "green", expected
    if as_of > due_on:
        return "red", expected
    return ("amber" if percent < expected - AMBER_MARGIN else "green"), expected


def milestone_flags(plan: Plan, as_of: date | datetime | None = None) -> list[MilestoneFlag]:
    """Every milestone of the plan, planned against achieved, with its red/amber/green flag (one query)."""
    cutoff = cutoff_of(as_of)
    percent = _latest_percent(plan.id, cutoff)
    stmt = (select(Milestone.id, ActionLine.id, ActionLine.code, Milestone.year, Milestone.text, Milestone.target,
                   Milestone.due_on, func.coalesce(percent.c.percent, 0))
            .join(ActionLine, ActionLine.id == Milestone.action_line_id)
            .outerjoin(percent, percent.c.milestone_id == Milestone.id)
            .where(ActionLine.plan_id == plan.id)
            .order_by(ActionLine.position, Milestone.due_on, Milestone.id))
    flags = []
    for mid, line_id, code, year, text, target, due_on, pct in db.session.execute(stmt):
        flag, expected = rag(int(pct), due_on, cutoff.date(), year)
        flags.append(MilestoneFlag(mid, line_id, code, year, text, target, due_on, int(pct), expected, flag))
    return flags


def line_states(plan: Plan, as_of: date | datetime | None = None) -> dict[int, LineState]:
    """Every action line's status as of the date, where it comes from and its % done (two queries)."""
    cutoff = cutoff_of(as_of)
    latest = latest_accepted(plan.id, cutoff)
    percent = _latest_percent(plan.id, cutoff)
    done = {line_id: (n, total) for line_id, n, total in db.session.execute(
        select(Milestone.action_line_id, func.count(Milestone.id), func.sum(func.coalesce(percent.c.percent, 0)))
        .join(ActionLine, ActionLine.id == Milestone.action_line_id)
        .outerjoin(percent, percent.c.milestone_id == Milestone.id)
        .where(ActionLine.plan_id == plan.id).group_by(Milestone.action_line_id))}
    rows = db.session.execute(
        select(ActionLine.id, ActionLine.code, _status(latest), latest.c.year, latest.c.quarter,
               latest.c.report_id, latest.c.created_at)
        .outerjoin(latest, latest.c.action_line_id == ActionLine.id)
        .where(ActionLine.plan_id == plan.id).order_by(ActionLine.position, ActionLine.code))
    return {line_id: LineState(line_id, code, status, year, quarter, report_id, accepted_at,
                               percent_half_up(int(done[line_id][1] or 0), 100 * done[line_id][0])
                               if line_id in done else None)
            for line_id, code, status, year, quarter, report_id, accepted_at in rows}


def latest_status(line: ActionLine, as_of: date | datetime | None = None) -> str:
    """One action line's status as of the date (one query)."""
    latest = latest_accepted(None, cutoff_of(as_of), line_id=line.id)
    return db.session.scalar(select(latest.c.line_status)) or "not_started"
