"""The bell, the notifications list, one's settings, ASEC's defaults and one's time zone, as people use them."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from aocp.accounts.models import ROLES, User
from aocp.audit import AuditEntry
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.notifications import services
from aocp.notifications.models import BodyMute, Notification, NotificationPreference, RoleDefault
from bench.sqlcount import statements
from tests.conftest import body, csrf_token, org, post_form, sign_in
from tests.notifications.conftest import schedule, user


def _give(app, uid: int, n: int, title: str = "Agenda published", **extra) -> list[int]:
    with app.app_context():
        rows = [Notification(recipient_id=uid, kind="agenda_published", title=f"{title} {i}", url="/documents/",
                             channel="in_app", **extra) for i in range(n)]
        db.session.add_all(rows)
        db.session.commit()
        return [r.id for r in rows]




def _badge(page: str) -> str | None:
    match = re.search(r'<span class="badge" data-unread="(\d+)">', page)
    return match.group(1) if match else None


def _unread(app, uid: int) -> int:
    with app.app_context():
        return services.unread_count(db.session.get(User, uid))


# --- the bell -----------------------------------------------------------------------------------

def test_the_bell_shows_the_unread_count_and_falls_as_notifications_are_read(app, client, people):
    ids = _give(app, people["member"], 3)
    sign_in(app, client, people["member"])
    page = client.get("/").get_data(as_text=True)
    assert _badge(page) == "3" and 'aria-label="Notifications, 3 unread"' in page
    post_form(client, f"/notifications/{ids[0]}/read", {}, page="/notifications/")
    assert _badge(client.get("/").get_data(as_text=True)) == "2"
    post_form(client, "/notifications/read-all", {}, page="/notifications/")
    page = client.get("/").get_data(as_text=True)
    assert _badge(page) is None and 'href="/notifications/"' in page


def test_the_bell_counts_only_ones_own_notifications(app, client, people):
    _give(app, people["yangon"], 5)
    _give(app, people["member"], 1)
    sign_in(app, client, people["member"])
    assert _badge(client.get("/").get_data(as_text=True)) == "1"


def test_signed_out_pages_have_no_bell(client):
    page = client.get("/login").get_data(as_text=True)
    assert "/notifications/" not in page and "badge" not in page


def test_the_bell_costs_one_query_however_many_notifications_there_are(app, client, people):
    sign_in(app, client, people["member"])
    with app.app_context():
        engine = db.engine

    def count() -> list[str]:
        with statements(engine) as seen:
            assert client.get("/documents/").status_code == 200
        return [s for s in seen if "notifications" in s]

    _give(app, people["member"], 1)
    few = count()
    _give(app, people["member"], 40)
    many = count()
    assert len(few) == len(many) == 1 and "count(" in many[0].lower()


# --- the list ------------------------------------------------------------------------------------

def test_the_list_is_paginated_newest_first(app, client, people):
    _give(app, people["member"], 25)
    sign_in(app, client, people["member"])
    first = client.get("/notifications/").get_data(as_text=True)
    assert "Agenda published 24" in first and "Agenda published 5<" in first and "Agenda published 4<" not in first
    assert "Page 1 of 2 (25 in all)" in first
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert "Agenda published 4<" in second and "Agenda published 0<" in second
    assert client.get("/notifications/?page=3").status_code == 404


def test_the_list_shows_times_in_the_viewers_time_zone(app, client, people):
    with app.app_context():
        user(people["yangon"]).timezone = "Asia/Yangon"
        db.session.commit()
    _give(app, people["yangon"], 1, created_at=datetime(2026, 11, 25, 8, 0))
    sign_in(app, client, people["yangon"])
    assert "25 Nov 2026, 14:30 (Asia/Yangon, UTC+06:30)" in client.get("/notifications/").get_data(as_text=True)


def test_the_unread_filter_lists_only_unread_ones(app, client, people):
    ids = _give(app, people["member"], 2)
    sign_in(app, client, people["member"])
    post_form(client, f"/notifications/{ids[0]}/read", {}, page="/notifications/")
    page = client.get("/notifications/?unread=1").get_data(as_text=True)
    assert "Agenda published 1<" in page and "Agenda published 0<" not in page


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(app, client, people):
    [nid] = _give(app, people["member"], 1)
    sign_in(app, client, people["member"])
    r = post_form(client, f"/notifications/{nid}/read", {"open": "1"}, page="/notifications/")
    assert r.status_code == 302 and r.headers["Location"] == "/documents/"
    assert _unread(app, people["member"]) == 0


def test_mark_all_read_marks_only_ones_own(app, client, people):
    _give(app, people["member"], 3)
    _give(app, people["yangon"], 2)
    sign_in(app, client, people["member"])
    r = post_form(client, "/notifications/read-all", {}, page="/notifications/", follow_redirects=True)
    assert "3 notifications marked as read." in r.get_data(as_text=True)
    assert _unread(app, people["member"]) == 0 and _unread(app, people["yangon"]) == 2


def test_marking_read_without_the_form_token_is_refused_and_changes_nothing(app, client, people):
    [nid] = _give(app, people["member"], 1)
    sign_in(app, client, people["member"])
    assert client.post(f"/notifications/{nid}/read").status_code == 400
    assert client.post("/notifications/read-all", data={"csrf_token": "forged"}).status_code == 400
    assert _unread(app, people["member"]) == 1


@pytest.mark.parametrize("role", ROLES)
def test_someone_elses_notification_is_not_found_for_every_role(app, client, people, make_user, role):
    [nid] = _give(app, people["member"], 1)
    other = make_user(role, mfa_on=role == "asec_admin")
    sign_in(app, client, other)
    r = post_form(client, f"/notifications/{nid}/read", {"open": "1"}, page="/notifications/")
    assert r.status_code == 404
    assert _unread(app, people["member"]) == 1
    assert "Agenda published 0" not in client.get("/notifications/").get_data(as_text=True)


def test_a_restricted_document_the_viewer_can_no_longer_open_is_listed_without_its_title(app, client, people):
    with app.app_context():
        doc = Document(title="Nickel reserves of Sabah", org_id=org("MYS").id, access_level="body",
                       access_body_id=body("WGTIM").id, uploader_id=people["chair"])
        db.session.add(doc)
        db.session.commit()
        services.notify("document_shared", user(people["chair"]), doc, [user(people["member"])], doc.title,
                        f"/documents/{doc.id}")
        db.session.commit()
    sign_in(app, client, people["member"])
    assert "Nickel reserves of Sabah" in client.get("/notifications/").get_data(as_text=True)
    with app.app_context():  # the member leaves WGTIM: the document is closed to them now
        m = user(people["member"]).memberships[0]
        db.session.delete(m)
        db.session.commit()
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Nickel" not in page and "A document was shared with you" in page


# --- settings -------------------------------------------------------------------------------------

def _settings_data(**choices) -> dict:
    data = {f"kind_{k}": "default" for k in ("meeting_invited", "agenda_published", "papers_due",
                                             "minutes_circulated", "action_assigned", "action_overdue",
                                             "document_shared")}
    data.update({f"kind_{k}": v for k, v in choices.items()})
    return data


def test_a_person_saves_their_choices_and_mutes_and_sees_them_again(app, client, people):
    sign_in(app, client, people["member"])
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "Default: In AOCP and by email at once" in page and "WGTIM" in page
    with app.app_context():
        wgsmd = body("WGSMD").id
    r = post_form(client, "/notifications/settings",
                  {**_settings_data(agenda_published="off", document_shared="email_now"), "muted": [str(wgsmd)]})
    assert r.status_code == 302
    with app.app_context():
        prefs = {(p.kind, p.channel) for p in db.session.execute(select(NotificationPreference)).scalars()}
        assert prefs == {("agenda_published", "off"), ("document_shared", "email_now")}
        assert [m.body_id for m in db.session.execute(select(BodyMute)).scalars()] == [wgsmd]
        assert db.session.execute(select(AuditEntry).where(
            AuditEntry.action == "notifications.preferences_changed")).scalar_one().actor_id == people["member"]
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert '<option selected value="off">Off</option>' in page
    assert re.search(rf'<input checked id="muted-\d" name="muted" type="checkbox" value="{wgsmd}">', page)
    assert len(re.findall(r"<input checked", page)) == 1


@pytest.mark.parametrize("bad", [{"kind_papers_due": "pigeon"}, {"muted": "99999"}, {"muted": "WGTIM"}])
def test_bad_settings_are_refused_with_a_message_and_change_nothing(app, client, people, bad):
    sign_in(app, client, people["member"])
    r = post_form(client, "/notifications/settings", {**_settings_data(agenda_published="off"), **bad})
    assert r.status_code == 400
    assert "not a valid choice" in r.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.execute(select(NotificationPreference)).scalars().all() == []


def test_a_saved_choice_changes_what_the_person_is_sent(app, client, people):
    sign_in(app, client, people["member"])
    post_form(client, "/notifications/settings", _settings_data(meeting_invited="off"))
    with app.app_context():
        schedule(people["chair"])
        kinds = [n.kind for n in db.session.execute(select(Notification).where(
            Notification.recipient_id == people["member"])).scalars()]
    assert kinds == []


# --- ASEC's defaults per role ----------------------------------------------------------------------

def test_an_administrator_sets_the_defaults_per_role_and_they_apply(app, client, people):
    sign_in(app, client, people["admin"])
    page = client.get("/notifications/defaults").get_data(as_text=True)
    assert "Member-state delegate" in page and "Built-in: In AOCP and by email at once" in page
    data = {f"{r}__{k}": "default" for r in ROLES for k in ("meeting_invited", "agenda_published", "papers_due",
                                                            "minutes_circulated", "action_assigned",
                                                            "action_overdue", "document_shared")}
    data["delegate__meeting_invited"] = "daily_digest"
    assert post_form(client, "/notifications/defaults", data).status_code == 302
    with app.app_context():
        assert [(d.role, d.kind, d.channel) for d in db.session.execute(select(RoleDefault)).scalars()] == [
            ("delegate", "meeting_invited", "daily_digest")]
        assert db.session.execute(select(AuditEntry).where(
            AuditEntry.action == "notifications.defaults_changed")).scalar_one().actor_id == people["admin"]
        schedule(people["chair"])
        channels = {n.recipient_id: n.channel for n in db.session.execute(select(Notification)).scalars()}
    assert channels[people["member"]] == "daily_digest" and channels[people["observer"]] == "email_now"
    client2 = app.test_client()
    sign_in(app, client2, people["member"])
    assert "Default: In AOCP and in one email a day" in client2.get("/notifications/settings").get_data(as_text=True)


def test_a_bad_default_is_refused_and_nothing_changes(app, client, people):
    sign_in(app, client, people["admin"])
    r = post_form(client, "/notifications/defaults", {"observer__papers_due": "shout"})
    assert r.status_code == 400 and "nothing was saved" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(RoleDefault)).scalars().all() == []


@pytest.mark.parametrize("role", [r for r in ROLES if r != "asec_admin"])
def test_only_administrators_set_the_defaults(app, client, make_user, role):
    uid = make_user(role)
    sign_in(app, client, uid)
    assert client.get("/notifications/defaults").status_code == 403
    token = csrf_token(client, "/notifications/settings")
    assert client.post("/notifications/defaults", data={"csrf_token": token,
                                                        "delegate__papers_due": "off"}).status_code == 403
    assert client.get("/notifications/").status_code == 200
    assert client.get("/notifications/settings").status_code == 200
    with app.app_context():
        assert db.session.execute(select(RoleDefault)).scalars().all() == []


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in ("/notifications/", "/notifications/settings", "/notifications/defaults"):
        r = client.get(url)
        assert r.status_code == 302 and "/login?next=" in r.headers["Location"]


# --- one's time zone ---------------------------------------------------------------------------------

def test_a_person_chooses_their_time_zone_on_the_profile_page(app, client, people):
    sign_in(app, client, people["yangon"])
    assert '<option selected value="Asia/Jakarta">' in client.get("/profile/").get_data(as_text=True)
    r = post_form(client, "/profile/timezone", {"timezone": "Asia/Yangon"}, page="/profile/", follow_redirects=True)
    assert "Times are now shown in Asia/Yangon." in r.get_data(as_text=True)
    with app.app_context():
        assert user(people["yangon"]).timezone == "Asia/Yangon"


def test_an_unknown_time_zone_is_refused_and_nothing_changes(app, client, people):
    sign_in(app, client, people["yangon"])
    r = post_form(client, "/profile/timezone", {"timezone": "Mars/Olympus_Mons"}, page="/profile/")
    assert r.status_code == 400 and "Not a valid choice" in r.get_data(as_text=True)
    with app.app_context():
        assert user(people["yangon"]).timezone == "Asia/Jakarta"


def test_the_list_page_costs_the_same_number_of_queries_for_few_and_many_actors(app, client, people, make_user):
    with app.app_context():
        engine = db.engine
    sign_in(app, client, people["member"])

    def count() -> int:
        with statements(engine) as seen:
            assert client.get("/notifications/").status_code == 200
        return len(seen)

    def add(actor_ids: list[int]) -> None:
        with app.app_context():
            db.session.add_all(Notification(recipient_id=people["member"], kind="agenda_published", title="Agenda",
                                            url="/", channel="in_app", actor_id=a) for a in actor_ids)
            db.session.commit()

    add([people["chair"]])
    count()  # the first request after sign-in records the session once
    few = count()
    add([make_user("delegate", org_code=code) for code in ("THA", "VNM", "PHL", "IDN", "LAO", "KHM")] * 3)
    assert count() == few
