"""A document's page (its versions, comments and activity), who may see it, and commenting on it."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload, selectinload

from aocp import audit
from aocp.documents import access, bp, services
from aocp.documents.downloads import previewable
from aocp.documents.forms import CommentForm, VersionForm
from aocp.documents.loading import load_document
from aocp.documents.models import Document, DocumentComment, DocumentVersion
from aocp.extensions import db
from aocp.forms import ActionForm
from aocp.meetings.models import Meeting
from aocp.policy import can, guard

ACTIVITY_SHOWN = 50

# Everything the document's page shows, in a fixed number of queries however many versions it has.
DETAIL_OPTIONS = (
    joinedload(Document.org), joinedload(Document.body), joinedload(Document.access_body),
    joinedload(Document.meeting).joinedload(Meeting.body),
    joinedload(Document.uploader), selectinload(Document.tags),
    selectinload(Document.versions).options(defer(DocumentVersion.text),
                                            joinedload(DocumentVersion.uploaded_by)),
)


def _activity(doc: Document) -> list[audit.AuditEntry]:
    """The newest entries about `doc`; who downloaded it only for those the policy lets see that."""
    stmt = select(audit.AuditEntry).where(audit.AuditEntry.target_type == "document",
                                          audit.AuditEntry.target_id == str(doc.id))
    if not can(current_user, "documents.downloads"):
        stmt = stmt.where(audit.AuditEntry.action != "document.downloaded")
    return db.session.execute(stmt.order_by(audit.AuditEntry.id.desc()).limit(ACTIVITY_SHOWN)).scalars().all()


@bp.get("/<int:doc_id>")
@guard("documents.view")
def detail(doc_id: int, comment_form: CommentForm | None = None, version_form: VersionForm | None = None):
    doc = load_document(doc_id, options=DETAIL_OPTIONS)
    comments = db.session.execute(select(DocumentComment).options(joinedload(DocumentComment.author))
                                  .where(DocumentComment.document_id == doc.id)
                                  .order_by(DocumentComment.id).limit(500)).scalars().all()
    return render_template("documents/detail.html", doc=doc, comments=comments,
                           comment_form=comment_form or CommentForm(), version_form=version_form or VersionForm(),
                           action=ActionForm(), why=access.reason(current_user, doc),
                           level=access.describe_level(doc), activity=_activity(doc), previewable=previewable)


@bp.get("/<int:doc_id>/audience")
@guard("documents.view")
def audience(doc_id: int):
    doc = load_document(doc_id)
    return render_template("documents/audience.html", doc=doc, audience=access.audience(doc),
                           why=access.reason(current_user, doc), level=access.describe_level(doc))


@bp.post("/<int:doc_id>/comments")
@guard("documents.comment")
def comment(doc_id: int):
    doc = load_document(doc_id, "documents.comment")
    form = CommentForm()
    if form.validate_on_submit():
        try:
            services.add_comment(current_user, doc, form.body.data)
            db.session.commit()
        except services.DocumentError as err:
            db.session.rollback()
            form.body.errors = [str(err)]
        else:
            flash("Comment added.", "success")
            return redirect(url_for(".detail", doc_id=doc.id, _anchor="comments"))
    return detail(doc.id, comment_form=form), 400
