"""Backup and restore: a populated instance is backed up with the CLI and restored into a second, empty instance
row for row and byte for byte; damaged backups, occupied targets and used destinations are refused before
anything changes.

The second instance has a database of its own (tests/ops/scratch_db.py); on PostgreSQL the restore tests need
AOCP_TEST_SCRATCH_DATABASE_URL and are skipped without it.
"""
from __future__ import annotations

import hashlib
import io
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from aocp import create_app
from aocp.accounts import services as accounts
from aocp.accounts.models import User
from aocp.backup import BackupError, archive, database
from aocp.documents import services as documents
from aocp.documents.models import DocumentVersion
from aocp.documents.storage import storage
from aocp.extensions import db
from aocp.meetings import services as meetings
from aocp.plans import reports
from aocp.reference import seed_reference_data
from tests.conftest import PASSWORD, body, org
from tests.documents.files import make_pdf
from tests.meetings._factories import make_meeting, meeting_of
from tests.ops.scratch_db import scratch_database_url
from tests.plans.conftest import line

THAI_NAME = "รายงานประเทศไทย ไตรมาส ๓.txt"
STRAY_KEY = "f" * 40


def run(app, *args):
    # `flask` pushes an app context for every command; the test runner alone does not.
    with app.app_context():
        return app.test_cli_runner().invoke(args=[str(a) for a in args])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _user(uid: int) -> User:
    return db.session.get(User, uid)


@pytest.fixture
def populated(app, make_user) -> dict:
    """People in WGTIM (Thai and Vietnamese names), documents with several versions and non-ASCII file names,
    a meeting whose minutes were adopted, an accepted progress report with evidence, and one stray file."""
    shutil.rmtree(Path(app.config["UPLOAD_DIR"]) / "documents", ignore_errors=True)
    chair = make_user("focal_person", "MYS", "chair@example.org", {"WGTIM": "chair"}, name="Aminah binti Hassan")
    member = make_user("delegate", "THA", "member@example.org", {"WGTIM": "member", "WGSMD": "observer"},
                       name="สมชาย ใจดี")
    viet = make_user("delegate", "VNM", "viet@example.org", {"WGTIM": "vice_chair"}, name="Nguyễn Thị Hồng")
    staff = make_user("asec_staff", "ASEC", "staff@example.org")
    admin = make_user("asec_admin", "ASEC", "admin@example.org")
    with app.app_context():
        with documents.committing():
            thai = documents.create(_user(member), documents.Upload(io.BytesIO("ข้อมูลแร่ธาตุ".encode()), THAI_NAME),
                                    documents.Details("รายงานประเทศ", org("THA"), tags=["minerals", "ไทย"],
                                                      body=body("WGTIM")),
                                    documents.Access("body", body=body("WGTIM")))
            documents.add_version(_user(member), thai, documents.Upload(io.BytesIO("ฉบับที่สอง".encode()),
                                                                        THAI_NAME), "Second draft")
        with documents.committing():
            pdf = documents.create(_user(viet), documents.Upload(io.BytesIO(make_pdf("Country paper v1")),
                                                                 "Báo cáo quốc gia.pdf"),
                                   documents.Details("Báo cáo quốc gia", org("VNM")),
                                   documents.Access("named", orgs=[org("MYS")], people=[_user(chair)]))
            documents.add_version(_user(viet), pdf, documents.Upload(io.BytesIO(make_pdf("Country paper v2")),
                                                                     "Báo cáo quốc gia.pdf"), "")
        with documents.committing():
            documents.restore_version(_user(viet), pdf, pdf.versions[-1])
        doc_ids = [thai.id, pdf.id]
    meeting_id = make_meeting(app, chair)
    with app.app_context():
        meeting = meeting_of(meeting_id)
        meetings.save_minutes(_user(chair), meeting, "## ผลการประชุม\nThe meeting adopted the agenda.", 1)
        meetings.circulate_minutes(_user(chair), meeting)
        meetings.adopt_minutes(_user(chair), meeting)
        report = reports.save_draft(_user(staff), line("TI1.1"), 2025, 2, status="on_track",
                                    narrative="Survey มีความคืบหน้า", evidence=doc_ids, today=date(2026, 11, 25))
        reports.submit_report(_user(staff), report, report.version)
        reports.accept_report(_user(admin), report, report.version)
        db.session.commit()
        stray = storage().path(STRAY_KEY)
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_bytes(b"a file no version names")
    yield {"chair": chair, "member": member, "doc_ids": doc_ids}
    shutil.rmtree(Path(app.config["UPLOAD_DIR"]) / "documents", ignore_errors=True)


