"""What AOCP's own requests to a provider accept: no redirect followed, a size cap, a time limit.

A tiny provider (http.server on 127.0.0.1) answers each path as a test tells it; a listening socket stands for
the place a redirect points to and tells whether anything connected to it.
"""
from __future__ import annotations

import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from markupsafe import escape
from sqlalchemy import select

from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.sso.models import IdentityProvider
from tests.conftest import org

START = "/auth/sso/fake/start"
CALLBACK = "http://localhost/auth/sso/fake/callback"
FAILED = "Sign-in with Fake IdP failed: "


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.hits.append(self.path)
        status, headers, body, delay = self.server.routes[self.path]
        time.sleep(delay)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        for chunk in body if isinstance(body, list) else [body]:  # a list is sent slowly, a piece at a time
            self.wfile.write(chunk)
            self.wfile.flush()
            if isinstance(body, list):
                time.sleep(0.1)

    do_POST = do_GET

    def log_message(self, *args):
        pass


class FakeProvider:
    """A provider whose discovery, keys and token answers are set per test (path -> status, headers, body)."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
        self.server.daemon_threads = True
        self.server.handle_error = lambda *args: None  # AOCP hanging up on a slow answer is expected
        self.server.hits = []
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.server.routes = {}
        self.answer("/.well-known/openid-configuration", {
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/auth",
            "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks"})

    def answer(self, path: str, data=None, status: int = 200, headers: dict | None = None, body=None,
               delay: float = 0.0) -> None:
        body = json.dumps(data).encode() if body is None else body
        self.server.routes[path] = (status, {"Content-Type": "application/json", **(headers or {})}, body, delay)

    def redirect(self, path: str, location: str) -> None:
        self.answer(path, status=302, headers={"Location": location}, body=b"")


@pytest.fixture
def fake(app, monkeypatch):
    """The fake provider, configured in AOCP as "fake"; a short time limit keeps the slow cases quick."""
    monkeypatch.setitem(app.config, "SITE_URL", "http://localhost")
    monkeypatch.setitem(app.config, "SSO_TIMEOUT_SECONDS", 0.5)
    provider = FakeProvider()
    thread = threading.Thread(target=provider.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    with app.app_context():
        db.session.add(IdentityProvider(slug="fake", name="Fake IdP", issuer=provider.issuer, client_id="aocp",
                                        client_secret="secret", allowed_orgs=[org("MYS")]))
        db.session.commit()
    yield provider
    provider.server.shutdown()
    provider.server.server_close()


@pytest.fixture
def elsewhere():
    """A listening socket a redirect points to; `.connected()` says whether anyone connected."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.setblocking(False)

        class Target:
            port = sock.getsockname()[1]

            @staticmethod
            def connected() -> bool:
                try:
                    sock.accept()[0].close()
                except BlockingIOError:
                    return False
                return True
        yield Target


def last_failure(app) -> dict:
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "sso.failure")
                                   .order_by(AuditEntry.id.desc())).scalars().first()
        assert entry is not None, "no sso.failure entry"
        return json.loads(entry.details)


def assert_failed(app, r, status: int, message: str, reason: str) -> None:
    assert r.status_code == status
    assert str(escape(FAILED + message)) in r.get_data(as_text=True)
    assert last_failure(app)["reason"] == reason


def callback(client) -> str:
    """Start a sign-in and return the callback the provider would send back (any code, the right state)."""
    r = client.get(START)
    assert r.status_code == 302, r.get_data(as_text=True)
    state = parse_qs(urlsplit(r.headers["Location"]).query)["state"][0]
    return f"{CALLBACK}?{urlencode({'code': 'a-code', 'state': state})}"


def an_id_token() -> str:
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{part({'alg': 'RS256', 'kid': 'k1'})}.{part({'sub': 'x'})}.c2ln"


def redirect_targets(port: int) -> list[str]:
    return [f"ftp://127.0.0.1:{port}/", f"http://127.0.0.1:{port}/.well-known/openid-configuration"]


