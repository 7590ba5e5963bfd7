"""Every migration goes down and up again cleanly, also on a database holding the seed and demo data, and the
schema at head is exactly what the models declare.

Each walk starts from a database of its own with no tables (tests/ops/scratch_db.py), never the session's.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

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
                                 "UPLOAD_DIR": str(tmp_path / "uploads"),
                                 "MAIL_OUTBOX_DIR": str(tmp_path / "outbox")})
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


def load_seed_and_demo(app) -> None:
    for command in ("seed", "demo"):
        result = app.test_cli_runner().invoke(args=[command])
        assert result.exit_code == 0, f"flask {command}: {result.output}"


def current_revision() -> str | None:
    db.session.remove()
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def rows() -> dict[str, list[dict]]:
    """Every table's rows as column → value (Alembic's own version table aside)."""
    db.session.remove()
    db.engine.dispose()  # a new connection: PostgreSQL's prepared statements outlive a column added or dropped
    with db.engine.connect() as conn:
        return {table: [dict(r._mapping) for r in conn.execute(text(f'SELECT * FROM "{table}"'))]
                for table in inspect(conn).get_table_names() if table != "alembic_version"}


def assert_rows_kept(before: dict, after: dict, step: str, discarded: tuple[str, ...] = ()) -> None:
    """Every row of the tables both schemas have is still there, with the same values in the columns both have."""
    for table in sorted(after.keys() & before.keys() - set(discarded)):
        if not before[table] and not after[table]:
            continue
        columns = sorted((before[table] or after[table])[0].keys() & (after[table] or before[table])[0].keys())
        was, now = ([repr([r[c] for c in columns]) for r in rows_of] for rows_of in (before[table], after[table]))
        assert sorted(now) == sorted(was), f"{step} changed rows of {table}"


def discards(rev: str) -> tuple[str, ...]:
    """Tables whose rows the downgrade of `rev` deletes or changes because the older schema cannot hold them."""
    script = ScriptDirectory.from_config(migrate.get_config())
    return getattr(script.get_revision(rev).module, "DOWNGRADE_DISCARDS", ())


def test_every_downgrade_keeps_the_seed_and_demo_data_the_older_schema_can_hold(walk_app):
    """`flask db upgrade && flask seed && flask demo && flask db downgrade base` one step at a time: each step
    succeeds, gives the schema of the revision below, and keeps every row and value of the tables and columns that
    revision has (tables a migration names in DOWNGRADE_DISCARDS aside); each step up again keeps them too. At
    base, up to head and seeded again."""
    revs = revisions()
    expected = {None: schema()}
    for rev in revs:
        upgrade(revision=rev)
        expected[rev] = schema()
    downgrade(revision="base")
    upgrade()
    load_seed_and_demo(walk_app)
    data = rows()
    assert data["memberships"] and data["documents"] and data["meetings"] and data["progress_reports"]
    for rev, previous in zip(reversed(revs), [*reversed(revs[:-1]), None]):
        downgrade(revision="-1")
        assert current_revision() == previous, f"downgrading {rev} did not reach {previous or 'base'}"
        assert schema() == expected[previous], f"downgrading {rev} with data does not give the schema of {previous}"
        after = rows()
        assert_rows_kept(data, after, f"downgrading {rev}", discards(rev))
        upgrade(revision=rev)
        assert schema() == expected[rev], f"upgrading {previous or 'base'} with data does not give the schema of {rev}"
        assert_rows_kept(after, rows(), f"upgrading {previous or 'base'} to {rev}")
        downgrade(revision="-1")
        data = rows()
        assert_rows_kept(after, data, f"downgrading {rev} a second time")
    assert schema() == {}
    upgrade()
    assert schema() == expected[revs[-1]]
    assert differences_from_models() == []
    load_seed_and_demo(walk_app)


FAKE_REVISION = """revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None

from alembic import op


def upgrade():
    pass


def downgrade():
    {downgrade}
"""


def migrations_with(tmp_path: Path, rev: str, down: str | None, downgrade_body: str, below: str | None = None) -> str:
    """A copy of the migrations with one more revision after `down` (or, with `below`, under that first one)."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrate.get_config().get_main_option("script_location"), copy)
    if below:
        first = next(copy.glob(f"versions/{below}_*.py"))
        first.write_text(first.read_text().replace("down_revision = None", f"down_revision = {rev!r}"))
    (copy / "versions" / f"{rev}_test.py").write_text(
        FAKE_REVISION.format(rev=rev, down=down, downgrade=downgrade_body))
    return str(copy)


def test_a_failing_step_undoes_every_step_of_the_run(walk_app, tmp_path, capfd):
    """The whole run is one transaction, on SQLite too: when the last step down fails, the database is still at
    head with all its data (Flask-Migrate reports a RuntimeError's message and exits 1)."""
    first = revisions()[0]
    directory = migrations_with(tmp_path, "test_0000", None, 'raise RuntimeError("this step cannot go down")',
                                below=first)
    upgrade(directory=directory)
    load_seed_and_demo(walk_app)
    head, data, at = schema(), rows(), current_revision()
    with pytest.raises(SystemExit):
        downgrade(directory=directory, revision="base")
    assert "this step cannot go down" in capfd.readouterr().err
    assert current_revision() == at == revisions()[-1]
    assert schema() == head
    assert rows() == data


def test_a_step_that_leaves_rows_pointing_at_nothing_is_refused(walk_app, tmp_path, capfd):
    """SQLite's foreign keys are off while a run rebuilds tables; they are checked before it commits."""
    directory = migrations_with(tmp_path, "test_dangling", revisions()[-1],
                                'op.execute("UPDATE memberships SET user_id = 999999")')
    upgrade(directory=directory)
    load_seed_and_demo(walk_app)
    data = rows()
    with pytest.raises((IntegrityError, SystemExit)) as refused:
        downgrade(directory=directory, revision="-1")
    if refused.type is SystemExit:  # SQLite: the check before commit
        err = capfd.readouterr().err
        assert "Nothing was changed" in err and "memberships -> users" in err
    assert current_revision() == "test_dangling"
    assert rows() == data
