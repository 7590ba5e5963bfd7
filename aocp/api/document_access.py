"""API endpoints for who may see a document: read it, change it."""
from __future__ import annotations

from flask import g

from aocp.api import bp
from aocp.api.auth import api_guard
from aocp.api.document_input import access_input, answers_document_errors
from aocp.api.document_json import audience_json
from aocp.documents import services
from aocp.documents.loading import load_document
from aocp.extensions import db
from aocp.http import Fields, json_body

ACCESS_FIELDS = {"level", "body", "orgs", "people"}
# The services name the upload form's fields; this endpoint's are shorter.
ACCESS_SERVICE_FIELDS = {"access_level": "level", "access_body": "body", "access_orgs": "orgs",
                         "access_people": "people"}


@bp.get("/documents/<int:doc_id>/access")
@api_guard("documents.view")
def get_access(doc_id: int):
    return audience_json(load_document(doc_id), g.api_user)


@bp.put("/documents/<int:doc_id>/access")
@api_guard("documents.edit")
@answers_document_errors(ACCESS_SERVICE_FIELDS)
def set_access(doc_id: int):
    doc = load_document(doc_id, "documents.edit")
    data = json_body()
    Fields(data, ACCESS_FIELDS, required=("level",)).check()
    access_ = access_input(data["level"], data.get("body"), data.get("orgs"), data.get("people"),
                           {name: name for name in ACCESS_FIELDS})
    with services.committing():
        services.set_access(g.api_user, doc, access_)
    db.session.refresh(doc)
    return audience_json(doc, g.api_user)
