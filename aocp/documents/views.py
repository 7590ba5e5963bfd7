"""Document pages: browse and search, upload, a document's page, versions, access, comments, trash.

A document the viewer may not open answers 404 on every route (its existence is not revealed);
one they may open but not change answers 403.
"""
from __future__ import annotations

import json
from pathlib import PurePath

from flask import Blueprint, abort, flash, get_flashed_messages, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload, selectinload

from aocp import audit
from aocp.accounts.models import User
from aocp.documents import access, queries, services
from aocp.documents.downloads import previewable, send
from aocp.documents.forms import (AccessForm, CommentForm, DetailsForm, UploadForm, VersionForm, fill_choices,
                                 meeting_choices)
from aocp.documents.models import DOC_TYPES, Document, DocumentComment, DocumentVersion
from aocp.documents.storage import TooLarge, storage
from aocp.extensions import db
from aocp.forms import ActionForm
from aocp.meetings.models import Meeting
from aocp.orgs.models import Body, Organisation
from aocp.policy import PermissionDenied, can, guard, record_denial, require

bp = Blueprint("documents", __name__, url_prefix="/documents")


def _load(doc_id: int, rule: str = "documents.view", options: tuple = ()) -> Document:
    """The document, if the viewer may open it (else 404) and may do `rule` on it (else 403)."""
    doc = db.session.get(Document, doc_id, options=options)
    if doc is None:
        abort(404)
    if not can(current_user, "documents.view", doc):
        record_denial(current_user, "documents.view")
        abort(404)
    if rule != "documents.view":
        require(current_user, rule, doc)
    return doc


def _version(doc: Document, number: int) -> DocumentVersion:
    version = db.session.execute(select(DocumentVersion).where(
        DocumentVersion.document_id == doc.id, DocumentVersion.number == number)).scalar_one_or_none()
    if version is None:
        abort(404)
    return version


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100_000 else 1  # '²'.isdigit() is True


def _by_code(model, code: str):
    return db.session.execute(select(model).where(model.code == code)).scalar_one_or_none() if code else None


def _chosen(model, field, what: str):
    """The organisation or body a list field names (None when left empty); a code not in the database is an
    error on the field (the lists do not check their values: the services refuse what may not be chosen)."""
    code = (field.data or "").strip()
    found = _by_code(model, code) if code and code.isascii() and len(code) <= 16 else None
    if code and found is None:
        raise services.DocumentError(f"Not a valid choice: choose {what} from the list.", field.name)
    return found


def _details(form, doc: Document | None = None) -> services.Details:
    org = _chosen(Organisation, form.org, "an organisation")
    if org is None:
        raise services.DocumentError("Not a valid choice: choose an organisation from the list.", "org")
    return services.Details(title=form.title.data or "", org=org, description=form.description.data or "",
                            doc_type=form.doc_type.data, language=form.language.data,
                            body=_chosen(Body, form.body, "a body"), action_line=form.action_line.data or "",
                            tags=services.parse_tags(form.tags.data or ""),
                            meeting=_meeting(form.meeting.data, doc.meeting if doc else None))


def _meeting(value, kept: Meeting | None = None) -> Meeting | None:
    """The meeting an id names (from the form's list, or a link), if the viewer may see it; the document's own
    meeting stays as it is."""
    value = str(value or "")
    if kept is not None and value == str(kept.id):
        return kept
    meeting = db.session.get(Meeting, int(value)) if value.isascii() and value.isdigit() and len(value) < 10 else None
    return meeting if meeting is not None and can(current_user, "workspaces.view", meeting) else None


def _access(form) -> services.Access:
    emails = [e.strip().lower() for e in (form.access_people.data or "").split(",") if e.strip()]
    people = db.session.execute(select(User).where(User.email.in_(emails))).scalars().all() if emails else []
    missing = set(emails) - {p.email for p in people}
    if missing:
        raise services.DocumentError(f"No account with the email {sorted(missing)[0]}.", "access_people")
    orgs = db.session.execute(select(Organisation).where(
        Organisation.code.in_(form.access_orgs.data or []))).scalars().all()
    return services.Access(form.access_level.data, _chosen(Body, form.access_body, "a body"), list(orgs),
                           list(people))


