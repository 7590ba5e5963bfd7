"""Real gunicorn servers on loopback for the operations tests, sharing the test session's database and uploads.

The servers get their settings through AOCP_* variables, as in production. They run the testing configuration
(cheap argon2id) with TESTING off, so errors reach AOCP's own handlers as they would in production rather than
propagating to gunicorn.
"""
from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask

from bench.memory import Client, Server, Upload, _free_port, _worker_pid, start_server

PAGE_FIELDS = {"doc_type": "study", "language": "en", "org": "MYS", "access_level": "asean", "note": "operations test"}


def server_env(app: Flask, **settings: str) -> dict[str, str]:
    """The environment of a server using `app`'s database and directories, plus AOCP_<NAME> `settings`."""
    env = {**os.environ, "AOCP_CONFIG": "testing", "AOCP_TESTING": "false",
           "AOCP_DATABASE_URL": app.config["DATABASE_URL"], "AOCP_UPLOAD_DIR": app.config["UPLOAD_DIR"],
           "AOCP_MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"], "AOCP_RATELIMIT_STORAGE_URL": "memory://"}
    env.update({f"AOCP_{name}": value for name, value in settings.items()})
    return env


def empty_uploads(app: Flask) -> None:
    """No stored files (the shared fixture empties only the database)."""
    shutil.rmtree(Path(app.config["UPLOAD_DIR"]) / "documents", ignore_errors=True)


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[Server]:
    """gunicorn with one sync worker on a free loopback port; stopped (killed if need be) on the way out."""
    server = start_server(env, _free_port(), log)
    try:
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


def kill_worker(server: Server) -> int:
    """SIGKILL the worker (never the master) and wait until the master has started another; its pid."""
    killed = _worker_pid(server.process.pid)
    assert killed, "gunicorn has no worker"
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        worker = _worker_pid(server.process.pid)
        if worker and worker != killed:
            server.worker = worker
            return killed
        time.sleep(0.1)
    raise AssertionError("gunicorn started no new worker after the kill")


def unnamed_files(pid: int) -> set[str]:
    """Deleted files process `pid` holds open (werkzeug spools a large request body to one while reading it)."""
    targets = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
    return {t for t in targets if t.endswith(" (deleted)")}


def get(port: int, path: str) -> tuple[int, bytes]:
    """One GET without cookies: status and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_until_answers(port: int, limit: float = 30) -> None:
    """Wait for /healthz to answer 200 (a respawned worker is ready)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the server on port {port} did not answer /healthz within {limit} s")


def post_form(client: Client, path: str, fields: dict[str, str], page: str | None = None,
              token_from: Client | None = None) -> tuple[int, dict, bytes]:
    """Post a form with the CSRF token of `page` (default: `path`) as opened by `token_from` (default: `client`)."""
    token = (token_from or client).csrf(page or path)
    return client.fetch("POST", path, urlencode({"csrf_token": token, **fields}),
                        {"Content-Type": "application/x-www-form-urlencoded"})


def sign_in(client: Client, email: str, password: str) -> tuple[int, dict, bytes]:
    return post_form(client, "/login", {"email": email, "password": password})


def signed_in(client: Client) -> bool:
    """Whether the client's session still opens the home page (a signed-out one is sent to /login)."""
    status, headers, _ = client.fetch("GET", "/")
    return status == 200 and "Location" not in headers


def page_upload(client: Client, title: str, size: int) -> Upload:
    """The multipart body of the upload page's form for a generated text file (the CSRF token from the page)."""
    fields = {"csrf_token": client.csrf("/documents/upload"), **PAGE_FIELDS, "title": title}
    return Upload(fields, f"{title}.txt", size, file_field="files")


def api_upload(title: str, size: int) -> Upload:
    return Upload({"title": title, "type": "study", "access": "asean"}, f"{title}.txt", size)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def trickle(body: Iterator[bytes], after: int, then: Callable[[], object], piece: int = 64 * 1024,
            pause: float = 0.02) -> Iterator[bytes]:
    """Send `body` in small pieces with pauses; once `after` bytes are out, call `then()` and carry on."""
    sent, fired = 0, False
    for chunk in body:
        for start in range(0, len(chunk), piece):
            yield (part := chunk[start:start + piece])
            sent += len(part)
            time.sleep(pause)
            if not fired and sent >= after:
                fired = True
                then()
