"""Importing a plan's structure from CSV or XLSX: template, row-by-row errors, all or nothing."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.plans import imports, services
from aocp.plans.imports import COLUMNS, ImportRejected
from aocp.plans.models import ActionLine, Milestone, ProgrammeArea, Strategy
from aocp.plans.services import PlanError, plan_structure
from aocp.policy import PermissionDenied

GOOD = [
    {"area_code": "TIM", "area_name": "Trade and Investment in Minerals", "working_group": "WGTIM",
     "strategy_code": "TI1", "strategy_title": "Promote ASEAN as a minerals investment destination",
     "action_line_code": "TI1.1", "action_line_text": "Publish a regional investment guide",
     "leads": "MYS; PHL", "participants": "THA;CHN", "indicators": "Guide published",
     "milestone_year": "2026", "milestone_text": "Outline agreed", "milestone_target": "1 outline"},
    {"area_code": "TIM", "strategy_code": "TI1", "action_line_code": "TI1.1",
     "milestone_year": "2027", "milestone_text": "Guide published", "milestone_target": "1 guide"},
    {"area_code": "TIM", "strategy_code": "TI2", "strategy_title": "Promote investment in all stages",
     "action_line_code": "TI2.1", "action_line_text": "Hold an investor forum", "leads": "IDN"},
    {"area_code": "MID", "area_name": "Minerals Information and Database", "working_group": "WGMID",
     "strategy_code": "MD1", "strategy_title": "Strengthen AMDIS", "action_line_code": "MD1.1",
     "action_line_text": "Restructure the landing page"},
]


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _xlsx(rows: list[dict]) -> bytes:
    wb = Workbook()
    wb.active.append(COLUMNS)
    for row in rows:
        wb.active.append([row.get(c, "") or None for c in COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def plan(people):
    return services.create_plan(people["staff"], code="AMCAP-IV-P1", name="AMCAP-IV Phase 1: 2026-2030",
                                start_year=2026, end_year=2030)


def _lines(plan) -> int:
    return db.session.scalar(select(func.count(ActionLine.id)).where(ActionLine.plan_id == plan.id))


def test_the_templates_hold_the_columns(ctx):
    content, mimetype, filename = imports.template("csv")
    assert (mimetype, filename) == ("text/csv", "plan-structure-template.csv")
    assert next(csv.reader(io.StringIO(content.decode("utf-8-sig")))) == COLUMNS
    content, mimetype, filename = imports.template("xlsx")
    assert filename.endswith(".xlsx") and "spreadsheetml" in mimetype
    wb = load_workbook(io.BytesIO(content))
    assert [c.value for c in wb["Structure"][1]] == COLUMNS
    assert wb["Instructions"]["A2"].value == "area_code"
    with pytest.raises(PlanError):
        imports.template("pdf")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_good_file_adds_areas_strategies_lines_and_milestones(people, plan, fmt):
    data = _csv(GOOD) if fmt == "csv" else _xlsx(GOOD)
    summary = imports.import_structure(people["staff"], plan, f"amcap-iv.{fmt}", data)
    db.session.commit()
    assert (summary.areas, summary.strategies, summary.action_lines, summary.milestones) == (2, 3, 3, 2)
    loaded = plan_structure(plan.id)
    tree = {a.code: {s.code: [x.code for x in s.action_lines] for s in a.strategies} for a in loaded.areas}
    assert tree == {"TIM": {"TI1": ["TI1.1"], "TI2": ["TI2.1"]}, "MID": {"MD1": ["MD1.1"]}}
    ti11 = loaded.areas[0].strategies[0].action_lines[0]
    assert [o.code for o in ti11.leads] == ["MYS", "PHL"] and [o.code for o in ti11.participants] == ["CHN", "THA"]
    assert ti11.body.code == "WGTIM" and ti11.indicators == "Guide published"
    assert [(m.year, m.text, m.target) for m in ti11.milestones] == [(2026, "Outline agreed", "1 outline"),
                                                                     (2027, "Guide published", "1 guide")]
    assert loaded.areas[1].strategies[0].action_lines[0].body.code == "WGMID"
    assert db.session.execute(select(AuditEntry.details).where(AuditEntry.action == "plan.imported")).scalar_one()


BAD = [
    GOOD[0],
    {"area_code": "TIM", "strategy_code": "TI1", "action_line_code": "TI1.2", "action_line_text": "",
     "leads": "JPN;XYZ"},
    {"area_code": "NEW", "strategy_code": "NW1", "action_line_code": "NW1.1", "action_line_text": "Something",
     "milestone_year": "2040", "milestone_text": ""},
    {"area_code": "MID", "area_name": "Minerals Information and Database", "working_group": "WGNONE",
     "strategy_code": "MD1", "strategy_title": "Strengthen AMDIS", "action_line_code": "MD1.1",
     "action_line_text": "Restructure", "milestone_year": "next year", "milestone_text": "x"},
]
BAD_ERRORS = [
    "Row 3, action_line_text: The first row of TI1.2 gives its text.",
    "Row 3, leads: JPN is not an ASEAN Member State; lead countries are.",
    "Row 3, leads: No organisation with code XYZ.",
    "Row 4, area_name: Name the new programme area NEW.",
    "Row 4, strategy_title: Give the title of the new strategy NW1.",
    "Row 4, milestone_year: Milestones fall within 2026 to 2030.",
    "Row 4, milestone_text: Describe the milestone.",
    "Row 5, working_group: No body with code WGNONE.",
    "Row 5, milestone_year: Give the milestone's year as four digits.",
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_file_with_bad_rows_imports_nothing_and_names_each_error(people, plan, fmt):
    data = _csv(BAD) if fmt == "csv" else _xlsx(BAD)
    with pytest.raises(ImportRejected) as err:
        imports.import_structure(people["staff"], plan, f"bad.{fmt}", data)
    assert [str(e) for e in err.value.errors] == BAD_ERRORS
    assert "Nothing was imported" in str(err.value)
    db.session.rollback()
    assert _lines(plan) == 0
    assert db.session.scalar(select(func.count(ProgrammeArea.id)).where(ProgrammeArea.plan_id == plan.id)) == 0
    assert db.session.scalar(select(func.count(Milestone.id))) == 0


def test_codes_already_in_the_plan_are_refused_and_existing_areas_are_reused(people, plan):
    imports.import_structure(people["staff"], plan, "first.csv", _csv(GOOD))
    more = [{"area_code": "TIM", "strategy_code": "TI1", "action_line_code": "TI1.2", "action_line_text": "More"},
            {"area_code": "MID", "strategy_code": "TI2", "action_line_code": "TI1.1", "action_line_text": "Again"}]
    with pytest.raises(ImportRejected) as err:
        imports.import_structure(people["staff"], plan, "more.csv", _csv(more))
    assert [str(e) for e in err.value.errors] == ["Row 3, strategy_code: Strategy TI2 belongs to area TIM.",
                                                  "Row 3, action_line_code: AMCAP-IV-P1 already has an action "
                                                  "line TI1.1."]
    summary = imports.import_structure(people["staff"], plan, "more.csv", _csv(more[:1]))
    assert (summary.areas, summary.strategies, summary.action_lines) == (0, 0, 1)
    assert db.session.scalar(select(func.count(Strategy.id)).where(Strategy.plan_id == plan.id)) == 3


@pytest.mark.parametrize("filename,data,message", [
    ("plan.pdf", b"%PDF-1.7", "Upload a .csv or .xlsx file"),
    ("plan.xlsx", b"not a workbook", "not a readable XLSX"),
    ("plan.csv", "area_code,oops\nTIM,x\n".encode(), "Unknown column(s): oops"),
    ("plan.csv", b"area_code,strategy_code\nTIM,TI1\n", "Missing column(s): action_line_code"),
    ("plan.csv", b"", "The file is empty"),
    ("plan.csv", ",".join(COLUMNS).encode() + b"\n", "no rows below the header"),
    ("plan.csv", "area_code\n\xff".encode("latin-1"), "UTF-8"),
])
def test_a_file_that_cannot_be_read_is_refused_with_a_clear_message(people, plan, filename, data, message):
    with pytest.raises(PlanError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        imports.import_structure(people["staff"], plan, filename, data)
    assert err.value.field == "file"
    assert _lines(plan) == 0


def test_only_asec_imports(people, plan):
    for who in ("lead_focal", "chair", "observer"):
        with pytest.raises(PermissionDenied):
            imports.import_structure(people[who], plan, "plan.csv", _csv(GOOD))
    assert _lines(plan) == 0
