"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json (a test keeps it in step with the routes)."""
from __future__ import annotations

from aocp.accounts.models import USER_STATUSES
from aocp.api import bp
from aocp.policy import public


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: dict, status: str = "200", description: str = "OK") -> dict:
    return {status: {"description": description, "content": {"application/json": {"schema": schema}}}}


def _errors(*codes: int) -> dict:
    text = {400: "Bad request", 401: "Missing or invalid token", 403: "Not allowed or insufficient scope",
            404: "Not found", 409: "Conflict", 422: "Validation error"}
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": _ref("Error")}}}
            for c in codes}


def _op(summary: str, rule: str, responses: dict, *, params=(), body: str | None = None, write=False) -> dict:
    note = " Needs a write-scope token." if write else ""
    op = {"summary": summary, "description": f"Policy rule: `{rule}`.{note}",
          "responses": {**responses, **_errors(401, 403)}, "security": [{"bearer": []}]}
    if params:
        op["parameters"] = list(params)
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return op


def _q(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _p(name: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


PAGING = (_q("page", {"type": "integer", "minimum": 1}), _q("per_page", {"type": "integer", "minimum": 1,
                                                                          "maximum": 200}))


def _page_of(name: str) -> dict:
    return {"type": "object", "required": ["items", "page", "per_page", "total", "pages"], "properties": {
        "items": {"type": "array", "items": _ref(name)}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "total": {"type": "integer"}, "pages": {"type": "integer"}}}


def _list_of(name: str) -> dict:
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(name)}}}


STR = {"type": "string"}
ROLE = {"type": "string", "enum": ["asec_admin", "asec_staff", "focal_person", "delegate", "observer"]}
BODY_ROLE = {"type": "string", "enum": ["chair", "vice_chair", "member", "observer"]}

SCHEMAS = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["status", "code", "message"], "properties": {
            "status": {"type": "integer"}, "code": STR, "message": STR,
            "fields": {"type": "object", "additionalProperties": STR},
            "current": {"type": "object", "description": "On a 409 when saving minutes: the minutes as they are "
                                                        "now (see Minutes)"}}}}},
    "Organisation": {"type": "object", "properties": {"code": STR, "name": STR, "kind": STR,
                                                      "is_asean": {"type": "boolean"},
                                                      "require_mfa": {"type": "boolean"}}},
    "Body": {"type": "object", "properties": {"code": STR, "short_name": STR, "name": STR, "description": STR,
                                              "parent": {"type": "string", "nullable": True}}},
    "Membership": {"type": "object", "properties": {"id": {"type": "integer"}, "user_id": {"type": "integer"},
                                                    "email": STR, "body": STR, "role": BODY_ROLE}},
    "BodyWithMembers": {"allOf": [_ref("Body"), {"type": "object", "required": ["members_visible"], "properties": {
        "members_visible": {"type": "boolean", "description": "Whether the caller may see who belongs to the body "
                                                              "(`bodies.members`: its own members and ASEC)"},
        "members": {"type": "array", "items": _ref("Membership"),
                    "description": "Only when members_visible; left out for everyone else, who see the body's "
                                   "name and description only"}}}]},
    "User": {"type": "object", "properties": {
        "id": {"type": "integer"}, "email": STR, "name": STR, "organisation": STR, "role": ROLE,
        "status": {"type": "string", "enum": list(USER_STATUSES)}, "mfa_enabled": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
        "last_login_at": {"type": "string", "format": "date-time", "nullable": True},
        "memberships": {"type": "array", "items": {"type": "object", "properties": {"body": STR,
                                                                                     "role": BODY_ROLE}}},
        "token_scope": {"type": "string", "enum": ["read", "write"]}}},
    "UserUpdate": {"type": "object", "additionalProperties": False, "properties": {
        "name": STR, "role": ROLE, "organisation": STR, "status": {"type": "string",
                                                                   "enum": ["active", "deactivated"]}}},
    "InvitationCreate": {"type": "object", "required": ["email", "name", "organisation", "role"], "properties": {
        "email": {"type": "string", "format": "email"}, "name": STR, "organisation": STR, "role": ROLE,
        "bodies": {"type": "array", "items": STR}}},
    "Invitation": {"type": "object", "properties": {"id": {"type": "integer"}, "email": STR, "status": STR,
                                                    "role": ROLE, "organisation": STR,
                                                    "bodies": {"type": "array", "items": STR}}},
    "MembershipCreate": {"type": "object", "required": ["user_id", "body"], "properties": {
        "user_id": {"type": "integer"}, "body": STR, "role": BODY_ROLE}},
}

