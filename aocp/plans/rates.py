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

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from aocp.extensions import db
from aocp.plans import facts
from aocp.plans.models import (
    LINE_STATUSES,
    ActionLine,
    Milestone,
    MilestoneProgress,
    Plan,
    ProgressReport,
    ReportRevision,
)

# The shapes of the rates are part of this module's interface (rates.Rate, rates.percent_half_up, ...).
from aocp.plans.rate_types import (  # noqa: F401
    Dashboard,
    GroupRate,
    LineState,
    MilestoneFlag,
    MilestoneRate,
    PlanRates,
    QuarterRate,
    Rate,
    percent_half_up,
)
from aocp.timeutil import utcnow

AMBER_MARGIN = 25
GROUPINGS = ("area", "strategy", "working_group", "lead")


def cutoff_of(as_of: date | datetime | None) -> datetime:
    """The moment a date stands for: the end of that day (UTC); now when None."""
    if as_of is None:
        return utcnow()
    if isinstance(as_of, datetime):
        return as_of
    return datetime.combine(as_of, time.max)


def latest_accepted(plan_id: int | None, cutoff: datetime, line_ids: list[int] | None = None):
    """Subquery: per action line (of a plan, or the lines given), its newest accepted revision as of `cutoff`.

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
    if line_ids is not None:
        ranked = ranked.where(rr.action_line_id.in_(line_ids))
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


def _members(lines: list[tuple]) -> dict[str, list[tuple]]:
    """{grouping: (action line id, group key, label, order) rows}: a line with two lead countries is in both
    groups, a line with no working group or no lead in the group None."""
    members: dict[str, list[tuple]] = {grouping: [] for grouping in GROUPINGS}
    seen = set()
    for line_id, a_code, a_name, a_pos, s_code, s_title, s_pos, b_code, b_name, o_code, o_name in lines:
        members["lead"].append((line_id, o_code, o_name, o_code))
        if line_id not in seen:
            seen.add(line_id)
            members["area"].append((line_id, a_code, a_name, a_pos))
            members["strategy"].append((line_id, s_code, s_title, s_pos))
            members["working_group"].append((line_id, b_code, b_name, b_code))
    return members


def _group_rates(members: list[tuple], statuses: dict[int, str], due: dict[int, tuple[int, int]]
                 ) -> list[GroupRate]:
    """Both rates per group, in plan order."""
    sums: dict = {}
    for line_id, key, label, order in members:
        status = statuses[line_id]
        line_due, line_total = due.get(line_id, (0, 0))
        entry = sums.setdefault(key, [label or "", order, 0, 0, 0, 0])
        entry[2] += status == "completed"
        entry[3] += status != "withdrawn"
        entry[4] += line_due
        entry[5] += line_total
    ordered = sorted(sums.items(), key=lambda kv: (kv[0] is None, kv[1][1] if kv[0] is not None else 0, kv[0] or ""))
    return [GroupRate(key, label, Rate(completed, counted), MilestoneRate(line_due, total))
            for key, (label, _order, completed, counted, line_due, total) in ordered]


def _due_and_flags(plan_id: int, accepted: facts.Accepted, day: date, flags: str | None = None
                ) -> tuple[dict[int, tuple[int, int]], list[MilestoneFlag]]:
    """({action line id: (milestones due by the day, sum of their % done)} for lines not withdrawn, the flags of
    "all" milestones, of the "red" ones or of none) in one pass over the plan's milestones (one query)."""
    percents = accepted.percents
    due: dict[int, list[int]] = {}
    out = []
    for milestone_id, line_id, code, year, text, target, due_on in facts.milestones(plan_id):
        percent = percents.get(milestone_id, 0)
        if due_on <= day:
            entry = due.get(line_id)
            if entry is None:
                entry = due[line_id] = [0, 0]
            entry[0] += 1
            entry[1] += percent
        if flags == "all" or (flags == "red" and percent < 100 and due_on < day):  # red: see rag()
            flag, expected = rag(percent, due_on, day, year)
            out.append(MilestoneFlag(milestone_id, line_id, code, year, text, target, due_on, percent, expected,
                                     flag))
    withdrawn = {line_id for line_id, status in accepted.statuses.items() if status == "withdrawn"}
    return {line_id: (n, total) for line_id, (n, total) in due.items() if line_id not in withdrawn}, out


def _line_statuses(plan: Plan, cutoff: datetime) -> dict[int, str]:
    """{action line id: status as of the moment} for every line of the plan (two queries: SQLite scanned the
    window subquery once per line when it was outer-joined to the lines, three times slower)."""
    latest = latest_accepted(plan.id, cutoff)
    reported = dict(db.session.execute(select(latest.c.action_line_id, latest.c.line_status)).all())
    line_ids = db.session.execute(select(ActionLine.id).where(ActionLine.plan_id == plan.id)).scalars()
    return {line_id: reported.get(line_id, "not_started") for line_id in line_ids}


def _overall(statuses: dict[int, str]) -> Rate:
    values = list(statuses.values())
    return Rate(values.count("completed"), len(values) - values.count("withdrawn"))


def _mean_of(due: dict[int, tuple[int, int]]) -> MilestoneRate:
    return MilestoneRate(sum(d for d, _ in due.values()), sum(t for _, t in due.values()))


