"""Single sign-on against a real OpenID provider: linking rules, pending accounts, protocol failures, MFA."""
from __future__ import annotations

import json
import socket
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.sso import oidc
from aocp.sso.models import IdentityProvider, SsoIdentity
from tests.conftest import PASSWORD, login, org, post_form, signed_in, totp_now, user_email
from tests.sso.conftest import CALLBACK, ProviderBrowser, link_identity, person, through_provider

START = "/auth/sso/test/start"


def last_entry(app, action: str) -> dict:
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id.desc())).scalars().first()
        assert entry is not None, f"no {action} entry"
        return {"actor_id": entry.actor_id, "actor_email": entry.actor_email, **json.loads(entry.details)}




def identities(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [(i.user_id, i.subject) for i in db.session.execute(select(SsoIdentity)).scalars()]


def assert_refused(app, client, r, reason: str, status: int = 403):
    assert r.status_code == status
    assert "There is no AOCP account for this identity" in r.get_data(as_text=True)
    assert last_entry(app, "sso.refused")["reason"] == reason
    assert not signed_in(client)


# --- who an identity is ------------------------------------------------------------

def test_a_linked_identity_signs_in_its_account(app, client, make_user, idp, oidc_issuer):
    provider_id = idp()
    uid = make_user("delegate", email="dara@example.org")
    link_identity(app, provider_id, uid, "dara-at-idp", oidc_issuer)
    callback = through_provider(client, START + "?next=/documents/", **person("dara-at-idp", "other@example.org"))
    r = client.get(callback)
    assert r.status_code == 302 and r.headers["Location"] == "/documents/"
    assert client.get("/").status_code == 200 and signed_in(client)
    entry = last_entry(app, "auth.login")
    assert entry["actor_id"] == uid and entry["method"] == "sso:test"
    with app.app_context():
        identity = db.session.execute(select(SsoIdentity)).scalar_one()
        assert identity.last_used_at is not None and identity.email == "other@example.org"


def test_a_first_sign_in_links_the_account_with_the_same_verified_email(app, client, make_user, idp):
    idp(allow_email_link=True)
    uid = make_user("delegate", email="dara@example.org")
    r = client.get(through_provider(client, START, **person("sub-1", "Dara@Example.org")))
    assert r.status_code == 302 and signed_in(client)
    assert identities(app) == [(uid, "sub-1")]
    linked = last_entry(app, "sso.linked")
    assert linked["actor_id"] == uid and linked["how"] == "email" and linked["subject"] == "sub-1"
    assert last_entry(app, "auth.login")["method"] == "sso:test"


def test_email_linking_not_allowed_is_refused(app, client, make_user, idp):
    idp(allow_email_link=False)
    uid = make_user("delegate", email="dara@example.org")
    r = client.get(through_provider(client, START, **person("sub-1", "dara@example.org")))
    assert_refused(app, client, r, "no_account")
    assert last_entry(app, "sso.refused")["actor_id"] == uid
    assert identities(app) == []


def test_an_unverified_email_never_takes_over_an_account(app, client, make_user, idp):
    idp(allow_email_link=True, allow_provisioning=True, default_org_id=None)
    make_user("delegate", email="dara@example.org")
    r = client.get(through_provider(client, START, **person("attacker", "dara@example.org", verified=False)))
    assert_refused(app, client, r, "email_unverified")
    assert identities(app) == []


def test_an_unknown_email_without_provisioning_is_refused(app, client, idp):
    idp(allow_email_link=True)
    r = client.get(through_provider(client, START, **person("sub-9", "nobody@example.org")))
    assert_refused(app, client, r, "no_account")
    assert "ask" in r.get_data(as_text=True).lower()
    assert last_entry(app, "sso.refused")["actor_email"] == "nobody@example.org"
    with app.app_context():
        assert db.session.execute(select(User).where(User.email == "nobody@example.org")).first() is None


def test_a_deactivated_account_is_refused_whether_linked_or_matched_by_email(app, client, make_user, idp,
                                                                           oidc_issuer):
    provider_id = idp(allow_email_link=True)
    linked = make_user("delegate", email="linked@example.org")
    make_user("delegate", email="matched@example.org")
    link_identity(app, provider_id, linked, "linked-sub", oidc_issuer)
    with app.app_context():
        for user in db.session.execute(select(User)).scalars():
            user.status = "deactivated"
        db.session.commit()
    r = client.get(through_provider(client, START, **person("linked-sub", "linked@example.org")))
    assert_refused(app, client, r, "deactivated")
    r = client.get(through_provider(client, START, **person("new-sub", "matched@example.org")))
    assert_refused(app, client, r, "deactivated")
    assert [s for _, s in identities(app)] == ["linked-sub"]


def test_an_account_of_an_organisation_the_provider_does_not_serve_is_refused(app, client, make_user, idp):
    idp(allow_email_link=True, orgs=("MYS",))
    make_user("observer", org_code="JPN", email="ken@example.org")
    r = client.get(through_provider(client, START, **person("ken-sub", "ken@example.org")))
    assert_refused(app, client, r, "org_not_allowed")
    assert identities(app) == []


def test_provisioning_creates_a_pending_account_that_signs_in_only_once_approved(app, client, make_user, idp):
    with app.app_context():
        mys = org("MYS").id
    idp(allow_provisioning=True, default_org_id=mys)
    dara = person("new-sub", "new@example.org", name="Dara New")
    r = client.get(through_provider(client, START, **dara))
    assert r.status_code == 202 and "waiting for approval" in r.get_data(as_text=True)
    assert not signed_in(client)
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == "new@example.org")).scalar_one()
        new_id, status, role, org_id, name = user.id, user.status, user.role, user.org_id, user.name
    assert (status, role, org_id, name) == ("pending", "observer", mys, "Dara New")
    assert last_entry(app, "sso.provisioned")["actor_id"] == new_id
    assert identities(app) == [(new_id, "new-sub")]

    r = client.get(through_provider(client, START, **dara))
    assert r.status_code == 403 and "waiting for approval" in r.get_data(as_text=True)
    assert last_entry(app, "sso.refused")["reason"] == "pending" and not signed_in(client)

    admin_client = app.test_client()
    admin = make_user("asec_admin", mfa_on=True)
    login(admin_client, user_email(app, admin))
    post_form(admin_client, "/login/code", {"code": totp_now(app, admin)})
    assert "1 account created at a first single sign-on waits for approval" in \
        admin_client.get("/admin/people").get_data(as_text=True)
    assert "new@example.org" in admin_client.get("/admin/people?status=pending").get_data(as_text=True)
    r = post_form(admin_client, f"/admin/people/{new_id}/approve", {}, page=f"/admin/people/{new_id}")
    assert r.status_code == 302
    assert last_entry(app, "user.approved")["actor_id"] == admin

    r = client.get(through_provider(client, START, **dara))
    assert r.status_code == 302 and signed_in(client)
    assert last_entry(app, "auth.login")["actor_id"] == new_id


