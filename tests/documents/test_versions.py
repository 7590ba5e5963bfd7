"""Versions: a new version never overwrites an old one, the history tells who, when, size, checksum and why,
and restoring an older version makes it the newest again."""
from __future__ import annotations

import hashlib
import io
import re

from sqlalchemy import inspect
from werkzeug.datastructures import FileStorage

from aocp.accounts.models import User
from aocp.documents import queries
from aocp.documents.models import Document
from aocp.extensions import db
from tests.conftest import csrf_token, post_form
from tests.documents.conftest import (
    audit_rows,
    fetch,
    make_pdf,
    page_text,
    post_multipart,
    stored_files,
    upload_root,
    versions_of,
)

V1 = b"First draft of the WGTIM workplan."
V2 = b"Second draft of the WGTIM workplan, with comments from Indonesia."


def add_version(client, doc_id: int, data: bytes, name: str, note: str = "", **kwargs):
    url = f"/documents/{doc_id}"
    return post_multipart(client, f"{url}/versions", {"csrf_token": csrf_token(client, url), "note": note,
                                                      "file": FileStorage(io.BytesIO(data), name)}, **kwargs)


def test_a_new_version_is_added_and_the_old_one_stays_on_disk_and_downloadable(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], data=V1, filename="workplan.txt")
    client = as_user(people["uploader"])
    r = add_version(client, doc_id, V2, "workplan v2.txt", note="Comments merged")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/documents/{doc_id}")
    assert "Version 2 added." in page_text(client.get(r.headers["Location"]))
    v1, v2 = versions_of(app, doc_id)
    assert (v1["number"], v2["number"]) == (1, 2) and v1["key"] != v2["key"]
    assert v2["sha256"] == hashlib.sha256(V2).hexdigest() and v2["note"] == "Comments merged"
    files = {p.name: p.read_bytes() for p in stored_files(app)}
    assert files == {v1["key"]: V1, v2["key"]: V2}
    old = fetch(client, f"/documents/{doc_id}/versions/1/download")
    assert old.status_code == 200 and old.data == V1
    assert hashlib.sha256(old.data).hexdigest() == v1["sha256"] == old.headers["ETag"].strip('"')
    new = fetch(client, f"/documents/{doc_id}/download")
    assert new.data == V2 and "workplan%20v2.txt" in new.headers["Content-Disposition"]
    with app.app_context():
        assert db.session.get(Document, doc_id).version_count == 2
    [entry] = audit_rows(app, "document.version_added")
    assert (entry["actor"], entry["version"], entry["sha256"]) == (people["uploader"], 2, v2["sha256"])


def test_the_history_shows_who_when_size_checksum_and_note_of_every_version(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], data=V1, filename="workplan.txt")
    add_version(as_user(people["staff"]), doc_id, V2, "workplan.txt", note="Checked by ASEC")
    page = page_text(as_user(people["member"]).get(f"/documents/{doc_id}"))
    v1, v2 = versions_of(app, doc_id)
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>(.*?)</tr>", page, re.S)
    assert [number for number, _ in rows] == ["2", "1"]  # newest first
    newest, oldest = rows[0][1], rows[1][1]
    assert "Sari Staff" in newest and f"{len(V2)} bytes" in newest and "Checked by ASEC" in newest
    assert f'title="{v2["sha256"]}"' in newest and v2["sha256"][:12] in newest
    assert "Uma Uploader" in oldest and f"{len(V1)} bytes" in oldest and "First version" in oldest
    assert f'title="{v1["sha256"]}"' in oldest
    assert re.search(r"\d{2} \w{3} \d{4} \d{2}:\d{2} UTC", newest)
    assert f"/documents/{doc_id}/versions/1/download" in oldest
    assert "Restore as newest" not in page  # a member may read the history but not change it


def test_restoring_an_older_version_makes_a_new_newest_version_with_its_bytes(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], data=V1, filename="workplan.txt")
    client = as_user(people["uploader"])
    add_version(client, doc_id, V2, "workplan.txt")
    assert "Restore as newest" in page_text(client.get(f"/documents/{doc_id}"))
    r = post_form(client, f"/documents/{doc_id}/versions/1/restore", {}, page=f"/documents/{doc_id}")
    assert r.status_code == 302
    assert "Version 1 restored as version 3." in page_text(client.get(r.headers["Location"]))
    v1, v2, v3 = versions_of(app, doc_id)
    assert v3["sha256"] == v1["sha256"] and v3["note"] == "Restored version 1" and v3["name"] == "workplan.txt"
    assert len({v1["key"], v2["key"], v3["key"]}) == 3
    assert {p.name for p in stored_files(app)} == {v1["key"], v2["key"], v3["key"]}
    assert fetch(client, f"/documents/{doc_id}/download").data == V1
    assert fetch(client, f"/documents/{doc_id}/versions/2/download").data == V2
    [entry] = audit_rows(app, "document.version_restored")
    assert (entry["from_version"], entry["version"]) == (1, 3)
    assert "restored an older version" in page_text(client.get(f"/documents/{doc_id}"))


