"""A full or unwritable upload directory: a clear refusal (507 or 503), nothing kept, an ERROR log entry.

Two faults, each through the upload page, a new version on a document's page and the API upload:
the directory refuses writes (EACCES: chmod 0o500, or, as root, where chmod stops nothing, the
file's creation refused as the kernel would), and the disk fills up mid-write (ENOSPC after two
chunks, with the partial file really on disk when it happens).
"""
from __future__ import annotations

import builtins
import errno
import html
import io
import logging
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from aocp.accounts.models import User
from aocp.accounts.services import create_token
from aocp.audit import AuditEntry
from aocp.documents import storage as storage_module
from aocp.documents.models import Document, DocumentVersion
from aocp.documents.services import StorageUnavailable
from aocp.extensions import db
from tests.conftest import csrf_token, login, user_email
from tests.documents.conftest import post_multipart

CHUNK = 4096
CONTENT = b"Nickel and cobalt supply outlook for the WGTIM meeting.\n" * 400  # 22 kB: several chunks
MESSAGE = StorageUnavailable.MESSAGE


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def rows(app) -> tuple[int, int, int]:
    with app.app_context():
        documents = db.session.scalar(select(func.count()).select_from(Document))
        versions = db.session.scalar(select(func.count()).select_from(DocumentVersion))
        audited = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action.in_(("document.uploaded", "document.version_added"))))
        return documents, versions, audited


class FillingDisk:
    """A file on a disk with room for `room` bytes: writes past it fail with ENOSPC, as write(2) does."""

    def __init__(self, real, room: int, seen: list[int]):
        self.real, self.room, self.seen = real, room, seen

    def write(self, data: bytes) -> int:
        if self.real.tell() + len(data) > self.room:
            self.real.flush()
            self.seen.append(os.path.getsize(self.real.name))  # the partial file as it stands on disk
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.real.write(data)

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()


@pytest.fixture
def root(app) -> Path:
    path = Path(app.config["UPLOAD_DIR"]) / "documents"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    yield path
    for sub in [path, *path.iterdir()]:
        sub.chmod(0o755)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def unwritable(root, monkeypatch):
    """Make the upload directory refuse new files; returns how ('chmod' or 'refused open')."""
    def apply() -> str:
        for sub in [root, *root.iterdir()]:
            sub.chmod(0o500)
        probe = root / "probe"
        try:
            probe.touch()
        except PermissionError:
            return "chmod"
        probe.unlink()  # running as root: permissions stop nothing, so refuse the file's creation instead

        def refusing_open(file, mode="r", *args, **kwargs):
            if "x" in mode:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
            return builtins.open(file, mode, *args, **kwargs)
        monkeypatch.setattr(storage_module, "open", refusing_open, raising=False)
        return "refused open"
    return apply


@pytest.fixture
def disk_fills(monkeypatch):
    """Let two chunks of a file reach the disk, then fail the next write with ENOSPC; returns the sizes seen."""
    seen: list[int] = []

    def apply() -> list[int]:
        monkeypatch.setattr(storage_module, "CHUNK", CHUNK)

        def filling_open(file, mode="r", *args, **kwargs):
            real = builtins.open(file, mode, *args, **kwargs)
            return FillingDisk(real, 2 * CHUNK, seen) if "x" in mode else real
        monkeypatch.setattr(storage_module, "open", filling_open, raising=False)
        return seen
    return apply


FAULTS = {"unwritable": (errno.EACCES, 503), "disk full": (errno.ENOSPC, 507)}


def inject(fault: str, unwritable, disk_fills):
    return unwritable() if fault == "unwritable" else disk_fills()


def check_refusal_logged(caplog, response, code: int) -> None:
    entries = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "aocp.documents.services"]
    assert len(entries) == 1, [r.getMessage() for r in caplog.records]
    entry = entries[0]
    assert entry.errno == code and entry.errno_name == errno.errorcode[code]
    assert entry.request_id == response.headers["X-Request-ID"]


@pytest.fixture
def delegate(app, make_user):
    return make_user("delegate", email="uploader@example.org")


@pytest.fixture
def signed_in(app, client, delegate):
    assert login(client, user_email(app, delegate)).status_code == 302
    return client


