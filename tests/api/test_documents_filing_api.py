"""Acting for someone else through the documents API: uploads, detail changes, access changes and new versions
name only one's own organisation (ASEC any) and only bodies one belongs to (ASEC any)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select

from aocp.audit import AuditEntry
from aocp.documents.models import Document, DocumentVersion
from aocp.extensions import db
from aocp.orgs.models import Body, Membership, Organisation
from tests.api.conftest import assert_error, bearer
from tests.api.test_documents_api import API, count, denials, new_version, stored_files, upload
from tests.meetings._factories import make_meeting


@pytest.fixture
def folk(make_user, make_token):
    """Tokens of Malaysia's focal person (chair of WGTIM), a Thai member of WGSMD, a Philippine delegate in no
    body and ASEC staff; "ids" holds their user ids."""
    uids = {
        "mys_focal": make_user("focal_person", org_code="MYS", email="focal.mys@example.org",
                               bodies={"WGTIM": "chair"}),
        "wgsmd": make_user("delegate", org_code="THA", email="wgsmd@example.org", bodies={"WGSMD": "member"}),
        "phl": make_user("delegate", org_code="PHL", email="phl@example.org"),
        "staff": make_user("asec_staff", email="staff@example.org"),
    }
    tokens = {name: bearer(make_token(uid, "write")) for name, uid in uids.items()}
    tokens["ids"] = uids
    return tokens


def assert_nothing_stored(app, files_before: set[str]) -> None:
    """No document row, and no file left in the upload directory besides those there before."""
    assert count(app, Document) == 0 and count(app, DocumentVersion) == 0
    assert stored_files(app) == files_before


def audit_details(app, action: str) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(select(AuditEntry).where(AuditEntry.action == action)
                                  .order_by(AuditEntry.id)).scalars()
        return [json.loads(e.details) for e in rows]


def created(response) -> dict:
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def stored(app, doc_id: int) -> tuple:
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        return (doc.org.code, doc.body.code if doc.body else None, doc.access_level,
                doc.access_body.code if doc.access_body else None, doc.version_count)


def name_other_country(app, doc_id: int, code: str = "PHL") -> None:
    """A document in another Member State's name, as the old code let anyone file."""
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        doc.org = db.session.execute(select(Organisation).where(Organisation.code == code)).scalar_one()
        db.session.commit()


# --- organisation --------------------------------------------------------------------------

def test_a_focal_person_cannot_file_a_country_report_for_another_member_state(app, client, folk):
    meeting = make_meeting(app, folk["ids"]["mys_focal"], "WGTIM")
    before = stored_files(app)
    r = upload(client, folk["mys_focal"], "phl.txt", b"Philippine figures", type="country_report", org="PHL",
               meeting_id=str(meeting))
    error = assert_error(r, 403, "forbidden")
    assert "only in the name of Malaysia" in error["message"]
    assert_nothing_stored(app, before)
    assert [d["rule"] for d in denials(app)] == ["documents.file_for"]


def test_asec_staff_file_for_a_member_state_and_the_audit_names_it(app, client, folk):
    doc = created(upload(client, folk["staff"], "phl.txt", b"Philippine figures", type="country_report",
                         org="PHL"))
    assert doc["org"] == "PHL"
    [entry] = audit_details(app, "document.uploaded")
    assert entry["on_behalf_of"] == "PHL"


def test_changing_the_organisation_to_another_member_state_is_refused(app, client, folk):
    doc_id = created(upload(client, folk["mys_focal"], "a.txt", b"text"))["id"]
    r = client.patch(f"{API}/{doc_id}", json={"org": "PHL"}, headers=folk["mys_focal"])
    assert "only in the name of Malaysia" in assert_error(r, 403, "forbidden")["message"]
    assert stored(app, doc_id)[0] == "MYS"


def test_asec_staff_move_a_document_to_another_member_state_and_the_audit_says_so(app, client, folk):
    doc_id = created(upload(client, folk["mys_focal"], "a.txt", b"text"))["id"]
    r = client.patch(f"{API}/{doc_id}", json={"org": "PHL"}, headers=folk["staff"])
    assert r.status_code == 200 and r.get_json()["org"] == "PHL"
    [entry] = audit_details(app, "document.updated")
    assert (entry["before"]["org"], entry["after"]["org"], entry["on_behalf_of"]) == ("MYS", "PHL", "PHL")


def test_the_uploader_still_edits_a_document_that_keeps_another_countrys_name(app, client, folk):
    doc_id = created(upload(client, folk["mys_focal"], "a.txt", b"text"))["id"]
    name_other_country(app, doc_id)
    r = client.patch(f"{API}/{doc_id}", json={"title": "Renamed"}, headers=folk["mys_focal"])
    assert r.status_code == 200 and r.get_json()["title"] == "Renamed" and r.get_json()["org"] == "PHL"


