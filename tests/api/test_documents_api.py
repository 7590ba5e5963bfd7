"""The documents JSON API: upload, safety checks, visibility, versions, downloads, access, search, trash."""
from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from aocp.audit import AuditEntry
from aocp.documents.models import Document, DocumentVersion
from aocp.extensions import db
from tests.api.conftest import assert_error, bearer
from tests.documents.files import make_docx, make_pdf, make_xlsx, make_zip

API = "/api/v1/documents"


# --- files --------------------------------------------------------------------------------

def upload(client, headers, filename: str, data: bytes, **fields):
    return client.post(API, data={"file": (io.BytesIO(data), filename), **fields}, headers=headers,
                       content_type="multipart/form-data")


def new_version(client, headers, doc_id: int, filename: str, data: bytes, **fields):
    return client.post(f"{API}/{doc_id}/versions", data={"file": (io.BytesIO(data), filename), **fields},
                       headers=headers, content_type="multipart/form-data")


def get(client, url, headers, **kwargs):
    """GET, read the whole body and close the response (a download holds its file open until then)."""
    r = client.get(url, headers=headers, **kwargs)
    r.get_data()
    r.close()
    return r


def stored_files(app) -> set[str]:
    root = Path(app.config["UPLOAD_DIR"]) / "documents"
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def denials(app) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(select(AuditEntry).where(AuditEntry.action == "access.denied")
                                  .order_by(AuditEntry.id)).scalars()
        return [{"actor": e.actor_id, **json.loads(e.details)} for e in rows]


def filename_star(response) -> str:
    match = re.search(r"filename\*=UTF-8''([^;\s]+)", response.headers["Content-Disposition"])
    assert match, response.headers["Content-Disposition"]
    return unquote(match.group(1))


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


@pytest.fixture
def people(make_user, make_token):
    """Write-scope tokens for: the uploader (Malaysia) and another member of WGTIM (Indonesia), a Philippine
    and a Thai delegate in no body, an observer from Japan, and ASEC staff; "ids" holds their user ids."""
    uids = {
        "uploader": make_user("delegate", org_code="MYS", email="uploader@example.org", name="Uma Uploader",
                              bodies={"WGTIM": "member"}),
        "member": make_user("delegate", org_code="IDN", email="member@example.org", name="Mira Member",
                            bodies={"WGTIM": "member"}),
        "outsider": make_user("delegate", org_code="PHL", email="outsider@example.org", name="Oscar Outsider"),
        "thai": make_user("delegate", org_code="THA", email="thai@example.org", name="Thanom Thai"),
        "observer": make_user("observer", org_code="JPN", email="observer@example.org", name="Obi Observer"),
        "staff": make_user("asec_staff", email="staff@example.org", name="Sari Staff"),
    }
    people = {name: bearer(make_token(uid, "write")) for name, uid in uids.items()}
    people["ids"] = uids
    return people


@pytest.fixture
def wgtim_doc(client, people):
    """A text document at the "body" level (members of WGTIM), with a word to search for."""
    r = upload(client, people["uploader"], "minutes.txt", b"Minutes about molybdenum smelting in the region.",
               title="WGTIM restricted minutes", access="body", access_body="WGTIM", tags="minutes, wgtim")
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["id"]


# --- upload -----------------------------------------------------------------------------------

def test_a_delegate_uploads_a_pdf_with_a_thai_name_and_downloads_it_under_that_name(app, client, people):
    data = make_pdf("Country report on nickel")
    r = upload(client, people["uploader"], "รายงาน.pdf", data)
    assert r.status_code == 201, r.get_data(as_text=True)
    doc = r.get_json()
    assert doc["title"] == "รายงาน"  # the file name without its extension
    assert doc["org"] == "MYS" and doc["type"] == "other" and doc["language"] == "en"
    assert doc["access"]["level"] == "asean" and doc["uploader"]["id"] == people["ids"]["uploader"]
    assert doc["version_count"] == 1 and len(doc["versions"]) == 1
    version = doc["current_version"]
    assert version["name"] == "รายงาน.pdf" and version["content_type"] == "application/pdf"
    assert version["size"] == len(data) and version["sha256"] == hashlib.sha256(data).hexdigest()
    assert r.headers["Location"].endswith(f"{API}/{doc['id']}")

    d = get(client, version["download_url"], people["thai"])  # ASEAN level: any Member State
    assert d.status_code == 200
    assert d.data == data
    assert filename_star(d) == "รายงาน.pdf"
    assert d.headers["Content-Disposition"].startswith('attachment; filename="document.pdf"')
    assert d.mimetype == "application/pdf"
    assert d.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert d.headers["X-Content-Type-Options"] == "nosniff"
    assert d.headers["ETag"].strip('"') == version["sha256"]
    newest = get(client, f"{API}/{doc['id']}/download", people["uploader"])
    assert newest.status_code == 200 and newest.data == data and filename_star(newest) == "รายงาน.pdf"


