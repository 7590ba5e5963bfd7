"""Acting for someone else through the pages: a document is shared in the name of one's own organisation (ASEC may
name any), filed in bodies one belongs to, and shared with the members of those bodies only."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import delete, select
from werkzeug.datastructures import FileStorage

from aocp.accounts.models import User
from aocp.documents.models import Document, DocumentVersion
from aocp.extensions import db
from aocp.orgs.models import Body, Membership, Organisation
from tests.conftest import csrf_token
from tests.documents.conftest import (
    UPLOAD_PAGE,
    audit_rows,
    by_code,
    count,
    page_text,
    post_multipart,
    share,
    shared_id,
    stored_files,
)
from tests.meetings._factories import make_meeting


@pytest.fixture
def mys_focal(make_user) -> int:
    """Malaysia's focal person, a member of WGTIM only."""
    return make_user("focal_person", org_code="MYS", email="focal.mys@example.org", bodies={"WGTIM": "member"})


@pytest.fixture
def wgsmd_member(make_user) -> int:
    return make_user("delegate", org_code="THA", email="wgsmd@example.org", bodies={"WGSMD": "member"})


def assert_nothing_stored(app) -> None:
    assert count(app, Document) == 0 and count(app, DocumentVersion) == 0
    assert stored_files(app) == []


def denied_rules(app) -> list[str]:
    return [row["rule"] for row in audit_rows(app, "access.denied")]


def doc_values(app, doc_id: int) -> tuple:
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        return (doc.org.code, doc.body.code if doc.body else None, doc.access_level,
                doc.access_body.code if doc.access_body else None, doc.title, doc.version_count)


def option_values(page: str, name: str) -> list[str]:
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option[^>]*value="([^"]*)"', select_html)


def file_as_other_country(app, doc_id: int, code: str = "PHL") -> None:
    """A document that names another Member State, as the old code let anyone file."""
    with app.app_context():
        db.session.get(Document, doc_id).org = by_code(Organisation, code)
        db.session.commit()


def leave_body(app, user_id: int, code: str) -> None:
    with app.app_context():
        db.session.execute(delete(Membership).where(Membership.user_id == user_id,
                                                    Membership.body_id == by_code(Body, code).id))
        db.session.commit()


# --- organisation --------------------------------------------------------------------------

def test_a_focal_person_cannot_share_a_country_report_as_another_member_state(app, as_user, mys_focal):
    r = share(as_user(mys_focal), (b"Philippine figures", "phl.txt"), org="PHL", doc_type="country_report")
    assert r.status_code == 403
    assert "You may share documents only in the name of Malaysia" in page_text(r)
    assert_nothing_stored(app)
    assert denied_rules(app) == ["documents.file_for"]


def test_the_upload_form_offers_ones_own_organisation_and_asec_every_one(app, as_user, mys_focal, people):
    assert option_values(page_text(as_user(mys_focal).get(UPLOAD_PAGE)), "org") == ["MYS"]
    offered = option_values(page_text(as_user(people["staff"]).get(UPLOAD_PAGE)), "org")
    assert {"ASEC", "MYS", "PHL", "THA"} <= set(offered)


def test_an_unknown_organisation_code_is_a_form_error(app, as_user, mys_focal):
    r = share(as_user(mys_focal), (b"text", "a.txt"), org="NOPE")
    assert r.status_code == 400 and "choose an organisation from the list." in page_text(r)
    assert_nothing_stored(app)


def test_asec_staff_share_for_a_member_state_and_the_audit_names_it(app, as_user, people):
    doc_id = shared_id(share(as_user(people["staff"]), (b"Philippine figures", "phl.txt"), org="PHL"))
    assert doc_values(app, doc_id)[0] == "PHL"
    [entry] = audit_rows(app, "document.uploaded")
    assert entry["on_behalf_of"] == "PHL" and entry["actor"] == people["staff"]


def test_sharing_in_ones_own_name_leaves_no_on_behalf_note(app, as_user, people):
    shared_id(share(as_user(people["uploader"]), (b"Our figures", "mys.txt"), org="MYS"))
    [entry] = audit_rows(app, "document.uploaded")
    assert "on_behalf_of" not in entry


