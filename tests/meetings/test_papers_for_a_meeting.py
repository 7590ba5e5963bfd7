"""Filing a document for a meeting: the upload and edit forms' meeting field, the meeting pages' links that
fill it in, and the same through the API. A paper filed for a meeting counts in its readiness view."""
from __future__ import annotations

import io
import json

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from aocp.accounts import services as accounts
from aocp.audit import AuditEntry
from aocp.documents.models import Document
from aocp.extensions import db
from tests.api.conftest import assert_error, bearer
from tests.conftest import csrf_token, sign_in
from tests.documents.conftest import post_multipart
from tests.meetings.conftest import page, schedule, user

FIELDS = {"doc_type": "country_report", "language": "en", "org": "THA", "body": "WGTIM", "meeting": "",
          "title": "", "description": "", "action_line": "", "tags": "", "note": "", "access_level": "body",
          "access_body": "WGTIM", "access_people": ""}


def share(client, url: str, **fields):
    data = {**FIELDS, **fields, "csrf_token": csrf_token(client, url),
            "files": [FileStorage(io.BytesIO(b"Thailand country report.\n"), "report.txt")]}
    return post_multipart(client, url, data)


def docs() -> list[Document]:
    return list(db.session.execute(select(Document).order_by(Document.id)).scalars())


def test_the_readiness_link_files_the_country_report_for_the_meeting(app, client, people, meeting):
    sign_in(app, client, people["tha"])
    html = page(client, f"/meetings/{meeting}")
    link = f"/documents/upload?body=WGTIM&amp;meeting={meeting}&amp;type=country_report"
    assert link in html
    url = link.replace("&amp;", "&")
    form = page(client, url)
    assert f'<option selected value="{meeting}">21st WGTIM Meeting' in form
    r = share(client, url, meeting=str(meeting), title="Thailand country report 2026")
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        doc = docs()[-1]
        assert (doc.meeting_id, doc.body.code, doc.doc_type) == (meeting, "WGTIM", "country_report")
        doc_id = doc.id
    assert f'href="/meetings/{meeting}">21st WGTIM Meeting</a>' in page(client, f"/documents/{doc_id}")
    section = page(client, f"/meetings/{meeting}")
    section = section[section.index('id="readiness"'):section.index('</main>')]
    assert "1 of 10 delegations have filed their country report" in section
    assert "Thailand country report 2026" in section[section.index("Thailand"):]


def test_a_meeting_sets_the_body_and_must_agree_with_a_body_chosen(app, client, people, meeting):
    sign_in(app, client, people["chair"])
    r = share(client, "/documents/upload", meeting=str(meeting), body="", title="Paper without a body", org="MYS")
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        assert docs()[-1].body.code == "WGTIM"
        jwg_meeting = db.session.get(Document, docs()[-1].id).meeting.group_with_id
        before = len(docs())
    r = share(client, "/documents/upload", meeting=str(jwg_meeting), body="WGTIM", title="Wrong body", org="MYS")
    assert r.status_code == 400
    assert "5th JWG Meeting is a meeting of JWG: choose that body, or no meeting." in r.get_data(as_text=True)
    with app.app_context():
        assert len(docs()) == before


def test_a_meeting_the_person_may_not_see_is_neither_offered_nor_accepted(app, client, people, meeting):
    with app.app_context():
        wgsmd = schedule(people["staff"], "WGSMD", 40, number=9)
    sign_in(app, client, people["tha"])
    form = page(client, f"/documents/upload?meeting={wgsmd}")
    assert "WGSMD Meeting" not in form and f'value="{wgsmd}"' not in form
    with app.app_context():
        before = len(docs())
    r = share(client, "/documents/upload", meeting=str(wgsmd), body="", title="Sneaked in")
    assert r.status_code == 400 and "Not a valid choice" in r.get_data(as_text=True)
    with app.app_context():
        assert len(docs()) == before


def test_editing_sets_and_clears_the_meeting_and_the_audit_says_so(app, client, people, meeting):
    sign_in(app, client, people["tha"])
    assert share(client, "/documents/upload", title="A Thai paper").status_code == 302
    with app.app_context():
        doc_id = docs()[-1].id
    url = f"/documents/{doc_id}/edit"
    fields = {"title": "A Thai paper", "description": "", "doc_type": "meeting_paper", "language": "en",
              "org": "THA", "body": "WGTIM", "action_line": "", "tags": ""}
    r = client.post(url, data={**fields, "meeting": str(meeting), "csrf_token": csrf_token(client, url)})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert f'<option selected value="{meeting}">' in page(client, url)
    r = client.post(url, data={**fields, "meeting": "", "csrf_token": csrf_token(client, url)})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Document, doc_id).meeting_id is None
        changes = [json.loads(e.details) for e in db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "document.updated")).scalars()]
    assert [(c["before"]["meeting_id"], c["after"]["meeting_id"]) for c in changes] == [(None, meeting),
                                                                                      (meeting, None)]


def test_the_api_files_a_paper_for_a_meeting_and_refuses_one_it_may_not_see(app, client, people, meeting):
    with app.app_context():
        wgsmd = schedule(people["staff"], "WGSMD", 40, number=9)
        _, raw = accounts.create_token(user(people["tha"]), "papers", "write")
        db.session.commit()
    headers = bearer(raw)

    def upload(**fields):
        return client.post("/api/v1/documents", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"Paper.\n"), "paper.txt"), **fields})

    r = upload(meeting_id=str(meeting), title="Via the API")
    assert r.status_code == 201, r.get_data(as_text=True)
    doc = r.get_json()
    assert doc["meeting_id"] == meeting and doc["body"] == "WGTIM"
    with app.app_context():
        before = len(docs())
    for bad in (str(wgsmd), "0", "x", "99999999"):
        error = assert_error(upload(meeting_id=bad, title="Refused"), 422)
        assert "meeting_id" in error["fields"], bad
    r = client.patch(f"/api/v1/documents/{doc['id']}", headers=headers, json={"meeting_id": wgsmd})
    assert "meeting_id" in assert_error(r, 422)["fields"]
    r = client.patch(f"/api/v1/documents/{doc['id']}", headers=headers, json={"meeting_id": None})
    assert r.status_code == 200 and r.get_json()["meeting_id"] is None
    with app.app_context():
        assert len(docs()) == before