@pytest.fixture
def target(tmp_path):
    """A second instance with a database and an upload directory of its own, both empty."""
    app = create_app("testing", {"DATABASE_URL": scratch_database_url(tmp_path, "restored"),
                                 "UPLOAD_DIR": str(tmp_path / "restored-uploads"),
                                 "MAIL_OUTBOX_DIR": str(tmp_path / "restored-outbox"), "SERVER_NAME": "localhost"})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def all_rows(app) -> dict[str, list[tuple]]:
    """Every row of every table: the models' tables, the search index and Alembic's version."""
    with app.app_context(), db.engine.connect() as conn:
        rows = {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*(t.primary_key.columns or t.columns)))]
                for t in db.metadata.sorted_tables}
        search = ("SELECT rowid, title, description, tags, body FROM document_search ORDER BY rowid"
                  if db.engine.dialect.name == "sqlite" else
                  "SELECT document_id, title, description, tags, body, tsv::text FROM document_search ORDER BY 1")
        rows["document_search"] = [tuple(r) for r in conn.execute(text(search))]
        rows["alembic_version"] = [tuple(r) for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    return rows


def stored(app) -> dict[str, str]:
    """sha256 of every file in the instance's document storage, by key."""
    with app.app_context():
        return {key: storage().checksum(key) for key, complete in storage().keys() if complete}


def version_checksums(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(select(DocumentVersion.storage_key, DocumentVersion.sha256)).all())


def backed_up(app, dest: Path) -> dict:
    r = run(app, "backup", dest)
    assert r.exit_code == 0, r.output
    return json.loads((dest / "manifest.json").read_text(encoding="utf-8"))


def target_is_untouched(app) -> None:
    with app.app_context():
        assert database.occupied_tables() == {}
        assert not any(Path(app.config["UPLOAD_DIR"]).rglob("*"))


# --- backup ---------------------------------------------------------------------------------------

def test_backup_holds_the_database_and_exactly_the_files_the_versions_name(app, populated, tmp_path):
    dest = tmp_path / "backup"
    r = run(app, "backup", dest)
    assert r.exit_code == 0, r.output
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    versions = version_checksums(app)
    assert len(versions) == 5
    with app.app_context():
        assert manifest["alembic_revision"] == database.current_revision()
        assert manifest["database"]["dialect"] == db.engine.dialect.name
    dump, *files = manifest["files"]
    assert dump["path"] == manifest["database"]["dump"]
    assert {f["key"]: f["sha256"] for f in files} == versions
    for entry in manifest["files"]:
        data = (dest / entry["path"]).read_bytes()
        assert (len(data), sha256(data)) == (entry["size"], entry["sha256"])
    # Only the stray file's own path: a version's random key may also start with "ff".
    assert STRAY_KEY in r.output and not (dest / "files" / STRAY_KEY[:2] / STRAY_KEY).exists()
    assert manifest["problems"] == {"missing_files": [], "checksum_mismatches": []}


def test_a_file_uploaded_while_the_backup_runs_is_reported_and_left_out(app, populated, tmp_path, monkeypatch):
    before = set(version_checksums(app))
    dump = database.dump

    def dump_then_upload(dest):
        snapshot = dump(dest)
        with documents.committing():
            documents.create(_user(populated["member"]), documents.Upload(io.BytesIO(b"late"), "late.txt"),
                             documents.Details("Uploaded during the backup", org("THA")), documents.Access("asean"))
        return snapshot

    monkeypatch.setattr(database, "dump", dump_then_upload)
    r = run(app, "backup", tmp_path / "backup")
    assert r.exit_code == 0, r.output
    late = set(version_checksums(app)) - before
    assert len(late) == 1
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert {f["key"] for f in manifest["files"][1:]} == before
    assert late.pop() in r.output


def test_backup_refuses_a_destination_that_is_not_empty(app, populated, tmp_path):
    dest = tmp_path / "used"
    dest.mkdir()
    (dest / "notes.txt").write_text("keep me")
    r = run(app, "backup", dest)
    assert r.exit_code == 1
    assert "not an empty directory" in r.output
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]


