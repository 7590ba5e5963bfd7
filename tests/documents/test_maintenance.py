"""Storage maintenance: `flask documents check` finds files without rows, rows without files, partial files
and checksum mismatches; a failed transaction or an interrupted write leaves no file behind."""
from __future__ import annotations

import io
import os
import time

import pytest

from aocp.accounts.models import User
from aocp.documents import services
from aocp.documents.models import Document
from aocp.documents.storage import LocalStorage, TooLarge
from aocp.extensions import db
from tests.documents.conftest import count, stored_files, upload_root, versions_of

ORPHAN = "ab" + "0" * 38
PARTIAL = "cd" + "1" * 38


def check(app, *args):
    return app.test_cli_runner().invoke(args=["documents", "check", *args])


def stored_path(app, key: str):
    return upload_root(app) / key[:2] / key


def test_a_clean_store_passes_the_check(app, people, make_doc):
    make_doc(people["uploader"], data=b"one")
    make_doc(people["uploader"], data=b"two")
    result = check(app)
    assert result.exit_code == 0, result.output
    assert "orphan files: 0" in result.output and "checksum mismatches: 0" in result.output
    assert "2 versions checked: clean." in result.output


def test_an_empty_store_passes_the_check(app):
    result = check(app)
    assert result.exit_code == 0 and "0 versions checked: clean." in result.output


def test_a_file_without_a_row_is_reported_as_an_orphan(app, people, make_doc):
    make_doc(people["uploader"])
    stored_path(app, ORPHAN).parent.mkdir(parents=True, exist_ok=True)
    stored_path(app, ORPHAN).write_bytes(b"left behind")
    result = check(app)
    assert result.exit_code == 1
    assert f"orphan files: 1\n  {ORPHAN}\n" in result.output and "1 problems." in result.output


def test_a_row_without_its_file_is_reported_as_missing(app, people, make_doc):
    doc_id = make_doc(people["uploader"])
    key = versions_of(app, doc_id)[0]["key"]
    stored_path(app, key).unlink()
    result = check(app, "--no-checksums")
    assert result.exit_code == 1
    assert f"missing files: 1\n  {key}\n" in result.output