def test_upload_fields_are_stored_as_sent(client, people):
    r = upload(client, people["uploader"], "study.txt", b"A study of rare earths.", title="  Rare   earths study ",
               description="Line one\nLine two", type="study", language="th", org="mys", body="WGTIM",
               action_line="ti1.1", tags="Rare Earths, ESG", access="named", access_orgs="PHL,idn",
               access_people=f"thai@example.org,{people['ids']['observer']}", note="Draft for comment")
    assert r.status_code == 201, r.get_data(as_text=True)
    doc = r.get_json()
    assert doc["title"] == "Rare earths study" and doc["description"] == "Line one\nLine two"
    assert (doc["type"], doc["language"], doc["org"], doc["body"]) == ("study", "th", "MYS", "WGTIM")
    assert doc["action_line"] == "TI1.1" and doc["tags"] == ["esg", "rare earths"]
    assert doc["access"]["level"] == "named" and doc["access"]["orgs"] == ["IDN", "PHL"]
    assert [p["id"] for p in doc["access"]["people"]] == sorted([people["ids"]["thai"], people["ids"]["observer"]])
    assert doc["versions"][0]["note"] == "Draft for comment"
    assert doc["can_edit"] is True and doc["why"] == "you uploaded it"


def test_a_body_given_without_an_access_level_takes_the_bodys_default(client, people):
    r = upload(client, people["uploader"], "paper.txt", b"Meeting paper.", body="wgtim")
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["access"]["level"] == "body" and r.get_json()["access"]["body"] == "WGTIM"


def test_a_text_file_named_pdf_is_refused_and_nothing_is_kept(app, client, people):
    before = stored_files(app)
    r = upload(client, people["uploader"], "report.pdf", b"just some text, not a PDF")
    error = assert_error(r, 422, "validation_error")
    assert "file" in error["fields"] and "not a .pdf" in error["fields"]["file"]
    assert count(app, Document) == 0
    assert stored_files(app) == before


def test_a_zip_with_an_entry_escaping_its_folder_is_refused(app, client, people):
    before = stored_files(app)
    r = upload(client, people["uploader"], "bundle.zip", make_zip({"ok.txt": b"fine", "../../etc/evil.sh": b"x"}))
    error = assert_error(r, 422)
    assert "unsafe path" in error["fields"]["file"]
    assert count(app, Document) == 0 and stored_files(app) == before


def test_a_zip_bomb_is_refused(app, client, people):
    bomb = make_zip({"zeros.bin": bytes(50 * 1024 * 1024)})
    assert len(bomb) < 200_000  # small on the wire, 50 MB when expanded
    before = stored_files(app)
    r = upload(client, people["uploader"], "bomb.zip", bomb)
    error = assert_error(r, 422)
    assert "zip bomb" in error["fields"]["file"]
    assert count(app, Document) == 0 and stored_files(app) == before


def test_a_plain_zip_is_accepted(client, people):
    r = upload(client, people["uploader"], "bundle.zip", make_zip({"a/readme.txt": b"hello", "b.csv": b"1,2"}))
    assert r.status_code == 201 and r.get_json()["current_version"]["content_type"] == "application/zip"


def test_an_observer_may_not_upload_and_the_refusal_is_audited(app, client, people):
    r = upload(client, people["observer"], "report.txt", b"hello")
    assert_error(r, 403, "forbidden")
    assert count(app, Document) == 0
    assert denials(app)[-1] == {"actor": people["ids"]["observer"], "rule": "documents.upload",
                                "path": API, "method": "POST"}


def test_a_read_scope_token_may_list_but_not_upload(client, people, make_token):
    read = bearer(make_token(people["ids"]["uploader"], "read"))
    assert client.get(API, headers=read).status_code == 200
    assert_error(upload(client, read, "report.txt", b"hello"), 403, "insufficient_scope")


def test_no_token_no_upload(client):
    r = client.post(API, data={"file": (io.BytesIO(b"hello"), "a.txt")}, content_type="multipart/form-data")
    assert_error(r, 401, "unauthorized")


