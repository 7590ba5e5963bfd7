"""Review packs: the quarterly monitoring report for the JWG, the yearly report for ASOMM and the Mid-/Final-Term
Review table, as XLSX, CSV or PDF, computed from the data as it stood on a chosen date.

What a pack shows
    Only accepted progress reports count, read from the ReportRevision rows frozen when they were accepted
    on or before the as-of date (see `aocp.plans.rates`). A pack for a past date is therefore reproduced
    exactly, whatever was filed, returned or accepted later; drafts and reports under review never appear.

Who may download
    ASEAN only, through `packs.view` (ASEC, focal persons and delegates): a pack carries the accepted reports'
    narratives, issues and support needed. Partners (observers) get 403, even for a plan shared with them; to
    give them a pack, share the downloaded file as a document, whose own access level then applies.

Spreadsheets
    Every text cell whose text starts with =, +, -, @, a tab or a carriage return is prefixed with a single
    quote, so no spreadsheet program runs it as a formula (CSV and XLSX alike).

A pack takes a fixed number of queries, whatever the number of action lines and reports.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.plans import rates
from aocp.plans.models import LINE_STATUSES, ActionLine, Plan, ReportRevision
from aocp.plans.pack_files import FORMAT_LABELS, FORMATS, FORMULA_STARTS, Cell, Pack, Section, render_pack, safe_cell  # noqa: F401
from aocp.plans.reports import quarter_of
from aocp.plans.services import PlanError, plan_structure
from aocp.timeutil import utcnow

KINDS = {"jwg": "JWG quarterly monitoring report", "asomm": "ASOMM yearly report",
         "midterm": "Mid-Term Review", "final": "Final-Term Review"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class PackRequest:
    kind: str
    year: int | None
    quarter: int | None
    as_of: date


def _whole(raw: str | None, field_name: str, message: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 4:
        raise PlanError(message, field_name)
    return int(raw)


def parse_request(plan: Plan, kind: str, args, today: date) -> PackRequest:
    """The pack asked for by query arguments year, quarter and as_of (YYYY-MM-DD, default today)."""
    if kind not in KINDS:
        raise PlanError("Choose a kind of pack from the list.", "kind")
    raw_day = (args.get("as_of") or "").strip()
    as_of = today
    if raw_day:
        try:
            as_of = date.fromisoformat(raw_day) if ISO_DATE.match(raw_day) else None
        except ValueError:
            as_of = None
        if as_of is None:
            raise PlanError("Give the as-of date as YYYY-MM-DD, e.g. 2025-10-15.", "as_of")
        if as_of > today:
            raise PlanError("The as-of date cannot be in the future.", "as_of")
        if as_of.year < plan.start_year - 1:
            raise PlanError(f"Choose an as-of date from {plan.start_year} on.", "as_of")
    year = _whole(args.get("year"), "year", f"Give a year of the plan, {plan.start_year} to {plan.end_year}.")
    quarter = _whole(args.get("quarter"), "quarter", "Choose a quarter, 1 to 4.")
    if kind in ("jwg", "asomm"):
        if year is None or year not in plan.years:
            raise PlanError(f"Give a year of the plan, {plan.start_year} to {plan.end_year}.", "year")
        if year > as_of.year:
            raise PlanError(f"{year} had not started on the as-of date.", "year")
    else:
        year = None
    if kind == "jwg":
        if quarter is None or quarter not in (1, 2, 3, 4):
            raise PlanError("Choose a quarter, 1 to 4.", "quarter")
        if (year, quarter) > quarter_of(as_of):
            raise PlanError(f"{year} Q{quarter} had not started on the as-of date.", "quarter")
    else:
        quarter = None
    return PackRequest(kind, year, quarter, as_of)


# --- gathering (a fixed number of queries) -----------------------------------------------------------

def accepted_snapshots(plan: Plan, cutoff: datetime, year: int | None = None,
                       quarter: int | None = None) -> dict[int, dict]:
    """Per action line, the report frozen at its newest acceptance as of `cutoff` (of that year or quarter
    when given), as the snapshot's plain data (one query)."""
    rr = ReportRevision
    rn = func.row_number().over(partition_by=rr.action_line_id,
                                order_by=(rr.year.desc(), rr.quarter.desc(), rr.id.desc()))
    stmt = (select(rr.action_line_id, rr.snapshot, rn.label("rn"))
            .join(ActionLine, ActionLine.id == rr.action_line_id)
            .where(ActionLine.plan_id == plan.id, rr.state == "accepted", rr.created_at <= cutoff))
    if year is not None:
        stmt = stmt.where(rr.year == year)
    if quarter is not None:
        stmt = stmt.where(rr.quarter == quarter)
    ranked = stmt.subquery("ranked")
    rows = db.session.execute(select(ranked.c.action_line_id, ranked.c.snapshot).where(ranked.c.rn == 1))
    return {line_id: json.loads(snapshot) for line_id, snapshot in rows}