PATHS = {
    "/me": {"get": _op("The caller's own account", "profile.manage", _ok(_ref("User")))},
    "/organisations": {"get": _op("List organisations", "orgs.view", _ok(_list_of("Organisation")))},
    "/organisations/{code}": {"get": _op("One organisation", "orgs.view",
                                         {**_ok(_ref("Organisation")), **_errors(404)}, params=[_p("code", STR)])},
    "/bodies": {"get": _op("List bodies", "bodies.view", _ok(_list_of("Body")))},
    "/bodies/{code}": {"get": _op("One body; with its members (and their emails) only for the body's own members "
                                  "and ASEC (rule `bodies.members`)", "bodies.view",
                                  {**_ok(_ref("BodyWithMembers")), **_errors(404)}, params=[_p("code", STR)])},
    "/users": {"get": _op("List people (administrators)", "users.view", {**_ok(_page_of("User")), **_errors(400)},
                          params=[_q("q", STR, "Name or email contains"), _q("organisation", STR), _q("role", ROLE),
                                  _q("status", STR), *PAGING])},
    "/users/{user_id}": {
        "get": _op("One person", "users.view", {**_ok(_ref("User")), **_errors(404)},
                   params=[_p("user_id", {"type": "integer"})]),
        "patch": _op("Change a person's name, role, organisation or status", "users.manage",
                     {**_ok(_ref("User")), **_errors(400, 404, 409, 422)}, params=[_p("user_id", {"type": "integer"})],
                     body="UserUpdate", write=True),
    },
    "/invitations": {"post": _op("Invite a person (administrators) or nominate a delegate (focal persons)",
                                 "users.nominate", {**_ok(_ref("Invitation"), "201", "Created"),
                                                    **_errors(400, 409, 422)}, body="InvitationCreate", write=True)},
    "/memberships": {
        "get": _op("List body memberships", "users.view", {**_ok(_page_of("Membership")), **_errors(400)},
                   params=[_q("body", STR), _q("user_id", {"type": "integer"}), *PAGING]),
        "post": _op("Add a person to a body, or change their role in it", "memberships.manage",
                    {**_ok(_ref("Membership"), "201", "Created"), **_errors(400, 422)}, body="MembershipCreate",
                    write=True),
    },
    "/memberships/{membership_id}": {"delete": _op(
        "Remove a membership", "memberships.manage", {"204": {"description": "Removed"}, **_errors(404)},
        params=[_p("membership_id", {"type": "integer"})], write=True)},
    "/openapi.json": {"get": {"summary": "This document", "security": [],
                              "responses": {"200": {"description": "OpenAPI 3 document"}}}},
}


# --- documents (aocp/api/documents.py) ---------------------------------------------------------

_DOC_ID = _p("doc_id", {"type": "integer"})
_NULLABLE_STR = {"type": "string", "nullable": True}
_DOC_TYPE = {"type": "string", "enum": ["meeting_paper", "country_report", "study", "capacity_building",
                                        "template", "other"]}
_ACCESS_LEVEL = {"type": "string", "enum": ["everyone", "asean", "body", "named"]}
_CODES = {"description": "A list of codes, or one comma-separated text",
          "oneOf": [{"type": "array", "items": STR}, STR]}
_DOC_404 = "404 when the document does not exist or the caller may not open it (the refusal is audited)."


def _too_large() -> dict:
    return {"413": {"description": "The file is larger than the per-file limit (MAX_FILE_SIZE)",
                    "content": {"application/json": {"schema": _ref("Error")}}}}


def _multipart(schema: str) -> dict:
    return {"required": True, "content": {"multipart/form-data": {"schema": _ref(schema)}}}