@pytest.mark.parametrize("fields, field", [
    ({"org": "XYZ"}, "org"),
    ({"body": "NOPE"}, "body"),
    ({"type": "novel"}, "type"),
    ({"language": "xx"}, "language"),
    ({"action_line": "whatever"}, "action_line"),
    ({"tags": "ok, <script>"}, "tags"),
    ({"access": "world"}, "access"),
    ({"access": "body"}, "access_body"),
    ({"access": "body", "access_body": "NOPE"}, "access_body"),
    ({"access": "named"}, "access_orgs"),
    ({"access": "named", "access_orgs": "MYS,ZZZ"}, "access_orgs"),
    ({"access": "named", "access_people": "nobody@example.org"}, "access_people"),
    ({"access": "named", "access_people": "99999"}, "access_people"),
    ({"title": "x" * 301}, "title"),
    ({"title": "bad\x00title"}, "title"),
    ({"title": "bad\x1btitle"}, "title"),
    ({"description": "nul\x00here"}, "description"),
    ({"access_level": "asean"}, "access_level"),  # the API's name is `access`: unknown fields are refused
    ({"title": ["one", "two"]}, "title"),  # sent twice
])
def test_upload_validation_answers_422_naming_the_field(app, client, people, fields, field):
    before = stored_files(app)
    r = upload(client, people["uploader"], "report.txt", b"hello", **fields)
    error = assert_error(r, 422, "validation_error")
    assert field in error["fields"], error
    assert count(app, Document) == 0 and stored_files(app) == before


def test_an_upload_needs_exactly_one_file_part(client, people):
    headers = people["uploader"]
    assert "file" in assert_error(client.post(API, data={"title": "No file"}, headers=headers,
                                              content_type="multipart/form-data"), 422)["fields"]
    two = {"file": [(io.BytesIO(b"one"), "a.txt"), (io.BytesIO(b"two"), "b.txt")]}
    error = assert_error(client.post(API, data=two, headers=headers, content_type="multipart/form-data"), 422)
    assert "one file per request" in error["fields"]["file"]
    assert_error(client.post(API, json={"title": "x"}, headers=headers), 400)


# --- visibility -------------------------------------------------------------------------------------

def test_a_body_level_document_is_not_found_by_anyone_outside_the_body(app, client, people, wgtim_doc):
    urls = [f"{API}/{wgtim_doc}", f"{API}/{wgtim_doc}/download", f"{API}/{wgtim_doc}/versions",
            f"{API}/{wgtim_doc}/versions/1/download", f"{API}/{wgtim_doc}/access"]
    missing = client.get(f"{API}/{wgtim_doc + 1000}", headers=people["outsider"])
    for who in ("outsider", "observer"):
        for url in urls:
            r = get(client, url, people[who])
            error = assert_error(r, 404, "not_found")
            assert error == assert_error(missing, 404, "not_found")  # the same answer as for no document at all
            assert b"molybdenum" not in r.data and b"WGTIM restricted" not in r.data
        assert denials(app)[-1] == {"actor": people["ids"][who], "rule": "documents.view",
                                    "path": urls[-1], "method": "GET"}
    for who in ("member", "staff", "uploader"):
        for url in urls:
            assert get(client, url, people[who]).status_code == 200, (who, url)


def test_changes_to_a_hidden_document_are_not_found_either(app, client, people, wgtim_doc):
    outsider = people["outsider"]
    assert_error(client.patch(f"{API}/{wgtim_doc}", json={"title": "Mine now"}, headers=outsider), 404)
    assert_error(client.put(f"{API}/{wgtim_doc}/access", json={"level": "everyone"}, headers=outsider), 404)
    assert_error(client.delete(f"{API}/{wgtim_doc}", headers=outsider), 404)
    assert_error(new_version(client, outsider, wgtim_doc, "v2.txt", b"replaced"), 404)
    with app.app_context():
        doc = db.session.get(Document, wgtim_doc)
        assert (doc.title, doc.access_level, doc.deleted_at, doc.version_count) == \
            ("WGTIM restricted minutes", "body", None, 1)


def test_a_body_level_document_is_absent_from_lists_and_search_for_outsiders(client, people, wgtim_doc):
    other = upload(client, people["uploader"], "open.txt", b"Open note about molybdenum prices.",
                   title="Open note", access="everyone").get_json()["id"]
    for who in ("outsider", "observer"):
        assert ids(client.get(API, headers=people[who])) == [other]
        assert ids(client.get(API, query_string={"q": "molybdenum"}, headers=people[who])) == [other]
        assert ids(client.get(API, query_string={"q": "restricted"}, headers=people[who])) == []
        assert ids(client.get(API, query_string={"body": "", "access": "body"}, headers=people[who])) == []
        assert client.get(API, headers=people[who]).get_json()["total"] == 1
    for who in ("member", "staff"):
        assert sorted(ids(client.get(API, headers=people[who]))) == sorted([wgtim_doc, other])
        assert ids(client.get(API, query_string={"q": "restricted"}, headers=people[who])) == [wgtim_doc]
        assert sorted(ids(client.get(API, query_string={"q": "molybdenum"}, headers=people[who]))) == \
            sorted([wgtim_doc, other])


