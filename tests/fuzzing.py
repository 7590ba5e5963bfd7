"""Shared pieces of the fuzzing tests: hostile values, a world of existing objects, a picture of stored state.

AOCP_FUZZ_EXAMPLES=N runs N examples per operation or form instead of the quick, fixed default; a longer run
also draws different examples each time (the default run is derandomized, so CI is reproducible).
"""
from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from aocp.accounts import mfa, services
from aocp.accounts.models import Invitation, PasswordReset, User
from aocp.accounts.tokens import digest
from aocp.documents import trashing
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings import services as meetings
from aocp.meetings.models import CalendarFeed, Meeting
from aocp.orgs.models import Body, Organisation
from aocp.timeutil import utcnow

EXAMPLES = int(os.environ.get("AOCP_FUZZ_EXAMPLES") or 0)
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES or 6, deadline=None, derandomize=not EXAMPLES, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

# Rows and columns a refused request may legitimately change, left out of the comparison:
IGNORED_TABLES = {
    "audit_head",     # the hash-chain head moves with every audit entry, including the ones below
    "sign_in_throttles",  # failed sign-ins are counted per account and client address
    "user_sessions",  # every request touches its session: last-seen time, CSRF token, flashed messages
}
IGNORED_COLUMNS = {
    "api_tokens": {"last_used_at"},  # refreshed by every authenticated API call
    "users": {"failed_logins", "last_failed_login_at", "locked_until"},  # sign-in throttling counts failures
}
# Refusals are audited: denials by the policy and failed or throttled sign-ins.
REFUSAL_AUDIT_ACTIONS = ("access.denied", "auth.failure", "auth.lockout", "auth.attack_notice")

HOSTILE_TEXT = [
    "", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "\u202eevil\u202c", "\u2066\u200f\u061c", "\t\r\n",
    "x" * 10_000, "١٢٣", "𝟙𝟚", "-1", "0", "99999999999999999999", "9" * 400, "1e309", "NaN", "null", "true",
    "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%00", "\r\nSet-Cookie: x=1",
    "🙂" * 50, "ไทย ខ្មែរ ລາວ မြန်မာ 中文", "2026-02-30", "2026-13-01", "0000-00-00", "99999-01-01", "25:61",
    "Asia/Nowhere", "javascript:alert(1)", "https://", "WGTIM", "MYS", "AMCAP-III-P2", "TI1.1",
]
HOSTILE_NUMBERS = [0, -1, 2**31, 2**63, -(2**63) - 1, 10**30, 1.5, -0.0, 1e308]
HOSTILE_DATES = ["2026-02-30", "2026-13-01", "0000-01-01", "0001-01-01", "9999-12-31", "99999-01-01",
                 "2026-1-1", "20260101", "١٢٣٤-٠١-٠١", "2026-06-01T25:00"]


def hostile_text() -> st.SearchStrategy:
    return st.sampled_from(HOSTILE_TEXT) | st.text(max_size=30)


def hostile_value() -> st.SearchStrategy:
    """Any JSON value of the wrong kind: text, numbers, nulls, booleans, lists and objects."""
    leaf = st.none() | st.booleans() | st.sampled_from(HOSTILE_NUMBERS) | hostile_text()
    return leaf | st.lists(leaf, max_size=3) | st.dictionaries(hostile_text(), leaf, max_size=2)


def dates() -> st.SearchStrategy:
    today = date.today()
    good = st.integers(-400, 400).map(lambda d: (today + timedelta(days=d)).isoformat())
    return good | st.sampled_from(HOSTILE_DATES)


def deep_json(depth: int = 5_000) -> bytes:
    return b"[" * depth + b"]" * depth


# Whole bodies that are not what the endpoint reads: (bytes, content type).
HOSTILE_BODIES = [
    (b"", "application/json"), (b"{", "application/json"), (b"null", "application/json"),
    (b"[1, 2]", "application/json"), (b'"text"', "application/json"), (b"\xff\xfe\xfa{}", "application/json"),
    (b'{"a": "\xc3\x28"}', "application/json"), (b'{"a": "\\ud800"}', "application/json"),
    (deep_json(), "application/json"), (b'{"a":' * 5000 + b"1" + b"}" * 5000, "application/json"),
    (b'{"status": "open"}', "text/plain"), (b"status=open&x=%00", "application/x-www-form-urlencoded"),
    (b"--x\r\nbroken multipart", "multipart/form-data; boundary=x"), (b"<a/>", "application/xml"),
    (b'{"x": 1, "x": 2}', "application/json"), (b"\x00" * 64, "application/octet-stream"),
]

# Files for upload fields: (content, file name). Wrong magic bytes for the extension are the point of most.
FILES = [
    (b"Plain text for the working group.\n", "notes.txt"), (b"%PDF-1.4\n%%EOF\n", "paper.pdf"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "report.pdf"), (b"%PDF-1.4\n", "sheet.xlsx"),
    (b"PK\x03\x04" + b"\x00" * 26, "broken.docx"), (b"MZ\x90\x00" + b"\x00" * 60, "setup.txt"),
    (b"", "empty.txt"), (b"\xff\xfe\x00\x00bad utf", "bad.txt"), (b"x", "no-extension"),
    (b"text", "../../escape.txt"), (b"text", "nul\x00name.txt"), (b"text", "\u202etxt.exe"),
    (b"text", "x" * 5000 + ".txt"), (b"text", ""), (b"id,name\n1,\xe0\xb9\x84\n", "ไทย.csv"),
]


def files() -> st.SearchStrategy:
    return st.sampled_from(FILES).map(lambda f: (io.BytesIO(f[0]), f[1]))


