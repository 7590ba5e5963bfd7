"""The database part of a backup: SQLite through its online backup API, PostgreSQL through pg_dump/pg_restore.

Both take one consistent snapshot and read, from that same snapshot, the Alembic revision and the files the
document versions name, so files uploaded while the backup runs can neither be missed nor half-included.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.exc import ProgrammingError

from aocp.backup import BackupError
from aocp.extensions import db

DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
SEARCH_TABLE = "document_search"  # made by a migration, outside the models
SEARCH_FUNCTION = "document_search_text(text, text, text, text)"  # PostgreSQL: its trigram index's expression
REVISION_SQL = "SELECT version_num FROM alembic_version"
VERSIONS_SQL = "SELECT storage_key, sha256, size FROM document_versions ORDER BY storage_key"


@dataclass
class Snapshot:
    path: Path
    revision: str
    versions: list[tuple[str, str, int]]  # (storage key, sha256, size) of every document version
    details: dict = field(default_factory=dict)


def dialect() -> str:
    return db.engine.dialect.name


def dump(dest: Path) -> Snapshot:
    """Write the configured database into `dest` as one consistent snapshot."""
    if dialect() == "sqlite":
        return _dump_sqlite(dest / DUMP_NAMES["sqlite"])
    if dialect() == "postgresql":
        return _dump_postgresql(dest / DUMP_NAMES["postgresql"])
    raise BackupError(f"backups of {dialect()} databases are not supported")


def restore(dump_path: Path) -> None:
    """Replace the configured (empty) database with the snapshot in `dump_path`."""
    db.session.remove()
    db.engine.dispose()  # no pooled connection may keep the old database open
    if dialect() == "sqlite":
        _restore_sqlite(dump_path)
    else:
        _restore_postgresql(dump_path)
    db.engine.dispose()


def current_revision() -> str | None:
    with db.engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return None
        return conn.execute(text(REVISION_SQL)).scalar()


def occupied_tables() -> dict[str, int]:
    """Row counts of the AOCP tables that hold rows; the genesis row `flask db upgrade` puts in audit_head
    does not count, so a freshly migrated database is empty."""
    if dialect() == "sqlite" and not _sqlite_path().exists():
        return {}
    counts = {}
    with db.engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        for name in sorted(set(db.metadata.tables) | {SEARCH_TABLE}):
            if name in present:
                counts[name] = conn.execute(text(f"SELECT count(*) FROM {name}")).scalar()
        if counts.get("audit_head") == 1 and conn.execute(
                text("SELECT count(*) FROM audit_head WHERE id = 1 AND last_hash = :h"), {"h": "0" * 64}).scalar():
            counts["audit_head"] = 0
    return {name: n for name, n in counts.items() if n}


# --- SQLite ---------------------------------------------------------------------------------------

def _sqlite_path() -> Path:
    path = db.engine.url.database
    if not path or path == ":memory:":
        raise BackupError("the SQLite database is in memory; there is no file to back up or restore into")
    return Path(path)


def _dump_sqlite(target: Path) -> Snapshot:
    source_path = _sqlite_path()
    if not source_path.is_file():
        raise BackupError(f"there is no database at {source_path}")
    source, copy = sqlite3.connect(source_path), sqlite3.connect(target)
    try:
        source.backup(copy)  # in one step: a read transaction, so concurrent writers cannot tear the copy
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file, no -wal beside it
        try:
            revision = copy.execute(REVISION_SQL).fetchone()[0]
            versions = copy.execute(VERSIONS_SQL).fetchall()
        except sqlite3.OperationalError as err:
            raise BackupError(f"the database has no AOCP schema ({err}); run `flask --app app db upgrade`") from None
    finally:
        copy.close()
        source.close()
    return Snapshot(target, revision, versions, {"sqlite_version": sqlite3.sqlite_version})


def _restore_sqlite(dump_path: Path) -> None:
    target = _sqlite_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"{dump_path.resolve().as_uri()}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


# --- PostgreSQL -----------------------------------------------------------------------------------

def _libpq() -> tuple[str, dict]:
    """The database URL for the client tools, with the password passed in the environment, not the command line."""
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _tool(name: str) -> tuple[str, int]:
    """The path and major version of pg_dump or pg_restore."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found on PATH; install the PostgreSQL client tools "
                          "(the same major version as the server, e.g. `apt install postgresql-client-15`)")
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    if not match:
        raise BackupError(f"cannot tell the version of {path} from {out.strip()!r}")
    return path, int(match.group(1))


def _dump_postgresql(target: Path) -> Snapshot:
    pg_dump, tool_major = _tool("pg_dump")
    dbname, env = _libpq()
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        server = conn.execute(text("SHOW server_version")).scalar()
        server_major = int(re.match(r"\d+", server).group())
        if tool_major < server_major:
            raise BackupError(f"{pg_dump} is version {tool_major} but the server runs PostgreSQL {server}; "
                              f"install pg_dump {server_major} or newer")
        # pg_dump reads the snapshot this transaction exports, so the dump and the file list below agree.
        snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
        try:
            revision = conn.execute(text(REVISION_SQL)).scalar()
            versions = [tuple(row) for row in conn.execute(text(VERSIONS_SQL))]
        except ProgrammingError as err:
            raise BackupError(f"the database has no AOCP schema ({err.orig}); run `flask --app app db upgrade`") from None
        done = subprocess.run([pg_dump, "--format=custom", "--no-owner", f"--snapshot={snapshot_id}",
                               f"--file={target}", f"--dbname={dbname}"], capture_output=True, text=True, env=env)
        conn.rollback()
    if done.returncode:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return Snapshot(target, revision, versions, {"server_version": server, "pg_dump_major": tool_major})


def check_restore_tool(details: dict) -> None:
    """On PostgreSQL, a pg_restore that can read the backup's archive (checked before anything changes)."""
    if dialect() != "postgresql":
        return
    pg_restore, tool_major = _tool("pg_restore")
    if tool_major < details.get("pg_dump_major", 0):
        raise BackupError(f"{pg_restore} is version {tool_major} but the backup was written by pg_dump "
                          f"{details['pg_dump_major']}; install pg_restore {details['pg_dump_major']} or newer")


def _restore_postgresql(dump_path: Path) -> None:
    pg_restore, _major = _tool("pg_restore")
    with db.engine.begin() as conn:
        # `flask db upgrade` may have made the (verified empty) tables already; the dump brings its own.
        present = set(inspect(conn).get_table_names()) & (set(db.metadata.tables) | {SEARCH_TABLE, "alembic_version"})
        if present:
            conn.execute(text(f"DROP TABLE {', '.join(sorted(present))} CASCADE"))
        conn.execute(text(f"DROP FUNCTION IF EXISTS {SEARCH_FUNCTION}"))
    dbname, env = _libpq()
    done = subprocess.run([pg_restore, "--no-owner", "--exit-on-error", "--single-transaction",
                           f"--dbname={dbname}", str(dump_path)], capture_output=True, text=True, env=env)
    if done.returncode:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