def test_a_named_document_opens_for_the_named_organisation_only(client, people):
    r = upload(client, people["uploader"], "bilateral.txt", b"Bilateral cooperation note.", access="named",
               access_orgs="PHL")
    doc_id = r.get_json()["id"]
    seen = client.get(f"{API}/{doc_id}", headers=people["outsider"])  # from the Philippines
    assert seen.status_code == 200 and "the uploader named Philippines" == seen.get_json()["why"]
    assert seen.get_json()["can_edit"] is False
    for who in ("thai", "member", "observer"):
        assert_error(client.get(f"{API}/{doc_id}", headers=people[who]), 404)
        assert doc_id not in ids(client.get(API, headers=people[who]))
    assert doc_id in ids(client.get(API, headers=people["outsider"]))


def test_changing_access_through_the_api_moves_who_can_open_it_and_is_audited(app, client, people):
    doc_id = upload(client, people["uploader"], "note.txt", b"Note.", access="named",
                    access_orgs="PHL").get_json()["id"]
    r = client.put(f"{API}/{doc_id}/access", headers=people["uploader"],
                   json={"level": "named", "people": ["THAI@example.org"], "orgs": []})
    assert r.status_code == 200, r.get_data(as_text=True)
    data = r.get_json()
    assert data["access"]["level"] == "named" and data["access"]["orgs"] == []
    assert data["access"]["people"] == [{"id": people["ids"]["thai"], "name": "Thanom Thai"}]
    reasons = {p["id"]: p["reason"] for p in data["people"]}
    assert reasons[people["ids"]["thai"]] == "the uploader named you"
    assert reasons[people["ids"]["staff"]] == "ASEC staff see every document"
    assert people["ids"]["outsider"] not in reasons
    assert client.get(f"{API}/{doc_id}", headers=people["thai"]).status_code == 200
    assert_error(client.get(f"{API}/{doc_id}", headers=people["outsider"]), 404)
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "document.access_changed")
                                   ).scalar_one()
        change = json.loads(entry.details)
    assert change["before"]["orgs"] == ["PHL"] and change["after"]["people"] == [people["ids"]["thai"]]

    r = client.put(f"{API}/{doc_id}/access", json={"level": "body", "body": "wgtim"}, headers=people["uploader"])
    assert r.status_code == 200 and r.get_json()["access"]["body"] == "WGTIM"
    assert any("members of WGTIM" in g for g in r.get_json()["groups"])
    assert client.get(f"{API}/{doc_id}", headers=people["member"]).status_code == 200
    assert_error(client.get(f"{API}/{doc_id}", headers=people["thai"]), 404)


@pytest.mark.parametrize("body, field", [
    ({}, "level"), ({"level": "world"}, "level"), ({"level": "body"}, "body"), ({"level": "body", "body": 7}, "body"),
    ({"level": "named"}, "orgs"), ({"level": "named", "people": [True]}, "people"),
    ({"level": "named", "people": ["ghost@example.org"]}, "people"), ({"level": "named", "orgs": "ZZZ"}, "orgs"),
    ({"level": "everyone", "who": "me"}, "who"),
])
def test_access_changes_are_validated(app, client, people, body, field):
    doc_id = upload(client, people["uploader"], "note.txt", b"Note.", access="asean").get_json()["id"]
    error = assert_error(client.put(f"{API}/{doc_id}/access", json=body, headers=people["uploader"]), 422)
    assert field in error["fields"], error
    with app.app_context():
        assert db.session.get(Document, doc_id).access_level == "asean"


def test_someone_who_may_open_but_not_change_a_document_gets_403(app, client, people, wgtim_doc):
    member = people["member"]
    assert_error(client.patch(f"{API}/{wgtim_doc}", json={"title": "Hijacked"}, headers=member), 403, "forbidden")
    assert_error(client.put(f"{API}/{wgtim_doc}/access", json={"level": "everyone"}, headers=member), 403)
    assert_error(client.delete(f"{API}/{wgtim_doc}", headers=member), 403)
    assert_error(new_version(client, member, wgtim_doc, "v2.txt", b"other"), 403)
    assert denials(app)[-1]["rule"] == "documents.edit"
    with app.app_context():
        doc = db.session.get(Document, wgtim_doc)
        assert (doc.title, doc.access_level, doc.deleted_at, doc.version_count) == \
            ("WGTIM restricted minutes", "body", None, 1)


# --- versions, downloads, ranges ----------------------------------------------------------------------

