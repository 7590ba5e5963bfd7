"""Downloads: always an attachment with the original name, the checked type, nosniff and a sandboxing CSP;
PDF preview inline only; ranges, conditional requests and hand-over to the web server."""
from __future__ import annotations

import hashlib
import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from aocp import audit
from aocp.accounts import services as accounts
from aocp.accounts.models import User
from aocp.documents import services
from aocp.documents.models import DocumentVersion
from aocp.extensions import db
from tests.documents.conftest import (
    audit_rows,
    fetch,
    filename_star,
    make_docx,
    make_pdf,
    make_xlsx,
    page_text,
    upload_root,
    versions_of,
)

PDF = make_pdf("Country report on nickel")
TEXT = b"0123456789abcdefghijklmnopqrstuvwxyz"


def test_a_thai_named_pdf_downloads_as_an_attachment_under_its_name(people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], data=PDF, filename="รายงานประเทศ.pdf")
    r = fetch(as_user(people["member"]), f"/documents/{doc_id}/download")
    assert r.status_code == 200 and r.data == PDF
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="document.pdf"; ')
    assert "filename*=UTF-8''%E0%B8%A3%E0%B8%B2%E0%B8%A2" in disposition
    assert filename_star(r) == "รายงานประเทศ.pdf"
    assert r.mimetype == "application/pdf"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "no-store" in r.headers["Cache-Control"]
    assert r.headers["Content-Length"] == str(len(PDF))


def test_an_ascii_fallback_keeps_what_it_can_of_a_vietnamese_name(people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], filename="Báo cáo khoáng sản.txt")
    r = fetch(as_user(people["uploader"]), f"/documents/{doc_id}/download")
    assert 'filename="Bao cao khoang san.txt"' in r.headers["Content-Disposition"]
    assert filename_star(r) == "Báo cáo khoáng sản.txt"


def test_a_name_with_quotes_and_semicolons_cannot_break_the_header(people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], filename='a"; filename=evil.html; x=".txt')
    r = fetch(as_user(people["uploader"]), f"/documents/{doc_id}/download")
    disposition = r.headers["Content-Disposition"]
    assert disposition.count('"') == 2 and "evil.html;" not in disposition
    assert filename_star(r) == 'a"; filename=evil.html; x=".txt'


