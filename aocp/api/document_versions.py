"""API endpoints for a document's versions: list, upload a new one, download one."""
from __future__ import annotations

from flask import g

from aocp.api import bp
from aocp.api.auth import api_guard
from aocp.api.document_input import answers_document_errors, form_values, multipart_upload, one_file
from aocp.api.document_json import version_json, versions_of
from aocp.documents import services
from aocp.documents.downloads import send
from aocp.documents.loading import load_document, load_version


@bp.get("/documents/<int:doc_id>/versions")
@api_guard("documents.view")
def list_versions(doc_id: int):
    doc = load_document(doc_id)
    return {"items": [version_json(doc.id, v, full=True) for v in versions_of(doc)]}


@bp.post("/documents/<int:doc_id>/versions")
@api_guard("documents.edit")
@answers_document_errors()
def add_version(doc_id: int):
    doc = load_document(doc_id, "documents.edit")
    multipart_upload({"note"})
    note = form_values().get("note", "")
    upload = one_file()
    with services.committing():
        version = services.add_version(g.api_user, doc, services.Upload(upload.stream, upload.filename), note)
    data = version_json(doc.id, version, full=True)
    return data, 201, {"Location": data["download_url"]}


@bp.get("/documents/<int:doc_id>/download")
@api_guard("documents.view")
def download_document(doc_id: int):
    return send(load_version(load_document(doc_id)), g.api_user, "api")


@bp.get("/documents/<int:doc_id>/versions/<int:number>/download")
@api_guard("documents.view")
def download_version(doc_id: int, number: int):
    return send(load_version(load_document(doc_id), number), g.api_user, "api")