def test_a_new_version_gets_the_next_number_and_each_version_downloads_its_own_bytes(app, client, people):
    first, second = b"First draft of the report.", b"Second draft of the report, with annex."
    doc_id = upload(client, people["uploader"], "report.txt", first).get_json()["id"]
    r = new_version(client, people["uploader"], doc_id, "report v2.txt", second, note="Added the annex")
    assert r.status_code == 201, r.get_data(as_text=True)
    v2 = r.get_json()
    assert v2["number"] == 2 and v2["note"] == "Added the annex" and v2["name"] == "report v2.txt"
    assert v2["sha256"] == hashlib.sha256(second).hexdigest()

    doc = client.get(f"{API}/{doc_id}", headers=people["thai"]).get_json()
    assert doc["version_count"] == 2 and [v["number"] for v in doc["versions"]] == [2, 1]
    assert doc["current_version"]["number"] == 2
    for number, data in ((1, first), (2, second)):
        d = get(client, f"{API}/{doc_id}/versions/{number}/download", people["thai"])
        assert d.status_code == 200 and d.data == data
        assert d.headers["ETag"].strip('"') == hashlib.sha256(data).hexdigest()
    assert get(client, f"{API}/{doc_id}/download", people["thai"]).data == second
    listed = client.get(f"{API}/{doc_id}/versions", headers=people["thai"]).get_json()["items"]
    assert [(v["number"], v["sha256"]) for v in listed] == [(2, hashlib.sha256(second).hexdigest()),
                                                            (1, hashlib.sha256(first).hexdigest())]
    assert_error(client.get(f"{API}/{doc_id}/versions/3/download", headers=people["thai"]), 404)


def test_a_refused_new_version_leaves_the_document_as_it_was(app, client, people):
    doc_id = upload(client, people["uploader"], "report.txt", b"First.").get_json()["id"]
    before = stored_files(app)
    error = assert_error(new_version(client, people["uploader"], doc_id, "report.pdf", b"not a pdf"), 422)
    assert "file" in error["fields"]
    assert "file" in assert_error(client.post(f"{API}/{doc_id}/versions", data={"note": "no file"},
                                              headers=people["uploader"], content_type="multipart/form-data"),
                                  422)["fields"]
    with app.app_context():
        assert db.session.get(Document, doc_id).version_count == 1
        assert db.session.scalar(select(func.count(DocumentVersion.id))) == 1
    assert stored_files(app) == before


def test_a_range_request_answers_206_with_those_bytes(client, people):
    data = b"".join(f"line {i:05d}\n".encode() for i in range(2000))
    doc_id = upload(client, people["uploader"], "lines.txt", data).get_json()["id"]
    r = get(client, f"{API}/{doc_id}/download", {**people["uploader"], "Range": "bytes=100-199"})
    assert r.status_code == 206
    assert r.data == data[100:200]
    assert r.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    tail = get(client, f"{API}/{doc_id}/versions/1/download", {**people["uploader"], "Range": "bytes=-12"})
    assert tail.status_code == 206 and tail.data == data[-12:]


# --- size limits --------------------------------------------------------------------------------------

@pytest.fixture
def small_limit(app):
    saved = app.config["MAX_FILE_SIZE"]
    app.config["MAX_FILE_SIZE"] = 1000
    yield 1000
    app.config["MAX_FILE_SIZE"] = saved


def test_a_file_larger_than_the_apis_json_limit_but_within_the_file_limit_is_accepted(app, client, people):
    data = b"0123456789abcdef" * (app.config["API_MAX_CONTENT_LENGTH"] // 16 + 4096)  # about 1 MB + 64 KB
    assert app.config["API_MAX_CONTENT_LENGTH"] < len(data) < app.config["MAX_FILE_SIZE"]
    # Encoded here: the test client would spool a body this large to a file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), "big.txt", content_type="text/plain"),
                                       "title": "Big"})
    r = client.post(API, data=body, headers=people["uploader"],
                    content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["current_version"]["size"] == len(data)
    assert get(client, f"{API}/{r.get_json()['id']}/download", people["uploader"]).data == data


def test_a_file_above_the_limit_is_413_and_leaves_no_row_and_no_file(app, client, people, small_limit):
    before = stored_files(app)
    r = upload(client, people["uploader"], "big.txt", b"a" * 5000)
    error = assert_error(r, 413, "too_large")
    assert "larger than" in error["message"]
    assert count(app, Document) == 0 and count(app, DocumentVersion) == 0
    assert stored_files(app) == before
    assert upload(client, people["uploader"], "small.txt", b"a" * 1000).status_code == 201


def test_a_request_far_above_the_limit_is_413_before_it_is_read(app, client, people, small_limit):
    before = stored_files(app)
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(b"a" * (small_limit + 1024 * 1024 + 10)),
                                                           "huge.txt", content_type="text/plain")})
    r = client.post(API, data=body, headers=people["uploader"],
                    content_type=f"multipart/form-data; boundary={boundary}")
    assert_error(r, 413)
    assert count(app, Document) == 0 and stored_files(app) == before


