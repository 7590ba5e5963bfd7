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

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from sqlalchemy import func, select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.pdf import FAMILY, use_platform_fonts
from aocp.plans import bp, rates
from aocp.plans.models import LINE_STATUSES, ActionLine, Plan, ReportRevision
from aocp.plans.reports import quarter_of
from aocp.plans.services import PLAN_CODE, PlanError, plan_by_code, plan_structure
from aocp.policy import guard
from aocp.timeutil import utcnow

KINDS = {"jwg": "JWG quarterly monitoring report", "asomm": "ASOMM yearly report",
         "midterm": "Mid-Term Review", "final": "Final-Term Review"}
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
FORMAT_LABELS = {"xlsx": "Excel workbook (XLSX)", "csv": "CSV", "pdf": "PDF"}
FILE_STEMS = {"jwg": "JWG-monitoring", "asomm": "ASOMM-report", "midterm": "Mid-Term-Review",
              "final": "Final-Term-Review"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PDF_TEXT_LIMIT = 1500  # a PDF cell holds at most this much of a narrative; the spreadsheets hold all of it
PDF_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Cell = str | int | None


def safe_cell(value: Cell) -> Cell:
    """A value that a spreadsheet shows as text: formulas escaped with a leading quote, illegal characters out."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


# --- what a pack holds -------------------------------------------------------------------------------

@dataclass
class Section:
    title: str
    header: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    widths: tuple[int, ...] = ()  # relative PDF column widths
    note: str = ""


@dataclass
class Pack:
    kind: str
    title: str
    plan: Plan
    period: str  # "2025 Q3", "2025" or "" (reviews cover the whole plan)
    as_of: date
    details: list[tuple[str, str]]
    sections: list[Section] = field(default_factory=list)

    @property
    def filename_stem(self) -> str:
        period = self.period.replace(" ", "-")
        return "-".join(x for x in (self.plan.code, FILE_STEMS[self.kind], period, f"as-of-{self.as_of:%Y-%m-%d}")
                        if x)


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
    details = [("Plan", f"{plan.code}: {plan.name} ({plan.start_year}-{plan.end_year})"),
               ("Pack", KINDS[kind] + (f", {period}" if period else "")),
               ("Data as of", f"{wanted.as_of:%d %b %Y} (accepted reports only)"),
               ("Achievement rate", f"{_rate_text(summary.overall)} ({summary.overall.completed} of "
                                    f"{summary.overall.counted} action lines not withdrawn are completed)"),
               ("Milestone-weighted rate", f"{_rate_text(summary.milestones)} (mean % done of "
                                           f"{summary.milestones.due} milestones due)"),
               ("Generated", f"{utcnow():%d %b %Y %H:%M} UTC by {user.name}")]
    pack = Pack(kind, title, plan, period, wanted.as_of, details)
    pack.sections.append(Section("Status counts", ("Status", "Action lines"),
                                 [(label, summary.status_counts[key]) for key, label in LINE_STATUSES.items()],
                                 (3, 1)))

    if kind == "jwg":
        reported = accepted_snapshots(plan, cutoff, wanted.year, wanted.quarter)
        rows = []
        for line in lines:
            state, snap = states[line.id], reported.get(line.id)
            rows.append((line.code, line.text, line.body.short_name if line.body else "", _leads(line),
                         LINE_STATUSES[state.status], state.percent_done,
                         LINE_STATUSES[snap["status"]] if snap else "No accepted report",
                         snap["narrative"] if snap else "", snap["issues"] if snap else "",
                         snap["support_needed"] if snap else ""))
        pack.sections.append(Section(
            "Action lines", ("Code", "Action line", "Working group", "Lead", "Status", "% done",
                             f"Reported for {period}", "Narrative", "Issues", "Support needed"),
            rows, (2, 6, 3, 2, 2, 1, 2, 6, 4, 4)))
    elif kind == "asomm":
        reported = accepted_snapshots(plan, cutoff, wanted.year)
        rows = []
        for line in lines:
            state, snap = states[line.id], reported.get(line.id)
            rows.append((line.code, line.text, line.strategy.code, line.body.short_name if line.body else "",
                         _leads(line), LINE_STATUSES[state.status], state.percent_done,
                         _report_period(snap), snap["narrative"] if snap else "", snap["issues"] if snap else ""))
        pack.sections.append(Section(
            "Action lines", ("Code", "Action line", "Strategy", "Working group", "Lead", "Status", "% done",
                             "Latest report", "Narrative", "Issues"), rows, (2, 6, 2, 3, 2, 2, 1, 2, 7, 5)))
    else:
        reported = accepted_snapshots(plan, cutoff)
        rows = []
        for line in lines:
            state, snap = states[line.id], reported.get(line.id)
            remarks = " ".join(x for x in ((snap["narrative"] if snap else ""),
                                           (f"Issues: {snap['issues']}" if snap and snap["issues"] else ""),
                                           (f"Continues {line.carried_from.plan.code} {line.carried_from.code}."
                                            if line.carried_from else "")) if x)
            rows.append((line.code, line.text, _leads(line), LINE_STATUSES[state.status],
                         state.percent_done, remarks))
        pack.sections.append(Section("Review table", ("Action line", "Text", "Lead", "Status", "% done", "Remarks"),
                                     rows, (2, 7, 2, 2, 1, 8)))

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


# --- writers -----------------------------------------------------------------------------------------

def to_csv(pack: Pack) -> bytes:
    """Sections one after another: a title row, the header, the rows and a blank row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(pack.title)])
    for label, value in pack.details:
        writer.writerow([safe_cell(label), safe_cell(value)])
    for section in pack.sections:
        writer.writerow([])
        writer.writerow([safe_cell(section.title)])
        writer.writerow([safe_cell(h) for h in section.header])
        for row in section.rows:
            writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")  # the byte-order mark makes Excel read UTF-8


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:31]
    name, n = base, 2
    while name in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name)
    return name