def test_a_file_named_by_a_version_but_missing_is_an_error(app, populated, tmp_path):
    key = sorted(version_checksums(app))[0]
    with app.app_context():
        storage().delete(key)
    r = run(app, "backup", tmp_path / "backup")
    assert r.exit_code == 1
    assert "ERROR missing files" in r.output and key in r.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["problems"]["missing_files"] == [key]


def test_without_pg_dump_on_the_path_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setattr(database.shutil, "which", lambda name: None)
    with pytest.raises(BackupError, match="pg_dump was not found on PATH; install the PostgreSQL client tools"):
        database._tool("pg_dump")


def test_a_pg_dump_older_than_the_server_is_refused(app, tmp_path, monkeypatch):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("pg_dump backs up PostgreSQL only")
    monkeypatch.setattr(database, "_tool", lambda name: ("/usr/bin/pg_dump", 9))
    r = run(app, "backup", tmp_path / "backup")
    assert r.exit_code == 1
    assert "/usr/bin/pg_dump is version 9 but the server runs PostgreSQL" in r.output
    assert not (tmp_path / "backup" / "manifest.json").exists()


# --- restore --------------------------------------------------------------------------------------

def test_restore_into_an_empty_instance_gives_back_every_row_and_every_file(app, populated, target, tmp_path):
    backed_up(app, tmp_path / "backup")
    with target.app_context():
        upgrade()  # an operator may have created the empty schema first
    r = run(target, "restore", tmp_path / "backup")
    assert r.exit_code == 0, r.output
    assert "every restored file matches its checksum" in r.output
    assert "Audit log: " in r.output and "chain intact" in r.output

    source_rows, restored_rows = all_rows(app), all_rows(target)
    assert restored_rows == source_rows
    for name in ("users", "memberships", "document_versions", "document_search", "minutes_revisions",
                 "progress_reports", "report_evidence", "audit_entries"):
        assert source_rows[name], f"the populated instance has no {name}"
    versions = version_checksums(app)
    assert stored(target) == versions == {k: v for k, v in stored(app).items() if k != STRAY_KEY}
    assert run(target, "documents", "check").exit_code == 0
    audit = run(target, "audit", "verify")
    assert audit.exit_code == 0, audit.output
    with target.app_context():  # sequences continue after the restored ids
        new = accounts.create_user(None, "after@example.org", "After Restore", org("MYS"), "delegate", PASSWORD)
        db.session.commit()
        assert new.id > max(row[0] for row in source_rows["users"])


def test_a_restore_without_the_audit_keys_of_the_backed_up_instance_says_so(app, populated, target, tmp_path,
                                                                            monkeypatch):
    r = run(app, "backup", tmp_path / "backup")
    assert "The audit keys (AOCP_AUDIT_KEY, AOCP_AUDIT_KEYS) are not in the backup" in r.output
    monkeypatch.setitem(target.config, "AUDIT_KEY", "a-key-of-another-instance")
    r = run(target, "restore", tmp_path / "backup")
    assert r.exit_code == 0, r.output
    assert "Warning: the restored audit log does not verify here: entry 1 (" in r.output
    monkeypatch.setitem(target.config, "AUDIT_KEY", app.config["AUDIT_KEY"])
    assert run(target, "audit", "verify").exit_code == 0


