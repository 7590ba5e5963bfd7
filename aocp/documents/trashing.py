"""The trash: deleting moves a document there; ASEC restores it, or purges it for good (by hand or after the
retention period). Each step is audited."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from aocp import audit
from aocp.accounts.models import User
from aocp.documents import search
from aocp.documents.models import Document, DocumentComment
from aocp.documents.services import DocumentError
from aocp.extensions import db
from aocp.policy import PermissionDenied, can
from aocp.timeutil import utcnow


def trash(actor: User, doc: Document) -> None:
    _require(actor, "documents.delete", doc)
    doc.deleted_at, doc.deleted_by_id = utcnow(), actor.id
    audit.record("document.trashed", actor, ("document", doc.id), {"title": doc.title})


def restore(actor: User, doc: Document) -> None:
    _require(actor, "documents.trash")
    if doc.deleted_at is None:
        raise DocumentError("This document is not in the trash.")
    doc.deleted_at, doc.deleted_by_id = None, None
    audit.record("document.restored", actor, ("document", doc.id), {"title": doc.title})


def purge(actor: User, doc: Document) -> list[str]:
    """Delete a trashed document and its versions for good; returns the storage keys to delete after commit."""
    _require(actor, "documents.purge")
    if doc.deleted_at is None:
        raise DocumentError("Only documents in the trash can be deleted for good.")
    return _delete_for_good(actor, doc, "by hand")


def purge_expired(actor: User | None, retention_days: int) -> list[str]:
    """Purge everything that has been in the trash longer than the retention period."""
    cutoff = utcnow() - timedelta(days=retention_days)
    keys = []
    for doc in db.session.execute(select(Document).where(Document.deleted_at < cutoff)).scalars():
        keys += _delete_for_good(actor, doc, "retention period over")
    return keys


def _delete_for_good(actor: User | None, doc: Document, why: str) -> list[str]:
    keys = [v.storage_key for v in doc.versions]
    audit.record("document.purged", actor, ("document", doc.id),
                 {"title": doc.title, "reason": why, "sha256": [v.sha256 for v in doc.versions]})
    search.remove(doc.id)
    db.session.execute(delete(DocumentComment).where(DocumentComment.document_id == doc.id))
    db.session.delete(doc)
    db.session.flush()
    return keys


def _require(actor: User, rule: str, doc: Document | None = None) -> None:
    if not can(actor, rule, doc):
        raise PermissionDenied(rule)