# --- the protocol ---------------------------------------------------------------------

def test_a_tampered_or_missing_state_is_refused(app, client, make_user, idp, oidc_issuer):
    provider_id = idp()
    uid = make_user("delegate")
    link_identity(app, provider_id, uid, "sub-1", oidc_issuer)
    callback = through_provider(client, START, **person("sub-1", "d@example.org"))
    query = parse_qs(urlsplit(callback).query)
    for state in ("tampered", None):
        client.get(START)  # a fresh flow in this browser; the callback carries another state
        params = {"code": query["code"][0], **({"state": state} if state else {})}
        r = client.get(f"{CALLBACK}?{urlencode(params)}")
        assert r.status_code == 400
        assert "Sign-in with Test IdP failed" in r.get_data(as_text=True)
        assert last_entry(app, "sso.failure")["reason"] == "state"
        assert not signed_in(client)
    # The genuine answer arriving in another browser (no flow started there) is refused too.
    other = app.test_client()
    assert other.get(callback).status_code == 400 and not signed_in(other)


def test_an_id_token_issued_to_another_client_is_refused(app, client, make_user, idp, oidc_issuer, monkeypatch):
    provider_id = idp()
    uid = make_user("delegate")
    link_identity(app, provider_id, uid, "sub-1", oidc_issuer)
    r = client.get(START)
    ours = parse_qs(urlsplit(r.headers["Location"]).query)
    # A genuine ID token from the same provider, for the same person and nonce, but issued to "other-app".
    theirs = dict(ours, client_id=["other-app"])
    stolen = ProviderBrowser().sign_in(f"{oidc_issuer}/auth?{urlencode(theirs, doseq=True)}",
                                       **person("sub-1", "d@example.org"))
    with app.app_context():
        other_app = IdentityProvider(slug="x", name="x", issuer=oidc_issuer, client_id="other-app",
                                     client_secret="other-secret")
        tokens = oidc.exchange_code(other_app, parse_qs(urlsplit(stolen).query)["code"][0], CALLBACK,
                                    _verifier(client))
    assert tokens["id_token"]
    # The token endpoint is made to hand AOCP that token (a substituted token response).
    monkeypatch.setattr(oidc, "exchange_code", lambda *args: tokens)
    r = client.get(f"{CALLBACK}?{urlencode({'code': 'x', 'state': ours['state'][0]})}")
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "Sign-in with Test IdP failed" in page and "aud" in page
    assert last_entry(app, "sso.failure")["reason"] == "id_token:invalid_claim"
    assert not signed_in(client)


