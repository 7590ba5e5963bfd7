import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import event

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


def get_engine():
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def include_object(obj, name, type_, reflected, compare_to):
    """The search index tables are written by hand per database (FTS5 or tsvector); autogenerate leaves them be."""
    return not (type_ == "table" and name.startswith("document_search"))


@contextmanager
def sqlite_guard(connection):
    """On SQLite: every step in one transaction, foreign keys off while tables are rebuilt and checked at the end.

    The app turns SQLite's foreign keys on for every connection. A batch step rebuilds a table (copy, DROP, rename),
    and with them on the DROP first deletes the old table's rows, so ON DELETE CASCADE and SET NULL empty or blank
    the rows pointing at it (rebuilding users deleted every membership), or a RESTRICT makes the step fail halfway.
    pysqlite opens no transaction before DDL, so BEGIN is sent here: a failed step then undoes every step of the
    run, as on PostgreSQL. Yields the options for context.configure().
    """
    if connection.dialect.name != "sqlite":
        yield {}
        return
    raw = connection.connection.dbapi_connection
    raw.execute("PRAGMA foreign_keys=OFF")  # ignored inside a transaction: set before BEGIN
    level, raw.isolation_level = raw.isolation_level, None

    def begin(conn):
        conn.exec_driver_sql("BEGIN")

    event.listen(connection, "begin", begin)
    try:
        yield {"transactional_ddl": True}
    finally:
        event.remove(connection, "begin", begin)
        raw.isolation_level = level
        raw.execute("PRAGMA foreign_keys=ON")  # the connection goes back to the pool as the app expects it


def check_foreign_keys(connection):
    """Refuse (roll back the whole run) when SQLite rows point at rows that are gone; PostgreSQL checked as it went."""
    if connection.dialect.name != "sqlite":
        return
    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if dangling:
        found = sorted({f"{table} -> {parent}" for table, _rowid, parent, _fk in dangling})
        raise RuntimeError(f"Nothing was changed: the migration would leave {len(dangling)} rows pointing at "
                           f"missing rows ({', '.join(found)}). Delete or update them in the migration first.")


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection, sqlite_guard(connection) as sqlite_args:
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            include_object=include_object,
            **sqlite_args,
            **conf_args
        )

        # transaction_per_migration is left off: one transaction for the whole run, on PostgreSQL and SQLite.
        with context.begin_transaction():
            context.run_migrations()
            check_foreign_keys(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
