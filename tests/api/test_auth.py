"""Bearer personal access tokens: who gets in, with which scope, and what is kept of the token."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from aocp.accounts import services
from aocp.accounts.models import ApiToken, User
from aocp.accounts.tokens import digest
from aocp.audit import AuditEntry
from aocp.extensions import db
from tests.api.conftest import assert_error, bearer, expire_token

WRITE_REQUESTS = [
    ("PATCH", "/api/v1/users/{target}", {"name": "Changed Name"}),
    ("POST", "/api/v1/memberships", {"user_id": "{target}", "body": "WGSMD", "role": "member"}),
    ("DELETE", "/api/v1/memberships/{membership}", None),
    ("POST", "/api/v1/invitations", {"email": "new@example.org", "name": "New Person", "organisation": "MYS",
                                     "role": "delegate"}),
]


@pytest.fixture
def target(make_user):
    return make_user("delegate", email="target@example.org", bodies={"WGTIM": "member"})


@pytest.fixture
def membership(app, target):
    from aocp.orgs.models import Membership
    with app.app_context():
        return db.session.execute(select(Membership.id).where(Membership.user_id == target)).scalar_one()


def _fill(method, path, payload, target, membership):
    path = path.format(target=target, membership=membership)
    if payload is not None:
        payload = {k: (target if v == "{target}" else v) for k, v in payload.items()}
    return method, path, payload


def test_a_request_without_a_token_gets_401_with_the_error_shape(client):
    r = client.get("/api/v1/me")
    error = assert_error(r, 401, "unauthorized")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert "token" in error["message"].lower()


@pytest.mark.parametrize("header", [
    "aocp_abc", "Bearer", "Bearer ", "Bearer    ", "Basic dXNlcjpwYXNz", "Token aocp_abc", "bearer",
    "Bearer aocp_\u00e9\u00e8\u4e2d", "Bearer " + "x" * 5000,
])
def test_a_malformed_authorization_header_gets_401(client, header):
    assert_error(client.get("/api/v1/me", headers={"Authorization": header}), 401, "unauthorized")


def test_an_unknown_token_gets_401(client, admin, make_token):
    make_token(admin)
    assert_error(client.get("/api/v1/me", headers=bearer("aocp_not-a-real-token")), 401, "unauthorized")


def test_a_token_with_one_character_changed_gets_401(client, admin, make_token):
    raw = make_token(admin)
    tampered = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    assert_error(client.get("/api/v1/me", headers=bearer(tampered)), 401, "unauthorized")


def test_the_bearer_scheme_is_case_insensitive(client, admin, make_token):
    raw = make_token(admin)
    assert client.get("/api/v1/me", headers={"Authorization": f"bearer {raw}"}).status_code == 200


def test_an_expired_token_gets_401(app, client, admin, make_token):
    raw = make_token(admin)
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    expire_token(app, raw)
    assert_error(client.get("/api/v1/me", headers=bearer(raw)), 401, "unauthorized")


def test_a_revoked_token_gets_401(app, client, admin, make_token):
    raw = make_token(admin)
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    with app.app_context():
        token = db.session.execute(select(ApiToken).where(ApiToken.token_hash == digest(raw))).scalar_one()
        services.revoke_token(token.user, token)
        db.session.commit()
    assert_error(client.get("/api/v1/me", headers=bearer(raw)), 401, "unauthorized")


def test_a_session_cookie_does_not_authenticate_the_api(client, make_user):
    from tests.conftest import login
    make_user("delegate", email="cookie@example.org")
    assert login(client, "cookie@example.org").status_code == 302
    assert client.get("/").status_code == 200  # signed in for pages
    assert_error(client.get("/api/v1/me"), 401, "unauthorized")


def test_a_read_scope_token_may_read(client, admin, make_token):
    r = client.get("/api/v1/me", headers=bearer(make_token(admin, "read")))
    assert r.status_code == 200
    assert r.get_json()["token_scope"] == "read"


@pytest.mark.parametrize("method,path,payload", WRITE_REQUESTS, ids=[f"{m} {p}" for m, p, _ in WRITE_REQUESTS])
def test_a_read_scope_token_is_refused_on_writes(client, admin, make_token, target, membership, snapshot,
                                                 method, path, payload):
    method, path, payload = _fill(method, path, payload, target, membership)
    headers = bearer(make_token(admin, "read"))
    before = snapshot()
    r = client.open(path, method=method, json=payload, headers=headers)
    assert_error(r, 403, "insufficient_scope")
    assert snapshot() == before


@pytest.mark.parametrize("role", ["asec_staff", "focal_person", "delegate", "observer"])
@pytest.mark.parametrize("method,path,payload", WRITE_REQUESTS[:3], ids=[f"{m} {p}" for m, p, _ in WRITE_REQUESTS[:3]])
def test_a_non_administrators_write_token_is_refused_by_policy_and_audited(
        app, client, make_user, make_token, target, membership, snapshot, role, method, path, payload):
    uid = make_user(role)
    method, path, payload = _fill(method, path, payload, target, membership)
    headers = bearer(make_token(uid, "write"))
    before = snapshot()
    r = client.open(path, method=method, json=payload, headers=headers)
    assert_error(r, 403, "forbidden")
    assert snapshot() == before
    with app.app_context():
        denial = db.session.execute(select(AuditEntry).where(AuditEntry.action == "access.denied")).scalar_one()
        assert denial.actor_id == uid
        details = json.loads(denial.details)
        assert details["method"] == method and details["path"] == path
        assert details["rule"] in ("users.manage", "memberships.manage")


@pytest.mark.parametrize("role", ["delegate", "observer"])
def test_a_non_administrator_may_not_list_people(app, client, make_user, make_token, role):
    uid = make_user(role)
    assert_error(client.get("/api/v1/users", headers=bearer(make_token(uid))), 403, "forbidden")
    assert_error(client.get("/api/v1/memberships", headers=bearer(make_token(uid))), 403, "forbidden")
    with app.app_context():
        rules = [json.loads(e.details)["rule"] for e in db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "access.denied").order_by(AuditEntry.id)).scalars()]
    assert rules == ["users.view", "users.view"]


def test_a_deactivated_accounts_token_stops_working_at_once(app, client, admin_headers, make_user, make_token):
    uid = make_user("delegate")
    raw = make_token(uid, "read")
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    r = client.patch(f"/api/v1/users/{uid}", json={"status": "deactivated"}, headers=admin_headers)
    assert r.status_code == 200 and r.get_json()["status"] == "deactivated"
    assert_error(client.get("/api/v1/me", headers=bearer(raw)), 401, "unauthorized")


def test_a_deactivated_administrators_write_token_cannot_write(app, client, make_user, make_token, target,
                                                               snapshot):
    uid = make_user("asec_admin", mfa_on=True)
    raw = make_token(uid)
    with app.app_context():
        db.session.get(User, uid).status = "deactivated"
        db.session.commit()
    before = snapshot()
    r = client.patch(f"/api/v1/users/{target}", json={"name": "Renamed"}, headers=bearer(raw))
    assert_error(r, 401, "unauthorized")
    assert snapshot() == before


def test_the_token_is_stored_only_as_a_hash(app, admin, make_token):
    raw = make_token(admin)
    with app.app_context():
        token = db.session.execute(select(ApiToken)).scalar_one()
        assert token.token_hash == digest(raw) and token.token_hash != raw
        assert raw.startswith(token.prefix) and len(token.prefix) < len(raw) // 2
        row = db.session.execute(text("SELECT * FROM api_tokens")).mappings().one()
        assert not any(isinstance(v, str) and raw in v for v in row.values())
        details = db.session.execute(select(AuditEntry.details)).scalars().all()
        assert details and not any(raw in d or raw[len(token.prefix):] in d for d in details)


def test_token_creation_is_audited_without_the_token(app, admin, make_token):
    raw = make_token(admin, "read")
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "token.created")).scalar_one()
        assert entry.actor_id == admin and entry.target_type == "api_tokens"
        assert json.loads(entry.details)["scope"] == "read"
        assert raw not in entry.details


def test_using_a_token_records_when_it_was_last_used(app, client, admin, make_token):
    raw = make_token(admin)
    with app.app_context():
        assert db.session.execute(select(ApiToken.last_used_at)).scalar_one() is None
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    with app.app_context():
        assert db.session.execute(select(ApiToken.last_used_at)).scalar_one() is not None


def test_a_refused_token_does_not_count_as_used(app, client, admin, make_token):
    raw = make_token(admin)
    expire_token(app, raw)
    client.get("/api/v1/me", headers=bearer(raw))
    with app.app_context():
        assert db.session.execute(select(ApiToken.last_used_at)).scalar_one() is None


def test_each_token_is_different(admin, make_token):
    tokens = {make_token(admin) for _ in range(5)}
    assert len(tokens) == 5 and all(t.startswith("aocp_") and len(t) > 40 for t in tokens)
