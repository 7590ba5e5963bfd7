"""People in the administration console: list, search, edit, deactivate, reactivate, unlock, memberships."""
from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from aocp.accounts import services
from aocp.accounts.models import User
from aocp.extensions import db
from aocp.orgs.models import Membership
from aocp.sessions import UserSession
from tests.admin.conftest import body_id, entries, new_client, org_id
from tests.conftest import login, post_form


def names_listed(page: str) -> list[str]:
    return re.findall(r'<td><a href="/admin/people/\d+">([^<]+)</a></td>', page)


def get_user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge_all()
        return user


def memberships(app, user_id: int) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(select(Membership).where(Membership.user_id == user_id)).scalars().all()
        return {m.body.code: m.role for m in rows}


def session_count(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == user_id))


def make_token(app, user_id: int, scope: str = "read") -> str:
    with app.app_context():
        _token, raw = services.create_token(db.session.get(User, user_id), "test", scope)
        db.session.commit()
        return raw


def me(app, raw: str):
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})


def person_action(admin, user_id: int, action: str, **kwargs):
    return post_form(admin, f"/admin/people/{user_id}/{action}", {}, page=f"/admin/people/{user_id}", **kwargs)


# --- list ------------------------------------------------------------------

def test_people_list_is_paginated(app, admin, make_user):
    for n in range(30):
        make_user("delegate", name=f"Person {n:02d}")
    first = admin.get("/admin/people").get_data(as_text=True)
    assert len(names_listed(first)) == 25
    assert "Page 1 of 2 (31 in all)" in first
    assert 'rel="next"' in first
    second = admin.get("/admin/people?page=2").get_data(as_text=True)
    assert len(names_listed(second)) == 6
    assert set(names_listed(first)).isdisjoint(names_listed(second))
    assert 'rel="prev"' in second


def test_people_list_searches_name_and_email(app, admin, make_user):
    make_user("delegate", name="Siti Rahman", email="siti@example.gov.my")
    make_user("delegate", name="Budi Santoso", email="budi@example.go.id", org_code="IDN")
    assert names_listed(admin.get("/admin/people?q=RAHMAN").get_data(as_text=True)) == ["Siti Rahman"]
    assert names_listed(admin.get("/admin/people?q=go.id").get_data(as_text=True)) == ["Budi Santoso"]
    assert "Nobody matches" in admin.get("/admin/people?q=nobody-here").get_data(as_text=True)


def test_people_search_treats_wildcards_literally(app, admin, make_user):
    make_user("delegate", name="Siti Rahman", email="siti@example.gov.my")
    assert names_listed(admin.get("/admin/people?q=%25").get_data(as_text=True)) == []
    assert names_listed(admin.get("/admin/people?q=s_ti").get_data(as_text=True)) == []


def test_people_list_filters_by_organisation_role_and_status(app, admin, make_user):
    make_user("delegate", name="Siti Rahman")
    make_user("focal_person", name="Aminah Focal")
    thai = make_user("delegate", name="Somchai Delegate", org_code="THA")
    make_user("observer", name="Kenji Observer")
    with app.app_context():
        db.session.get(User, thai).status = "deactivated"
        db.session.commit()
    by_org = names_listed(admin.get(f"/admin/people?org={org_id(app, 'MYS')}").get_data(as_text=True))
    assert by_org == ["Aminah Focal", "Siti Rahman"]
    by_role = names_listed(admin.get("/admin/people?role=observer").get_data(as_text=True))
    assert by_role == ["Kenji Observer"]
    gone = names_listed(admin.get("/admin/people?status=deactivated").get_data(as_text=True))
    assert gone == ["Somchai Delegate"]
    both = names_listed(admin.get(f"/admin/people?role=delegate&org={org_id(app, 'MYS')}").get_data(as_text=True))
    assert both == ["Siti Rahman"]


def test_filters_are_kept_when_paging(app, admin, make_user):
    for n in range(27):
        make_user("observer", name=f"Observer {n:02d}")
    page = admin.get("/admin/people?role=observer").get_data(as_text=True)
    assert "page=2" in page and "role=observer" in re.search(r'href="([^"]+)" rel="next"', page).group(1)


