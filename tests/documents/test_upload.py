"""Sharing documents through the upload page: files, names in any script, checks on content, refusals."""
from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from aocp.documents.filecheck import clean_name
from aocp.documents.models import Document, DocumentVersion
from aocp.extensions import db
from tests.conftest import csrf_token, post_form
from tests.documents.conftest import (
    UPLOAD_PAGE,
    audit_rows,
    count,
    fetch,
    filename_star,
    make_docx,
    make_pdf,
    make_zip,
    page_text,
    post_multipart,
    share,
    shared_id,
    stored_files,
    upload_root,
    versions_of,
)


def assert_nothing_stored(app) -> None:
    assert count(app, Document) == 0
    assert count(app, DocumentVersion) == 0
    assert stored_files(app) == []


def only_doc_id(app) -> int:
    with app.app_context():
        return db.session.execute(select(Document.id)).scalar_one()


# --- what is kept ------------------------------------------------------------------------------

def test_a_delegate_shares_one_file_with_its_details_and_lands_on_its_page(app, people, as_user):
    client = as_user(people["uploader"])
    data = b"Country report on nickel processing in Malaysia."
    r = share(client, (data, "report.txt"), title="Malaysia nickel report", description="Annual figures",
              doc_type="country_report", language="ms", body="WGTIM", action_line="ti1.1",
              tags="Nickel, ESG, nickel", access_level="body", access_body="WGTIM", note="Draft for WGTIM")
    doc_id = shared_id(r)
    page = page_text(client.get(f"/documents/{doc_id}"))
    assert "Malaysia nickel report" in page and "1 document shared." in page
    assert "#esg" in page and "#nickel" in page and "TI1.1" in page and "Members of WGTIM" in page
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        assert (doc.title, doc.description, doc.doc_type, doc.language) == (
            "Malaysia nickel report", "Annual figures", "country_report", "ms")
        assert (doc.org.code, doc.body.code, doc.action_line, doc.tag_names) == ("MYS", "WGTIM", "TI1.1",
                                                                                 ["esg", "nickel"])
        assert (doc.access_level, doc.access_body.code, doc.uploader_id) == ("body", "WGTIM", people["uploader"])
    [version] = versions_of(app, doc_id)
    assert (version["number"], version["size"], version["note"]) == (1, len(data), "Draft for WGTIM")
    assert version["sha256"] == hashlib.sha256(data).hexdigest()
    assert version["content_type"] == "text/plain"
    [path] = stored_files(app)
    assert path.name == version["key"] and path.read_bytes() == data
    [entry] = audit_rows(app, "document.uploaded")
    assert entry["actor"] == people["uploader"] and entry["target"] == str(doc_id)
    assert entry["access"] == {"level": "body", "body": "WGTIM", "orgs": [], "people": []}


def test_an_empty_title_takes_the_file_name(app, people, as_user):
    r = share(as_user(people["uploader"]), (make_pdf("Study"), "Mineral study 2026.pdf"))
    doc_id = shared_id(r)
    with app.app_context():
        assert db.session.get(Document, doc_id).title == "Mineral study 2026"


