"""Two revisions of AOCP under the same load, taking turns, to tell a change's effect from the machine's drift.

    .venv/bin/python -m bench.compare BASE [--db sqlite|URL] [--scale 1] [--rounds 4] [--duration 5] [--only …]

On a shared or virtual machine, speed moves by tens of per cent from one minute to the next, so two runs of
`bench.load` made minutes apart cannot show a change of 10 or 20 %. Here the revision BASE (any git revision,
checked out in a temporary worktree) and this working tree are served side by side, by the same gunicorn settings,
from one database built by this tree (`bench.load`'s setup); each path is then measured on both in turn, in
alternating order, ROUNDS times. Prints each path's median requests/s on both and the change. Both revisions must
have the same migrations (the database is one); BASE's own gunicorn settings file is used for BASE.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.load import API_PATHS, ROOT, Session, ensure_wrk, load_arguments, page_paths, prepare, run_wrk, start


def _migrations(tree: Path) -> set[str]:
    return {p.name for p in (tree / "migrations" / "versions").glob("*.py")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the git revision to compare this working tree with (e.g. HEAD~3)")
    parser.add_argument("--rounds", type=int, default=4, help="turns per path on each revision; default 4")
    load_arguments(parser, duration=5)
    args = parser.parse_args(argv)
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="aocp-compare-") as tmp:
        tmpdir = Path(tmp)
        base = tmpdir / "base"
        added = subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base], cwd=ROOT,
                               capture_output=True, text=True)
        if added.returncode != 0:
            print(f"cannot check out {args.base}: {added.stderr.strip()}", file=sys.stderr)
            return 2
        servers = []
        try:
            if _migrations(base) != _migrations(ROOT):
                print(f"{args.base} and this tree have different migrations: one database cannot serve both.",
                      file=sys.stderr)
                return 2
            _, env, targets, token = prepare(args.db, args.scale, tmpdir)
            from aocp.scale import SCALE_PASSWORD

            trees = {args.base: base, "this tree": ROOT}
            ports, cookies = {}, {}
            for name, tree in trees.items():
                process, ports[name] = start("app:app", env, tmpdir / f"{tree.name}.log", tree)
                servers.append(process)
                sessions = [Session(ports[name]) for _ in range(args.connections)]
                for s in sessions:
                    s.sign_in(targets.email, SCALE_PASSWORD)
                cookies[name] = [s.cookie_header for s in sessions]
            wanted = {w.strip() for w in args.only.split(",") if w.strip()}
            paths = [(label, path) for label, path in page_paths(targets) + API_PATHS
                     if not wanted or label in wanted]
            rps: dict[str, dict[str, list[float]]] = {name: {label: [] for label, _ in paths} for name in trees}
            for turn in range(args.rounds):
                order = list(trees) if turn % 2 == 0 else list(reversed(trees))
                for label, path in paths:
                    print(f"round {turn + 1}/{args.rounds}: {label}", file=sys.stderr, flush=True)
                    for name in order:
                        auth = {"bearer": token} if path.startswith("/api/") else {"cookies": cookies[name]}
                        raw = run_wrk(wrk, ports[name], path, args.connections, args.duration, **auth)
                        rps[name][label].append(raw["requests"] / (raw["duration_us"] / 1e6))
        finally:
            for process in servers:
                process.terminate()
                process.wait(timeout=30)
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, capture_output=True)
    old, new = rps[args.base], rps["this tree"]
    print(f"\nRequests/s, median of {args.rounds} turns of {args.duration} s, {args.connections} connections, "
          f"scale {args.scale:g}, {'SQLite' if args.db == 'sqlite' else 'PostgreSQL'}:\n")
    print(f"{'path':<24}{args.base[:12]:>14}{'this tree':>12}{'change':>9}  turns ({args.base[:12]} | this tree)")
    for label, _ in paths:
        a, b = statistics.median(old[label]), statistics.median(new[label])
        turns = f"{' '.join(f'{x:.0f}' for x in old[label])} | {' '.join(f'{x:.0f}' for x in new[label])}"
        print(f"{label:<24}{a:>14.0f}{b:>12.0f}{b / a - 1:>+9.0%}  {turns}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