@pytest.mark.parametrize("which", [0, 1], ids=["ftp", "other-port"])
def test_a_redirected_discovery_request_is_not_followed(app, client, fake, elsewhere, which):
    fake.redirect("/.well-known/openid-configuration", redirect_targets(elsewhere.port)[which])
    r = client.get(START)
    assert_failed(app, r, 502, "the provider answered with a redirect", "redirect")
    assert not elsewhere.connected()


@pytest.mark.parametrize("which", [0, 1], ids=["ftp", "other-port"])
def test_a_redirected_token_request_is_not_followed(app, client, fake, elsewhere, which):
    fake.redirect("/token", redirect_targets(elsewhere.port)[which])
    r = client.get(callback(client))
    assert_failed(app, r, 400, "the provider answered with a redirect", "redirect")
    assert not elsewhere.connected()
    assert not client.get("/profile/").status_code == 200


def test_a_redirected_key_set_request_is_not_followed(app, client, fake, elsewhere):
    fake.answer("/token", {"id_token": an_id_token(), "token_type": "Bearer"})
    fake.redirect("/jwks", f"ftp://127.0.0.1:{elsewhere.port}/")
    r = client.get(callback(client))
    assert_failed(app, r, 400, "the provider answered with a redirect", "redirect")
    assert not elsewhere.connected()


def test_an_endpoint_on_another_scheme_is_never_asked(app, client, fake, elsewhere):
    fake.answer("/.well-known/openid-configuration", {
        "issuer": fake.issuer, "authorization_endpoint": f"{fake.issuer}/auth",
        "token_endpoint": f"ftp://127.0.0.1:{elsewhere.port}/token", "jwks_uri": f"{fake.issuer}/jwks"})
    r = client.get(callback(client))
    assert_failed(app, r, 400, "the provider gave an address AOCP will not use", "bad_endpoint")
    assert not elsewhere.connected()


def test_a_discovery_document_over_the_size_limit_is_refused(app, client, fake):
    padding = "x" * (1024 * 1024)
    fake.answer("/.well-known/openid-configuration", {
        "issuer": fake.issuer, "authorization_endpoint": f"{fake.issuer}/auth",
        "token_endpoint": f"{fake.issuer}/token", "jwks_uri": f"{fake.issuer}/jwks", "padding": padding})
    r = client.get(START)
    assert_failed(app, r, 502, "the provider's answer is larger than AOCP accepts",
                  "too_large")


def test_a_discovery_document_just_under_the_limit_is_used(app, client, fake):
    document = {"issuer": fake.issuer, "authorization_endpoint": f"{fake.issuer}/auth",
                "token_endpoint": f"{fake.issuer}/token", "jwks_uri": f"{fake.issuer}/jwks", "padding": ""}
    document["padding"] = "x" * (1024 * 1024 - len(json.dumps(document)))
    fake.answer("/.well-known/openid-configuration", document)
    r = client.get(START)
    assert r.status_code == 302 and r.headers["Location"].startswith(f"{fake.issuer}/auth?")


def test_a_provider_slow_to_answer_times_out(app, client, fake):
    fake.answer("/.well-known/openid-configuration", {}, delay=2)
    began = time.monotonic()
    r = client.get(START)
    assert_failed(app, r, 502, "the provider did not answer in time", "timeout")
    assert time.monotonic() - began < 1.5


def test_a_provider_answering_a_trickle_times_out(app, client, fake):
    # Each piece arrives well within the per-read timeout; the whole answer takes two seconds.
    fake.answer("/token", body=[b" "] * 20)
    began = time.monotonic()
    r = client.get(callback(client))
    assert_failed(app, r, 502, "the provider did not answer in time", "timeout")
    assert time.monotonic() - began < 1.5


def test_a_token_error_still_names_the_providers_reason(app, client, fake):
    fake.answer("/token", {"error": "invalid_grant", "error_description": "code\nused"}, status=400)
    r = client.get(callback(client))
    assert_failed(app, r, 400, "the provider answered 400: invalid_grant code\nused.", "provider_http_error")