def test_changing_a_documents_organisation_to_another_member_state_is_refused(app, as_user, people, make_doc):
    doc_id = make_doc(people["uploader"], title="Malaysia report")
    client = as_user(people["uploader"])
    edit = f"/documents/{doc_id}/edit"
    r = client.post(edit, data={"csrf_token": csrf_token(client, edit), "title": "Now Philippine", "org": "PHL",
                                "doc_type": "country_report", "language": "en"})
    assert r.status_code == 403 and "only in the name of Malaysia" in page_text(r)
    assert doc_values(app, doc_id)[0::4] == ("MYS", "Malaysia report")


def test_the_uploader_still_edits_a_document_that_keeps_another_countrys_name(app, as_user, people, make_doc):
    doc_id = make_doc(people["uploader"], title="Old title")
    file_as_other_country(app, doc_id)
    client = as_user(people["uploader"])
    edit = f"/documents/{doc_id}/edit"
    assert option_values(page_text(client.get(edit)), "org") == ["MYS", "PHL"]  # by name: Malaysia, Philippines
    r = client.post(edit, data={"csrf_token": csrf_token(client, edit), "title": "New title", "org": "PHL",
                                "doc_type": "other", "language": "en"})
    assert r.status_code == 302, page_text(r)
    assert doc_values(app, doc_id)[0::4] == ("PHL", "New title")


def test_a_new_version_of_a_document_in_another_countrys_name_is_refused(app, as_user, people, make_doc):
    doc_id = make_doc(people["uploader"])
    file_as_other_country(app, doc_id)
    client = as_user(people["uploader"])
    r = post_multipart(client, f"/documents/{doc_id}/versions", {
        "csrf_token": csrf_token(client, f"/documents/{doc_id}"),
        "file": FileStorage(io.BytesIO(b"Second draft"), "b.txt"), "note": ""})
    assert r.status_code == 403 and "only in the name of Malaysia" in page_text(r)
    assert doc_values(app, doc_id)[5] == 1 and len(stored_files(app)) == 1


def test_someone_else_cannot_add_a_version_of_a_document_they_did_not_upload(app, as_user, people, make_doc):
    doc_id = make_doc(people["uploader"])
    client = as_user(people["member"])
    r = post_multipart(client, f"/documents/{doc_id}/versions", {
        "csrf_token": csrf_token(client, f"/documents/{doc_id}"),
        "file": FileStorage(io.BytesIO(b"Second draft"), "b.txt"), "note": ""})
    assert r.status_code == 403 and doc_values(app, doc_id)[5] == 1


# --- bodies and meetings -------------------------------------------------------------------

@pytest.mark.parametrize("fields", [dict(body="WGSMD"), dict(access_level="body", access_body="WGSMD"),
                                    dict(body="WGSMD", access_level="body", access_body="WGSMD")],
                         ids=["body", "access_body", "both"])
def test_a_non_member_cannot_file_in_a_body_or_share_with_its_members(app, as_user, people, fields):
    r = share(as_user(people["uploader"]), (b"text", "a.txt"), **fields)
    assert r.status_code == 403 and "Only members of WGSMD may" in page_text(r)
    assert_nothing_stored(app)
    assert denied_rules(app) == ["documents.file_in"]


def test_the_upload_form_offers_the_bodies_one_belongs_to(app, as_user, people):
    page = page_text(as_user(people["uploader"]).get(UPLOAD_PAGE))
    assert option_values(page, "body") == ["", "WGTIM"] and option_values(page, "access_body") == ["", "WGTIM"]


def test_a_member_files_in_their_body_and_shares_with_its_members(app, as_user, wgsmd_member):
    doc_id = shared_id(share(as_user(wgsmd_member), (b"text", "a.txt"), org="THA", body="WGSMD",
                             access_level="body", access_body="WGSMD"))
    assert doc_values(app, doc_id)[:4] == ("THA", "WGSMD", "body", "WGSMD")


def test_a_non_member_cannot_file_a_paper_for_another_bodys_meeting(app, as_user, people, wgsmd_member, make_user):
    chair = make_user("focal_person", org_code="VNM", bodies={"WGSMD": "chair"})
    meeting = make_meeting(app, chair, "WGSMD")
    r = share(as_user(people["uploader"]), (b"text", "a.txt"), meeting=str(meeting))
    assert r.status_code == 400 and "Not a valid choice" in page_text(r)  # the meeting is not even offered
    assert_nothing_stored(app)
    doc_id = shared_id(share(as_user(wgsmd_member), (b"text", "a.txt"), org="THA", meeting=str(meeting)))
    with app.app_context():
        assert db.session.get(Document, doc_id).body.code == "WGSMD"


