"""The meeting's readiness page (every delegation expected, sortable by state) and its export as CSV or XLSX
for the secretariat: the chair, vice-chair and ASEC. The rule is `readiness.delegations`, as on the meeting page,
the home page and the API. Spreadsheet cells are neutralised (`plans.pack_files.safe_cell`)."""
from __future__ import annotations

import csv
import io
import re

from flask import render_template, request, send_file
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.styles import Font

from aocp.documents.access import visible_clause
from aocp.meetings import bp, readiness
from aocp.meetings.loading import load_meeting
from aocp.plans.pack_files import FORMATS, safe_cell
from aocp.policy import guard

HEADER = ("Delegation", "Code", "People in AOCP", "Members of the body", "In person", "Online", "Not attending",
          "Country report", "Submitted (UTC)", "Papers due", "Last change (UTC)")


def sort_arg() -> str:
    return "state" if request.args.get("sort") == "state" else ""


def table_rows(table: readiness.Readiness, sort: str = "") -> list[tuple]:
    """One row per delegation, as the export writes it."""
    def when(value):
        return value.strftime("%Y-%m-%d %H:%M") if value else ""
    return [(r.name, r.code, r.people, r.in_body, r.in_person, r.online, r.not_attending, r.state_label,
             when(r.submitted_at), r.due.isoformat() if r.due else "", when(r.changed_at))
            for r in table.sorted(sort)]


def to_csv(rows: list[tuple]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(title: str, rows: list[tuple]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Readiness"
    ws.append(list(HEADER))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    ws.freeze_panes = "A2"
    ws.column_dimensions["A"].width = 24
    wb.properties.title = safe_cell(title)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@bp.get("/meetings/<int:meeting_id>/readiness")
@guard("workspaces.view")
def readiness_page(meeting_id: int):
    meeting = load_meeting(meeting_id)
    table = readiness.delegations(meeting, visible_clause(current_user))
    return render_template("meetings/readiness.html", meeting=meeting, readiness=table, sort=sort_arg())


@bp.get("/meetings/<int:meeting_id>/readiness.<any(csv, xlsx):fmt>")
@guard("meetings.manage")
def readiness_export(meeting_id: int, fmt: str):
    meeting = load_meeting(meeting_id, "meetings.manage")
    rows = table_rows(readiness.delegations(meeting), sort_arg())
    data = to_csv(rows) if fmt == "csv" else to_xlsx(meeting.title, rows)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", meeting.title).strip("-")
    return send_file(io.BytesIO(data), mimetype=FORMATS[fmt], as_attachment=True,
                     download_name=f"{slug}-readiness.{fmt}")
