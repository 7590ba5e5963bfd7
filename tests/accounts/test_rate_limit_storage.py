"""Per-client rate limits kept in Redis when AOCP_RATELIMIT_STORAGE_URL points at one (shared by every process).

Runs in a child process so the app-wide limiter of the rest of the suite keeps its in-memory storage.
Skipped when no Redis answers on 127.0.0.1:6379 (a fresh laptop); CI has one.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import uuid

import pytest

REDIS_URL = os.environ.get("AOCP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_sign_in_limits_are_counted_in_redis_and_shared_between_app_processes(tmp_path):
    prefix = f"aocp-test-{uuid.uuid4().hex[:8]}"
    script = textwrap.dedent(f"""
        from aocp import create_app
        app = create_app("testing", {{"DATABASE_URL": "sqlite:///{tmp_path / 'db.sqlite'}",
            "RATELIMIT_STORAGE_URL": "{REDIS_URL}", "RATELIMIT_KEY_PREFIX": "{prefix}",
            "LOGIN_RATE_LIMIT": "3 per minute", "WTF_CSRF_ENABLED": False}})
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
        client = app.test_client()
        print(",".join(str(client.post("/login", data={{"email": "x@example.org", "password": "wrong"}}).status_code)
                       for _ in range(2)))
    """)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr[-2000:]
    assert second.returncode == 0, second.stderr[-2000:]
    # Two separate processes share one budget of 3 per minute: the fourth attempt overall is refused.
    assert first.stdout.strip().splitlines()[-1] == "200,200"
    assert second.stdout.strip().splitlines()[-1] == "200,429"
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    keys = list(r.scan_iter(f"*{prefix}*"))
    assert keys, "the limiter wrote no keys to Redis"
    r.delete(*keys)