def _counts(statuses: dict[int, str]) -> dict[str, int]:
    counts = dict.fromkeys(LINE_STATUSES, 0)
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    return counts


def achievement_rate(plan: Plan, as_of: date | datetime | None = None) -> Rate:
    """Completed / not withdrawn, as of the date (see the module docstring)."""
    return _overall(_line_statuses(plan, cutoff_of(as_of)))


def status_counts(plan: Plan, as_of: date | datetime | None = None) -> dict[str, int]:
    """Action lines per status as of the date; every status is present (0 when none)."""
    return _counts(_line_statuses(plan, cutoff_of(as_of)))


def milestone_rate(plan: Plan, as_of: date | datetime | None = None) -> MilestoneRate:
    """Mean % done of the milestones due by the date (two queries)."""
    cutoff = cutoff_of(as_of)
    return _mean_of(_due_and_flags(plan.id, facts.Accepted(plan.id, cutoff), cutoff.date())[0])


def _summary(cutoff: datetime, accepted: facts.Accepted, lines: list[tuple], due: dict[int, tuple[int, int]]
             ) -> PlanRates:
    statuses = accepted.status_of(dict.fromkeys(row[0] for row in lines))
    by = {grouping: _group_rates(rows, statuses, due) for grouping, rows in _members(lines).items()}
    return PlanRates(as_of=cutoff, overall=_overall(statuses), milestones=_mean_of(due),
                     status_counts=_counts(statuses), by_area=by["area"], by_strategy=by["strategy"],
                     by_working_group=by["working_group"], by_lead=by["lead"])


def summary(plan: Plan, as_of: date | datetime | None = None) -> PlanRates:
    """Everything a plan dashboard shows, in three queries: accepted revisions (with their milestones' % done),
    lines, milestones."""
    cutoff = cutoff_of(as_of)
    accepted = facts.Accepted(plan.id, cutoff)
    return _summary(cutoff, accepted, facts.lines(plan.id), _due_and_flags(plan.id, accepted, cutoff.date())[0])


def rates_by(plan: Plan, grouping: str, as_of: date | datetime | None = None) -> list[GroupRate]:
    """Both rates per programme area, strategy, working group or lead country (three queries), in plan order."""
    if grouping not in GROUPINGS:
        raise ValueError(f"unknown grouping {grouping!r}; use one of {GROUPINGS}")
    return getattr(summary(plan, as_of), f"by_{grouping}")


def quarters(plan: Plan, until: date) -> list[tuple[int, int]]:
    """The plan's quarters from its first up to the one holding `until` (or its last)."""
    last = min((plan.end_year, 4), (until.year, (until.month - 1) // 3 + 1))
    return [(y, q) for y in plan.years for q in range(1, 5) if (y, q) <= last]


def _trend(periods: list[tuple[int, int]], accepted: facts.Accepted, total: int) -> list[QuarterRate]:
    """The rate at each quarter from the counts `facts.Accepted` carries forward over the revisions, oldest first
    (joining every quarter to every earlier revision in SQL grew with quarters x revisions)."""
    return [QuarterRate(y, q, Rate(completed, total - withdrawn), withdrawn)
            for (y, q), (completed, withdrawn) in zip(periods, accepted.counts)]


def trend(plan: Plan, as_of: date | datetime | None = None) -> list[QuarterRate]:
    """The achievement rate at each quarter of the plan up to the date (two queries)."""
    cutoff = cutoff_of(as_of)
    periods = quarters(plan, cutoff.date())
    if not periods:
        return []
    total = db.session.scalar(select(func.count(ActionLine.id)).where(ActionLine.plan_id == plan.id)) or 0
    accepted = facts.Accepted(plan.id, cutoff, [facts.quarter_key(y, q) for y, q in periods])
    return _trend(periods, accepted, total)


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
    """Every milestone of the plan, planned against achieved, with its red/amber/green flag (two queries)."""
    cutoff = cutoff_of(as_of)
    return _due_and_flags(plan.id, facts.Accepted(plan.id, cutoff), cutoff.date(), flags="all")[1]


def dashboard(plan: Plan, as_of: date | datetime | None = None) -> Dashboard:
    """`summary`, `trend` and the red `milestone_flags` together, each fact read once (three queries)."""
    cutoff = cutoff_of(as_of)
    periods = quarters(plan, cutoff.date())
    accepted = facts.Accepted(plan.id, cutoff, [facts.quarter_key(y, q) for y, q in periods])
    due, overdue = _due_and_flags(plan.id, accepted, cutoff.date(), flags="red")
    rates = _summary(cutoff, accepted, facts.lines(plan.id), due)
    return Dashboard(rates, _trend(periods, accepted, sum(rates.status_counts.values())), overdue,
                     accepted.statuses)


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
    return statuses_of([line.id], as_of)[line.id]


def statuses_of(line_ids: list[int], as_of: date | datetime | None = None) -> dict[int, str]:
    """{action line id: status as of the date} for the lines given (one query)."""
    latest = latest_accepted(None, cutoff_of(as_of), line_ids=line_ids)
    reported = dict(db.session.execute(select(latest.c.action_line_id, latest.c.line_status)).all())
    return {line_id: reported.get(line_id, "not_started") for line_id in line_ids}
