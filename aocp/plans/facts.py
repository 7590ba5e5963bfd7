"""What a plan's rates are computed from, each read in one query and folded in one pass (rates.py has the rules).

The accepted revisions, with the milestone rows of their reports, give the lines' statuses, the trend and the
milestones' % done alike: they are read once, oldest first, instead of once per use in a window query (three
such queries over the same rows took most of the dashboard's time). Rows come through the session's Core
connection and are folded as they arrive: the ORM's per-row work, and thousands of rows held at once (which set
the garbage collector off several times a request), cost more than SQLite itself.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from functools import cache
from itertools import chain

from sqlalchemy import bindparam, select

from aocp.extensions import db
from aocp.orgs.models import Body, Organisation
from aocp.plans.models import (
    ActionLine,
    Milestone,
    MilestoneProgress,
    ProgrammeArea,
    ReportRevision,
    Strategy,
    action_line_leads,
)

# The statements are built once, with the plan and the moment as parameters: building and keying them for the
# cache on every request cost about as much as running the lines query.
PLAN, CUTOFF = bindparam("plan_id"), bindparam("cutoff")


def _stream(stmt, **params) -> Iterator:
    """The rows one by one, fetched a few hundred at a time (a third cheaper than row by row)."""
    return chain.from_iterable(db.session.connection().execute(stmt, params).partitions(256))


@cache
def _accepted_stmt():
    rr, mp = ReportRevision, MilestoneProgress
    return (select(rr.action_line_id, rr.year * 4 + rr.quarter - 1, rr.line_status, mp.milestone_id, mp.percent)
            .join(ActionLine, ActionLine.id == rr.action_line_id)
            .outerjoin(mp, mp.report_id == rr.report_id)
            .where(ActionLine.plan_id == PLAN, rr.state == "accepted", rr.created_at <= CUTOFF)
            .order_by(rr.year, rr.quarter, rr.id))


@cache
def _lines_stmt():
    return (select(ActionLine.id, ProgrammeArea.code, ProgrammeArea.name, ProgrammeArea.position, Strategy.code,
                   Strategy.title, Strategy.position, Body.code, Body.short_name, Organisation.code,
                   Organisation.name)
            .join(Strategy, Strategy.id == ActionLine.strategy_id)
            .join(ProgrammeArea, ProgrammeArea.id == Strategy.area_id)
            .outerjoin(Body, Body.id == ActionLine.body_id)
            .outerjoin(action_line_leads, action_line_leads.c.action_line_id == ActionLine.id)
            .outerjoin(Organisation, Organisation.id == action_line_leads.c.org_id)
            .where(ActionLine.plan_id == PLAN))


@cache
def _milestones_stmt():
    return (select(Milestone.id, ActionLine.id, ActionLine.code, Milestone.year, Milestone.text, Milestone.target,
                   Milestone.due_on)
            .join(ActionLine, ActionLine.id == Milestone.action_line_id)
            .where(ActionLine.plan_id == PLAN)
            .order_by(ActionLine.position, Milestone.due_on, Milestone.id))


def quarter_key(year: int, quarter: int) -> int:
    return year * 4 + quarter - 1


class Accepted:
    """A plan's revisions accepted by a moment, folded oldest first (by period, then by revision), so that the
    last one of a line gives its status and the last % done of a milestone is the one in the newest accepted
    report that gives it; at each quarter key asked for, the lines completed and withdrawn then (a quarter counts
    the revisions for it and for earlier quarters). Accepted reports are locked: their milestone rows are those
    frozen at acceptance, read in the same query."""

    def __init__(self, plan_id: int, cutoff: datetime, quarter_keys: Iterable[int] = ()):
        self.statuses: dict[int, str] = {}  # action line id -> status of its newest accepted revision
        self.percents: dict[int, int] = {}  # milestone id -> % done; milestones no accepted report gives left out
        self.counts: list[tuple[int, int]] = []  # (completed, withdrawn) at each quarter key asked for
        rows = _stream(_accepted_stmt(), plan_id=plan_id, cutoff=cutoff)
        statuses, percents, counts = self.statuses, self.percents, self.counts
        keys = iter(quarter_keys)
        until = next(keys, None)
        completed = withdrawn = 0
        for line_id, key, status, milestone_id, percent in rows:  # a row per milestone the revision gives
            while until is not None and key > until:
                counts.append((completed, withdrawn))
                until = next(keys, None)
            if milestone_id is not None:
                percents[milestone_id] = percent
            old = statuses.get(line_id)
            if status != old:
                completed += (status == "completed") - (old == "completed")
                withdrawn += (status == "withdrawn") - (old == "withdrawn")
                statuses[line_id] = status
        while until is not None:
            counts.append((completed, withdrawn))
            until = next(keys, None)

    def status_of(self, line_ids: Iterable[int]) -> dict[int, str]:
        """{line id: status}; a line with no accepted revision is "not_started"."""
        return {line_id: self.statuses.get(line_id, "not_started") for line_id in line_ids}


def lines(plan_id: int) -> list[tuple]:
    """(line id, area code, name, position, strategy code, title, position, working group code, short name,
    lead code, name) for every line of the plan: one row per lead country, one with no lead when it has none."""
    return list(_stream(_lines_stmt(), plan_id=plan_id))


def milestones(plan_id: int) -> Iterator[tuple[int, int, str, int, str, str, date]]:
    """(id, line id, line code, year, text, target, due on) of the plan's milestones, in plan order."""
    return _stream(_milestones_stmt(), plan_id=plan_id)