def _rate_text(rate) -> str:
    return "–" if rate.percent is None else f"{rate.percent}%"


def _group_section(title: str, groups: list[rates.GroupRate], none_label: str) -> Section:
    rows = [(g.key or "", g.label or none_label, g.rate.completed, g.rate.counted, g.rate.percent,
             g.milestones.due, g.milestones.percent) for g in groups]
    return Section(title, ("Code", "Name", "Completed", "Counted", "Rate %", "Milestones due",
                           "Milestone rate %"), rows, (2, 6, 2, 2, 2, 2, 2))


def _leads(line: ActionLine) -> str:
    return ", ".join(o.code for o in line.leads)


def _report_period(snap: dict | None) -> str:
    return f"{snap['year']} Q{snap['quarter']}" if snap else ""


def _jwg_section(plan: Plan, lines: list[ActionLine], states: dict, cutoff: datetime, wanted: PackRequest,
                 period: str) -> Section:
    reported = accepted_snapshots(plan, cutoff, wanted.year, wanted.quarter)
    rows = []
    for line in lines:
        state, snap = states[line.id], reported.get(line.id)
        rows.append((line.code, line.text, line.body.short_name if line.body else "", _leads(line),
                     LINE_STATUSES[state.status], state.percent_done,
                     LINE_STATUSES[snap["status"]] if snap else "No accepted report",
                     snap["narrative"] if snap else "", snap["issues"] if snap else "",
                     snap["support_needed"] if snap else ""))
    return Section("Action lines", ("Code", "Action line", "Working group", "Lead", "Status", "% done",
                                    f"Reported for {period}", "Narrative", "Issues", "Support needed"),
                   rows, (2, 6, 3, 2, 2, 1, 2, 6, 4, 4))


def _asomm_section(plan: Plan, lines: list[ActionLine], states: dict, cutoff: datetime,
                   wanted: PackRequest) -> Section:
    reported = accepted_snapshots(plan, cutoff, wanted.year)
    rows = []
    for line in lines:
        state, snap = states[line.id], reported.get(line.id)
        rows.append((line.code, line.text, line.strategy.code, line.body.short_name if line.body else "",
                     _leads(line), LINE_STATUSES[state.status], state.percent_done,
                     _report_period(snap), snap["narrative"] if snap else "", snap["issues"] if snap else ""))
    return Section("Action lines", ("Code", "Action line", "Strategy", "Working group", "Lead", "Status", "% done",
                                    "Latest report", "Narrative", "Issues"), rows, (2, 6, 2, 3, 2, 2, 1, 2, 7, 5))