def _file_response(summary: str, params: list) -> dict:
    op = _op(summary, "documents.view", {
        "200": {"description": "The file, as an attachment: Content-Disposition with an ASCII `filename` and the "
                               "original name as RFC 6266 `filename*`; the checked content type; ETag (the "
                               "SHA-256); `Content-Security-Policy: default-src 'none'; sandbox`",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
        "206": {"description": "The requested byte range (send `Range: bytes=start-end`)"},
        "304": {"description": "Not modified (If-None-Match with the ETag)"},
        **_errors(404)}, params=params)
    return op


SCHEMAS.update({
    "DocumentPerson": {"type": "object", "properties": {"id": {"type": "integer"}, "name": STR, "org": STR}},
    "DocumentVersion": {"type": "object", "properties": {
        "number": {"type": "integer"}, "name": {"type": "string", "description": "The original file name"},
        "content_type": STR, "size": {"type": "integer"}, "sha256": STR,
        "created_at": {"type": "string", "format": "date-time"}, "download_url": STR,
        "note": {"type": "string", "description": "Not in list items"},
        "uploaded_by": {"allOf": [_ref("DocumentPerson")], "nullable": True,
                        "description": "Not in list items"}}},
    "DocumentAccess": {"type": "object", "properties": {
        "level": _ACCESS_LEVEL, "body": _NULLABLE_STR, "description": STR,
        "orgs": {"type": "array", "items": STR},
        "people": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"},
                                                                                "name": STR}}}}},
    "Document": {"type": "object", "properties": {
        "id": {"type": "integer"}, "title": STR, "description": STR, "type": _DOC_TYPE, "language": STR,
        "org": STR, "body": _NULLABLE_STR, "action_line": STR, "meeting_id": {"type": "integer", "nullable": True},
        "tags": {"type": "array", "items": STR}, "access": _ref("DocumentAccess"),
        "uploader": {"allOf": [_ref("DocumentPerson")], "nullable": True},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "deleted_at": {"type": "string", "format": "date-time", "nullable": True},
        "version_count": {"type": "integer"},
        "current_version": {"allOf": [_ref("DocumentVersion")], "nullable": True}, "url": STR,
        "snippet": {"type": "string", "nullable": True,
                    "description": "Only when searching (q): a short extract around the matches as plain text, "
                                   "without markup (the <mark> highlighting of the pages is removed and HTML "
                                   "escaping undone, so escape it before putting it in HTML)."}}},
    "DocumentFull": {"allOf": [_ref("Document"), {"type": "object", "properties": {
        "versions": {"type": "array", "items": _ref("DocumentVersion")},
        "why": {"type": "string", "description": "Why the caller may open the document"},
        "can_edit": {"type": "boolean"}}}]},
    "DocumentPage": {"type": "object", "required": ["items", "page", "per_page", "total", "pages"], "properties": {
        "items": {"type": "array", "items": _ref("Document")}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "total": {"type": "integer"}, "pages": {"type": "integer"}}},
    "DocumentUpload": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "Exactly one file part per request; each request makes one document"},
        "title": {"type": "string", "description": "Default: the file name without its extension"},
        "description": STR, "type": _DOC_TYPE, "language": {"type": "string", "description": "Default en"},
        "org": {"type": "string", "description": "Organisation code; default the caller's organisation. Only "
                                                 "ASEC may name another organisation (else 403)"},
        "body": {"type": "string", "description": "Body code: one of the caller's bodies (ASEC: any; else 403)"},
        "meeting_id": {"type": "integer", "description": "A meeting the paper is for (one you may see); the body "
                                                          "defaults to the meeting's and must match it"},
        "action_line": {"type": "string", "description": "e.g. TI1.1"},
        "tags": {"type": "string", "description": "Comma-separated"},
        "access": {**_ACCESS_LEVEL, "description": "Default: the body's default level when a body is given, "
                                                   "else asean"},
        "access_body": {"type": "string", "description": "Body code for level body (default: body): one of the "
                                                         "caller's bodies (ASEC: any; else 403)"},
        "access_orgs": {"type": "string", "description": "Comma-separated organisation codes (level named)"},
        "access_people": {"type": "string", "description": "Comma-separated user ids or emails (level named)"},
        "note": {"type": "string", "description": "A note for the first version"}}},
    "DocumentUpdate": {"type": "object", "additionalProperties": False, "properties": {
        "title": STR, "description": STR, "type": _DOC_TYPE, "language": STR, "org": STR, "body": _NULLABLE_STR,
        "meeting_id": {"type": "integer", "nullable": True}, "action_line": STR, "tags": _CODES}},
    "VersionUpload": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}, "note": {"type": "string", "description": "What changed"}}},
    "DocumentAudience": {"type": "object", "properties": {
        "access": _ref("DocumentAccess"), "why": STR,
        "groups": {"type": "array", "items": STR, "description": "Who can open it, described in words"},
        "people": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "name": STR, "org": STR, "role": ROLE, "reason": STR}}},
        "people_truncated": {"type": "boolean", "description": "More than the 500 people listed"}}},
    "AccessUpdate": {"type": "object", "required": ["level"], "additionalProperties": False, "properties": {
        "level": _ACCESS_LEVEL, "body": {**_NULLABLE_STR, "description": "Body code, for level body"},
        "orgs": {**_CODES, "description": "Organisation codes, for level named"},
        "people": {"description": "User ids or emails, for level named",
                   "oneOf": [{"type": "array", "items": {"oneOf": [STR, {"type": "integer"}]}}, STR]}}},
})

