"""The meeting record as PDF and DOCX: complete for the person asking, and never more than they may see."""
from __future__ import annotations

import io
import re
import time
from datetime import date, timedelta

import docx
import pypdf
import pytest

from aocp.documents import services as documents
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings import assignments, services
from aocp.meetings.models import Participant
from tests.conftest import body, org, sign_in
from tests.meetings._factories import make_meeting, make_people, meeting_of, user

NAMES = {"th": "สมชาย ใจดี", "km": "សុខ សុភាព", "vi": "Nguyễn Thị Hồng", "zh": "王小明", "ko": "김민수"}


@pytest.fixture
def cast(make_user):
    people = make_people(make_user)
    people["chinese"] = make_user("observer", org_code="CHN", email="wang@example.org",
                                  bodies={"WGTIM": "observer"}, name=NAMES["zh"])
    people["khmer"] = make_user("delegate", org_code="KHM", email="sok@example.org", bodies={"WGTIM": "member"},
                                name=NAMES["km"])
    people["korean"] = make_user("observer", org_code="KOR", email="kim@example.org",
                                 bodies={"WGTIM": "observer"}, name=NAMES["ko"])
    return people


def share(uploader_id: int, title: str, level: str, access_body: str | None = None) -> int:
    with documents.committing():
        doc = documents.create(user(uploader_id), documents.Upload(io.BytesIO(b"Country report text\n"), "report.txt"),
                               documents.Details(title=title, org=user(uploader_id).org, doc_type="country_report"),
                               documents.Access(level, body(access_body) if access_body else None, [], []))
    return doc.id


@pytest.fixture
def record(app, cast):
    """A WGTIM meeting with papers (one open to all, one only for WGSMD), RSVPs, a decision, an action item."""
    mid = make_meeting(app, cast["chair"], number=21)
    with app.app_context():
        m, chair = meeting_of(mid), user(cast["chair"])
        open_paper = share(cast["chair"], "Malaysia country report 2026", "everyone")
        secret_paper = share(cast["staff"], "Confidential WGSMD pricing note", "body", "WGSMD")
        services.attach_paper(chair, m.items[1], db.session.get(Document, open_paper))
        services.attach_paper(user(cast["staff"]), m.items[1], db.session.get(Document, secret_paper))
        services.rsvp(user(cast["member"]), m, "in_person")
        services.rsvp(user(cast["khmer"]), m, "online")
        services.invite(chair, m, [user(cast["chinese"]), user(cast["korean"])])
        services.record_attendance(chair, m, {cast["member"], cast["chair"]})
        services.add_decision(chair, m, "The meeting adopted the agenda.", m.items[0])
        assignments.add_action(chair, body("WGTIM"), assignments.ActionDetails("Circulate the nickel study",
                                                                         owner_org=org("VNM"),
                                                                         action_line="TI1.1"), m)
        services.save_minutes(chair, m, "# Opening\n\nThe chair **welcomed** delegates.\n\n- Item one\n", 1)
        db.session.commit()
    return mid


def download(client, mid: int, fmt: str):
    r = client.get(f"/meetings/{mid}/record.{fmt}")
    data = r.data
    r.close()
    return r, data


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += ["\t".join(c.text for c in row.cells) for row in table.rows]
    return "\n".join(parts)


def text_of(fmt: str, data: bytes) -> str:
    return pdf_text(data) if fmt == "pdf" else docx_text(data)