def test_a_new_version_above_the_limit_is_413_and_changes_nothing(app, client, people, small_limit):
    doc_id = upload(client, people["uploader"], "report.txt", b"small").get_json()["id"]
    before = stored_files(app)
    assert_error(new_version(client, people["uploader"], doc_id, "report.txt", b"b" * 2000), 413, "too_large")
    with app.app_context():
        assert db.session.get(Document, doc_id).version_count == 1
    assert stored_files(app) == before


# --- details --------------------------------------------------------------------------------------------

def test_patch_changes_only_the_fields_sent_and_reindexes(app, client, people, wgtim_doc):
    r = client.patch(f"{API}/{wgtim_doc}", headers=people["uploader"],
                     json={"title": "Tungsten working notes", "tags": ["tungsten", "Notes"], "body": None})
    assert r.status_code == 200, r.get_data(as_text=True)
    doc = r.get_json()
    assert doc["title"] == "Tungsten working notes" and doc["tags"] == ["notes", "tungsten"] and doc["body"] is None
    assert doc["access"]["level"] == "body" and doc["type"] == "other" and doc["org"] == "MYS"  # unchanged
    assert ids(client.get(API, query_string={"q": "tungsten"}, headers=people["member"])) == [wgtim_doc]
    assert ids(client.get(API, query_string={"q": "restricted"}, headers=people["member"])) == []
    with app.app_context():
        assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "document.updated")).scalar_one()


@pytest.mark.parametrize("body, field", [
    ({"title": ""}, "title"), ({"title": "   "}, "title"), ({"title": 5}, "title"), ({"title": "x" * 301}, "title"),
    ({"title": "nul\x00"}, "title"), ({"type": "novel"}, "type"), ({"language": "klingon"}, "language"),
    ({"org": "ZZZ"}, "org"), ({"org": None}, "org"), ({"body": "NOPE"}, "body"), ({"body": 3}, "body"),
    ({"action_line": "12"}, "action_line"), ({"tags": "a, <b>"}, "tags"), ({"tags": {"a": 1}}, "tags"),
    ({"description": "x" * 10_001}, "description"), ({"description": "bell\x07"}, "description"),
    ({"access": "everyone"}, "access"), ({"id": 7}, "id"),
])
def test_patch_validation(app, client, people, wgtim_doc, body, field):
    error = assert_error(client.patch(f"{API}/{wgtim_doc}", json=body, headers=people["uploader"]), 422)
    assert field in error["fields"], error
    with app.app_context():
        doc = db.session.get(Document, wgtim_doc)
        assert (doc.title, doc.doc_type, doc.tag_names) == ("WGTIM restricted minutes", "other", ["minutes", "wgtim"])


def test_patch_needs_a_json_object(client, people, wgtim_doc):
    headers = people["uploader"]
    assert_error(client.patch(f"{API}/{wgtim_doc}", data="title=x", headers=headers,
                              content_type="application/x-www-form-urlencoded"), 400)
    assert_error(client.patch(f"{API}/{wgtim_doc}", json=["title"], headers=headers), 400)
    assert_error(client.patch(f"{API}/{wgtim_doc}", data='{"title": "\\ud800"}', headers=headers,
                              content_type="application/json"), 400)


# --- trash ------------------------------------------------------------------------------------------------

def test_delete_moves_to_the_trash_which_only_asec_still_sees(app, client, people, wgtim_doc):
    r = client.delete(f"{API}/{wgtim_doc}", headers=people["uploader"])
    assert r.status_code == 204 and r.data == b""
    assert_error(client.get(f"{API}/{wgtim_doc}", headers=people["uploader"]), 404)
    assert_error(client.get(f"{API}/{wgtim_doc}/download", headers=people["member"]), 404)
    assert wgtim_doc not in ids(client.get(API, headers=people["member"]))
    staff = client.get(f"{API}/{wgtim_doc}", headers=people["staff"])
    assert staff.status_code == 200 and staff.get_json()["deleted_at"].endswith("Z")
    assert client.delete(f"{API}/{wgtim_doc}", headers=people["staff"]).status_code == 204
    with app.app_context():
        trashed = db.session.execute(select(AuditEntry).where(AuditEntry.action == "document.trashed")).scalars()
        assert [e.actor_id for e in trashed] == [people["ids"]["uploader"]]  # deleting twice changes nothing