def to_xlsx(pack: Pack) -> bytes:
    """A summary sheet, then one sheet per section."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    used = {"Summary"}
    ws.append([safe_cell(pack.title)])
    ws["A1"].font = Font(bold=True, size=14)
    for label, value in pack.details:
        ws.append([safe_cell(label), safe_cell(value)])
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 26, 90
    for section in pack.sections:
        sheet = wb.create_sheet(_sheet_title(section.title, used))
        sheet.append([safe_cell(h) for h in section.header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append([safe_cell(v) for v in row])
        sheet.freeze_panes = "A2"
        for i, width in enumerate(section.widths or (2,) * len(section.header)):
            sheet.column_dimensions[sheet.cell(1, i + 1).column_letter].width = min(6 * width, 60)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and len(cell.value) > 40:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class _PackPDF(FPDF):
    pack_title = ""

    def footer(self):
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 8, f"{self.pack_title} · page {self.page_no()} of {{nb}}", align="C")


def _pdf_text(value: Cell) -> str:
    if value is None:
        return "–"
    text = PDF_CONTROL.sub("", str(value))
    return text if len(text) <= PDF_TEXT_LIMIT else text[:PDF_TEXT_LIMIT].rstrip() + "…"


def to_pdf(pack: Pack) -> bytes:
    pdf = _PackPDF(orientation="landscape", format="A4")
    pdf.pack_title = pack.title
    pdf.set_title(pack.title)
    use_platform_fonts(pdf)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()

    def text(value: str, size: float = 10, style: str = "") -> None:
        pdf.set_font(FAMILY, style, size)
        pdf.multi_cell(0, size * 0.55, _pdf_text(value), new_x="LMARGIN", new_y="NEXT")

    def table(header: tuple[str, ...] | None, rows, widths) -> None:
        if not rows:
            text("None.")
            return
        pdf.set_font(FAMILY, "", 8)
        with pdf.table(col_widths=widths or None, text_align="LEFT", first_row_as_headings=bool(header),
                       headings_style=FontFace(emphasis="BOLD"), line_height=4.5) as t:
            for row in ([header] if header else []) + list(rows):
                r = t.row()
                for value in row:
                    r.cell(_pdf_text(value))

    text(pack.title, 18, "B")
    pdf.ln(2)
    table(None, pack.details, (1, 4))
    for section in pack.sections:
        pdf.ln(3)
        text(section.title, 13, "B")
        pdf.ln(1)
        table(section.header, section.rows, section.widths)
    return bytes(pdf.output())


WRITERS = {"xlsx": to_xlsx, "csv": to_csv, "pdf": to_pdf}


def render_pack(pack: Pack, fmt: str) -> bytes:
    return WRITERS[fmt](pack)


# --- pages -------------------------------------------------------------------------------------------

def _plan_or_404(code: str) -> Plan:
    plan = plan_by_code(code) if PLAN_CODE.match((code or "").upper()) else None
    if plan is None:
        abort(404)
    return plan


def _form_page(plan: Plan, today: date, error: PlanError | None = None, status: int = 200):
    args = request.args
    year, _quarter = quarter_of(today)
    chosen = {"kind": args.get("kind", "jwg"), "format": args.get("format", "xlsx"),
              "year": args.get("year", str(min(max(year, plan.start_year), plan.end_year))),
              "quarter": args.get("quarter", str(quarter_of(today)[1])), "as_of": args.get("as_of", "")}
    return render_template("plans/packs.html", plan=plan, kinds=KINDS, formats=FORMAT_LABELS, chosen=chosen,
                           today=today, error=error), status


@bp.get("/plans/<code>/packs")
@guard("packs.view")
def packs(code: str):
    """The page choosing a pack; its form comes back here and is sent on to the download."""
    plan = _plan_or_404(code)
    if "download" in request.args:
        kind, fmt = request.args.get("kind", ""), request.args.get("format", "")
        if kind not in KINDS or fmt not in FORMATS:
            return _form_page(plan, utcnow().date(), PlanError("Choose a kind of pack and a format.", "kind"), 400)
        wanted = {k: request.args[k] for k in ("year", "quarter", "as_of") if request.args.get(k, "").strip()}
        if kind not in ("jwg",):
            wanted.pop("quarter", None)
        if kind not in ("jwg", "asomm"):
            wanted.pop("year", None)
        return redirect(url_for("plans.pack", code=plan.code, kind=kind, fmt=fmt, **wanted))
    return _form_page(plan, utcnow().date())


@bp.get("/plans/<code>/packs/<any(jwg, asomm, midterm, final):kind>.<any(xlsx, csv, pdf):fmt>")
@guard("packs.view")
def pack(code: str, kind: str, fmt: str):
    plan = _plan_or_404(code)
    today = utcnow().date()
    try:
        wanted = parse_request(plan, kind, request.args, today)
    except PlanError as err:
        return _form_page(plan, today, err, 400)
    built = build(current_user, plan, wanted)
    data = render_pack(built, fmt)
    return send_file(io.BytesIO(data), mimetype=FORMATS[fmt], as_attachment=True,
                     download_name=f"{built.filename_stem}.{fmt}", max_age=0)