def test_a_new_version_of_a_document_in_another_countrys_name_needs_asec(app, client, folk):
    doc_id = created(upload(client, folk["mys_focal"], "a.txt", b"first"))["id"]
    name_other_country(app, doc_id)
    before = stored_files(app)
    r = new_version(client, folk["mys_focal"], doc_id, "b.txt", b"second")
    assert "only in the name of Malaysia" in assert_error(r, 403, "forbidden")["message"]
    assert stored(app, doc_id)[4] == 1 and stored_files(app) == before
    r = new_version(client, folk["phl"], doc_id, "b.txt", b"second")  # not the uploader: refused as before
    assert_error(r, 403, "forbidden")
    assert created(new_version(client, folk["staff"], doc_id, "b.txt", b"second"))["number"] == 2
    assert audit_details(app, "document.version_added")[-1]["on_behalf_of"] == "PHL"


# --- bodies and meetings -------------------------------------------------------------------

@pytest.mark.parametrize("fields", [dict(body="WGSMD", access="body", access_body="WGSMD"), dict(body="WGSMD"),
                                    dict(access="body", access_body="WGSMD")],
                         ids=["body_and_audience", "body", "audience"])
def test_a_non_member_cannot_file_in_a_body_or_share_with_its_members(app, client, folk, fields):
    before = stored_files(app)
    r = upload(client, folk["phl"], "a.txt", b"text", **fields)
    assert "Only members of WGSMD may" in assert_error(r, 403, "forbidden")["message"]
    assert_nothing_stored(app, before)
    assert [d["rule"] for d in denials(app)] == ["documents.file_in"]


def test_a_non_member_cannot_file_for_another_bodys_meeting(app, client, folk, make_user):
    chair = make_user("focal_person", org_code="VNM", bodies={"WGSMD": "chair"})
    meeting = make_meeting(app, chair, "WGSMD")
    before = stored_files(app)
    r = upload(client, folk["phl"], "a.txt", b"text", meeting_id=str(meeting))
    assert_error(r, 422, "validation_error")  # a meeting they may not see is not named, not even to refuse it
    assert_nothing_stored(app, before)
    doc = created(upload(client, folk["wgsmd"], "a.txt", b"text", type="country_report", meeting_id=str(meeting)))
    assert (doc["org"], doc["body"], doc["meeting_id"]) == ("THA", "WGSMD", meeting)


def test_a_member_files_in_their_body_and_shares_with_its_members(app, client, folk):
    doc = created(upload(client, folk["wgsmd"], "a.txt", b"text", body="WGSMD", access="body",
                         access_body="WGSMD"))
    assert (doc["org"], doc["body"], doc["access"]["level"], doc["access"]["body"]) == ("THA", "WGSMD", "body",
                                                                                        "WGSMD")


def test_moving_a_document_into_a_body_one_is_not_in_is_refused(app, client, folk):
    doc_id = created(upload(client, folk["phl"], "a.txt", b"text"))["id"]
    r = client.patch(f"{API}/{doc_id}", json={"body": "WGSMD"}, headers=folk["phl"])
    assert "Only members of WGSMD may file documents in it." in assert_error(r, 403, "forbidden")["message"]
    r = client.put(f"{API}/{doc_id}/access", json={"level": "body", "body": "WGSMD"}, headers=folk["phl"])
    assert "Only members of WGSMD may share" in assert_error(r, 403, "forbidden")["message"]
    assert stored(app, doc_id)[:4] == ("PHL", None, "asean", None)


def test_a_document_keeps_the_body_its_uploader_has_since_left(app, client, folk):
    doc_id = created(upload(client, folk["wgsmd"], "a.txt", b"text", body="WGSMD", access="body",
                            access_body="WGSMD"))["id"]
    with app.app_context():
        wgsmd = db.session.execute(select(Body).where(Body.code == "WGSMD")).scalar_one()
        db.session.execute(delete(Membership).where(Membership.user_id == folk["ids"]["wgsmd"],
                                                    Membership.body_id == wgsmd.id))
        db.session.commit()
    r = client.patch(f"{API}/{doc_id}", json={"title": "Revised", "body": "WGSMD"}, headers=folk["wgsmd"])
    assert r.status_code == 200, r.get_data(as_text=True)
    r = client.put(f"{API}/{doc_id}/access", json={"level": "body", "body": "WGSMD", "orgs": ["PHL"]},
                   headers=folk["wgsmd"])
    assert r.status_code == 200, r.get_data(as_text=True)
    assert created(new_version(client, folk["wgsmd"], doc_id, "b.txt", b"second"))["number"] == 2
    assert stored(app, doc_id) == ("THA", "WGSMD", "body", "WGSMD", 2)


def test_asec_staff_file_in_any_body(app, client, folk):
    doc = created(upload(client, folk["staff"], "a.txt", b"text", body="WGSMD", access="body",
                         access_body="WGSMD"))
    assert (doc["org"], doc["body"], doc["access"]["body"]) == ("ASEC", "WGSMD", "WGSMD")
    assert "on_behalf_of" not in audit_details(app, "document.uploaded")[0]
