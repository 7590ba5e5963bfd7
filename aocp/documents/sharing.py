"""Sharing documents: uploading new ones, editing a document's details, changing who may see it."""
from __future__ import annotations

from pathlib import PurePath

from flask import flash, get_flashed_messages, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from aocp.documents import bp, form_input, services
from aocp.documents.form_input import field_error, form_errors, refused_here, wants_upload_json
from aocp.documents.forms import AccessForm, DetailsForm, UploadForm, fill_choices, meeting_choices
from aocp.documents.loading import load_document
from aocp.documents.models import DOC_TYPES, Document
from aocp.extensions import db
from aocp.http import body_by_code
from aocp.meetings.models import Meeting
from aocp.policy import PermissionDenied, guard


def _prefill_upload(form: UploadForm, linked: Meeting | None) -> None:
    """The first view of the upload form: the person's organisation, and what a link asked for."""
    form.org.data = current_user.org.code
    if request.args.get("type") in DOC_TYPES:  # e.g. a meeting's "Share the country report" link
        form.doc_type.data = request.args["type"]
    body = linked.body if linked else body_by_code(request.args.get("body", ""))
    if body:
        form.body.data = form.access_body.data = body.code
        form.access_level.data = body.default_access
    form.meeting.data = str(linked.id) if linked else ""


def _share(form: UploadForm) -> list[Document]:
    """One document per file, with the form's details; each named after its file when there are several."""
    files = [f for f in form.files.data if f and f.filename]
    details, access_ = form_input.details(form), form_input.access(form)
    docs = []
    with services.committing():
        for f in files:
            one = services.Details(**{**details.__dict__, "tags": list(details.tags)})
            if len(files) > 1 or not one.title:
                one.title = PurePath(f.filename.replace("\\", "/")).stem or f.filename
            docs.append(services.create(current_user, services.Upload(f.stream, f.filename), one, access_,
                                        form.note.data or ""))
    return docs


def _shared(docs: list[Document]):
    flash(f"{len(docs)} document{'s' if len(docs) > 1 else ''} shared.", "success")
    target = url_for(".detail", doc_id=docs[0].id) if len(docs) == 1 else url_for(".index", sort="created")
    return jsonify({"redirect": target}) if wants_upload_json() else redirect(target)


@bp.route("/upload", methods=["GET", "POST"])
@guard("documents.upload")
def upload():
    form = UploadForm()
    fill_choices(form, current_user)
    linked = form_input.meeting(request.args.get("meeting"))  # a meeting page's "Share ... for this meeting" link
    meeting_choices(form, current_user, keep=linked)
    if request.method == "GET":
        _prefill_upload(form, linked)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            return _shared(_share(form))
        except services.DocumentError as err:
            field_error(form, err)
            status = services.refusal_status(err, 400)
        except PermissionDenied as err:
            status = refused_here(err)
    if wants_upload_json() and request.method == "POST":
        errors = form_errors(form)
        if status == 403:  # the script shows every message it is given
            errors["form"] = [message for _, message in get_flashed_messages(with_categories=True)]
        return jsonify({"errors": errors}), status if status in (403, 413, 503, 507) else 422
    return render_template("documents/upload.html", form=form), status


def _prefill_details(form: DetailsForm, doc: Document) -> None:
    form.org.data = doc.org.code
    form.body.data = doc.body.code if doc.body else ""
    form.meeting.data = str(doc.meeting_id or "")
    form.tags.data = ", ".join(doc.tag_names)


@bp.route("/<int:doc_id>/edit", methods=["GET", "POST"])
@guard("documents.edit")
def edit(doc_id: int):
    doc = load_document(doc_id, "documents.edit")
    form = DetailsForm(obj=None if request.method == "POST" else doc)
    fill_choices(form, current_user, doc)
    refused = None
    meeting_choices(form, current_user, keep=doc.meeting)
    if request.method == "GET":
        _prefill_details(form, doc)
    if form.validate_on_submit():
        try:
            details = form_input.details(form, doc)
            if not details.title:
                raise services.DocumentError("A title is required.", "title")
            services.update_details(current_user, doc, details)
            db.session.commit()
        except services.DocumentError as err:
            db.session.rollback()
            field_error(form, err)
        except PermissionDenied as err:
            refused = refused_here(err)
        else:
            flash("Details saved.", "success")
            return redirect(url_for(".detail", doc_id=doc.id))
    return render_template("documents/edit.html", doc=doc, form=form), refused or (400 if form.errors else 200)


@bp.route("/<int:doc_id>/access", methods=["GET", "POST"])
@guard("documents.edit")
def change_access(doc_id: int):
    doc = load_document(doc_id, "documents.edit")
    form = AccessForm()
    fill_choices(form, current_user, doc)
    refused = None
    if request.method == "GET":
        form.access_level.data = doc.access_level
        form.access_body.data = doc.access_body.code if doc.access_body else ""
        form.access_orgs.data = [g.org.code for g in doc.grants if g.org]
        form.access_people.data = ", ".join(g.user.email for g in doc.grants if g.user)
    if form.validate_on_submit():
        try:
            services.set_access(current_user, doc, form_input.access(form))
            db.session.commit()
        except services.DocumentError as err:
            db.session.rollback()
            field_error(form, err)
        except PermissionDenied as err:
            refused = refused_here(err)
        else:
            flash("Access changed.", "success")
            return redirect(url_for(".audience", doc_id=doc.id))
    return render_template("documents/access.html", doc=doc, form=form), refused or (400 if form.errors else 200)
