"""How the documents API shows a document, its versions and who may see it (JSON shapes)."""
from __future__ import annotations

from collections import defaultdict

from flask import url_for
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload

from aocp.accounts.models import User
from aocp.documents import access
from aocp.documents.models import Document, DocumentGrant, DocumentVersion
from aocp.extensions import db
from aocp.policy import can

AUDIENCE_LIMIT = 500


def _time(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def _person(u: User | None) -> dict | None:
    return {"id": u.id, "name": u.name, "org": u.org.code} if u else None


def version_json(doc_id: int, v: DocumentVersion, full: bool = False) -> dict:
    data = {"number": v.number, "name": v.original_name, "content_type": v.content_type, "size": v.size,
            "sha256": v.sha256, "created_at": _time(v.created_at),
            "download_url": url_for("api.download_version", doc_id=doc_id, number=v.number)}
    if full:
        data.update(note=v.note, uploaded_by=_person(v.uploaded_by))
    return data


def access_json(doc: Document, grants: list[DocumentGrant]) -> dict:
    return {"level": doc.access_level, "body": doc.access_body.code if doc.access_body else None,
            "description": access.describe_level(doc),
            "orgs": sorted(gr.org.code for gr in grants if gr.org_id and gr.org),
            "people": sorted(({"id": gr.user.id, "name": gr.user.name} for gr in grants if gr.user_id and gr.user),
                             key=lambda p: p["id"])}


def document_json(doc: Document, grants: list[DocumentGrant], current: DocumentVersion | None,
                  tags: list[str] | None = None) -> dict:
    """`tags` when read already (a list reads all its documents' tags in one query), else the document's own."""
    return {
        "id": doc.id, "title": doc.title, "description": doc.description, "type": doc.doc_type,
        "language": doc.language, "org": doc.org.code, "body": doc.body.code if doc.body else None,
        "action_line": doc.action_line, "meeting_id": doc.meeting_id,
        "tags": doc.tag_names if tags is None else tags,
        "access": access_json(doc, grants), "uploader": _person(doc.uploader),
        "created_at": _time(doc.created_at), "updated_at": _time(doc.updated_at),
        "deleted_at": _time(doc.deleted_at), "version_count": doc.version_count,
        "current_version": version_json(doc.id, current) if current else None,
        "url": url_for("api.get_document", doc_id=doc.id),
    }


def versions_of(doc: Document) -> list[DocumentVersion]:
    """The document's versions, newest first, without their (large) extracted text."""
    return list(db.session.execute(
        select(DocumentVersion).where(DocumentVersion.document_id == doc.id)
        .options(defer(DocumentVersion.text), joinedload(DocumentVersion.uploaded_by))
        .order_by(DocumentVersion.number.desc())).scalars())


def full_json(doc: Document, user: User) -> dict:
    """A document as GET /documents/<id> shows it: with every version and why the caller may open it."""
    versions = versions_of(doc)
    data = document_json(doc, doc.grants, versions[0] if versions else None)
    data.update(versions=[version_json(doc.id, v, full=True) for v in versions],
                why=access.reason(user, doc), can_edit=can(user, "documents.edit", doc))
    return data


def grants_of(doc_ids: list[int]) -> dict[int, list[DocumentGrant]]:
    """The grants of a page of documents, in one query."""
    grouped = defaultdict(list)
    if doc_ids:
        rows = db.session.execute(select(DocumentGrant).where(DocumentGrant.document_id.in_(doc_ids))
                                  .options(joinedload(DocumentGrant.org),
                                           joinedload(DocumentGrant.user))
                                  .order_by(DocumentGrant.id)).scalars()
        for gr in rows:
            grouped[gr.document_id].append(gr)
    return grouped


def plain_snippet(snippet: Markup | None) -> str | None:
    """The search extract as plain text: the <mark> elements removed and the escaping undone."""
    if snippet is None:
        return None
    return Markup(str(snippet).replace("<mark>", "").replace("</mark>", "")).unescape()


def audience_json(doc: Document, user: User) -> dict:
    """Who may see the document: the groups, up to AUDIENCE_LIMIT people (and whether there are more), and why."""
    seen = access.audience(doc, limit=AUDIENCE_LIMIT + 1)
    people = seen.people[:AUDIENCE_LIMIT]
    return {"access": access_json(doc, doc.grants), "why": access.reason(user, doc), "groups": seen.groups,
            "people": [{"id": p.id, "name": p.name, "org": p.org.code, "role": p.role, "reason": why}
                       for p, why in people],
            "people_truncated": len(seen.people) > AUDIENCE_LIMIT}
