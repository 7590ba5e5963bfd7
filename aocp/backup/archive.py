"""Writing a backup directory and restoring from one, with a manifest of sizes and sha256 checksums."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import select

from aocp.backup import BackupError, database
from aocp.documents.models import DocumentVersion
from aocp.documents.storage import CHUNK, PART_SUFFIX, storage
from aocp.extensions import db, migrate
from aocp.timeutil import utcnow

FORMAT = "aocp-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES_DIR = "files"


@dataclass
class BackupReport:
    manifest: dict
    stray: list[str]  # stored files no document version of the snapshot names (uploaded since, or orphaned)
    missing: list[str] = field(default_factory=list)  # named by a version but not in storage
    mismatched: list[str] = field(default_factory=list)  # in storage with other bytes than the version recorded


@dataclass
class RestoreReport:
    manifest: dict
    files: int
    revision: str
    head: str


def _copy(source: IO[bytes], target: Path) -> tuple[int, str]:
    """Stream `source` to `target` (via a .part name, renamed when complete); its size and sha256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + PART_SUFFIX)
    digest, size = hashlib.sha256(), 0
    with source as src, open(part, "xb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    os.replace(part, target)
    return size, digest.hexdigest()


def _checksum(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _key_path(key: str) -> str:
    return f"{FILES_DIR}/{key[:2]}/{key}"


def _known_revisions() -> tuple[list[str], str]:
    script = ScriptDirectory.from_config(migrate.get_config())
    return [r.revision for r in script.walk_revisions()], script.get_current_head()


# --- backup ---------------------------------------------------------------------------------------

def create_backup(dest: Path) -> BackupReport:
    """Back up the database, then exactly the files its snapshot names, into the new or empty directory `dest`."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} is not an empty directory; back up into a new or empty one")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        return _write_backup(dest)
    except (BackupError, OSError) as err:
        raise BackupError(f"{err}\n{dest} holds an unfinished backup (no {MANIFEST}): delete it before trying again") \
            from None


def _write_backup(dest: Path) -> BackupReport:
    snapshot = database.dump(dest)
    dump_size, dump_sha = _checksum(snapshot.path)
    entries = [{"path": snapshot.path.name, "size": dump_size, "sha256": dump_sha}]
    store, named, missing, mismatched = storage(), set(), [], []
    for key, sha256, _size in snapshot.versions:
        named.add(key)
        try:
            size, digest = _copy(store.open(key), dest / _key_path(key))
        except FileNotFoundError:
            missing.append(key)
            continue
        if digest != sha256:
            mismatched.append(key)
        entries.append({"path": _key_path(key), "size": size, "sha256": digest, "key": key})
    stray = sorted(key + ("" if complete else PART_SUFFIX) for key, complete in store.keys()
                   if not complete or key not in named)
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "created_at": utcnow().isoformat(timespec="seconds") + "Z",
        "alembic_revision": snapshot.revision,
        "database": {"dialect": database.dialect(), "dump": snapshot.path.name, **snapshot.details},
        "files": entries,
        "problems": {"missing_files": missing, "checksum_mismatches": mismatched},
    }
    part = dest / (MANIFEST + PART_SUFFIX)
    part.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(part, dest / MANIFEST)
    return BackupReport(manifest, stray, missing, mismatched)


# --- restore --------------------------------------------------------------------------------------

def read_manifest(src: Path) -> dict:
    """The backup's manifest, after checking it is one this version of AOCP can restore."""
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{src / MANIFEST} is missing: not a backup, or an unfinished one") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BackupError(f"{src / MANIFEST} is damaged ({err})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or \
            not isinstance(manifest.get("database"), dict) or not isinstance(manifest.get("files"), list):
        raise BackupError(f"{src / MANIFEST} is not an AOCP backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"backup format version {manifest.get('format_version')!r} is not supported "
                          f"(this AOCP reads version {FORMAT_VERSION})")
    return manifest


def verify(src: Path, manifest: dict) -> list[str]:
    """Every problem with the files the manifest lists: unsafe paths, missing files, other sizes or checksums."""
    problems, root = [], src.resolve()
    entries = manifest["files"]
    dump_name = manifest["database"].get("dump")
    if dump_name not in {e.get("path") for e in entries if isinstance(e, dict)}:
        problems.append(f"the manifest does not list the database dump {dump_name!r}")
    for entry in entries:
        try:
            rel, size, sha256, key = entry["path"], entry["size"], entry["sha256"], entry.get("key")
            path = (root / rel).resolve()
            if key is not None:
                storage().path(key)  # raises ValueError for anything but a storage key
            if not path.is_relative_to(root) or (key is not None and rel != _key_path(key)):
                problems.append(f"{rel}: not a path this backup may hold")
                continue
        except (KeyError, TypeError, AttributeError, ValueError):
            problems.append(f"malformed manifest entry {entry!r}")
            continue
        if not path.is_file():
            problems.append(f"{rel}: missing")
            continue
        actual_size, actual_sha = _checksum(path)
        if actual_size != size or actual_sha != sha256:
            problems.append(f"{rel}: expected {size} bytes with sha256 {sha256}, found {actual_size} bytes "
                            f"with sha256 {actual_sha}")
    return problems


def target_problems() -> list[str]:
    """Why the configured instance cannot take a restore: rows in its tables, files in its upload directory."""
    problems = [f"table {name} holds {n} row{'s' * (n != 1)}" for name, n in database.occupied_tables().items()]
    upload_dir = Path(current_app.config["UPLOAD_DIR"])
    files = sorted(p for p in upload_dir.rglob("*") if p.is_file()) if upload_dir.is_dir() else []
    if files:
        problems.append(f"the upload directory {upload_dir} holds {len(files)} file{'s' * (len(files) != 1)} "
                        f"(e.g. {files[0].relative_to(upload_dir)})")
    return problems


def restore_backup(src: Path) -> RestoreReport:
    """Check the backup and the target, then restore the database and the files and check them again."""
    manifest = read_manifest(src)
    problems = verify(src, manifest)
    if problems:
        raise BackupError("the backup failed verification; nothing was changed:\n  " + "\n  ".join(problems))
    backup_dialect = manifest["database"].get("dialect")
    if backup_dialect != database.dialect():
        raise BackupError(f"this is a backup of a {backup_dialect} database but the configured database is "
                          f"{database.dialect()}; nothing was changed")
    known, head = _known_revisions()
    revision = manifest.get("alembic_revision")
    if revision not in known:
        raise BackupError(f"the backup is at schema revision {revision!r}, which this version of AOCP does not "
                          "know (it comes from a newer release); install that release first; nothing was changed")
    database.check_restore_tool(manifest["database"])
    problems = target_problems()
    if problems:
        raise BackupError("the target instance is not empty; nothing was changed:\n  " + "\n  ".join(problems))

    store, restored = storage(), 0
    try:
        database.restore(src / manifest["database"]["dump"])
        for entry in manifest["files"]:
            if entry.get("key"):
                # Files go back under their own keys, which the rows name: the local backend's paths.
                _copy(open(src / entry["path"], "rb"), store.path(entry["key"]))
                restored += 1
    except (BackupError, OSError) as err:
        raise BackupError(f"{err}\nThe target is now partly restored: empty its database and upload directory "
                          "before trying again.") from None
    sums = {e["key"]: _checksum(store.path(e["key"])) for e in manifest["files"] if e.get("key")}
    after = [e["path"] for e in manifest["files"] if e.get("key") and sums[e["key"]] != (e["size"], e["sha256"])]
    if after:
        raise BackupError("restored files differ from the backup (check the disk):\n  " + "\n  ".join(after))
    # Rows whose file the backup already reported as missing or changed are known; any other must match.
    known = {key for keys in manifest.get("problems", {}).values() for key in keys}
    rows = db.session.execute(select(DocumentVersion.storage_key, DocumentVersion.sha256)).all()
    unmatched = sorted(key for key, sha256 in rows if key not in known and sums.get(key, (0, ""))[1] != sha256)
    if unmatched:
        raise BackupError("the restored database names files the backup did not hold as recorded:\n  "
                          + "\n  ".join(unmatched))
    restored_revision = database.current_revision()
    if restored_revision != revision:
        raise BackupError(f"the restored database is at revision {restored_revision!r}, "
                          f"not {revision!r} as the manifest says")
    return RestoreReport(manifest, restored, revision, head)
