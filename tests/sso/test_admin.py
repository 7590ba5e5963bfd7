"""Provider settings in the administration console: only ASEC administrators, secrets never shown back."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.sso.models import IdentityProvider
from tests.conftest import org, post_form, sign_in

SECRET = "a-client-secret-from-the-provider"


@pytest.fixture
def admin_client(app, client, make_user):
    sign_in(app, client, make_user("asec_admin", mfa_on=True))
    return client


def _form(app, **changes) -> dict:
    with app.app_context():
        mys, asec = org("MYS").id, org("ASEC").id
    return {"name": "ASEC Entra", "slug": "asec-entra", "issuer": "https://login.example.org/asec/v2.0",
            "client_id": "aocp-client", "secret": SECRET, "enabled": "y", "orgs": [str(mys), str(asec)],
            "allow_email_link": "y", "allow_provisioning": "y", "new_account_org": str(asec),
            "trust_mfa": "y", "mfa_acr_values": "  urn:mfa   urn:strong ", **changes}


def test_an_administrator_adds_a_provider_and_the_secret_is_never_shown_back(app, admin_client):
    page = admin_client.get("/admin/sso/new").get_data(as_text=True)
    assert "http://127.0.0.1:5000/auth/sso/SHORT-NAME/callback" in page  # on SITE_URL
    r = post_form(admin_client, "/admin/sso/new", _form(app))
    assert r.status_code == 302
    with app.app_context():
        row = db.session.execute(select(IdentityProvider)).scalar_one()
        assert (row.slug, row.client_secret, row.mfa_acr_values) == ("asec-entra", SECRET, "urn:mfa urn:strong")
        assert [o.code for o in row.allowed_orgs] == ["ASEC", "MYS"] and row.default_org.code == "ASEC"
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "sso.provider_created")
                                   ).scalar_one()
        assert SECRET not in entry.details and json.loads(entry.details)["secret_changed"] is True
        provider_id = row.id
    page = admin_client.get(f"/admin/sso/{provider_id}").get_data(as_text=True)
    assert SECRET not in page and "/auth/sso/asec-entra/callback" in page
    assert "Sign in with ASEC Entra" in app.test_client().get("/login").get_data(as_text=True)


def test_editing_with_a_blank_secret_keeps_the_stored_one(app, admin_client):
    post_form(admin_client, "/admin/sso/new", _form(app))
    with app.app_context():
        provider_id = db.session.execute(select(IdentityProvider.id)).scalar_one()
    r = post_form(admin_client, f"/admin/sso/{provider_id}", _form(app, secret="", name="ASEC login",
                                                                    enabled=""))
    assert r.status_code == 302
    with app.app_context():
        row = db.session.get(IdentityProvider, provider_id)
        assert (row.name, row.client_secret, row.enabled) == ("ASEC login", SECRET, False)
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "sso.provider_updated")
                                   ).scalar_one()
        assert json.loads(entry.details)["secret_changed"] is False
    assert "Sign in with ASEC login" not in app.test_client().get("/login").get_data(as_text=True)


@pytest.mark.parametrize("changes, message", [
    ({"issuer": "http://login.example.org"}, "https://"),
    ({"issuer": "file:///etc/passwd"}, "https://"),
    ({"secret": ""}, "client secret"),
    ({"new_account_org": ""}, "default organisation"),
    ({"slug": "Not A Slug"}, "Lower-case letters"),
])
def test_unsafe_or_incomplete_settings_are_refused_with_a_message(app, admin_client, changes, message):
    r = post_form(admin_client, "/admin/sso/new", _form(app, **changes))
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(IdentityProvider)).first() is None


@pytest.mark.parametrize("role", ["asec_staff", "focal_person", "delegate", "observer"])
def test_only_administrators_open_the_provider_pages(app, client, make_user, role):
    sign_in(app, client, make_user(role))
    assert client.get("/admin/sso/").status_code == 403
    assert client.get("/admin/sso/new").status_code == 403
    r = post_form(client, "/admin/sso/new", _form(app), page="/profile/")
    assert r.status_code == 403
    with app.app_context():
        assert db.session.execute(select(IdentityProvider)).first() is None