@pytest.mark.parametrize("filename, data, mimetype", [
    ("sheet.xlsx", make_xlsx("x"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("letter.docx", make_docx("x"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("notes.txt", TEXT, "text/plain"),
    ("figures.csv", b"a,b\n1,2\n", "text/csv"),
], ids=["xlsx", "docx", "txt", "csv"])  # named by kind: an Office file's bytes carry the time it was made
def test_each_type_is_served_with_its_checked_content_type(people, as_user, make_doc, filename, data, mimetype):
    doc_id = make_doc(people["uploader"], data=data, filename=filename)
    r = fetch(as_user(people["uploader"]), f"/documents/{doc_id}/download")
    assert r.mimetype == mimetype and r.data == data
    assert r.headers["Content-Disposition"].startswith("attachment;")


def test_html_inside_a_text_file_is_sent_as_plain_text_to_save_never_to_render(people, as_user, make_doc):
    html = b"<html><body><script>fetch('/documents')</script></body></html>"
    doc_id = make_doc(people["uploader"], data=html, filename="page.txt")
    client = as_user(people["uploader"])
    r = fetch(client, f"/documents/{doc_id}/download")
    assert r.mimetype == "text/plain" and r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert fetch(client, f"/documents/{doc_id}/versions/1/preview").status_code == 404


@pytest.mark.parametrize("content_type", ["text/html", "image/svg+xml"])
def test_a_stored_html_or_svg_file_is_never_shown_inline(app, people, as_user, make_doc, content_type):
    # Such files cannot be uploaded; a row from elsewhere (an import, an older release) still must not render.
    doc_id = make_doc(people["uploader"], data=b"<svg onload=alert(1)>", filename="logo.txt")
    with app.app_context():
        version = db.session.execute(select(DocumentVersion).where(DocumentVersion.document_id == doc_id)).scalar_one()
        version.content_type, version.original_name = content_type, "logo.svg"
        db.session.commit()
    client = as_user(people["uploader"])
    r = fetch(client, f"/documents/{doc_id}/download")
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert fetch(client, f"/documents/{doc_id}/versions/1/preview").status_code == 404
    assert "Preview" not in fetch(client, f"/documents/{doc_id}").get_data(as_text=True)


def test_a_pdf_preview_is_inline_inside_a_sandboxing_csp(people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], data=PDF, filename="รายงาน.pdf")
    client = as_user(people["member"])
    assert f"/documents/{doc_id}/versions/1/preview" in fetch(client, f"/documents/{doc_id}").get_data(as_text=True)
    r = fetch(client, f"/documents/{doc_id}/versions/1/preview")
    assert r.status_code == 200 and r.data == PDF and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("inline;") and filename_star(r) == "รายงาน.pdf"
    csp = r.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script-src" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_a_range_request_answers_206_with_those_bytes(people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], data=TEXT, filename="alphabet.txt")
    client = as_user(people["uploader"])
    url = f"/documents/{doc_id}/download"
    r = fetch(client, url, headers={"Range": "bytes=10-15"})
    assert r.status_code == 206 and r.data == TEXT[10:16]
    assert r.headers["Content-Range"] == f"bytes 10-15/{len(TEXT)}" and r.headers["Content-Length"] == "6"
    assert r.headers["Accept-Ranges"] == "bytes"
    r = fetch(client, url, headers={"Range": "bytes=30-"})
    assert r.status_code == 206 and r.data == TEXT[30:]
    r = fetch(client, url, headers={"Range": "bytes=-4"})
    assert r.status_code == 206 and r.data == TEXT[-4:]


@pytest.mark.parametrize("header", [f"bytes={len(TEXT)}-", "bytes=500-600"])
def test_a_range_outside_the_file_answers_416(people, as_user, make_doc, header):
    doc_id = make_doc(people["uploader"], data=TEXT, filename="alphabet.txt")
    r = fetch(as_user(people["uploader"]), f"/documents/{doc_id}/download", headers={"Range": header})
    assert r.status_code == 416 and r.data == b""
    assert r.headers["Content-Range"] == f"bytes */{len(TEXT)}"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("header", ["bytes=z-a", "bytes=9-3", "pages=1-2"])
def test_a_malformed_range_is_refused_or_ignored_never_an_error(people, as_user, make_doc, header):
    doc_id = make_doc(people["uploader"], data=TEXT, filename="alphabet.txt")
    r = fetch(as_user(people["uploader"]), f"/documents/{doc_id}/download", headers={"Range": header})
    assert (r.status_code, r.data) in ((416, b""), (200, TEXT))


def test_the_etag_is_the_checksum_and_a_matching_conditional_request_answers_304(people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], data=TEXT, filename="alphabet.txt")
    client = as_user(people["uploader"])
    url = f"/documents/{doc_id}/versions/1/download"
    r = fetch(client, url)
    assert r.headers["ETag"] == f'"{hashlib.sha256(TEXT).hexdigest()}"'
    again = fetch(client, url, headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = fetch(client, url, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == TEXT


def test_with_x_accel_the_web_server_sends_the_bytes_after_the_policy_check(app, people, as_user, make_doc,
                                                                            monkeypatch):
    doc_id = make_doc(people["uploader"], data=PDF, filename="รายงาน.pdf", level="body", body="WGTIM")
    hidden_id = make_doc(people["uploader"], data=PDF, filename="secret.pdf", level="named", orgs=["THA"])
    monkeypatch.setitem(app.config, "DOWNLOAD_OFFLOAD", "x-accel:/protected-uploads/")
    client = as_user(people["member"])
    [version] = versions_of(app, doc_id)
    r = fetch(client, f"/documents/{doc_id}/download")
    assert r.status_code == 200 and r.data == b""
    assert r.headers["X-Accel-Redirect"] == f"/protected-uploads/documents/{version['key'][:2]}/{version['key']}"
    assert r.headers["Content-Disposition"].startswith("attachment;") and filename_star(r) == "รายงาน.pdf"
    assert r.mimetype == "application/pdf" and r.headers["X-Content-Type-Options"] == "nosniff"
    refused = fetch(client, f"/documents/{hidden_id}/download")
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused.headers


def test_with_x_sendfile_the_web_server_gets_the_files_path(app, people, as_user, make_doc, monkeypatch):
    doc_id = make_doc(people["uploader"], data=PDF, filename="report.pdf")
    monkeypatch.setitem(app.config, "DOWNLOAD_OFFLOAD", "x-sendfile")
    client = as_user(people["uploader"])
    [version] = versions_of(app, doc_id)
    r = fetch(client, f"/documents/{doc_id}/versions/1/preview")
    assert r.data == b""
    assert r.headers["X-Sendfile"] == str(upload_root(app) / version["key"][:2] / version["key"])
    assert r.headers["Content-Disposition"].startswith("inline;") and "sandbox" in r.headers["Content-Security-Policy"]


def test_signed_out_visitors_are_sent_to_sign_in_not_given_the_file(client, people, make_doc):
    doc_id = make_doc(people["uploader"], level="everyone")
    r = fetch(client, f"/documents/{doc_id}/download")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


# --- every download is audited ------------------------------------------------------------------

def _api_token(app, user_id: int) -> dict:
    with app.app_context():
        _token, raw = accounts.create_token(db.session.get(User, user_id), "tests", "read")
        db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.parametrize("url, via, version", [
    ("/documents/{id}/download", "page", 2), ("/documents/{id}/versions/1/download", "page", 1),
    ("/documents/{id}/versions/2/preview", "preview", 2), ("/api/v1/documents/{id}/download", "api", 2),
    ("/api/v1/documents/{id}/versions/1/download", "api", 1),
])
def test_each_download_route_writes_one_committed_entry_naming_person_version_and_route(
        app, people, as_user, make_doc, url, via, version):
    doc_id = make_doc(people["uploader"], data=PDF, filename="report.pdf")
    with app.app_context(), services.committing():
        doc = db.session.get(services.Document, doc_id)
        services.add_version(db.session.get(User, people["uploader"]), doc,
                             services.Upload(io.BytesIO(make_pdf("Second")), "report.pdf"), "")
    member = people["member"]
    if via == "api":
        r = fetch(app.test_client(), url.format(id=doc_id), headers=_api_token(app, member))
    else:
        r = fetch(as_user(member), url.format(id=doc_id))
    assert r.status_code == 200
    assert audit_rows(app, "document.downloaded") == [
        {"actor": member, "target": str(doc_id), "version": version, "via": via}]


def test_refused_downloads_write_no_download_entry(app, people, as_user, make_doc):
    hidden_id = make_doc(people["uploader"], level="named", orgs=["THA"])
    doc_id = make_doc(people["uploader"], data=TEXT, filename="alphabet.txt")
    outsider = as_user(people["member"])
    assert fetch(outsider, f"/documents/{hidden_id}/download").status_code == 404
    assert fetch(outsider, f"/documents/{hidden_id}/versions/1/preview").status_code == 404
    assert fetch(app.test_client(), f"/api/v1/documents/{hidden_id}/download",
                 headers=_api_token(app, people["member"])).status_code == 404
    assert fetch(outsider, f"/documents/{doc_id}/versions/9/download").status_code == 404
    assert fetch(outsider, f"/documents/{doc_id}/versions/1/preview").status_code == 404  # not a PDF
    assert fetch(app.test_client(), f"/documents/{doc_id}/download").status_code == 302  # signed out
    assert audit_rows(app, "document.downloaded") == []
    assert len(audit_rows(app, "access.denied")) == 3


def test_a_transfer_fetched_in_ranges_is_one_entry_and_a_304_none(people, as_user, make_doc, app):
    doc_id = make_doc(people["uploader"], data=TEXT, filename="alphabet.txt")
    client = as_user(people["member"])
    url = f"/documents/{doc_id}/download"
    first = fetch(client, url, headers={"Range": "bytes=0-9"})
    fetch(client, url, headers={"Range": "bytes=10-"})
    fetch(client, url, headers={"If-None-Match": first.headers["ETag"]})
    assert len(audit_rows(app, "document.downloaded")) == 1


def test_with_x_accel_the_entry_is_committed_before_the_web_server_sends_the_bytes(app, people, as_user, make_doc,
                                                                                    monkeypatch):
    doc_id = make_doc(people["uploader"], data=PDF, filename="report.pdf")
    monkeypatch.setitem(app.config, "DOWNLOAD_OFFLOAD", "x-accel:/protected-uploads/")
    r = fetch(as_user(people["member"]), f"/documents/{doc_id}/download")
    assert "X-Accel-Redirect" in r.headers
    assert [row["via"] for row in audit_rows(app, "document.downloaded")] == ["page"]


@pytest.mark.parametrize("viewer, sees", [("staff", True), ("admin", True), ("uploader", False), ("member", False)])
def test_asec_sees_downloads_in_the_documents_activity_and_delegates_do_not(app, people, as_user, make_doc,
                                                                          viewer, sees):
    doc_id = make_doc(people["uploader"], data=PDF, filename="report.pdf")
    fetch(as_user(people["member"]), f"/documents/{doc_id}/versions/1/preview")
    page = page_text(as_user(people[viewer]).get(f"/documents/{doc_id}"))
    activity = page[page.index('id="activity-h"'):]
    assert "shared the document" in activity
    assert ("member@example.org — previewed version 1" in activity) is sees
    assert (f"/admin/audit?target=document:{doc_id}" in activity) is (viewer == "admin")


def test_concurrent_downloads_each_get_their_entry_and_the_chain_stays_whole(app, people, as_user, make_doc):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite takes one writer at a time")
    doc_id = make_doc(people["uploader"], data=TEXT, filename="alphabet.txt")
    clients = [as_user(people[name]) for name in ("uploader", "member", "staff", "focal")]

    def download_five(client) -> list[int]:
        return [fetch(client, f"/documents/{doc_id}/download").status_code for _ in range(5)]

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = [s for batch in pool.map(download_five, clients) for s in batch]
    assert statuses == [200] * 20
    assert len(audit_rows(app, "document.downloaded")) == 20
    with app.app_context():
        assert audit.verify_chain()[0]
