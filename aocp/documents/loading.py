"""Loading a document, or one of its versions, through the policy: one loader for the pages, the API and the
downloads.

A document the person may not open is not found (404, audited, its existence not revealed); one they may open but
not change answers 403. Loaders raise (`http.NotFound`, `policy.PermissionDenied`); the app turns that into the
answer, a page or JSON.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import defer

from aocp.documents.models import Document, DocumentVersion
from aocp.extensions import db
from aocp.http import NotFound, checked


def load_document(doc_id: int, rule: str | None = None, options: tuple = ()) -> Document:
    """The document if the person may open it (`documents.view`) and may do `rule` on it."""
    return checked(db.session.get(Document, doc_id, options=options), "document", "documents.view", rule)


def load_version(doc: Document, number: int | None = None) -> DocumentVersion:
    """Version `number` of a loaded document (the newest when None), without its (large) extracted text."""
    stmt = select(DocumentVersion).where(DocumentVersion.document_id == doc.id).options(defer(DocumentVersion.text))
    if number is None:
        stmt = stmt.where(DocumentVersion.number == select(func.max(DocumentVersion.number))
                          .where(DocumentVersion.document_id == doc.id).scalar_subquery())
    else:
        stmt = stmt.where(DocumentVersion.number == number)
    version = db.session.execute(stmt).scalar_one_or_none()
    if version is None:
        raise NotFound("version of this document")
    return version
