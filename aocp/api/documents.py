"""API endpoints for documents: list and search, upload, details, versions, downloads, access, trash.

The same services and policy as the pages. A document the caller may not open answers 404 on
every route (its existence is not revealed, and the refusal is audited); one they may open but
not change answers 403. Uploads are multipart/form-data with one file per request.
"""
from __future__ import annotations

import re
from collections import defaultdict
from functools import wraps

from flask import current_app, g, request, url_for
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import defer, joinedload

from aocp.accounts.models import User
from aocp.api import bp
from aocp.http import json_body
from aocp.api.auth import api_guard
from aocp.documents import access, queries, services
from aocp.documents.downloads import send
from aocp.documents.filecheck import clean_name
from aocp.documents.models import ACCESS_LEVELS, Document, DocumentGrant, DocumentVersion
from aocp.documents.storage import TooLarge
from aocp.extensions import db
from aocp.meetings.models import Meeting
from aocp.orgs.models import Body, Organisation
from aocp.policy import PermissionDenied, can, record_denial
from aocp.http import json_error

MAX_PAGE = 100_000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
# Room in an upload request for the form fields and multipart framing besides the file itself.
FORM_OVERHEAD = 1024 * 1024
AUDIENCE_LIMIT = 500

# Text fields: no control characters at all; long texts may hold tabs and line breaks.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LONG_TEXTS = {"description", "note"}

UPLOAD_FIELDS = {"title", "description", "type", "language", "org", "body", "meeting_id", "action_line", "tags",
                 "access", "access_body", "access_orgs", "access_people", "note"}
REPEATABLE = {"tags", "access_orgs", "access_people"}  # repeated parts or one comma-separated value
DETAIL_FIELDS = {"title", "description", "type", "language", "org", "body", "meeting_id", "action_line", "tags"}
ACCESS_FIELDS = {"level", "body", "orgs", "people"}
# The services' field names, as the API spells them.
SERVICE_FIELDS = {"doc_type": "type", "access_level": "access", "files": "file", "meeting": "meeting_id"}
ACCESS_SERVICE_FIELDS = {"access_level": "level", "access_body": "body", "access_orgs": "orgs",
                         "access_people": "people"}


class Invalid(Exception):
    """Input the API refuses with 422; `fields` maps each field to what is wrong with it."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("invalid input")
        self.fields = fields


# --- JSON shapes ----------------------------------------------------------------------

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


def _versions(doc: Document) -> list[DocumentVersion]:
    """The document's versions, newest first, without their (large) extracted text."""
    return list(db.session.execute(
        select(DocumentVersion).where(DocumentVersion.document_id == doc.id)
        .options(defer(DocumentVersion.text), joinedload(DocumentVersion.uploaded_by))
        .order_by(DocumentVersion.number.desc())).scalars())


def full_json(doc: Document, user: User) -> dict:
    """A document as GET /documents/<id> shows it: with every version and why the caller may open it."""
    versions = _versions(doc)
    data = document_json(doc, doc.grants, versions[0] if versions else None)
    data.update(versions=[version_json(doc.id, v, full=True) for v in versions],
                why=access.reason(user, doc), can_edit=can(user, "documents.edit", doc))
    return data


def plain_snippet(snippet: Markup | None) -> str | None:
    """The search extract as plain text: the <mark> elements removed and the escaping undone."""
    if snippet is None:
        return None
    return Markup(str(snippet).replace("<mark>", "").replace("</mark>", "")).unescape()


# --- input ----------------------------------------------------------------------------

def _whole_number(raw: str | None) -> int | None:
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        return None
    return int(raw)


def _bad_request(message: str, fields: dict[str, str] | None = None):
    return json_error(400, message, "bad_request", **({"fields": fields} if fields else {}))


def _invalid(fields: dict[str, str]):
    return json_error(422, "Some fields are not valid.", "validation_error", fields=fields)


def _text(name: str, value, required: bool = False) -> str:
    if not isinstance(value, str):
        raise Invalid({name: "Text expected."})
    if (CONTROL_IN_TEXT if name in LONG_TEXTS else CONTROL).search(value):
        raise Invalid({name: "No control characters."})
    if required and not value.strip():
        raise Invalid({name: "Required."})
    return value