def _review_section(plan: Plan, lines: list[ActionLine], states: dict, cutoff: datetime) -> Section:
    reported = accepted_snapshots(plan, cutoff)
    rows = []
    for line in lines:
        state, snap = states[line.id], reported.get(line.id)
        remarks = " ".join(x for x in ((snap["narrative"] if snap else ""),
                                       (f"Issues: {snap['issues']}" if snap and snap["issues"] else ""),
                                       (f"Continues {line.carried_from.plan.code} {line.carried_from.code}."
                                        if line.carried_from else "")) if x)
        rows.append((line.code, line.text, _leads(line), LINE_STATUSES[state.status], state.percent_done, remarks))
    return Section("Review table", ("Action line", "Text", "Lead", "Status", "% done", "Remarks"), rows,
                   (2, 7, 2, 2, 1, 8))


def _details(user: User, plan: Plan, wanted: PackRequest, period: str, summary) -> list[tuple[str, str]]:
    return [("Plan", f"{plan.code}: {plan.name} ({plan.start_year}-{plan.end_year})"),
            ("Pack", KINDS[wanted.kind] + (f", {period}" if period else "")),
            ("Data as of", f"{wanted.as_of:%d %b %Y} (accepted reports only)"),
            ("Achievement rate", f"{_rate_text(summary.overall)} ({summary.overall.completed} of "
                                 f"{summary.overall.counted} action lines not withdrawn are completed)"),
            ("Milestone-weighted rate", f"{_rate_text(summary.milestones)} (mean % done of "
                                        f"{summary.milestones.due} milestones due)"),
            ("Generated", f"{utcnow():%d %b %Y %H:%M} UTC by {user.name}")]


def build(user: User, plan: Plan, wanted: PackRequest) -> Pack:
    """Everything the pack shows, as it stood at the end of `wanted.as_of` (UTC)."""
    cutoff = rates.cutoff_of(wanted.as_of)
    plan = plan_structure(plan.id)
    lines = [line for area in plan.areas for strategy in area.strategies for line in strategy.action_lines]
    states = rates.line_states(plan, cutoff)
    summary = rates.summary(plan, cutoff)
    kind = wanted.kind
    period = (f"{wanted.year} Q{wanted.quarter}" if kind == "jwg" else str(wanted.year) if kind == "asomm" else "")
    title = f"{plan.name}: {KINDS[kind]}" + (f", {period}" if period else "")
    pack = Pack(kind, title, plan, period, wanted.as_of, _details(user, plan, wanted, period, summary))
    pack.sections.append(Section("Status counts", ("Status", "Action lines"),
                                 [(label, summary.status_counts[key]) for key, label in LINE_STATUSES.items()],
                                 (3, 1)))
    if kind == "jwg":
        pack.sections.append(_jwg_section(plan, lines, states, cutoff, wanted, period))
    elif kind == "asomm":
        pack.sections.append(_asomm_section(plan, lines, states, cutoff, wanted))
    else:
        pack.sections.append(_review_section(plan, lines, states, cutoff))
    pack.sections.append(_group_section("By programme area", summary.by_area, "—"))
    if kind != "jwg":
        pack.sections.append(_group_section("By strategy", summary.by_strategy, "—"))
    pack.sections.append(_group_section("By working group", summary.by_working_group, "No working group"))
    pack.sections.append(_group_section("By lead country", summary.by_lead, "No lead"))
    if kind in ("jwg", "asomm"):
        flags = [f for f in rates.milestone_flags(plan, cutoff) if f.year == wanted.year]
        pack.sections.append(Section(
            f"Milestones {wanted.year}", ("Action line", "Milestone", "Target", "Due", "% done", "Expected %", "Flag"),
            [(f.action_line_code, f.text, f.target, f.due_on.isoformat(), f.percent, f.expected, f.flag.upper())
             for f in flags], (2, 7, 4, 2, 1, 1, 1)))
    pack.sections.append(Section("Trend", ("Quarter", "Completed", "Counted", "Rate %"),
                                 [(f"{t.year} Q{t.quarter}", t.rate.completed, t.rate.counted, t.rate.percent)
                                  for t in rates.trend(plan, cutoff)], (2, 1, 1, 1)))
    return pack