def test_staff_may_view_people_but_not_change_them(app, make_user):
    staff = new_client(app, make_user("asec_staff"))
    target = make_user("delegate", name="Siti Rahman")
    assert staff.get("/admin/people").status_code == 200
    page = staff.get(f"/admin/people/{target}").get_data(as_text=True)
    assert "Siti Rahman" in page and "Deactivate" not in page
    r = post_form(staff, f"/admin/people/{target}", {"name": "Changed", "org": str(org_id(app, "MYS")),
                                                     "role": "focal_person"})
    assert r.status_code == 403
    assert person_action(staff, target, "deactivate").status_code == 403
    user = get_user(app, target)
    assert (user.name, user.role, user.status) == ("Siti Rahman", "delegate", "active")


def test_people_pages_are_refused_to_members_of_delegations(app, make_user):
    target = make_user("delegate")
    for role in ("focal_person", "delegate", "observer"):
        other = new_client(app, make_user(role))
        assert other.get("/admin/people").status_code == 403
        assert other.get(f"/admin/people/{target}").status_code == 403


def test_people_pages_ask_anonymous_visitors_to_sign_in(client, make_user):
    r = client.get("/admin/people")
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=/admin/people"


# --- edit ------------------------------------------------------------------

def test_admin_changes_a_persons_role_and_organisation(app, admin, admin_id, make_user):
    target = make_user("delegate", name="Siti Rahman")
    r = post_form(admin, f"/admin/people/{target}", {"name": "Siti binti Rahman", "org": str(org_id(app, "PHL")),
                                                     "role": "focal_person"}, follow_redirects=True)
    assert "Saved." in r.get_data(as_text=True)
    user = get_user(app, target)
    assert (user.name, user.role, user.org.code) == ("Siti binti Rahman", "focal_person", "PHL")
    [entry] = entries(app, "user.role_changed")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin_id, "users", str(target))
    assert json.loads(entry.details) == {"role": ["delegate", "focal_person"], "org": ["MYS", "PHL"]}


def test_edit_form_shows_the_persons_own_organisation_and_role(app, admin, make_user):
    target = make_user("delegate", name="Siti Rahman")  # of Malaysia
    page = admin.get(f"/admin/people/{target}").get_data(as_text=True)
    edit_form = page[:page.index('name="body"')]  # the membership form below has a role select too
    selected = dict(re.findall(r'<select[^>]*name="(org|role)".*?<option selected value="([^"]+)"', edit_form, re.S))
    assert selected == {"org": str(org_id(app, "MYS")), "role": "delegate"}
    # Saving the form as shown, with only the name changed, keeps the person where they are.
    post_form(admin, f"/admin/people/{target}", {"name": "Siti binti Rahman", **selected})
    user = get_user(app, target)
    assert (user.name, user.org.code, user.role) == ("Siti binti Rahman", "MYS", "delegate")


def test_role_change_signs_the_person_out(app, admin, make_user):
    target = make_user("delegate")
    theirs = new_client(app, target)
    assert theirs.get("/").status_code == 200
    post_form(admin, f"/admin/people/{target}", {"name": "Renamed", "org": str(org_id(app, "MYS")),
                                                 "role": "focal_person"})
    assert session_count(app, target) == 0
    assert theirs.get("/").headers["Location"].startswith("/login")


def test_edit_with_a_role_that_does_not_fit_the_organisation_is_refused(app, admin, make_user):
    target = make_user("delegate", name="Siti Rahman")
    r = post_form(admin, f"/admin/people/{target}", {"name": "Siti Rahman", "org": str(org_id(app, "MYS")),
                                                     "role": "asec_admin"})
    assert r.status_code == 400
    assert "ASEC roles are for people of the ASEAN Secretariat." in r.get_data(as_text=True)
    r = post_form(admin, f"/admin/people/{target}", {"name": "Siti Rahman", "org": str(org_id(app, "JPN")),
                                                     "role": "delegate"})
    assert r.status_code == 400
    assert "belong to a Member State" in r.get_data(as_text=True)
    user = get_user(app, target)
    assert (user.role, user.org.code) == ("delegate", "MYS")
    assert entries(app, "user.role_changed") == []


def test_edit_with_an_unknown_role_is_refused(app, admin, make_user):
    target = make_user("delegate")
    r = post_form(admin, f"/admin/people/{target}", {"name": "X", "org": str(org_id(app, "MYS")),
                                                     "role": "superuser"})
    assert r.status_code == 400 and "Not a valid choice" in r.get_data(as_text=True)
    assert get_user(app, target).role == "delegate"