def test_a_partial_file_from_an_interrupted_write_is_reported(app, people, make_doc):
    make_doc(people["uploader"])
    part = stored_path(app, PARTIAL).with_name(PARTIAL + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(b"half a fi")
    result = check(app)
    assert result.exit_code == 1
    assert f"partial files: 1\n  {PARTIAL}\n" in result.output
    assert "orphan files: 0" in result.output  # a partial file is not mistaken for a finished one


def test_purge_removes_old_partial_files_and_keeps_young_ones_and_orphans(app, people, make_doc):
    make_doc(people["uploader"])
    old, young = stored_path(app, PARTIAL).with_name(PARTIAL + ".part"), stored_path(app, ORPHAN + "9")
    young = young.with_name(young.name + ".part")
    for f in (old, young, stored_path(app, ORPHAN)):
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"half a fi")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    result = app.test_cli_runner().invoke(args=["documents", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 partial files older than 60 minutes removed (1 younger kept)." in result.output
    assert not old.exists() and young.exists()  # a young one may still be being written
    assert stored_path(app, ORPHAN).exists()  # a finished file without a row may be wanted: only reported
    young.unlink()
    stored_path(app, ORPHAN).unlink()
    assert check(app).exit_code == 0


def test_a_file_whose_bytes_changed_is_reported_as_a_checksum_mismatch(app, people, make_doc):
    doc_id = make_doc(people["uploader"], data=b"original bytes")
    make_doc(people["uploader"], data=b"untouched")
    key = versions_of(app, doc_id)[0]["key"]
    stored_path(app, key).write_bytes(b"tampered bytes")
    result = check(app)
    assert result.exit_code == 1
    assert f"checksum mismatches: 1\n  {key}\n" in result.output
    skipped = check(app, "--no-checksums")
    assert skipped.exit_code == 0 and "checksum mismatches: 0" in skipped.output


def test_every_kind_of_problem_is_counted_together(app, people, make_doc):
    changed, missing = make_doc(people["uploader"], data=b"a"), make_doc(people["uploader"], data=b"b")
    stored_path(app, versions_of(app, changed)[0]["key"]).write_bytes(b"c")
    stored_path(app, versions_of(app, missing)[0]["key"]).unlink()
    for key, suffix in ((ORPHAN, ""), (PARTIAL, ".part")):
        path = stored_path(app, key).with_name(key + suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    result = check(app)
    assert result.exit_code == 1
    for line in ("orphan files: 1", "missing files: 1", "partial files: 1", "checksum mismatches: 1",
                 "2 versions checked: 4 problems."):
        assert line in result.output


# --- no file without its row, no row without its file ------------------------------------------

def test_committing_removes_the_stored_file_when_the_block_fails(app, people):
    uploader = people["uploader"]
    with app.app_context():
        user = db.session.get(User, uploader)
        with pytest.raises(RuntimeError):
            with services.committing():
                services.create(user, services.Upload(io.BytesIO(b"will vanish"), "a.txt"),
                                services.Details("Doomed", user.org), services.Access("asean"))
                assert len(stored_files(app)) == 1  # written before the row is committed
                raise RuntimeError("the worker died")
    assert stored_files(app) == [] and count(app, Document) == 0


def test_committing_removes_the_stored_file_when_the_commit_itself_fails(app, people, monkeypatch):
    uploader = people["uploader"]
    with app.app_context():
        user = db.session.get(User, uploader)

        def refuse():
            raise RuntimeError("database went away")
        with pytest.raises(RuntimeError):
            with services.committing():
                services.create(user, services.Upload(io.BytesIO(b"bytes"), "a.txt"),
                                services.Details("Doomed", user.org), services.Access("asean"))
                monkeypatch.setattr(db.session, "commit", refuse)
        monkeypatch.undo()
    assert stored_files(app) == [] and count(app, Document) == 0


def test_committing_keeps_the_files_of_a_successful_block(app, people):
    uploader = people["uploader"]
    with app.app_context():
        user = db.session.get(User, uploader)
        with services.committing():
            doc = services.create(user, services.Upload(io.BytesIO(b"kept"), "a.txt"),
                                  services.Details("Kept", user.org), services.Access("asean"))
        key = doc.current.storage_key
    assert [p.name for p in stored_files(app)] == [key] and count(app, Document) == 1
    assert check(app).exit_code == 0


class _Broken(io.RawIOBase):
    """A stream that fails part-way, like a client that disconnects mid-upload."""

    def __init__(self):
        self.sent = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.sent >= 3:
            raise ConnectionResetError("client went away")
        self.sent += 1
        buffer[:4] = b"data"
        return 4


def test_an_interrupted_write_leaves_no_partial_and_no_final_file(tmp_path):
    store = LocalStorage(tmp_path)
    with pytest.raises(ConnectionResetError):
        store.save(_Broken(), max_size=1024)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_stream_past_the_limit_is_stopped_and_nothing_is_kept(tmp_path):
    store = LocalStorage(tmp_path)
    with pytest.raises(TooLarge):
        store.save(io.BytesIO(b"x" * 3000), max_size=2048)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    stored = store.save(io.BytesIO(b"x" * 2048), max_size=2048)
    assert stored.size == 2048 and store.checksum(stored.key) == stored.sha256
    assert list(store.keys()) == [(stored.key, True)]


@pytest.mark.parametrize("key", ["../../etc/passwd", "short", "ab/cdefghijkl", "abc.def.ghij", ""])
def test_storage_refuses_keys_that_are_not_its_own(tmp_path, key):
    with pytest.raises(ValueError):
        LocalStorage(tmp_path).path(key)
