"""The document list as pages and the API ask for it: filters, search, sort, one page at a time.

Everything a page shows is loaded in a fixed number of queries (the page, its count, the eager
loads, the tags, the snippets), however many documents there are.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

from markupsafe import Markup
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from aocp.documents import search
from aocp.documents.access import visible_clause
from aocp.documents.models import ACCESS_LEVELS, DOC_TYPES, Document, DocumentTag, DocumentVersion
from aocp.extensions import db
from aocp.orgs.models import Body, Organisation

SORTS = {
    "updated": (Document.updated_at.desc(), Document.id.desc()),
    "created": (Document.created_at.desc(), Document.id.desc()),
    "title": (Document.title, Document.id),
}


class FilterError(ValueError):
    """A filter value that cannot be understood; `field` names it."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass
class Filters:
    q: str = ""
    doc_type: str = ""
    org: str = ""  # organisation code
    body: str = ""  # body code
    tag: str = ""
    action_line: str = ""
    access: str = ""
    since: date | None = None
    until: date | None = None
    sort: str = "updated"
    trash: bool = False

    @classmethod
    def from_args(cls, args) -> Filters:
        """Read filters from query-string arguments, refusing values that cannot be meant."""
        f = cls(q=args.get("q", "").strip()[:200], doc_type=args.get("type", ""), org=args.get("org", "").upper(),
                body=args.get("body", "").upper(), tag=args.get("tag", "").strip().lower()[:64],
                action_line=args.get("action_line", "").strip().upper()[:16], access=args.get("access", ""),
                sort=args.get("sort", "") or ("relevance" if args.get("q", "").strip() else "updated"))
        if f.doc_type and f.doc_type not in DOC_TYPES:
            raise FilterError("Unknown document type.", "type")
        if f.access and f.access not in ACCESS_LEVELS:
            raise FilterError("Unknown access level.", "access")
        if f.sort not in SORTS and not (f.sort == "relevance" and f.q):
            raise FilterError("Sort by updated, created, title or (when searching) relevance.", "sort")
        for name in ("since", "until"):
            raw = args.get(name, "").strip()
            if raw:
                try:
                    setattr(f, name, date.fromisoformat(raw))
                except ValueError:
                    raise FilterError("Dates are written YYYY-MM-DD.", name) from None
        return f

    def as_args(self) -> dict:
        args = {"q": self.q, "type": self.doc_type, "org": self.org, "body": self.body, "tag": self.tag,
                "action_line": self.action_line, "access": self.access,
                "since": self.since.isoformat() if self.since else "",
                "until": self.until.isoformat() if self.until else "", "sort": self.sort}
        return {k: v for k, v in args.items() if v}


def matching(user, f: Filters) -> Select:
    """The documents `user` may open that match `f`, in the requested order (nothing loaded beside them)."""
    stmt = select(Document).where(visible_clause(user))
    stmt = stmt.where(Document.deleted_at.is_not(None) if f.trash else Document.deleted_at.is_(None))
    if f.doc_type:
        stmt = stmt.where(Document.doc_type == f.doc_type)
    if f.org:
        stmt = stmt.where(Document.org_id == select(Organisation.id).where(Organisation.code == f.org)
                          .scalar_subquery())
    if f.body:
        stmt = stmt.where(Document.body_id == select(Body.id).where(Body.code == f.body).scalar_subquery())
    if f.tag:
        stmt = stmt.where(Document.id.in_(select(DocumentTag.document_id).where(DocumentTag.name == f.tag)))
    if f.action_line:
        stmt = stmt.where(Document.action_line == f.action_line)
    if f.access:
        stmt = stmt.where(Document.access_level == f.access)
    if f.since:
        stmt = stmt.where(Document.updated_at >= datetime.combine(f.since, time.min))
    if f.until and f.until < date.max:  # until the last day there is: no upper bound (and no date overflow)
        stmt = stmt.where(Document.updated_at < datetime.combine(f.until + timedelta(days=1), time.min))
    stmt = stmt.order_by(*SORTS.get(f.sort, SORTS["updated"]))
    if f.q:
        stmt = search.apply(stmt, f.q)
        if f.sort in SORTS:  # searching, but sorted by a column rather than relevance
            stmt = stmt.order_by(None).order_by(*SORTS[f.sort])
    return stmt


