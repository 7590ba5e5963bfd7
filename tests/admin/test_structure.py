"""Organisations and bodies in the administration console, and CSRF protection of its forms."""
from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from aocp.accounts.models import Invitation
from aocp.extensions import db
from aocp.orgs.models import Body, Organisation
from tests.admin.conftest import body_id, entries, new_client, org_id
from tests.conftest import login, post_form


def get_org(app, code: str) -> Organisation | None:
    with app.app_context():
        org = db.session.execute(select(Organisation).where(Organisation.code == code)).scalar_one_or_none()
        db.session.expunge_all()
        return org


def get_body(app, code: str) -> Body | None:
    with app.app_context():
        body = db.session.execute(select(Body).where(Body.code == code)).scalar_one_or_none()
        parent = body.parent.code if body is not None and body.parent else None
        db.session.expunge_all()
        return body, parent


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def org_form(**values):
    return {"code": "AUS", "name": "Australia", "kind": "dialogue_partner", **values}


def body_form(app, parent="JWG", **values):
    return {"code": "WGX", "short_name": "WGX", "name": "Working Group on Critical Minerals",
            "parent": str(body_id(app, parent)) if parent else "", "description": "A new group.", **values}


# --- organisations ---------------------------------------------------------

def test_organisations_are_listed_with_their_people(app, admin, make_user):
    make_user("delegate")
    page = admin.get("/admin/organisations").get_data(as_text=True)
    for code in ("BRN", "MYS", "ASEC", "JPN", "IGF", "AFMA"):
        assert f">{code}</a>" in page
    assert "Add an organisation" in page


def test_admin_adds_an_organisation(app, admin, admin_id):
    r = post_form(admin, "/admin/organisations/new", org_form(), follow_redirects=True)
    assert "Australia saved." in r.get_data(as_text=True)
    org = get_org(app, "AUS")
    assert (org.name, org.kind, org.require_mfa) == ("Australia", "dialogue_partner", False)
    [entry] = entries(app, "organisation.created")
    assert entry.actor_id == admin_id and json.loads(entry.details)["after"]["code"] == "AUS"


def test_admin_renames_an_organisation(app, admin):
    mys = org_id(app, "MYS")
    r = post_form(admin, f"/admin/organisations/{mys}", org_form(code="MYS", name="Malaysia (Federation)",
                                                                 kind="member_state"))
    assert r.status_code == 302
    assert get_org(app, "MYS").name == "Malaysia (Federation)"
    [entry] = entries(app, "organisation.updated")
    details = json.loads(entry.details)
    assert details["before"]["name"] == "Malaysia" and details["after"]["name"] == "Malaysia (Federation)"


def test_duplicate_organisation_code_is_refused_and_nothing_changes(app, admin):
    before = count(app, Organisation)
    r = post_form(admin, "/admin/organisations/new", org_form(code="MYS", name="Another Malaysia"))
    assert r.status_code == 400
    assert "The code MYS is already used." in r.get_data(as_text=True)
    assert count(app, Organisation) == before
    assert get_org(app, "MYS").name == "Malaysia"
    assert entries(app, "organisation.created") == []


def test_changing_an_organisation_code_to_one_in_use_is_refused(app, admin):
    r = post_form(admin, f"/admin/organisations/{org_id(app, 'THA')}", org_form(code="VNM", name="Thailand",
                                                                                 kind="member_state"))
    assert r.status_code == 400 and "already used" in r.get_data(as_text=True)
    assert get_org(app, "THA").name == "Thailand"


def test_bad_organisation_code_is_refused_and_nothing_changes(app, admin):
    before = count(app, Organisation)
    for bad in ("aus", "AU-S", "", "A" * 17):
        r = post_form(admin, "/admin/organisations/new", org_form(code=bad))
        assert r.status_code == 400, bad
    assert "Capital letters and digits only" in post_form(admin, "/admin/organisations/new",
                                                          org_form(code="aus")).get_data(as_text=True)
    assert count(app, Organisation) == before


def test_unknown_organisation_kind_is_refused(app, admin):
    r = post_form(admin, "/admin/organisations/new", org_form(kind="empire"))
    assert r.status_code == 400 and "Not a valid choice" in r.get_data(as_text=True)
    assert get_org(app, "AUS") is None