def _field_error(form, err: services.DocumentError) -> None:
    field = getattr(form, err.field, None) if err.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(err)]
    else:
        flash(str(err), "error")


def _refused_here(err: PermissionDenied) -> int:
    """A service refused what was asked (acting for another organisation, filing in a body one is not in):
    audited like any refusal, its reason flashed; the status for the page."""
    record_denial(current_user, str(err))
    flash(err.message or "You are not allowed to do this.", "error")
    return 403


def _refused_status(err: services.DocumentError) -> int:
    """413 when a file went past the size limit, 507 or 503 when it could not be stored, else 400."""
    if isinstance(err, services.StorageUnavailable):
        return err.status
    return 413 if isinstance(err.__context__, TooLarge) else 400


def _wants_upload_json() -> bool:
    return request.headers.get("X-Requested-With") == "aocp-upload"


@bp.get("/")
@guard("documents.view")
def index(fixed: dict | None = None, template: str = "documents/index.html"):
    args = request.args.to_dict()
    args.update(fixed or {})
    try:
        filters = queries.Filters.from_args(args)
    except queries.FilterError as err:
        flash(f"{err} The filter was ignored.", "error")
        filters = queries.Filters()
    page = queries.page_of(current_user, filters, _page_arg(), 20, uploader=False)  # the list does not show them
    orgs = db.session.execute(select(Organisation.code, Organisation.name).order_by(Organisation.name)).all()
    bodies = db.session.execute(select(Body.code, Body.short_name).order_by(Body.id)).all()
    return render_template(template, page=page, filters=filters, orgs=orgs, bodies=bodies, doc_types=DOC_TYPES,
                           short_query=bool(filters.q) and services.search.too_short(filters.q))


@bp.get("/capacity-building")
@guard("documents.view")
def capacity_building():
    """The capacity-building repository (AMCAP action line IH1.3): capacity-building material, browsable."""
    return index({"type": "capacity_building"}, "documents/capacity_building.html")


@bp.route("/upload", methods=["GET", "POST"])
@guard("documents.upload")
def upload():
    form = UploadForm()
    fill_choices(form, current_user)
    linked = _meeting(request.args.get("meeting"))  # a meeting page's "Share ... for this meeting" link
    meeting_choices(form, current_user, keep=linked)
    if request.method == "GET":
        form.org.data = current_user.org.code
        if request.args.get("type") in DOC_TYPES:  # e.g. a meeting's "Share the country report" link
            form.doc_type.data = request.args["type"]
        body = linked.body if linked else _by_code(Body, request.args.get("body", "").upper())
        if body:
            form.body.data = form.access_body.data = body.code
            form.access_level.data = body.default_access
        form.meeting.data = str(linked.id) if linked else ""
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        files = [f for f in form.files.data if f and f.filename]
        try:
            details, access_ = _details(form), _access(form)
            with services.committing():
                docs = []
                for f in files:
                    one = services.Details(**{**details.__dict__, "tags": list(details.tags)})
                    if len(files) > 1 or not one.title:
                        one.title = PurePath(f.filename.replace("\\", "/")).stem or f.filename
                    docs.append(services.create(current_user, services.Upload(f.stream, f.filename), one,
                                                access_, form.note.data or ""))
        except services.DocumentError as err:
            _field_error(form, err)
            status = _refused_status(err)
        except PermissionDenied as err:
            status = _refused_here(err)
        else:
            flash(f"{len(docs)} document{'s' if len(docs) > 1 else ''} shared.", "success")
            target = url_for(".detail", doc_id=docs[0].id) if len(docs) == 1 else url_for(".index", sort="created")
            if _wants_upload_json():
                return jsonify({"redirect": target})
            return redirect(target)
    if _wants_upload_json() and request.method == "POST":
        errors = {name: f.errors for name, f in form._fields.items() if f.errors}
        if status == 403:  # the script shows every message it is given
            errors["form"] = [message for _, message in get_flashed_messages(with_categories=True)]
        return jsonify({"errors": errors}), status if status in (403, 413, 503, 507) else 422
    return render_template("documents/upload.html", form=form), status


ACTIVITY_SHOWN = 50


