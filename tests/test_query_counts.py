"""The document pages and API lists run the same number of SQL statements with 25 and with 250 documents.

The data and the requests are those of `bench/query_counts.py` (which goes up to 100,000 documents).
"""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import insert

from aocp.documents.models import DocumentVersion
from aocp.extensions import db
from bench import datagen
from bench.sqlcount import Measured, measure


def _added(before: Measured, after: Measured) -> list[str]:
    """What changed between two measurements: the counts, then each statement run more often."""
    more = Counter(after.statements) - Counter(before.statements)
    return [f"{before.count} -> {after.count} statements"] + [f"{n} x {s}" for s, n in more.items()]


def _grown(small: dict, large: dict) -> dict[str, list[str]]:
    """For each request whose count changed: how, and the statements the larger database added."""
    return {label: _added(small[label], large[label]) for label in small if small[label].count != large[label].count}


@pytest.mark.parametrize("who", ["delegate", "admin"])
def test_statements_per_request_do_not_grow_with_ten_times_the_documents(app, who):
    with app.app_context():
        people = datagen.seed_people()
        datagen.grow_to(25, people)
    client = app.test_client()
    datagen.sign_in(app, client, people, who)
    small = datagen.run(app, client, people, who, repeat=1)

    with app.app_context():
        assert datagen.grow_to(250, people) == 225
    large = datagen.run(app, client, people, who, repeat=1)

    assert {label: m.status for label, m in {**small, **large}.items() if m.status != 200} == {}
    assert _grown(small, large) == {}
    assert min(m.count for m in small.values()) >= 5  # the counter saw the requests' queries


@pytest.mark.parametrize("who", ["delegate", "admin"])
def test_the_measured_lists_hold_documents_at_both_sizes(app, who):
    """The probes must show documents (an empty page would need fewer queries and prove nothing)."""
    with app.app_context():
        people = datagen.seed_people()
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {people.tokens[who]}"}
    totals = []
    for size in (25, 250):
        with app.app_context():
            datagen.grow_to(size, people)
        for query in ("", f"q={datagen.SEARCH_TERM}", datagen.FILTER):
            r = client.get(f"/api/v1/documents?{query}", headers=bearer)
            assert r.status_code == 200 and r.json["items"], (size, query)
            totals.append(r.json["total"])
    assert all(big > small for small, big in zip(totals[:3], totals[3:])), totals


def test_document_page_statements_do_not_grow_with_versions_by_many_people(app):
    with app.app_context():
        people = datagen.seed_people()
        datagen.grow_to(5, people)
        engine = db.engine
    client = app.test_client()
    datagen.sign_in(app, client, people, "delegate")
    one_version = measure(engine, client, "/documents/1", repeat=1)

    with app.app_context():  # nine more versions, each uploaded by someone from another organisation
        db.session.execute(insert(DocumentVersion.__table__), [
            {"document_id": 1, "number": n, "storage_key": f"benchversion{n:04d}", "original_name": f"v{n}.pdf",
             "content_type": "application/pdf", "size": 1000 + n, "sha256": f"{n:064x}", "note": f"Revision {n}",
             "uploaded_by_id": uploader, "text": ""}
            for n, uploader in enumerate(list(people.uploaders.values())[:9], start=2)])
        db.session.commit()
    ten_versions = measure(engine, client, "/documents/1", repeat=1)

    page = client.get("/documents/1").get_data(as_text=True)
    assert "Revision 10" in page and "v10.pdf" in page
    assert ten_versions.status == one_version.status == 200
    assert ten_versions.count == one_version.count, _added(one_version, ten_versions)


@pytest.mark.parametrize("module", ["bench.query_counts", "bench.load", "bench.compare", "bench.memory"])
def test_each_benchmark_starts_in_an_interpreter_of_its_own(module):
    # As `python -m bench.…` starts: nothing has imported every model first (this suite's app has), and a load
    # option built at import once failed there for want of a model not imported yet.
    r = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=Path(__file__).resolve().parents[1],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
