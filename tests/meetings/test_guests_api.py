"""API parity for readiness, guests, papers shared with guests, the papers pack, the calendar link and restoring a
document version: the same services and policy as the pages."""
from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from aocp.documents import services as documents
from aocp.documents.models import Document, DocumentVersion
from aocp.extensions import db
from aocp.meetings import services
from aocp.meetings.models import AgendaItem, Meeting, Participant
from tests.api.conftest import assert_error, bearer, make_token  # noqa: F401 (a fixture)
from tests.meetings.conftest import make_doc, user
from tests.meetings.test_papers_pack import papers, zip_of  # noqa: F401 (a fixture)

API = "/api/v1"


def attach(app, people, meeting_id, position, doc_id):
    with app.app_context():
        item = db.session.execute(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id,
                                                           AgendaItem.position == position)).scalar_one()
        services.attach_paper(user(people["chair"]), item, db.session.get(Document, doc_id))
        db.session.commit()


def test_readiness_as_json(app, client, people, meeting, make_token):  # noqa: F811
    with app.app_context():
        make_doc(people["tha"], "Thai report", doc_type="country_report", meeting_id=meeting)
    data = client.get(f"{API}/meetings/{meeting}/readiness", headers=bearer(make_token(people["mys"], "read")))
    data = data.get_json()
    assert (data["expected"], data["submitted"], data["percent"]) == (10, 1, 10)
    tha = next(d for d in data["items"] if d["org"] == "THA")
    assert tha["state"] == "submitted" and tha["reports"][0]["title"] == "Thai report"
    assert next(d for d in data["items"] if d["org"] == "BRN")["state"] == "no_member"
    assert_error(client.get(f"{API}/meetings/{meeting}/readiness", headers=bearer(make_token(people["outsider"]))),
                 404)


def test_guests_are_invited_shared_with_and_removed_through_the_api(app, client, people, meeting, make_user,
                                                                    make_token):  # noqa: F811
    guest = make_user("observer", "IGF", "igf@example.org", name="Ines Forum")
    chair = bearer(make_token(people["chair"]))
    url = f"{API}/meetings/{meeting}/guests"
    r = client.post(url, headers=chair, json={"user_id": guest, "role": "resource_person"})
    assert r.status_code == 201 and r.get_json()["role"] == "resource_person"
    assert [g["name"] for g in client.get(url, headers=chair).get_json()["items"]] == ["Ines Forum"]
    assert_error(client.post(url, headers=chair, json={"user_id": guest, "role": "guest"}), 422)
    assert_error(client.post(url, headers=chair, json={"user_id": people["tha"], "role": "guest"}), 422)
    assert_error(client.post(url, headers=chair, json={"user_id": guest, "role": "chair"}), 422)
    assert_error(client.post(url, headers=chair, json={"user_id": 999999, "role": "guest"}), 422)
    assert_error(client.post(url, headers=bearer(make_token(people["tha"])),
                             json={"user_id": people["outsider"], "role": "guest"}), 403)
    with app.app_context():
        doc = make_doc(people["mys"], "For guests")
    attach(app, people, meeting, 2, doc)
    share = f"{API}/meetings/{meeting}/papers/{doc}/guests"
    assert client.put(share, headers=chair, json={"shared": True}).get_json() == {"document_id": doc,
                                                                                   "shared": True}
    assert_error(client.put(share, headers=chair, json={"shared": "yes"}), 422)
    with app.app_context():
        services.publish_agenda(user(people["chair"]), db.session.get(Meeting, meeting))
        db.session.commit()
    as_guest = bearer(make_token(guest, "read"))
    assert client.get(f"{API}/documents/{doc}", headers=as_guest).status_code == 200
    r = client.get(f"{API}/meetings/{meeting}/papers.zip", headers=as_guest)
    assert zipfile.ZipFile(io.BytesIO(r.data)).namelist() == ["index.csv", "02-Country reports/paper.txt"]
    assert client.delete(f"{url}/{guest}", headers=chair).status_code == 204
    assert_error(client.delete(f"{url}/{guest}", headers=chair), 422)
    with app.app_context():
        assert db.session.execute(select(Participant).where(Participant.user_id == guest)).first() is None
    assert_error(client.get(f"{API}/documents/{doc}", headers=as_guest), 404)
    assert_error(client.get(f"{API}/meetings/{meeting}/papers.zip", headers=as_guest), 404)


def test_the_calendar_link_is_created_reset_and_deleted(app, client, people, meeting, make_token):  # noqa: F811
    me = bearer(make_token(people["tha"]))
    assert client.get(f"{API}/calendar/link", headers=me).get_json() == {"active": False, "created_at": None}
    first = client.post(f"{API}/calendar/link", headers=me)
    assert first.status_code == 201 and first.get_json()["replaced"] is False
    feed = first.get_json()["url"].split("/calendar/feed/", 1)[1]
    assert client.get(f"/calendar/feed/{feed}").status_code == 200
    second = client.post(f"{API}/calendar/link", headers=me).get_json()
    assert second["replaced"] is True and client.get(f"/calendar/feed/{feed}").status_code == 404
    assert client.get(f"{API}/calendar/link", headers=me).get_json()["active"] is True
    assert client.delete(f"{API}/calendar/link", headers=me).status_code == 204
    assert client.get(f"{API}/calendar/link", headers=me).get_json()["active"] is False
    assert client.delete(f"{API}/calendar/link", headers=me).status_code == 204  # none: nothing changes
    assert_error(client.post(f"{API}/calendar/link", headers=bearer(make_token(people["tha"], "read"))), 403)


def test_restoring_a_document_version(app, client, people, make_token):  # noqa: F811
    with app.app_context():
        doc_id = make_doc(people["tha"], "Versioned")
        with documents.committing():
            documents.add_version(user(people["tha"]), db.session.get(Document, doc_id),
                                  documents.Upload(io.BytesIO(b"second\n"), "v2.txt"), "")
    url = f"{API}/documents/{doc_id}/versions/1/restore"
    r = client.post(url, headers=bearer(make_token(people["tha"])))
    assert r.status_code == 201 and r.get_json()["number"] == 3
    with app.app_context():
        newest = db.session.execute(select(DocumentVersion).where(DocumentVersion.document_id == doc_id,
                                                                  DocumentVersion.number == 3)).scalar_one()
        assert newest.original_name == "paper.txt"
    assert_error(client.post(url, headers=bearer(make_token(people["mys"]))), 403)  # may read, not edit
    assert_error(client.post(f"{API}/documents/{doc_id}/versions/9/restore",
                             headers=bearer(make_token(people["tha"]))), 404)
    assert_error(client.post(url, headers=bearer(make_token(people["outsider"]))), 404)

def test_the_api_gives_the_same_pack(app, client, people, meeting, papers, make_token):  # noqa: F811
    headers = bearer(make_token(people["tha"], "read"))
    zf = zip_of(client.get(f"/api/v1/meetings/{meeting}/papers.zip", headers=headers))
    assert len(zf.namelist()) == 4
    r = client.get(f"/api/v1/meetings/{meeting}/papers.zip", headers=bearer(make_token(people["outsider"])))
    assert r.status_code == 404 and r.mimetype == "application/json"