def _activity(doc: Document) -> list[audit.AuditEntry]:
    """The newest entries about `doc`; who downloaded it only for those the policy lets see that."""
    stmt = select(audit.AuditEntry).where(audit.AuditEntry.target_type == "document",
                                          audit.AuditEntry.target_id == str(doc.id))
    if not can(current_user, "documents.downloads"):
        stmt = stmt.where(audit.AuditEntry.action != "document.downloaded")
    return db.session.execute(stmt.order_by(audit.AuditEntry.id.desc()).limit(ACTIVITY_SHOWN)).scalars().all()


# Everything the document's page shows, in a fixed number of queries however many versions it has.
DETAIL_OPTIONS = (
    joinedload(Document.org), joinedload(Document.body), joinedload(Document.access_body),
    joinedload(Document.meeting).joinedload(Meeting.body),
    joinedload(Document.uploader), selectinload(Document.tags),
    selectinload(Document.versions).options(defer(DocumentVersion.text),
                                            joinedload(DocumentVersion.uploaded_by)),
)


@bp.get("/<int:doc_id>")
@guard("documents.view")
def detail(doc_id: int, comment_form: CommentForm | None = None, version_form: VersionForm | None = None):
    doc = _load(doc_id, options=DETAIL_OPTIONS)
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
    doc = _load(doc_id)
    return render_template("documents/audience.html", doc=doc, audience=access.audience(doc),
                           why=access.reason(current_user, doc), level=access.describe_level(doc))


@bp.route("/<int:doc_id>/edit", methods=["GET", "POST"])
@guard("documents.edit")
def edit(doc_id: int):
    doc = _load(doc_id, "documents.edit")
    form = DetailsForm(obj=None if request.method == "POST" else doc)
    fill_choices(form, current_user, doc)
    refused = None
    meeting_choices(form, current_user, keep=doc.meeting)
    if request.method == "GET":
        form.org.data = doc.org.code
        form.body.data = doc.body.code if doc.body else ""
        form.meeting.data = str(doc.meeting_id or "")
        form.tags.data = ", ".join(doc.tag_names)
    if form.validate_on_submit():
        try:
            details = _details(form, doc)
            if not details.title:
                raise services.DocumentError("A title is required.", "title")
            services.update_details(current_user, doc, details)
            db.session.commit()
        except services.DocumentError as err:
            db.session.rollback()
            _field_error(form, err)
        except PermissionDenied as err:
            refused = _refused_here(err)
        else:
            flash("Details saved.", "success")
            return redirect(url_for(".detail", doc_id=doc.id))
    return render_template("documents/edit.html", doc=doc, form=form), refused or (400 if form.errors else 200)


@bp.route("/<int:doc_id>/access", methods=["GET", "POST"])
@guard("documents.edit")
def change_access(doc_id: int):
    doc = _load(doc_id, "documents.edit")
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
            services.set_access(current_user, doc, _access(form))
            db.session.commit()
        except services.DocumentError as err:
            db.session.rollback()
            _field_error(form, err)
        except PermissionDenied as err:
            refused = _refused_here(err)
        else:
            flash("Access changed.", "success")
            return redirect(url_for(".audience", doc_id=doc.id))
    return render_template("documents/access.html", doc=doc, form=form), refused or (400 if form.errors else 200)


@bp.post("/<int:doc_id>/versions")
@guard("documents.edit")
def add_version(doc_id: int):
    doc = _load(doc_id, "documents.edit")
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
            status = _refused_status(err)
        except PermissionDenied as err:
            record_denial(current_user, str(err))
            form.file.errors = [err.message or "You are not allowed to do this."]
            status = 403
        else:
            flash(f"Version {version.number} added.", "success")
            if _wants_upload_json():
                return jsonify({"redirect": url_for(".detail", doc_id=doc.id)})
            return redirect(url_for(".detail", doc_id=doc.id))
    if _wants_upload_json():
        errors = {name: f.errors for name, f in form._fields.items() if f.errors}
        return jsonify({"errors": errors}), status if status in (403, 413, 503, 507) else 422
    db.session.refresh(doc)
    return detail(doc.id, version_form=form), status