def _items(name: str, value) -> list[str]:
    """A list of strings, or one comma-separated string, as a list of non-empty trimmed items."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        raise Invalid({name: "A list of values, or one comma-separated text."})
    items = [str(v).strip() for v in value]
    for item in items:
        _text(name, item)
    if len(items) > 200:
        raise Invalid({name: "At most 200 values."})
    return [i for i in items if i]


def _code(value: str) -> str:
    return value.strip().upper()


def _org(name: str, code: str) -> Organisation:
    code = _code(code)
    org = db.session.execute(select(Organisation).where(Organisation.code == code)).scalar_one_or_none() \
        if code.isascii() and code.isalnum() and len(code) <= 16 else None
    if org is None:
        raise Invalid({name: "Unknown organisation code."})
    return org


def _body(name: str, code: str | None) -> Body | None:
    if code is None or not code.strip():
        return None
    code = _code(code)
    b = db.session.execute(select(Body).where(Body.code == code)).scalar_one_or_none() \
        if code.isascii() and code.isalnum() and len(code) <= 16 else None
    if b is None:
        raise Invalid({name: "Unknown body code."})
    return b


def _meeting(value) -> Meeting | None:
    """A meeting by id (a number, or its digits as text), which the caller may see; None or "" for none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = _whole_number(str(value).strip()) if isinstance(value, (int, str)) and not isinstance(value, bool) \
        else None
    meeting = db.session.get(Meeting, number) if number is not None else None
    if meeting is None or not can(g.api_user, "workspaces.view", meeting):
        raise Invalid({"meeting_id": "No meeting with that id that you may see."})
    return meeting


def _orgs(name: str, codes: list[str]) -> list[Organisation]:
    return list({o.id: o for o in (_org(name, c) for c in codes)}.values())


def _people(name: str, refs: list[str]) -> list[User]:
    """People named by id or email; every one must exist."""
    ids = {int(r) for r in refs if r.isascii() and r.isdigit() and len(r) <= 9}
    emails = {r.lower() for r in refs if not (r.isascii() and r.isdigit())}
    bad_ids = [r for r in refs if r.isascii() and r.isdigit() and len(r) > 9]
    people = list(db.session.execute(select(User).where(User.id.in_(ids))).scalars()) if ids else []
    people += list(db.session.execute(select(User).where(User.email.in_(emails))).scalars()) if emails else []
    missing = [str(i) for i in sorted(ids - {p.id for p in people})] + sorted(emails - {p.email for p in people})
    if missing or bad_ids:
        raise Invalid({name: f"No account {(missing + bad_ids)[0][:254]!r}."})
    return list({p.id: p for p in people}.values())


def _access_input(level, body_code, org_codes, people_refs, fields: dict[str, str],
                  default_body: Body | None = None) -> services.Access:
    """Who may see a document, from the API's names (`fields` maps each part to the name the caller used)."""
    level = _text(fields["level"], level, required=True).strip()
    if level not in ACCESS_LEVELS:
        raise Invalid({fields["level"]: f"One of {', '.join(ACCESS_LEVELS)}."})
    body = _body(fields["body"], _text(fields["body"], body_code) if body_code is not None else None)
    orgs = _orgs(fields["orgs"], _items(fields["orgs"], org_codes)) if org_codes is not None else []
    people = _people(fields["people"], _items(fields["people"], people_refs)) if people_refs is not None else []
    if level == "body" and body is None:
        body = default_body
    return services.Access(level, body, orgs, people)


def _form_values() -> dict[str, str]:
    """The text fields of a multipart upload; repeated values only where a list is meant."""
    unknown = sorted(set(request.form) - UPLOAD_FIELDS) + sorted(set(request.files) - {"file"})
    if unknown:
        raise Invalid({name[:64]: "Unknown field." for name in unknown[:20]})
    values = {}
    for name in request.form:
        parts = request.form.getlist(name)
        if len(parts) > 1 and name not in REPEATABLE:
            raise Invalid({name: "Send this field once."})
        for part in parts:
            _text(name, part)
        values[name] = ",".join(parts) if name in REPEATABLE else parts[0]
    return values


