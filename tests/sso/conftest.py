"""A real OpenID Connect provider (node `oidc-provider`) on loopback, and helpers that walk its pages.

The provider runs once per test session on a free port of 127.0.0.1. The tests drive AOCP with the Flask test
client and the provider with urllib (cookies kept, redirects followed by hand), handing the provider's final
redirect back to the Flask test client, as a browser would.
"""
from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode, urljoin
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, build_opener

import pytest

from aocp.extensions import db
from aocp.sso.models import IdentityProvider, SsoIdentity
from tests.conftest import org

PROVIDER_DIR = Path(__file__).parent / "provider"
CLIENT_SECRET = "aocp-test-client-secret"
CALLBACK = "http://localhost/auth/sso/test/callback"
START_SECONDS = 30


@pytest.fixture(scope="session")
def oidc_issuer():
    """Start the provider and yield its issuer URL; stop it however the tests end."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the single sign-on tests run a real OpenID provider on Node.js")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("the test OpenID provider is not installed: run `npm ci --prefix tests/sso/provider`")
    proc = subprocess.Popen([node, "provider.js"], cwd=PROVIDER_DIR, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "REDIRECT_URI": CALLBACK, "CLIENT_SECRET": CLIENT_SECRET})
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout=START_SECONDS):
                pytest.fail("the test OpenID provider did not start")
        yield json.loads(proc.stdout.readline())["issuer"]
    finally:
        proc.stdout.close()
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def idp(app, oidc_issuer, monkeypatch):
    """make(**settings) -> provider id: the test provider configured in AOCP (slug "test", client "aocp")."""
    monkeypatch.setitem(app.config, "SITE_URL", "http://localhost")

    def make(issuer: str = oidc_issuer, orgs=("MYS", "ASEC"), **settings) -> int:
        with app.app_context():
            row = IdentityProvider(slug="test", name="Test IdP", issuer=issuer, client_id="aocp",
                                   client_secret=CLIENT_SECRET, allowed_orgs=[org(code) for code in orgs],
                                   **settings)
            db.session.add(row)
            db.session.commit()
            return row.id
    return make


def link_identity(app, provider_id: int, user_id: int, subject: str, issuer: str) -> None:
    with app.app_context():
        db.session.add(SsoIdentity(provider_id=provider_id, user_id=user_id, issuer=issuer, subject=subject))
        db.session.commit()


class _Manual(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # every redirect is followed by hand, so the test sees each hop


class ProviderBrowser:
    """The person's browser at the provider: keeps the provider's cookies, shows every redirect."""

    def __init__(self):
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _Manual)

    def location(self, url: str) -> str:
        try:
            with self.opener.open(url, timeout=10) as answer:
                raise AssertionError(f"expected a redirect from {url}, got {answer.status}: {answer.read()[:300]!r}")
        except HTTPError as err:
            assert err.code in (302, 303), f"{url} -> {err.code}: {err.read()[:300]!r}"
            return urljoin(url, err.headers["Location"])

    def sign_in(self, authorization_url: str, **person) -> str:
        """Follow the authorization request through the login interaction; returns the redirect back to AOCP."""
        interaction = self.location(authorization_url)
        assert "/interaction/" in interaction, interaction
        url = self.location(f"{interaction}?{urlencode(person)}")
        while not url.startswith("http://localhost/"):
            url = self.location(url)
        return url


def through_provider(client, start, **person) -> str:
    """Start a flow at AOCP (a URL to GET, or a ready response) and sign in at the provider as `person`."""
    r = client.get(start) if isinstance(start, str) else start
    assert r.status_code == 302, r.status_code
    return ProviderBrowser().sign_in(r.headers["Location"], **person)


def person(sub: str, email: str, verified: bool = True, **claims) -> dict:
    """The person the provider signs in; `amr` (comma-separated) and `acr` say how they authenticated there."""
    return {"sub": sub, "email": email, "email_verified": "true" if verified else "false", "amr": "pwd", **claims}
