"""The trash: an owner moves a document there, ASEC restores it within the retention period, an administrator
(or the retention period) deletes it for good, and that is audited and removes its files."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from aocp.documents.models import Document, DocumentComment, DocumentGrant, DocumentTag, DocumentVersion
from aocp.extensions import db
from aocp.timeutil import utcnow
from tests.conftest import csrf_token, post_form
from tests.documents.conftest import audit_rows, count, fetch, page_text, stored_files, versions_of
from tests.documents.test_versions import add_version


def trash_via_page(client, doc_id: int):
    return post_form(client, f"/documents/{doc_id}/delete", {}, page=f"/documents/{doc_id}")


def deleted_at(app, doc_id: int):
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        return doc.deleted_at if doc else "purged"


def test_the_owner_moves_a_document_to_the_trash_and_it_is_gone_for_everyone_but_asec(app, people, as_user,
                                                                                      make_doc):
    doc_id = make_doc(people["uploader"], title="Withdrawn paper", level="everyone", data=b"withdrawn vanadium")
    owner, member, staff = as_user(people["uploader"]), as_user(people["member"]), as_user(people["staff"])
    assert "Move to trash" in page_text(owner.get(f"/documents/{doc_id}"))
    r = trash_via_page(owner, doc_id)
    assert r.status_code == 302 and r.headers["Location"].endswith("/documents/")
    assert "“Withdrawn paper” moved to the trash. ASEC can restore it." in page_text(owner.get("/documents/"))
    for client in (owner, member):
        assert "Withdrawn paper" not in page_text(client.get("/documents/"))
        assert "Withdrawn paper" not in page_text(client.get("/documents/?q=vanadium"))
        assert fetch(client, f"/documents/{doc_id}").status_code == 404
        assert fetch(client, f"/documents/{doc_id}/download").status_code == 404
    assert "Withdrawn paper" not in page_text(staff.get("/documents/"))  # the list is for live documents
    assert "Withdrawn paper" in page_text(staff.get("/documents/trash"))
    assert "This document is in the trash" in page_text(staff.get(f"/documents/{doc_id}"))
    assert len(stored_files(app)) == 1  # nothing is lost until the purge
    [entry] = audit_rows(app, "document.trashed")
    assert entry["actor"] == people["uploader"] and entry["target"] == str(doc_id)


@pytest.mark.parametrize("who", ["uploader", "member", "focal", "observer"])
def test_only_asec_sees_the_trash(people, as_user, make_doc, who):
    doc_id = make_doc(people["uploader"], title="Binned", level="everyone")
    trash_via_page(as_user(people["uploader"]), doc_id)
    client = as_user(people[who])
    assert fetch(client, "/documents/trash").status_code == 403
    assert 'href="/documents/trash"' not in page_text(client.get("/documents/"))
    r = client.post(f"/documents/{doc_id}/restore", data={"csrf_token": csrf_token(client, "/documents/")})
    assert r.status_code == 403


def test_asec_staff_restore_a_document_with_its_access_unchanged(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], title="Back again", level="body", body="WGTIM")
    trash_via_page(as_user(people["uploader"]), doc_id)
    staff = as_user(people["staff"])
    assert 'href="/documents/trash"' in page_text(staff.get("/documents/"))
    r = post_form(staff, f"/documents/{doc_id}/restore", {}, page="/documents/trash")
    assert r.status_code == 302 and r.headers["Location"].endswith("/documents/trash")
    assert "“Back again” restored." in page_text(staff.get("/documents/trash"))
    assert deleted_at(app, doc_id) is None
    assert fetch(as_user(people["member"]), f"/documents/{doc_id}").status_code == 200
    assert fetch(as_user(people["outsider"]), f"/documents/{doc_id}").status_code == 404
    [entry] = audit_rows(app, "document.restored")
    assert entry["actor"] == people["staff"]


def test_restoring_a_document_that_is_not_in_the_trash_says_so(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"])
    staff = as_user(people["staff"])
    r = post_form(staff, f"/documents/{doc_id}/restore", {}, page="/documents/trash")
    assert r.status_code == 302
    assert "This document is not in the trash." in page_text(staff.get("/documents/trash"))
    assert audit_rows(app, "document.restored") == []


def test_staff_may_restore_but_only_an_administrator_deletes_for_good(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"])
    trash_via_page(as_user(people["uploader"]), doc_id)
    staff = as_user(people["staff"])
    assert "Delete for good" not in page_text(staff.get("/documents/trash"))
    r = staff.post(f"/documents/{doc_id}/purge", data={"csrf_token": csrf_token(staff, "/documents/trash")})
    assert r.status_code == 403
    assert deleted_at(app, doc_id) not in (None, "purged") and len(stored_files(app)) == 1


def test_an_administrator_purges_a_document_its_versions_and_files_and_it_is_audited(app, people, as_user,
                                                                                     make_doc):
    doc_id = make_doc(people["uploader"], title="Superseded", level="named", orgs=["THA"], tags=["old"],
                      data=b"superseded scandium")
    keep_id = make_doc(people["uploader"], title="Still here")
    add_version(as_user(people["uploader"]), doc_id, b"second", "b.txt")
    post_form(as_user(people["focal"]), f"/documents/{doc_id}/comments", {"body": "Noted"},
              page=f"/documents/{doc_id}")
    hashes = [v["sha256"] for v in reversed(versions_of(app, doc_id))]
    kept_files = {v["key"] for v in versions_of(app, keep_id)}
    trash_via_page(as_user(people["uploader"]), doc_id)
    admin = as_user(people["admin"])
    assert "Delete for good" in page_text(admin.get("/documents/trash"))
    r = post_form(admin, f"/documents/{doc_id}/purge", {}, page="/documents/trash")
    assert r.status_code == 302
    assert "“Superseded” deleted for good." in page_text(admin.get("/documents/trash"))
    assert deleted_at(app, doc_id) == "purged"
    assert {p.name for p in stored_files(app)} == kept_files
    with app.app_context():
        for model in (DocumentVersion, DocumentComment, DocumentTag, DocumentGrant):
            column = model.document_id
            assert db.session.scalar(select(func.count()).select_from(model).where(column == doc_id)) == 0
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("SELECT count(*) FROM document_search WHERE rowid = :i"),
                                      {"i": doc_id}).scalar() == 0
        else:
            assert db.session.execute(text("SELECT count(*) FROM document_search WHERE document_id = :i"),
                                      {"i": doc_id}).scalar() == 0
    [entry] = audit_rows(app, "document.purged")
    assert (entry["actor"], entry["title"], entry["reason"]) == (people["admin"], "Superseded", "by hand")
    assert entry["sha256"] == hashes
    assert fetch(admin, f"/documents/{doc_id}").status_code == 404
    assert fetch(admin, f"/documents/{keep_id}").status_code == 200


def test_a_live_document_cannot_be_purged(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], title="Live")
    admin = as_user(people["admin"])
    r = post_form(admin, f"/documents/{doc_id}/purge", {}, page="/documents/trash")
    assert r.status_code == 302
    assert "Only documents in the trash can be deleted for good." in page_text(admin.get("/documents/trash"))
    assert deleted_at(app, doc_id) is None and len(stored_files(app)) == 1
    assert audit_rows(app, "document.purged") == []


def test_the_purge_command_deletes_only_what_has_been_in_the_trash_past_the_retention_period(app, people, make_doc,
                                                                                           monkeypatch):
    old_id = make_doc(people["uploader"], title="Trashed long ago")
    recent_id = make_doc(people["uploader"], title="Trashed last week")
    live_id = make_doc(people["uploader"], title="Live")
    with app.app_context():
        db.session.get(Document, old_id).deleted_at = utcnow() - timedelta(days=40)
        db.session.get(Document, recent_id).deleted_at = utcnow() - timedelta(days=7)
        db.session.commit()
    recent_file, live_file = versions_of(app, recent_id)[0]["key"], versions_of(app, live_id)[0]["key"]
    monkeypatch.setitem(app.config, "TRASH_RETENTION_DAYS", 30)
    result = app.test_cli_runner().invoke(args=["documents", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 stored files of documents trashed more than 30 days ago deleted." in result.output
    assert deleted_at(app, old_id) == "purged"
    assert deleted_at(app, recent_id) not in (None, "purged") and deleted_at(app, live_id) is None
    assert {p.name for p in stored_files(app)} == {recent_file, live_file}
    [entry] = audit_rows(app, "document.purged")
    assert (entry["actor"], entry["title"], entry["reason"]) == (None, "Trashed long ago", "retention period over")

    monkeypatch.setitem(app.config, "TRASH_RETENTION_DAYS", 5)
    assert app.test_cli_runner().invoke(args=["documents", "purge"]).exit_code == 0
    assert deleted_at(app, recent_id) == "purged" and deleted_at(app, live_id) is None
    assert {p.name for p in stored_files(app)} == {live_file}
    assert count(app, Document) == 1


def test_the_trash_page_states_the_retention_period(app, people, as_user, monkeypatch):
    monkeypatch.setitem(app.config, "TRASH_RETENTION_DAYS", 45)
    assert "kept for 45 days" in page_text(as_user(people["staff"]).get("/documents/trash"))
