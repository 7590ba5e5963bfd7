"""The papers pack: one streamed ZIP of the meeting's papers the person may open, in agenda order, with safe
names in any script and an index; the same through the API; memory flat however big the pack."""
from __future__ import annotations

import csv
import io
import tracemalloc
import zipfile

import pytest
from sqlalchemy import select

from aocp.audit import AuditEntry
from aocp.documents.models import Document, DocumentVersion
from aocp.documents.storage import storage
from aocp.extensions import db
from aocp.meetings import guests, services
from aocp.meetings.models import AgendaItem, Meeting
from aocp.meetings.papers_pack import safe_name
from tests.conftest import sign_in
from tests.meetings.conftest import make_doc, user


def attach(app, people, meeting_id, position, doc_id, name=None):
    with app.app_context():
        item = db.session.execute(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id,
                                                           AgendaItem.position == position)).scalar_one()
        services.attach_paper(user(people["chair"]), item, db.session.get(Document, doc_id))
        if name:
            db.session.execute(select(DocumentVersion).where(DocumentVersion.document_id == doc_id)
                               ).scalar_one().original_name = name
        db.session.commit()


def zip_of(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


@pytest.fixture
def papers(app, people, meeting):
    """On item 1 a Thai-named paper for WGTIM; on item 2 a paper only THA may open (named), a Vietnamese-named
    paper with a path in its name, and a deleted one."""
    with app.app_context():
        ids = {"thai": make_doc(people["mys"], "Thai paper"),
               "tha_only": make_doc(people["tha"], "Thailand's own note"),
               "viet": make_doc(people["mys"], "Vietnamese paper"),
               "gone": make_doc(people["mys"], "Deleted paper")}
    attach(app, people, meeting, 1, ids["thai"], "รายงานประเทศไทย.pdf")
    attach(app, people, meeting, 2, ids["tha_only"], "note.txt")
    attach(app, people, meeting, 2, ids["viet"], "../Báo cáo\x07 quốc gia/..\\x.docx")
    attach(app, people, meeting, 2, ids["gone"], "gone.txt")
    with app.app_context():
        from aocp.documents.models import DocumentGrant
        db.session.add(DocumentGrant(document_id=ids["tha_only"], org_id=user(people["tha"]).org_id))
        db.session.get(Document, ids["tha_only"]).access_level = "named"
        db.session.get(Document, ids["gone"]).deleted_at = db.session.get(Meeting, meeting).created_at
        db.session.commit()
    return ids


def test_two_people_get_the_papers_each_may_open_in_agenda_order(app, client, people, meeting, papers):
    sign_in(app, client, people["tha"])
    r = client.get(f"/meetings/{meeting}/papers.zip")
    assert "21st-WGTIM-Meeting-papers.zip" in r.headers["Content-Disposition"]
    zf = zip_of(r)
    assert zf.namelist() == ["index.csv", "01-Adoption of the agenda/รายงานประเทศไทย.pdf",
                             "02-Country reports/note.txt", "02-Country reports/Báo cáo quốc gia-..-x.docx"]
    assert zf.read("02-Country reports/note.txt") == b"Thailand's own note\n"
    index = list(csv.reader(io.StringIO(zf.read("index.csv").decode("utf-8-sig"))))
    assert index[0] == ["Item", "Agenda item", "Paper", "Organisation", "File"]
    assert [row[2] for row in index[1:]] == ["Thai paper", "Thailand's own note", "Vietnamese paper"]
    sign_in(app, client, people["mys"])  # MYS may not open THA's named note: left out, not named
    zf = zip_of(client.get(f"/meetings/{meeting}/papers.zip"))
    assert len(zf.namelist()) == 3 and "note.txt" not in str(zf.namelist())
    assert "Thailand" not in zf.read("index.csv").decode("utf-8-sig")
    with app.app_context():
        entries = db.session.execute(select(AuditEntry.action, AuditEntry.details)
                                     .where(AuditEntry.action.in_(("document.downloaded",
                                                                   "meeting.papers_downloaded")))).all()
        assert sum(a == "document.downloaded" for a, _ in entries) == 5  # 3 for THA, 2 for MYS
    sign_in(app, client, people["outsider"])
    assert client.get(f"/meetings/{meeting}/papers.zip").status_code == 404


def test_a_guest_gets_only_the_papers_shared_with_guests_once_published(app, client, people, meeting, papers,
                                                                       make_user):
    guest = make_user("observer", "CCOP", "rp@example.org", name="Rosa Resource")
    with app.app_context():
        m = db.session.get(Meeting, meeting)
        guests.invite_guest(user(people["chair"]), m, user(guest), "guest")
        guests.share_paper(user(people["chair"]), m, papers["viet"], True)
        db.session.commit()
    sign_in(app, client, guest)
    assert zip_of(client.get(f"/meetings/{meeting}/papers.zip")).namelist() == ["index.csv"]
    with app.app_context():
        services.publish_agenda(user(people["chair"]), db.session.get(Meeting, meeting))
        db.session.commit()
    names = zip_of(client.get(f"/meetings/{meeting}/papers.zip")).namelist()
    assert names == ["index.csv", "02-Country reports/Báo cáo quốc gia-..-x.docx"]


@pytest.mark.parametrize("raw, limit, expected", [
    ("a/b\\c:d.pdf", 100, "a-b-c-d.pdf"), ("..", 100, "paper"), ("\x00\x1f\u202e.txt", 100, "txt"),
    ("ก" * 200 + ".pdf", 50, "ก" * 46 + ".pdf"), ("Tiếng Việt  x.docx", 100, "Tiếng Việt x.docx")])
def test_safe_names_keep_any_script_and_drop_what_could_harm(raw, limit, expected):
    assert safe_name(raw, limit) == expected


def test_memory_stays_flat_while_a_big_pack_streams(app, client, people, meeting):
    size = 12 * 1024 * 1024
    block = bytes(range(256)) * 4096  # 1 MB
    for n in range(3):
        with app.app_context():
            doc = make_doc(people["mys"], f"Big paper {n}")
        attach(app, people, meeting, 2, doc, f"big-{n}.bin")
        with app.app_context():
            version = db.session.execute(select(DocumentVersion).where(DocumentVersion.document_id == doc)
                                         ).scalar_one()
            with open(storage().path(version.storage_key), "wb") as f:
                for _ in range(size // len(block)):
                    f.write(block)
            version.size = size
            db.session.commit()
    sign_in(app, client, people["tha"])
    r = client.get(f"/meetings/{meeting}/papers.zip", buffered=False)
    tracemalloc.start()
    total = 0
    try:
        for chunk in r.response:
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        r.close()
    assert total > 3 * size
    assert peak < 8 * 1024 * 1024, peak  # a few chunks, never the 36 MB pack