def test_a_backup_of_an_older_schema_is_restored_and_the_operator_told_to_upgrade(target, tmp_path):
    with target.app_context():
        upgrade()
        downgrade(revision="-1")
        older = database.current_revision()
    backed_up(target, tmp_path / "backup")
    with target.app_context():
        downgrade(revision="base")
    r = run(target, "restore", tmp_path / "backup")
    assert r.exit_code == 0, r.output
    assert "run `flask --app app db upgrade`" in r.output
    with target.app_context():
        assert database.current_revision() == older
        upgrade()
        assert database.current_revision() == archive._known_revisions()[1]


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def _tamper_manifest(dest: Path, change) -> None:
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    change(manifest)
    (dest / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


DAMAGE = {
    "changed database dump": lambda dest, m: _flip_last_byte(dest / m["database"]["dump"]),
    "changed document file": lambda dest, m: _flip_last_byte(dest / m["files"][1]["path"]),
    "removed document file": lambda dest, m: (dest / m["files"][2]["path"]).unlink(),
    "manifest checksum changed": lambda dest, m: _tamper_manifest(
        dest, lambda man: man["files"][1].update(sha256="0" * 64)),
    "manifest path outside the backup": lambda dest, m: _tamper_manifest(
        dest, lambda man: man["files"][1].update(path="../../etc/passwd")),
    "manifest not JSON": lambda dest, m: (dest / "manifest.json").write_text("{not json"),
    "unknown schema revision": lambda dest, m: _tamper_manifest(
        dest, lambda man: man.update(alembic_revision="29991231_0001")),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_backup_is_refused_before_anything_changes(app, populated, target, tmp_path, damage):
    dest = tmp_path / "backup"
    DAMAGE[damage](dest, backed_up(app, dest))
    r = run(target, "restore", dest)
    assert r.exit_code == 1
    assert "Restore failed" in r.output
    assert "nothing was changed" in r.output or "damaged" in r.output
    target_is_untouched(target)
    with target.app_context(), db.engine.connect() as conn:
        assert inspect(conn).get_table_names() == []


def test_restore_refuses_a_target_with_rows_or_files(app, populated, target, tmp_path):
    backed_up(app, tmp_path / "backup")
    with target.app_context():
        upgrade()
        seed_reference_data()
        accounts.create_user(None, "someone@example.org", "Someone", org("MYS"), "delegate", PASSWORD)
        db.session.commit()
        leftover = Path(target.config["UPLOAD_DIR"]) / "documents" / "ab" / ("ab" * 20)
        leftover.parent.mkdir(parents=True)
        leftover.write_bytes(b"left over")
    r = run(target, "restore", tmp_path / "backup")
    assert r.exit_code == 1
    assert "target instance is not empty; nothing was changed" in r.output
    assert "table users holds 1 row" in r.output and "table organisations holds" in r.output
    assert f"the upload directory {target.config['UPLOAD_DIR']} holds 1 file" in r.output
    with target.app_context():
        assert [u.email for u in db.session.execute(select(User)).scalars()] == ["someone@example.org"]
    assert stored(target) == {"ab" * 20: sha256(b"left over")}


def test_a_backup_that_recorded_a_missing_file_restores_with_a_warning(app, populated, target, tmp_path):
    key = sorted(version_checksums(app))[0]
    with app.app_context():
        storage().delete(key)
    assert run(app, "backup", tmp_path / "backup").exit_code == 1
    r = run(target, "restore", tmp_path / "backup")
    assert r.exit_code == 0, r.output
    assert "Warning: files already missing when the backup was made" in r.output and key in r.output
    assert set(stored(target)) == set(version_checksums(app)) - {key}


def test_a_file_dropped_from_backup_and_manifest_alike_fails_the_check_after_restoring(app, populated, target,
                                                                                       tmp_path):
    dest = tmp_path / "backup"
    manifest = backed_up(app, dest)
    dropped = manifest["files"].pop(1)
    (dest / dropped["path"]).unlink()
    (dest / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    r = run(target, "restore", dest)
    assert r.exit_code == 1
    assert "the restored database names files the backup did not hold as recorded" in r.output
    assert dropped["key"] in r.output
