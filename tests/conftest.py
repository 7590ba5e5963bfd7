"""Fixtures: one app per test run built through the real factory and migrations, a clean database per test.

Set AOCP_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run on PostgreSQL.
"""
from __future__ import annotations

import email
import os
import re
from email.message import Message
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine

from aocp import create_app
from aocp.accounts import mfa, services
from aocp.extensions import db, limiter
from aocp.orgs.models import Body, Organisation
from aocp.reference import seed_reference_data

PASSWORD = "correct horse battery staple"


def _per_worker(name: str) -> None:
    """Give each pytest-xdist worker a database of its own: `test` becomes `test_gw1`, Redis 11 becomes 12.

    Rewriting the variable here, before any test module is imported, covers every reader: the fixtures, the
    scratch-database tests, and the gunicorn and flask processes the tests start (they inherit the environment).
    """
    worker, url = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get(name)
    if not worker or not url:
        return
    index = int(worker.removeprefix("gw"))
    parsed = make_url(url)
    if parsed.drivername.startswith("redis"):
        os.environ[name] = str(parsed.set(database=str((int(parsed.database or 0) + index) % 16)))
    elif parsed.drivername.startswith("postgresql"):
        os.environ[name] = parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


for _name in ("AOCP_TEST_DATABASE_URL", "AOCP_TEST_SCRATCH_DATABASE_URL", "AOCP_TEST_REDIS_URL"):
    _per_worker(_name)


def pytest_make_parametrize_id(config, val, argname):
    """File contents made at collection (an Office file carries the time it was made) are named by their argument
    only: every xdist worker must collect the same test ids."""
    if isinstance(val, bytes) and len(val) > 64:
        return f"{argname}-{len(val)}-bytes"
    return None


def _create_database(url: str) -> None:
    """Create a PostgreSQL database when it is missing (each xdist worker's own, on a fresh machine)."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}) is None:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("aocp")
    url = os.environ.get("AOCP_TEST_DATABASE_URL") or f"sqlite:///{tmp / 'test.db'}"
    app = create_app("testing", {"DATABASE_URL": url, "UPLOAD_DIR": str(tmp / "uploads"),
                                 "MAIL_OUTBOX_DIR": str(tmp / "outbox"), "RATELIMIT_STORAGE_URL": "memory://",
                                 "SERVER_NAME": "localhost"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            _create_database(url)
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _tables():
    return [t.name for t in reversed(db.metadata.sorted_tables)] + _OUTSIDE_MODELS.get(db.engine.dialect.name, [])


_OUTSIDE_MODELS = {"sqlite": ["document_search"]}  # the FTS5 table is made by a migration, not by a model
# Every statement that writes names its table; tests need only empty the tables their statements named.
_WRITES = re.compile(r'\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+"?(\w+)',
                     re.IGNORECASE)
_written: set[str] = set()


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn, cursor, statement, parameters, context, executemany):
    _written.update(name.lower() for name in _WRITES.findall(statement))


class _Cleaner:
    """Empties what the last test wrote; the reference data is seeded once, and again only if a test changed it.

    Writes made outside this process (gunicorn workers, a restore) are not seen, so tests that may make them
    are followed by a full clean: every table emptied and the reference data seeded again.
    """

    def __init__(self):
        self.reference: set[str] = set()
        self.full = True
        self._seqs: dict[str, list[str]] | None = None

    def clean(self) -> None:
        tables = _tables()
        dirty = [name for name in tables if name in _written]
        if self.full or self.reference.intersection(dirty):
            self._empty(tables)
            _written.clear()
            seed_reference_data()
            db.session.commit()
            self.reference = {name for name in tables if name in _written}
            self.full = False
        elif dirty:
            self._empty(dirty)
        _written.clear()

    def _empty(self, names: list[str]) -> None:
        with db.engine.begin() as conn:
            for name in names:  # children before parents; DELETE is much faster than TRUNCATE on small tables
                conn.execute(text(f"DELETE FROM {name}"))
            if db.engine.dialect.name == "postgresql":  # ids start again at 1, as on a fresh database
                seqs = [seq for name in names for seq in self._sequences(conn).get(name, ())]
                conn.execute(text("SELECT setval(CAST(s AS regclass), 1, false) FROM unnest(CAST(:seqs AS text[])) s"),
                             {"seqs": seqs})
            if "audit_head" in names:
                conn.execute(text("INSERT INTO audit_head (id, last_hash) VALUES (1, :h)"), {"h": "0" * 64})

    def _sequences(self, conn) -> dict[str, list[str]]:
        if self._seqs is None:
            rows = conn.execute(text(
                "SELECT table_name, pg_get_serial_sequence(quote_ident(table_name), column_name) "
                "FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND (column_default LIKE 'nextval%' OR is_identity = 'YES')"))
            self._seqs = {}
            for table, seq in rows:
                self._seqs.setdefault(table, []).append(seq)
        return self._seqs


_cleaner = _Cleaner()


@pytest.fixture(autouse=True)
def _clean(app, request):
    """Each test starts from migrated tables holding only the reference data."""
    with app.app_context():
        _cleaner.clean()
    for f in Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"):
        f.unlink()
    limiter.reset()
    # Other processes (gunicorn, a restore, a live server's browser) may write what this process does not see.
    if request.node.get_closest_marker("servers") or request.node.get_closest_marker("browser") \
            or request.node.nodeid.startswith("tests/ops/"):
        _cleaner.full = True
    yield
    with app.app_context():
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def org(code: str) -> Organisation:
    return db.session.execute(db.select(Organisation).where(Organisation.code == code)).scalar_one()


def body(code: str) -> Body:
    return db.session.execute(db.select(Body).where(Body.code == code)).scalar_one()


ROLE_ORGS = {"asec_admin": "ASEC", "asec_staff": "ASEC", "focal_person": "MYS", "delegate": "MYS",
             "observer": "JPN"}


@pytest.fixture
def make_user(app):
    """make_user(role, org=..., email=..., bodies={'WGTIM': 'chair'}, mfa=True) -> the user's id."""
    counter = iter(range(1, 10_000))

    def make(role="delegate", org_code=None, email=None, bodies=None, mfa_on=False, name=None):
        with app.app_context():
            n = next(counter)
            user = services.create_user(None, email or f"{role}{n}@example.org", name or f"{role.title()} {n}",
                                        org(org_code or ROLE_ORGS[role]), role, PASSWORD)
            for code, body_role in (bodies or {}).items():
                services.set_membership(None, user, body(code), body_role)
            if mfa_on:
                user.mfa_secret, user.mfa_enabled = mfa.new_secret(), True
            db.session.commit()
            return user.id
    return make


