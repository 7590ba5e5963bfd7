"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json (a test keeps it in step with the routes)."""
from __future__ import annotations

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
    op = {"summary": summary, "description": f"Policy rule: `{rule}`." + (" Needs a write-scope token." if write else ""),
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
            "fields": {"type": "object", "additionalProperties": STR}}}}},
    "Organisation": {"type": "object", "properties": {"code": STR, "name": STR, "kind": STR,
                                                      "is_asean": {"type": "boolean"},
                                                      "require_mfa": {"type": "boolean"}}},
    "Body": {"type": "object", "properties": {"code": STR, "short_name": STR, "name": STR, "description": STR,
                                              "parent": {"type": "string", "nullable": True}}},
    "Membership": {"type": "object", "properties": {"id": {"type": "integer"}, "user_id": {"type": "integer"},
                                                    "email": STR, "body": STR, "role": BODY_ROLE}},
    "BodyWithMembers": {"allOf": [_ref("Body"), {"type": "object", "properties": {
        "members": {"type": "array", "items": _ref("Membership")}}}]},
    "User": {"type": "object", "properties": {
        "id": {"type": "integer"}, "email": STR, "name": STR, "organisation": STR, "role": ROLE,
        "status": {"type": "string", "enum": ["active", "deactivated"]}, "mfa_enabled": {"type": "boolean"},
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
    "/bodies/{code}": {"get": _op("One body with its members", "bodies.view",
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
