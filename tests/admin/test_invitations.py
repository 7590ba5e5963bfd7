"""An ASEC administrator invites people; the invitee chooses a password through a single-use, expiring link."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select, text

from aocp.accounts.models import Invitation, User
from aocp.extensions import db
from aocp.timeutil import utcnow
from tests.admin.conftest import entries, new_client, org_id
from tests.conftest import csrf_token, link_in, login, outbox, post_form

NEW_PASSWORD = "granite lantern quietly 42"


def invite(client, app, email="new.delegate@example.gov.my", name="Nur Delegate", org="MYS", role="delegate",
           bodies=("WGTIM", "JWG"), **kwargs):
    return post_form(client, "/admin/people/invite", {"email": email, "name": name, "org": str(org_id(app, org)),
                                                      "role": role, "bodies": list(bodies)}, **kwargs)


def accept(client, link, password=NEW_PASSWORD, confirm=None, **kwargs):
    return post_form(client, link, {"password": password, "confirm": confirm or password}, **kwargs)


def invitation(app, email="new.delegate@example.gov.my") -> Invitation:
    with app.app_context():
        inv = db.session.execute(select(Invitation).where(Invitation.email == email)).scalar_one_or_none()
        db.session.expunge_all()
        return inv


def user_by_email(app, email):
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if user is not None:
            memberships = {m.body.code: m.role for m in user.memberships}
            db.session.expunge_all()
            return user, memberships
        return None, {}


def test_admin_invites_a_person_and_an_email_with_a_link_is_sent(app, admin):
    r = invite(admin, app, follow_redirects=True)
    assert r.status_code == 200
    assert "Invitation sent to new.delegate@example.gov.my." in r.get_data(as_text=True)
    messages = outbox(app)
    assert len(messages) == 1
    assert messages[0]["To"] == "new.delegate@example.gov.my"
    assert link_in(messages[0], "/invitations/").startswith("/invitations/")
    inv = invitation(app)
    assert (inv.status, inv.role, inv.bodies, inv.org.code) == ("sent", "delegate", ["WGTIM", "JWG"], "MYS")
    assert inv.expires_at > utcnow() + timedelta(hours=71)


def test_invitee_sets_a_password_and_signs_in_with_the_memberships(app, admin):
    invite(admin, app)
    link = link_in(outbox(app)[0], "/invitations/")
    invitee = new_client(app)
    page = invitee.get(link).get_data(as_text=True)
    assert "Nur Delegate" in page and "Member-state delegate" in page and "Malaysia" in page
    r = accept(invitee, link, follow_redirects=True)
    assert "Your account is ready" in r.get_data(as_text=True)
    user, memberships = user_by_email(app, "new.delegate@example.gov.my")
    assert (user.role, user.status, user.name) == ("delegate", "active", "Nur Delegate")
    assert memberships == {"WGTIM": "member", "JWG": "member"}
    home = login(invitee, "new.delegate@example.gov.my", NEW_PASSWORD, follow_redirects=True)
    body = home.get_data(as_text=True)
    assert "Welcome, Nur Delegate" in body and "WGTIM" in body and "JWG" in body
    assert invitation(app).status == "accepted"


def test_invitation_link_works_only_once(app, admin):
    invite(admin, app)
    link = link_in(outbox(app)[0], "/invitations/")
    invitee = new_client(app)
    assert accept(invitee, link).status_code == 302
    again = invitee.get(link)
    assert again.status_code == 404
    assert "cannot be used" in again.get_data(as_text=True)
    token = csrf_token(invitee, "/login")  # a valid form token, so only the used link can refuse the post
    r = invitee.post(link, data={"csrf_token": token, "password": "another fine password",
                                 "confirm": "another fine password"})
    assert r.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(db.func.count(User.id)).where(
            User.email == "new.delegate@example.gov.my")) == 1


def test_expired_invitation_link_is_refused(app, admin):
    invite(admin, app)
    link = link_in(outbox(app)[0], "/invitations/")
    with app.app_context():
        inv = db.session.execute(select(Invitation)).scalar_one()
        inv.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    invitee = new_client(app)
    r = invitee.get(link)
    assert r.status_code == 404
    assert "expired" in r.get_data(as_text=True)
    assert user_by_email(app, "new.delegate@example.gov.my")[0] is None


def test_invitation_link_is_stored_only_as_a_hash(app, admin):
    invite(admin, app)
    raw = link_in(outbox(app)[0], "/invitations/").rsplit("/", 1)[1]
    assert len(raw) >= 32
    with app.app_context():
        inv = db.session.execute(select(Invitation)).scalar_one()
        assert inv.token_hash == hashlib.sha256(raw.encode()).hexdigest()
        for table in ("invitations", "audit_entries", "user_sessions"):
            rows = db.session.execute(text(f"SELECT * FROM {table}")).all()
            assert raw not in repr(rows), f"the raw invitation token is stored in {table}"


def test_revoked_invitation_is_refused(app, admin):
    invite(admin, app)
    link = link_in(outbox(app)[0], "/invitations/")
    inv_id = invitation(app).id
    r = post_form(admin, f"/admin/invitations/{inv_id}/revoke", {}, page="/admin/invitations?status=sent",
                  follow_redirects=True)
    assert "withdrawn" in r.get_data(as_text=True)
    assert invitation(app).status == "revoked"
    assert new_client(app).get(link).status_code == 404
    assert [e.details for e in entries(app, "invitation.revoked")] == ['{"email": "new.delegate@example.gov.my"}']


def test_weak_password_at_acceptance_is_refused_with_a_message_and_nothing_changes(app, admin):
    invite(admin, app)
    link = link_in(outbox(app)[0], "/invitations/")
    invitee = new_client(app)
    short = accept(invitee, link, password="short pass")
    assert short.status_code == 200
    assert "Use at least 12 characters" in short.get_data(as_text=True)
    common = accept(invitee, link, password="Malaysia-2026-!!")
    assert "linked to AOCP or to you" in common.get_data(as_text=True)
    assert user_by_email(app, "new.delegate@example.gov.my")[0] is None
    assert invitation(app).status == "sent"
    assert invitee.get(link).status_code == 200  # the link still works for a better password
    assert accept(invitee, link).status_code == 302


def test_mismatched_confirmation_is_refused(app, admin):
    invite(admin, app)
    link = link_in(outbox(app)[0], "/invitations/")
    r = accept(new_client(app), link, confirm="a different password entirely")
    assert "The two passwords differ." in r.get_data(as_text=True)
    assert user_by_email(app, "new.delegate@example.gov.my")[0] is None


def test_inviting_an_existing_email_gets_a_clear_message(app, admin, make_user):
    make_user("delegate", email="taken@example.gov.my")
    r = invite(admin, app, email="Taken@Example.gov.my")
    assert r.status_code == 400
    assert "An account with this email already exists." in r.get_data(as_text=True)
    assert outbox(app) == []
    assert invitation(app, "taken@example.gov.my") is None


def test_inviting_someone_with_an_open_invitation_gets_a_clear_message(app, admin):
    invite(admin, app)
    r = invite(admin, app)
    assert r.status_code == 400
    assert "already has an open invitation" in r.get_data(as_text=True)
    assert len(outbox(app)) == 1


def test_invitation_for_a_role_outside_its_organisation_is_refused(app, admin):
    r = invite(admin, app, email="kenji@example.go.jp", org="JPN", role="delegate")
    assert r.status_code == 400
    assert "Focal persons and delegates belong to a Member State." in r.get_data(as_text=True)
    r = invite(admin, app, email="ali@example.gov.my", org="MYS", role="asec_admin")
    assert "ASEC roles are for people of the ASEAN Secretariat." in r.get_data(as_text=True)
    assert outbox(app) == []


def test_an_expired_invitation_can_be_sent_again(app, admin):
    invite(admin, app)
    with app.app_context():
        db.session.execute(select(Invitation)).scalar_one().expires_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    r = invite(admin, app)
    assert r.status_code == 302
    assert len(outbox(app)) == 2
    new_link = link_in(outbox(app)[1], "/invitations/")
    assert new_client(app).get(new_link).status_code == 200


def test_invitation_is_audited_without_the_link(app, admin, admin_id):
    invite(admin, app)
    raw = link_in(outbox(app)[0], "/invitations/").rsplit("/", 1)[1]
    sent = entries(app, "invitation.sent")
    assert len(sent) == 1
    assert sent[0].actor_id == admin_id and sent[0].target_type == "invitations"
    assert '"role": "delegate"' in sent[0].details and '"org": "MYS"' in sent[0].details
    accept(new_client(app), link_in(outbox(app)[0], "/invitations/"))
    accepted = entries(app, "invitation.accepted")
    assert len(accepted) == 1 and accepted[0].actor_email == "new.delegate@example.gov.my"
    assert all(raw not in repr(vars(e)) for e in entries(app))


def test_only_administrators_may_invite(app, make_user):
    for role in ("asec_staff", "focal_person", "delegate", "observer"):
        uid = make_user(role)
        other = new_client(app, uid)
        assert other.get("/admin/people/invite").status_code == 403
    assert outbox(app) == []
    assert len(entries(app, "access.denied")) == 4


def test_invited_administrator_must_set_up_a_second_factor(app, admin):
    invite(admin, app, email="second.admin@asec.org", org="ASEC", role="asec_admin", bodies=())
    invitee = new_client(app)
    accept(invitee, link_in(outbox(app)[0], "/invitations/"))
    r = login(invitee, "second.admin@asec.org", NEW_PASSWORD)
    assert r.headers["Location"].endswith("/profile/mfa")
    assert invitee.get("/admin/people").headers["Location"].endswith("/profile/mfa")

