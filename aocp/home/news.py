"""New since my last visit: documents shared with me, minutes circulated and decisions recorded in my bodies,
after my "seen up to" time (the previous sign-in, or when I last marked all seen). Only what the person may open:
documents by the documents' rule, minutes and decisions by their body's (the same clauses as the lists).

One statement (a UNION of the three kinds) serves the panel and the full list, so their counts agree.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import url_for
from sqlalchemy import Integer, String, cast, func, literal, select, union_all

from aocp.accounts.models import User
from aocp.documents.access import visible_clause
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.home import ROWS, Panel
from aocp.meetings.access import visible_bodies_clause
from aocp.meetings.models import Decision, Meeting, Minutes, MinutesRevision, ordinal
from aocp.orgs.models import Body
from aocp.timeutil import utcnow

COUNT_CAP = 100  # the panel counts up to here; the full list pages through everything
KINDS = {"document": "Documents shared with you", "minutes": "Minutes circulated", "decision": "Decisions recorded"}


def since(user: User) -> datetime:
    """What is newer than this is new: the seen-up-to time, else when the account was made."""
    return user.seen_up_to or user.created_at or utcnow()


def _meeting_part(kind: str, id_col, text_col, at_col, user: User, after: datetime):
    return (select(literal(kind, String).label("kind"), id_col.label("ref_id"), Meeting.id.label("meeting_id"),
                   Body.short_name.label("body_name"), Meeting.number.label("number"), text_col.label("text"),
                   at_col.label("at"))
            .join(Body, Body.id == Meeting.body_id)
            .where(visible_bodies_clause(user, Meeting.body_id), at_col > after))


def _parts(user: User) -> dict:
    """One SELECT per kind of news, each of (kind, ref_id, meeting_id, body_name, number, text, at)."""
    after = since(user)
    return {
        "document": select(literal("document", String).label("kind"), Document.id.label("ref_id"),
                           cast(None, Integer).label("meeting_id"), cast(None, String).label("body_name"),
                           cast(None, Integer).label("number"), Document.title.label("text"),
                           Document.created_at.label("at"))
        .where(visible_clause(user), Document.deleted_at.is_(None), Document.created_at > after,
               (Document.uploader_id != user.id) | Document.uploader_id.is_(None)),
        "minutes": _meeting_part("minutes", MinutesRevision.id, literal("", String), MinutesRevision.created_at,
                                 user, after)
        .join(Minutes, Minutes.meeting_id == Meeting.id).join_from(Minutes, MinutesRevision,
                                                                  MinutesRevision.minutes_id == Minutes.id)
        .where(MinutesRevision.status == "circulated",
               (MinutesRevision.created_by_id != user.id) | MinutesRevision.created_by_id.is_(None)),
        "decision": _meeting_part("decision", Decision.id, Decision.text, Decision.created_at, user, after)
        .join(Decision, Decision.meeting_id == Meeting.id),
    }


def _newest_first(news):
    return select(news).order_by(news.c.at.desc(), news.c.kind, news.c.ref_id.desc())


def statement(user: User, kind: str = ""):
    """What is new for `user` (of one kind, or all), newest first: the full list's statement."""
    parts = _parts(user)
    chosen = [parts[kind]] if kind in parts else list(parts.values())
    return _newest_first(union_all(*chosen).subquery("news"))


def newest(user: User, limit: int, parts: dict | None = None):
    """The `limit` newest items of all kinds: each kind stops at `limit` rows of its own (read newest first through
    its index), so a first visit after months costs the same as a daily one."""
    each = [select(part.order_by(part.selected_columns.at.desc()).limit(limit).subquery())
            for part in (parts or _parts(user)).values()]
    return _newest_first(union_all(*each).subquery("news")).limit(limit)


def counts(user: User, parts: dict | None = None) -> dict[str, int]:
    """How many of each kind, counted up to COUNT_CAP (the panel then says "100+"): one statement."""
    columns = [select(func.count()).select_from(part.limit(COUNT_CAP).subquery()).scalar_subquery().label(kind)
               for kind, part in (parts or _parts(user)).items()]
    return dict(db.session.execute(select(*columns)).one()._mapping)


@dataclass
class Item:
    kind: str
    title: str
    url: str
    at: datetime
    where: str = ""


def item(row) -> Item:
    if row.kind == "document":
        return Item("document", row.text, url_for("documents.detail", doc_id=row.ref_id), row.at)
    meeting = f"{ordinal(row.number)} {row.body_name} Meeting"
    if row.kind == "minutes":
        return Item("minutes", f"Minutes of the {meeting}", url_for("meetings.minutes", meeting_id=row.meeting_id),
                    row.at, row.body_name)
    text = " ".join((row.text or "").split())
    return Item("decision", text if len(text) <= 160 else text[:157] + "…",
                url_for("meetings.minutes", meeting_id=row.meeting_id, _anchor="decisions"), row.at, meeting)


def new_since_last_visit(user: User, today: date) -> Panel:
    parts = _parts(user)  # built once for both statements
    per_kind = counts(user, parts)
    total = sum(per_kind.values())
    rows = [item(r) for r in db.session.execute(newest(user, ROWS, parts))]
    panel = Panel("new", "New since your last visit", "home/_news.html", total, rows, url_for("main.whats_new"),
                  "Everything new", "nothing new.", wide=True,
                  more_than=any(n >= COUNT_CAP for n in per_kind.values()))
    panel.per_kind = [(kind, label, per_kind.get(kind, 0)) for kind, label in KINDS.items()]
    panel.cap = COUNT_CAP
    return panel


def mark_all_seen(user: User) -> None:
    user.seen_up_to = utcnow()
