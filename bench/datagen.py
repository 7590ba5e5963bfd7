"""Documents in bulk for the query-count benchmark and its test, and the requests both measure.

Rows go straight into the tables with SQLAlchemy Core `insert` (executemany), a few thousand at a time:
documents with one to three versions, tags, grants and their search rows. Everything is derived from
the document's number, so a database grown to N documents always holds the same documents.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import column, func, insert, select, table, text

from aocp import create_app
from aocp.accounts import mfa, services
from aocp.accounts.models import User
from aocp.documents import queries
from aocp.documents.models import Document, DocumentComment, DocumentGrant, DocumentTag, DocumentVersion
from aocp.extensions import db
from aocp.orgs.models import Body, Organisation
from aocp.reference import seed_reference_data
from bench.sqlcount import Measured, measure

PASSWORD = "benchmark horse battery staple"
DELEGATE, ADMIN = "delegate.bench@example.gov.my", "admin.bench@asec.example.org"
BATCH = 5000

TYPES = ["meeting_paper", "country_report", "study", "capacity_building", "template", "other"]
LEVELS = ["everyone", "asean", "body", "named"]
WORKING_GROUPS = ["WGTIM", "WGSMD", "WGCBM", "WGMID"]
COMMODITIES = ["nickel", "tin", "bauxite", "copper", "gold", "coal", "rare earths", "lithium", "iron ore",
               "manganese", "zinc", "cobalt"]
TOPICS = ["trade statistics", "investment policy", "mine closure", "geological survey", "minerals database",
          "capacity building", "environmental safeguards", "downstream processing", "artisanal mining",
          "critical minerals outlook", "occupational safety"]
ACTION_LINES = ["TI1.1", "TI2.3", "SD1.2", "CB1.3", "MD1.1", "IH1.3", ""]
START = datetime(2016, 1, 4, 8, 0)
# The search term and the filter the probes use; the data guarantees matches at every size.
SEARCH_TERM = "nickel"
FILTER = "type=country_report&tag=nickel"

_search = {name: table("document_search", column(key), column("title"), column("description"), column("tags"),
                       column("body"))
           for name, key in (("sqlite", "rowid"), ("postgresql", "document_id"))}


@dataclass
class People:
    """The two people the requests are made as, and the accounts that uploaded the documents."""
    delegate_id: int
    admin_id: int
    tokens: dict[str, str]  # "delegate" / "admin" -> raw API token
    uploaders: dict[int, int]  # organisation id -> uploader id
    org_ids: list[int]
    body_ids: dict[str, int]


def build_app(workdir: Path, database_url: str | None = None) -> Flask:
    """The app on a fresh database built by the migrations (PostgreSQL: its public schema is rebuilt)."""
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app("testing", {"DATABASE_URL": url, "UPLOAD_DIR": str(workdir / "uploads"),
                                 "MAIL_OUTBOX_DIR": str(workdir / "outbox"), "RATELIMIT_STORAGE_URL": "memory://",
                                 "SERVER_NAME": "localhost"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        seed_reference_data()
        db.session.commit()
    return app


def seed_people() -> People:
    """A Malaysian delegate in two working groups, an ASEC administrator with a second factor, and one
    uploader per organisation. Call inside an app context on a database holding the reference data."""
    orgs = {o.code: o for o in db.session.execute(select(Organisation).order_by(Organisation.id)).scalars()}
    bodies = {b.code: b.id for b in db.session.execute(select(Body)).scalars()}
    delegate = services.create_user(None, DELEGATE, "Bench Delegate", orgs["MYS"], "delegate", PASSWORD)
    admin = services.create_user(None, ADMIN, "Bench Administrator", orgs["ASEC"], "asec_admin", PASSWORD)
    admin.mfa_secret, admin.mfa_enabled = mfa.new_secret(), True
    for code in ("WGTIM", "WGSMD"):
        services.set_membership(None, delegate, db.session.get(Body, bodies[code]), "member")
    roles = {"member_state": "focal_person", "secretariat": "asec_staff"}
    db.session.execute(insert(User.__table__), [
        {"email": f"uploader.{o.code.lower()}@bench.example.org", "name": f"{o.name} uploader", "org_id": o.id,
         "role": roles.get(o.kind, "observer"), "status": "active"} for o in orgs.values()])
    uploaders = {org_id: uid for uid, org_id in db.session.execute(
        select(User.id, User.org_id).where(User.email.like("uploader.%@bench.example.org")))}
    tokens = {"delegate": services.create_token(delegate, "bench", "read")[1],
              "admin": services.create_token(admin, "bench", "read")[1]}
    db.session.commit()
    return People(delegate.id, admin.id, tokens, uploaders, [o.id for o in orgs.values()], bodies)


def _document(i: int, p: People) -> tuple[dict, list[dict], list[dict], list[dict], dict]:
    """Document number i (from 0): its row, versions, tags, grants and search row."""
    doc_id = i + 1
    org_id = p.org_ids[i % len(p.org_ids)]
    doc_type, level = TYPES[i % 6], LEVELS[(i // 2) % 4]
    commodity, topic = COMMODITIES[(i // 6) % len(COMMODITIES)], TOPICS[i % len(TOPICS)]
    uploader = p.delegate_id if i % 40 == 3 else p.uploaders[org_id]
    created = START + timedelta(hours=(i * 7919) % 87_600)
    title = f"{doc_type.replace('_', ' ').capitalize()} on {commodity} {topic} {created.year} no. {doc_id}"
    description = (f"Prepared for the working group on {topic}; covers {commodity} production, trade and policy "
                   f"developments in {created.year}.")
    tags = sorted({commodity.replace(" ", "-"), topic.split()[0]})
    versions_n = 1 + i % 3
    doc = {"id": doc_id, "title": title, "description": description, "doc_type": doc_type, "language": "en",
           "org_id": org_id, "body_id": None if i % 5 == 4 else p.body_ids[WORKING_GROUPS[(i // 3) % 4]],
           "action_line": ACTION_LINES[i % len(ACTION_LINES)], "meeting_id": None, "access_level": level,
           "access_body_id": p.body_ids[WORKING_GROUPS[i % 4]] if level == "body" else None,
           "uploader_id": uploader, "created_at": created,
           "updated_at": created + timedelta(days=7 * (versions_n - 1)),
           "deleted_at": created + timedelta(days=30) if i % 97 == 13 else None,
           "deleted_by_id": p.admin_id if i % 97 == 13 else None, "version_count": versions_n}
    body_text = (f"{title}. {description} Tables of {commodity} exports, a review of {topic}, "
                 f"recommendations for AMCAP-III and annexes with national statistics.")
    versions = [{"document_id": doc_id, "number": n, "storage_key": f"{doc_id:012x}{n:04x}bench",
                 "original_name": f"{doc_type}-{doc_id}-v{n}.pdf", "content_type": "application/pdf",
                 "size": 40_000 + (doc_id * 37 + n) % 900_000, "sha256": f"{doc_id:056x}{n:08x}",
                 "note": "First version" if n == 1 else f"Revision {n}", "uploaded_by_id": uploader,
                 "created_at": created + timedelta(days=7 * (n - 1)), "text": body_text}
                for n in range(1, versions_n + 1)]
    grants = []
    if level == "named":
        grants.append({"document_id": doc_id, "org_id": p.org_ids[(i * 7) % len(p.org_ids)], "user_id": None})
        if i % 3 == 0:
            grants.append({"document_id": doc_id, "org_id": None, "user_id": p.delegate_id})
    search_row = {"title": title, "description": description, "tags": " ".join(tags), "body": body_text}
    return doc, versions, [{"document_id": doc_id, "name": t} for t in tags], grants, search_row


def grow_to(total: int, people: People) -> int:
    """Add documents until there are `total`; returns how many were added. Call inside an app context."""
    have = db.session.scalar(select(func.coalesce(func.max(Document.id), 0)))
    dialect = db.engine.dialect.name
    search_table = _search[dialect]
    key = "rowid" if dialect == "sqlite" else "document_id"
    with db.engine.begin() as conn:
        for first in range(have, total, BATCH):
            docs, versions, tags, grants, rows = [], [], [], [], []
            for i in range(first, min(first + BATCH, total)):
                doc, v, t, g, row = _document(i, people)
                docs.append(doc)
                versions += v
                tags += t
                grants += g
                rows.append({key: doc["id"], **row})
            conn.execute(insert(Document.__table__), docs)
            conn.execute(insert(DocumentVersion.__table__), versions)
            conn.execute(insert(DocumentTag.__table__), tags)
            if grants:
                conn.execute(insert(DocumentGrant.__table__), grants)
            conn.execute(insert(search_table), rows)
        if have == 0 and total > 0:
            conn.execute(insert(DocumentComment.__table__), [
                {"document_id": 1, "author_id": uid, "body": f"Comment {n} on the first paper.",
                 "created_at": START + timedelta(days=n)}
                for n, uid in enumerate([people.delegate_id, people.admin_id, people.delegate_id], start=1)])
        if dialect == "postgresql":  # ids were given explicitly: move the sequence past them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('documents', 'id'), "
                              "(SELECT coalesce(max(id), 0) + 1 FROM documents), false)"))
    if dialect == "postgresql":  # planner statistics, as autovacuum would gather after a bulk load
        with db.engine.begin() as conn:
            for name in ("documents", "document_versions", "document_tags", "document_grants", "document_search"):
                conn.execute(text(f"ANALYZE {name}"))
    return max(0, total - have)


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    if match is None:
        raise RuntimeError("no CSRF token on the sign-in page")
    return match.group(1)


def sign_in(app: Flask, client, people: People, who: str) -> None:
    """Sign `client` in through the sign-in form (and the second factor for the administrator)."""
    import pyotp

    email = DELEGATE if who == "delegate" else ADMIN
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"csrf_token": _csrf(page), "email": email, "password": PASSWORD})
    if who == "admin":
        with app.app_context():
            secret = db.session.get(User, people.admin_id).mfa_secret
        page = client.get("/login/code").get_data(as_text=True)
        response = client.post("/login/code", data={"csrf_token": _csrf(page), "code": pyotp.TOTP(secret).now()})
    if response.status_code != 302:
        raise RuntimeError(f"{who} could not sign in (HTTP {response.status_code})")


@dataclass
class Probe:
    label: str
    path: str
    api: bool = False


def probes(people: People, who: str) -> list[Probe]:
    """The requests to measure for `who`, given the documents now in the database (call in an app context)."""
    user = db.session.get(User, people.delegate_id if who == "delegate" else people.admin_id)
    visible = db.session.scalar(select(func.count()).select_from(
        queries.statement(user, queries.Filters()).order_by(None).subquery()))
    middle = max(1, math.ceil(visible / 20) // 2)
    listed = [
        Probe("documents, page 1", "/documents/"),
        Probe("documents, middle page", f"/documents/?page={middle}"),
        Probe("documents, filtered", f"/documents/?{FILTER}"),
        Probe("documents, search", f"/documents/?q={SEARCH_TERM}"),
        Probe("capacity-building repository", "/documents/capacity-building"),
        Probe("document page", "/documents/1"),
        Probe("who can see it", "/documents/1/audience"),
    ]
    if who == "admin":
        listed.append(Probe("trash", "/documents/trash"))
    listed += [
        Probe("API list", "/api/v1/documents", api=True),
        Probe("API list, middle page", f"/api/v1/documents?page={middle}", api=True),
        Probe("API filtered", f"/api/v1/documents?{FILTER}", api=True),
        Probe("API search", f"/api/v1/documents?q={SEARCH_TERM}", api=True),
        Probe("API document", "/api/v1/documents/1", api=True),
    ]
    return listed


def run(app: Flask, client, people: People, who: str, repeat: int = 3) -> dict[str, Measured]:
    """Measure every probe for `who` with `client` (signed in as them); no app context may be active."""
    with app.app_context():
        listed = probes(people, who)
        engine = db.engine
    bearer = {"Authorization": f"Bearer {people.tokens[who]}"}
    return {p.label: measure(engine, client, p.path, bearer if p.api else None, repeat) for p in listed}
