"""Every operation of the OpenAPI document, fuzzed: random and hostile paths, queries and bodies.

Whatever arrives, the API answers below 500, every 4xx is the JSON error shape, and a refused request
changes nothing stored. Strategies are built from the document itself, so a new endpoint is fuzzed as soon
as it is documented (and tests/api/test_openapi.py keeps the document in step with the routes).
"""
from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aocp.accounts import services
from aocp.accounts.models import ApiToken, User
from aocp.extensions import db
from tests.fuzzing import (
    FUZZ_SETTINGS,
    HOSTILE_BODIES,
    ID_TABLES,
    World,
    build_world,
    changed,
    dates,
    deep_json,
    files,
    hostile_text,
    hostile_value,
    snapshot,
)

PREFIX = "/api/v1"
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
HOSTILE_PATH_VALUES = ["0", "-1", "2147483648", "99999999999999999999", "١٢", "𝟙", "1.5", "0x1", " 1", "abc",
                       "\x00", "\ud800", "..", "%2e%2e", "\u202e1"]


@pytest.fixture
def world(app) -> World:
    return build_world(app)


def _url_part(value) -> str:
    # Lone surrogates go out as the bytes they would be, which is invalid UTF-8 in the URL: hostile too.
    return quote(str(value).encode("utf-8", "surrogatepass"), safe="")


def _resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def from_schema(doc: dict, world: World, schema: dict, name: str = "", hostile: bool = False) -> st.SearchStrategy:
    """Values the schema describes (ids and codes of existing objects where a name says so); with hostile,
    any part may instead be a wrong or nasty value and objects carry fields the schema does not know."""
    schema = _resolve(doc, schema)
    kind = schema.get("type")
    if "oneOf" in schema:
        strategy = st.one_of([from_schema(doc, world, s, name, hostile) for s in schema["oneOf"]])
    elif "enum" in schema:
        strategy = st.sampled_from(schema["enum"])
    elif kind == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        strategy = st.fixed_dictionaries(
            {k: from_schema(doc, world, s, k, hostile) for k, s in props.items() if k in required},
            optional={k: from_schema(doc, world, s, k, hostile) for k, s in props.items() if k not in required})
        if hostile:
            strategy = st.tuples(strategy, st.dictionaries(hostile_text(), hostile_value(), max_size=2),
                                 st.sets(st.sampled_from(sorted(required)) if required else st.nothing())
                                 ).map(lambda t: {k: v for k, v in (t[1] | t[0]).items() if k not in t[2]})
    elif kind == "array":
        strategy = st.lists(from_schema(doc, world, schema.get("items", {}), name, hostile), max_size=4)
    elif kind == "integer":
        low, high = schema.get("minimum", -5), schema.get("maximum", 3000)
        strategy = st.integers(low, high)
        if name in ID_TABLES or name in world.ids:
            strategy = st.sampled_from(world.id_values(name)) | strategy
    elif kind == "boolean":
        strategy = st.booleans()
    elif schema.get("format") == "date":
        strategy = dates()
    elif schema.get("format") == "binary":
        strategy = files()
    elif "pattern" in schema:
        strategy = st.sampled_from(["09:30", "00:00", "23:59"]) | st.from_regex(schema["pattern"], fullmatch=True)
    else:
        strategy = st.sampled_from(world.code_values(name)) | st.text(max_size=40)
    if schema.get("nullable"):
        strategy = strategy | st.none()
    if hostile:
        strategy = strategy | hostile_value()
    return strategy


def path_value(world: World, path: str, param: dict, hostile: bool) -> st.SearchStrategy:
    name = param["name"]
    if param["schema"].get("type") == "integer":
        strategy = st.sampled_from(world.id_values(name))
    else:  # a code: of the kind the path's first segment names (/bodies/{code}, /plans/{code}, ...)
        strategy = st.sampled_from(world.code_values(path.split("/")[1] if name == "code" else name))
    return strategy | st.sampled_from(HOSTILE_PATH_VALUES) | hostile_text() if hostile else strategy


def query_value(doc: dict, world: World, param: dict, hostile: bool) -> st.SearchStrategy:
    strategy = from_schema(doc, world, param["schema"], param["name"])
    return (strategy | hostile_text() if hostile else strategy).map(lambda v: str(v).encode("utf-8", "surrogatepass"))


def body_kwargs(doc: dict, world: World, op: dict, method: str, hostile: bool) -> st.SearchStrategy:
    """The test client's keyword arguments for a body: from the schema, or hostile, or not what is expected."""
    raw = st.sampled_from(HOSTILE_BODIES).map(lambda b: {"data": b[0], "content_type": b[1]})
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        schema = content["application/json"]["schema"]
        as_json = lambda value: {"data": json.dumps(value), "content_type": "application/json"}  # noqa: E731
        if hostile:
            return from_schema(doc, world, schema, hostile=True).map(as_json) | raw
        return from_schema(doc, world, schema).map(as_json)
    if "multipart/form-data" in content:
        schema = _resolve(doc, content["multipart/form-data"]["schema"])
        fields, required = {}, set(schema.get("required", []))
        for name, prop in schema["properties"].items():
            if prop.get("format") == "binary":
                fields[name] = files() | st.lists(files(), min_size=2, max_size=2) | hostile_text() \
                    if hostile else files()
            else:
                strategy = from_schema(doc, world, prop, name)
                # The test client writes multipart text as UTF-8, so a lone surrogate cannot be sent in a part.
                fields[name] = (strategy | hostile_text() if hostile else strategy).map(
                    lambda v: str(v).encode("utf-8", "surrogatepass").decode("utf-8", "replace"))
        form = st.fixed_dictionaries({k: v for k, v in fields.items() if k in required and not hostile},
                                     optional={k: v for k, v in fields.items() if k not in required or hostile})
        form = form.map(lambda d: {"data": d, "content_type": "multipart/form-data"})
        return form | raw if hostile else form
    return raw if hostile and method != "get" else st.just({})


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield path, method, op