def test_delete_needs_a_write_scope_token(client, people, make_token, wgtim_doc):
    read = bearer(make_token(people["ids"]["uploader"], "read"))
    assert_error(client.delete(f"{API}/{wgtim_doc}", headers=read), 403, "insufficient_scope")
    assert client.get(f"{API}/{wgtim_doc}", headers=read).status_code == 200


# --- list and search ----------------------------------------------------------------------------------------

def test_list_pages_through_the_documents(client, people):
    made = [upload(client, people["uploader"], f"doc{i}.txt", f"Document {i}".encode(), title=f"Doc {i}",
                   access="everyone").get_json()["id"] for i in range(3)]
    first = client.get(API, query_string={"per_page": 2, "sort": "title"}, headers=people["observer"]).get_json()
    assert [d["title"] for d in first["items"]] == ["Doc 0", "Doc 1"]
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 2, 3, 2)
    second = client.get(API, query_string={"per_page": 2, "page": 2, "sort": "title"},
                        headers=people["observer"]).get_json()
    assert [d["id"] for d in second["items"]] == [made[2]]
    beyond = client.get(API, query_string={"page": 9}, headers=people["observer"]).get_json()
    assert beyond["items"] == [] and beyond["total"] == 3
    assert "snippet" not in first["items"][0]


def test_search_results_page_through_the_matches_with_their_total(client, people):
    made = [upload(client, people["uploader"], f"doc{i}.txt", f"Scheelite {i}".encode(), title=f"Doc {i}",
                   access="everyone").get_json()["id"] for i in range(3)]
    upload(client, people["uploader"], "other.txt", b"Nothing to find.", title="Other", access="everyone")
    pages = [client.get(API, query_string={"q": "scheelite", "per_page": 2, "page": n, "sort": "title"},
                        headers=people["observer"]).get_json() for n in (1, 2, 3)]
    assert [[d["id"] for d in p["items"]] for p in pages] == [made[:2], made[2:], []]
    assert [(p["page"], p["total"], p["pages"]) for p in pages] == [(1, 3, 2), (2, 3, 2), (3, 3, 2)]


def test_a_page_costs_the_same_number_of_queries_however_many_documents_it_shows(app, client, people):
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    statements = []

    def listener(*args):
        statements.append(1)

    def queries_for(args) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", listener)
        try:
            r = client.get(API, query_string=args, headers=people["member"])
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert r.status_code == 200
        return len(statements)

    def add(n: int) -> None:
        for i in range(n):
            assert upload(client, people["uploader"], f"n{i}.txt", b"Quarterly tin output.", tags="tin, output",
                          access="named", access_orgs="IDN,PHL", access_people="thai@example.org").status_code == 201

    add(2)
    queries_for({})  # the token's first use is recorded once; count the requests after it
    few = (queries_for({"per_page": 50}), queries_for({"q": "tin", "per_page": 50}))
    add(6)
    many = (queries_for({"per_page": 50}), queries_for({"q": "tin", "per_page": 50}))
    assert client.get(API, query_string={"q": "tin"}, headers=people["member"]).get_json()["total"] == 8
    assert few == many


@pytest.mark.parametrize("args, field", [
    ({"page": "0"}, "page"), ({"page": "-1"}, "page"), ({"page": "x"}, "page"), ({"page": "١"}, "page"),
    ({"page": "100001"}, "page"), ({"page": "1" * 40}, "page"), ({"per_page": "0"}, "per_page"),
    ({"per_page": "101"}, "per_page"), ({"per_page": "2.5"}, "per_page"), ({"per_page": ""}, "per_page"),
    ({"type": "novel"}, "type"), ({"access": "world"}, "access"), ({"sort": "size"}, "sort"),
    ({"sort": "relevance"}, "sort"), ({"since": "2024-13-01"}, "since"), ({"until": "yesterday"}, "until"),
])
def test_bad_list_arguments_are_400_json(client, people, args, field):
    error = assert_error(client.get(API, query_string=args, headers=people["uploader"]), 400, "bad_request")
    assert field in error["fields"]


@pytest.mark.parametrize("args", [{"since": "0001-01-01"}, {"until": "9999-12-31"}, {"since": "9999-12-31"},
                                  {"org": "x" * 300}, {"q": "x" * 1000}, {"tag": "ü" * 100}, {"q": "\"'%_*("}])
def test_odd_but_valid_list_arguments_never_fail(client, people, wgtim_doc, args):
    r = client.get(API, query_string=args, headers=people["uploader"])
    assert r.status_code == 200, r.get_data(as_text=True)
    assert isinstance(r.get_json()["items"], list)


