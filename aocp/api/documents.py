"""API endpoints for documents: list and search, upload, details, trash. Versions and downloads are in
document_versions.py, who may see a document in document_access.py.

The same services, policy and loader as the pages. A document the caller may not open answers 404 on
every route (its existence is not revealed, and the refusal is audited); one they may open but
not change answers 403. Uploads are multipart/form-data with one file per request.
"""
from __future__ import annotations

from flask import g, request

from aocp.api import bp
from aocp.api.auth import api_guard
from aocp.api.document_input import (
    access_input,
    answers_document_errors,
    body,
    form_values,
    items,
    meeting,
    multipart_upload,
    one_file,
    org,
)
from aocp.api.document_json import document_json, full_json, grants_of, plain_snippet
from aocp.documents import queries, services, trashing
from aocp.documents.filecheck import clean_name
from aocp.documents.loading import load_document
from aocp.http import Fields, json_body, json_error, whole_number

MAX_PAGE = 100_000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
DETAIL_FIELDS = {"title", "description", "type", "language", "org", "body", "meeting_id", "action_line", "tags"}
UPLOAD_ACCESS_FIELDS = {"level": "access", "body": "access_body", "orgs": "access_orgs", "people": "access_people"}


@bp.get("/documents")
@api_guard("documents.view")
def list_documents():
    page = whole_number(request.args.get("page", "1"))
    per_page = whole_number(request.args.get("per_page", str(DEFAULT_PER_PAGE)))
    for name, value, high in (("page", page, MAX_PAGE), ("per_page", per_page, MAX_PER_PAGE)):
        if value is None or not 1 <= value <= high:
            return json_error(400, f"{name} must be a whole number from 1 to {high}.", "bad_request",
                              fields={name: f"A whole number from 1 to {high}."})
    try:
        filters = queries.Filters.from_args(request.args)
    except queries.FilterError as err:
        return json_error(400, str(err), "bad_request", fields={err.field: str(err)})
    result = queries.page_of(g.api_user, filters, page, per_page)
    grants = grants_of([d.id for d in result.items])
    items = []
    for doc in result.items:
        item = document_json(doc, grants.get(doc.id, []), doc.current, result.tags[doc.id])
        if filters.q:
            item["snippet"] = plain_snippet(result.snippets.get(doc.id))
        items.append(item)
    return {"items": items, "page": page, "per_page": per_page, "total": result.total, "pages": result.pages}


def _upload_details(values: dict[str, str], title: str) -> services.Details:
    chosen = body("body", values.get("body"))
    return services.Details(title=values.get("title", "").strip() or title,
                            org=org("org", values["org"]) if values.get("org", "").strip() else g.api_user.org,
                            description=values.get("description", ""),
                            doc_type=values.get("type", "") or "other", language=values.get("language", "") or "en",
                            body=chosen, action_line=values.get("action_line", ""),
                            tags=services.parse_tags(values.get("tags", "")),
                            meeting=meeting(values.get("meeting_id")))


@bp.post("/documents")
@api_guard("documents.upload")
@answers_document_errors()
def create_document():
    multipart_upload()
    values = form_values()
    upload = one_file()
    name = clean_name(upload.filename)
    details = _upload_details(values, name.rpartition(".")[0] if "." in name else name)
    level = values.get("access", "").strip() or (details.body.default_access if details.body else "asean")
    access_ = access_input(level, values.get("access_body"), values.get("access_orgs"), values.get("access_people"),
                           UPLOAD_ACCESS_FIELDS, default_body=details.body)
    with services.committing():
        doc = services.create(g.api_user, services.Upload(upload.stream, upload.filename), details, access_,
                              values.get("note", ""))
    response = full_json(doc, g.api_user)
    return response, 201, {"Location": response["url"]}


@bp.get("/documents/<int:doc_id>")
@api_guard("documents.view")
def get_document(doc_id: int):
    return full_json(load_document(doc_id), g.api_user)


def _changed_details(doc, data: dict) -> services.Details:
    """The document's details with the fields sent changed (the services check them further)."""
    fields = Fields(data, DETAIL_FIELDS)
    details = services.Details(
        title=fields.text("title", doc.title, required=True),
        description=fields.text("description", doc.description, max_length=10_000, multiline=True, strip=False),
        doc_type=fields.text("type", doc.doc_type, required=True),
        language=fields.text("language", doc.language, required=True),
        action_line=fields.text("action_line", doc.action_line),
        org=doc.org, body=doc.body, tags=doc.tag_names, meeting=doc.meeting)
    org_code = fields.text("org", required=True)
    fields.check()
    if "org" in data:
        details.org = org("org", org_code)
    if "body" in data:
        details.body = body("body", data["body"])
    if "tags" in data:
        details.tags = services.parse_tags(items("tags", data["tags"]))
    if "meeting_id" in data:
        details.meeting = meeting(data["meeting_id"])
    return details


@bp.patch("/documents/<int:doc_id>")
@api_guard("documents.edit")
@answers_document_errors()
def update_document(doc_id: int):
    doc = load_document(doc_id, "documents.edit")
    details = _changed_details(doc, json_body())
    with services.committing():
        services.update_details(g.api_user, doc, details)
    return full_json(doc, g.api_user)


@bp.delete("/documents/<int:doc_id>")
@api_guard("documents.delete")
@answers_document_errors()
def delete_document(doc_id: int):
    doc = load_document(doc_id, "documents.delete")
    if doc.deleted_at is None:  # already in the trash (only ASEC still sees it): nothing to do
        with services.committing():
            trashing.trash(g.api_user, doc)
    return "", 204
