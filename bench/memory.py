"""Worker memory while a large file goes up and comes back down, through the API and through the pages.

    .venv/bin/python -m bench.memory [--size-mb 1024] [--limit-mb 64] [--via api,page]

Starts the app under gunicorn on loopback (one sync worker, a temporary SQLite database and upload
directory), makes a delegate and an API token with the app's own CLI, and then for each way in:
streams a generated text file up (the body is produced while it is sent; neither side holds the file),
downloads it in chunks and compares SHA-256 with what was sent. A thread polls the worker's VmRSS in
/proc. Growth is the highest RSS seen during a transfer minus the worker's RSS after a small warm-up
upload and download. Exits 1 if growth reaches the limit or a checksum differs.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MB = 1024 * 1024
CHUNK = MB
EMAIL = "memory.bench@example.gov.my"


# --- the worker's memory ------------------------------------------------------------------

def rss_kb(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of process `pid` from /proc (kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


class PeakWatcher:
    """Polls a process's VmRSS in a thread and keeps the highest value seen since the last reset."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(self.interval)

    def reset(self) -> None:
        self.peak = rss_kb(self.pid)

    def __enter__(self) -> PeakWatcher:
        self.reset()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# --- the server --------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flask(env: dict, *args: str, stdin: str = "") -> str:
    done = subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _worker_pid(master: int) -> int | None:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except FileNotFoundError:
        return None
    return int(children[0]) if children else None


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    worker: int


def start_server(env: dict, port: int, log: Path) -> Server:
    """gunicorn with one sync worker; returns once the worker answers."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "1", "--worker-class", "sync", "--timeout", "900",
             "--bind", f"127.0.0.1:{port}", "app:app"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()}")
        worker = _worker_pid(process.pid)
        if worker:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                conn.request("GET", "/login")
                conn.getresponse().read()
                return Server(process, port, worker)
            except OSError:
                pass  # not listening yet, or too busy to answer in time: try again
            finally:
                conn.close()  # a timed-out attempt left its socket open, which the suite reports as an error
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not start within 60 seconds")


# --- HTTP, streamed both ways ------------------------------------------------------------------

class Client:
    """http.client with a cookie jar just big enough for AOCP's session cookie."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, body=None, headers: dict | None = None
                ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=900)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
        except OSError:  # the server went away mid-request
            conn.close()
            raise
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return conn, response

    def fetch(self, method: str, path: str, body=None, headers: dict | None = None) -> tuple[int, dict, bytes]:
        conn, response = self.request(method, path, body, headers)
        data = response.read()
        conn.close()
        return response.status, dict(response.headers), data

    def csrf(self, path: str) -> str:
        _, _, page = self.fetch("GET", path)
        match = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        if match is None:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1).decode()