@bp.post("/<int:doc_id>/versions/<int:number>/restore")
@guard("documents.edit")
def restore_version(doc_id: int, number: int):
    doc = _load(doc_id, "documents.edit")
    old = _version(doc, number)
    if ActionForm().validate_on_submit():
        try:
            with services.committing():
                version = services.restore_version(current_user, doc, old)
        except services.DocumentError as err:  # e.g. the size limit was lowered since that version was shared
            flash(f"Version {number} could not be restored: {err}", "error")
        except PermissionDenied as err:
            _refused_here(err)
        else:
            flash(f"Version {number} restored as version {version.number}.", "success")
    return redirect(url_for(".detail", doc_id=doc.id))


@bp.get("/<int:doc_id>/download")
@guard("documents.view")
def download(doc_id: int):
    doc = _load(doc_id)
    if doc.current is None:
        abort(404)
    return send(doc.current, current_user, "page")


@bp.get("/<int:doc_id>/versions/<int:number>/download")
@guard("documents.view")
def download_version(doc_id: int, number: int):
    return send(_version(_load(doc_id), number), current_user, "page")


@bp.get("/<int:doc_id>/versions/<int:number>/preview")
@guard("documents.view")
def preview(doc_id: int, number: int):
    version = _version(_load(doc_id), number)
    if not previewable(version):
        abort(404)
    return send(version, current_user, "preview", inline=True)


@bp.post("/<int:doc_id>/comments")
@guard("documents.comment")
def comment(doc_id: int):
    doc = _load(doc_id, "documents.comment")
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


@bp.post("/<int:doc_id>/delete")
@guard("documents.delete")
def delete(doc_id: int):
    doc = _load(doc_id, "documents.delete")
    if ActionForm().validate_on_submit():
        services.trash(current_user, doc)
        db.session.commit()
        flash(f"“{doc.title}” moved to the trash. ASEC can restore it.", "success")
    return redirect(url_for(".index"))


@bp.get("/trash")
@guard("documents.trash")
def trash():
    page = queries.page_of(current_user, queries.Filters(trash=True, sort="updated"), _page_arg(), 20, uploader=False)
    return render_template("documents/trash.html", page=page, action=ActionForm())


@bp.post("/<int:doc_id>/restore")
@guard("documents.trash")
def restore(doc_id: int):
    doc = _load(doc_id, "documents.trash")
    if ActionForm().validate_on_submit():
        try:
            services.restore(current_user, doc)
            db.session.commit()
            flash(f"“{doc.title}” restored.", "success")
        except services.DocumentError as err:
            flash(str(err), "error")
    return redirect(url_for(".trash"))


@bp.post("/<int:doc_id>/purge")
@guard("documents.purge")
def purge(doc_id: int):
    doc = _load(doc_id, "documents.purge")
    if ActionForm().validate_on_submit():
        title = doc.title
        try:
            keys = services.purge(current_user, doc)
            db.session.commit()
        except services.DocumentError as err:
            db.session.rollback()
            flash(str(err), "error")
        else:
            for key in keys:  # files go only after their rows are gone for good
                storage().delete(key)
            flash(f"“{title}” deleted for good.", "success")
    return redirect(url_for(".trash"))


ACTIVITY_LABELS = {
    "document.uploaded": "shared the document", "document.version_added": "uploaded a new version",
    "document.version_restored": "restored an older version", "document.updated": "changed the details",
    "document.access_changed": "changed who may see it", "document.commented": "commented",
    "document.trashed": "moved it to the trash", "document.restored": "restored it from the trash",
}


@bp.app_template_filter("filesize")
def filesize(n: int | None) -> str:
    size = float(n or 0)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


@bp.app_template_filter("access_label")
def access_label(level: str, doc: Document | None = None) -> str:
    return access.describe_level(doc) if doc is not None else level


@bp.app_template_filter("activity_label")
def activity_label(action: str) -> str:
    return ACTIVITY_LABELS.get(action, action)


DOWNLOAD_LABELS = {"page": "downloaded version {}", "api": "downloaded version {} through the API",
                   "preview": "previewed version {}"}


@bp.app_template_filter("activity_text")
def activity_text(entry: audit.AuditEntry) -> str:
    """What an activity entry says happened; a download names its version and how it was fetched."""
    if entry.action != "document.downloaded":
        return activity_label(entry.action)
    details = json.loads(entry.details)
    return DOWNLOAD_LABELS.get(details.get("via"), "downloaded version {}").format(details.get("version", "?"))
