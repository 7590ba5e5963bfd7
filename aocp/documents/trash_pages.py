"""The trash: moving a document there, listing it, restoring a document or deleting it for good."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from aocp.documents import bp, queries, services, trashing
from aocp.documents.browse import PER_PAGE, page_arg
from aocp.documents.loading import load_document
from aocp.documents.storage import storage
from aocp.extensions import db
from aocp.forms import ActionForm
from aocp.policy import guard


@bp.post("/<int:doc_id>/delete")
@guard("documents.delete")
def delete(doc_id: int):
    doc = load_document(doc_id, "documents.delete")
    if ActionForm().validate_on_submit():
        trashing.trash(current_user, doc)
        db.session.commit()
        flash(f"“{doc.title}” moved to the trash. ASEC can restore it.", "success")
    return redirect(url_for(".index"))


@bp.get("/trash")
@guard("documents.trash")
def trash():
    page = queries.page_of(current_user, queries.Filters(trash=True, sort="updated"), page_arg(), PER_PAGE,
                           uploader=False)
    return render_template("documents/trash.html", page=page, action=ActionForm())


@bp.post("/<int:doc_id>/restore")
@guard("documents.trash")
def restore(doc_id: int):
    doc = load_document(doc_id, "documents.trash")
    if ActionForm().validate_on_submit():
        try:
            trashing.restore(current_user, doc)
            db.session.commit()
            flash(f"“{doc.title}” restored.", "success")
        except services.DocumentError as err:
            flash(str(err), "error")
    return redirect(url_for(".trash"))


@bp.post("/<int:doc_id>/purge")
@guard("documents.purge")
def purge(doc_id: int):
    doc = load_document(doc_id, "documents.purge")
    if ActionForm().validate_on_submit():
        title = doc.title
        try:
            keys = trashing.purge(current_user, doc)
            db.session.commit()
        except services.DocumentError as err:
            db.session.rollback()
            flash(str(err), "error")
        else:
            for key in keys:  # files go only after their rows are gone for good
                storage().delete(key)
            flash(f"“{title}” deleted for good.", "success")
    return redirect(url_for(".trash"))
