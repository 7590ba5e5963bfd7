"""/metrics: Prometheus text behind a bearer token; request counts and latency by endpoint; the email queue and
documents from the database; under gunicorn, the workers' values added up (multiprocess mode)."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from aocp.accounts.models import User
from aocp.documents import services
from aocp.extensions import db
from aocp.notifications.models import QueuedEmail
from tests.conftest import org

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-scraper-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """{(sample name, labels): value} from the exposition text (it must parse)."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def scrape(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)

    def get() -> dict:
        r = client.get("/metrics", headers=AUTH)
        assert r.status_code == 200 and r.mimetype == "text/plain"
        return samples(r.get_data(as_text=True))
    return get


def test_without_a_configured_token_the_endpoint_does_not_exist(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=AUTH).status_code == 404


def test_a_missing_or_wrong_token_is_refused_without_details(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing.data == b"" and missing.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    for wrong in (TOKEN[:-1], TOKEN + "x", "x", "é"):
        r = client.get("/metrics", headers={"Authorization": f"Bearer {wrong}"})
        assert r.status_code == 403 and r.data == b"", wrong
    assert client.get("/metrics", headers=AUTH).status_code == 200


def test_requests_are_counted_by_method_endpoint_and_status_with_their_latency(client, scrape):
    before = scrape()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/documents/").status_code == 302  # signed out: sent to the sign-in page
    after = scrape()
    health = {"method": "GET", "endpoint": "main.healthz", "status": "200"}
    assert value(after, "aocp_http_requests_total", **health) - value(before, "aocp_http_requests_total", **health) == 3
    docs = {"method": "GET", "endpoint": "documents.index", "status": "302"}
    assert value(after, "aocp_http_requests_total", **docs) - value(before, "aocp_http_requests_total", **docs) == 1
    count = "aocp_http_request_duration_seconds_count"
    assert value(after, count, endpoint="main.healthz") - value(before, count, endpoint="main.healthz") == 3
    assert value(after, "aocp_http_request_duration_seconds_bucket", endpoint="main.healthz", le="+Inf") >= 3


def test_unknown_paths_share_one_label_so_scanners_cannot_grow_the_metrics(client, scrape):
    before = scrape()
    for n in range(5):
        assert client.get(f"/wp-admin/probe-{n}.php").status_code == 404
    r = client.get("/metrics", headers=AUTH)
    text = r.get_data(as_text=True)
    assert "wp-admin" not in text and "probe" not in text
    unmatched = {"method": "GET", "endpoint": "unmatched", "status": "404"}
    assert value(samples(text), "aocp_http_requests_total", **unmatched) \
        - value(before, "aocp_http_requests_total", **unmatched) == 5


def test_the_email_queue_and_the_documents_are_counted_from_the_database(app, scrape, make_user):
    found = scrape()
    assert value(found, "aocp_email_queue", state="pending") == 0
    assert value(found, "aocp_email_queue", state="failed") == 0
    assert value(found, "aocp_documents", state="active") == 0
    delegate = make_user("delegate")
    with app.app_context():
        for status in ("queued", "queued", "queued", "failed", "sent"):
            db.session.add(QueuedEmail(to_address="someone@example.org", subject="s", text="t", status=status))
        user = db.session.get(User, delegate)
        with services.committing():
            services.create(user, services.Upload(io.BytesIO(b"Tin and tungsten.\n"), "tin.txt"),
                            services.Details(title="Tin", org=org("MYS")), services.Access("asean"))
    found = scrape()
    assert value(found, "aocp_email_queue", state="pending") == 3
    assert value(found, "aocp_email_queue", state="failed") == 1
    assert value(found, "aocp_documents", state="active") == 1
    assert value(found, "aocp_documents", state="trashed") == 0
    assert value(found, "aocp_document_bytes") == len(b"Tin and tungsten.\n")


# --- several gunicorn workers ------------------------------------------------------------------

def _get(url: str, headers: dict | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, ""
    except OSError:  # not listening yet
        return 0, ""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker_pids(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return {int(p) for p in children.read_text().split()} if children.exists() else set()


@pytest.mark.servers
def test_under_gunicorn_the_workers_counts_add_up_survive_a_dead_worker_and_scrapes_are_not_limited(app, tmp_path):
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    (multiproc / "counter_1.db").write_bytes(b"left by an earlier run")
    port = _free_port()
    env = {**os.environ, "AOCP_CONFIG": "testing", "AOCP_DATABASE_URL": app.config["DATABASE_URL"],
           "AOCP_UPLOAD_DIR": app.config["UPLOAD_DIR"], "AOCP_MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"],
           "AOCP_METRICS_TOKEN": TOKEN, "AOCP_LOG_FORMAT": "json", "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
           "AOCP_RATELIMIT_DEFAULT": "30 per minute"}  # per worker (memory storage)
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "config/gunicorn.conf.py",
                                   "--workers", "2", "--bind", f"127.0.0.1:{port}", "app:app"],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while len(_worker_pids(server.pid)) < 2 or _get(f"{base}/healthz")[0] != 200:
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert not (multiproc / "counter_1.db").exists()  # emptied at start
        for _ in range(19):  # 20 with the one above, spread over both workers
            assert _get(f"{base}/healthz")[0] == 200
        health = {"method": "GET", "endpoint": "main.healthz", "status": "200"}
        status, text = _get(f"{base}/metrics", AUTH)
        assert status == 200 and value(samples(text), "aocp_http_requests_total", **health) == 20
        assert len(list(multiproc.glob("counter_*.db"))) >= 1

        victim = min(_worker_pids(server.pid))
        os.kill(victim, signal.SIGKILL)
        while victim in _worker_pids(server.pid) or len(_worker_pids(server.pid)) < 2:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        status, text = _get(f"{base}/metrics", AUTH)
        assert value(samples(text), "aocp_http_requests_total", **health) == 20  # the dead worker's too

        # 80 requests to two workers: one of them gets more than its 30 a minute, except on /metrics.
        assert {_get(f"{base}/metrics", AUTH)[0] for _ in range(80)} == {200}
        assert 429 in {_get(f"{base}/healthz")[0] for _ in range(80)}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert any('"logger": "gunicorn.error"' in line for line in lines)
    assert all(line.startswith("{") for line in lines), lines  # gunicorn's own lines are JSON too
