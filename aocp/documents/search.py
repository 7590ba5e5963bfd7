"""Full-text search over titles, descriptions, tags and the text inside files.

SQLite: an FTS5 table with the trigram tokenizer, so words in scripts written without spaces
(Thai, Khmer, Lao, Burmese, Chinese) are found by any part of three characters or more.
PostgreSQL: a table with a weighted tsvector column ('simple' configuration, no stemming, since
the documents are in many languages) and a GIN index. Both tables are made by the migration.
The caller adds the visibility condition, so results only ever hold what the searcher may open.
"""
from __future__ import annotations

from markupsafe import Markup, escape
from sqlalchemy import Select, and_, column, delete, false, func, insert, literal_column, or_, select, table, text

from aocp.documents.models import Document
from aocp.extensions import db

_fts = table("document_search", column("rowid"), column("document_id"), column("title"), column("description"),
             column("tags"), column("body"), column("tsv"))
MARK_START, MARK_END = "\x02", "\x03"


def _sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def index(doc: Document) -> None:
    """(Re)index a document with its newest version's text."""
    remove(doc.id)
    values = {"title": doc.title, "description": doc.description or "", "tags": " ".join(doc.tag_names),
              "body": doc.current.text if doc.current else ""}
    values["rowid" if _sqlite() else "document_id"] = doc.id
    db.session.execute(insert(_fts).values(**values))


def remove(doc_id: int) -> None:
    key = _fts.c.rowid if _sqlite() else _fts.c.document_id
    db.session.execute(delete(_fts).where(key == doc_id))


def fts5_query(q: str) -> str | None:
    """The words of `q` as an FTS5 query of quoted terms (no operators from users); None if no term is long enough."""
    terms = ['"' + t.replace('"', "") + '"' for t in q.split() if len(t.replace('"', "")) >= 3]
    return " AND ".join(terms) if terms else None


def too_short(q: str) -> bool:
    """On SQLite every word needs three characters (trigrams); PostgreSQL takes any word."""
    return _sqlite() and fts5_query(q) is None


def apply(stmt: Select, q: str) -> Select:
    """Restrict a select of Document to matches of `q`, best first."""
    if _sqlite():
        match = fts5_query(q)
        if match is None:
            return stmt.where(literal_column("0") == 1)
        return (stmt.join(_fts, _fts.c.rowid == Document.id)
                .where(text("document_search MATCH :match").bindparams(match=match))
                .order_by(None).order_by(text("document_search.rank")))
    query = func.websearch_to_tsquery("simple", q)
    return (stmt.join(_fts, _fts.c.document_id == Document.id)
            .where(or_(_fts.c.tsv.op("@@")(query), _all_substrings(q)))
            .order_by(None).order_by(func.ts_rank(_fts.c.tsv, query).desc(), Document.id.desc()))


# The expression of the trigram index (migration 0010), so PostgreSQL can use that index. The function is costed
# high, or the planner would match every document's whole text rather than ask the index.
_HAYSTACK = func.document_search_text(_fts.c.title, _fts.c.description, _fts.c.tags, _fts.c.body)


def _all_substrings(q: str):
    """Every word of three or more characters appears somewhere (trigram index); false when there is none."""
    words = [w for w in q.split() if len(w) >= 3][:8]
    if not words:
        return false()
    escaped = [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words]
    return and_(*[_HAYSTACK.ilike(f"%{w}%") for w in escaped])


def snippets(doc_ids: list[int], q: str) -> dict[int, Markup]:
    """A short extract around the matches for each document of the page, with matches marked."""
    if not doc_ids:
        return {}
    if _sqlite():
        match = fts5_query(q)
        if match is None:
            return {}
        rows = db.session.execute(
            # The size is counted in tokens, and a trigram token is one character: 64 (FTS5's maximum) keeps
            # a readable extract where 16 cut even the matched word short.
            text("SELECT rowid, snippet(document_search, -1, :a, :b, '…', 64) FROM document_search "
                 "WHERE document_search MATCH :match AND rowid IN (" + ",".join(str(int(i)) for i in doc_ids) + ")"),
            {"a": MARK_START, "b": MARK_END, "match": match})
    else:
        query = func.websearch_to_tsquery("simple", q)
        source = func.concat_ws(" … ", _fts.c.description, func.left(_fts.c.body, 200_000))
        options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxFragments=2, MaxWords=24, MinWords=8"
        rows = db.session.execute(select(_fts.c.document_id, func.ts_headline("simple", source, query, options))
                                  .where(_fts.c.document_id.in_(doc_ids)))
    return {doc_id: _marked(snippet) for doc_id, snippet in rows}


def _marked(snippet: str) -> Markup:
    """Escape the extract, then turn the match markers into <mark> elements."""
    safe = str(escape(snippet or ""))
    return Markup(safe.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))
