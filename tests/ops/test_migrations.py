"""Every migration goes down and up again cleanly, and the schema at head is exactly what the models declare.

Each walk starts from a database of its own with no tables (tests/ops/scratch_db.py), never the session's.
"""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from aocp import create_app
from aocp.extensions import db, migrate
from tests.ops.scratch_db import scratch_database_url


def _not_search_index(obj, name, type_, reflected, compare_to) -> bool:
    # The search index is hand-written per database (FTS5 or tsvector) and has no model.
    return not (type_ == "table" and name.startswith("document_search"))


@pytest.fixture
def walk_app(tmp_path):
    """An app on a database of its own with no tables yet."""
    app = create_app("testing", {"DATABASE_URL": scratch_database_url(tmp_path, "walk"),
                                 "UPLOAD_DIR": str(tmp_path / "uploads")})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def revisions() -> list[str]:
    """Revision ids from base to head (inside an app context)."""
    script = ScriptDirectory.from_config(migrate.get_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def schema() -> dict:
    """Tables with their columns, keys, indexes and constraints as plain, comparable values (Alembic's own
    version table aside)."""
    db.session.remove()
    with db.engine.connect() as conn:
        insp = inspect(conn)
        return {table: {
            "columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in insp.get_columns(table)],
            "primary_key": insp.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": sorted((fk["name"] or "", tuple(fk["constrained_columns"]), fk["referred_table"],
                                    tuple(fk["referred_columns"]), str(fk.get("options")))
                                   for fk in insp.get_foreign_keys(table)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(table)),
            "uniques": sorted((u["name"] or "", tuple(u["column_names"])) for u in insp.get_unique_constraints(table)),
            "checks": sorted((c["name"] or "", " ".join(c["sqltext"].split())) for c in insp.get_check_constraints(table)),
        } for table in sorted(insp.get_table_names()) if table != "alembic_version"}


def differences_from_models() -> list:
    db.session.remove()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _not_search_index, "compare_type": True})
        return compare_metadata(context, db.metadata)


def test_every_migration_downgrades_and_upgrades_again_to_the_same_schema(walk_app):
    revs = revisions()
    assert len(revs) >= 7
    before = schema()
    assert before == {}
    for previous, rev in zip([None, *revs], revs):
        upgrade(revision=rev)
        at_rev = schema()
        downgrade(revision="-1")
        assert schema() == before, f"downgrading {rev} does not give back the schema of {previous or 'base'}"
        upgrade(revision=rev)
        assert schema() == at_rev, f"{rev} upgraded again differs from its first upgrade"
        before = at_rev
    assert differences_from_models() == []


def test_head_to_base_and_back_matches_the_models(walk_app):
    upgrade()
    assert differences_from_models() == []
    head = schema()
    downgrade(revision="base")
    assert schema() == {}
    upgrade()
    assert schema() == head
    assert differences_from_models() == []
