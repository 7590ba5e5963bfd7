"""Two gunicorn instances sharing PostgreSQL, Redis and the upload directory behave as one site.

Nothing is sticky: a person may land on either instance for any request. Needs PostgreSQL
(AOCP_TEST_DATABASE_URL) and Redis (AOCP_TEST_REDIS_URL, a database number of its own: it is flushed).
"""
from __future__ import annotations

import os
import re
import socket
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from aocp.accounts.models import SignInThrottle, User
from aocp.extensions import db
from bench.memory import Client, download
from tests.conftest import PASSWORD, totp_now, user_email
from tests.ops.servers import empty_uploads, gunicorn, page_upload, post_form, server_env, sign_in, signed_in

pytestmark = pytest.mark.servers

REDIS_URL = os.environ.get("AOCP_TEST_REDIS_URL", "")
LOGIN_LIMIT = 6  # sign-in POSTs per minute from one address, counted over both instances
MAX_FAILURES = 4


def _redis_answers(url: str) -> bool:
    parsed = urlsplit(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def redis_client(app):
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("several instances need a shared database server: set AOCP_TEST_DATABASE_URL to PostgreSQL")
    if not REDIS_URL:
        pytest.skip("several instances share rate limits through Redis: set AOCP_TEST_REDIS_URL "
                    "(e.g. redis://127.0.0.1:6379/1, a database number the tests may flush)")
    if not _redis_answers(REDIS_URL):
        pytest.skip(f"no Redis answers at {REDIS_URL} (AOCP_TEST_REDIS_URL)")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="module")
def servers(app, redis_client, tmp_path_factory):
    """Instances A and B: the same database, upload directory and Redis, different loopback ports."""
    env = server_env(app, RATELIMIT_STORAGE_URL=REDIS_URL, LOGIN_RATE_LIMIT=f"{LOGIN_LIMIT} per minute",
                     LOGIN_MAX_FAILURES=str(MAX_FAILURES))
    logs = tmp_path_factory.mktemp("scale-out")
    with gunicorn(env, logs / "a.log") as a, gunicorn(env, logs / "b.log") as b:
        yield a, b


@pytest.fixture(autouse=True)
def _fresh(app, redis_client):
    """No stored files and no rate-limit counts left by an earlier test."""
    empty_uploads(app)
    redis_client.flushdb()


def _person(app, make_user, role: str = "delegate", **kwargs) -> tuple[int, str]:
    user_id = make_user(role, **kwargs)
    return user_id, user_email(app, user_id)


def _signed_in(port: int, email: str) -> Client:
    client = Client(port)
    status, headers, _ = sign_in(client, email, PASSWORD)
    assert status == 302 and "/login" not in headers["Location"]
    return client


def _on(port: int, client: Client) -> Client:
    """The same cookies, sent to another instance."""
    other = Client(port)
    other.cookies = client.cookies
    return other


def test_a_session_begun_on_one_instance_continues_on_the_other(app, servers, make_user):
    a, b = servers
    user_id, email = _person(app, make_user)
    on_a = _signed_in(a.port, email)
    on_b = _on(b.port, on_a)
    status, _, page = on_b.fetch("GET", "/profile/")
    assert status == 200 and email.encode() in page
    # A form opened on A is posted to B: the CSRF token lives in the shared session.
    status, headers, _ = post_form(on_b, "/profile/timezone", {"timezone": "Asia/Kuala_Lumpur"}, page="/profile/",
                                   token_from=on_a)
    assert status == 302 and headers["Location"].endswith("/profile/")
    with app.app_context():
        assert db.session.get(User, user_id).timezone == "Asia/Kuala_Lumpur"


def test_a_document_uploaded_on_one_instance_downloads_from_the_other(app, servers, make_user):
    a, b = servers
    _, email = _person(app, make_user)
    on_a = _signed_in(a.port, email)
    upload = page_upload(on_a, "cobalt-outlook", 256 * 1024)
    status, headers, _ = on_a.fetch("POST", "/documents/upload", upload.body(), upload.headers)
    match = re.search(r"/documents/(\d+)$", headers.get("Location", ""))
    assert status == 302 and match
    status, size, digest = download(_on(b.port, on_a), f"/documents/{match.group(1)}/download")
    assert (status, size, digest) == (200, 256 * 1024, upload.digest.hexdigest())


def _refused(status: int, headers: dict) -> bool:
    """The sign-in form came back (wrong password, paused account) rather than letting the person in."""
    return status == 200 and "Location" not in headers


def test_failed_sign_ins_on_both_instances_add_up_to_a_lockout_on_both(app, servers, make_user):
    user_id, email = _person(app, make_user)
    for i in range(MAX_FAILURES):  # half on each: neither instance alone saw enough to lock the account
        status, headers, _ = sign_in(Client(servers[i % 2].port), email, "not the password")
        assert _refused(status, headers)
    with app.app_context():  # the address is paused for this account, whichever instance counted
        assert db.session.scalar(select(SignInThrottle.locked_until).where(SignInThrottle.user_id == user_id))
    for server in servers:  # the right password is refused on both while the pause lasts
        status, headers, page = sign_in(Client(server.port), email, PASSWORD)
        assert _refused(status, headers) and b"The email or password is not correct." in page


def test_the_sign_in_rate_limit_is_counted_over_both_instances(servers):
    answers = [sign_in(Client(servers[i % 2].port), "nobody@example.org", "not the password")[0]
               for i in range(LOGIN_LIMIT + 2)]
    # Each instance took LOGIN_LIMIT / 2 attempts, within the limit on its own; together they reach it.
    assert answers == [200] * LOGIN_LIMIT + [429, 429]


def test_signing_out_everywhere_on_one_instance_ends_the_sessions_used_on_the_other(app, servers, make_user):
    a, b = servers
    _, email = _person(app, make_user)
    on_a = _signed_in(a.port, email)
    elsewhere = _signed_in(b.port, email)  # a second session, begun and used on B
    assert signed_in(_on(b.port, on_a)) and signed_in(elsewhere)
    status, headers, _ = post_form(on_a, "/profile/sessions/revoke-all", {}, page="/profile/")
    assert status == 302 and headers["Location"].endswith("/login")
    assert not signed_in(elsewhere)
    assert not signed_in(_on(b.port, on_a))


def test_an_account_deactivated_on_one_instance_loses_its_session_on_the_other_at_once(app, servers, make_user):
    a, b = servers
    admin_id, admin_email = _person(app, make_user, "asec_admin", mfa_on=True)
    user_id, email = _person(app, make_user)
    person = _signed_in(b.port, email)
    assert signed_in(person)
    admin = Client(a.port)
    status, headers, _ = sign_in(admin, admin_email, PASSWORD)
    assert status == 302 and headers["Location"].endswith("/login/code")
    status, headers, _ = post_form(admin, "/login/code", {"code": totp_now(app, admin_id)})
    assert status == 302 and "/login" not in headers["Location"]
    status, _, _ = post_form(admin, f"/admin/people/{user_id}/deactivate", {}, page=f"/admin/people/{user_id}")
    assert status == 302
    assert not signed_in(person)
