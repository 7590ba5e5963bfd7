"""A second, empty database for tests that need one besides the session's: a file on SQLite, or on PostgreSQL
the database named by AOCP_TEST_SCRATCH_DATABASE_URL (created when missing, wiped before every use)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

SCRATCH_ENV = "AOCP_TEST_SCRATCH_DATABASE_URL"


def scratch_database_url(tmp_path: Path, name: str) -> str:
    """The URL of an empty database of its own; skips the test on PostgreSQL when none is configured."""
    session_url = os.environ.get("AOCP_TEST_DATABASE_URL", "")
    if not session_url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    url = os.environ.get(SCRATCH_ENV, "")
    if not url:
        pytest.skip(f"{SCRATCH_ENV} is not set: this test needs a second PostgreSQL database besides "
                    "AOCP_TEST_DATABASE_URL (it is wiped, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test_scratch)")
    if make_url(url).database == make_url(session_url).database:
        pytest.fail(f"{SCRATCH_ENV} must name another database than AOCP_TEST_DATABASE_URL (it is wiped)")
    _create_if_missing(url, session_url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return url


def _create_if_missing(url: str, session_url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.connect():
            return
    except OperationalError:
        pass
    finally:
        engine.dispose()
    # CREATE DATABASE may be issued from any database: use the session's rather than a maintenance one.
    admin = create_engine(session_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))
    except DBAPIError as err:
        pytest.skip(f"{SCRATCH_ENV}: cannot reach or create {make_url(url).database!r} ({err.orig})")
    finally:
        admin.dispose()