def csrf_token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(client, url: str, data: dict, page: str | None = None, **kwargs):
    """Submit a form as a browser would: fetch the page for its CSRF token, then post."""
    token = csrf_token(client, page or url)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def login(client, email: str, password: str = PASSWORD, **kwargs):
    return post_form(client, "/login", {"email": email, "password": password}, **kwargs)


def sign_in(app, client, user_id: int, password: str = PASSWORD):
    """Sign in as a person would (signing out whoever was signed in), answering the second-factor page if asked."""
    if client.get_cookie(app.config["SESSION_COOKIE_NAME"]) and client.get("/profile/").status_code == 200:
        assert post_form(client, "/logout", {}, page="/profile/").status_code == 302
    r = login(client, user_email(app, user_id), password)
    if r.headers.get("Location", "").endswith("/login/code"):
        r = post_form(client, "/login/code", {"code": totp_now(app, user_id)})
    assert r.status_code == 302 and "/login" not in r.headers["Location"], "sign-in failed"
    return r


def signed_in(client) -> bool:
    """True when the profile page opens (a signed-out visitor is sent to the sign-in page)."""
    return client.get("/profile/").status_code == 200


def user_email(app, user_id: int) -> str:
    from aocp.accounts.models import User
    with app.app_context():
        return db.session.get(User, user_id).email


def totp_now(app, user_id: int, step_offset: int = 0) -> str:
    import time

    import pyotp

    from aocp.accounts.models import User
    with app.app_context():
        secret = db.session.get(User, user_id).mfa_secret
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(int(time.time()) // 30 + step_offset)


def outbox(app) -> list[Message]:
    files = sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    return [email.message_from_bytes(f.read_bytes()) for f in files]


def link_in(message: Message, path_prefix: str) -> str:
    body = message.get_payload(decode=True).decode() if not message.is_multipart() else \
        message.get_payload(0).get_payload(decode=True).decode()
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]+)", body)
    assert match, f"no {path_prefix} link in the message"
    return match.group(1)