def test_moving_a_document_into_a_body_one_is_not_in_is_refused(app, as_user, people, make_doc):
    doc_id = make_doc(people["uploader"], title="Paper", in_body="WGTIM")
    client = as_user(people["uploader"])
    edit = f"/documents/{doc_id}/edit"
    r = client.post(edit, data={"csrf_token": csrf_token(client, edit), "title": "Paper", "org": "MYS",
                                "body": "WGSMD", "doc_type": "other", "language": "en"})
    assert r.status_code == 403 and "Only members of WGSMD may file documents in it." in page_text(r)
    assert doc_values(app, doc_id)[1] == "WGTIM"


def test_a_document_keeps_the_body_its_uploader_has_since_left(app, as_user, people, make_doc):
    doc_id = make_doc(people["uploader"], title="Paper", in_body="WGTIM", level="body", body="WGTIM")
    leave_body(app, people["uploader"], "WGTIM")
    client = as_user(people["uploader"])
    edit = f"/documents/{doc_id}/edit"
    r = client.post(edit, data={"csrf_token": csrf_token(client, edit), "title": "Paper, revised", "org": "MYS",
                                "body": "WGTIM", "doc_type": "other", "language": "en"})
    assert r.status_code == 302, page_text(r)
    access = f"/documents/{doc_id}/access"
    r = client.post(access, data={"csrf_token": csrf_token(client, access), "access_level": "body",
                                  "access_body": "WGTIM", "access_people": ""})
    assert r.status_code == 302, page_text(r)
    assert doc_values(app, doc_id)[1:5] == ("WGTIM", "body", "WGTIM", "Paper, revised")


def test_sharing_with_the_members_of_a_body_one_is_not_in_is_refused(app, as_user, people, make_doc):
    doc_id = make_doc(people["uploader"])
    client = as_user(people["uploader"])
    access = f"/documents/{doc_id}/access"
    r = client.post(access, data={"csrf_token": csrf_token(client, access), "access_level": "body",
                                  "access_body": "WGSMD", "access_people": ""})
    assert r.status_code == 403 and "Only members of WGSMD may share documents with its members." in page_text(r)
    assert doc_values(app, doc_id)[2:4] == ("asean", None)
    assert denied_rules(app) == ["documents.file_in"]


def test_asec_staff_file_in_any_body(app, as_user, people):
    doc_id = shared_id(share(as_user(people["staff"]), (b"text", "a.txt"), org="ASEC", body="WGSMD",
                             access_level="body", access_body="WGSMD"))
    assert doc_values(app, doc_id)[:4] == ("ASEC", "WGSMD", "body", "WGSMD")


def test_a_script_upload_refused_for_another_country_answers_403_with_the_reason(app, as_user, mys_focal):
    client = as_user(mys_focal)
    data = {"doc_type": "country_report", "language": "en", "org": "PHL", "title": "", "access_level": "asean",
            "csrf_token": csrf_token(client, UPLOAD_PAGE), "files": [FileStorage(io.BytesIO(b"x"), "a.txt")]}
    r = post_multipart(client, UPLOAD_PAGE, data, headers={"X-Requested-With": "aocp-upload"})
    assert r.status_code == 403
    messages = [m for ms in r.get_json()["errors"].values() for m in ms]
    assert any("only in the name of Malaysia" in m for m in messages)
    assert_nothing_stored(app)


def test_the_service_refuses_what_the_page_would(app, mys_focal):
    """Pages and API share the rule: it lives in the services (and the policy), not in a view."""
    from aocp.documents import services
    from aocp.policy import PermissionDenied

    with app.app_context():
        user = db.session.get(User, mys_focal)
        details = services.Details("Report", by_code(Organisation, "PHL"))
        with pytest.raises(PermissionDenied) as refused:
            with services.committing():
                services.create(user, services.Upload(io.BytesIO(b"x"), "a.txt"), details, services.Access("asean"))
        assert str(refused.value) == "documents.file_for"
        assert db.session.execute(select(Document)).first() is None
