"""Request-wide behaviour: security headers, error pages in the site's look, JSON errors, health check."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import abort
from flask_migrate import upgrade

from aocp import create_app
from aocp.extensions import db, limiter
from aocp.http import ERROR_TEXT
from aocp.policy import public
from tests.conftest import login, post_form, totp_now

GOOD_SECRET = "k" * 20 + "9f8e7d6c5b4a3f2e1d0c"  # 40 characters, not a default
GOOD_AUDIT_KEY = "a" * 20 + "1b2c3d4e5f6a7b8c9d0e"  # the audit chain's own key


def throwaway(tmp_path, name="testing", migrate=False, **overrides):
    """A fresh app on its own SQLite file (or whatever DATABASE_URL says) with routes for the tests."""
    settings = {"DATABASE_URL": f"sqlite:///{tmp_path / 'throwaway.db'}", "UPLOAD_DIR": str(tmp_path / "up"),
                "MAIL_OUTBOX_DIR": str(tmp_path / "out"), "RATELIMIT_STORAGE_URL": "memory://"} | overrides
    app = create_app(name, settings)
    if migrate:
        with app.app_context():
            upgrade()

    @public
    def boom():
        raise ZeroDivisionError("secret internals 12345")

    @public
    def teapot():
        abort(413)

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    app.add_url_rule("/too-large", "too_large", teapot)
    app.add_url_rule("/api/v1/limited", "api_limited", limiter.limit("2 per minute")(public(lambda: {"ok": True})))
    return app


@pytest.fixture
def scratch(tmp_path):
    apps = []

    def make(name="testing", migrate=False, **overrides):
        app = throwaway(tmp_path, name, migrate, **overrides)
        apps.append(app)
        return app
    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()
    limiter.reset()


def csp(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_security_headers(response):
    policy = csp(response)
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    script = policy.get("script-src", policy["default-src"])
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script and "*" not in script
    assert not any(s.startswith(("http:", "https:", "data:")) for s in script)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def _admin_client(app, client, make_user):
    uid = make_user("asec_admin", email="admin@example.org", mfa_on=True)
    r = login(client, "admin@example.org")
    assert r.headers["Location"].endswith("/login/code")
    r = post_form(client, "/login/code", {"code": totp_now(app, uid)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/")
    return uid


# --- security headers --------------------------------------------------------------

@pytest.mark.parametrize("path,status", [
    ("/login", 200), ("/reset", 200), ("/", 302), ("/no-such-page", 404), ("/logout", 405),
    ("/static/aocp.css", 200), ("/static/aocp.js", 200), ("/static/nope.css", 404), ("/healthz", 200),
    ("/api/v1/openapi.json", 200), ("/api/v1/me", 401), ("/api/v1/nothing", 404),
])
def test_security_headers_are_on_every_kind_of_response(client, path, status):
    with client.get(path) as r:
        assert r.status_code == status
        assert_security_headers(r)
        assert r.headers["X-Frame-Options"] == "DENY"


def test_security_headers_are_on_signed_in_pages_and_api_answers(app, client, make_user):
    from aocp.accounts import services
    from aocp.accounts.models import User
    uid = _admin_client(app, client, make_user)
    for path in ("/", "/profile/", "/admin/people", "/admin/audit"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert_security_headers(r)
    with app.app_context():
        _, raw = services.create_token(db.session.get(User, uid), "t", "read")
        db.session.commit()
    r = client.get("/api/v1/users", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200
    assert_security_headers(r)


def test_security_headers_are_on_a_500_page(scratch):
    app = scratch(PROPAGATE_EXCEPTIONS=False)
    for path in ("/boom", "/api/v1/boom"):
        r = app.test_client().get(path)
        assert r.status_code == 500
        assert_security_headers(r)


@pytest.mark.parametrize("path", ["/", "/profile/", "/admin/people", "/admin/audit", "/admin/people/1"])
def test_signed_in_pages_are_not_cached(app, client, make_user, path):
    _admin_client(app, client, make_user)
    r = client.get(path)
    assert r.status_code == 200
    assert "no-store" in r.headers["Cache-Control"]


def test_api_answers_are_not_cached(app, client, make_user):
    from aocp.accounts import services
    from aocp.accounts.models import User
    uid = make_user("delegate")
    with app.app_context():
        _, raw = services.create_token(db.session.get(User, uid), "t", "read")
        db.session.commit()
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200 and "no-store" in r.headers["Cache-Control"]


def test_static_files_are_not_marked_no_store(client):
    with client.get("/static/aocp.css") as r:
        assert r.status_code == 200
        assert "no-store" not in r.headers.get("Cache-Control", "")
        assert r.mimetype == "text/css"


def test_testing_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_production_sends_hsts_for_at_least_a_year(scratch, monkeypatch):
    monkeypatch.delenv("AOCP_SESSION_COOKIE_SECURE", raising=False)
    app = scratch("production", SECRET_KEY=GOOD_SECRET, AUDIT_KEY=GOOD_AUDIT_KEY)
    for path in ("/healthz", "/login", "/no-such-page"):
        r = app.test_client().get(path, base_url="https://aocp.example.org")
        hsts = r.headers["Strict-Transport-Security"]
        assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31_536_000, path
        assert_security_headers(r)


def test_production_session_cookie_is_secure_httponly_lax_and_host_prefixed(scratch):
    app = scratch("production", migrate=True, SECRET_KEY=GOOD_SECRET, AUDIT_KEY=GOOD_AUDIT_KEY)
    client = app.test_client()
    r = client.get("/login", base_url="https://aocp.example.org")
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("__Host-")
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
    assert {"secure", "httponly"} <= attributes
    assert "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
    assert "domain=" not in cookie.lower()


def test_the_session_cookie_carries_only_a_random_id(client):
    r = client.get("/login")
    name, value = r.headers["Set-Cookie"].split(";")[0].split("=", 1)
    assert name == "aocp_session"
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", value)  # no signed data, no dots
    assert "HttpOnly" in r.headers["Set-Cookie"] and "SameSite=Lax" in r.headers["Set-Cookie"]


# --- error pages ---------------------------------------------------------------------

def assert_error_page(response, status):
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<header class="topbar">' in page and '<main id="main"' in page  # the site's layout
    assert "/static/aocp.css" in page
    assert f"Error {status}" in page
    assert "Traceback" not in page and "werkzeug" not in page.lower()
    return page


def test_a_404_page_is_in_the_site_layout(client):
    page = assert_error_page(client.get("/no-such-page"), 404)
    assert ERROR_TEXT[404][0] in page


def test_a_405_page_is_in_the_site_layout_and_get_changes_nothing(client):
    page = assert_error_page(client.get("/logout"), 405)
    assert ERROR_TEXT[405][0] in page


def test_a_form_without_its_csrf_token_gets_a_400_page(client, make_user):
    make_user("delegate", email="d@example.org")
    r = client.post("/login", data={"email": "d@example.org", "password": "correct horse battery staple"})
    page = assert_error_page(r, 400)
    assert "Form expired" in page


def test_a_bad_request_gets_a_400_page(app, client, make_user):
    _admin_client(app, client, make_user)
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/admin/people/invite").get_data(as_text=True))
    assert token is not None
    r = client.post("/admin/people/invite", data={"csrf_token": token.group(1), "email": "x@example.org",
                                                  "name": "X", "org": "999999", "role": "delegate"})
    assert r.status_code == 400 and r.mimetype == "text/html"


def test_a_403_page_is_in_the_site_layout(client, make_user):
    make_user("delegate", email="d@example.org")
    login(client, "d@example.org")
    page = assert_error_page(client.get("/admin/audit"), 403)
    assert ERROR_TEXT[403][0] in page
    assert "Sign out" in page  # the signed-in layout, navigation included


def test_a_413_page_is_in_the_site_layout(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    r = client.post("/login", data={"email": "x" * 5000, "password": "y"})
    page = assert_error_page(r, 413)
    assert ERROR_TEXT[413][0] in page


def test_a_429_page_is_in_the_site_layout(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    statuses = [post_form(client, "/login", {"email": "nobody@example.org", "password": "wrong"}).status_code
                for _ in range(3)]
    assert statuses[:2] == [200, 200]
    r = post_form(client, "/login", {"email": "nobody@example.org", "password": "wrong"})
    page = assert_error_page(r, 429)
    assert ERROR_TEXT[429][0] in page


def test_each_app_applies_its_own_default_rate_limit(scratch):
    generous, strict = scratch(), scratch(RATELIMIT_DEFAULT="3 per minute")
    assert [strict.test_client().get("/healthz").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert [generous.test_client().get("/healthz").status_code for _ in range(4)] == [200] * 4


def test_a_500_page_is_in_the_site_layout_and_hides_the_error(scratch):
    app = scratch(PROPAGATE_EXCEPTIONS=False)
    page = assert_error_page(app.test_client().get("/boom"), 500)
    assert ERROR_TEXT[500][0] in page
    assert "secret internals" not in page and "ZeroDivisionError" not in page


def test_an_aborted_413_page_renders_on_a_fresh_app(scratch):
    assert_error_page(scratch().test_client().get("/too-large"), 413)


# --- JSON errors for the API ------------------------------------------------------------

def assert_json_error(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["status"] == status and error["code"] and error["message"]
    assert "<html" not in response.get_data(as_text=True).lower()
    return error


def test_api_errors_are_json_400(app, client, make_user):
    from aocp.accounts import services
    from aocp.accounts.models import User
    uid = make_user("asec_admin", mfa_on=True)
    with app.app_context():
        _, raw = services.create_token(db.session.get(User, uid), "t", "write")
        db.session.commit()
    r = client.post("/api/v1/memberships", data="{", content_type="application/json",
                    headers={"Authorization": f"Bearer {raw}"})
    assert_json_error(r, 400)


def test_api_errors_are_json_401_403_404_405(app, client, make_user):
    from aocp.accounts import services
    from aocp.accounts.models import User
    assert_json_error(client.get("/api/v1/users"), 401)
    uid = make_user("delegate")
    with app.app_context():
        _, raw = services.create_token(db.session.get(User, uid), "t", "write")
        db.session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    assert assert_json_error(client.get("/api/v1/users", headers=headers), 403)["code"] == "forbidden"
    assert assert_json_error(client.get("/api/v1/organisations/NOPE", headers=headers), 404)["code"] == "not_found"
    assert_json_error(client.get("/api/v1/nowhere"), 404)
    assert_json_error(client.delete("/api/v1/me", headers=headers), 405)


def test_api_errors_are_json_413(app, client, make_user):
    from aocp.accounts import services
    from aocp.accounts.models import User
    uid = make_user("asec_admin", mfa_on=True)
    with app.app_context():
        _, raw = services.create_token(db.session.get(User, uid), "t", "write")
        db.session.commit()
    r = client.post("/api/v1/memberships", data="x" * (app.config["API_MAX_CONTENT_LENGTH"] + 1),
                    content_type="application/json", headers={"Authorization": f"Bearer {raw}"})
    assert_json_error(r, 413)


def test_api_errors_are_json_429(scratch):
    client = scratch().test_client()
    statuses = [client.get("/api/v1/limited").status_code for _ in range(2)]
    assert statuses == [200, 200]
    error = assert_json_error(client.get("/api/v1/limited"), 429)
    assert error["code"] == "too_many_requests"


def test_api_errors_are_json_500_without_internals(scratch):
    app = scratch(PROPAGATE_EXCEPTIONS=False)
    r = app.test_client().get("/api/v1/boom")
    error = assert_json_error(r, 500)
    assert error["code"] == "internal_error"
    assert "secret internals" not in r.get_data(as_text=True)


def test_an_unexpected_error_is_logged(scratch, caplog):
    app = scratch(PROPAGATE_EXCEPTIONS=False)
    with caplog.at_level("ERROR"):
        app.test_client().get("/boom")
    assert any("Unhandled error on GET /boom" in rec.getMessage() for rec in caplog.records)


# --- no external resources ------------------------------------------------------------------

class ResourceParser(HTMLParser):
    """Collects URLs a page makes the browser load, inline scripts, styles and event handlers."""

    def __init__(self):
        super().__init__()
        self.urls, self.inline_scripts, self.inline_styles, self.handlers = [], 0, 0, []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href", "action", "formaction", "data", "poster", "srcset"):
            if attrs.get(name) and (tag != "a" or name != "href"):
                self.urls.append((tag, attrs[name]))
        if tag == "script":
            self._in_script = "src" not in attrs
        if tag == "style" or "style" in attrs:
            self.inline_styles += 1
        self.handlers += [n for n in attrs if n.startswith("on")]

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1


def _check_page(page, where):
    parser = ResourceParser()
    parser.feed(page)
    external = [u for u in parser.urls if re.match(r"^\s*(https?:)?//", u[1], re.I)]
    assert not external, (where, external)
    assert parser.inline_scripts == 0, where
    assert parser.handlers == [], (where, parser.handlers)
    assert parser.inline_styles == 0, where
    assert re.search(r'<script src="/static/aocp\.js', page), where
    assert re.search(r'<link rel="stylesheet" href="/static/aocp\.css', page), where


def test_signed_out_pages_load_nothing_from_elsewhere_and_have_no_inline_code(client):
    for path in ("/login", "/reset", "/no-such-page", "/invitations/not-a-token", "/reset/not-a-token"):
        _check_page(client.get(path).get_data(as_text=True), path)


def test_signed_in_pages_load_nothing_from_elsewhere_and_have_no_inline_code(app, client, make_user):
    uid = _admin_client(app, client, make_user)
    pages = ["/", "/profile/", "/admin/people", f"/admin/people/{uid}", "/admin/people/invite",
             "/admin/invitations", "/admin/organisations", "/admin/organisations/new", "/admin/bodies",
             "/admin/bodies/new", "/admin/audit", "/admin/audit/verify", "/admin/nominate"]
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, path
        _check_page(r.get_data(as_text=True), path)


def test_the_mfa_enrolment_page_has_no_inline_code(app, client, make_user):
    make_user("delegate", email="d@example.org")
    login(client, "d@example.org")
    r = client.get("/profile/mfa")
    assert r.status_code == 200 and "<svg" in r.get_data(as_text=True)
    _check_page(r.get_data(as_text=True), "/profile/mfa")


# --- health check ----------------------------------------------------------------------------------

def test_healthz_answers_200_json_when_the_database_answers(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("url", ["sqlite:////nonexistent-aocp-dir/sub/aocp.db",
                                 "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"])
def test_healthz_answers_503_json_when_the_database_is_unreachable(scratch, url):
    app = scratch(DATABASE_URL=url)
    r = app.test_client().get("/healthz")
    assert r.status_code == 503 and r.mimetype == "application/json"
    assert r.get_json() == {"status": "error", "database": "unavailable"}
    assert_security_headers(r)


def test_healthz_needs_no_sign_in_and_sets_no_cookie(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and "Set-Cookie" not in r.headers


# --- hostile input on pages: a 4xx, never a 500 ----------------------------------------------------

HOSTILE_QUERIES = ["page=99999999999999999999", "page=" + "9" * 5000, "per_page=" + "9" * 5000, "page=9223372036854775807", "page=%C2%B2", "page=-1", "page=abc",
                   "q=%00", "q=a%00b", "org=99999999999999999999", "org=%00", "role=%00", "status=%00",
                   "actor=%00", "action=%00", "body=%00", "next=%00", "q=" + "x" * 3000, "q=%E2%80%AE%F0%9F%98%80"]


def test_hostile_query_strings_on_every_page_are_never_a_server_error(app, client, make_user):
    uid = _admin_client(app, client, make_user)
    pages = sorted(r.rule for r in app.url_map.iter_rules()
                   if "GET" in r.methods and not r.arguments and not r.rule.startswith(("/api/", "/static")))
    pages.append(f"/admin/people/{uid}")
    assert "/admin/people" in pages and "/admin/audit" in pages
    failures = []
    for path in pages:
        for query in HOSTILE_QUERIES:
            with client.get(f"{path}?{query}") as r:  # closes streamed answers (CSV export) too
                if r.status_code >= 500:
                    failures.append(f"{path}?{query[:40]} -> {r.status_code}")
    assert not failures, failures


@pytest.mark.parametrize("field", ["email", "password"])
def test_a_nul_character_in_a_sign_in_form_is_a_400_not_a_500(app, client, make_user, field):
    from aocp.audit import AuditEntry
    make_user("delegate", email="d@example.org")
    data = {"email": "d@example.org", "password": "correct horse battery staple"}
    data[field] = data[field][:3] + "\x00" + data[field][3:]
    r = post_form(client, "/login", data)
    assert_error_page(r, 400)
    assert client.get("/").status_code == 302  # not signed in
    with app.app_context():
        assert db.session.query(AuditEntry).filter(AuditEntry.action == "auth.login").count() == 0


def test_a_nul_character_in_a_password_reset_request_is_a_400(app, client):
    from tests.conftest import outbox
    r = post_form(client, "/reset", {"email": "someone\x00@example.org"})
    assert_error_page(r, 400)
    assert outbox(app) == []


def test_a_page_number_past_any_list_is_not_found(app, client, make_user):
    _admin_client(app, client, make_user)
    assert_error_page(client.get("/admin/people?page=99999999999999999999"), 404)
    assert client.get("/admin/people?page=1").status_code == 200


def test_a_nul_character_in_a_query_string_is_a_400_page_and_json_for_the_api(client):
    assert_error_page(client.get("/reset?email=%00"), 400)
    assert_error_page(client.get("/no%00where"), 400)
    assert_json_error(client.get("/api/v1/openapi.json?x=%00"), 400)


def test_a_nul_character_in_next_is_left_to_the_next_check(client, make_user):
    make_user("delegate", email="d@example.org")
    assert client.get("/login?next=/profile/%00").status_code == 200
    r = post_form(client, "/login", {"email": "d@example.org", "password": "correct horse battery staple",
                                     "next": "/profile/\x00"})
    assert r.status_code == 302 and r.headers["Location"] == "/"
