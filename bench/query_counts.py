"""SQL statements per request as the number of documents grows: 100, 1,000, 10,000, 100,000.

    .venv/bin/python -m bench.query_counts [--db postgresql+psycopg://...] [--sizes 100,1000] [--repeat 3]

Builds a database through the migrations (a temporary SQLite file, or the PostgreSQL database given with
--db, whose public schema is dropped and rebuilt), signs in a delegate and an ASEC administrator, and
for each size requests the document pages and API endpoints through Flask's test client, counting
statements and timing them. Exits 1 if any request's statement count differs between sizes.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from aocp.documents.models import Document
from aocp.extensions import db
from bench import datagen

WHO = ("delegate", "admin")


def _size(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="PostgreSQL URL (its public schema is dropped and rebuilt); default: SQLite")
    parser.add_argument("--sizes", default="100,1000,10000,100000", help="document counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="timed requests per measurement (median shown)")
    args = parser.parse_args(argv)
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})

    with tempfile.TemporaryDirectory(prefix="aocp-bench-") as tmp:
        app = datagen.build_app(Path(tmp), args.db)
        with app.app_context():
            people = datagen.seed_people()
            version = ".".join(map(str, db.engine.dialect.server_version_info or ()))
            engine = f"{db.engine.dialect.name} {version}".strip()
        clients = {who: app.test_client() for who in WHO}
        for who, client in clients.items():
            datagen.sign_in(app, client, people, who)
        results: dict[int, dict[str, dict]] = {}
        for n in sizes:
            started = time.perf_counter()
            with app.app_context():
                added = datagen.grow_to(n, people)
                assert db.session.scalar(select(func.count()).select_from(Document)) == n
            seeded = time.perf_counter() - started
            print(f"{n:>7,} documents: {added:,} added in {seeded:.1f} s; measuring…", file=sys.stderr, flush=True)
            results[n] = {who: datagen.run(app, clients[who], people, who, args.repeat) for who in WHO}
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return report(results, sizes, engine, args.repeat)


def report(results: dict, sizes: list[int], engine: str, repeat: int) -> int:
    """Print the table; 1 if a statement count changed with the data or a request failed, else 0."""
    first, last = sizes[0], sizes[-1]
    cols = " ".join(f"{'@' + _size(n):>6}" for n in sizes)
    width = 7 * len(sizes) + 8
    print(f"\nSQL statements and time per request ({engine}; documents: {', '.join(f'{n:,}' for n in sizes)})\n")
    print(f"{'':<40}{'statements':<{width}}ms, median of {repeat}")
    print(f"{'who':<9}{'request':<30}{cols}  {'ratio':>5}  {cols}")
    failed = []
    for who in WHO:
        for label in results[first][who]:
            row = [results[n][who][label] for n in sizes]
            counts = [m.count for m in row]
            ratio = counts[-1] / counts[0] if counts[0] else float("nan")
            bad = len(set(counts)) > 1 or any(m.status != 200 for m in row)
            if bad:
                failed.append((who, label, row))
            print(f"{who:<9}{label:<30}" + " ".join(f"{c:>6}" for c in counts)
                  + f"  {ratio:>5.2f}{'!' if bad else ' '} " + " ".join(f"{m.ms:>6.1f}" for m in row))
    for who, label, row in failed:
        print(f"\n{who}, {label}: statuses {[m.status for m in row]}, statements {[m.count for m in row]}")
        small, large = row[0].statements, row[-1].statements
        for stmt in large:
            if stmt not in small or large.count(stmt) > small.count(stmt):
                print(f"  extra at {last:,}: {stmt[:300]}")
    if failed:
        print(f"\nFAIL: {len(failed)} request(s) changed their statement count between sizes.")
        return 1
    print(f"\nPASS: every request ran the same number of statements at {first:,} and {last:,} documents.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
