"""A document's versions: adding one, restoring an older one, downloading and previewing them."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, url_for
from flask_login import current_user

from aocp.documents import bp, services
from aocp.documents.document_pages import detail
from aocp.documents.downloads import previewable, send
from aocp.documents.form_input import form_errors, refused_here, wants_upload_json
from aocp.documents.forms import VersionForm
from aocp.documents.loading import load_document, load_version
from aocp.extensions import db
from aocp.forms import ActionForm
from aocp.policy import PermissionDenied, guard, record_denial


@bp.post("/<int:doc_id>/versions")
@guard("documents.edit")
def add_version(doc_id: int):
    doc = load_document(doc_id, "documents.edit")
    form = VersionForm()
    status = 400
    if form.validate_on_submit():
        try:
            with services.committing():
                version = services.add_version(current_user, doc, services.Upload(form.file.data.stream,
                                                                                   form.file.data.filename),
                                               form.note.data or "")
        except services.DocumentError as err:
            form.file.errors = [str(err)]
            status = services.refusal_status(err, 400)
        except PermissionDenied as err:
            record_denial(current_user, str(err))
            form.file.errors = [err.message or "You are not allowed to do this."]
            status = 403
        else:
            flash(f"Version {version.number} added.", "success")
            if wants_upload_json():
                return jsonify({"redirect": url_for(".detail", doc_id=doc.id)})
            return redirect(url_for(".detail", doc_id=doc.id))
    if wants_upload_json():
        return jsonify({"errors": form_errors(form)}), status if status in (403, 413, 503, 507) else 422
    db.session.refresh(doc)
    return detail(doc.id, version_form=form), status


@bp.post("/<int:doc_id>/versions/<int:number>/restore")
@guard("documents.edit")
def restore_version(doc_id: int, number: int):
    doc = load_document(doc_id, "documents.edit")
    old = load_version(doc, number)
    if ActionForm().validate_on_submit():
        try:
            with services.committing():
                version = services.restore_version(current_user, doc, old)
        except services.DocumentError as err:  # e.g. the size limit was lowered since that version was shared
            flash(f"Version {number} could not be restored: {err}", "error")
        except PermissionDenied as err:
            refused_here(err)
        else:
            flash(f"Version {number} restored as version {version.number}.", "success")
    return redirect(url_for(".detail", doc_id=doc.id))


@bp.get("/<int:doc_id>/download")
@guard("documents.view")
def download(doc_id: int):
    return send(load_version(load_document(doc_id)), current_user, "page")


@bp.get("/<int:doc_id>/versions/<int:number>/download")
@guard("documents.view")
def download_version(doc_id: int, number: int):
    return send(load_version(load_document(doc_id), number), current_user, "page")


@bp.get("/<int:doc_id>/versions/<int:number>/preview")
@guard("documents.view")
def preview(doc_id: int, number: int):
    version = load_version(load_document(doc_id), number)
    if not previewable(version):
        abort(404)
    return send(version, current_user, "preview", inline=True)