def test_admin_cannot_change_their_own_role(app, admin, admin_id):
    r = post_form(admin, f"/admin/people/{admin_id}", {"name": "Ayu Admin", "org": str(org_id(app, "ASEC")),
                                                       "role": "asec_staff"})
    assert r.status_code == 400
    assert "You cannot change your own role." in r.get_data(as_text=True)
    assert get_user(app, admin_id).role == "asec_admin"


def test_person_page_shows_the_account_and_recent_activity(app, admin, make_user):
    target = make_user("delegate", name="Siti Rahman", email="siti@example.gov.my", bodies={"WGTIM": "chair"})
    page = admin.get(f"/admin/people/{target}").get_data(as_text=True)
    assert "siti@example.gov.my" in page and "Malaysia" in page
    assert "WGTIM" in page and "chair" in page
    assert "<code>user.created</code>" in page
    assert admin.get("/admin/people/99999").status_code == 404


# --- deactivate, reactivate, unlock ----------------------------------------

def test_deactivation_ends_the_persons_sessions_at_once(app, admin, admin_id, make_user):
    target = make_user("delegate", name="Siti Rahman")
    theirs = new_client(app, target)
    assert theirs.get("/").status_code == 200
    r = person_action(admin, target, "deactivate", follow_redirects=True)
    assert "Account deactivated" in r.get_data(as_text=True)
    assert get_user(app, target).status == "deactivated"
    assert session_count(app, target) == 0
    bounced = theirs.get("/")
    assert bounced.status_code == 302 and bounced.headers["Location"].startswith("/login")
    [entry] = entries(app, "user.deactivated")
    assert (entry.actor_id, entry.target_id) == (admin_id, str(target))


def test_deactivation_stops_api_tokens_at_once(app, admin, make_user):
    target = make_user("delegate")
    raw = make_token(app, target)
    assert me(app, raw).status_code == 200
    person_action(admin, target, "deactivate")
    r = me(app, raw)
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthorized"


def test_deactivated_person_cannot_sign_in(app, admin, make_user):
    target = make_user("delegate", email="siti@example.gov.my")
    person_action(admin, target, "deactivate")
    r = login(app.test_client(), "siti@example.gov.my")
    assert r.status_code == 200 and "The email or password is not correct." in r.get_data(as_text=True)


def test_reactivated_person_can_sign_in_again(app, admin, make_user):
    target = make_user("delegate", email="siti@example.gov.my")
    person_action(admin, target, "deactivate")
    r = person_action(admin, target, "reactivate", follow_redirects=True)
    assert "Account reactivated." in r.get_data(as_text=True)
    assert get_user(app, target).status == "active"
    theirs = app.test_client()
    assert login(theirs, "siti@example.gov.my").status_code == 302
    assert theirs.get("/").status_code == 200
    assert len(entries(app, "user.reactivated")) == 1


