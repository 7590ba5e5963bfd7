"""Import a plan's structure from a CSV or XLSX file, with a downloadable template.

One row per action line, or per milestone: an action line's first row gives its text (and leads,
participants, indicators); further rows with the same action line code add milestones. A programme area
or strategy is described on the first row that names it (or exists in the plan already). Every row is
checked first; if any row is wrong, nothing is imported and each error names its row and column.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from aocp import audit
from aocp.accounts.models import User
from aocp.extensions import db
from aocp.orgs.models import Body, Organisation
from aocp.plans.models import ActionLine, Plan
from aocp.plans.services import (
    AREA_CODE,
    ITEM_CODE,
    PlanError,
    add_action_line,
    add_area,
    add_milestone,
    add_strategy,
    require,
)

COLUMNS = ["area_code", "area_name", "area_key_focus", "working_group", "strategy_code", "strategy_title",
           "action_line_code", "action_line_text", "leads", "participants", "indicators", "milestone_year",
           "milestone_text", "milestone_target"]
REQUIRED = ("area_code", "strategy_code", "action_line_code")
HELP = {
    "area_code": "Programme area code, e.g. TIM (capital letters and digits)",
    "area_name": "Programme area name; needed on the first row of a new area",
    "area_key_focus": "Key focus of a new area (optional)",
    "working_group": "Body code of the responsible working group, e.g. WGTIM (optional)",
    "strategy_code": "Outcome-based strategy code, e.g. TI1",
    "strategy_title": "Strategy title; needed on the first row of a new strategy",
    "action_line_code": "Action line code, e.g. TI1.1; repeat it on further rows to add milestones",
    "action_line_text": "Full text of the action line; needed on its first row",
    "leads": "Lead Member States, organisation codes separated by ; e.g. MYS;PHL",
    "participants": "Participating Member States and partners, codes separated by ; (optional)",
    "indicators": "Indicators (optional)",
    "milestone_year": "Year of a milestone within the plan's period (optional)",
    "milestone_text": "The milestone; needed when a year is given",
    "milestone_target": "Its target (optional)",
}
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
MIMETYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class RowError:
    row: int  # as numbered in the spreadsheet (the header is row 1)
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}" if self.column else f"Row {self.row}: {self.message}"


class ImportRejected(PlanError):
    """The file has errors; nothing was imported. `errors` lists them row by row."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"Nothing was imported: {len(errors)} error(s) in the file.", "file")
        self.errors = errors


@dataclass
class ImportSummary:
    areas: int = 0
    strategies: int = 0
    action_lines: int = 0
    milestones: int = 0
    codes: list[str] = field(default_factory=list)