def test_several_files_in_one_post_become_several_documents_named_after_their_files(app, people, as_user):
    client = as_user(people["uploader"])
    r = share(client, (b"one", "first paper.txt"), (make_pdf("two"), "second.pdf"), (make_docx("three"), "third.docx"),
              title="Ignored for several files", tags="jwg")
    assert r.status_code == 302 and r.headers["Location"].endswith("/documents/?sort=created")
    assert "3 documents shared." in page_text(client.get(r.headers["Location"]))
    with app.app_context():
        docs = db.session.execute(select(Document).order_by(Document.id)).scalars().all()
        assert [d.title for d in docs] == ["first paper", "second", "third"]
        assert all(d.tag_names == ["jwg"] and d.version_count == 1 for d in docs)
        assert [d.current.content_type for d in docs] == [
            "text/plain", "application/pdf",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
    assert len(stored_files(app)) == 3
    assert len(audit_rows(app, "document.uploaded")) == 3


@pytest.mark.parametrize("name", [
    "รายงานประจำปี 2569.txt",  # Thai
    "របាយការណ៍ប្រចាំឆ្នាំ.txt",  # Khmer
    "矿产资源报告.txt",  # Chinese
    "Báo cáo khoáng sản.txt",  # Vietnamese
])
def test_names_in_any_script_are_kept_and_offered_back_on_download(app, people, as_user, name):
    client = as_user(people["uploader"])
    doc_id = shared_id(share(client, (b"text", name)))
    [version] = versions_of(app, doc_id)
    assert version["name"] == name
    with app.app_context():
        assert db.session.get(Document, doc_id).title == name.rsplit(".", 1)[0]
    assert name in page_text(client.get(f"/documents/{doc_id}"))
    r = fetch(client, f"/documents/{doc_id}/download")
    assert r.status_code == 200 and filename_star(r) == name


def test_a_decomposed_vietnamese_name_is_stored_composed(app, people, as_user):
    composed = "Báo cáo.txt"
    doc_id = shared_id(share(as_user(people["uploader"]), (b"x", unicodedata.normalize("NFD", composed))))
    assert versions_of(app, doc_id)[0]["name"] == composed


@pytest.mark.parametrize("sent, kept", [
    ("invoice\u202etxt.exe.txt", "invoicetxt.exe.txt"),  # right-to-left override hiding the real extension
    ("\u2066report\u2069\u200f.txt", "report.txt"),  # isolates and a right-to-left mark
    ("bell\x07\x1b[31m.txt", "bell[31m.txt"),  # control characters
    ("../../../tmp/notes.txt", "notes.txt"),  # a path
    ("../../etc/รายงาน.txt", "รายงาน.txt"),
])
def test_names_are_cleaned_of_control_bidi_characters_and_paths(app, people, as_user, sent, kept):
    doc_id = shared_id(share(as_user(people["uploader"]), (b"text", sent)))
    [version] = versions_of(app, doc_id)
    assert version["name"] == kept
    [path] = stored_files(app)
    assert path.name == version["key"] and path.parent.parent == upload_root(app)


@pytest.mark.parametrize("sent, kept", [
    ("C:\\Users\\me\\Desktop\\รายงาน.pdf", "รายงาน.pdf"),  # what old browsers send: the whole Windows path
    ("  ..hidden. ", "hidden"),
    ("\u202e\u200b", "file"),
    ("ก" * 300 + ".pdf", "ก" * 196 + ".pdf"),
])
def test_clean_name_keeps_the_last_part_of_a_windows_path_and_a_sane_length(sent, kept):
    assert clean_name(sent) == kept


# --- refusals ----------------------------------------------------------------------------------

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize("data, name, message", [
    (EXE, "report.pdf", "report.pdf: This file&#39;s content is not a .pdf file."),
    (HTML, "report.pdf", "report.pdf: This file&#39;s content is not a .pdf file."),
    (make_pdf("real pdf"), "report.docx", "report.docx: This file&#39;s content is not a .docx file."),
    (make_docx("a word file"), "sheet.xlsx", "sheet.xlsx: This file&#39;s content is not a .xlsx document."),
    (HTML, "page.png", "page.png: This file&#39;s content is not a .png file."),
    (EXE, "setup.exe", "setup.exe: Files of type .exe cannot be shared."),
    (HTML, "page.html", "page.html: Files of type .html cannot be shared."),
    (SVG, "logo.svg", "logo.svg: Files of type .svg cannot be shared."),
    (b"\x00\x01\x02 binary", "notes.txt", "notes.txt: This text file contains binary data."),
    ("Latin-1 caf\xe9 text".encode("latin-1"), "notes.txt", "notes.txt: Text files must be UTF-8 encoded."),
    (b"", "empty.txt", "empty.txt is empty."),
])
def test_a_file_whose_content_does_not_match_its_type_is_refused_and_nothing_is_kept(
        app, people, as_user, data, name, message):
    r = share(as_user(people["uploader"]), (data, name), title="Suspicious")
    assert r.status_code == 400
    assert message in page_text(r)
    assert_nothing_stored(app)


def test_a_zip_bomb_is_refused(app, people, as_user):
    bomb = make_zip({"zeros.bin": b"\x00" * (5 * 1024 * 1024)})
    assert len(bomb) < 64 * 1024
    r = share(as_user(people["uploader"]), (bomb, "data.zip"))
    assert r.status_code == 400
    assert "compressed suspiciously much (a possible zip bomb)" in page_text(r)
    assert_nothing_stored(app)


@pytest.mark.parametrize("entry", ["../../etc/cron.d/evil", "/etc/passwd", "..\\..\\evil.bat", "C:/Windows/evil"])
def test_a_zip_with_an_entry_escaping_its_folder_is_refused(app, people, as_user, entry):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("fine.txt", b"fine")
        zf.writestr(zipfile.ZipInfo(entry), b"evil")
    r = share(as_user(people["uploader"]), (buf.getvalue(), "bundle.zip"))
    assert r.status_code == 400
    assert "This archive contains a file with an unsafe path." in page_text(r)
    assert_nothing_stored(app)


def test_a_docx_carrying_a_zip_slip_entry_is_refused(app, people, as_user):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr("word/document.xml", b"<w:document/>")
        zf.writestr("../evil.sh", b"#!/bin/sh")
    r = share(as_user(people["uploader"]), (buf.getvalue(), "letter.docx"))
    assert r.status_code == 400 and "unsafe path" in page_text(r)
    assert_nothing_stored(app)


def test_an_ordinary_zip_is_accepted(app, people, as_user):
    doc_id = shared_id(share(as_user(people["uploader"]), (make_zip({"a/report.txt": b"x" * 500}), "bundle.zip")))
    assert versions_of(app, doc_id)[0]["content_type"] == "application/zip"


def test_a_file_above_the_size_limit_is_a_413_page_and_nothing_is_kept(app, people, as_user, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_FILE_SIZE", 1024 * 1024)
    r = share(as_user(people["uploader"]), (b"x" * (1024 * 1024 + 1), "big.txt"), title="Too big")
    assert r.status_code == 413
    page = page_text(r)
    assert "big.txt is larger than the limit of 1 MB." in page and "<form" in page
    assert_nothing_stored(app)


def test_a_file_at_the_size_limit_is_accepted(app, people, as_user, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_FILE_SIZE", 1024 * 1024)
    doc_id = shared_id(share(as_user(people["uploader"]), (b"x" * (1024 * 1024), "exact.txt")))
    assert versions_of(app, doc_id)[0]["size"] == 1024 * 1024


def test_a_request_above_the_whole_request_limit_is_a_413_page(app, people, as_user, monkeypatch):
    client = as_user(people["uploader"])
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    r = share(client, (b"x" * (128 * 1024), "big.txt"))
    assert r.status_code == 413
    assert "What you sent is larger than AOCP accepts." in page_text(r)
    assert_nothing_stored(app)


def test_the_progress_bar_upload_gets_413_json_naming_the_file(app, people, as_user, monkeypatch):
    client = as_user(people["uploader"])
    monkeypatch.setitem(app.config, "MAX_FILE_SIZE", 1024 * 1024)
    r = post_multipart(client, UPLOAD_PAGE, {"csrf_token": csrf_token(client, UPLOAD_PAGE), "org": "MYS",
                                             "doc_type": "study", "language": "en", "access_level": "asean",
                                             "files": FileStorage(io.BytesIO(b"x" * (1024 * 1024 + 10)), "big.txt")},
                       headers={"X-Requested-With": "aocp-upload"})
    assert r.status_code == 413
    assert r.get_json() == {"errors": {"files": ["big.txt is larger than the limit of 1 MB."]}}
    assert_nothing_stored(app)


def test_the_progress_bar_upload_gets_the_documents_address_as_json(app, people, as_user):
    client = as_user(people["uploader"])
    r = client.post(UPLOAD_PAGE, data={"csrf_token": csrf_token(client, UPLOAD_PAGE), "org": "MYS",
                                       "doc_type": "study", "language": "en", "access_level": "asean",
                                       "files": [(io.BytesIO(b"x"), "small.txt")]},
                    headers={"X-Requested-With": "aocp-upload"}, content_type="multipart/form-data")
    assert r.status_code == 200
    doc = only_doc_id(app)
    assert r.get_json() == {"redirect": f"/documents/{doc}"}


@pytest.mark.parametrize("fields, message", [
    ({"title": "   "}, "A title of 1 to 300 characters is required."),
    ({"title": "x" * 301}, "Field cannot be longer than 300 characters."),
    ({"doc_type": "secret_plan"}, "Not a valid choice"),
    ({"language": "xx"}, "Not a valid choice"),
    ({"org": ""}, "This field is required."),
    ({"action_line": "T1"}, "An action line code looks like TI1.1 or MD2.3."),
    ({"tags": "ok, <script>"}, "Tags may hold letters, digits, spaces"),
    ({"tags": ",".join(f"t{i}" for i in range(21))}, "At most 20 tags."),
    ({"access_level": "body", "access_body": ""}, "Choose the body whose members may see the document."),
    ({"access_level": "named"}, "Name at least one organisation or person."),
    ({"access_level": "named", "access_people": "nobody@example.org"}, "No account with the email nobody@example.org."),
    ({"access_level": "public"}, "Not a valid choice"),
])
def test_invalid_fields_re_render_the_form_with_the_message_and_store_nothing(app, people, as_user, fields, message):
    r = share(as_user(people["uploader"]), (b"Some text", "report.txt"), **{"title": "A report", **fields})
    assert r.status_code == 400
    page = page_text(r)
    assert message in page and 'class="errors"' in page
    assert_nothing_stored(app)


def test_posting_without_a_file_asks_for_one(app, people, as_user):
    r = share(as_user(people["uploader"]), title="No file")
    assert r.status_code == 400
    assert "Choose at least one file." in page_text(r)
    assert_nothing_stored(app)


def test_when_one_of_several_files_is_refused_none_is_kept(app, people, as_user):
    r = share(as_user(people["uploader"]), (b"fine", "fine.txt"), (make_pdf("ok"), "fine.pdf"), (EXE, "bad.pdf"))
    assert r.status_code == 400
    assert "bad.pdf: This file&#39;s content is not a .pdf file." in page_text(r)
    assert_nothing_stored(app)
    assert audit_rows(app, "document.uploaded") == []


def test_an_upload_without_its_csrf_token_is_refused(app, people, as_user):
    client = as_user(people["uploader"])
    r = client.post(UPLOAD_PAGE, data={"org": "MYS", "doc_type": "study", "language": "en", "access_level": "asean",
                                       "files": [(io.BytesIO(b"x"), "a.txt")]}, content_type="multipart/form-data")
    assert r.status_code == 400
    assert "Form expired" in page_text(r)
    assert_nothing_stored(app)


def test_an_observer_may_not_open_the_upload_page_or_post_to_it(app, people, as_user):
    client = as_user(people["observer"])
    assert client.get(UPLOAD_PAGE).status_code == 403
    assert "Share documents" not in page_text(client.get("/documents/"))
    r = client.post(UPLOAD_PAGE, data={"csrf_token": csrf_token(client, "/documents/"), "org": "JPN",
                                       "doc_type": "study", "language": "en", "access_level": "everyone",
                                       "files": [(io.BytesIO(b"x"), "a.txt")]}, content_type="multipart/form-data")
    assert r.status_code == 403
    assert_nothing_stored(app)
    assert [d["rule"] for d in audit_rows(app, "access.denied")] == ["documents.upload", "documents.upload"]


def test_signed_out_visitors_are_sent_to_sign_in(client):
    r = client.get(UPLOAD_PAGE)
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_opening_the_upload_page_from_a_body_proposes_that_bodys_audience(people, as_user):
    page = page_text(as_user(people["uploader"]).get(f"{UPLOAD_PAGE}?body=wgtim"))
    assert page.count('<option selected value="WGTIM">') == 2  # the body, and the body whose members may see it
    assert '<input checked id="access_level-2" name="access_level" type="radio" value="body">' in page


# --- changing details --------------------------------------------------------------------------

def test_the_uploader_changes_the_details_and_the_change_is_audited(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], title="Old title", tags=["old"])
    client = as_user(people["uploader"])
    r = post_form(client, f"/documents/{doc_id}/edit", {
        "title": "New title", "description": "Now described", "doc_type": "study", "language": "th",
        "org": "MYS", "body": "WGTIM", "action_line": "md2.3", "tags": "new, esg"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/documents/{doc_id}")
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        assert (doc.title, doc.doc_type, doc.org.code, doc.body.code, doc.action_line, doc.tag_names) == (
            "New title", "study", "MYS", "WGTIM", "MD2.3", ["esg", "new"])
    [entry] = audit_rows(app, "document.updated")
    assert entry["before"]["title"] == "Old title" and entry["after"]["tags"] == ["esg", "new"]


@pytest.mark.parametrize("fields, message", [
    ({"title": ""}, "A title is required."),
    ({"action_line": "nonsense"}, "An action line code looks like TI1.1 or MD2.3."),
    ({"org": "XXX"}, "Not a valid choice"),
])
def test_invalid_details_are_refused_and_nothing_changes(app, people, as_user, make_doc, fields, message):
    doc_id = make_doc(people["uploader"], title="Kept title")
    data = {"title": "Changed", "doc_type": "study", "language": "en", "org": "MYS", "body": "", "tags": "",
            "action_line": "", "description": ""}
    r = post_form(as_user(people["uploader"]), f"/documents/{doc_id}/edit", {**data, **fields})
    assert r.status_code == 400 and message in page_text(r)
    with app.app_context():
        assert db.session.get(Document, doc_id).title == "Kept title"
    assert audit_rows(app, "document.updated") == []