def _verifier(client) -> str:
    with client.session_transaction() as session:
        return session["sso_flow"]["verifier"]


def test_an_expired_id_token_is_refused(app, client, make_user, idp, oidc_issuer, monkeypatch):
    provider_id = idp()
    uid = make_user("delegate")
    link_identity(app, provider_id, uid, "sub-1", oidc_issuer)
    callback = through_provider(client, START, **person("sub-1", "d@example.org"))
    now = oidc._now()
    # AOCP's clock runs past the token's lifetime (300 s at the test provider) and the leeway.
    monkeypatch.setattr(oidc, "_now", lambda: now + 300 + oidc.LEEWAY_SECONDS + 5)
    r = client.get(callback)
    assert r.status_code == 400 and "expired" in r.get_data(as_text=True)
    assert last_entry(app, "sso.failure")["reason"] == "id_token:expired_token"
    assert not signed_in(client)


def test_the_provider_saying_access_denied_gets_a_clear_page(app, client, idp):
    idp()
    callback = through_provider(client, START, deny="1")
    r = client.get(callback)
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Sign-in with Test IdP failed: the provider said access_denied: The person declined" in page
    entry = last_entry(app, "sso.failure")
    assert entry["reason"] == "provider_error" and "access_denied" in entry["message"]
    assert not signed_in(client)


def test_an_unreachable_provider_gets_a_clear_page(app, client, idp):
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    idp(issuer=f"http://127.0.0.1:{port}")
    r = client.get(START)
    assert r.status_code == 502
    assert "Sign-in with Test IdP failed: the provider could not be reached." in r.get_data(as_text=True)
    assert last_entry(app, "sso.failure")["reason"] == "unreachable"
    assert not signed_in(client)


# --- the second factor ----------------------------------------------------------------

@pytest.mark.parametrize("trust, amr", [(True, "pwd"), (False, "pwd,mfa")])
def test_local_second_factor_is_asked_unless_a_trusted_provider_asserts_one(app, client, make_user, idp,
                                                                           oidc_issuer, trust, amr):
    provider_id = idp(trust_mfa=trust)
    uid = make_user("delegate", mfa_on=True)
    link_identity(app, provider_id, uid, "sub-1", oidc_issuer)
    r = client.get(through_provider(client, START, **person("sub-1", "d@example.org", amr=amr)))
    assert r.status_code == 302 and r.headers["Location"].endswith("/login/code")
    assert not signed_in(client)
    r = post_form(client, "/login/code", {"code": totp_now(app, uid)})
    assert r.status_code == 302 and signed_in(client)
    assert last_entry(app, "auth.login")["method"] == "sso:test+totp"