def assert_json_error(response, where: str) -> None:
    assert response.mimetype == "application/json", where
    data = response.get_json()
    assert isinstance(data, dict) and set(data) == {"error"}, where
    error = data["error"]
    assert error["status"] == response.status_code, where
    assert isinstance(error["code"], str) and error["code"], where
    assert isinstance(error["message"], str) and error["message"], where


def tokens(app, world: World) -> dict[str, str]:
    with app.app_context():
        _, admin_raw = services.create_token(db.session.get(User, world.admin_id), "fuzz", "write")
        _, observer_raw = services.create_token(db.session.get(User, world.observer_id), "fuzz", "read")
        db.session.commit()
    return {"admin (write)": admin_raw, "observer (read)": observer_raw}


def restore_actors(app, world: World) -> None:
    """Accepted requests may demote, deactivate or revoke the fuzzing accounts; put them back between operations."""
    with app.app_context():
        admin, observer = db.session.get(User, world.admin_id), db.session.get(User, world.observer_id)
        admin.role, admin.status, observer.role, observer.status = "asec_admin", "active", "observer", "active"
        for token in db.session.execute(db.select(ApiToken).where(ApiToken.name == "fuzz")).scalars():
            token.revoked_at = None
        db.session.commit()


def fuzz_operation(app, client, doc: dict, world: World, bearer: str, path: str, method: str, op: dict):
    params = op.get("parameters", [])
    in_path = [p for p in params if p["in"] == "path"]
    in_query = [p for p in params if p["in"] == "query"]
    # Each request is hostile in one part at most, so that the others get past validation to deeper code.
    request = st.sampled_from([None, "path", "query", "body"]).flatmap(lambda bad: st.fixed_dictionaries({
        "path": st.fixed_dictionaries({p["name"]: path_value(world, path, p, bad == "path") for p in in_path}),
        "query": st.fixed_dictionaries({}, optional={p["name"]: query_value(doc, world, p, bad == "query")
                                                     for p in in_query}),
        "extra_query": st.lists(st.tuples(hostile_text(), hostile_text()), min_size=1, max_size=1)
        if bad == "query" else st.just([]),
        "body": body_kwargs(doc, world, op, method, bad == "body"),
    }))

    @FUZZ_SETTINGS
    @given(request)
    def run(request):
        url = PREFIX + path
        for name, value in request["path"].items():
            url = url.replace("{" + name + "}", _url_part(value))
        pairs = [*request["query"].items(),
                 *((k.encode("utf-8", "surrogatepass"), v.encode("utf-8", "surrogatepass"))
                   for k, v in request["extra_query"])]
        query = urlencode(pairs)
        where = f"{method.upper()} {url[:200]}?{query[:200]} {str(request['body'])[:300]}"
        before = snapshot(app)
        with client.open(url + ("?" + query if query else ""), method=method.upper(),
                         headers={"Authorization": f"Bearer {bearer}"}, **request["body"]) as response:
            status = response.status_code
            assert status < 500, where
            if status >= 400:
                assert_json_error(response, where)
        if status >= 400:
            assert changed(before, snapshot(app)) == [], where

    run()


def test_every_api_operation_answers_hostile_input_without_a_500_or_a_change(app, client, world):
    doc = client.get(f"{PREFIX}/openapi.json").get_json()
    ops = list(operations(doc))
    covered = set()
    for who, bearer in tokens(app, world).items():
        for path, method, op in ops:
            restore_actors(app, world)
            fuzz_operation(app, client, doc, world, bearer, path, method, op)
            covered.add((who, method, path))
    assert len(covered) == 2 * len(ops)
    assert len({(m, p) for _, m, p in covered}) == sum(1 for _ in operations(doc)) > 50


# --- what the fuzzing found, kept as plain examples --------------------------------------------------------

def test_json_nested_deeper_than_the_parser_follows_is_a_400_not_a_500(app, client, world):
    bearer = tokens(app, world)["admin (write)"]
    before = snapshot(app)
    for body in (deep_json(), b'{"a":' * 5000 + b"1" + b"}" * 5000):
        r = client.post(f"{PREFIX}/memberships", data=body, content_type="application/json",
                        headers={"Authorization": f"Bearer {bearer}"})
        assert r.status_code == 400
        assert_json_error(r, "deep JSON")
    assert changed(before, snapshot(app)) == []
