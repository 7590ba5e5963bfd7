"""The operations commands: flask --app app seed | demo | users ... | audit verify."""
from __future__ import annotations

from sqlalchemy import func, select, text

from aocp.accounts.models import ApiToken, User
from aocp.cli import DEMO_PASSWORD, DEMO_PEOPLE
from aocp.extensions import db
from aocp.orgs.models import Body, Membership, Organisation
from tests.admin.conftest import entries
from tests.conftest import login, user_email

MEMBER_STATES = {"BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM"}
ORGANISATIONS = MEMBER_STATES | {"ASEC", "CHN", "JPN", "KOR", "IGF", "CCOP", "AFMA"}
BODIES = {"AMMIN", "ASOMM", "ASOMM3", "JWG", "WGTIM", "WGSMD", "WGCBM", "WGMID", "TF"}
STRONG = "basalt orchard whistle 19"


def run(app, *args, input=None):
    # `flask` itself pushes an app context for every command (FlaskGroup); app.cli alone does not.
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args), input=input)


def codes(app, model) -> set[str]:
    with app.app_context():
        return set(db.session.execute(select(model.code)).scalars())


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def find(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if user is not None:
            user.bodies = {m.body.code: m.role for m in user.memberships}  # read before detaching
            db.session.expunge_all()
        return user


def empty_reference_tables(app) -> None:
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE bodies SET parent_id = NULL"))
            conn.execute(text("DELETE FROM bodies"))
            conn.execute(text("DELETE FROM organisations"))


# --- seed ------------------------------------------------------------------------

def test_seed_loads_the_reference_organisations_and_bodies(app):
    empty_reference_tables(app)
    r = run(app, "seed")
    assert r.exit_code == 0, r.output
    assert "17 organisations and 9 bodies added" in r.output
    assert codes(app, Organisation) == ORGANISATIONS
    assert codes(app, Body) == BODIES
    with app.app_context():
        kinds = dict(db.session.execute(select(Organisation.code, Organisation.kind)).all())
        parents = {b.code: b.parent.code if b.parent else None for b in db.session.execute(select(Body)).scalars()}
    assert {c for c, k in kinds.items() if k == "member_state"} == MEMBER_STATES
    assert kinds["ASEC"] == "secretariat" and kinds["JPN"] == "dialogue_partner" and kinds["IGF"] == "international_org"
    assert parents["AMMIN"] is None and parents["ASOMM"] == "AMMIN" and parents["WGTIM"] == "JWG"


def test_seed_is_idempotent(app):
    empty_reference_tables(app)
    run(app, "seed")
    with app.app_context():
        before = dict(db.session.execute(select(Organisation.code, Organisation.id)).all())
    r = run(app, "seed")
    assert r.exit_code == 0
    assert "0 organisations and 0 bodies added" in r.output
    assert (count(app, Organisation), count(app, Body)) == (17, 9)
    with app.app_context():
        assert dict(db.session.execute(select(Organisation.code, Organisation.id)).all()) == before


def test_seed_keeps_people_and_added_organisations(app, make_user):
    uid = make_user("delegate")
    with app.app_context():
        db.session.add(Organisation(code="AUS", name="Australia", kind="dialogue_partner"))
        db.session.commit()
    assert run(app, "seed").exit_code == 0
    assert "AUS" in codes(app, Organisation)
    assert find(app, user_email(app, uid)).status == "active"


# --- users create ------------------------------------------------------------------

def test_users_create_reads_the_password_from_stdin(app):
    r = run(app, "users", "create", "first.admin@asec.org", "--org", "asec", "--role", "asec_admin",
            "--name", "First Admin", input=STRONG + "\n")
    assert r.exit_code == 0, r.output
    assert "Created first.admin@asec.org (asec_admin, ASEC)." in r.output
    user = find(app, "first.admin@asec.org")
    assert (user.name, user.role, user.org.code, user.status) == ("First Admin", "asec_admin", "ASEC", "active")
    client = app.test_client()
    assert login(client, "first.admin@asec.org", STRONG).status_code == 302
    [entry] = entries(app, "user.created")
    assert entry.actor_id is None and STRONG not in entry.details


def test_users_create_refuses_a_weak_password(app):
    r = run(app, "users", "create", "weak@asec.org", "--org", "ASEC", "--role", "asec_staff", input="short\n")
    assert r.exit_code == 1
    assert "Use at least 12 characters" in r.output
    r = run(app, "users", "create", "weak@asec.org", "--org", "ASEC", "--role", "asec_staff",
            input="Indonesia-2026\n")
    assert r.exit_code == 1 and "linked to AOCP" in r.output
    assert find(app, "weak@asec.org") is None


def test_users_create_refuses_an_unknown_organisation(app):
    r = run(app, "users", "create", "x@example.org", "--org", "XYZ", "--role", "delegate", input=STRONG + "\n")
    assert r.exit_code == 2
    assert "unknown organisation 'XYZ'" in r.output
    assert find(app, "x@example.org") is None


def test_users_create_refuses_an_unknown_role(app):
    r = run(app, "users", "create", "x@example.org", "--org", "MYS", "--role", "king", input=STRONG + "\n")
    assert r.exit_code == 2
    assert "'king' is not one of" in r.output
    assert find(app, "x@example.org") is None


def test_users_create_refuses_a_role_outside_its_organisation(app):
    r = run(app, "users", "create", "x@example.org", "--org", "MYS", "--role", "asec_admin", input=STRONG + "\n")
    assert r.exit_code == 1 and "ASEC roles are for people of the ASEAN Secretariat." in r.output
    assert find(app, "x@example.org") is None


def test_users_create_refuses_an_existing_email(app, make_user):
    make_user("delegate", email="taken@example.gov.my")
    r = run(app, "users", "create", "TAKEN@example.gov.my", "--org", "MYS", "--role", "delegate",
            input=STRONG + "\n")
    assert r.exit_code == 1 and "already exists" in r.output
    assert count(app, User) == 1


# --- users add-membership ------------------------------------------------------------

def test_users_add_membership_with_a_body_role(app, make_user):
    make_user("delegate", email="siti@example.gov.my")
    r = run(app, "users", "add-membership", "siti@example.gov.my", "wgtim", "--role", "chair")
    assert r.exit_code == 0, r.output
    assert "siti@example.gov.my is now chair of WGTIM." in r.output
    assert find(app, "siti@example.gov.my").bodies == {"WGTIM": "chair"}
    run(app, "users", "add-membership", "siti@example.gov.my", "WGTIM", "--role", "member")
    assert find(app, "siti@example.gov.my").bodies == {"WGTIM": "member"}
    assert [e.target_type for e in entries(app, "membership.set")] == ["memberships", "memberships"]


def test_users_add_membership_defaults_to_member(app, make_user):
    make_user("delegate", email="siti@example.gov.my")
    assert run(app, "users", "add-membership", "siti@example.gov.my", "JWG").exit_code == 0
    assert find(app, "siti@example.gov.my").bodies == {"JWG": "member"}


def test_users_add_membership_refuses_unknown_body_person_or_role(app, make_user):
    make_user("delegate", email="siti@example.gov.my")
    assert run(app, "users", "add-membership", "siti@example.gov.my", "NOPE").exit_code == 2
    r = run(app, "users", "add-membership", "nobody@example.org", "JWG")
    assert r.exit_code == 2 and "no account with email" in r.output
    assert run(app, "users", "add-membership", "siti@example.gov.my", "JWG", "--role", "boss").exit_code == 2
    assert count(app, Membership) == 0


# --- users token ------------------------------------------------------------------

def test_users_token_prints_a_token_that_works_on_the_api(app, make_user):
    make_user("delegate", email="siti@example.gov.my")
    r = run(app, "users", "token", "siti@example.gov.my", "--scope", "read")
    assert r.exit_code == 0, r.output
    raw = r.output.strip()
    assert raw.startswith("aocp_") and "\n" not in raw
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 200
    assert me.get_json()["email"] == "siti@example.gov.my"
    with app.app_context():
        token = db.session.execute(select(ApiToken)).scalar_one()
        assert token.scope == "read" and raw not in (token.token_hash, token.prefix)
        assert raw not in repr(db.session.execute(text("SELECT * FROM api_tokens")).all())
    assert len(entries(app, "token.created")) == 1


def test_users_token_prints_a_new_token_each_time(app, make_user):
    make_user("delegate", email="siti@example.gov.my")
    first = run(app, "users", "token", "siti@example.gov.my").output.strip()
    second = run(app, "users", "token", "siti@example.gov.my", "--scope", "write").output.strip()
    assert first != second
    with app.app_context():
        assert sorted(db.session.execute(select(ApiToken.scope)).scalars()) == ["read", "write"]


def test_read_token_from_the_cli_cannot_write(app, make_user):
    make_user("asec_admin", email="a@asec.org")
    raw = run(app, "users", "token", "a@asec.org", "--scope", "read").output.strip()
    r = app.test_client().post("/api/v1/memberships", json={}, headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "insufficient_scope"


def test_users_token_refuses_a_deactivated_account_and_unknown_scope(app, make_user):
    uid = make_user("delegate", email="siti@example.gov.my")
    assert run(app, "users", "token", "siti@example.gov.my", "--scope", "admin").exit_code == 2
    with app.app_context():
        db.session.get(User, uid).status = "deactivated"
        db.session.commit()
    r = run(app, "users", "token", "siti@example.gov.my")
    assert r.exit_code == 1 and "deactivated" in r.output
    assert count(app, ApiToken) == 0


# --- audit verify ---------------------------------------------------------------------

def test_audit_verify_says_ok_for_an_intact_chain(app, make_user):
    make_user("delegate", bodies={"WGTIM": "member"})
    r = run(app, "audit", "verify")
    assert r.exit_code == 0
    assert r.output.startswith("OK: 2 entries, chain intact")


def test_audit_verify_fails_after_tampering(app, make_user):
    make_user("delegate", bodies={"WGTIM": "member"})
    first = entries(app)[0]
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_entries SET details = '{}' WHERE id = :id"), {"id": first.id})
    r = run(app, "audit", "verify")
    assert r.exit_code == 1
    assert r.output.startswith("TAMPERED:") and f"entry {first.id}" in r.output


# --- demo ---------------------------------------------------------------------------

def test_demo_creates_the_demo_people(app):
    r = run(app, "demo")
    assert r.exit_code == 0, r.output
    assert f"({len(DEMO_PEOPLE)} people and 6 documents added)" in r.output and DEMO_PASSWORD in r.output
    for email, name, org_code, role, bodies in DEMO_PEOPLE:
        user = find(app, email)
        assert (user.name, user.org.code, user.role) == (name, org_code, role)
        assert user.bodies == dict(bodies)
        assert email in r.output


def test_demo_people_can_sign_in(app):
    run(app, "demo")
    client = app.test_client()
    assert login(client, "delegate.mys@example.gov.my", DEMO_PASSWORD).status_code == 302
    assert "Hafiz Delegate" in client.get("/").get_data(as_text=True)
    admin = app.test_client()
    r = login(admin, "admin@asec.example.org", DEMO_PASSWORD)
    assert r.headers["Location"].endswith("/profile/mfa")  # the administrator must set up a second factor


def test_demo_is_idempotent(app):
    run(app, "demo")
    people, memberships = count(app, User), count(app, Membership)
    r = run(app, "demo")
    assert r.exit_code == 0 and "(0 people and 0 documents added)" in r.output
    assert (count(app, User), count(app, Membership)) == (people, memberships)
