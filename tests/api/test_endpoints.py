"""The /api/v1 endpoints: what they answer, how they validate, and that they change only what they should."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from aocp.accounts.models import Invitation, User
from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.orgs.models import Body, Membership
from aocp.orgs.reference import BODIES, ORGANISATIONS
from tests.api.conftest import assert_error, bearer
from tests.conftest import outbox


@pytest.fixture
def delegate(make_user):
    return make_user("delegate", email="delegate@example.org", name="Dewi Delegate",
                     bodies={"WGTIM": "member", "JWG": "observer"})


def _membership_ids(app, user_id):
    with app.app_context():
        return db.session.execute(select(Membership.id).where(Membership.user_id == user_id)
                                  .order_by(Membership.id)).scalars().all()


def _audit_actions(app):
    with app.app_context():
        return db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()


# --- /me, organisations, bodies ----------------------------------------------

def test_me_describes_the_tokens_owner(client, delegate, make_token):
    r = client.get("/api/v1/me", headers=bearer(make_token(delegate, "read")))
    assert r.status_code == 200
    data = r.get_json()
    assert data["id"] == delegate and data["email"] == "delegate@example.org"
    assert data["name"] == "Dewi Delegate" and data["organisation"] == "MYS" and data["role"] == "delegate"
    assert data["status"] == "active" and data["token_scope"] == "read"
    assert sorted((m["body"], m["role"]) for m in data["memberships"]) == [("JWG", "observer"), ("WGTIM", "member")]
    assert data["created_at"].endswith("Z")


def test_me_never_shows_secrets(client, delegate, make_token):
    data = client.get("/api/v1/me", headers=bearer(make_token(delegate))).get_json()
    text = json.dumps(data).lower()
    assert "password" not in text and "mfa_secret" not in text and "hash" not in text


@pytest.mark.parametrize("role", ["asec_admin", "asec_staff", "focal_person", "delegate", "observer"])
def test_every_role_may_list_organisations(client, make_user, make_token, role):
    uid = make_user(role, mfa_on=role == "asec_admin")
    r = client.get("/api/v1/organisations", headers=bearer(make_token(uid, "read")))
    assert r.status_code == 200
    items = r.get_json()["items"]
    assert sorted(o["code"] for o in items) == sorted(code for code, _, _ in ORGANISATIONS)


def test_organisations_carry_their_kind_and_asean_flag(client, delegate, make_token):
    items = client.get("/api/v1/organisations", headers=bearer(make_token(delegate))).get_json()["items"]
    by_code = {o["code"]: o for o in items}
    assert by_code["MYS"] == {"code": "MYS", "name": "Malaysia", "kind": "member_state", "is_asean": True,
                              "require_mfa": False}
    assert by_code["ASEC"]["is_asean"] is True and by_code["ASEC"]["kind"] == "secretariat"
    assert by_code["JPN"]["is_asean"] is False and by_code["JPN"]["kind"] == "dialogue_partner"
    assert by_code["IGF"]["kind"] == "international_org"


@pytest.mark.parametrize("code", ["MYS", "mys"])
def test_one_organisation_by_code(client, delegate, make_token, code):
    r = client.get(f"/api/v1/organisations/{code}", headers=bearer(make_token(delegate)))
    assert r.status_code == 200 and r.get_json()["name"] == "Malaysia"


@pytest.mark.parametrize("code", ["XYZ", "M%25", "%C3%A9", "1", "MYS.json", "M%0AYS", "M%7FYS", "x" * 300])
def test_an_unknown_organisation_is_a_404_json_error(client, delegate, make_token, code):
    assert_error(client.get(f"/api/v1/organisations/{code}", headers=bearer(make_token(delegate))), 404,
                 "not_found")


def test_bodies_are_listed_with_their_parents(client, delegate, make_token):
    r = client.get("/api/v1/bodies", headers=bearer(make_token(delegate)))
    assert r.status_code == 200
    items = r.get_json()["items"]
    assert sorted(b["code"] for b in items) == sorted(code for code, *_ in BODIES)
    by_code = {b["code"]: b for b in items}
    assert by_code["AMMIN"]["parent"] is None
    assert by_code["WGTIM"]["parent"] == "JWG" and by_code["ASOMM3"]["short_name"] == "ASOMM+3"


def test_one_body_lists_its_members(client, delegate, make_user, make_token):
    make_user("observer", email="obs@example.org", bodies={"JWG": "observer"})
    r = client.get("/api/v1/bodies/jwg", headers=bearer(make_token(delegate)))
    assert r.status_code == 200
    data = r.get_json()
    assert data["code"] == "JWG" and data["parent"] == "ASOMM"
    assert sorted(m["email"] for m in data["members"]) == ["delegate@example.org", "obs@example.org"]


def test_someone_outside_a_body_sees_its_name_and_description_but_not_its_members(client, make_user,
                                                                                   make_token):
    make_user("delegate", email="smd-member@example.org", bodies={"WGSMD": "member"})
    observer = make_user("observer", email="jp@example.org", org_code="JPN", bodies={"WGTIM": "observer"})
    outsider = make_user("delegate", email="outsider@example.org", bodies={"WGTIM": "member"})
    for uid in (observer, outsider):
        r = client.get("/api/v1/bodies/WGSMD", headers=bearer(make_token(uid)))
        data = r.get_json()
        assert r.status_code == 200 and data["code"] == "WGSMD" and data["name"] and "description" in data
        assert data["members_visible"] is False and "members" not in data
        assert "smd-member@example.org" not in r.get_data(as_text=True)


def test_fellow_members_and_asec_see_a_bodys_members_with_their_emails(client, make_user, make_token):
    member = make_user("delegate", email="smd-member@example.org", bodies={"WGSMD": "member"})
    observer = make_user("observer", email="jp@example.org", org_code="JPN", bodies={"WGSMD": "observer"})
    for uid in (member, observer, make_user("asec_staff"), make_user("asec_admin", mfa_on=True)):
        data = client.get("/api/v1/bodies/WGSMD", headers=bearer(make_token(uid))).get_json()
        assert data["members_visible"] is True
        assert sorted(m["email"] for m in data["members"]) == ["jp@example.org", "smd-member@example.org"]


@pytest.mark.parametrize("code", ["NOPE", "WGTIM%0A", "%E2%80%AEWGTIM", "WGT%25IM"])
def test_an_unknown_body_is_a_404_json_error(client, delegate, make_token, code):
    assert_error(client.get(f"/api/v1/bodies/{code}", headers=bearer(make_token(delegate))), 404, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/organisations/%00", "/api/v1/bodies/WGTIM%00", "/api/v1/users/%00",
                                  "/api/v1/users?q=%00", "/api/v1/memberships?body=%00"])
def test_a_nul_character_in_the_address_is_a_400_json_error(client, admin_headers, path):
    assert_error(client.get(path, headers=admin_headers), 400)


def test_an_unknown_api_path_is_a_404_json_error(client):
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_a_wrong_method_on_the_api_is_a_405_json_error(client, admin_headers):
    assert_error(client.put("/api/v1/me", json={}, headers=admin_headers), 405)


# --- users -------------------------------------------------------------------

def test_administrators_list_people_a_page_at_a_time(client, admin_headers, make_user):
    for _ in range(4):
        make_user("delegate")
    r = client.get("/api/v1/users?per_page=2&page=2", headers=admin_headers)
    assert r.status_code == 200
    data = r.get_json()
    assert data["page"] == 2 and data["per_page"] == 2 and data["total"] == 5 and data["pages"] == 3
    assert len(data["items"]) == 2
    first = client.get("/api/v1/users?per_page=2&page=1", headers=admin_headers).get_json()["items"]
    assert not {u["id"] for u in first} & {u["id"] for u in data["items"]}


def test_a_page_past_the_end_is_empty(client, admin_headers):
    data = client.get("/api/v1/users?page=50", headers=admin_headers).get_json()
    assert data["items"] == [] and data["total"] == 1


def test_asec_staff_may_list_people(client, make_user, make_token):
    uid = make_user("asec_staff")
    r = client.get("/api/v1/users", headers=bearer(make_token(uid, "read")))
    assert r.status_code == 200 and r.get_json()["total"] == 1


def test_people_can_be_filtered(client, admin_headers, make_user):
    make_user("delegate", email="dina@example.org", name="Dina Lim")
    make_user("observer", email="kenji@example.org", name="Kenji Sato")
    make_user("focal_person", org_code="PHL", email="jose@example.org", name="José Cruz")
    get = lambda q: [u["email"] for u in client.get(f"/api/v1/users?{q}", headers=admin_headers)  # noqa: E731
                     .get_json()["items"]]
    assert get("role=observer") == ["kenji@example.org"]
    assert get("organisation=phl") == ["jose@example.org"]
    assert get("q=LIM") == ["dina@example.org"]
    assert get("q=kenji%40") == ["kenji@example.org"]
    assert get("status=deactivated") == []


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "organisation=%00", "role=%00", "status=%00",
                                   "q=%E2%80%AE", "q=%25", "q=_", "q=" + "x" * 5000])
def test_odd_people_filters_are_not_server_errors(client, admin_headers, query):
    r = client.get(f"/api/v1/users?{query}", headers=admin_headers)
    assert r.status_code in (200, 400)
    if r.status_code == 400:
        assert_error(r, 400)
    else:
        assert r.get_json()["total"] in (0, 1)


@pytest.mark.parametrize("query", [
    "page=0", "page=-1", "per_page=0", "per_page=201", "per_page=-5", "page=abc", "per_page=1.5", "page=",
    "page=99999999999999999999999999", "per_page=99999999999999999999", "page=%C2%B2", "page=1e3",
    "page=9223372036854775807", "page=4611686018427387904", "page=" + "9" * 5000, "per_page=" + "1" * 5000,
])
def test_out_of_bounds_paging_is_a_400_json_error(client, admin_headers, query):
    for path in ("/api/v1/users", "/api/v1/memberships"):
        assert_error(client.get(f"{path}?{query}", headers=admin_headers), 400)


def test_one_person_in_full(client, admin_headers, delegate):
    r = client.get(f"/api/v1/users/{delegate}", headers=admin_headers)
    assert r.status_code == 200
    data = r.get_json()
    assert data["email"] == "delegate@example.org" and data["mfa_enabled"] is False
    assert {m["body"] for m in data["memberships"]} == {"WGTIM", "JWG"}


@pytest.mark.parametrize("user_id", ["999", "99999999999999999999999", "9223372036854775808", "2147483648"])
def test_an_unknown_person_is_a_404_json_error(client, admin_headers, user_id):
    assert_error(client.get(f"/api/v1/users/{user_id}", headers=admin_headers), 404, "not_found")
    r = client.patch(f"/api/v1/users/{user_id}", json={"name": "X"}, headers=admin_headers)
    assert r.status_code in (404, 405)  # an id no table can hold matches no route at all
    assert_error(r, r.status_code)


def test_an_administrator_changes_a_persons_name_and_role(app, client, admin_headers, delegate):
    r = client.patch(f"/api/v1/users/{delegate}", json={"name": "  Dewi Focal ", "role": "focal_person"},
                     headers=admin_headers)
    assert r.status_code == 200
    assert r.get_json()["name"] == "Dewi Focal" and r.get_json()["role"] == "focal_person"
    with app.app_context():
        user = db.session.get(User, delegate)
        assert (user.name, user.role) == ("Dewi Focal", "focal_person")
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "user.role_changed")).scalar_one()
        assert json.loads(entry.details)["role"] == ["delegate", "focal_person"]


def test_an_administrator_moves_a_person_to_another_organisation(app, client, admin_headers, delegate):
    r = client.patch(f"/api/v1/users/{delegate}", json={"organisation": "phl"}, headers=admin_headers)
    assert r.status_code == 200 and r.get_json()["organisation"] == "PHL"


def test_a_name_may_be_in_any_script(app, client, admin_headers, delegate):
    name = "Nguyễn Thị Lan 阮氏蘭 ณัฐ 😀"
    r = client.patch(f"/api/v1/users/{delegate}", json={"name": name}, headers=admin_headers)
    assert r.status_code == 200
    assert client.get(f"/api/v1/users/{delegate}", headers=admin_headers).get_json()["name"] == name


def test_an_administrator_deactivates_and_reactivates_a_person(app, client, admin_headers, delegate):
    r = client.patch(f"/api/v1/users/{delegate}", json={"status": "deactivated"}, headers=admin_headers)
    assert r.status_code == 200 and r.get_json()["status"] == "deactivated"
    r = client.patch(f"/api/v1/users/{delegate}", json={"status": "active"}, headers=admin_headers)
    assert r.status_code == 200 and r.get_json()["status"] == "active"
    assert _audit_actions(app)[-2:] == ["user.deactivated", "user.reactivated"]


@pytest.mark.parametrize("payload,field", [
    ({"role": "superuser"}, "role"),
    ({"role": ""}, "role"),
    ({"role": None}, "role"),
    ({"role": ["asec_admin"]}, "role"),
    ({"status": "gone"}, "status"),
    ({"status": True}, "status"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": 42}, "name"),
    ({"name": None}, "name"),
    ({"organisation": "XYZ"}, "organisation"),
    ({"organisation": 5}, "organisation"),
    ({"organisation": None}, "organisation"),
    ({"email": "new@example.org"}, "email"),
    ({"password": "a new password here"}, "password"),
    ({"is_admin": True}, "is_admin"),
])
def test_an_invalid_change_is_a_422_naming_the_field_and_changes_nothing(
        client, admin_headers, delegate, snapshot, payload, field):
    before = snapshot()
    r = client.patch(f"/api/v1/users/{delegate}", json=payload, headers=admin_headers)
    error = assert_error(r, 422, "validation_error")
    assert field in error["fields"] and isinstance(error["fields"][field], str)
    assert snapshot() == before


def test_valid_fields_are_not_applied_when_another_field_is_invalid(client, admin_headers, delegate, snapshot):
    before = snapshot()
    r = client.patch(f"/api/v1/users/{delegate}", json={"name": "Good Name", "role": "king", "colour": "blue"},
                     headers=admin_headers)
    error = assert_error(r, 422, "validation_error")
    assert set(error["fields"]) == {"role", "colour"}
    assert snapshot() == before


def test_an_administrator_cannot_change_their_own_role(client, admin, admin_headers, snapshot):
    before = snapshot()
    assert_error(client.patch(f"/api/v1/users/{admin}", json={"role": "delegate"}, headers=admin_headers), 409,
                 "conflict")
    assert snapshot() == before


def test_an_administrator_cannot_deactivate_themselves(client, admin, admin_headers, snapshot):
    before = snapshot()
    assert_error(client.patch(f"/api/v1/users/{admin}", json={"status": "deactivated"}, headers=admin_headers),
                 409, "conflict")
    assert snapshot() == before


@pytest.mark.parametrize("payload", [
    {"role": "asec_admin"},                        # an ASEC role for a Member State official
    {"organisation": "JPN"},                       # a delegate of a partner organisation
    {"role": "focal_person", "organisation": "IGF"},
])
def test_a_role_that_does_not_fit_the_organisation_is_refused(client, admin_headers, delegate, snapshot, payload):
    before = snapshot()
    r = client.patch(f"/api/v1/users/{delegate}", json=payload, headers=admin_headers)
    assert r.status_code in (409, 422)
    assert_error(r, r.status_code)
    assert snapshot() == before


# --- invitations ---------------------------------------------------------------

INVITE = {"email": "New.Person@Example.org", "name": "New Person", "organisation": "MYS", "role": "delegate",
          "bodies": ["WGTIM", "wgsmd"]}


def test_an_administrator_invites_a_person_and_the_email_goes_out(app, client, admin_headers):
    r = client.post("/api/v1/invitations", json=INVITE, headers=admin_headers)
    assert r.status_code == 201
    data = r.get_json()
    assert data["email"] == "new.person@example.org" and data["status"] == "sent"
    assert data["organisation"] == "MYS" and data["role"] == "delegate"
    assert sorted(data["bodies"]) == ["WGSMD", "WGTIM"]
    messages = outbox(app)
    assert len(messages) == 1 and messages[0]["To"] == "new.person@example.org"
    with app.app_context():
        inv = db.session.get(Invitation, data["id"])
        assert inv.token_hash and len(inv.token_hash) == 64 and inv.expires_at is not None
        assert "invitation.sent" in _audit_actions(app)


def test_a_focal_person_nominates_a_delegate_of_their_own_state_without_an_email(app, client, make_user,
                                                                                  make_token):
    uid = make_user("focal_person")
    r = client.post("/api/v1/invitations", json=INVITE, headers=bearer(make_token(uid)))
    assert r.status_code == 201 and r.get_json()["status"] == "nominated"
    assert outbox(app) == []


@pytest.mark.parametrize("payload", [
    INVITE | {"organisation": "PHL"},
    INVITE | {"role": "focal_person"},
    INVITE | {"organisation": "JPN", "role": "observer"},
])
def test_a_focal_person_may_nominate_only_delegates_of_their_own_state(app, client, make_user, make_token,
                                                                        snapshot, payload):
    uid = make_user("focal_person")
    headers = bearer(make_token(uid))
    before = snapshot()
    assert_error(client.post("/api/v1/invitations", json=payload, headers=headers), 403, "forbidden")
    assert snapshot() == before and outbox(app) == []


@pytest.mark.parametrize("role", ["asec_staff", "delegate", "observer"])
def test_other_roles_may_not_invite(client, make_user, make_token, snapshot, role):
    uid = make_user(role)
    headers = bearer(make_token(uid))
    before = snapshot()
    assert_error(client.post("/api/v1/invitations", json=INVITE, headers=headers), 403, "forbidden")
    assert snapshot() == before


@pytest.mark.parametrize("payload,fields", [
    ({}, {"email", "name", "organisation", "role"}),
    (INVITE | {"email": "not-an-email"}, {"email"}),
    (INVITE | {"email": "a" * 250 + "@example.org"}, {"email"}),
    (INVITE | {"email": 12}, {"email"}),
    (INVITE | {"name": "   "}, {"name"}),
    (INVITE | {"name": "n" * 201}, {"name"}),
    (INVITE | {"organisation": "ATL"}, {"organisation"}),
    (INVITE | {"organisation": ["MYS"]}, {"organisation"}),
    (INVITE | {"role": "superuser"}, {"role"}),
    (INVITE | {"role": 1}, {"role"}),
    (INVITE | {"bodies": "WGTIM"}, {"bodies"}),
    (INVITE | {"bodies": [1, 2]}, {"bodies"}),
    (INVITE | {"bodies": [["WGTIM"]]}, {"bodies"}),
    (INVITE | {"bodies": ["NOPE"]}, {"bodies"}),
])
def test_an_invalid_invitation_is_a_422_naming_the_fields(app, client, admin_headers, snapshot, payload, fields):
    before = snapshot()
    error = assert_error(client.post("/api/v1/invitations", json=payload, headers=admin_headers), 422,
                         "validation_error")
    assert set(error["fields"]) == fields
    assert snapshot() == before and outbox(app) == []


def test_inviting_an_existing_account_is_a_conflict(app, client, admin_headers, delegate, snapshot):
    before = snapshot()
    r = client.post("/api/v1/invitations", json=INVITE | {"email": "DELEGATE@example.org"}, headers=admin_headers)
    assert_error(r, 409, "conflict")
    assert snapshot() == before and outbox(app) == []


def test_inviting_the_same_person_twice_is_a_conflict(app, client, admin_headers):
    assert client.post("/api/v1/invitations", json=INVITE, headers=admin_headers).status_code == 201
    assert_error(client.post("/api/v1/invitations", json=INVITE, headers=admin_headers), 409, "conflict")
    assert len(outbox(app)) == 1


def test_an_asec_role_for_a_member_state_person_is_refused(app, client, admin_headers, snapshot):
    before = snapshot()
    r = client.post("/api/v1/invitations", json=INVITE | {"role": "asec_staff"}, headers=admin_headers)
    assert r.status_code in (409, 422)
    assert_error(r, r.status_code)
    assert snapshot() == before


def test_a_body_named_twice_is_kept_once(app, client, admin_headers):
    r = client.post("/api/v1/invitations", json=INVITE | {"bodies": ["WGTIM", "wgtim", "WGTIM"]},
                    headers=admin_headers)
    assert r.status_code == 201
    assert r.get_json()["bodies"] == ["WGTIM"]


# --- memberships -------------------------------------------------------------

def test_memberships_are_listed_and_filtered(client, admin_headers, delegate, make_user):
    other = make_user("observer", bodies={"WGTIM": "observer"})
    data = client.get("/api/v1/memberships", headers=admin_headers).get_json()
    assert data["total"] == 3
    by_body = client.get("/api/v1/memberships?body=wgtim", headers=admin_headers).get_json()["items"]
    assert sorted(m["user_id"] for m in by_body) == sorted([delegate, other])
    by_user = client.get(f"/api/v1/memberships?user_id={other}", headers=admin_headers).get_json()["items"]
    assert [(m["body"], m["role"]) for m in by_user] == [("WGTIM", "observer")]
    assert client.get("/api/v1/memberships?body=NOPE", headers=admin_headers).get_json()["items"] == []


@pytest.mark.parametrize("user_id", ["99999999999999999999999", "\u00b2", "\u0661", "-1", "abc", "1.0", " 1"])
def test_an_odd_user_filter_on_memberships_is_not_a_server_error(client, admin_headers, delegate, user_id):
    r = client.get("/api/v1/memberships", query_string={"user_id": user_id}, headers=admin_headers)
    assert r.status_code in (200, 400) and r.mimetype == "application/json"
    if r.status_code == 200:
        assert isinstance(r.get_json()["items"], list)
    else:
        assert_error(r, 400)


def test_an_administrator_adds_a_membership(app, client, admin_headers, delegate):
    r = client.post("/api/v1/memberships", json={"user_id": delegate, "body": "wgmid", "role": "vice_chair"},
                    headers=admin_headers)
    assert r.status_code == 201
    data = r.get_json()
    assert (data["user_id"], data["body"], data["role"]) == (delegate, "WGMID", "vice_chair")
    with app.app_context():
        m = db.session.get(Membership, data["id"])
        assert (m.user_id, m.body.code, m.role) == (delegate, "WGMID", "vice_chair")
    assert _audit_actions(app)[-1] == "membership.set"


def test_a_membership_role_defaults_to_member(client, admin_headers, delegate):
    r = client.post("/api/v1/memberships", json={"user_id": delegate, "body": "TF"}, headers=admin_headers)
    assert r.status_code == 201 and r.get_json()["role"] == "member"


def test_adding_an_existing_membership_changes_its_role_without_a_second_row(app, client, admin_headers,
                                                                            delegate):
    before = _membership_ids(app, delegate)
    r = client.post("/api/v1/memberships", json={"user_id": delegate, "body": "WGTIM", "role": "chair"},
                    headers=admin_headers)
    assert r.status_code in (200, 201)
    assert _membership_ids(app, delegate) == before
    with app.app_context():
        wgtim = db.session.execute(select(Body).where(Body.code == "WGTIM")).scalar_one()
        assert db.session.get(User, delegate).body_role(wgtim.id) == "chair"


@pytest.mark.parametrize("payload,fields", [
    ({"user_id": "{d}", "body": "NOPE"}, {"body"}),
    ({"user_id": "{d}", "body": None}, {"body"}),
    ({"user_id": "{d}", "body": ["WGTIM"]}, {"body"}),
    ({"user_id": 999999, "body": "WGTIM"}, {"user_id"}),
    ({"user_id": "1", "body": "WGTIM"}, {"user_id"}),
    ({"user_id": 1.0, "body": "WGTIM"}, {"user_id"}),
    ({"user_id": True, "body": "WGTIM"}, {"user_id"}),
    ({"user_id": 10 ** 30, "body": "WGTIM"}, {"user_id"}),
    ({"user_id": -(2 ** 63), "body": "WGTIM"}, {"user_id"}),
    ({"user_id": 2 ** 63, "body": "WGTIM"}, {"user_id"}),
    ({"user_id": "{d}", "body": "WGTIM", "role": "president"}, {"role"}),
    ({"user_id": "{d}", "body": "WGTIM", "role": None}, {"role"}),
    ({"user_id": "{d}", "body": "WGTIM", "role": ["chair"]}, {"role"}),
    ({"body": "WGTIM"}, {"user_id"}),
    ({}, {"user_id", "body"}),
])
def test_an_invalid_membership_is_a_422_naming_the_fields(client, admin_headers, delegate, snapshot, payload,
                                                          fields):
    payload = {k: (delegate if v == "{d}" else v) for k, v in payload.items()}
    before = snapshot()
    error = assert_error(client.post("/api/v1/memberships", json=payload, headers=admin_headers), 422,
                         "validation_error")
    assert set(error["fields"]) == fields
    assert snapshot() == before


def test_an_administrator_removes_a_membership(app, client, admin_headers, delegate):
    first, second = _membership_ids(app, delegate)
    r = client.delete(f"/api/v1/memberships/{first}", headers=admin_headers)
    assert r.status_code == 204 and r.get_data() == b""
    assert _membership_ids(app, delegate) == [second]
    assert _audit_actions(app)[-1] == "membership.removed"


@pytest.mark.parametrize("membership_id", ["12345", "99999999999999999999999", "9223372036854775808"])
def test_removing_an_unknown_membership_is_a_404_json_error(client, admin_headers, delegate, snapshot,
                                                            membership_id):
    before = snapshot()
    assert_error(client.delete(f"/api/v1/memberships/{membership_id}", headers=admin_headers), 404, "not_found")
    assert snapshot() == before


def test_removing_a_membership_twice_is_a_404(app, client, admin_headers, delegate):
    first = _membership_ids(app, delegate)[0]
    assert client.delete(f"/api/v1/memberships/{first}", headers=admin_headers).status_code == 204
    assert_error(client.delete(f"/api/v1/memberships/{first}", headers=admin_headers), 404)


# --- bad bodies and hostile input ----------------------------------------------



WRITES = [("PATCH", "/api/v1/users/{d}"), ("POST", "/api/v1/invitations"), ("POST", "/api/v1/memberships")]


@pytest.mark.parametrize("method,path", WRITES)
@pytest.mark.parametrize("data,content_type", [
    ("{not json", "application/json"),
    ('{"name": "x"', "application/json"),
    ("", "application/json"),
    ("name=x", "application/x-www-form-urlencoded"),
    ('{"name": "x"}', "text/plain"),
    (b"\xff\xfe\x00", "application/json"),
    ("[]", "application/json"),
    ('"a string"', "application/json"),
    ("42", "application/json"),
    ("null", "application/json"),
    ("true", "application/json"),
    ('[{"name": "x"}]', "application/json"),
])
def test_a_body_that_is_not_a_json_object_is_a_400_json_error(client, admin_headers, delegate, snapshot, method,
                                                              path, data, content_type):
    before = snapshot()
    r = client.open(path.format(d=delegate), method=method, data=data, content_type=content_type,
                    headers=admin_headers)
    assert_error(r, 400)
    assert snapshot() == before


HOSTILE_VALUES = [10 ** 40, -(10 ** 40), 2 ** 63, 2 ** 31, -1, 0, 1.5e308, 1e-300, "1", "", " ", "\x00",
                  "a\x00b@example.org", "line\nbreak@example.org", "'; DROP TABLE users; --", "%", "A" * 100_000,
                  "☃" * 300, "\u202egnp.exe", "\ud800", [], {}, [1], ["WGTIM", None], {"$gt": ""}, True, False,
                  None]


@pytest.mark.parametrize("method,path,fields", [
    ("PATCH", "/api/v1/users/{d}", ["name", "role", "organisation", "status", "id"]),
    ("POST", "/api/v1/invitations", ["email", "name", "organisation", "role", "bodies"]),
    ("POST", "/api/v1/memberships", ["user_id", "body", "role"]),
], ids=["patch-user", "invitation", "membership"])
def test_hostile_values_never_cause_a_server_error_and_a_refusal_changes_nothing(
        app, client, admin_headers, delegate, snapshot, method, path, fields):
    template = {"/api/v1/invitations": INVITE, "/api/v1/memberships":
                {"user_id": delegate, "body": "WGCBM", "role": "member"}}.get(path, {})
    for field in fields:
        for value in HOSTILE_VALUES:
            before = snapshot()
            r = client.open(path.format(d=delegate), method=method, json=dict(template) | {field: value},
                            headers=admin_headers)
            where = (field, repr(value)[:40])
            assert r.status_code < 500, (where, r.get_data(as_text=True)[:300])
            if r.status_code >= 400:
                assert_error(r, r.status_code)
                assert snapshot() == before, where
            else:
                assert r.status_code in (200, 201), where
    with app.app_context():  # whatever was accepted is still readable through the API
        assert client.get("/api/v1/users?per_page=200", headers=admin_headers).status_code == 200
        assert client.get(f"/api/v1/users/{delegate}", headers=admin_headers).status_code == 200


@pytest.mark.parametrize("value", ["\x00", "Nul\x00Name", "tab\there", "bell\x07", "\x1b[31mred"])
def test_a_name_with_control_characters_is_refused(client, admin_headers, delegate, snapshot, value):
    before = snapshot()
    error = assert_error(client.patch(f"/api/v1/users/{delegate}", json={"name": value}, headers=admin_headers),
                         422, "validation_error")
    assert "name" in error["fields"]
    assert snapshot() == before


@pytest.mark.parametrize("email", ["a\x00b@example.org", "two words@example.org", "line\nbreak@example.org",
                                   "@example.org", "someone@", "a@b@c"])
def test_an_invitation_email_that_is_not_an_address_is_refused(app, client, admin_headers, snapshot, email):
    before = snapshot()
    error = assert_error(client.post("/api/v1/invitations", json=INVITE | {"email": email}, headers=admin_headers),
                         422, "validation_error")
    assert set(error["fields"]) == {"email"}
    assert snapshot() == before and outbox(app) == []


@pytest.mark.parametrize("url,method", [
    ("/api/v1/users/-1", "GET"), ("/api/v1/users/1.5", "GET"), ("/api/v1/users/0x1", "GET"),
    ("/api/v1/users/1;DROP", "GET"), ("/api/v1/users/\u0661", "GET"),
    ("/api/v1/memberships/-1", "DELETE"), ("/api/v1/memberships/abc", "DELETE"),
    ("/api/v1/memberships/99999999999999999999999999999", "DELETE"),
])
def test_odd_ids_in_the_path_are_json_errors_not_server_errors(client, admin_headers, delegate, url, method):
    r = client.open(url, method=method, headers=admin_headers)
    assert r.status_code in (404, 405)
    assert_error(r, r.status_code)


def test_a_json_body_over_the_api_limit_is_refused_with_413_json(app, client, admin_headers, delegate,
                                                                 snapshot):
    limit = app.config["API_MAX_CONTENT_LENGTH"]
    assert isinstance(limit, int) and 0 < limit <= 10 * 1024 * 1024
    before = snapshot()
    r = client.patch(f"/api/v1/users/{delegate}", json={"name": "x" * (limit + 10)}, headers=admin_headers)
    assert_error(r, 413)
    assert snapshot() == before


def test_the_api_body_limit_follows_the_setting(app, client, admin_headers, delegate, snapshot, monkeypatch):
    monkeypatch.setitem(app.config, "API_MAX_CONTENT_LENGTH", 100)
    before = snapshot()
    r = client.post("/api/v1/invitations", json=INVITE | {"name": "n" * 150}, headers=admin_headers)
    assert_error(r, 413)
    assert snapshot() == before
    assert client.patch(f"/api/v1/users/{delegate}", json={"name": "Short"}, headers=admin_headers).status_code == 200


def test_the_users_count_is_unchanged_by_refused_requests(app, client, delegate, make_token):
    raw = make_token(delegate)
    with app.app_context():
        count = db.session.scalar(select(func.count(User.id)))
    client.post("/api/v1/invitations", json=INVITE, headers=bearer(raw))
    client.patch(f"/api/v1/users/{delegate}", json={"role": "asec_admin"}, headers=bearer(raw))
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == count
        assert db.session.get(User, delegate).role == "delegate"


@pytest.mark.parametrize("method,path", WRITES)
def test_json_with_a_lone_surrogate_is_a_400_json_error(client, admin_headers, delegate, snapshot, method, path):
    before = snapshot()
    r = client.open(path.format(d=delegate), method=method, content_type="application/json",
                    data='{"name": "\\ud800", "email": "\\udfff@example.org", "body": "\\ud83d"}',
                    headers=admin_headers)
    assert_error(r, 400)
    assert snapshot() == before
