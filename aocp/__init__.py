"""AOCP, the AMCAP Online Collaboration Platform: the application factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import config
from aocp.extensions import csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ASCII digits and at most 2**31 - 1, the largest id any table holds.

    Werkzeug's own converter takes any number of digits in any script, and a number too big
    for the database made the query fail with a 500 instead of a 404.
    """
    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the app; nothing touches the database until a request or command needs it."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), instance_path=str(ROOT / "instance"))
    app.url_map.converters["int"] = IdConverter
    app.config.from_mapping(config.load(config_name, overrides))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _configure_paths(app)
    if app.config["PROXY_HOPS"]:
        # Behind an HTTPS proxy: take the client's address and scheme from the proxy's headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"], x_proto=app.config["PROXY_HOPS"])

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        _tune_sqlite()
        _tune_postgresql()

    from aocp import cli, http, logs, metrics, models, web  # noqa: F401  (models: every table known to Alembic)
    from aocp.accounts.views import bp as auth_bp
    from aocp.admin import bp as admin_bp
    from aocp.api import bp as api_bp
    from aocp.documents import bp as documents_bp
    from aocp.main import bp as main_bp
    from aocp.meetings import bp as meetings_bp
    from aocp.plans import bp as plans_bp
    from aocp.profile.views import bp as profile_bp
    from aocp.search import bp as search_bp
    from aocp.sso.views import bp as sso_bp

    logs.init_app(app)  # first: every later hook and handler logs with the request's id
    web.init_app(app)
    http.init_app(app)
    metrics.init_app(app)
    for bp in (main_bp, auth_bp, profile_bp, admin_bp, documents_bp, meetings_bp, plans_bp, api_bp, sso_bp,
               search_bp):
        app.register_blueprint(bp)
    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, never cookies
    cli.init_app(app)
    from aocp import notifications

    notifications.init_app(app)
    return app


def _configure_paths(app: Flask) -> None:
    cfg = app.config
    if not cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'aocp.db'}"
    cfg["SQLALCHEMY_DATABASE_URI"] = cfg["DATABASE_URL"]
    # A server's connections can die (restart, failover): each is tested as it leaves the pool. A SQLite file's
    # cannot, and the test would cost a statement at every checkout, two or three per request.
    options = {} if cfg["DATABASE_URL"].startswith("sqlite") else {"pool_pre_ping": True}
    if cfg["DATABASE_URL"].startswith("postgresql"):
        # PostgreSQL's JIT compiles the access-rule counts behind every list for longer than they take to run
        # (bench/query_counts: 485 ms with JIT, 112 ms without, at 100,000 documents).
        options["connect_args"] = {"options": "-c jit=off"}
    cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options)
    cfg["UPLOAD_DIR"] = cfg["UPLOAD_DIR"] or str(ROOT / "uploads")
    cfg["RATELIMIT_STORAGE_URI"] = cfg["RATELIMIT_STORAGE_URL"]
    cfg["RATELIMIT_HEADERS_ENABLED"] = True


def _tune_postgresql() -> None:
    """Let psycopg keep the statements it prepared from one request to the next.

    psycopg prepares a statement once a connection has run it five times, and PostgreSQL then stops planning it
    anew (the actions list's statements: 18 → 4 ms at scale 1). But psycopg forgets them all at a ROLLBACK, which
    is how every request that only read ends. So before a rollback, a transaction that wrote nothing (no
    transaction id was assigned) is committed instead, which for the database is the same thing.
    """
    if db.engine.dialect.name != "postgresql":
        return
    from psycopg import Error, pq

    @event.listens_for(db.engine, "rollback")
    def _commit_if_read_only(conn):
        if conn.closed or conn.invalidated:
            return
        raw = conn.connection.dbapi_connection
        if raw is None or raw.info.transaction_status != pq.TransactionStatus.INTRANS:
            return
        try:
            if raw.execute("SELECT txid_current_if_assigned() IS NULL").fetchone()[0]:
                raw.commit()
        except Error:
            pass  # the rollback that follows ends the transaction either way


def _tune_sqlite() -> None:
    """Foreign keys on, WAL for concurrent readers, and a wait instead of 'database is locked'."""
    if db.engine.dialect.name != "sqlite":
        return

    @event.listens_for(db.engine, "connect")
    def _pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()