@pytest.mark.parametrize("claims", [{"amr": "pwd,otp"}, {"amr": "pwd", "acr": "urn:aocp:test:mfa"}])
def test_a_trusted_provider_asserting_mfa_skips_the_local_second_factor(app, client, make_user, idp, oidc_issuer,
                                                                        claims):
    provider_id = idp(trust_mfa=True, mfa_acr_values="urn:aocp:test:mfa")
    uid = make_user("delegate", mfa_on=True)
    link_identity(app, provider_id, uid, "sub-1", oidc_issuer)
    r = client.get(through_provider(client, START, **person("sub-1", "d@example.org", **claims)))
    assert r.status_code == 302 and not r.headers["Location"].endswith("/login/code")
    assert signed_in(client)
    assert last_entry(app, "auth.login")["method"] == "sso:test+provider-mfa"


# --- the profile ---------------------------------------------------------------------

def test_link_and_unlink_an_identity_from_the_profile(app, client, make_user, idp):
    idp()
    uid = make_user("delegate", email="dara@example.org")
    login(client, "dara@example.org", PASSWORD)
    page = client.get("/profile/").get_data(as_text=True)
    assert "Single sign-on" in page and "Link with Test IdP" in page
    assert client.post("/profile/sso/test/link").status_code == 400  # no CSRF token
    start = post_form(client, "/profile/sso/test/link", {}, page="/profile/")
    r = client.get(through_provider(client, start, **person("dara-sub", "dara@idp.example.org")))
    assert r.status_code == 302 and r.headers["Location"].endswith("/profile/")
    assert identities(app) == [(uid, "dara-sub")]
    assert last_entry(app, "sso.linked")["how"] == "profile"
    page = client.get("/profile/").get_data(as_text=True)
    assert "dara@idp.example.org" in page
    with app.app_context():
        identity_id = db.session.execute(select(SsoIdentity.id)).scalar_one()
    assert client.post(f"/profile/sso/identities/{identity_id}/unlink").status_code == 400
    r = post_form(client, f"/profile/sso/identities/{identity_id}/unlink", {}, page="/profile/")
    assert r.status_code == 302 and identities(app) == []
    assert last_entry(app, "sso.unlinked")["subject"] == "dara-sub"


def test_an_identity_linked_to_someone_else_is_not_linked_again(app, client, make_user, idp, oidc_issuer):
    provider_id = idp()
    owner = make_user("delegate")
    make_user("delegate", email="dara@example.org")
    link_identity(app, provider_id, owner, "taken-sub", oidc_issuer)
    login(client, "dara@example.org", PASSWORD)
    start = post_form(client, "/profile/sso/test/link", {}, page="/profile/")
    r = client.get(through_provider(client, start, **person("taken-sub", "x@example.org")))
    assert r.status_code == 302
    assert "already linked to another AOCP account" in client.get("/profile/").get_data(as_text=True)
    assert identities(app) == [(owner, "taken-sub")]
    assert last_entry(app, "sso.refused")["reason"] == "linked_elsewhere"


def test_the_sign_in_page_offers_each_enabled_provider(app, client, idp):
    idp()
    assert "Sign in with Test IdP" in client.get("/login").get_data(as_text=True)
    with app.app_context():
        db.session.execute(select(IdentityProvider)).scalar_one().enabled = False
        db.session.commit()
    assert "Sign in with Test IdP" not in client.get("/login").get_data(as_text=True)
    assert client.get(START).headers["Location"].endswith("/login")


def test_the_only_way_into_an_account_without_a_password_cannot_be_unlinked(app, client, make_user, idp,
                                                                            oidc_issuer):
    provider_id = idp()
    uid = make_user("delegate")
    with app.app_context():
        db.session.get(User, uid).password_hash = None  # as for an account created at a first sign-on
        db.session.commit()
    link_identity(app, provider_id, uid, "only-sub", oidc_issuer)
    client.get(through_provider(client, START, **person("only-sub", "d@example.org")))
    with app.app_context():
        identity_id = db.session.execute(select(SsoIdentity.id)).scalar_one()
    r = post_form(client, f"/profile/sso/identities/{identity_id}/unlink", {}, page="/profile/",
                  follow_redirects=True)
    assert "This is your only way to sign in" in r.get_data(as_text=True)
    assert identities(app) == [(uid, "only-sub")]