def test_every_version_keeps_its_own_file_and_checksum(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], data=b"v1", filename="a.txt")
    client = as_user(people["uploader"])
    for n in range(2, 5):
        assert add_version(client, doc_id, f"v{n}".encode(), "a.txt").status_code == 302
    versions = versions_of(app, doc_id)
    assert [v["number"] for v in versions] == [1, 2, 3, 4]
    for v in versions:
        path = upload_root(app) / v["key"][:2] / v["key"]
        assert path.read_bytes() == f"v{v['number']}".encode()
        assert hashlib.sha256(path.read_bytes()).hexdigest() == v["sha256"]


def test_a_refused_new_version_is_shown_and_leaves_the_document_as_it_was(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], data=V1, filename="workplan.txt")
    client = as_user(people["uploader"])
    r = add_version(client, doc_id, b"MZ\x90\x00 not a pdf", "workplan.pdf")
    assert r.status_code == 400
    page = page_text(r)
    assert "workplan.pdf: This file&#39;s content is not a .pdf file." in page and "First draft" not in page
    assert [v["number"] for v in versions_of(app, doc_id)] == [1]
    assert len(stored_files(app)) == 1
    assert audit_rows(app, "document.version_added") == []


def test_a_new_version_without_a_file_asks_for_one(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"])
    client = as_user(people["uploader"])
    r = post_form(client, f"/documents/{doc_id}/versions", {"note": "forgot the file"}, page=f"/documents/{doc_id}")
    assert r.status_code == 400 and "Choose a file." in page_text(r)
    assert len(versions_of(app, doc_id)) == 1


def test_a_new_version_above_the_size_limit_is_413(app, people, as_user, make_doc, monkeypatch):
    doc_id = make_doc(people["uploader"])
    monkeypatch.setitem(app.config, "MAX_FILE_SIZE", 1024 * 1024)
    r = add_version(as_user(people["uploader"]), doc_id, b"x" * (1024 * 1024 + 1), "big.txt")
    assert r.status_code == 413 and "big.txt is larger than the limit of 1 MB." in page_text(r)
    assert len(versions_of(app, doc_id)) == 1 and len(stored_files(app)) == 1


def test_a_pdf_version_of_a_text_document_is_accepted_with_its_own_type(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], data=V1, filename="workplan.txt")
    assert add_version(as_user(people["uploader"]), doc_id, make_pdf("Final"), "workplan.pdf").status_code == 302
    assert [v["content_type"] for v in versions_of(app, doc_id)] == ["text/plain", "application/pdf"]


def test_someone_who_may_read_but_not_edit_cannot_add_or_restore_versions(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], level="body", body="WGTIM", data=V1)
    client = as_user(people["member"])
    assert add_version(client, doc_id, V2, "mine.txt").status_code == 403
    r = client.post(f"/documents/{doc_id}/versions/1/restore", data={"csrf_token": csrf_token(client, "/documents/")})
    assert r.status_code == 403
    assert len(versions_of(app, doc_id)) == 1 and len(stored_files(app)) == 1


def test_a_version_that_does_not_exist_is_not_found(people, as_user, make_doc):
    doc_id = make_doc(people["uploader"])
    client = as_user(people["uploader"])
    for url in (f"/documents/{doc_id}/versions/2/download", f"/documents/{doc_id}/versions/0/preview",
                f"/documents/{doc_id}/versions/9/preview"):
        assert fetch(client, url).status_code == 404
    r = post_form(client, f"/documents/{doc_id}/versions/7/restore", {}, page=f"/documents/{doc_id}")
    assert r.status_code == 404


def test_a_version_that_can_no_longer_be_restored_says_why_and_changes_nothing(app, people, as_user, make_doc,
                                                                             monkeypatch):
    doc_id = make_doc(people["uploader"], data=b"x" * 4096, filename="big.txt")
    client = as_user(people["uploader"])
    add_version(client, doc_id, b"small", "small.txt")
    monkeypatch.setitem(app.config, "MAX_FILE_SIZE", 1024)  # lowered since version 1 was shared
    r = post_form(client, f"/documents/{doc_id}/versions/1/restore", {}, page=f"/documents/{doc_id}")
    assert r.status_code == 302
    page = page_text(client.get(f"/documents/{doc_id}"))
    assert "Version 1 could not be restored: big.txt is larger than the limit" in page
    assert [v["number"] for v in versions_of(app, doc_id)] == [1, 2] and len(stored_files(app)) == 2
    assert audit_rows(app, "document.version_restored") == []


def test_lists_show_the_newest_version_without_loading_the_history(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], data=V1, filename="workplan.txt")
    client = as_user(people["uploader"])
    add_version(client, doc_id, V2, "workplan v2.txt")
    page = page_text(client.get("/documents/"))
    assert "workplan v2.txt" in page and "v2" in page
    with app.test_request_context():
        user = db.session.get(User, people["uploader"])
        [doc] = queries.page_of(user, queries.Filters(), 1, 20).items
        assert "versions" in inspect(doc).unloaded  # the list did not read the history ...
        assert doc.current.number == 2 and doc.current.original_name == "workplan v2.txt"  # ... yet knows v2
        assert [v.number for v in doc.versions] == [2, 1] and doc.current.number == 2