def template(fmt: str) -> tuple[bytes, str, str]:
    """(content, mimetype, filename) of an empty import template, "csv" or "xlsx"."""
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerow(COLUMNS)
        return buffer.getvalue().encode("utf-8-sig"), MIMETYPES["csv"], "plan-structure-template.csv"
    if fmt != "xlsx":
        raise PlanError("Choose CSV or XLSX.", "format")
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Structure"
    sheet.append(COLUMNS)
    for i, name in enumerate(COLUMNS, start=1):
        sheet.cell(row=1, column=i).number_format = "@"
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = max(14, len(name) + 2)
    notes = wb.create_sheet("Instructions")
    notes.append(["Column", "What to put in it"])
    for name in COLUMNS:
        notes.append([name, HELP[name]])
    notes.append([])
    notes.append(["", "One row per action line; repeat the action line code on more rows to add milestones."])
    notes.append(["", "Only the first sheet is read. If any row has an error, nothing is imported."])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), MIMETYPES["xlsx"], "plan-structure-template.xlsx"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column: text}) for each non-empty data row; PlanError when the file cannot be read."""
    if len(data) > MAX_BYTES:
        raise PlanError("The file is larger than 2 MB.", "file")
    name = (filename or "").lower()
    if name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PlanError("Save the CSV file as UTF-8 and try again.", "file") from None
        if "\x00" in text:
            raise PlanError("The CSV file contains a character that is not allowed.", "file")
        raw = list(csv.reader(io.StringIO(text)))
    elif name.endswith(".xlsx"):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged or foreign file
            raise PlanError("The file is not a readable XLSX workbook.", "file") from None
        try:
            raw = [[_cell(v) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    else:
        raise PlanError("Upload a .csv or .xlsx file (download the template to start).", "file")
    if not raw:
        raise PlanError("The file is empty.", "file")
    header = [_cell(h).lower() for h in raw[0]]
    while header and not header[-1]:
        header.pop()
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise PlanError(f"Unknown column(s): {', '.join(unknown)}. Use the template's columns.", "file")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise PlanError(f"Missing column(s): {', '.join(missing)}.", "file")
    rows = []
    for number, values in enumerate(raw[1:], start=2):
        cells = {name: _cell(values[i]) if i < len(values) else "" for i, name in enumerate(header)}
        if any(cells.values()):
            rows.append((number, {c: cells.get(c, "") for c in COLUMNS}))
    if not rows:
        raise PlanError("The file has no rows below the header.", "file")
    if len(rows) > MAX_ROWS:
        raise PlanError(f"A file holds at most {MAX_ROWS} rows.", "file")
    return rows


def _codes(value: str) -> list[str]:
    return [c.strip().upper() for c in re.split(r"[;,]", value) if c.strip()]


@dataclass
class _Line:
    row: int
    area: str
    strategy: str
    text: str
    leads: list[str]
    participants: list[str]
    indicators: str
    milestones: list[tuple[int, int, str, str]] = field(default_factory=list)  # (row, year, text, target)


class _Validator:
    """Checks the rows of one file against the plan and each other, collecting every error before any change."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.errors: list[RowError] = []
        self.orgs = {o.code: o for o in db.session.execute(select(Organisation)).scalars()}
        self.bodies = {b.code: b for b in db.session.execute(select(Body)).scalars()}
        self.old_areas = {a.code for a in plan.areas}
        self.old_strategies = {s.code: a.code for a in plan.areas for s in a.strategies}
        self.old_lines = set(db.session.execute(
            select(ActionLine.code).where(ActionLine.plan_id == plan.id)).scalars())
        self.areas: dict[str, dict] = {}
        self.strategies: dict[str, dict] = {}
        self.lines: dict[str, _Line] = {}

    def err(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    def row(self, n: int, r: dict[str, str]) -> None:
        area, strategy, code = r["area_code"].upper(), r["strategy_code"].upper(), r["action_line_code"].upper()
        self.area(n, r, area)
        self.strategy(n, r, area, strategy)
        line = self.line(n, r, area, strategy, code)
        if line is not None and (r["milestone_year"] or r["milestone_text"] or r["milestone_target"]):
            self.milestone(n, r, line)

    def area(self, n: int, r: dict[str, str], area: str) -> None:
        if not AREA_CODE.match(area):
            return self.err(n, "area_code", "Give the programme area's code, e.g. TIM.")
        if area in self.old_areas:
            return None
        spec = self.areas.setdefault(area, {"row": n, "name": "", "key_focus": "", "working_group": None})
        if r["area_name"] and spec["name"] and r["area_name"] != spec["name"]:
            self.err(n, "area_name", f"Area {area} is named differently on row {spec['row']}.")
        if len(r["area_name"]) > 200:
            self.err(n, "area_name", "A programme area's name is limited to 200 characters.")
        spec["name"] = spec["name"] or r["area_name"]
        spec["key_focus"] = spec["key_focus"] or r["area_key_focus"]
        if r["working_group"]:
            body = self.bodies.get(r["working_group"].upper())
            if body is None:
                self.err(n, "working_group", f"No body with code {r['working_group']}.")
            spec["working_group"] = spec["working_group"] or body
        return None

    def strategy(self, n: int, r: dict[str, str], area: str, strategy: str) -> None:
        if not ITEM_CODE.match(strategy):
            return self.err(n, "strategy_code", "Give the strategy's code, e.g. TI1.")
        if strategy in self.old_strategies:
            if self.old_strategies[strategy] != area:
                self.err(n, "strategy_code", f"Strategy {strategy} belongs to area {self.old_strategies[strategy]}.")
            return None
        spec = self.strategies.setdefault(strategy, {"row": n, "area": area, "title": ""})
        if spec["area"] != area:
            self.err(n, "area_code", f"Strategy {strategy} is under area {spec['area']} on row {spec['row']}.")
        if len(r["strategy_title"]) > 2000:
            self.err(n, "strategy_title", "A strategy's title is limited to 2,000 characters.")
        spec["title"] = spec["title"] or r["strategy_title"]
        return None

    def line(self, n: int, r: dict[str, str], area: str, strategy: str, code: str) -> _Line | None:
        """The action line a row belongs to (new on its first row), or None when the row cannot name one."""
        if not ITEM_CODE.match(code):
            return self.err(n, "action_line_code", "Give the action line's code, e.g. TI1.1.")
        if code in self.old_lines:
            return self.err(n, "action_line_code", f"{self.plan.code} already has an action line {code}.")
        line = self.lines.get(code)
        if line is not None:
            if (line.area, line.strategy) != (area, strategy):
                self.err(n, "strategy_code", f"{code} is under {line.area}/{line.strategy} on row {line.row}.")
            if r["action_line_text"] and r["action_line_text"] != line.text:
                self.err(n, "action_line_text", f"{code} has a different text on row {line.row}; leave it empty here.")
            return line
        if not r["action_line_text"]:
            self.err(n, "action_line_text", f"The first row of {code} gives its text.")
        elif len(r["action_line_text"]) > 5000 or len(r["indicators"]) > 5000:
            self.err(n, "action_line_text", "The text and the indicators are limited to 5,000 characters each.")
        leads, participants = _codes(r["leads"]), _codes(r["participants"])
        for c in leads:
            if c not in self.orgs:
                self.err(n, "leads", f"No organisation with code {c}.")
            elif self.orgs[c].kind != "member_state":
                self.err(n, "leads", f"{c} is not an ASEAN Member State; lead countries are.")
        for c in participants:
            if c not in self.orgs:
                self.err(n, "participants", f"No organisation with code {c}.")
        line = self.lines[code] = _Line(n, area, strategy, r["action_line_text"], leads, participants,
                                        r["indicators"])
        return line

    def milestone(self, n: int, r: dict[str, str], line: _Line) -> None:
        try:
            year = int(r["milestone_year"])
        except ValueError:
            return self.err(n, "milestone_year", "Give the milestone's year as four digits.")
        if year not in self.plan.years:
            self.err(n, "milestone_year", f"Milestones fall within {self.plan.start_year} to {self.plan.end_year}.")
        if not r["milestone_text"]:
            self.err(n, "milestone_text", "Describe the milestone.")
        elif len(r["milestone_text"]) > 2000 or len(r["milestone_target"]) > 2000:
            self.err(n, "milestone_text", "A milestone and its target are limited to 2,000 characters each.")
        line.milestones.append((n, year, r["milestone_text"], r["milestone_target"]))
        return None

    def finish(self) -> None:
        for code, spec in self.areas.items():
            if not spec["name"]:
                self.err(spec["row"], "area_name", f"Name the new programme area {code}.")
        for code, spec in self.strategies.items():
            if not spec["title"]:
                self.err(spec["row"], "strategy_title", f"Give the title of the new strategy {code}.")
        if self.errors:
            raise ImportRejected(sorted(self.errors, key=lambda e: (e.row, COLUMNS.index(e.column)
                                                                    if e.column in COLUMNS else 0)))


def _validate(plan: Plan, rows: list[tuple[int, dict[str, str]]]):
    """Check every row; return the new areas, strategies and lines, or raise ImportRejected."""
    check = _Validator(plan)
    for n, r in rows:
        check.row(n, r)
    check.finish()
    return check.areas, check.strategies, check.lines, check.orgs


def import_structure(actor: User, plan: Plan, filename: str, data: bytes) -> ImportSummary:
    """Add the areas, strategies, action lines and milestones of a CSV/XLSX file to `plan`, all or nothing."""
    require(actor, "plans.manage", plan)
    if plan.status == "closed":
        raise PlanError("This plan is closed; its structure no longer changes.")
    rows = read_rows(filename, data)
    areas, strategies, lines, orgs = _validate(plan, rows)
    summary = ImportSummary()
    area_objs = {a.code: a for a in plan.areas}
    strategy_objs = {s.code: s for a in plan.areas for s in a.strategies}
    try:
        for code, spec in areas.items():
            area_objs[code] = add_area(actor, plan, code=code, name=spec["name"], key_focus=spec["key_focus"],
                                       working_group=spec["working_group"])
            summary.areas += 1
        for code, spec in strategies.items():
            strategy_objs[code] = add_strategy(actor, area_objs[spec["area"]], code=code, title=spec["title"])
            summary.strategies += 1
        for code, line in lines.items():
            new = add_action_line(actor, strategy_objs[line.strategy], code=code, text=line.text,
                                  leads=[orgs[c] for c in line.leads],
                                  participants=[orgs[c] for c in dict.fromkeys(line.participants)],
                                  indicators=line.indicators)
            summary.action_lines += 1
            summary.codes.append(code)
            for _row, year, text, target in line.milestones:
                add_milestone(actor, new, year=year, text=text, target=target)
                summary.milestones += 1
    except PlanError as error:  # a rule the row checks did not foresee: undo the rows added so far
        db.session.rollback()
        raise ImportRejected([RowError(0, "", str(error))]) from None
    audit.record("plan.imported", actor, plan, {"file": (filename or "")[:200], "areas": summary.areas,
                                                "strategies": summary.strategies,
                                                "action_lines": summary.action_lines,
                                                "milestones": summary.milestones})
    return summary
