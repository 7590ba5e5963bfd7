"""My AOCP: my action items (owned by me or my Member State, overdue first, the same as /actions/?owner=me and the
API), new since my last visit across two sign-ins with "mark all seen", nominations and their notification."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from aocp.accounts import invitations, services
from aocp.accounts.models import Invitation, User
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings.models import Decision, Minutes, MinutesRevision
from aocp.notifications.models import Notification
from aocp.timeutil import utcnow
from tests.conftest import org, post_form, sign_in
from tests.home.test_meeting_panels import count_of, panel
from tests.meetings.conftest import make_doc, page, schedule, user
from tests.meetings.test_action_items import action


def test_my_action_items_are_mine_or_my_states_overdue_first(app, client, people, meeting):
    with app.app_context():
        action(meeting, "Send the Thai inventory", owner_org="THA", due_in=10, actor=people["chair"])
        action(meeting, "Late Thai figures", owner_user=people["tha"], due_in=-3, actor=people["chair"])
        action(meeting, "Malaysian note", owner_org="MYS", due_in=1, actor=people["chair"])
        done = action(meeting, "Done already", owner_org="THA", due_in=2, actor=people["chair"])
        action(None, "WGSMD task of Thailand", owner_org="THA", due_in=1, actor=people["staff"], code="WGSMD")
        from aocp.meetings import assignments
        assignments.set_action_status(user(people["chair"]), db.session.get(assignments.ActionItem, done), "done")
        db.session.commit()
    sign_in(app, client, people["tha"])
    section = panel(page(client, "/"), "actions")
    assert count_of(section) == 2
    assert section.index("Late Thai figures") < section.index("Send the Thai inventory")
    assert "overdue, due" in section and "21st WGTIM Meeting" in section
    for absent in ("Malaysian note", "Done already", "WGSMD task"):
        assert absent not in section
    listing = page(client, "/actions/?owner=me")
    assert len(re.findall(r'<tr id="action-\d+">', listing)) == 2
    with app.app_context():
        _, token = services.create_token(user(people["tha"]), "home", "read")
        db.session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    api = client.get("/api/v1/action-items?owner=me&status=open,in_progress", headers=bearer).get_json()
    assert api["total"] == 2 and api["items"][0]["title"] == "Late Thai figures"
    assert client.get("/api/v1/action-items?owner=you", headers=bearer).status_code == 400
    html = page(client, "/actions/?owner=you")
    assert "the filter was ignored" in html and "Malaysian note" in html


def _set_login(app, uid: int, **values) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == uid).values(**values))
        db.session.commit()


def _age(app, model, oid: int, at) -> None:
    with app.app_context():
        db.session.execute(update(model).where(model.id == oid).values(created_at=at))
        db.session.commit()


def _circulated(app, meeting_id: int, at) -> int:
    with app.app_context():
        minutes = Minutes(meeting_id=meeting_id, body_md="Minutes", status="circulated")
        db.session.add(minutes)
        db.session.flush()
        rev = MinutesRevision(minutes_id=minutes.id, status="circulated", body_md="Minutes", created_at=at)
        db.session.add(rev)
        db.session.commit()
        return rev.id


def test_new_since_the_previous_sign_in_then_mark_all_seen(app, client, people, meeting):
    with app.app_context():
        joined = utcnow()
        other = schedule(people["staff"], "WGSMD", 5, number=9)
        old_doc = make_doc(people["chair"], "Old WGTIM paper")
        new_doc = make_doc(people["chair"], "New WGTIM paper")
        hidden = make_doc(people["outsider"], "WGSMD paper", access_body="WGSMD", body_code="WGSMD")
        own = make_doc(people["tha"], "My own upload")
        db.session.add_all([Decision(meeting_id=meeting, text="The WGTIM adopts its work plan."),
                            Decision(meeting_id=other, text="A WGSMD decision.")])
        db.session.commit()
    first = joined - timedelta(hours=2)
    # The previous sign-in was two hours ago; what came before it was seen then.
    _set_login(app, people["tha"], last_login_at=first)
    _age(app, Document, old_doc, first - timedelta(minutes=5))
    for doc in (new_doc, hidden, own):
        _age(app, Document, doc, first + timedelta(minutes=5))
    _circulated(app, meeting, first + timedelta(minutes=10))
    with app.app_context():
        db.session.execute(update(Decision).values(created_at=first + timedelta(minutes=20)))
        db.session.commit()
    sign_in(app, client, people["tha"])
    section = panel(page(client, "/"), "new")
    assert count_of(section) == 3
    assert "New WGTIM paper" in section and "Minutes of the 21st WGTIM Meeting" in section
    assert "The WGTIM adopts its work plan." in section
    for absent in ("Old WGTIM paper", "WGSMD paper", "My own upload", "A WGSMD decision"):
        assert absent not in section
    assert "documents shared with you: 1" in section and "decisions recorded: 1" in section
    full = page(client, "/new")
    assert len(re.findall(r'<li><span class="tag">', full)) == 3
    assert len(re.findall(r'<li><span class="tag">', page(client, "/new?kind=document"))) == 1
    assert "Unknown kind of news" in page(client, "/new?kind=gossip")
    # Signing in again: only what came after the sign-in before it is new, i.e. nothing yet.
    sign_in(app, client, people["tha"])
    assert 'id="panel-new"' in page(client, "/") and panel(page(client, "/"), "new") == ""
    with app.app_context():
        late = make_doc(people["chair"], "Paper after the sign-in")
        _age(app, Document, late, db.session.get(User, people["tha"]).last_login_at + timedelta(microseconds=1))
    section = panel(page(client, "/"), "new")
    assert count_of(section) == 1 and "Paper after the sign-in" in section
    r = post_form(client, "/new/seen", {"next": "/"}, page="/")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    html = page(client, "/")
    assert panel(html, "new") == "" and "New since your last visit: nothing new" in html
    # A later sign-in does not bring back what was marked seen.
    sign_in(app, client, people["tha"])
    assert panel(page(client, "/"), "new") == ""


def test_mark_all_seen_needs_its_form(app, client, people, meeting):
    sign_in(app, client, people["tha"])
    r = client.post("/new/seen", data={})
    assert r.status_code in (302, 400)
    with app.app_context():
        assert db.session.get(User, people["tha"]).seen_up_to <= db.session.get(User, people["tha"]).last_login_at


def test_nominations_pending_and_the_nominator_is_told_of_the_decision(app, client, people, meeting):
    with app.app_context():
        focal = user(people["tha_focal"])
        first = invitations.invite(focal, "new1@example.org", "New One", org("THA"), "delegate", [])
        second = invitations.invite(focal, "new2@example.org", "New Two", org("THA"), "delegate", [])
        db.session.commit()
        ids = first.id, second.id
    sign_in(app, client, people["tha_focal"])
    section = panel(page(client, "/"), "my-nominations")
    assert count_of(section) == 2 and "New One" in section
    assert 'href="/admin/nominate?status=nominated"' in section
    mine = page(client, "/admin/nominate?status=nominated")
    assert "New One" in mine and "New Two" in mine
    sign_in(app, client, people["admin"])
    section = panel(page(client, "/"), "nominations")
    assert count_of(section) == 2 and "New One" in section and 'id="panel-my-nominations"' not in page(client, "/")
    assert "Audit log" in page(client, "/")  # the administration links stay on the page
    assert post_form(client, f"/admin/invitations/{ids[0]}/approve", {}, page="/admin/invitations"
                     ).status_code == 302
    assert post_form(client, f"/admin/invitations/{ids[1]}/revoke", {}, page="/admin/invitations"
                     ).status_code == 302
    with app.app_context():
        notes = db.session.execute(select(Notification.recipient_id, Notification.title)
                                   .where(Notification.kind == "nomination_decided")
                                   .order_by(Notification.id)).all()
        assert notes == [(people["tha_focal"], "Nomination approved: an invitation is sent to New One"),
                         (people["tha_focal"], "Nomination refused for New Two")]
        assert db.session.get(Invitation, ids[0]).status == "sent"
    assert panel(page(client, "/"), "nominations") == ""
    sign_in(app, client, people["tha_focal"])
    html = page(client, "/")
    assert panel(html, "my-nominations") == "" and "My nominations waiting: none" in html
    assert "Nomination refused for New Two" in page(client, "/notifications/")


def test_withdrawing_an_invitation_sent_directly_notifies_nobody(app, client, people, meeting):
    with app.test_request_context():
        admin = user(people["admin"])
        inv = invitations.invite(admin, "direct@example.org", "Direct", org("THA"), "delegate", [])
        invitations.revoke_invitation(admin, inv)
        db.session.commit()
        assert db.session.scalar(select(Notification.id).where(Notification.kind == "nomination_decided")) is None


def test_the_panel_stops_counting_at_its_cap_and_the_full_list_has_everything(app, client, people, meeting,
                                                                              monkeypatch):
    from aocp.home import news
    monkeypatch.setattr(news, "COUNT_CAP", 2)  # 100 in use: a first visit after months costs a daily one's
    _set_login(app, people["tha"], last_login_at=utcnow() - timedelta(hours=1))
    with app.app_context():
        for n in range(3):
            make_doc(people["chair"], f"WGTIM paper {n}")
    sign_in(app, client, people["tha"])
    section = panel(page(client, "/"), "new")
    assert '<span class="count" aria-label="2 or more in all">2+</span>' in section
    assert "WGTIM paper 2" in section and "documents shared with you: 2+" in section
    assert len(re.findall(r'<li><span class="tag">', page(client, "/new"))) == 3