@dataclass
class World:
    """The demo data plus what a fuzzer needs to address it: ids, codes, tokens."""
    admin_id: int
    observer_id: int
    ids: dict[str, list[int]] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)
    invitation_token: str = "fuzz-invitation-token"
    reset_token: str = "fuzz-reset-token"

    def id_values(self, name: str) -> list[int]:
        return self.ids.get(name) or sorted({i for ids in self.ids.values() for i in ids})[:20]

    def code_values(self, name: str) -> list[str]:
        kind = CODE_KINDS.get(name)
        return self.codes[kind] if kind else sorted({c for codes in self.codes.values() for c in codes})


# Path and field names that hold ids, and the table whose ids are existing objects for them.
ID_TABLES = {
    "doc_id": "documents", "document_id": "documents", "meeting_id": "meetings", "item_id": "agenda_items",
    "agenda_item_id": "agenda_items", "action_id": "action_items", "line_id": "action_lines",
    "membership_id": "memberships", "user_id": "users", "inv_id": "invitations", "token_id": "api_tokens",
    "notification_id": "notifications", "row_id": "user_sessions", "body_id": "bodies", "org_id": "organisations",
    "milestone_id": "milestones", "revision_id": "minutes_revisions", "chair": "users", "group_with": "meetings",
    "decision_id": "decisions",
    "present": "users", "user_ids": "users", "evidence": "documents", "order": "agenda_items",
}


# Path segments and field names that hold codes, and the kind of code that names existing objects for them.
CODE_KINDS = {
    "bodies": "bodies", "workspaces": "bodies", "body": "bodies", "access_body": "bodies", "working_group": "bodies",
    "wg": "bodies", "organisations": "orgs", "org": "orgs", "organisation": "orgs", "orgs": "orgs", "host": "orgs",
    "leads": "orgs", "participants": "orgs", "lead": "orgs", "access_orgs": "orgs", "plans": "plans",
    "plan": "plans", "carried_from": "plans", "people": "emails", "access_people": "emails", "email": "emails",
    "action_line": "lines", "line_code": "lines",
}


def build_world(app: Flask) -> World:
    """Demo people, documents, meetings and plans; the administrator with a second factor; an open
    invitation and a password reset whose links the fuzzer knows."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, (result.output, result.exception)
        admin = services.find_user("admin@asec.example.org")
        admin.mfa_secret, admin.mfa_enabled = mfa.new_secret(), True
        observer = services.find_user("observer.jpn@example.go.jp")
        world = World(admin.id, observer.id)
        mys = db.session.execute(select(Organisation).where(Organisation.code == "MYS")).scalar_one()
        db.session.add(Invitation(email="invitee@example.org", name="Invited Person", org_id=mys.id,
                                  role="delegate", body_codes="WGTIM", status="sent", invited_by_id=admin.id,
                                  token_hash=digest(world.invitation_token),
                                  expires_at=utcnow() + timedelta(hours=1)))
        db.session.add(PasswordReset(user_id=observer.id, token_hash=digest(world.reset_token),
                                     expires_at=utcnow() + timedelta(hours=1)))
        db.session.add(Invitation(email="nominee@example.org", name="Nominated Person", org_id=mys.id,
                                  role="delegate", body_codes="", status="nominated", invited_by_id=admin.id))
        db.session.add(CalendarFeed(user_id=admin.id, token_hash=digest("fuzz-feed-token")))
        services.create_token(admin, "listed on the profile", "read")
        with app.test_request_context():  # what the pages offer only in some states: the trash, circulated minutes
            doc = db.session.execute(select(Document).order_by(Document.id.desc())).scalars().first()
            trashing.trash(admin, doc)
            meeting = db.session.execute(select(Meeting).where(Meeting.status == "held")).scalars().first()
            meetings.save_minutes(admin, meeting, "Minutes of the meeting.", meetings.minutes_of(meeting).version)
            meetings.circulate_minutes(admin, meeting)
            meetings.add_decision(admin, meeting, "The meeting noted the country reports.")
        db.session.commit()
        for name, table in ID_TABLES.items():
            world.ids[name] = list(db.session.execute(text(f"SELECT id FROM {table} ORDER BY id")).scalars())
        world.ids |= {"number": [1, 2, 3], "year": [2023, 2024, 2025, 2026], "quarter": [1, 2, 3, 4]}
        world.codes = {"orgs": list(db.session.execute(select(Organisation.code)).scalars()),
                       "bodies": list(db.session.execute(select(Body.code)).scalars()),
                       "plans": list(db.session.execute(text("SELECT code FROM plans")).scalars()),
                       "emails": list(db.session.execute(select(User.email)).scalars()),
                       "lines": list(db.session.execute(text("SELECT code FROM action_lines")).scalars())[:30]}
    return world


def _rows(table, conn) -> list[tuple]:
    skip = IGNORED_COLUMNS.get(table.name, set())
    columns = [c for c in table.columns if c.name not in skip]
    stmt = select(*columns).order_by(*table.primary_key.columns)
    if table.name == "audit_entries":
        stmt = stmt.where(table.c.action.not_in(REFUSAL_AUDIT_ACTIONS))
    return [tuple(row) for row in conn.execute(stmt)]


def snapshot(app: Flask) -> dict[str, tuple[int, str]]:
    """Row count and content hash of every table (but the ignored ones), and of the upload directory."""
    picture = {}
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name not in IGNORED_TABLES:
                rows = _rows(table, conn)
                picture[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    uploads = Path(app.config["UPLOAD_DIR"])
    listing = sorted((str(p.relative_to(uploads)), p.stat().st_size) for p in uploads.rglob("*") if p.is_file())
    picture["<uploads>"] = (len(listing), hashlib.sha256(repr(listing).encode()).hexdigest())
    return picture


def changed(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
