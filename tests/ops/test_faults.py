"""Faults under a real gunicorn: a worker killed in the middle of an upload, the database lost mid-request.

The server shares the test session's database and upload directory, so what it did (or did not) leave behind
is checked directly. On PostgreSQL it reaches the database through a TCP forwarder the tests can cut.
"""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, make_url, select

from aocp.accounts import services as accounts
from aocp.accounts.models import User
from aocp.documents.cli import check_storage
from aocp.documents.models import Document
from aocp.extensions import db
from bench.memory import Client, download
from tests.conftest import PASSWORD, user_email
from tests.ops.servers import (
    api_upload,
    bearer,
    empty_uploads,
    get,
    gunicorn,
    kill_worker,
    page_upload,
    server_env,
    sign_in,
    signed_in,
    trickle,
    unnamed_files,
    wait_until_answers,
)
from tests.ops.tcp_proxy import TcpProxy

pytestmark = pytest.mark.servers

SIZE = 3 * 1024 * 1024  # sent in 64 KB pieces 20 ms apart: about a second in flight


@pytest.fixture(scope="module")
def db_proxy(app):
    """On PostgreSQL, a forwarder between the server and the database that a test can cut (None on SQLite)."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() != "postgresql":
        yield None
        return
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432)).start()
    yield proxy
    proxy.cut()


@pytest.fixture(scope="module")
def server(app, db_proxy, tmp_path_factory):
    url = app.config["DATABASE_URL"]
    if db_proxy is not None:
        url = make_url(url).set(host="127.0.0.1", port=db_proxy.port).render_as_string(hide_password=False)
    with gunicorn(server_env(app, DATABASE_URL=url), tmp_path_factory.mktemp("faults") / "gunicorn.log") as s:
        yield s


@pytest.fixture(autouse=True)
def _no_files(app):
    empty_uploads(app)


def _token(app, user_id: int) -> str:
    with app.app_context():
        _, raw = accounts.create_token(db.session.get(User, user_id), "ops test", "write")
        db.session.commit()
        return raw


def _documents(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Document.id)))


def _nothing_half_done(app) -> None:
    """No document row, no stored file without a row, no row without its file, no partial file."""
    assert _documents(app) == 0
    with app.app_context():
        report = check_storage()
    assert report == {"orphan_files": [], "missing_files": [], "partial_files": [], "checksum_mismatches": []}


def _check_command(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["documents", "check"])
    return result.exit_code, result.output


def _signed_in_client(app, server, user_id: int) -> Client:
    client = Client(server.port)
    status, headers, _ = sign_in(client, user_email(app, user_id), PASSWORD)
    assert status == 302 and "/login" not in headers["Location"]
    return client


def _start_upload(app, server, make_user, via: str):
    """A delegate's client, the upload's path, its body and its headers (page form or API with a token)."""
    user_id = make_user("delegate")
    client = _signed_in_client(app, server, user_id)
    if via == "page":
        upload = page_upload(client, "nickel-survey", SIZE)
        return client, "/documents/upload", upload, upload.headers, None
    token = _token(app, user_id)
    upload = api_upload("nickel-survey", SIZE)
    return client, "/api/v1/documents", upload, {**upload.headers, **bearer(token)}, token


def _uploaded(via: str, status: int, headers: dict, data: bytes) -> str:
    """The download path of a finished upload."""
    if via == "page":
        match = re.search(r"/documents/(\d+)$", headers.get("Location", ""))
        assert status == 302 and match, (status, data[:300])
        return f"/documents/{match.group(1)}/download"
    assert status == 201, (status, data[:300])
    return f"/api/v1/documents/{json.loads(data)['id']}/download"


@pytest.mark.parametrize("via", ["page", "api"])
def test_a_worker_killed_mid_upload_leaves_nothing_and_the_same_upload_then_succeeds(app, server, make_user, via):
    client, path, upload, headers, token = _start_upload(app, server, make_user, via)
    idle_files, spooled, killed = unnamed_files(server.worker), [], []

    def kill():
        spooled.extend(unnamed_files(server.worker) - idle_files)
        killed.append(kill_worker(server))

    with pytest.raises(OSError):  # the connection dies with the worker: no answer at all
        client.fetch("POST", path, trickle(upload.body(), SIZE // 3, kill), headers)
    assert spooled, "the worker was not reading the upload when it was killed"
    assert killed and server.worker != killed[0]  # the master is alive and has started a new worker
    wait_until_answers(server.port)

    _nothing_half_done(app)  # the body was still being read: nothing had reached the upload directory
    exit_code, output = _check_command(app)
    assert exit_code == 0 and "clean." in output

    # The person's session survived the worker; the same file goes up in full and comes back intact.
    again = page_upload(client, "nickel-survey", SIZE) if via == "page" else api_upload("nickel-survey", SIZE)
    status, answer_headers, data = client.fetch("POST", path, again.body(), {**headers, **again.headers})
    download_path = _uploaded(via, status, answer_headers, data)
    status, size, digest = download(client, download_path, bearer(token) if token else None)
    assert (status, size, digest) == (200, SIZE, again.digest.hexdigest())
    assert _documents(app) == 1


def test_database_lost_mid_upload_answers_503_then_recovers_without_a_restart(app, server, db_proxy, make_user):
    if db_proxy is None:
        pytest.skip("SQLite has no database server to lose: set AOCP_TEST_DATABASE_URL to a PostgreSQL database")
    page_client, page_path, page_body, page_headers, _ = _start_upload(app, server, make_user, "page")
    api_client, api_path, api_body, api_headers, token = _start_upload(app, server, make_user, "api")
    assert get(server.port, "/healthz")[0] == 200
    try:
        # The database goes away while each upload's body is still arriving.
        status, headers, page = page_client.fetch("POST", page_path, trickle(page_body.body(), SIZE // 3,
                                                                               db_proxy.cut), page_headers)
        assert status == 503
        assert b"Database unavailable" in page and b"Please try again shortly." in page and b"Error 503" in page
        db_proxy.restore()
        status, headers, data = api_client.fetch("POST", api_path, trickle(api_body.body(), SIZE // 3,
                                                                             db_proxy.cut), api_headers)
        assert status == 503 and json.loads(data)["error"]["code"] == "database_unavailable"
        # Whatever comes in while it is away: the health check, a signed-in page, the API.
        assert get(server.port, "/healthz") == (503, b'{"database":"unavailable","status":"error"}\n')
        status, _, page = page_client.fetch("GET", "/documents/")
        assert status == 503 and b"Database unavailable" in page
        status, _, data = api_client.fetch("GET", "/api/v1/documents", headers=bearer(token))
        assert status == 503 and json.loads(data)["error"]["code"] == "database_unavailable"
    finally:
        db_proxy.restore()
    _nothing_half_done(app)

    # Back at once, without restarting gunicorn: stale pooled connections are replaced (pool_pre_ping).
    assert get(server.port, "/healthz")[0] == 200
    assert signed_in(page_client)
    again = api_upload("nickel-survey", SIZE)
    status, _, data = api_client.fetch("POST", api_path, again.body(), {**again.headers, **bearer(token)})
    assert status == 201, data[:300]
    exit_code, output = _check_command(app)
    assert exit_code == 0 and "clean." in output