def upload_page(client):
    data = {"doc_type": "country_report", "language": "en", "org": "MYS", "body": "", "title": "Outlook",
            "description": "", "action_line": "", "tags": "", "note": "", "access_level": "asean",
            "access_body": "", "access_people": "", "csrf_token": csrf_token(client, "/documents/upload"),
            "files": [FileStorage(io.BytesIO(CONTENT), "outlook.txt")]}
    return post_multipart(client, "/documents/upload", data)


@pytest.mark.parametrize("fault", FAULTS)
def test_the_upload_page_says_the_file_could_not_be_stored_and_keeps_nothing(app, signed_in, root, fault,
                                                                             unwritable, disk_fills, caplog):
    code, status = FAULTS[fault]
    seen = inject(fault, unwritable, disk_fills)
    with caplog.at_level(logging.ERROR):
        r = upload_page(signed_in)
    assert r.status_code == status
    page = html.unescape(r.get_data(as_text=True))
    assert MESSAGE in page and 'name="files"' in page  # the form again, with the message
    assert files_under(root) == set() and rows(app) == (0, 0, 0)
    check_refusal_logged(caplog, r, code)
    if fault == "disk full":
        assert seen == [2 * CHUNK]  # the write failed with a partial file on disk, which is gone now


def test_when_the_disk_fills_on_the_second_file_the_first_is_removed_too(app, signed_in, root, disk_fills):
    disk_fills()  # room for two chunks per file: the small file fits, the large one does not
    data = {"doc_type": "country_report", "language": "en", "org": "MYS", "access_level": "asean",
            "csrf_token": csrf_token(signed_in, "/documents/upload"),
            "files": [FileStorage(io.BytesIO(b"Short note.\n"), "note.txt"),
                      FileStorage(io.BytesIO(CONTENT), "outlook.txt")]}
    r = post_multipart(signed_in, "/documents/upload", data)
    assert r.status_code == 507 and MESSAGE in html.unescape(r.get_data(as_text=True))
    assert files_under(root) == set() and rows(app) == (0, 0, 0)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_new_version_is_refused_and_the_document_stays_as_it_was(app, signed_in, root, fault,
                                                                  unwritable, disk_fills, caplog):
    code, status = FAULTS[fault]
    assert upload_page(signed_in).status_code == 302
    with app.app_context():
        doc_id = db.session.scalar(select(Document.id))
    before_files, before_rows = files_under(root), rows(app)
    inject(fault, unwritable, disk_fills)
    url = f"/documents/{doc_id}"
    with caplog.at_level(logging.ERROR):
        r = post_multipart(signed_in, f"{url}/versions", {
            "csrf_token": csrf_token(signed_in, url), "note": "Revised",
            "file": FileStorage(io.BytesIO(CONTENT + b"Revised.\n"), "outlook v2.txt")})
    assert r.status_code == status
    assert MESSAGE in html.unescape(r.get_data(as_text=True))
    assert files_under(root) == before_files and rows(app) == before_rows
    with app.app_context():
        assert db.session.get(Document, doc_id).version_count == 1
    check_refusal_logged(caplog, r, code)


@pytest.mark.parametrize("fault", FAULTS)
def test_the_api_upload_answers_a_json_error_and_keeps_nothing(app, client, delegate, root, fault,
                                                              unwritable, disk_fills, caplog):
    code, status = FAULTS[fault]
    with app.app_context():
        _, token = create_token(db.session.get(User, delegate), "tests", "write", None)
        db.session.commit()
    inject(fault, unwritable, disk_fills)
    with caplog.at_level(logging.ERROR):
        r = client.post("/api/v1/documents", data={"file": (io.BytesIO(CONTENT), "outlook.txt"),
                                                    "title": "Outlook"},
                        headers={"Authorization": f"Bearer {token}"}, content_type="multipart/form-data")
    assert r.status_code == status and r.is_json
    assert r.get_json() == {"error": {"status": status, "code": "storage_unavailable", "message": MESSAGE}}
    assert files_under(root) == set() and rows(app) == (0, 0, 0)
    check_refusal_logged(caplog, r, code)


def test_the_local_storage_implements_the_storage_interface(app):
    with app.app_context():
        assert isinstance(storage_module.storage(), storage_module.Storage)