def test_admin_cannot_deactivate_their_own_account(app, admin, admin_id):
    r = person_action(admin, admin_id, "deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account." in r.get_data(as_text=True)
    assert get_user(app, admin_id).status == "active"
    assert admin.get("/admin/people").status_code == 200


def test_admin_lifts_a_sign_in_pause(app, admin, make_user):
    target = make_user("delegate", email="siti@example.gov.my")
    theirs = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(theirs, "siti@example.gov.my", "not my password at all")
    assert login(theirs, "siti@example.gov.my").status_code == 200  # paused: the right password is refused
    page = admin.get(f"/admin/people/{target}").get_data(as_text=True)
    assert "Lift sign-in pause" in page and "from 127.0.0.1 until" in page
    r = person_action(admin, target, "unlock", follow_redirects=True)
    assert "Sign-in pause lifted." in r.get_data(as_text=True)
    user = get_user(app, target)
    assert (user.locked_until, user.failed_logins) == (None, 0)
    assert "Lift sign-in pause" not in admin.get(f"/admin/people/{target}").get_data(as_text=True)
    assert login(theirs, "siti@example.gov.my").status_code == 302
    assert len(entries(app, "user.unlocked")) == 1


def test_person_action_without_a_form_token_changes_nothing(app, admin, make_user):
    target = make_user("delegate")
    r = admin.post(f"/admin/people/{target}/deactivate")
    assert r.status_code == 400
    assert get_user(app, target).status == "active"
    assert entries(app, "user.deactivated") == []


def test_admin_revokes_a_persons_api_token(app, admin, make_user):
    target = make_user("delegate")
    raw = make_token(app, target)
    from aocp.accounts.models import ApiToken
    with app.app_context():
        token_id = db.session.execute(select(ApiToken.id)).scalar_one()
    r = post_form(admin, f"/admin/tokens/{token_id}/revoke", {}, page=f"/admin/people/{target}",
                  follow_redirects=True)
    assert "Token revoked." in r.get_data(as_text=True)
    assert me(app, raw).status_code == 401
    assert len(entries(app, "token.revoked")) == 1


# --- memberships -----------------------------------------------------------

def test_admin_adds_a_membership_with_a_body_role(app, admin, admin_id, make_user):
    target = make_user("delegate", name="Siti Rahman")
    r = post_form(admin, f"/admin/people/{target}/memberships", {"body": "WGSMD", "role": "vice_chair"},
                  page=f"/admin/people/{target}", follow_redirects=True)
    assert "Siti Rahman is now vice chair of WGSMD." in r.get_data(as_text=True)
    assert memberships(app, target) == {"WGSMD": "vice_chair"}
    entry = entries(app, "membership.set")[-1]
    assert entry.actor_id == admin_id
    assert json.loads(entry.details) == {"user": get_user(app, target).email, "body": "WGSMD",
                                         "role": "vice_chair", "before": None}


def test_admin_changes_a_body_role(app, admin, make_user):
    target = make_user("delegate", bodies={"WGTIM": "member"})
    post_form(admin, f"/admin/people/{target}/memberships", {"body": "WGTIM", "role": "chair"},
              page=f"/admin/people/{target}")
    assert memberships(app, target) == {"WGTIM": "chair"}
    assert json.loads(entries(app, "membership.set")[-1].details)["before"] == "member"


def test_admin_removes_a_membership(app, admin, admin_id, make_user):
    target = make_user("delegate", bodies={"WGTIM": "member", "JWG": "member"})
    with app.app_context():
        mid = db.session.execute(select(Membership.id).where(Membership.user_id == target,
                                                             Membership.body_id == body_id(app, "WGTIM"))).scalar_one()
    r = post_form(admin, f"/admin/memberships/{mid}/remove", {}, page=f"/admin/people/{target}",
                  follow_redirects=True)
    assert "Membership removed." in r.get_data(as_text=True)
    assert memberships(app, target) == {"JWG": "member"}
    [entry] = entries(app, "membership.removed")
    assert entry.actor_id == admin_id and '"body": "WGTIM"' in entry.details


def test_membership_with_an_unknown_body_or_role_is_refused(app, admin, make_user):
    target = make_user("delegate")
    r = post_form(admin, f"/admin/people/{target}/memberships", {"body": "NOPE", "role": "member"},
                  page=f"/admin/people/{target}")
    assert r.status_code == 400
    r = post_form(admin, f"/admin/people/{target}/memberships", {"body": "WGTIM", "role": "emperor"},
                  page=f"/admin/people/{target}")
    assert r.status_code == 400
    assert memberships(app, target) == {}


def test_staff_cannot_change_memberships(app, make_user):
    target = make_user("delegate", bodies={"WGTIM": "member"})
    staff = new_client(app, make_user("asec_staff"))
    r = post_form(staff, f"/admin/people/{target}/memberships", {"body": "JWG", "role": "chair"},
                  page=f"/admin/people/{target}")
    assert r.status_code == 403
    assert memberships(app, target) == {"WGTIM": "member"}
    assert entries(app, "access.denied")[-1].details.count("memberships.manage") == 1


def test_every_change_to_a_person_is_audited(app, admin, admin_id, make_user):
    target = make_user("delegate", email="siti@example.gov.my")
    before = len(entries(app))
    post_form(admin, f"/admin/people/{target}", {"name": "Siti", "org": str(org_id(app, "MYS")),
                                                 "role": "focal_person"})
    post_form(admin, f"/admin/people/{target}/memberships", {"body": "JWG", "role": "member"},
              page=f"/admin/people/{target}")
    person_action(admin, target, "deactivate")
    person_action(admin, target, "reactivate")
    person_action(admin, target, "unlock")
    actions = [e.action for e in entries(app)[before:] if e.actor_id == admin_id]
    assert actions == ["user.role_changed", "membership.set", "user.deactivated", "user.reactivated",
                       "user.unlocked"]
    assert all(e.ip == "127.0.0.1" for e in entries(app)[before:])

