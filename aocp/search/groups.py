"""What a search finds, one kind at a time, each filtered by the rule of that kind's own list.

Documents use the full-text search of the document list (`documents.queries`, the same filters, so the "all N"
link shows the same N); meetings are matched on their body's names, number, venue and host; action lines on code
and text in the plans the person may see; people (as the people list matches them) and organisations only for
ASEC. Each kind reads its rows and its total in one statement (documents: the ids with the total, the documents,
their extracts), whatever the data size.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import url_for
from markupsafe import Markup
from sqlalchemy import case, false, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from aocp.accounts.models import User
from aocp.documents import queries, search
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings.access import visible_bodies_clause
from aocp.meetings.calendar_pages import today_for
from aocp.meetings.models import Meeting
from aocp.orgs.models import Body, Organisation
from aocp.plans.access import visible_plans_clause
from aocp.plans.models import ActionLine, Plan
from aocp.policy import can

MAX_QUERY = 200
MAX_WORDS = 8
# Words that name no particular meeting ("22nd WGTIM meeting"): left out of a meeting search.
FILLER = {"meeting", "meetings", "the", "of", "and"}
ORDINAL = re.compile(r"^(\d{1,6})(?:st|nd|rd|th)?$", re.IGNORECASE)
TITLES = {"documents": "Documents", "meetings": "Meetings", "lines": "Action lines", "people": "People",
          "organisations": "Organisations"}
PAGED = ("meetings", "lines", "organisations")  # kinds without a list of their own: the results page pages them


@dataclass
class Group:
    kind: str
    items: list
    total: int
    more_url: str | None = None
    note: str = ""
    snippets: dict[int, Markup] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return TITLES[self.kind]


def words(q: str) -> list[str]:
    return [w.lower() for w in q.split()][:MAX_WORDS]


def _contains(column, word: str):
    """Case-blind substring match; % and _ typed by the person are matched literally."""
    return func.lower(column).contains(word, autoescape=True)


def _counted(stmt, limit: int, offset: int) -> tuple[list, int]:
    """A page of `stmt`'s rows and how many match in all, in one statement."""
    rows = db.session.execute(stmt.add_columns(func.count().over().label("total"))
                              .limit(limit).offset(offset)).all()
    if rows:
        return [row[0] for row in rows], rows[0].total
    if offset == 0:
        return [], 0
    return [], db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def documents(user, q: str, limit: int) -> Group:
    """The document list's search (same filters, same order: best match first)."""
    more = url_for("documents.index", q=q)
    if search.too_short(q):
        return Group("documents", [], 0, more, note="Documents are found by words of three characters or more.")
    f = queries.Filters(q=q, sort="relevance")
    ids, total = _counted(queries.matching(user, f).with_only_columns(Document.id), limit, 0)
    loaded = {d.id: d for d in db.session.scalars(
        select(Document).where(Document.id.in_(ids))
        .options(joinedload(Document.org), joinedload(Document.body)))} if ids else {}
    return Group("documents", [loaded[i] for i in ids], total, more, snippets=search.snippets(ids, q))


def _meeting_word(word: str):
    number = ORDINAL.match(word)
    matches = [_contains(Body.code, word), _contains(Body.short_name, word), _contains(Body.name, word),
               _contains(Meeting.venue, word), _contains(Organisation.name, word)]
    if number:
        matches.append(Meeting.number == int(number[1]))
    return or_(*matches)


def meetings(user, q: str, limit: int, offset: int = 0) -> Group:
    """Meetings of the bodies the person may see whose body, number, venue or host matches every word; the
    meetings ahead first (soonest first), then past ones (latest first), as in the calendar's list."""
    terms = [w for w in words(q) if w not in FILLER]
    today = today_for(user)
    stmt = (select(Meeting).join(Body, Body.id == Meeting.body_id)
            .outerjoin(Organisation, Organisation.id == Meeting.host_org_id)
            .options(contains_eager(Meeting.body), contains_eager(Meeting.host))
            .where(visible_bodies_clause(user, Meeting.body_id),
                   *([_meeting_word(w) for w in terms] or [false()]))
            .order_by(case((Meeting.ends_on < today, 1), else_=0), case((Meeting.ends_on >= today, Meeting.starts_on)),
                      Meeting.starts_on.desc(), Meeting.id))
    items, total = _counted(stmt, limit, offset)
    return Group("meetings", items, total, url_for("search.results", q=q, kind="meetings"))


def lines(user, q: str, limit: int, offset: int = 0) -> Group:
    """Action lines of the plans the person may see whose code or text holds every word; a line whose code is
    the query itself first, then by plan (newest first) and code."""
    terms = words(q)
    stmt = (select(ActionLine).join(Plan, Plan.id == ActionLine.plan_id).options(contains_eager(ActionLine.plan))
            .where(visible_plans_clause(user, Plan),
                   *[or_(_contains(ActionLine.code, w), _contains(ActionLine.text, w)) for w in terms])
            .order_by(case((func.lower(ActionLine.code) == q.strip().lower(), 0), else_=1), Plan.id.desc(),
                      ActionLine.position, ActionLine.id))
    items, total = _counted(stmt, limit, offset)
    return Group("lines", items, total, url_for("search.results", q=q, kind="lines"))


def people(user, q: str, limit: int) -> Group | None:
    """ASEC only: the people list's own match (name or email holds the query)."""
    if not can(user, "users.view"):
        return None
    text = q.lower()
    stmt = (select(User).join(Organisation, Organisation.id == User.org_id).options(contains_eager(User.org))
            .where(or_(_contains(User.name, text), User.email.contains(text, autoescape=True)))
            .order_by(User.name, User.id))
    items, total = _counted(stmt, limit, 0)
    return Group("people", items, total, url_for("admin.people", q=q))


def organisations(user, q: str, limit: int, offset: int = 0) -> Group | None:
    """ASEC only: organisations whose code or name holds the query."""
    if not can(user, "users.view"):
        return None
    text = q.lower()
    stmt = (select(Organisation).where(or_(_contains(Organisation.code, text), _contains(Organisation.name, text)))
            .order_by(Organisation.name, Organisation.id))
    items, total = _counted(stmt, limit, offset)
    return Group("organisations", items, total, url_for("search.results", q=q, kind="organisations"))


def all_groups(user, q: str, limit: int) -> list[Group]:
    found = [documents(user, q, limit), meetings(user, q, limit), lines(user, q, limit),
             people(user, q, limit), organisations(user, q, limit)]
    return [g for g in found if g is not None]


def one_kind(user, kind: str, q: str, limit: int, offset: int) -> Group | None:
    """One kind's results a page at a time (the kinds in PAGED); None if the person may not search that kind."""
    return {"meetings": meetings, "lines": lines, "organisations": organisations}[kind](user, q, limit, offset)
