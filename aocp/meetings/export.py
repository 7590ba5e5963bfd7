"""The meeting record as a PDF or DOCX: details, agenda with papers, participants, decisions, action items, minutes.

The record is put together for the person asking: it lists only the papers they may open (a restricted
paper's title never appears), and draft minutes only when they may read the draft.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from io import BytesIO

import docx
from docx.shared import Pt
from flask import send_file
from flask_login import current_user
from fpdf import FPDF
from fpdf.fonts import FontFace
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from aocp.accounts.models import User
from aocp.documents.access import visible_clause
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings import bp
from aocp.meetings.loading import can_read_minutes, current_minutes, load_meeting
from aocp.meetings.markdown import Block, blocks
from aocp.meetings.models import (
    ACTION_STATUSES,
    MEETING_STATUSES,
    RSVP,
    ActionItem,
    AgendaItem,
    AgendaPaper,
    Decision,
    Meeting,
    Participant,
)
from aocp.orgs.models import Organisation
from aocp.pdf import use_platform_fonts
from aocp.policy import guard
from aocp.timeutil import utcnow

MIMETYPES = {"pdf": "application/pdf",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def _day(d) -> str:
    return d.strftime("%d %b %Y") if d else "—"


@dataclass
class AgendaLine:
    number: int
    title: str
    presenter: str
    minutes: int
    papers: list[str] = field(default_factory=list)


@dataclass
class Record:
    title: str
    details: list[tuple[str, str]]
    agenda: list[AgendaLine]
    participants: list[tuple[str, str, str, str]]  # name, organisation, RSVP, attended
    decisions: list[tuple[str, str]]  # agenda item, decision
    actions: list[tuple[str, str, str, str, str]]  # action, owner, due, status, action line
    minutes_heading: str
    minutes: list[Block] | None  # None: not shown to this person


def gather(user: User, meeting: Meeting) -> Record:
    """Everything the record shows, as `user` may see it (a fixed number of queries)."""
    items = db.session.execute(select(AgendaItem).options(selectinload(AgendaItem.papers)
                                                          .selectinload(AgendaPaper.document))
                               .where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position)
                               ).scalars().all()
    doc_ids = {p.document_id for item in items for p in item.papers}
    visible = set(db.session.execute(select(Document.id).where(Document.id.in_(doc_ids), visible_clause(user))
                                     ).scalars()) if doc_ids else set()
    agenda = [AgendaLine(i.position, i.title, i.presenter, i.duration_minutes,
                         sorted(p.document.title for p in i.papers if p.document_id in visible)) for i in items]

    parts = db.session.execute(select(Participant).join(User, User.id == Participant.user_id)
                               .join(Organisation, Organisation.id == User.org_id)
                               .options(joinedload(Participant.user))
                               .where(Participant.meeting_id == meeting.id)
                               .order_by(Organisation.code, User.name)).scalars().all()
    attended = {True: "Yes", False: "No", None: "—"}
    participants = [(p.user.name, p.user.org.name, RSVP[p.rsvp], attended[p.attended]) for p in parts]

    decisions = [(f"{d.agenda_item.position}. {d.agenda_item.title}" if d.agenda_item else "—", d.text)
                 for d in db.session.execute(select(Decision).options(joinedload(Decision.agenda_item))
                                             .where(Decision.meeting_id == meeting.id).order_by(Decision.id))
                 .scalars()]
    actions = [(a.title, a.owner_user.name if a.owner_user else (a.owner_org.name if a.owner_org else "—"),
                _day(a.due_on), ACTION_STATUSES[a.status], a.action_line or "—")
               for a in db.session.execute(select(ActionItem)
                                           .options(joinedload(ActionItem.owner_user), joinedload(ActionItem.owner_org))
                                           .where(ActionItem.meeting_id == meeting.id)
                                           .order_by(ActionItem.due_on, ActionItem.id)).scalars()]

    minutes = current_minutes(meeting)
    if minutes.status == "adopted":
        heading = f"Minutes (adopted {_day(minutes.adopted_at)})"
    elif minutes.status == "circulated":
        heading = "Minutes: circulated draft, not yet adopted"
    else:
        heading = "Minutes: draft, not yet circulated or adopted"
    shown = blocks(minutes.body_md) if can_read_minutes(user, meeting, minutes) else None

    details = [("Body", meeting.body.name),
               ("Dates", _day(meeting.starts_on) if meeting.starts_on == meeting.ends_on
                else f"{_day(meeting.starts_on)} to {_day(meeting.ends_on)}"),
               ("Starts", f"{meeting.start_time} local time ({meeting.timezone.replace('_', ' ')})"),
               ("Status", MEETING_STATUSES[meeting.status])]
    details += [(label, value) for label, value in (
        ("Host", meeting.host.name if meeting.host else ""), ("Venue", meeting.venue),
        ("Online", meeting.online_url), ("Chair", meeting.chair.name if meeting.chair else ""),
        ("Held with", meeting.group_with.title if meeting.group_with else ""),
        ("Papers due", _day(meeting.paper_deadline) if meeting.paper_deadline else ""),
        ("Agenda", f"published {_day(meeting.agenda_published_at)}" if meeting.agenda_published_at
         else "not yet published")) if value]
    details.append(("Exported", f"{utcnow():%d %b %Y %H:%M} UTC by {user.name}"))
    return Record(meeting.title, details, agenda, participants, decisions, actions, heading, shown)


# DOCX

def to_docx(record: Record) -> bytes:
    doc = docx.Document()
    doc.core_properties.title = f"{record.title}: meeting record"
    doc.add_heading(record.title, 0)
    _docx_table(doc, None, record.details)
    doc.add_heading("Agenda", 1)
    if not record.agenda:
        doc.add_paragraph("No agenda items.")
    for line in record.agenda:
        extra = ", ".join(x for x in (line.presenter, f"{line.minutes} min") if x)
        doc.add_paragraph(f"{line.number}. {line.title} ({extra})")
        for title in line.papers:
            doc.add_paragraph(f"Paper: {title}", style="List Bullet")
    doc.add_heading("Participants", 1)
    _docx_table(doc, ("Name", "Organisation", "Reply", "Attended"), record.participants)
    doc.add_heading("Decisions", 1)
    _docx_table(doc, ("Agenda item", "Decision"), record.decisions)
    doc.add_heading("Action items", 1)
    _docx_table(doc, ("Action", "Owner", "Due", "Status", "Action line"), record.actions)
    doc.add_heading(record.minutes_heading, 1)
    if record.minutes is None:
        doc.add_paragraph("The minutes are being drafted by the chair and ASEC; they are shared when circulated.")
    for block in record.minutes or []:
        if block.kind.startswith("h"):
            doc.add_heading(block.text, min(int(block.kind[1]) + 1, 9))
        elif block.kind == "li":
            doc.add_paragraph(block.text, style="List Bullet 2" if block.level else "List Bullet")
        elif block.kind == "quote":
            doc.add_paragraph(block.text, style="Quote")
        elif block.kind == "code":
            run = doc.add_paragraph().add_run(block.text)
            run.font.name, run.font.size = "Courier New", Pt(9)
        else:
            doc.add_paragraph(block.text)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def _docx_table(doc, header: tuple[str, ...] | None, rows: list[tuple[str, ...]]) -> None:
    if not rows:
        doc.add_paragraph("None.")
        return
    table = doc.add_table(rows=0, cols=len(header or rows[0]))
    table.style = "Table Grid"
    for n, row in enumerate(([header] if header else []) + list(rows)):
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = value
            if header and n == 0:
                cell.paragraphs[0].runs[0].bold = True


# PDF

class _RecordPDF(FPDF):
    record_title = ""

    def footer(self):
        self.set_y(-12)
        self.set_font("Sarabun", "", 8)
        self.cell(0, 8, f"{self.record_title} · page {self.page_no()} of {{nb}}", align="C")

    def text_block(self, value: str, size: float = 10, style: str = "", indent: float = 0) -> None:
        self.set_font("Sarabun", style, size)
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, size * 0.55, value, new_x="LMARGIN", new_y="NEXT")

    def heading(self, value: str, size: float = 14) -> None:
        self.ln(3)
        self.text_block(value, size, "B")
        self.ln(1)

    def simple_table(self, header: tuple[str, ...] | None, rows: list[tuple[str, ...]],
                     widths: tuple[int, ...]) -> None:
        if not rows:
            self.text_block("None.")
            return
        self.set_font("Sarabun", "", 9)
        with self.table(col_widths=widths, text_align="LEFT", first_row_as_headings=bool(header),
                        headings_style=FontFace(emphasis="BOLD"), line_height=5) as t:
            for row in ([header] if header else []) + list(rows):
                r = t.row()
                for value in row:
                    r.cell(value)

    def minutes_block(self, block) -> None:
        if block.kind.startswith("h"):
            self.text_block(block.text, max(15 - int(block.kind[1]), 10), "B")
        elif block.kind == "li":
            self.text_block(f"• {block.text}", indent=4 + 5 * block.level)
        elif block.kind == "quote":
            self.text_block(block.text, indent=6)
        elif block.kind == "code":
            self.text_block(block.text, 9, indent=4)
        else:
            self.text_block(block.text)


def to_pdf(record: Record) -> bytes:
    pdf = _RecordPDF(format="A4")
    pdf.record_title = record.title
    pdf.set_title(f"{record.title}: meeting record")
    use_platform_fonts(pdf)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    pdf.text_block(record.title, 20, "B")
    pdf.ln(2)
    pdf.simple_table(None, record.details, (1, 3))
    pdf.heading("Agenda")
    if not record.agenda:
        pdf.text_block("No agenda items.")
    for line in record.agenda:
        extra = ", ".join(x for x in (line.presenter, f"{line.minutes} min") if x)
        pdf.text_block(f"{line.number}. {line.title} ({extra})")
        for title in line.papers:
            pdf.text_block(f"Paper: {title}", 9, indent=6)
    pdf.heading("Participants")
    pdf.simple_table(("Name", "Organisation", "Reply", "Attended"), record.participants, (3, 3, 2, 1))
    pdf.heading("Decisions")
    pdf.simple_table(("Agenda item", "Decision"), record.decisions, (1, 2))
    pdf.heading("Action items")
    pdf.simple_table(("Action", "Owner", "Due", "Status", "Action line"), record.actions, (4, 3, 2, 2, 1))
    pdf.heading(record.minutes_heading)
    if record.minutes is None:
        pdf.text_block("The minutes are being drafted by the chair and ASEC; they are shared when circulated.")
    for block in record.minutes or []:
        pdf.minutes_block(block)
    return bytes(pdf.output())


@bp.get("/meetings/<int:meeting_id>/record.<any(pdf, docx):fmt>")
@guard("workspaces.view")
def export(meeting_id: int, fmt: str):
    meeting = load_meeting(meeting_id)
    record = gather(current_user, meeting)
    data = to_pdf(record) if fmt == "pdf" else to_docx(record)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", meeting.title).strip("-")
    return send_file(BytesIO(data), mimetype=MIMETYPES[fmt], as_attachment=True,
                     download_name=f"{slug}-record.{fmt}")
