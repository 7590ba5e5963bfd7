"""A focal person nominates delegates of their own Member State; an ASEC administrator approves them."""
from __future__ import annotations

from sqlalchemy import func, select

from aocp.accounts.models import Invitation
from aocp.extensions import db
from tests.admin.conftest import entries, new_client, org_id
from tests.conftest import link_in, login, outbox, post_form


def nominate(client, app, email="new.delegate@example.gov.my", name="Nur Delegate", org="MYS", role="delegate",
             bodies=("WGTIM",), **kwargs):
    return post_form(client, "/admin/nominate", {"email": email, "name": name, "org": str(org_id(app, org)),
                                                 "role": role, "bodies": list(bodies)}, **kwargs)


def invitations(app) -> list[Invitation]:
    with app.app_context():
        rows = db.session.execute(select(Invitation).order_by(Invitation.id)).scalars().all()
        db.session.expunge_all()
        return rows


def focal_client(app, make_user, org_code="MYS"):
    uid = make_user("focal_person", org_code=org_code, email=f"focal.{org_code.lower()}@example.org")
    return new_client(app, uid), uid


def test_focal_person_nomination_waits_for_approval_without_an_email(app, make_user):
    focal, focal_id = focal_client(app, make_user)
    r = nominate(focal, app, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "Nur Delegate is nominated" in page
    assert "waiting for approval" in page  # listed under "Your nominations"
    [inv] = invitations(app)
    assert (inv.status, inv.token_hash, inv.invited_by_id, inv.role) == ("nominated", None, focal_id, "delegate")
    assert outbox(app) == []
    assert len(entries(app, "invitation.nominated")) == 1


def test_admin_approves_a_nomination_and_the_invitation_is_sent(app, make_user, admin, admin_id):
    focal, _ = focal_client(app, make_user)
    nominate(focal, app)
    [inv] = invitations(app)
    listing = admin.get("/admin/invitations").get_data(as_text=True)
    assert "new.delegate@example.gov.my" in listing and "Approve and send" in listing
    r = post_form(admin, f"/admin/invitations/{inv.id}/approve", {}, page="/admin/invitations",
                  follow_redirects=True)
    assert "approved and sent" in r.get_data(as_text=True)
    [inv] = invitations(app)
    assert (inv.status, inv.approved_by_id) == ("sent", admin_id)
    [message] = outbox(app)
    assert message["To"] == "new.delegate@example.gov.my"
    link = link_in(message, "/invitations/")
    invitee = new_client(app)
    assert post_form(invitee, link, {"password": "granite lantern quietly 42",
                                     "confirm": "granite lantern quietly 42"}).status_code == 302
    assert login(invitee, "new.delegate@example.gov.my", "granite lantern quietly 42").status_code == 302
    assert len(entries(app, "invitation.approved")) == 1


def test_nomination_can_be_approved_only_once(app, make_user, admin):
    focal, _ = focal_client(app, make_user)
    nominate(focal, app)
    [inv] = invitations(app)
    post_form(admin, f"/admin/invitations/{inv.id}/approve", {}, page="/admin/invitations")
    r = post_form(admin, f"/admin/invitations/{inv.id}/approve", {}, page="/admin/invitations",
                  follow_redirects=True)
    assert "Only a pending nomination can be approved." in r.get_data(as_text=True)
    assert len(outbox(app)) == 1


def test_admin_can_withdraw_a_nomination(app, make_user, admin):
    focal, _ = focal_client(app, make_user)
    nominate(focal, app)
    [inv] = invitations(app)
    post_form(admin, f"/admin/invitations/{inv.id}/revoke", {}, page="/admin/invitations")
    assert invitations(app)[0].status == "revoked"
    assert outbox(app) == []
    assert "withdrawn" in focal.get("/admin/nominate").get_data(as_text=True)


def test_focal_person_cannot_nominate_for_another_country(app, make_user):
    focal, _ = focal_client(app, make_user)
    r = nominate(focal, app, org="THA")
    assert r.status_code == 400
    assert "Not a valid choice" in r.get_data(as_text=True)
    assert invitations(app) == []


def test_focal_person_cannot_nominate_for_a_partner_organisation(app, make_user):
    focal, _ = focal_client(app, make_user)
    for code in ("JPN", "ASEC", "IGF"):
        assert nominate(focal, app, org=code).status_code == 400
    assert invitations(app) == []


def test_focal_person_can_choose_only_the_delegate_role(app, make_user):
    focal, _ = focal_client(app, make_user)
    form = focal.get("/admin/nominate").get_data(as_text=True)
    assert 'value="delegate"' in form and 'value="focal_person"' not in form and 'value="asec_admin"' not in form
    for role in ("focal_person", "asec_admin", "observer"):
        r = nominate(focal, app, role=role)
        assert r.status_code == 400
    assert invitations(app) == []


def test_focal_person_cannot_approve_their_own_nomination(app, make_user):
    focal, _ = focal_client(app, make_user)
    nominate(focal, app)
    [inv] = invitations(app)
    assert focal.get("/admin/invitations").status_code == 403
    r = post_form(focal, f"/admin/invitations/{inv.id}/approve", {}, page="/admin/nominate")
    assert r.status_code == 403
    assert invitations(app)[0].status == "nominated"
    assert outbox(app) == []


def test_the_same_person_cannot_be_nominated_twice(app, make_user):
    focal, _ = focal_client(app, make_user)
    nominate(focal, app)
    r = nominate(focal, app, name="Nur Again")
    assert r.status_code == 400
    assert "already has an open invitation or nomination" in r.get_data(as_text=True)
    assert len(invitations(app)) == 1


def test_focal_person_cannot_nominate_someone_who_has_an_account(app, make_user):
    make_user("delegate", email="existing@example.gov.my")
    focal, _ = focal_client(app, make_user)
    r = nominate(focal, app, email="existing@example.gov.my")
    assert "An account with this email already exists." in r.get_data(as_text=True)
    assert invitations(app) == []


def test_delegates_and_observers_cannot_nominate(app, make_user):
    for role in ("delegate", "observer", "asec_staff"):
        other = new_client(app, make_user(role))
        assert other.get("/admin/nominate").status_code == 403
        r = post_form(other, "/admin/nominate", {"email": "x@example.gov.my", "name": "X",
                                                 "org": str(org_id(app, "MYS")), "role": "delegate"}, page="/")
        assert r.status_code == 403
    assert invitations(app) == []
    with app.app_context():
        from aocp.audit import AuditEntry
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "access.denied", AuditEntry.details.contains("users.nominate"))) == 6


def test_focal_person_sees_the_nominate_link_and_no_administration(app, make_user):
    focal, _ = focal_client(app, make_user)
    home = focal.get("/").get_data(as_text=True)
    assert "Nominate a delegate" in home and "Administration" not in home
    assert focal.get("/admin/people").status_code == 403


def test_focal_person_of_another_country_nominates_for_their_own(app, make_user):
    focal, _ = focal_client(app, make_user, "PHL")
    assert nominate(focal, app, email="maria@example.gov.ph", org="PHL").status_code == 302
    assert nominate(focal, app, email="nur@example.gov.my", org="MYS").status_code == 400
    assert [(i.email, i.org.code) for i in invitations(app)] == [("maria@example.gov.ph", "PHL")]

