"""The OpenAPI 3 document at /api/v1/openapi.json, checked against the routes the app really has."""
from __future__ import annotations

import re

import pytest

from tests.api.conftest import bearer

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
PREFIX = "/api/v1"


@pytest.fixture
def doc(client):
    r = client.get(f"{PREFIX}/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    return r.get_json()


def app_operations(app) -> dict[str, set[str]]:
    """{'/users/{user_id}': {'get', 'patch'}, ...} from app.url_map, relative to the API's server URL."""
    ops: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(PREFIX):])
        ops.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    return ops


def operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield path, method, op


def test_the_document_is_served_without_a_token(client):
    r = client.get(f"{PREFIX}/openapi.json")
    assert r.status_code == 200
    assert r.get_json()["openapi"].startswith("3.")


def test_the_document_has_the_openapi_3_shape(doc):
    assert re.fullmatch(r"3\.\d+\.\d+", doc["openapi"])
    assert isinstance(doc["info"]["title"], str) and doc["info"]["title"]
    assert isinstance(doc["info"]["version"], str) and doc["info"]["version"]
    assert isinstance(doc["paths"], dict) and doc["paths"]
    assert all(path.startswith("/") for path in doc["paths"])
    assert doc["servers"] == [{"url": PREFIX}]
    scheme = doc["components"]["securitySchemes"]["bearer"]
    assert scheme == {"type": "http", "scheme": "bearer"}


def test_the_converted_path_of_a_flask_rule_is_as_openapi_writes_it(app):
    # The conversion used below, checked on the rules whose shape we know.
    ops = app_operations(app)
    assert ops["/users/{user_id}"] == {"get", "patch"}
    assert ops["/memberships/{membership_id}"] == {"delete"}
    assert ops["/memberships"] == {"get", "post"}


def test_every_api_route_is_in_the_document_with_the_same_methods(app, doc):
    documented = {path: {m for m in item if m in HTTP_METHODS} for path, item in doc["paths"].items()}
    missing = {path: sorted(methods - documented.get(path, set()))
               for path, methods in app_operations(app).items() if methods - documented.get(path, set())}
    assert not missing, f"routes missing from openapi.json: {missing}"


def test_the_document_has_no_path_or_method_the_app_lacks(app, doc):
    ops = app_operations(app)
    extra = {path: sorted(m for m in item if m in HTTP_METHODS and m not in ops.get(path, set()))
             for path, item in doc["paths"].items()}
    extra = {p: m for p, m in extra.items() if m}
    assert not extra, f"openapi.json describes what the app does not have: {extra}"


def test_every_operation_declares_security_and_responses(doc):
    for path, method, op in operations(doc):
        assert "security" in op, (path, method)
        assert isinstance(op["responses"], dict) and op["responses"], (path, method)
        for status, response in op["responses"].items():
            assert re.fullmatch(r"[1-5]\d\d", status), (path, method, status)
            assert response.get("description"), (path, method, status)


def test_every_protected_operation_needs_the_bearer_token_and_documents_401_and_403(app, doc):
    for path, method, op in operations(doc):
        if path == "/openapi.json":
            assert op["security"] == []
            continue
        assert op["security"] == [{"bearer": []}], (path, method)
        assert {"401", "403"} <= set(op["responses"]), (path, method)
        assert any(s.startswith("2") for s in op["responses"]), (path, method)


def test_each_operation_names_the_policy_rule_its_view_declares(app, doc):
    views = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX + "/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(PREFIX):])
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                views[(path, method.lower())] = app.view_functions[rule.endpoint].policy_rule
    for path, method, op in operations(doc):
        rule = views[(path, method)]
        if rule == "public":
            assert op["security"] == []
        else:
            assert f"`{rule}`" in op["description"], (path, method, rule)


def test_write_operations_say_they_need_write_scope_and_document_their_errors(doc):
    for path, method, op in operations(doc):
        if method in ("post", "patch", "put", "delete"):
            assert "write-scope" in op["description"], (path, method)
            takes_input = op.get("parameters") or "requestBody" in op  # else only 401/403 can refuse it
            assert "404" in op["responses"] or "422" in op["responses"] or not takes_input, (path, method)
        if "requestBody" in op:
            content = op["requestBody"]["content"]  # JSON bodies; multipart/form-data for file uploads
            assert content and set(content) <= {"application/json", "multipart/form-data"}, (path, method)
            assert all(media["schema"] for media in content.values()), (path, method)
            assert {"400", "422"} <= set(op["responses"]), (path, method)


def test_every_path_parameter_is_declared(doc):
    for path, method, op in operations(doc):
        in_path = set(re.findall(r"{([^}]+)}", path))
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert in_path == declared, (path, method)
        for p in op.get("parameters", []):
            assert p["in"] in ("path", "query", "header", "cookie") and "schema" in p, (path, method, p)
            if p["in"] == "path":
                assert p["required"] is True


def test_every_schema_reference_resolves(doc):
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in doc["components"]["schemas"], ref


def test_the_error_schema_matches_the_errors_the_api_sends(client, doc):
    schema = doc["components"]["schemas"]["Error"]
    body = client.get(f"{PREFIX}/me").get_json()
    assert set(body) == set(schema["required"])
    error_schema = schema["properties"]["error"]
    assert set(error_schema["required"]) <= set(body["error"]) <= set(error_schema["properties"])


def _properties(doc, schema) -> set[str]:
    """The property names a schema allows, following $ref and allOf."""
    if "$ref" in schema:
        return _properties(doc, doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names |= _properties(doc, part)
    return names


def test_real_responses_use_only_documented_fields(client, doc, make_user, make_token):
    uid = make_user("asec_admin", mfa_on=True, bodies={"WGTIM": "chair"})
    headers = bearer(make_token(uid))
    checks = [("/me", "get"), ("/organisations/MYS", "get"), ("/bodies/WGTIM", "get"), (f"/users/{uid}", "get")]
    for url, method in checks:
        path = re.sub(r"/(MYS|WGTIM|\d+)$", lambda m: "/{user_id}" if m.group(1).isdigit() else "/{code}", url)
        allowed = _properties(doc, doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]
                              ["schema"])
        data = client.get(PREFIX + url, headers=headers).get_json()
        assert set(data) <= allowed, (url, set(data) - allowed)
    for url in ("/users", "/memberships"):
        schema = doc["paths"][url]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        data = client.get(PREFIX + url, headers=headers).get_json()
        assert set(schema["required"]) <= set(data) <= set(schema["properties"])