def test_require_mfa_per_organisation_is_saved(app, admin):
    tha = org_id(app, "THA")
    post_form(admin, f"/admin/organisations/{tha}", org_form(code="THA", name="Thailand", kind="member_state",
                                                             require_mfa="y"))
    assert get_org(app, "THA").require_mfa is True
    assert "required" in admin.get("/admin/organisations").get_data(as_text=True)
    post_form(admin, f"/admin/organisations/{tha}", org_form(code="THA", name="Thailand", kind="member_state"))
    assert get_org(app, "THA").require_mfa is False


def test_required_second_factor_is_asked_of_the_organisations_people(app, admin, make_user):
    make_user("delegate", org_code="THA", email="somchai@example.go.th")
    post_form(admin, f"/admin/organisations/{org_id(app, 'THA')}",
              org_form(code="THA", name="Thailand", kind="member_state", require_mfa="y"))
    theirs = app.test_client()
    r = login(theirs, "somchai@example.go.th")
    assert r.headers["Location"].endswith("/profile/mfa")
    assert theirs.get("/").headers["Location"].endswith("/profile/mfa")


def test_staff_see_organisations_but_cannot_change_them(app, make_user):
    staff = new_client(app, make_user("asec_staff"))
    mys = org_id(app, "MYS")
    page = staff.get(f"/admin/organisations/{mys}").get_data(as_text=True)
    assert "Malaysia" in page and 'name="code"' not in page
    assert staff.get("/admin/organisations/new").status_code == 403
    r = post_form(staff, f"/admin/organisations/{mys}", org_form(code="MYS", name="Hacked", kind="member_state"),
                  page="/admin/organisations")
    assert r.status_code == 403
    assert get_org(app, "MYS").name == "Malaysia"


# --- bodies ----------------------------------------------------------------

def test_bodies_are_listed_with_member_counts(app, admin, make_user):
    make_user("delegate", bodies={"WGTIM": "member"})
    make_user("delegate", bodies={"WGTIM": "chair"})
    page = admin.get("/admin/bodies").get_data(as_text=True)
    assert "ASOMM+3" in page and "AMCAP Task Force" in page
    row = page[page.index(">WGTIM</a>"):]
    assert "<td>2</td>" in row[:row.index("</tr>")]


def test_body_page_lists_its_members(app, admin, make_user):
    make_user("delegate", name="Siti Rahman", bodies={"WGTIM": "chair"})
    page = admin.get(f"/admin/bodies/{body_id(app, 'WGTIM')}").get_data(as_text=True)
    assert "Siti Rahman" in page and "chair" in page and "Remove" in page


def test_admin_adds_a_body(app, admin, admin_id):
    r = post_form(admin, "/admin/bodies/new", body_form(app), follow_redirects=True)
    assert "WGX saved." in r.get_data(as_text=True)
    body, parent = get_body(app, "WGX")
    assert (body.name, body.description, parent) == ("Working Group on Critical Minerals", "A new group.", "JWG")
    [entry] = entries(app, "body.created")
    assert entry.actor_id == admin_id and '"parent": "JWG"' in entry.details


def test_admin_edits_a_body(app, admin):
    wgtim = body_id(app, "WGTIM")
    r = post_form(admin, f"/admin/bodies/{wgtim}", body_form(app, code="WGTIM", short_name="WGTIM",
                                                             name="Trade and Investment WG", parent="ASOMM"))
    assert r.status_code == 302
    body, parent = get_body(app, "WGTIM")
    assert (body.name, parent) == ("Trade and Investment WG", "ASOMM")
    assert len(entries(app, "body.updated")) == 1


def test_duplicate_body_code_is_refused_and_nothing_changes(app, admin):
    before = count(app, Body)
    r = post_form(admin, "/admin/bodies/new", body_form(app, code="JWG"))
    assert r.status_code == 400
    assert "The code JWG is already used." in r.get_data(as_text=True)
    assert count(app, Body) == before
    assert get_body(app, "JWG")[0].name == "Joint Working Group"