def _one_file(required_name: str = "file"):
    """The one file part of a multipart request."""
    files = [f for f in request.files.getlist("file") if f and f.filename]
    if not files:
        raise Invalid({required_name: "Attach the file as a multipart/form-data part named 'file'."})
    if len(files) > 1:
        raise Invalid({required_name: "Send one file per request."})
    return files[0]


def _allow_upload_size() -> None:
    """Let an upload request carry one file of up to MAX_FILE_SIZE (the API's JSON limit is far smaller)."""
    request.max_content_length = current_app.config["MAX_FILE_SIZE"] + FORM_OVERHEAD


def _require_multipart():
    if request.mimetype != "multipart/form-data":
        return _bad_request("Send the file as multipart/form-data.")
    return None


def _service_error(err: services.DocumentError):
    """A service's refusal: 413 when a file was too large, 507/503 when it could not be stored, else 422."""
    field = SERVICE_FIELDS.get(err.field or "", err.field or "document")
    if isinstance(err, services.StorageUnavailable):
        return json_error(err.status, str(err), "storage_unavailable")
    if isinstance(err.__context__, TooLarge):
        return json_error(413, str(err), "too_large", fields={field: str(err)})
    return _invalid({field: str(err)})


def _denied(rule: str, message: str = ""):
    record_denial(g.api_user, rule)
    return json_error(403, message or "You are not allowed to do this.", "forbidden")


# --- loading with the policy -------------------------------------------------------------

class _Refused(Exception):
    def __init__(self, response):
        super().__init__("refused")
        self.response = response


def _load(doc_id: int, rule: str = "documents.view") -> Document:
    """The document if the caller may open it (else 404, audited) and may do `rule` on it (else 403)."""
    user = g.api_user
    doc = db.session.get(Document, doc_id)
    if doc is None:
        raise _Refused(json_error(404, "There is no such document, or you may not open it.", "not_found"))
    if not can(user, "documents.view", doc):
        record_denial(user, "documents.view")
        raise _Refused(json_error(404, "There is no such document, or you may not open it.", "not_found"))
    if rule != "documents.view" and not can(user, rule, doc):
        raise _Refused(_denied(rule))
    return doc


