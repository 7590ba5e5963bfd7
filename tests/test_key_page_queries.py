"""Every key page and API list runs the same number of SQL statements on ten times the data.

The data is the benchmark generator's (`flask --app app demo --scale N`) at scale 0.01 and 0.1: people,
documents with versions, meetings with agenda, participants and action items, and a plan with ten years of
accepted quarterly reports. The requests are made as the generated Malaysian focal person (chair of WGTIM).
"""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select, text

from aocp import scale
from aocp.accounts import services
from aocp.accounts.models import User
from aocp.documents import queries
from aocp.extensions import db, limiter
from aocp.meetings.models import Meeting
from aocp.orgs.models import Body
from aocp.reference import seed_reference_data
from bench.sqlcount import Measured, measure
from tests.conftest import _tables, login

SMALL, LARGE = 0.01, 0.1
EMAIL = scale.person_email(4, "MYS")


def _empty_database() -> None:
    """Back to the reference data only (what the autouse fixture gives each test)."""
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(_tables())} RESTART IDENTITY CASCADE"))
        else:
            for name in _tables():
                conn.execute(text(f"DELETE FROM {name}"))
            conn.execute(text("DELETE FROM document_search"))
        conn.execute(text("INSERT INTO audit_head (id, last_hash) VALUES (1, :h)"), {"h": "0" * 64})
    seed_reference_data()
    db.session.commit()


def _paths() -> tuple[list[str], list[str], str]:
    """(pages, API lists, token) for the data now in the database."""
    user = db.session.execute(select(User).where(User.email == EMAIL)).scalar_one()
    doc_id = db.session.execute(queries.statement(user, queries.Filters()).limit(1)).scalars().first().id
    meeting_id = db.session.scalar(select(Meeting.id).join(Body, Body.id == Meeting.body_id)
                                   .where(Body.code == "WGTIM").order_by(Meeting.starts_on.desc()).limit(1))
    pages = ["/", "/documents/", "/documents/?q=nickel", f"/documents/{doc_id}", "/workspaces/WGTIM",
             f"/meetings/{meeting_id}", f"/meetings/{meeting_id}/agenda", f"/meetings/{meeting_id}/papers",
             f"/meetings/{meeting_id}/participants", f"/meetings/{meeting_id}/minutes",
             f"/meetings/{meeting_id}/actions", "/actions/", "/calendar?month=2026-11", "/calendar/list",
             "/search?q=nickel", "/search?q=WGTIM&kind=meetings", f"/plans/{scale.PLAN_CODE}/dashboard",
             "/plans/reports", "/plans/reports?review=me", f"/plans/reports?state=accepted&plan={scale.PLAN_CODE}"]
    api = ["/api/v1/documents", "/api/v1/documents?q=nickel", "/api/v1/workspaces/WGTIM/meetings",
           f"/api/v1/meetings/{meeting_id}/agenda", "/api/v1/action-items", "/api/v1/action-lines",
           "/api/v1/plans", "/api/v1/reports", "/api/v1/reports?state=accepted"]
    _, token = services.create_token(user, "key pages", "read")
    db.session.commit()
    return pages, api, token


def _measure_at(app, size: float) -> dict[str, Measured]:
    with app.app_context():
        _empty_database()
        scale.generate(size)
        pages, api, token = _paths()
        engine = db.engine
    limiter.reset()
    client = app.test_client()
    login(client, EMAIL, scale.SCALE_PASSWORD)
    bearer = {"Authorization": f"Bearer {token}"}
    measured = {path: measure(engine, client, path, repeat=1) for path in pages}
    measured.update({f"API {path}": measure(engine, client, path, bearer, repeat=1) for path in api})
    return measured


def _shape(path: str) -> str:
    """The path with its object ids left out, so the two sizes can be compared."""
    return "/".join("<id>" if part.isdigit() else part for part in path.split("/"))


def test_key_pages_run_the_same_statements_on_ten_times_the_data(app):
    small = {_shape(p): m for p, m in _measure_at(app, SMALL).items()}
    large = {_shape(p): m for p, m in _measure_at(app, LARGE).items()}

    assert small.keys() == large.keys()
    assert {p: m.status for p, m in {**small, **large}.items() if m.status != 200} == {}
    grown = {p: [f"{small[p].count} -> {large[p].count}"]
             + [f"{n} x {s}" for s, n in (Counter(large[p].statements) - Counter(small[p].statements)).items()]
             for p in small if large[p].count > small[p].count}
    assert grown == {}
    assert min(m.count for m in small.values()) >= 2  # the counter saw each request's queries
    # The people a page names (uploaders, owners, chairs) come without their memberships, which a person loads by
    # default: a statement per page for nothing shown.
    others = {p: n for p, m in large.items()
              if (n := sum(s.startswith("SELECT memberships.user_id AS memberships_user_id") for s in m.statements))}
    assert others == {}


def test_the_generated_data_grows_tenfold(app):
    with app.app_context():
        sizes = [scale.sizes(s) for s in (SMALL, LARGE)]
        counts = scale.generate(LARGE)
        assert (counts.people, counts.documents, counts.meetings, counts.action_lines) == sizes[1]
        assert counts.reports == 40 * counts.action_lines
        assert all(large == 10 * small for small, large in zip(*sizes))
        first = db.session.execute(select(User).where(User.email == EMAIL)).scalar_one()
        assert first.role == "focal_person" and first.body_role(db.session.execute(
            select(Body.id).where(Body.code == "WGTIM")).scalar_one()) == "chair"