def text_chunks(size: int) -> Iterator[bytes]:
    """`size` bytes of UTF-8 text (CSV-like lines), one megabyte at a time, each megabyte different."""
    line = b"MYS,nickel,2025,production,tonnes,export,ASEAN minerals cooperation,AMCAP-III\n"
    block = line * (CHUNK // len(line) + 1)
    sent = 0
    while sent < size:
        head = f"part {sent // CHUNK:08d}\n".encode()
        chunk = (head + block)[: min(CHUNK, size - sent)]
        sent += len(chunk)
        yield chunk


@dataclass
class Upload:
    """A multipart/form-data body produced while it is sent, and the SHA-256 of its file part."""
    fields: dict[str, str]
    filename: str
    size: int
    file_field: str = "file"

    def __post_init__(self):
        self.boundary = uuid.uuid4().hex
        self.digest = hashlib.sha256()
        b = self.boundary
        head = "".join(f"--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                       for k, v in self.fields.items())
        head += (f"--{b}\r\nContent-Disposition: form-data; name=\"{self.file_field}\"; "
                 f"filename=\"{self.filename}\"\r\nContent-Type: text/plain\r\n\r\n")
        self.head, self.tail = head.encode(), f"\r\n--{b}--\r\n".encode()

    @property
    def headers(self) -> dict:
        return {"Content-Type": f"multipart/form-data; boundary={self.boundary}",
                "Content-Length": str(len(self.head) + self.size + len(self.tail))}

    def body(self) -> Iterator[bytes]:
        yield self.head
        for chunk in text_chunks(self.size):
            self.digest.update(chunk)
            yield chunk
        yield self.tail


def download(client: Client, path: str, headers: dict | None = None) -> tuple[int, int, str]:
    """GET `path` reading one megabyte at a time: status, bytes, SHA-256."""
    conn, response = client.request("GET", path, headers=headers)
    digest, size = hashlib.sha256(), 0
    while chunk := response.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    conn.close()
    return response.status, size, digest.hexdigest()


# --- the two ways in ---------------------------------------------------------------------------

def api_upload(client: Client, token: str, size: int, name: str) -> tuple[str, str, str]:
    """Upload through POST /api/v1/documents; returns (download path, sent sha256, server's sha256)."""
    upload = Upload({"title": name, "type": "study", "access": "asean"}, f"{name}.txt", size)
    auth = {"Authorization": f"Bearer {token}"}
    status, _, data = client.fetch("POST", "/api/v1/documents", upload.body(), {**upload.headers, **auth})
    if status != 201:
        raise RuntimeError(f"API upload answered {status}: {data[:500]!r}")
    doc = json.loads(data)
    return f"/api/v1/documents/{doc['id']}/download", upload.digest.hexdigest(), doc["current_version"]["sha256"]


def page_upload(client: Client, size: int, name: str) -> tuple[str, str, str]:
    """Upload through the upload page's form; returns (download path, sent sha256, '' — the page shows no hash)."""
    fields = {"csrf_token": client.csrf("/documents/upload"), "title": name, "doc_type": "study",
              "language": "en", "org": "MYS", "access_level": "asean", "note": "memory benchmark"}
    upload = Upload(fields, f"{name}.txt", size, file_field="files")
    status, headers, data = client.fetch("POST", "/documents/upload", upload.body(), upload.headers)
    match = re.search(r"/documents/(\d+)$", headers.get("Location", ""))
    if status != 302 or match is None:
        raise RuntimeError(f"page upload answered {status}: {data[:500]!r}")
    return f"/documents/{match.group(1)}/download", upload.digest.hexdigest(), ""


def sign_in(client: Client, password: str) -> None:
    token = client.csrf("/login")
    form = urlencode({"csrf_token": token, "email": EMAIL, "password": password})
    status, headers, _ = client.fetch("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
    if status != 302 or "/login" in headers.get("Location", ""):
        raise RuntimeError(f"sign-in failed ({status})")


@dataclass
class Phase:
    via: str
    step: str
    seconds: float
    peak_kb: int
    ok: bool


def transfer(via: str, client: Client, token: str, size: int, watcher: PeakWatcher | None,
             label: str) -> list[Phase]:
    """One upload and one download of `size` bytes; phases with their peak RSS when watched."""
    phases = []
    if watcher:
        watcher.reset()
    started = time.perf_counter()
    if via == "api":
        path, sent, stored = api_upload(client, token, size, label)
        headers = {"Authorization": f"Bearer {token}"}
    else:
        path, sent, stored = page_upload(client, size, label)
        headers = None
    phases.append(Phase(via, "upload", time.perf_counter() - started, watcher.peak if watcher else 0,
                        stored in ("", sent)))
    if watcher:
        watcher.reset()
    started = time.perf_counter()
    status, received, digest = download(client, path, headers)
    phases.append(Phase(via, "download", time.perf_counter() - started, watcher.peak if watcher else 0,
                        status == 200 and received == size and digest == sent))
    return phases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the file (MB); default 1024")
    parser.add_argument("--limit-mb", type=int, default=64, help="allowed worker memory growth (MB); default 64")
    parser.add_argument("--via", default="api,page", help="api, page or both (comma-separated)")
    args = parser.parse_args(argv)
    size = args.size_mb * MB
    ways = [v.strip() for v in args.via.split(",") if v.strip() in ("api", "page")]

    with tempfile.TemporaryDirectory(prefix="aocp-memory-") as tmp:
        tmpdir = Path(tmp)
        env = {**os.environ, "AOCP_CONFIG": "development", "AOCP_DATABASE_URL": f"sqlite:///{tmpdir / 'db.sqlite'}",
               "AOCP_UPLOAD_DIR": str(tmpdir / "uploads"), "AOCP_MAIL_OUTBOX_DIR": str(tmpdir / "outbox"),
               "AOCP_MAX_FILE_SIZE": str(size + 16 * MB), "AOCP_MAX_CONTENT_LENGTH": str(size + 32 * MB),
               "TMPDIR": str(tmpdir)}  # werkzeug spools large form parts to temporary files here
        password = "bench-" + secrets.token_urlsafe(18)
        _flask(env, "db", "upgrade")
        _flask(env, "seed")
        _flask(env, "users", "create", EMAIL, "--org", "MYS", "--role", "delegate", "--name", "Memory Bench",
               stdin=password + "\n")
        token = _flask(env, "users", "token", EMAIL, "--scope", "write").strip().splitlines()[-1]
        server = start_server(env, _free_port(), tmpdir / "gunicorn.log")
        try:
            client = Client(server.port)
            if "page" in ways:
                sign_in(client, password)
            for via in ways:  # warm-up: imports, connections and caches a small transfer needs
                transfer(via, client, token, 256 * 1024, None, f"warm-up-{via}")
            baseline = rss_kb(server.worker)
            hwm_before = rss_kb(server.worker, "VmHWM")
            phases = []
            with PeakWatcher(server.worker) as watcher:
                for via in ways:
                    print(f"{via}: streaming {args.size_mb:,} MB up and down…", file=sys.stderr, flush=True)
                    phases += transfer(via, client, token, size, watcher, f"memory-bench-{via}")
            after = rss_kb(server.worker)
            hwm_after = rss_kb(server.worker, "VmHWM")
        finally:
            server.process.terminate()
            server.process.wait(timeout=30)
    return report(args, baseline, after, hwm_before, hwm_after, phases, server.worker)


def report(args, baseline: int, after: int, hwm_before: int, hwm_after: int, phases: list[Phase],
           worker: int) -> int:
    mb = lambda kb: kb / 1024  # noqa: E731
    print(f"\nWorker memory, {args.size_mb:,} MB file (gunicorn, 1 sync worker, pid {worker}; "
          f"RSS polled every 20 ms)\n")
    print(f"{'via':<5}{'step':<10}{'MB/s':>8}{'baseline':>10}{'peak':>8}{'growth':>8}  sha256")
    worst = 0.0
    for p in phases:
        growth = mb(p.peak_kb - baseline)
        worst = max(worst, growth)
        print(f"{p.via:<5}{p.step:<10}{args.size_mb / p.seconds:>8.0f}{mb(baseline):>10.1f}{mb(p.peak_kb):>8.1f}"
              f"{growth:>8.1f}  {'match' if p.ok else 'MISMATCH'}")
    print(f"\nRSS after: {mb(after):.1f} MB; VmHWM {mb(hwm_before):.1f} -> {mb(hwm_after):.1f} MB "
          f"(+{mb(hwm_after - hwm_before):.1f})")
    ok = worst < args.limit_mb and all(p.ok for p in phases)
    print(f"{'PASS' if ok else 'FAIL'}: largest growth {worst:.1f} MB (limit {args.limit_mb} MB), "
          f"checksums {'all match' if all(p.ok for p in phases) else 'DIFFER'}.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