def test_bad_body_code_is_refused_and_nothing_changes(app, admin):
    before = count(app, Body)
    r = post_form(admin, "/admin/bodies/new", body_form(app, code="wg x"))
    assert r.status_code == 400
    assert "Capital letters and digits only" in r.get_data(as_text=True)
    assert count(app, Body) == before


def test_body_without_a_name_is_refused(app, admin):
    r = post_form(admin, "/admin/bodies/new", body_form(app, name=""))
    assert r.status_code == 400 and "This field is required." in r.get_data(as_text=True)
    assert get_body(app, "WGX")[0] is None


def test_body_cannot_report_to_a_body_below_it(app, admin):
    ammin = body_id(app, "AMMIN")
    r = post_form(admin, f"/admin/bodies/{ammin}", body_form(app, code="AMMIN", short_name="AMMin",
                                                             name="ASEAN Ministerial Meeting on Minerals",
                                                             parent="WGTIM"))
    assert r.status_code == 400
    assert "cannot report to itself or to a body below it" in r.get_data(as_text=True)
    assert get_body(app, "AMMIN")[1] is None


def test_body_cannot_report_to_itself(app, admin):
    jwg = body_id(app, "JWG")
    r = post_form(admin, f"/admin/bodies/{jwg}", body_form(app, code="JWG", short_name="JWG",
                                                           name="Joint Working Group", parent="JWG"))
    assert r.status_code == 400  # not even offered as a choice
    assert get_body(app, "JWG")[1] == "ASOMM"


def test_a_body_page_shows_its_members_only_to_fellow_members_and_asec(app, make_user):
    make_user("delegate", name="Siti Rahman", org_code="MYS", bodies={"WGSMD": "chair"})
    url = f"/admin/bodies/{body_id(app, 'WGSMD')}"
    for uid in (make_user("observer", org_code="JPN", bodies={"WGTIM": "observer"}),
                make_user("delegate", org_code="THA", bodies={"WGTIM": "member"})):
        page = new_client(app, uid).get(url).get_data(as_text=True)
        assert "Working Group on Sustainable Minerals Development" in page
        assert "Siti Rahman" not in page and "Only the body's own members and ASEC" in page
    for uid in (make_user("delegate", org_code="THA", bodies={"WGSMD": "member"}), make_user("asec_staff")):
        assert "Siti Rahman" in new_client(app, uid).get(url).get_data(as_text=True)


def test_the_bodies_list_counts_members_only_where_one_may_see_them(app, make_user):
    make_user("delegate", bodies={"WGSMD": "member"})
    page = new_client(app, make_user("observer", org_code="JPN", bodies={"WGTIM": "observer"})
                      ).get("/admin/bodies").get_data(as_text=True)
    row = page[page.index(">WGSMD</a>"):]
    assert "<td>—</td>" in row[:row.index("</tr>")]
    row = page[page.index(">WGTIM</a>"):]
    assert "<td>1</td>" in row[:row.index("</tr>")]


def test_delegates_cannot_add_bodies(app, make_user):
    delegate = new_client(app, make_user("delegate"))
    assert delegate.get("/admin/bodies/new").status_code == 403
    r = post_form(delegate, "/admin/bodies/new", body_form(app), page="/")
    assert r.status_code == 403
    assert get_body(app, "WGX")[0] is None


# --- CSRF --------------------------------------------------------------------

def test_testing_settings_keep_csrf_protection_on(app):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True


def test_admin_form_posted_without_the_csrf_token_is_refused(app, admin):
    r = admin.post("/admin/organisations/new", data=org_form())
    assert r.status_code == 400
    assert "Form expired" in r.get_data(as_text=True)
    assert get_org(app, "AUS") is None


def test_invitation_posted_without_the_csrf_token_is_refused(app, admin):
    r = admin.post("/admin/people/invite", data={"email": "x@example.gov.my", "name": "X",
                                                 "org": str(org_id(app, "MYS")), "role": "delegate"})
    assert r.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_admin_form_posted_with_a_token_of_another_session_is_refused(app, admin, make_user):
    other = new_client(app, make_user("asec_staff"))
    foreign = other.get("/admin/people").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', foreign).group(1)
    r = admin.post("/admin/organisations/new", data={"csrf_token": token, **org_form()})
    assert r.status_code == 400
    assert get_org(app, "AUS") is None
