"""Shared pieces for the document tests: people by role, small real files, sharing through the page."""
from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from aocp.accounts.models import User
from aocp.audit import AuditEntry
from aocp.documents import services
from aocp.documents.models import DocumentVersion
from aocp.extensions import db
from aocp.orgs.models import Body, Organisation
from tests.conftest import csrf_token, login, post_form, totp_now, user_email
from tests.documents.files import make_docx, make_pdf, make_xlsx, make_zip  # noqa: F401 (used by the tests)

UPLOAD_PAGE = "/documents/upload"


# --- files ------------------------------------------------------------------------------------

# --- storage and database state ---------------------------------------------------------------

def upload_root(app) -> Path:
    return Path(app.config["UPLOAD_DIR"]) / "documents"


def stored_files(app) -> list[Path]:
    """Every file under the documents' upload directory, partial ones included."""
    root = upload_root(app)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture(autouse=True)
def _empty_uploads(app):
    """Each test starts with no stored files (the database is emptied by the shared fixture)."""
    shutil.rmtree(upload_root(app), ignore_errors=True)
    yield


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def audit_rows(app, action: str) -> list[dict]:
    """The audit entries of one kind, oldest first, with their details decoded."""
    with app.app_context():
        rows = db.session.execute(select(AuditEntry).where(AuditEntry.action == action)
                                  .order_by(AuditEntry.id)).scalars().all()
        return [{"actor": e.actor_id, "target": e.target_id, **json.loads(e.details)} for e in rows]


def versions_of(app, doc_id: int) -> list[dict]:
    """A document's versions, oldest first, as plain values."""
    with app.app_context():
        rows = db.session.execute(select(DocumentVersion).where(DocumentVersion.document_id == doc_id)
                                  .order_by(DocumentVersion.number)).scalars().all()
        return [{"number": v.number, "key": v.storage_key, "sha256": v.sha256, "size": v.size, "name": v.original_name,
                 "note": v.note, "content_type": v.content_type} for v in rows]


# --- people -----------------------------------------------------------------------------------

PEOPLE = {
    "uploader": dict(role="delegate", org_code="MYS", email="uploader@example.org", name="Uma Uploader",
                     bodies={"WGTIM": "member"}),
    "member": dict(role="delegate", org_code="IDN", email="member@example.org", name="Mira Member",
                   bodies={"WGTIM": "member"}),
    "outsider": dict(role="delegate", org_code="PHL", email="outsider@example.org", name="Oscar Outsider"),
    "focal": dict(role="focal_person", org_code="THA", email="focal@example.org", name="Fah Focal"),
    "observer": dict(role="observer", org_code="JPN", email="observer@example.org", name="Obi Observer"),
    "staff": dict(role="asec_staff", email="staff@example.org", name="Sari Staff"),
    "admin": dict(role="asec_admin", email="admin@example.org", name="Adi Admin", mfa_on=True),
}


class _People(dict):
    """User ids by name, each account made the first time a test asks for it (hashing passwords takes time)."""

    def __init__(self, make_user):
        super().__init__()
        self._make_user = make_user

    def __missing__(self, name: str) -> int:
        self[name] = self._make_user(**PEOPLE[name])
        return self[name]


@pytest.fixture
def people(make_user) -> dict[str, int]:
    """User ids: the uploader (Malaysia) and another WGTIM member (Indonesia), a Philippine delegate and a
    Thai focal person in no body, an observer from Japan, ASEC staff and an ASEC administrator."""
    return _People(make_user)


def sign_in(app, client, user_id: int) -> None:
    """Sign in as a person would, answering the second-factor page when it is asked (administrators)."""
    r = login(client, user_email(app, user_id))
    assert r.status_code == 302, r.get_data(as_text=True)
    if r.headers["Location"].endswith("/login/code"):
        r = post_form(client, "/login/code", {"code": totp_now(app, user_id)})
        assert r.status_code == 302 and not r.headers["Location"].endswith("/login/code")


@pytest.fixture
def as_user(app):
    """as_user(user_id) -> a test client of its own, signed in as that person."""
    def sign(user_id: int):
        client = app.test_client()
        sign_in(app, client, user_id)
        return client
    return sign


# --- sharing ----------------------------------------------------------------------------------

def share(client, *files: tuple[bytes, str], **fields):
    """Post the upload page as a person would: the files and the form's fields (sensible defaults)."""
    data = {"doc_type": "country_report", "language": "en", "org": "MYS", "body": "", "title": "",
            "description": "", "action_line": "", "tags": "", "note": "", "access_level": "asean",
            "access_body": "", "access_people": ""}
    data.update(fields)
    data["files"] = [FileStorage(io.BytesIO(content), name) for content, name in files]
    data["csrf_token"] = csrf_token(client, UPLOAD_PAGE)
    return post_multipart(client, UPLOAD_PAGE, data)


def post_multipart(client, url: str, data: dict, **kwargs):
    """POST a multipart form encoded in memory (the test client would spool a large body to a file it never
    closes). File values are FileStorage objects or lists of them."""
    boundary, body = encode_multipart(data)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}", **kwargs)


def shared_id(response) -> int:
    """The id of the document a successful single upload redirected to."""
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/documents/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def by_code(model, code: str):
    """The organisation or body with this code (inside an app context)."""
    return db.session.execute(select(model).where(model.code == code)).scalar_one()


@pytest.fixture
def make_doc(app):
    """make_doc(uploader_id, title=..., data=..., filename=..., level=..., body=..., orgs=[...], people=[...],
    in_body=..., ...details) -> the new document's id, created through the service as an upload would be.
    `level`, `body`, `orgs` and `people` say who may see it; `in_body` is the body it belongs to."""
    def make(uploader_id: int, title: str = "A document", data: bytes = b"Plain text.", filename: str = "a.txt",
             level: str = "asean", body: str | None = None, orgs=(), people=(), org: str | None = None,
             tags=(), in_body: str | None = None, **details) -> int:
        with app.app_context():
            user = db.session.get(User, uploader_id)
            access = services.Access(level, by_code(Body, body) if body else None,
                                     [by_code(Organisation, c) for c in orgs],
                                     [db.session.get(User, i) for i in people])
            with services.committing():
                doc = services.create(user, services.Upload(io.BytesIO(data), filename),
                                      services.Details(title, by_code(Organisation, org) if org else user.org,
                                                       tags=list(tags),
                                                       body=by_code(Body, in_body) if in_body else None,
                                                       **details), access)
            return doc.id
    return make


def page_text(response) -> str:
    text = response.get_data(as_text=True)
    response.close()
    return text


def fetch(client, url: str, **kwargs):
    """GET, read the whole body and close the response (a download holds its file open until then)."""
    r = client.get(url, **kwargs)
    r.get_data()
    r.close()
    return r


def filename_star(response) -> str:
    match = re.search(r"filename\*=UTF-8''([^;\s]+)", response.headers["Content-Disposition"])
    assert match, response.headers["Content-Disposition"]
    return unquote(match.group(1))
