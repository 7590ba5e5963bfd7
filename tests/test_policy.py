"""The authorization policy: every route declares a rule, and every role meets exactly what the policy says.

The walk builds its list of routes from the app's own url_map, so a route added later is walked too.
"""
from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.exceptions import Forbidden
from werkzeug.routing.converters import AnyConverter, NumberConverter

from aocp import create_app, policy
from aocp.accounts import services
from aocp.accounts.models import ROLES, Invitation, User
from aocp.api.auth import api_guard
from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.orgs.models import Body, Membership, Organisation
from aocp.plans.models import Plan
from aocp.sessions import UserSession
from tests.conftest import csrf_token, login, sign_in

IGNORED_METHODS = {"HEAD", "OPTIONS"}

# Views whose declared rule is only the first gate: for the variant walked here they also check these rules.
INNER_RULES = {
    ("admin.organisation", "/admin/organisations/new"): ["orgs.manage"],
    ("admin.body", "/admin/bodies/new"): ["bodies.manage"],
}


def _routes_app() -> Flask:
    """An app used only to read the url_map at collection time (it never opens its database)."""
    return create_app("testing", {"DATABASE_URL": "sqlite://", "RATELIMIT_STORAGE_URL": "memory://"})


def _walk_targets(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every protected rule: GET when it has one, else its one method."""
    targets = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "policy_rule", None) == policy.PUBLIC:
            continue
        methods = sorted(rule.methods - IGNORED_METHODS)
        method = "GET" if "GET" in methods else methods[0]
        targets.append((rule.endpoint, rule.rule, method))
    return sorted(targets, key=lambda t: (t[1], t[2]))


ROUTES_APP = _routes_app()
TARGETS = _walk_targets(ROUTES_APP)
PUBLIC_ENDPOINTS = sorted({r.endpoint for r in ROUTES_APP.url_map.iter_rules()
                           if getattr(ROUTES_APP.view_functions[r.endpoint], "policy_rule", None) == policy.PUBLIC})


def _id(target):
    return f"{target[2]} {target[1]}"


# --- declarations ----------------------------------------------------------------

def test_every_endpoint_declares_a_rule_or_is_public(app):
    offenders = sorted(endpoint for endpoint, view in app.view_functions.items()
                       if endpoint != "static" and getattr(view, "policy_rule", None) is None)
    assert not offenders, f"endpoints without @guard/@api_guard/@public: {offenders}"


def test_every_declared_rule_is_a_known_rule(app):
    unknown = {endpoint: view.policy_rule for endpoint, view in app.view_functions.items()
               if endpoint != "static" and view.policy_rule != policy.PUBLIC and view.policy_rule not in policy.RULES}
    assert not unknown


def test_only_sign_in_pages_the_health_check_and_the_api_description_are_public(app):
    public = {e for e, v in app.view_functions.items() if getattr(v, "policy_rule", None) == policy.PUBLIC}
    assert public == {"accounts.login", "accounts.second_factor", "accounts.accept_invitation", "accounts.request_reset",
                      "accounts.reset_password", "main.healthz", "api.openapi_json",
                      "meetings.calendar_feed",  # calendar apps cannot sign in: the secret URL is the key
                      "metrics.metrics",  # Prometheus cannot sign in: the bearer token is the key
                      "sso.start", "sso.callback"}  # single sign-on: the state in the session binds the answer


def test_the_walk_covers_pages_and_the_api(app):
    assert _walk_targets(app) == TARGETS
    paths = [t[1] for t in TARGETS]
    assert "/admin/people" in paths and "/api/v1/users/<int:user_id>" in paths and "/profile/" in paths
    assert ("api.update_user", "/api/v1/users/<int:user_id>", "PATCH") in TARGETS
    assert len(TARGETS) >= 40


# --- the rules themselves ----------------------------------------------------------

def test_every_role_has_an_entry_and_grants_only_known_rules():
    assert set(policy.ROLE_RULES) == set(ROLES)
    for role, rules in policy.ROLE_RULES.items():
        assert rules <= set(policy.RULES), role
    assert policy.ROLE_RULES["asec_admin"] == frozenset(policy.RULES)


def test_only_administrators_manage_people_memberships_and_the_audit_log():
    for rule in ("users.manage", "memberships.manage", "audit.view", "invitations.approve", "orgs.manage",
                 "bodies.manage"):
        assert [r for r in ROLES if rule in policy.ROLE_RULES[r]] == ["asec_admin"], rule


def test_an_unknown_rule_name_raises_key_error(ctx, make_user):
    user = db.session.get(User, make_user("asec_admin", mfa_on=True))
    with pytest.raises(KeyError):
        policy.can(user, "users.delete_everything")
    with pytest.raises(KeyError):
        policy.can(None, "no.such.rule")
    with pytest.raises(KeyError):
        policy.guard("no.such.rule")
    with pytest.raises(KeyError):
        api_guard("no.such.rule")


def test_nobody_is_allowed_anything_when_signed_out(ctx):
    from flask_login import AnonymousUserMixin
    for rule in policy.RULES:
        assert policy.can(None, rule) is False
        assert policy.can(AnonymousUserMixin(), rule) is False


def test_a_deactivated_account_is_allowed_nothing(ctx, make_user):
    user = db.session.get(User, make_user("asec_admin", mfa_on=True))
    assert policy.can(user, "users.manage")
    user.status = "deactivated"
    assert not any(policy.can(user, rule) for rule in policy.RULES)


def test_a_focal_person_nominates_only_for_their_own_member_state(ctx, make_user):
    focal = db.session.get(User, make_user("focal_person", org_code="MYS"))
    orgs = {o.code: o for o in db.session.execute(select(Organisation)).scalars()}
    assert policy.can(focal, "users.nominate", orgs["MYS"])
    assert not policy.can(focal, "users.nominate", orgs["PHL"])
    assert not policy.can(focal, "users.nominate", orgs["JPN"])
    admin = db.session.get(User, make_user("asec_admin", mfa_on=True))
    assert policy.can(admin, "users.nominate", orgs["PHL"])


def test_progress_reports_and_packs_are_asean_only():
    for rule in ("reports.view", "packs.view"):
        assert [r for r in ROLES if rule in policy.ROLE_RULES[r]] == ["asec_admin", "asec_staff", "focal_person",
                                                                      "delegate"], rule


def test_partners_see_a_plan_only_when_asec_shares_it(ctx, make_user):
    observer = db.session.get(User, make_user("observer", org_code="JPN"))
    delegate = db.session.get(User, make_user("delegate", org_code="MYS"))
    plan = db.session.execute(select(Plan).where(Plan.code == "AMCAP-III-P2")).scalar_one()
    assert not plan.shared_with_partners
    assert policy.can(delegate, "plans.view", plan) and not policy.can(observer, "plans.view", plan)
    assert not policy.can(observer, "plans.view", plan.areas[0].strategies[0].action_lines[0])
    plan.shared_with_partners = True
    assert policy.can(observer, "plans.view", plan)
    assert policy.can(observer, "plans.view", plan.areas[0].strategies[0].action_lines[0])
    assert not policy.can(observer, "reports.view")


def test_a_bodys_members_are_seen_by_its_own_members_and_asec(ctx, make_user):
    wgtim, wgsmd = (db.session.execute(select(Body).where(Body.code == code)).scalar_one()
                    for code in ("WGTIM", "WGSMD"))
    for role, body_role in (("observer", "observer"), ("delegate", "member"), ("focal_person", "chair")):
        user = db.session.get(User, make_user(role, bodies={"WGTIM": body_role}))
        assert policy.can(user, "bodies.members", wgtim) and not policy.can(user, "bodies.members", wgsmd), role
        assert policy.can(user, "bodies.view", wgsmd), role
    staff = db.session.get(User, make_user("asec_staff"))
    assert policy.can(staff, "bodies.members", wgsmd)


def test_the_template_helper_uses_the_same_policy(app, client, make_user):
    make_user("delegate", email="d@example.org")
    login(client, "d@example.org")
    page = client.get("/").get_data(as_text=True)
    assert "/admin/people" not in page  # can('users.manage') is false for a delegate
    with app.test_request_context("/"):
        helpers = {}
        for processor in app.template_context_processors[None]:
            helpers.update(processor())
        with pytest.raises(KeyError):
            helpers["can"]("no.such.rule")


# --- an undeclared endpoint ---------------------------------------------------------

@pytest.fixture
def throwaway_app(tmp_path):
    """A fresh app on its own SQLite file, with two extra routes that declare nothing."""
    app = create_app("testing", {"DATABASE_URL": f"sqlite:///{tmp_path / 'throwaway.db'}",
                                 "UPLOAD_DIR": str(tmp_path / "uploads"), "MAIL_OUTBOX_DIR": str(tmp_path / "out"),
                                 "RATELIMIT_STORAGE_URL": "memory://"})
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret data")
    app.add_url_rule("/api/v1/undeclared", "api_undeclared", lambda: {"secret": "data"})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_an_endpoint_registered_without_a_declaration_is_refused(throwaway_app):
    r = throwaway_app.test_client().get("/undeclared")
    assert r.status_code == 403
    assert b"secret data" not in r.data
    assert "Not allowed" in r.get_data(as_text=True)


def test_an_undeclared_api_endpoint_is_refused_with_json(throwaway_app):
    r = throwaway_app.test_client().get("/api/v1/undeclared")
    assert r.status_code == 403 and r.mimetype == "application/json"
    assert r.get_json()["error"]["status"] == 403 and "secret" not in r.get_json()


def test_enforce_declared_refuses_undeclared_and_lets_declared_through(throwaway_app):
    with throwaway_app.test_request_context("/undeclared"):
        with pytest.raises(Forbidden):
            policy.enforce_declared()
    with throwaway_app.test_request_context("/healthz"):
        assert policy.enforce_declared() is None
    with throwaway_app.test_request_context("/no-such-page"):
        assert policy.enforce_declared() is None  # no endpoint: the 404 handler answers


# --- the walk: every role against every protected route -------------------------------------

@pytest.fixture
def world(app, make_user):
    """Real objects to put in URLs: a person in a body, an organisation, a nomination."""
    target = make_user("delegate", email="target@example.org", bodies={"WGTIM": "member"})
    with app.app_context():
        mys = db.session.execute(select(Organisation).where(Organisation.code == "MYS")).scalar_one()
        wgtim = db.session.execute(select(Body).where(Body.code == "WGTIM")).scalar_one()
        membership = db.session.execute(select(Membership).where(Membership.user_id == target)).scalar_one()
        inv = Invitation(email="nominee@example.org", name="Nominee", org_id=mys.id, role="delegate",
                         status="nominated")
        db.session.add(inv)
        db.session.commit()
        return {"user_id": target, "org_id": mys.id, "body_id": wgtim.id, "membership_id": membership.id,
                "inv_id": inv.id}




def _url(app, endpoint, rule_text, values):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == rule_text)
    args = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if name in values:
            args[name] = values[name]
        elif name == "code" and "/plans/" in rule_text:
            args[name] = "AMCAP-III-P2"  # the seeded plan
        elif name == "code":
            args[name] = "MYS" if "organisations" in rule_text else "WGTIM"
        elif name == "action" and endpoint == "admin.person_action":
            args[name] = "unlock"
        elif isinstance(converter, AnyConverter):
            args[name] = sorted(converter.items)[0]
        else:  # a route added later: a harmless value (the guard runs before the view looks it up)
            args[name] = 1 if isinstance(converter, NumberConverter) else "x"
    # A workspace follows body membership: the walked person belongs to no body, so WGTIM may rightly be 404.
    known = all(name in values or name == "action" or (name == "code" and "workspaces" not in rule_text)
                for name in rule.arguments)
    with app.test_request_context():
        return rule.build(args)[1], known


def _expected(app, uid, endpoint, rule_text) -> tuple[bool, list[str]]:
    rules = [app.view_functions[endpoint].policy_rule, *INNER_RULES.get((endpoint, rule_text), [])]
    with app.app_context():
        user = db.session.get(User, uid)
        refused = [r for r in rules if not policy.can(user, r)]
    return not refused, refused


def _plan_known(app, uid, rule_text) -> bool:
    """A plan not shared with partners is unknown to them (404): the seeded plan is known only to whom may see it."""
    if "/plans/<code>" not in rule_text:
        return True
    with app.app_context():
        plan = db.session.execute(select(Plan).where(Plan.code == "AMCAP-III-P2")).scalar_one()
        return policy.can(db.session.get(User, uid), "plans.view", plan)


def _request(client, method, url, csrf=None, headers=None):
    if url.startswith("/api/"):
        return client.open(url, method=method, json={} if method != "GET" else None, headers=headers)
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={"csrf_token": csrf})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", TARGETS, ids=_id)
def test_each_role_meets_exactly_what_the_policy_allows(app, client, make_user, world, role, target):
    endpoint, rule_text, method = target
    uid = make_user(role, mfa_on=role == "asec_admin")
    with app.app_context():
        own_token, _ = services.create_token(db.session.get(User, uid), "walk", "write")
        token_id = own_token.id
        db.session.commit()
    url, known = _url(app, endpoint, rule_text, world | {"token_id": token_id})
    headers = csrf = None
    if url.startswith("/api/"):
        with app.app_context():
            _, raw = services.create_token(db.session.get(User, uid), "api", "write")
            db.session.commit()
        headers = {"Authorization": f"Bearer {raw}"}
    else:
        sign_in(app, client, uid)
        csrf = csrf_token(client, "/profile/") if method != "GET" else None
    values = {"row_id": None}
    if "<int:row_id>" in rule_text:  # one's own session
        with app.app_context():
            values["row_id"] = db.session.execute(select(UserSession.id).where(UserSession.user_id == uid)
                                                  ).scalars().first()
        url, known = _url(app, endpoint, rule_text, world | {"token_id": token_id, "row_id": values["row_id"]})

    known = known and _plan_known(app, uid, rule_text)
    allowed, refused_rules = _expected(app, uid, endpoint, rule_text)
    r = _request(client, method, url, csrf, headers)
    where = f"{role} {method} {url} -> {r.status_code}"
    assert r.status_code < 500, where
    if allowed:
        assert r.status_code not in (401, 403), where
        assert not (r.status_code in (301, 302, 303) and "next=" in r.headers.get("Location", "")), where
        if known:
            assert r.status_code != 404, where
    else:
        assert r.status_code == 403, where
        if url.startswith("/api/"):
            assert r.mimetype == "application/json" and r.get_json()["error"]["code"] == "forbidden", where
        else:
            assert r.mimetype == "text/html", where
            page = r.get_data(as_text=True)
            assert "Not allowed" in page and 'id="main"' in page, where
        with app.app_context():
            denial = db.session.execute(select(AuditEntry).where(AuditEntry.action == "access.denied")
                                        .order_by(AuditEntry.id.desc())).scalars().first()
        assert denial is not None and denial.actor_id == uid, where
        assert json.loads(denial.details)["rule"] in refused_rules, where


@pytest.mark.parametrize("target", TARGETS, ids=_id)
def test_signed_out_visitors_are_sent_to_sign_in_or_get_401(app, client, world, target):
    endpoint, rule_text, method = target
    url, _ = _url(app, endpoint, rule_text, world | {"token_id": 1, "row_id": 1})
    if url.startswith("/api/"):
        r = client.open(url, method=method, json={} if method != "GET" else None)
        assert r.status_code == 401 and r.mimetype == "application/json", (method, url, r.status_code)
        assert r.get_json()["error"]["code"] == "unauthorized"
        return
    csrf = csrf_token(client, "/login") if method != "GET" else None
    r = _request(client, method, url, csrf)
    assert r.status_code == 302, (method, url, r.status_code)
    location = r.headers["Location"]
    assert re.search(r"/login\?next=", location), (method, url, location)


@pytest.mark.parametrize("endpoint", PUBLIC_ENDPOINTS)
def test_public_endpoints_answer_signed_out_visitors(app, client, endpoint):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        url = rule.build({name: "not-a-real-token" for name in rule.arguments})[1]
    r = client.get(url)
    assert r.status_code in (200, 302, 404), (url, r.status_code)
    assert "next=" not in r.headers.get("Location", "")
    assert r.status_code != 404 or "link" in r.get_data(as_text=True).lower()
