"""Shared world for workspace and meeting pages: WGTIM with a chair, members from two Member States, an
observer, people from elsewhere, a JWG meeting and the 21st WGTIM Meeting held back-to-back with it."""
from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from aocp.accounts.models import User
from aocp.audit import AuditEntry
from aocp.documents import services as documents
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings import services
from aocp.meetings.models import Meeting
from tests.conftest import body, org


@pytest.fixture
def people(make_user):
    """Ids by part played: WGTIM chair (MYS focal person), MYS and THA delegates, THA focal person (member),
    a JPN observer of WGTIM, a PHL delegate of WGSMD only, ASEC staff and an ASEC administrator."""
    return {
        "chair": make_user("focal_person", "MYS", "chair@example.org", {"WGTIM": "chair", "JWG": "member"},
                           name="Aminah Chair"),
        "mys": make_user("delegate", "MYS", "mys@example.org", {"WGTIM": "member"}, name="Hafiz Malaysia"),
        "tha": make_user("delegate", "THA", "tha@example.org", {"WGTIM": "member"}, name="Somchai Thailand"),
        "tha_focal": make_user("focal_person", "THA", "focal.tha@example.org", {"WGTIM": "member"},
                               name="Nok Focal"),
        "observer": make_user("observer", "JPN", "observer@example.org", {"WGTIM": "observer"},
                              name="Kenji Observer"),
        "outsider": make_user("delegate", "PHL", "outsider@example.org", {"WGSMD": "member"}, name="Jose Outside"),
        "staff": make_user("asec_staff", "ASEC", "staff@example.org", name="Sari Staff"),
        "admin": make_user("asec_admin", "ASEC", "admin@example.org", mfa_on=True, name="Ayu Admin"),
    }


def user(uid: int) -> User:
    return db.session.get(User, uid)




def soon(days: int) -> date:
    return date.today() + timedelta(days=days)


def schedule(actor_id: int, code: str = "WGTIM", starts_in: int = 30, **kw) -> int:
    """A meeting of `code` scheduled through the service, committed; returns its id."""
    details = services.MeetingDetails(starts_on=soon(starts_in), ends_on=soon(starts_in + kw.pop("days", 1)),
                                      **kw)
    meeting = services.create_meeting(user(actor_id), body(code), details)
    db.session.commit()
    return meeting.id


@pytest.fixture
def meeting(app, people):
    """The 21st WGTIM Meeting in Bangkok, grouped with the 5th JWG Meeting, with a two-item agenda."""
    with app.app_context():
        jwg = schedule(people["staff"], "JWG", 33, number=5, timezone="Asia/Bangkok")
        wgtim = schedule(people["chair"], "WGTIM", 31, number=21, timezone="Asia/Bangkok", start_time="09:30",
                         host=org("THA"), venue="Centara Grand, Bangkok", status="confirmed",
                         group_with=db.session.get(Meeting, jwg), paper_deadline=soon(20),
                         chair=user(people["chair"]))
        m = db.session.get(Meeting, wgtim)
        services.add_item(user(people["chair"]), m, "Adoption of the agenda", "Chair", 10)
        services.add_item(user(people["chair"]), m, "Country reports", "Member States", 60)
        db.session.commit()
        return wgtim


def make_doc(uploader_id: int, title: str, level: str = "body", access_body: str | None = "WGTIM",
             doc_type: str = "meeting_paper", body_code: str | None = "WGTIM", meeting_id: int | None = None,
             org_code: str | None = None) -> int:
    """A document shared through the documents service; returns its id."""
    uploader = user(uploader_id)
    details = documents.Details(title=title, org=org(org_code) if org_code else uploader.org, doc_type=doc_type,
                                body=body(body_code) if body_code else None)
    access = documents.Access(level, body(access_body) if level == "body" else None)
    with documents.committing():
        doc = documents.create(uploader, documents.Upload(io.BytesIO(f"{title}\n".encode()), "paper.txt"),
                               details, access)
        doc.meeting_id = meeting_id
    return doc.id


def audit_actions() -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def page(client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return r.get_data(as_text=True)


@contextmanager
def counted(app):
    """Count the SQL statements sent while the block runs."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def documents_of(meeting_id: int) -> list[Document]:
    return list(db.session.execute(select(Document).where(Document.meeting_id == meeting_id)).scalars())
