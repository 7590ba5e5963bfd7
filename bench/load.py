"""Key pages and API calls under concurrent load, against a bare Flask "hello" app as the floor.

    .venv/bin/python -m bench.load [--db sqlite|URL] [--scale 1] [--duration 10] [--connections 16]

1. Setup: the load generator is wrk (Debian package `wrk`); when it is missing, `apt-get install -y wrk` is run.
2. A fresh database: a temporary SQLite file (default), or the PostgreSQL URL given (its public schema is
   dropped and made again). Then `flask db upgrade`, `seed`, `demo --scale N`, and an API token for the
   person the requests are made as (the Malaysian focal person of the generated data, chair of WGTIM).
3. Two gunicorn servers on loopback with the same settings (AOCP's `config/gunicorn.conf.py`, sync workers,
   2 * cores + 1 of them): AOCP, and `bench/hello.py` (the floor). Login and request rate limits are raised
   for the run (AOCP_LOGIN_RATE_LIMIT, AOCP_RATELIMIT_DEFAULT), since every request comes from 127.0.0.1.
4. Sign-in: as many threads as connections, each with its own cookie jar, loop GET /login + POST /login with the
   form's CSRF token for the duration; the POSTs are measured (argon2id verification is most of their cost).
5. Every other path: one signed-in session per connection (the cookies rotate over each wrk thread's
   requests), or the API token; `wrk -c CONNECTIONS -d DURATION` with a 2-second warm-up first. A reference
   line with no target comes first: /healthz with a session, what any request costs before a page's own work
   (session, rate limit, access log, metrics, headers); a page adds the person, its queries and its template.

The floor is measured first and again last (a machine whose speed drifts during the run shows it); the ratios are
to the mean of the two. Prints requests/s, p50/p95/p99 latency and the ratio to the floor for each path, then
PASS/FAIL against the targets (each key page >= 25% of the floor's requests/s, p99 < 250 ms; search p95 < 100 ms,
checked at the full connection count and again with one connection, i.e. without queueing; the home page, the
calendar and the header search p95 < 150 ms). Exits 1 on a FAIL or
when a path answered errors.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.memory import _flask, _free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA = Path(__file__).with_name("wrk_report.lua")
TARGET_RATIO, TARGET_P99_MS, TARGET_SEARCH_P95_MS = 0.25, 250.0, 100.0
# My AOCP: the home page, the calendar and the header search answer within this p95 at the full connection count.
MY_AOCP_PAGES, TARGET_MY_AOCP_P95_MS = ("home (My AOCP)", "calendar", "header search"), 150.0


@dataclass
class Result:
    label: str
    path: str
    rps: float
    p50: float
    p95: float
    p99: float
    requests: int
    errors: int
    note: str = ""


# --- setup ------------------------------------------------------------------------------------

def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: apt-get install -y wrk", file=sys.stderr, flush=True)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("could not install wrk (apt-get install -y wrk)")
    return found


def reset_postgresql(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


def start(app_spec: str, env: dict, log: Path, tree: Path = ROOT) -> tuple[subprocess.Popen, int]:
    """gunicorn serving `app_spec` from the source tree `tree` (this one, or another revision's)."""
    port = _free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(tree / "config" / "gunicorn.conf.py"),
             "--workers", str(workers()), "--worker-class", "sync", "--timeout", "120",
             "--backlog", "2048", "--bind", f"127.0.0.1:{port}", app_spec],
            cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn {app_spec} exited:\n{log.read_text()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz" if app_spec == "app:app" else "/")
            conn.getresponse().read()
            conn.close()
            return process, port
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"gunicorn {app_spec} did not start within 60 seconds")


# --- HTTP -------------------------------------------------------------------------------------