def test_filters_narrow_the_list(client, people, wgtim_doc):
    study = upload(client, people["thai"], "s.txt", b"Study.", type="study", tags="esg", org="THA",
                   action_line="TI1.1", access="everyone").get_json()["id"]
    headers = people["member"]
    assert ids(client.get(API, query_string={"type": "study"}, headers=headers)) == [study]
    assert ids(client.get(API, query_string={"tag": "ESG"}, headers=headers)) == [study]
    assert ids(client.get(API, query_string={"org": "tha"}, headers=headers)) == [study]
    assert ids(client.get(API, query_string={"action_line": "ti1.1"}, headers=headers)) == [study]
    assert ids(client.get(API, query_string={"access": "body"}, headers=headers)) == [wgtim_doc]
    assert ids(client.get(API, query_string={"until": "2000-01-01"}, headers=headers)) == []


def test_the_list_and_search_give_each_document_its_own_tags_in_order(client, people, wgtim_doc):
    study = upload(client, people["uploader"], "s.txt", b"A molybdenum study.", tags="Zinc, esg, Alloys",
                   access="everyone").get_json()["id"]
    bare = upload(client, people["uploader"], "b.txt", b"No tags here.", access="everyone").get_json()["id"]
    for args in ({}, {"q": "molybdenum"}):
        items = client.get(API, query_string=args, headers=people["member"]).get_json()["items"]
        tags = {item["id"]: item["tags"] for item in items}
        assert tags[study] == ["alloys", "esg", "zinc"] and tags[wgtim_doc] == ["minutes", "wgtim"]
        assert tags.get(bare, []) == []


@pytest.mark.parametrize("filename, maker, word", [
    ("laterite.pdf", make_pdf, "saprolite"),
    ("bauxite.docx", make_docx, "gibbsite"),
    ("cobalt.xlsx", make_xlsx, "heterogenite"),
])
def test_search_finds_words_inside_files_only_for_those_who_may_open_them(client, people, filename, maker, word):
    r = upload(client, people["uploader"], filename, maker(f"Deposits of {word} near the river"),
               title="Survey results", access="body", access_body="WGTIM")
    assert r.status_code == 201, r.get_data(as_text=True)
    doc_id = r.get_json()["id"]
    found = client.get(API, query_string={"q": word}, headers=people["member"])
    assert ids(found) == [doc_id]
    snippet = found.get_json()["items"][0]["snippet"]
    assert word in snippet and "<mark>" not in snippet
    for who in ("outsider", "observer"):
        assert ids(client.get(API, query_string={"q": word}, headers=people[who])) == []
    assert ids(client.get(API, query_string={"q": "nonexistentword"}, headers=people["member"])) == []


def test_snippets_are_plain_text(client, people):
    upload(client, people["uploader"], "odd.txt", b'Ratio 5 < 7 & "rising" about palladium refining.',
           access="everyone")
    item = client.get(API, query_string={"q": "palladium"}, headers=people["thai"]).get_json()["items"][0]
    assert 'Ratio 5 < 7 & "rising" about palladium refining' in item["snippet"]  # as written: not escaped, not marked
    assert "&amp;" not in item["snippet"] and "&lt;" not in item["snippet"] and "<mark>" not in item["snippet"]


# --- the description -----------------------------------------------------------------------------------------

def _properties(spec, schema) -> set[str]:
    if "$ref" in schema:
        return _properties(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names |= _properties(spec, part)
    return names


def test_document_responses_use_only_documented_fields(client, people, wgtim_doc):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]

    def schema(path, method, status="200"):
        return paths[path][method]["responses"][status]["content"]["application/json"]["schema"]

    headers = people["uploader"]
    one = client.get(f"{API}/{wgtim_doc}", headers=headers).get_json()
    assert set(one) <= _properties(spec, schema("/documents/{doc_id}", "get"))
    assert set(one["versions"][0]) <= _properties(spec, {"$ref": "#/components/schemas/DocumentVersion"})
    assert set(one["access"]) <= _properties(spec, {"$ref": "#/components/schemas/DocumentAccess"})
    page = client.get(API, query_string={"q": "molybdenum"}, headers=headers).get_json()
    page_schema = spec["components"]["schemas"][schema("/documents", "get")["$ref"].rsplit("/", 1)[1]]
    assert set(page_schema["required"]) <= set(page) <= _properties(spec, page_schema)
    assert set(page["items"][0]) <= _properties(spec, {"$ref": "#/components/schemas/Document"})
    audience = client.get(f"{API}/{wgtim_doc}/access", headers=headers).get_json()
    assert set(audience) <= _properties(spec, schema("/documents/{doc_id}/access", "get"))
    upload_op = paths["/documents"]["post"]
    assert set(upload_op["requestBody"]["content"]) == {"multipart/form-data"}
    assert "413" in upload_op["responses"] and "201" in upload_op["responses"]