@pytest.mark.parametrize("fmt, mimetype", [
    ("pdf", "application/pdf"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")])
def test_the_record_is_an_attachment_with_a_proper_name(app, client, cast, record, fmt, mimetype):
    sign_in(app, client, cast["chair"])
    r, data = download(client, record, fmt)
    assert r.status_code == 200 and r.mimetype == mimetype
    assert r.headers["Content-Disposition"] == f"attachment; filename=21st-WGTIM-Meeting-record.{fmt}"
    assert data[:4] == (b"%PDF" if fmt == "pdf" else b"PK\x03\x04")


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_the_record_holds_every_part_of_the_meeting(app, client, cast, record, fmt):
    sign_in(app, client, cast["chair"])
    text = text_of(fmt, download(client, record, fmt)[1])
    for expected in ("21st WGTIM Meeting", "Working Group on Trade and Investment in Minerals", "Centara Grand",
                     "Thailand", "Asia/Bangkok".replace("_", " "),
                     "Agenda", "1. Adoption of the agenda", "2. Country reports", "Malaysia country report 2026",
                     "Participants", "Aminah binti Hassan", "Attending in person", "Attending online",
                     "No answer yet", "Decisions", "The meeting adopted the agenda.", "Action items",
                     "Circulate the nickel study", "Viet Nam", "TI1.1",
                     "Minutes: draft, not yet circulated or adopted", "Opening", "The chair welcomed delegates.",
                     "Item one"):
        assert expected in text, (fmt, expected)


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_non_latin_names_come_through(app, client, cast, record, fmt):
    sign_in(app, client, cast["chair"])
    text = text_of(fmt, download(client, record, fmt)[1])
    for script, name in NAMES.items():
        assert name in text, (fmt, script)


def test_the_pdf_embeds_fonts_for_thai_khmer_chinese_and_korean(app, client, cast, record):
    sign_in(app, client, cast["chair"])
    _, data = download(client, record, "pdf")
    fonts = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    assert {"Sarabun", "SarabunBold", "NotoSansKhmer", "DroidSansFallback", "NotoSansCJKKR"} <= fonts, fonts


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
@pytest.mark.parametrize("part", ["member", "body_observer", "partner", "chinese"])
def test_a_restricted_papers_title_never_reaches_someone_who_may_not_open_it(app, client, cast, record, fmt, part):
    sign_in(app, client, cast[part])
    r, data = download(client, record, fmt)
    assert r.status_code == 200
    text = text_of(fmt, data)
    assert "Confidential" not in text and "pricing note" not in text
    assert "Malaysia country report 2026" in text
    if fmt == "docx":
        assert b"Confidential" not in data  # not in any part of the package either


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_asec_staff_see_every_paper_in_the_record(app, client, cast, record, fmt):
    sign_in(app, client, cast["staff"])
    text = text_of(fmt, download(client, record, fmt)[1])
    assert "Confidential WGSMD pricing note" in text and "Malaysia country report 2026" in text


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_members_see_no_uncirculated_draft_but_the_adopted_minutes_marked_so(app, client, cast, record, fmt):
    sign_in(app, client, cast["member"])
    text = text_of(fmt, download(client, record, fmt)[1])
    assert "welcomed" not in text and "shared when circulated" in text
    with app.app_context():
        m, chair = meeting_of(record), user(cast["chair"])
        services.circulate_minutes(chair, m)
        services.adopt_minutes(chair, m)
        db.session.commit()
    text = text_of(fmt, download(client, record, fmt)[1])
    assert "The chair welcomed delegates." in text
    assert re.search(r"Minutes \(adopted \d\d \w{3} \d{4}\)", text)


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_outsiders_get_no_record(app, client, cast, record, fmt):
    sign_in(app, client, cast["outsider"])
    r, data = download(client, record, fmt)
    assert r.status_code == 404 and b"21st WGTIM" not in data


def test_signed_out_visitors_get_no_record(client, record):
    r = client.get(f"/meetings/{record}/record.pdf")
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]


def test_an_unknown_format_is_not_found(app, client, cast, record):
    sign_in(app, client, cast["chair"])
    assert client.get(f"/meetings/{record}/record.html").status_code == 404


def test_an_empty_meeting_exports_too(app, client, cast):
    with app.app_context():
        m = services.create_meeting(user(cast["staff"]), body("JWG"),
                                    services.MeetingDetails(starts_on=meeting_date(), ends_on=meeting_date()))
        db.session.execute(db.delete(Participant).where(Participant.meeting_id == m.id))
        db.session.commit()
        mid = m.id
    sign_in(app, client, cast["staff"])
    for fmt in ("pdf", "docx"):
        r, data = download(client, mid, fmt)
        assert r.status_code == 200
        text = text_of(fmt, data)
        assert "No agenda items." in text and "None." in text


def test_a_long_record_spans_pages_quickly(app, client, cast, record):
    with app.app_context():
        m, chair = meeting_of(record), user(cast["chair"])
        long_text = "\n\n".join(f"## Item {n}\n\nDiscussion of item {n}: " + "ข้อความภาษาไทย " * 40
                                for n in range(60))
        services.save_minutes(chair, m, long_text, services.minutes_of(m).version)
        db.session.commit()
    sign_in(app, client, cast["chair"])
    started = time.monotonic()
    r, data = download(client, record, "pdf")
    assert r.status_code == 200 and time.monotonic() - started < 20
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 3
    assert "Item 59" in reader.pages[-1].extract_text() or "Item 59" in pdf_text(data)


def meeting_date() -> date:
    return date.today() + timedelta(days=10)
