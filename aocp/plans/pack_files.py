"""What a review pack holds (sections of rows) and how it is written: CSV, XLSX or PDF.

Every text cell whose text starts with =, +, -, @, a tab or a carriage return is prefixed with a single quote,
so no spreadsheet program runs it as a formula (CSV and XLSX alike).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from aocp.pdf import FAMILY, use_platform_fonts
from aocp.plans.models import Plan

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
FORMAT_LABELS = {"xlsx": "Excel workbook (XLSX)", "csv": "CSV", "pdf": "PDF"}
FILE_STEMS = {"jwg": "JWG-monitoring", "asomm": "ASOMM-report", "midterm": "Mid-Term-Review",
              "final": "Final-Term-Review"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PDF_TEXT_LIMIT = 1500  # a PDF cell holds at most this much of a narrative; the spreadsheets hold all of it
PDF_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

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