@cache  # built once, on first use (the mappers are complete by then): building them took a tenth of the load
def _list_loads(uploader: bool = True) -> tuple:
    """What a list shows of each document. Tags are not among them: `tags_of` reads their names in one plain
    query (loaded as objects, twenty documents' tags took more time than the documents themselves)."""
    loads = (joinedload(Document.org), joinedload(Document.body), joinedload(Document.access_body),
             joinedload(Document.newest).load_only(
                 DocumentVersion.number, DocumentVersion.original_name, DocumentVersion.size,
                 DocumentVersion.content_type, DocumentVersion.created_at, DocumentVersion.sha256,
                 DocumentVersion.document_id))
    return loads + (joinedload(Document.uploader),) if uploader else loads


def tags_of(ids: list[int]) -> dict[int, list[str]]:
    """The tag names of each document in `ids`, alphabetical, in one query."""
    tags: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for document_id, name in db.session.execute(select(DocumentTag.document_id, DocumentTag.name)
                                                     .where(DocumentTag.document_id.in_(ids))
                                                     .order_by(DocumentTag.name)):
            tags[document_id].append(name)
    return tags


def statement(user, f: Filters) -> Select:
    """`matching`, with what a list shows of each document loaded alongside."""
    return matching(user, f).options(*_list_loads(), selectinload(Document.tags))


@dataclass
class Page:
    items: list[Document]
    snippets: dict[int, Markup]
    tags: dict[int, list[str]]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)


def page_of(user, f: Filters, page: int, per_page: int, uploader: bool = True) -> Page:
    """One page of documents with search snippets; `uploader` False leaves out who uploaded each, for a page that
    does not show them (two joined entities fewer per row: 0.3 of the 4 ms that loading twenty took).

    The page's ids are picked on documents alone, then loaded with what the list shows: with the joins before
    the LIMIT, PostgreSQL joined every visible document to its organisations, uploader and newest version before
    keeping twenty (37 of 40 ms at 10,000 documents)."""
    ids_only = matching(user, f).with_only_columns(Document.id)
    if f.q:
        page, per_page = max(page, 1), min(per_page, 100) if per_page >= 1 else 20  # as db.paginate takes them
        ids, total = _search_page(ids_only, page, per_page)
    else:
        result = db.paginate(ids_only, page=page, per_page=per_page, error_out=False, max_per_page=100)
        ids, total, page, per_page = list(result.items), result.total or 0, result.page, result.per_page
    loaded = {d.id: d for d in db.session.scalars(
        select(Document).where(Document.id.in_(ids)).options(*_list_loads(uploader))).unique()} if ids else {}
    items = [loaded[i] for i in ids]
    snippets = search.snippets(ids, f.q) if f.q else {}
    return Page(items, snippets, tags_of(ids), page, per_page, total)


def _search_page(ids_only: Select, page: int, per_page: int) -> tuple[list[int], int]:
    """A search's page of ids and how many match in all, in one statement. Ranking the matches reads every one of
    them, so counting them in the same pass is nearly free, where a second query found them all again (half of a
    search's database time on PostgreSQL). A list without a search is not counted this way: its first page is read
    from an index and stops at twenty, which a count in the same statement would prevent."""
    rows = db.session.execute(ids_only.add_columns(func.count().over().label("total"))
                              .limit(per_page).offset((page - 1) * per_page)).all()
    if rows:
        return [r.id for r in rows], rows[0].total
    if page == 1:
        return [], 0
    # Past the last page: no row carries the count.
    return [], db.session.scalar(select(func.count()).select_from(ids_only.order_by(None).subquery()))