def _handled(view):
    """Turn the refusals raised while handling a request into their JSON answers."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except _Refused as refused:
            return refused.response
        except Invalid as err:
            db.session.rollback()
            return _invalid(err.fields)
        except services.DocumentError as err:
            db.session.rollback()
            return _service_error(err)
        except PermissionDenied as err:
            return _denied(str(err) if str(err) else "service", err.message)
    return wrapped


# --- list and search ---------------------------------------------------------------------

def _grants_of(doc_ids: list[int]) -> dict[int, list[DocumentGrant]]:
    grouped = defaultdict(list)
    if doc_ids:
        rows = db.session.execute(select(DocumentGrant).where(DocumentGrant.document_id.in_(doc_ids))
                                  .options(joinedload(DocumentGrant.org),
                                           joinedload(DocumentGrant.user))
                                  .order_by(DocumentGrant.id)).scalars()
        for gr in rows:
            grouped[gr.document_id].append(gr)
    return grouped


@bp.get("/documents")
@api_guard("documents.view")
def list_documents():
    page = _whole_number(request.args.get("page", "1"))
    per_page = _whole_number(request.args.get("per_page", str(DEFAULT_PER_PAGE)))
    if page is None or not 1 <= page <= MAX_PAGE:
        return _bad_request(f"page must be a whole number from 1 to {MAX_PAGE}.",
                            {"page": f"A whole number from 1 to {MAX_PAGE}."})
    if per_page is None or not 1 <= per_page <= MAX_PER_PAGE:
        return _bad_request(f"per_page must be a whole number from 1 to {MAX_PER_PAGE}.",
                            {"per_page": f"A whole number from 1 to {MAX_PER_PAGE}."})
    try:
        filters = queries.Filters.from_args(request.args)
    except queries.FilterError as err:
        return _bad_request(str(err), {err.field: str(err)})
    result = queries.page_of(g.api_user, filters, page, per_page)
    grants = _grants_of([d.id for d in result.items])
    items = []
    for doc in result.items:
        item = document_json(doc, grants.get(doc.id, []), doc.current, result.tags[doc.id])
        if filters.q:
            item["snippet"] = plain_snippet(result.snippets.get(doc.id))
        items.append(item)
    return {"items": items, "page": page, "per_page": per_page, "total": result.total, "pages": result.pages}


# --- upload --------------------------------------------------------------------------------

@bp.post("/documents")
@api_guard("documents.upload")
@_handled
def create_document():
    _allow_upload_size()
    if (refused := _require_multipart()) is not None:
        return refused
    values = _form_values()
    upload = _one_file()
    user = g.api_user
    name = clean_name(upload.filename)
    stem = name.rpartition(".")[0] if "." in name else name
    title = values.get("title", "").strip() or stem
    org = _org("org", values["org"]) if values.get("org", "").strip() else user.org
    body = _body("body", values.get("body"))
    details = services.Details(title=title, org=org, description=values.get("description", ""),
                               doc_type=values.get("type", "") or "other",
                               language=values.get("language", "") or "en", body=body,
                               action_line=values.get("action_line", ""),
                               tags=services.parse_tags(values.get("tags", "")),
                               meeting=_meeting(values.get("meeting_id")))
    level = values.get("access", "").strip() or (body.default_access if body else "asean")
    access_ = _access_input(level, values.get("access_body"), values.get("access_orgs"),
                            values.get("access_people"),
                            {"level": "access", "body": "access_body", "orgs": "access_orgs",
                             "people": "access_people"}, default_body=body)
    with services.committing():
        doc = services.create(user, services.Upload(upload.stream, upload.filename), details, access_,
                              values.get("note", ""))
    response = full_json(doc, user)
    return response, 201, {"Location": response["url"]}


# --- one document --------------------------------------------------------------------------

@bp.get("/documents/<int:doc_id>")
@api_guard("documents.view")
@_handled
def get_document(doc_id: int):
    return full_json(_load(doc_id), g.api_user)


@bp.patch("/documents/<int:doc_id>")
@api_guard("documents.edit")
@_handled
def update_document(doc_id: int):
    doc = _load(doc_id, "documents.edit")
    data = json_body()
    unknown = sorted(set(data) - DETAIL_FIELDS)
    if unknown:
        raise Invalid({str(k)[:64]: "Unknown field." for k in unknown[:20]})
    title = _text("title", data["title"], required=True) if "title" in data else doc.title
    description = _text("description", data["description"]) if "description" in data else doc.description
    doc_type = _text("type", data["type"], required=True) if "type" in data else doc.doc_type
    language = _text("language", data["language"], required=True) if "language" in data else doc.language
    org = _org("org", _text("org", data["org"], required=True)) if "org" in data else doc.org
    if "body" in data:
        body = _body("body", _text("body", data["body"]) if data["body"] is not None else None)
    else:
        body = doc.body
    action_line = _text("action_line", data["action_line"]) if "action_line" in data else doc.action_line
    tags = services.parse_tags(_items("tags", data["tags"])) if "tags" in data else doc.tag_names
    meeting = _meeting(data["meeting_id"]) if "meeting_id" in data else doc.meeting
    details = services.Details(title=title, org=org, description=description, doc_type=doc_type,
                               language=language, body=body, action_line=action_line, tags=tags, meeting=meeting)
    with services.committing():
        services.update_details(g.api_user, doc, details)
    return full_json(doc, g.api_user)


@bp.delete("/documents/<int:doc_id>")
@api_guard("documents.delete")
@_handled
def delete_document(doc_id: int):
    doc = _load(doc_id, "documents.delete")
    if doc.deleted_at is None:  # already in the trash (only ASEC still sees it): nothing to do
        with services.committing():
            services.trash(g.api_user, doc)
    return "", 204


# --- versions and downloads -------------------------------------------------------------------

@bp.get("/documents/<int:doc_id>/versions")
@api_guard("documents.view")
@_handled
def list_versions(doc_id: int):
    doc = _load(doc_id)
    return {"items": [version_json(doc.id, v, full=True) for v in _versions(doc)]}


@bp.post("/documents/<int:doc_id>/versions")
@api_guard("documents.edit")
@_handled
def add_version(doc_id: int):
    doc = _load(doc_id, "documents.edit")
    _allow_upload_size()
    if (refused := _require_multipart()) is not None:
        return refused
    unknown = sorted(set(request.form) - {"note"}) + sorted(set(request.files) - {"file"})
    if unknown:
        raise Invalid({name[:64]: "Unknown field." for name in unknown[:20]})
    if len(request.form.getlist("note")) > 1:
        raise Invalid({"note": "Send this field once."})
    note = _text("note", request.form.get("note", ""))
    upload = _one_file()
    with services.committing():
        version = services.add_version(g.api_user, doc, services.Upload(upload.stream, upload.filename), note)
    data = version_json(doc.id, version, full=True)
    return data, 201, {"Location": data["download_url"]}


def _version(doc: Document, number: int | None) -> DocumentVersion:
    stmt = select(DocumentVersion).where(DocumentVersion.document_id == doc.id).options(defer(DocumentVersion.text))
    if number is None:
        stmt = stmt.where(DocumentVersion.number == select(func.max(DocumentVersion.number))
                          .where(DocumentVersion.document_id == doc.id).scalar_subquery())
    else:
        stmt = stmt.where(DocumentVersion.number == number)
    version = db.session.execute(stmt).scalar_one_or_none()
    if version is None:
        raise _Refused(json_error(404, "This document has no such version.", "not_found"))
    return version


@bp.get("/documents/<int:doc_id>/download")
@api_guard("documents.view")
@_handled
def download_document(doc_id: int):
    return send(_version(_load(doc_id), None), g.api_user, "api")


@bp.get("/documents/<int:doc_id>/versions/<int:number>/download")
@api_guard("documents.view")
@_handled
def download_version(doc_id: int, number: int):
    return send(_version(_load(doc_id), number), g.api_user, "api")


# --- who may see it ---------------------------------------------------------------------------

def _audience_json(doc: Document, user: User) -> dict:
    seen = access.audience(doc, limit=AUDIENCE_LIMIT + 1)
    people = seen.people[:AUDIENCE_LIMIT]
    return {"access": access_json(doc, doc.grants), "why": access.reason(user, doc), "groups": seen.groups,
            "people": [{"id": p.id, "name": p.name, "org": p.org.code, "role": p.role, "reason": why}
                       for p, why in people],
            "people_truncated": len(seen.people) > AUDIENCE_LIMIT}


@bp.get("/documents/<int:doc_id>/access")
@api_guard("documents.view")
@_handled
def get_access(doc_id: int):
    return _audience_json(_load(doc_id), g.api_user)


@bp.put("/documents/<int:doc_id>/access")
@api_guard("documents.edit")
@_handled
def set_access(doc_id: int):
    doc = _load(doc_id, "documents.edit")
    data = json_body()
    unknown = sorted(set(data) - ACCESS_FIELDS)
    if unknown:
        raise Invalid({str(k)[:64]: "Unknown field." for k in unknown[:20]})
    if "level" not in data:
        raise Invalid({"level": "Required."})
    access_ = _access_input(data["level"], data.get("body"), data.get("orgs"), data.get("people"),
                            {"level": "level", "body": "body", "orgs": "orgs", "people": "people"})
    try:
        with services.committing():
            services.set_access(g.api_user, doc, access_)
    except services.DocumentError as err:  # the services name the upload form's fields
        raise services.DocumentError(str(err), ACCESS_SERVICE_FIELDS.get(err.field or "", err.field)) from None
    db.session.refresh(doc)
    return _audience_json(doc, g.api_user)