_upload = _op("Share a new document (multipart/form-data, one file)", "documents.upload",
              {**_ok(_ref("DocumentFull"), "201", "Created"), **_errors(400, 422), **_too_large()}, write=True)
_upload["requestBody"] = _multipart("DocumentUpload")
_new_version = _op("Upload a new version (multipart/form-data: file, note)", "documents.edit",
                   {**_ok(_ref("DocumentVersion"), "201", "Created"), **_errors(400, 404, 422), **_too_large()},
                   params=[_DOC_ID], write=True)
_new_version["requestBody"] = _multipart("VersionUpload")

PATHS.update({
    "/documents": {
        "get": _op("List and search the documents the caller may open", "documents.view",
                   {**_ok(_ref("DocumentPage")), **_errors(400)},
                   params=[_q("q", STR, "Search titles, descriptions, tags and text inside files (PostgreSQL: "
                                        "whole words; SQLite: parts of words of 3+ characters)"),
                           _q("type", _DOC_TYPE), _q("org", STR, "Organisation code"), _q("body", STR, "Body code"),
                           _q("tag", STR), _q("action_line", STR), _q("access", _ACCESS_LEVEL),
                           _q("since", {"type": "string", "format": "date"}, "Updated on or after (YYYY-MM-DD)"),
                           _q("until", {"type": "string", "format": "date"}, "Updated on or before (YYYY-MM-DD)"),
                           _q("sort", {"type": "string", "enum": ["updated", "created", "title", "relevance"]},
                              "Default: relevance when searching, else updated"),
                           _q("page", {"type": "integer", "minimum": 1, "maximum": 100000}),
                           _q("per_page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20})]),
        "post": _upload,
    },
    "/documents/{doc_id}": {
        "get": _op("One document with its versions and why the caller may open it", "documents.view",
                   {**_ok(_ref("DocumentFull")), **_errors(404)}, params=[_DOC_ID]),
        "patch": _op("Change a document's details (only the fields sent)", "documents.edit",
                     {**_ok(_ref("DocumentFull")), **_errors(400, 404, 422)}, params=[_DOC_ID],
                     body="DocumentUpdate", write=True),
        "delete": _op("Move a document to the trash (ASEC can restore it)", "documents.delete",
                      {"204": {"description": "In the trash"}, **_errors(404)}, params=[_DOC_ID], write=True),
    },
    "/documents/{doc_id}/versions": {
        "get": _op("A document's versions, newest first", "documents.view",
                   {**_ok(_list_of("DocumentVersion")), **_errors(404)}, params=[_DOC_ID]),
        "post": _new_version,
    },
    "/documents/{doc_id}/download": {"get": _file_response("Download the newest version", [_DOC_ID])},
    "/documents/{doc_id}/versions/{number}/download": {
        "get": _file_response("Download one version", [_DOC_ID, _p("number", {"type": "integer"})])},
    "/documents/{doc_id}/access": {
        "get": _op("Who can open the document, and why", "documents.view",
                   {**_ok(_ref("DocumentAudience")), **_errors(404)}, params=[_DOC_ID]),
        "put": _op("Change who may open the document (audited)", "documents.edit",
                   {**_ok(_ref("DocumentAudience")), **_errors(400, 404, 422)}, params=[_DOC_ID],
                   body="AccessUpdate", write=True),
    },
})
for _path, _item in PATHS.items():
    if _path.startswith("/documents/{doc_id}"):
        for _operation in _item.values():
            _operation["description"] += " " + _DOC_404


def document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "AOCP API", "version": "1.0",
                 "description": "The AMCAP Online Collaboration Platform. Authenticate with a personal access "
                                "token: `Authorization: Bearer aocp_…`. Errors share one shape (Error)."},
        "servers": [{"url": "/api/v1"}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


@bp.get("/openapi.json")
@public
def openapi_json():
    return document()