class Session:
    """A cookie jar over http.client, enough for AOCP's session cookie."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def fetch(self, method: str, path: str, body: str | None = None, headers: dict | None = None
              ) -> tuple[int, dict, bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return response.status, dict(response.headers), data

    def sign_in(self, email: str, password: str) -> float:
        """GET the form, POST it; returns the POST's duration (s)."""
        _, _, page = self.fetch("GET", "/login")
        match = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        if match is None:
            raise RuntimeError("no CSRF token on /login")
        form = urlencode({"csrf_token": match.group(1).decode(), "email": email, "password": password})
        started = time.perf_counter()
        status, headers, _ = self.fetch("POST", "/login", form,
                                        {"Content-Type": "application/x-www-form-urlencoded"})
        took = time.perf_counter() - started
        if status != 302 or "/login" in headers.get("Location", ""):
            raise RuntimeError(f"sign-in failed (HTTP {status})")
        return took

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def sign_in_load(port: int, email: str, password: str, connections: int, duration: float) -> Result:
    """`connections` threads, each signing in again and again with a fresh cookie jar, for `duration` s."""
    timings: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def loop():
        while time.monotonic() < stop_at:
            try:
                took = Session(port).sign_in(email, password)
            except (RuntimeError, OSError):
                with lock:
                    errors[0] += 1
                continue
            with lock:
                timings.append(took)

    started = time.monotonic()
    threads = [threading.Thread(target=loop) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    ms = [t * 1000 for t in timings] or [0.0]
    return Result("sign-in (POST /login)", "/login", len(timings) / elapsed, percentile(ms, 50), percentile(ms, 95),
                  percentile(ms, 99), len(timings), errors[0],
                  "threads of GET+POST; argon2id verification per POST")


def settle(port: int, limit: float = 120.0) -> None:
    """Wait until the server has worked off requests left queued by the previous path (wrk stops waiting for
    slow answers at its timeout, but the workers still run them) so they do not slow the next path down."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=limit)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
        except OSError:
            pass
        if time.perf_counter() - started < 0.05:
            return
        time.sleep(0.5)


def run_wrk(wrk: str, port: int, path: str, connections: int, duration: int, cookies: list[str] | None = None,
            bearer: str = "", warmup: int = 2) -> dict:
    env = {**os.environ, "BENCH_COOKIES": "|".join(cookies or []), "BENCH_BEARER": bearer}
    threads = str(min(connections, 2))
    url = f"http://127.0.0.1:{port}{path}"
    settle(port)
    if warmup:
        subprocess.run([wrk, "-t", threads, "-c", str(connections), "-d", f"{warmup}s", "-s", str(LUA), url],
                       env=env, capture_output=True, text=True, check=True)
    done = subprocess.run([wrk, "-t", threads, "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
                           "-s", str(LUA), url], env=env, capture_output=True, text=True, check=True)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}{done.stderr}")
    return json.loads(line.split(" ", 1)[1])


def to_result(label: str, path: str, raw: dict, note: str = "") -> Result:
    seconds = raw["duration_us"] / 1e6
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"] + raw["status"]
    return Result(label, path, raw["requests"] / seconds, raw["p50_us"] / 1000, raw["p95_us"] / 1000,
                  raw["p99_us"] / 1000, raw["requests"], errors, note)


# --- what to request ----------------------------------------------------------------------------

@dataclass
class Targets:
    email: str
    document_id: int
    meeting_id: int
    workspace: str
    plan_dashboard: bool


def pick_targets(env: dict) -> Targets:
    """The signed-in person, a document they may open, a meeting of their working group, and whether the plan
    dashboard route exists. Reads the database through the app (bench may import aocp)."""
    from sqlalchemy import select

    from aocp import create_app, scale
    from aocp.accounts.models import User
    from aocp.documents import queries
    from aocp.extensions import db
    from aocp.meetings.models import Meeting
    from aocp.orgs.models import Body

    app = create_app("development", {"DATABASE_URL": env["AOCP_DATABASE_URL"], "UPLOAD_DIR": env["AOCP_UPLOAD_DIR"],
                                     "MAIL_OUTBOX_DIR": env["AOCP_MAIL_OUTBOX_DIR"]})
    email = scale.person_email(4, "MYS")  # the first Malaysian: focal person, chair of WGTIM
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        doc_id = db.session.execute(queries.statement(user, queries.Filters()).limit(1)).scalars().first().id
        meeting_id = db.session.scalar(select(Meeting.id).join(Body, Body.id == Meeting.body_id)
                                       .where(Body.code == "WGTIM").order_by(Meeting.starts_on.desc()).limit(1))
        dashboard = any(rule.rule == "/plans/<code>/dashboard" for rule in app.url_map.iter_rules())
        db.engine.dispose()
    return Targets(email, doc_id, meeting_id, "WGTIM", dashboard)


def page_paths(t: Targets) -> list[tuple[str, str]]:
    paths = [("home (My AOCP)", "/"), ("calendar", "/calendar"), ("header search", "/search?q=nickel"),
             ("documents list", "/documents/"), ("search", "/documents/?q=nickel"),
             ("document page", f"/documents/{t.document_id}"),
             ("document download", f"/documents/{t.document_id}/download"),
             ("workspace", f"/workspaces/{t.workspace}"), ("meeting page", f"/meetings/{t.meeting_id}"),
             ("actions list", "/actions/")]
    if t.plan_dashboard:
        paths.append(("action-line dashboard", "/plans/AMCAP-SCALE/dashboard"))
    return paths


API_PATHS = [("API documents", "/api/v1/documents"), ("API search", "/api/v1/documents?q=nickel"),
             ("API meetings", "/api/v1/workspaces/WGTIM/meetings"), ("API action items", "/api/v1/action-items"),
             ("API action lines", "/api/v1/action-lines"), ("API plans", "/api/v1/plans")]


# --- the run ------------------------------------------------------------------------------------

def prepare(db: str, scale: float, tmpdir: Path) -> tuple[str, dict, Targets, str]:
    """A fresh database with `scale` data (a SQLite file in `tmpdir`, or the PostgreSQL URL `db`, rebuilt): its URL,
    the environment to serve it with, the targets and a read token of the person the requests are made as."""
    url = f"sqlite:///{tmpdir / 'db.sqlite'}" if db == "sqlite" else db
    if url.startswith("postgresql"):
        reset_postgresql(url)
    env = {**os.environ, "AOCP_CONFIG": "development", "AOCP_DATABASE_URL": url,
           "AOCP_UPLOAD_DIR": str(tmpdir / "uploads"), "AOCP_MAIL_OUTBOX_DIR": str(tmpdir / "outbox"),
           "AOCP_LOGIN_RATE_LIMIT": "1000000 per minute", "AOCP_RATELIMIT_DEFAULT": "1000000 per minute"}
    started = time.perf_counter()
    _flask(env, "db", "upgrade")
    _flask(env, "seed")
    print(_flask(env, "demo", "--scale", f"{scale:g}").strip().splitlines()[-1], file=sys.stderr)
    print(f"database ready in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    targets = pick_targets(env)
    token = _flask(env, "users", "token", targets.email, "--scope", "read").strip().splitlines()[-1]
    return url, env, targets, token


def load_arguments(parser: argparse.ArgumentParser, duration: int) -> None:
    """The options bench.load and bench.compare share: database, data volume, load and which paths."""
    parser.add_argument("--db", default="sqlite", help="sqlite (a temporary file) or a PostgreSQL URL (rebuilt)")
    parser.add_argument("--scale", type=float, default=1.0, help="data volume (flask demo --scale); default 1")
    parser.add_argument("--duration", type=int, default=duration, help=f"seconds per measurement; default {duration}")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections; default 16")
    parser.add_argument("--only", default="", help="comma-separated labels of the paths to run (default: all)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    load_arguments(parser, duration=10)
    args = parser.parse_args(argv)
    wrk = ensure_wrk()

    with tempfile.TemporaryDirectory(prefix="aocp-load-") as tmp:
        tmpdir = Path(tmp)
        url, env, targets, token = prepare(args.db, args.scale, tmpdir)
        from aocp.scale import SCALE_PASSWORD

        servers = []
        try:
            hello, hello_port = start("bench.hello:app", env, tmpdir / "hello.log")
            servers.append(hello)
            aocp, port = start("app:app", env, tmpdir / "aocp.log")
            servers.append(aocp)
            results = measure(args, wrk, hello_port, port, targets, SCALE_PASSWORD, token)
        finally:
            for process in servers:
                process.terminate()
                process.wait(timeout=30)
    return report(args, url, results, targets)


def measure(args, wrk: str, hello_port: int, port: int, targets: Targets, password: str, token: str) -> list[Result]:
    wanted = {w.strip() for w in args.only.split(",") if w.strip()}
    keep = lambda label: not wanted or label in wanted or label == "floor"  # noqa: E731
    c, d = args.connections, args.duration
    results = []
    print(f"floor: hello app, {c} connections, {d} s", file=sys.stderr, flush=True)
    results.append(to_result("floor (Flask hello)", "/", run_wrk(wrk, hello_port, "/", c, d), note="floor"))
    if keep("sign-in"):
        print("sign-in", file=sys.stderr, flush=True)
        results.append(sign_in_load(port, targets.email, password, c, d))
    sessions = [Session(port) for _ in range(c)]
    for s in sessions:
        s.sign_in(targets.email, password)
    cookies = [s.cookie_header for s in sessions]
    if keep("health check, signed in"):
        # AOCP's own floor, no target: a request with a session that does nothing of its own (one SELECT 1, no
        # template) still pays for the session, the rate limit, the access log, the metrics and the headers.
        print("health check, signed in: /healthz", file=sys.stderr, flush=True)
        results.append(to_result("health check, signed in", "/healthz",
                                 run_wrk(wrk, port, "/healthz", c, d, cookies=cookies), note="reference"))
    for label, path in page_paths(targets):
        if keep(label):
            print(f"{label}: {path}", file=sys.stderr, flush=True)
            results.append(to_result(label, path, run_wrk(wrk, port, path, c, d, cookies=cookies)))
        if label == "search" and keep(label):  # the same search without queueing behind other requests
            results.append(to_result("search, 1 connection", path, run_wrk(wrk, port, path, 1, d, cookies=cookies),
                                     note="latency only"))
    if not targets.plan_dashboard:
        print("note: /plans/<code>/dashboard is not registered; the action-line dashboard is skipped.")
    for label, path in API_PATHS:
        if keep(label):
            print(f"{label}: {path}", file=sys.stderr, flush=True)
            results.append(to_result(label, path, run_wrk(wrk, port, path, c, d, bearer=token)))
    # The floor again: a machine whose speed drifts during the run shows it here, and the ratios use both.
    print(f"floor again: hello app, {c} connections, {d} s", file=sys.stderr, flush=True)
    results.append(to_result("floor again (end)", "/", run_wrk(wrk, hello_port, "/", c, d), note="floor"))
    return results


def verdict(r: Result, floor_rps: float) -> tuple[bool, list[str]]:
    problems = []
    alone = r.note == "latency only"  # one connection: the requests/s ratio does not apply
    if r.requests == 0:
        problems.append("no answer within wrk's 10 s timeout")
    if not alone and r.rps < TARGET_RATIO * floor_rps:
        problems.append(f"rps {r.rps / floor_rps:.0%} of floor")
    if not alone and r.p99 >= TARGET_P99_MS:
        problems.append(f"p99 {r.p99:.0f} ms")
    if r.label.startswith("search") and r.p95 >= TARGET_SEARCH_P95_MS:
        problems.append(f"p95 {r.p95:.0f} ms")
    if r.label in MY_AOCP_PAGES and r.p95 >= TARGET_MY_AOCP_P95_MS:
        problems.append(f"p95 {r.p95:.0f} ms")
    if r.errors:
        problems.append(f"{r.errors} errors")
    return not problems, problems


def report(args, url: str, results: list[Result], targets: Targets) -> int:
    floors = [r for r in results if r.note == "floor"]
    floor_rps = statistics.mean(f.rps for f in floors)  # the floor measured first and last
    pages = [r for r in results if r.note not in ("floor", "reference")]
    db_name = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    print(f"\nAOCP under load: {db_name}, scale {args.scale:g}, {args.connections} connections, {args.duration} s per "
          f"path, gunicorn {workers()} sync workers (config/gunicorn.conf.py), {os.cpu_count()} cores, wrk; "
          f"signed in as {targets.email}\n")
    print(f"{'path':<24}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'x floor':>9}{'errors':>8}  result")
    failed = False
    for r in results:
        ratio = r.rps / floor_rps
        line = f"{r.label:<24}{r.rps:>9.0f}{r.p50:>9.1f}{r.p95:>9.1f}{r.p99:>9.1f}{ratio:>9.2f}{r.errors:>8}  "
        if r.note in ("floor", "reference"):
            print(line + f"({r.note})")
            continue
        ok, problems = verdict(r, floor_rps)
        failed |= not ok
        print(line + ("PASS" if ok else "FAIL: " + ", ".join(problems)))
    if len(floors) > 1:
        first, last = floors[0].rps, floors[-1].rps
        print(f"\nThe floor gave {first:.0f} req/s first and {last:.0f} last ({last / first - 1:+.0%}); the ratios are "
              f"to their mean, {floor_rps:.0f} req/s.")
    print(f"Targets: >= {TARGET_RATIO:.0%} of the floor's requests/s and p99 < {TARGET_P99_MS:.0f} ms for every "
          f"path; search p95 < {TARGET_SEARCH_P95_MS:.0f} ms; {', '.join(MY_AOCP_PAGES)} p95 < "
          f"{TARGET_MY_AOCP_P95_MS:.0f} ms. Median page: "
          f"{statistics.median(r.rps for r in pages):.0f} req/s." if pages else "")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
