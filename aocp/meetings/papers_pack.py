"""The papers pack: one ZIP of every paper of a meeting the person may open, in agenda order.

Entries are named `01-Agenda-item-title/original-name.ext` (any script kept; no path separators, no control
characters, no leading dots, length-limited; a name used twice in a folder gets " (2)"), with `index.csv`
listing item, agenda item, paper title, organisation and file. Papers the person may not open are left out,
not named. A guest of the meeting (`access.can_attend` without `can_view`) gets only the papers shared with
guests, once the agenda is published, as on their page.

The ZIP is written while it is sent: `zipfile` writes to a sink that the response drains after each chunk of a
file (unseekable, so entries carry data descriptors, ZIP64 when needed), so memory stays flat whatever the pack's
size. Each paper is audited as downloaded ("pack") before the first byte leaves.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from contextlib import closing
from dataclasses import dataclass
from typing import Iterator

from flask import Response
from flask_login import current_user
from sqlalchemy import select

from aocp import audit
from aocp.documents.access import visible_clause
from aocp.documents.downloads import ATTACHMENT_CSP, disposition
from aocp.documents.models import Document, DocumentVersion
from aocp.documents.storage import CHUNK, storage
from aocp.extensions import db
from aocp.meetings import bp
from aocp.meetings.access import can_view
from aocp.meetings.loading import load_attended
from aocp.meetings.models import AgendaItem, AgendaPaper, Meeting
from aocp.orgs.models import Organisation
from aocp.plans.pack_files import safe_cell
from aocp.policy import guard

FOLDER_CHARS = 60
FILE_CHARS = 100
UNSAFE = re.compile(r'[\\/:*?"<>|]+')


def safe_name(name: str, limit: int) -> str:
    """A file or folder name any system accepts: letters of any script kept, separators and reserved characters
    turned into "-", control and format characters dropped, at most `limit` characters (the extension kept)."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = " ".join(UNSAFE.sub("-", name).split()).strip(" .-") or "paper"
    stem, dot, ext = name.rpartition(".")
    if dot and stem and 0 < len(ext) <= 10 and len(name) > limit:
        return stem[:limit - len(ext) - 1].rstrip(" .-") + "." + ext
    return name[:limit].rstrip(" .-") or "paper"


@dataclass
class Entry:
    position: int
    item_title: str
    document_id: int
    title: str
    org_code: str
    version: int
    storage_key: str
    size: int
    path: str = ""


def entries(user, meeting: Meeting) -> list[Entry]:
    """The papers `user` may open, in agenda order, each with its newest version and its path in the ZIP."""
    stmt = (select(AgendaItem.position, AgendaItem.title.label("item_title"), Document.id, Document.title,
                   Organisation.code, DocumentVersion.number, DocumentVersion.storage_key, DocumentVersion.size,
                   DocumentVersion.original_name)
            .join(AgendaPaper, AgendaPaper.agenda_item_id == AgendaItem.id)
            .join(Document, Document.id == AgendaPaper.document_id)
            .join(Organisation, Organisation.id == Document.org_id)
            .join(DocumentVersion, (DocumentVersion.document_id == Document.id)
                  & (DocumentVersion.number == Document.version_count))
            .where(AgendaItem.meeting_id == meeting.id, visible_clause(user))
            .order_by(AgendaItem.position, Document.title, Document.id))
    if not can_view(user, meeting):  # a guest: what their page shows
        if meeting.agenda_published_at is None:
            return []
        stmt = stmt.where(AgendaPaper.for_guests.is_(True))
    found, used = [], set()
    for r in db.session.execute(stmt):
        folder = f"{r.position:02d}-{safe_name(r.item_title, FOLDER_CHARS)}"
        name, n = safe_name(r.original_name, FILE_CHARS), 1
        path = f"{folder}/{name}"
        while path.casefold() in used:
            n += 1
            stem, dot, ext = name.rpartition(".")
            path = f"{folder}/{stem} ({n}).{ext}" if dot and stem else f"{folder}/{name} ({n})"
        used.add(path.casefold())
        found.append(Entry(r.position, r.item_title, r.id, r.title, r.code, r.number, r.storage_key, r.size, path))
    return found


def index_csv(meeting: Meeting, found: list[Entry]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Item", "Agenda item", "Paper", "Organisation", "File"])
    for e in found:
        writer.writerow([e.position, safe_cell(e.item_title), safe_cell(e.title), e.org_code, safe_cell(e.path)])
    return out.getvalue().encode("utf-8-sig")


class _Sink(io.RawIOBase):
    """Where zipfile writes: bytes wait here until the response takes them (it cannot seek)."""

    def __init__(self):
        super().__init__()
        self._parts: list[bytes] = []
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def stream(meeting: Meeting, found: list[Entry]) -> Iterator[bytes]:
    """The ZIP's bytes, a chunk at a time: the index first, then each paper read in chunks. What needs the
    application (the storage, the index) is read now; the generator then only reads files."""
    return _chunks(storage(), index_csv(meeting, found), found)


def _chunks(store, index: bytes, found: list[Entry]) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr("index.csv", index)
        yield sink.take()
        for e in found:
            with zf.open(zipfile.ZipInfo(e.path, date_time=(1980, 1, 1, 0, 0, 0)), "w", force_zip64=True) as out, \
                    closing(store.open(e.storage_key)) as src:
                while chunk := src.read(CHUNK):
                    out.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


def pack_name(meeting: Meeting) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", meeting.title).strip("-") + "-papers.zip"


def response(user, meeting: Meeting, via: str) -> Response:
    """The streamed ZIP for `user`, each paper audited ("document.downloaded", via the pack) first."""
    found = entries(user, meeting)
    for e in found:
        audit.record("document.downloaded", user, ("document", e.document_id), {"version": e.version, "via": via})
    audit.record("meeting.papers_downloaded", user, meeting, {"papers": len(found), "via": via})
    db.session.commit()
    resp = Response(stream(meeting, found), mimetype="application/zip", direct_passthrough=True)
    resp.headers["Content-Disposition"] = disposition(pack_name(meeting))
    resp.headers["Content-Security-Policy"] = ATTACHMENT_CSP
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/meetings/<int:meeting_id>/papers.zip")
@guard("meetings.attend")
def papers_pack(meeting_id: int):
    """"Download all papers": the body's members, ASEC and the meeting's guests (each their own papers)."""
    return response(current_user, load_attended(meeting_id), "pack")
