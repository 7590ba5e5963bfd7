"""`notify`: who hears about what, by which channel, and what their emails may say."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings import assignments
from aocp.meetings import services as meetings
from aocp.meetings.models import Meeting, Participant
from aocp.notifications import services
from aocp.notifications.models import BodyMute, NotificationPreference, RoleDefault
from aocp.notifications.reminders import remind_papers_due
from bench.sqlcount import statements
from tests.conftest import body, org, outbox
from tests.notifications.conftest import notes, queued, recipients, schedule, user


def _document(uploader_id: int, level: str, title: str = "Nickel reserves of Sabah 2026", **extra) -> Document:
    doc = Document(title=title, description="Confidential estimates", org_id=org("MYS").id, access_level=level,
                   uploader_id=uploader_id, **extra)
    db.session.add(doc)
    db.session.flush()
    return doc


# --- who is told -------------------------------------------------------------------------

def test_scheduling_a_meeting_invites_every_member_but_not_the_chair_who_scheduled_it(app, ctx, people):
    meeting = schedule(people["chair"])
    assert recipients("meeting_invited") == {people["member"], people["yangon"], people["observer"]}
    note = notes("meeting_invited", people["member"])[0]
    assert note.title == f"You are invited to the {meeting.title}"
    assert (note.object_type, note.object_id, note.actor_id) == ("meeting", meeting.id, people["chair"])
    assert note.url == f"/meetings/{meeting.id}" and note.read_at is None


def test_nothing_is_sent_while_the_request_runs_emails_wait_in_the_queue(app, ctx, people):
    schedule(people["chair"])
    assert outbox(app) == []
    assert {q.to_address for q in queued()} == {"member@example.gov.my", "yangon@example.gov.mm",
                                                "observer@example.go.jp"}
    assert all(q.status == "queued" and q.attempts == 0 for q in queued())


def test_the_actor_is_never_told_of_their_own_action_even_when_listed(app, ctx, people):
    meeting = schedule(people["chair"])
    made = services.notify("agenda_published", user(people["member"]), meeting,
                           [user(people["member"]), user(people["chair"]), user(people["member"])], "Agenda", "/")
    assert [n.recipient_id for n in made] == [people["chair"]]


def test_people_who_may_not_see_the_object_are_not_told(app, ctx, people):
    meeting = schedule(people["chair"])
    made = services.notify("agenda_published", user(people["chair"]), meeting,
                           [user(people["outsider"]), user(people["staff"]), user(people["member"])], "Agenda", "/")
    assert {n.recipient_id for n in made} == {people["staff"], people["member"]}
    doc = _document(people["chair"], "body", access_body_id=body("WGSMD").id)
    made = services.notify("document_shared", user(people["chair"]), doc,
                           [user(people["member"]), user(people["outsider"])], doc.title, f"/documents/{doc.id}")
    assert [n.recipient_id for n in made] == [people["outsider"]]


def test_who_may_see_it_is_checked_with_everyones_memberships_read_in_one_statement(app, ctx, people, make_user):
    for i in range(6):
        make_user("delegate", org_code="IDN", email=f"extra{i}@example.go.id", bodies={"WGTIM": "member"})
    meeting_id = schedule(people["chair"]).id
    db.session.expunge_all()  # people read afresh below, without their memberships
    meeting = db.session.get(Meeting, meeting_id)
    everyone = list(db.session.execute(select(User).order_by(User.id)).scalars())
    with statements(db.engine) as seen:
        made = services.notify("agenda_published", None, meeting, everyone, "Agenda", "/")
    assert len(made) == 6 + 6  # the extra members; ASEC (two), the chair, two members and the observer
    assert len([s for s in seen if "FROM memberships" in s]) == 1


def test_a_deactivated_account_is_not_told(app, ctx, people):
    user(people["member"]).status = "deactivated"
    db.session.commit()
    schedule(people["chair"])
    assert people["member"] not in recipients("meeting_invited")


def test_an_unknown_kind_is_refused(app, ctx, people):
    with pytest.raises(ValueError):
        services.notify("meeting_moved", None, None, [user(people["member"])], "x", "/")


# --- by each person's choice ---------------------------------------------------------------

def test_the_built_in_default_emails_invitations_at_once_and_digests_shared_documents(app, ctx, people):
    schedule(people["chair"])
    assert {n.channel for n in notes("meeting_invited")} == {"email_now"}
    doc = _document(people["chair"], "everyone")
    services.notify("document_shared", user(people["chair"]), doc, [user(people["member"])], doc.title,
                    f"/documents/{doc.id}")
    assert notes("document_shared")[0].channel == "daily_digest"
    assert len(queued("member@example.gov.my")) == 1  # the invitation only; the document waits for the digest


def test_a_persons_own_choice_comes_before_asec_default_for_their_role(app, ctx, people):
    db.session.add_all([
        RoleDefault(role="delegate", kind="meeting_invited", channel="in_app"),
        RoleDefault(role="observer", kind="meeting_invited", channel="off"),
        NotificationPreference(user_id=people["yangon"], kind="meeting_invited", channel="daily_digest"),
    ])
    db.session.commit()
    schedule(people["chair"])
    channels = {n.recipient_id: n.channel for n in notes("meeting_invited")}
    assert channels == {people["member"]: "in_app", people["yangon"]: "daily_digest"}  # observer: off
    assert queued() == []


def test_in_app_only_writes_a_notification_and_no_email(app, ctx, people):
    services.set_preferences(user(people["member"]), {"meeting_invited": "in_app"}, set())
    db.session.commit()
    schedule(people["chair"])
    assert notes("meeting_invited", people["member"])[0].channel == "in_app"
    assert queued("member@example.gov.my") == []
    assert len(queued("yangon@example.gov.mm")) == 1


def test_a_muted_body_tells_nothing_in_the_app_or_by_email(app, ctx, people):
    services.set_preferences(user(people["member"]), {}, {body("WGTIM").id})
    db.session.commit()
    meeting = schedule(people["chair"])
    meetings.add_item(user(people["chair"]), meeting, "Country reports")
    meetings.publish_agenda(user(people["chair"]), meeting)
    db.session.commit()
    assert notes(recipient=people["member"]) == []
    assert queued("member@example.gov.my") == []
    assert people["yangon"] in recipients("agenda_published")


def test_muting_another_body_changes_nothing_here(app, ctx, people):
    services.set_preferences(user(people["member"]), {}, {body("WGSMD").id})
    db.session.commit()
    schedule(people["chair"])
    assert people["member"] in recipients("meeting_invited")


def test_set_preferences_replaces_the_choices_and_default_removes_one(app, ctx, people):
    member = user(people["member"])
    services.set_preferences(member, {"agenda_published": "off", "papers_due": "daily_digest"}, {body("JWG").id})
    services.set_preferences(member, {"agenda_published": "default", "papers_due": "in_app"}, set())
    db.session.commit()
    assert services.preferences_of(member) == {"papers_due": "in_app"}
    assert db.session.execute(select(BodyMute)).scalars().all() == []
    with pytest.raises(ValueError):
        services.set_preferences(member, {"papers_due": "carrier_pigeon"}, set())


# --- what emails may say ----------------------------------------------------------------------

@pytest.mark.parametrize("level", ["asean", "body", "named"])
def test_an_email_about_a_restricted_document_carries_no_content_not_even_its_title(app, ctx, people, level):
    extra = {"access_body_id": body("WGTIM").id} if level == "body" else {}
    doc = _document(people["chair"], level, **extra)
    if level == "named":
        from aocp.documents.models import DocumentGrant
        db.session.add(DocumentGrant(document_id=doc.id, user_id=people["member"]))
        db.session.flush()
    services.set_preferences(user(people["member"]), {"document_shared": "email_now"}, set())
    services.notify("document_shared", user(people["chair"]), doc, [user(people["member"])], doc.title,
                    f"/documents/{doc.id}", text="Estimated 1.2 Mt of nickel ore")
    email = queued("member@example.gov.my")[0]
    for part in (email.subject, email.text, email.html):
        assert "Nickel" not in part and "Sabah" not in part and "1.2 Mt" not in part and "Confidential" not in part
        assert "A document was shared with you" in part
    assert f"http://127.0.0.1:5000/documents/{doc.id}" in email.text
    assert f'href="http://127.0.0.1:5000/documents/{doc.id}"' in email.html
    assert notes("document_shared")[0].restricted is True


def test_an_email_about_a_document_for_everyone_signed_in_names_it(app, ctx, people):
    doc = _document(people["chair"], "everyone", title="AMCAP-III Phase 2 brochure")
    services.set_preferences(user(people["member"]), {"document_shared": "email_now"}, set())
    services.notify("document_shared", user(people["chair"]), doc, [user(people["member"])], doc.title,
                    f"/documents/{doc.id}", text="The printed version.")
    email = queued("member@example.gov.my")[0]
    assert email.subject == "[AOCP] AMCAP-III Phase 2 brochure"
    assert "The printed version." in email.text and "Aminah Chair (MYS)" in email.text


def test_times_in_an_email_are_in_each_recipients_time_zone(app, ctx, people):
    user(people["yangon"]).timezone = "Asia/Yangon"
    user(people["member"]).timezone = "Asia/Manila"
    db.session.commit()
    meeting = schedule(people["chair"])
    services.notify("papers_due", None, meeting, [user(people["yangon"]), user(people["member"])], "Papers due",
                    "/", when=datetime(2027, 3, 12, 2, 0))
    yangon = queued("yangon@example.gov.mm")[-1]
    manila = queued("member@example.gov.my")[-1]
    assert "12 Mar 2027, 08:30 (Asia/Yangon, UTC+06:30)" in yangon.text
    assert "12 Mar 2027, 08:30 (Asia/Yangon, UTC+06:30)" in yangon.html
    assert "12 Mar 2027, 10:00 (Asia/Manila, UTC+08:00)" in manila.text
    assert "Asia/Yangon" not in manila.text


def test_a_meeting_invitation_shows_its_start_in_the_recipients_zone(app, ctx, people):
    user(people["yangon"]).timezone = "Asia/Yangon"
    db.session.commit()
    meeting = schedule(people["chair"])  # 09:00 in Jakarta (UTC+7) is 08:30 in Yangon
    email = queued("yangon@example.gov.mm")[0]
    assert f"{meeting.starts_on:%d %b %Y}, 08:30 (Asia/Yangon, UTC+06:30)" in email.text
    assert "Kuala Lumpur Convention Centre" in email.text


# --- the meeting services' calls --------------------------------------------------------------

def test_inviting_more_people_tells_only_the_new_ones(app, ctx, people):
    meeting = schedule(people["chair"])
    before = len(notes("meeting_invited"))
    added = meetings.invite(user(people["chair"]), meeting, [user(people["member"]), user(people["staff"])])
    db.session.commit()
    assert added == 1
    assert [n.recipient_id for n in notes("meeting_invited")[before:]] == [people["staff"]]


def test_publishing_the_agenda_tells_participants_who_did_not_decline(app, ctx, people):
    meeting = schedule(people["chair"])
    meetings.rsvp(user(people["yangon"]), meeting, "not_attending")
    meetings.add_item(user(people["chair"]), meeting, "Opening")
    meetings.publish_agenda(user(people["chair"]), meeting)
    db.session.commit()
    assert recipients("agenda_published") == {people["member"], people["observer"]}
    assert notes("agenda_published")[0].title == f"Agenda published: {meeting.title}"


def test_circulating_minutes_tells_participants_but_not_the_chair(app, ctx, people):
    meeting = schedule(people["chair"])
    minutes = meetings.minutes_of(meeting)
    meetings.save_minutes(user(people["chair"]), meeting, "# Minutes\nAgreed.", minutes.version)
    meetings.circulate_minutes(user(people["chair"]), meeting)
    db.session.commit()
    assert recipients("minutes_circulated") == {people["member"], people["yangon"], people["observer"]}
    assert {n.url for n in notes("minutes_circulated")} == {f"/meetings/{meeting.id}/minutes"}


def test_an_action_item_owned_by_a_person_tells_that_person(app, ctx, people):
    meeting = schedule(people["chair"])
    item = assignments.add_action(user(people["chair"]), body("WGTIM"),
                               assignments.ActionDetails("Circulate the tin study", owner_user=user(people["yangon"]),
                                                      due_on=date.today() + timedelta(days=14)), meeting)
    db.session.commit()
    assert recipients("action_assigned") == {people["yangon"]}
    note = notes("action_assigned")[0]
    assert (note.object_type, note.object_id, note.url) == ("action_item", item.id, f"/meetings/{meeting.id}/actions")


def test_an_action_item_owned_by_a_member_state_tells_its_focal_persons_in_that_body(app, ctx, people, make_user):
    phl_focal = make_user("focal_person", org_code="PHL", email="focal.phl@example.gov.ph", bodies={"WGTIM": "member"})
    make_user("focal_person", org_code="PHL", email="focal2.phl@example.gov.ph", bodies={"WGSMD": "member"})
    make_user("delegate", org_code="PHL", email="delegate.phl@example.gov.ph", bodies={"WGTIM": "member"})
    assignments.add_action(user(people["chair"]), body("WGTIM"),
                        assignments.ActionDetails("Country report on nickel", owner_org=org("PHL")))
    db.session.commit()
    assert recipients("action_assigned") == {phl_focal}
    assert notes("action_assigned")[0].url == "/workspaces/WGTIM"  # no meeting: the body's workspace


# --- daily reminders --------------------------------------------------------------------------

def test_papers_due_reminds_participants_once_a_day(app, ctx, people):
    meeting = schedule(people["chair"], deadline_in=2)
    schedule(people["chair"], starts_in=40, deadline_in=10)  # too far ahead
    assert remind_papers_due(3) == 4
    db.session.commit()
    # A reminder has no actor: the chair, a participant too, is reminded like everyone else.
    assert recipients("papers_due") == {people["chair"], people["member"], people["yangon"], people["observer"]}
    assert {n.object_id for n in notes("papers_due")} == {meeting.id}
    assert remind_papers_due(3) == 0  # the same day again: nobody twice
    db.session.commit()
    assert len(notes("papers_due")) == 4


def test_papers_due_skips_participants_whose_member_state_already_submitted(app, ctx, people):
    meeting = schedule(people["chair"], deadline_in=1)
    _document(people["member"], "asean", title="Malaysia country report", meeting_id=meeting.id)
    db.session.commit()
    remind_papers_due(3)
    assert recipients("papers_due") == {people["yangon"], people["observer"]}  # MYS (chair, member) submitted


def test_the_remind_command_tells_owners_of_overdue_items_once_a_day(app, ctx, people):
    meeting = schedule(people["chair"])
    chair = user(people["chair"])
    late = assignments.add_action(chair, body("WGTIM"), assignments.ActionDetails(
        "Send the tin data", owner_user=user(people["member"]), due_on=date.today() - timedelta(days=3)), meeting)
    done = assignments.add_action(chair, body("WGTIM"), assignments.ActionDetails(
        "Book the venue", owner_user=user(people["yangon"]), due_on=date.today() - timedelta(days=3)), meeting)
    assignments.set_action_status(chair, done, "done")
    assignments.add_action(chair, body("WGTIM"), assignments.ActionDetails(
        "Later work", owner_user=user(people["yangon"]), due_on=date.today() + timedelta(days=3)), meeting)
    services.set_preferences(user(people["member"]), {"action_overdue": "email_now"}, set())
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["meetings", "remind"])
    assert result.exit_code == 0, result.output
    assert "1 of overdue action items" in result.output
    overdue = notes("action_overdue")
    assert [(n.recipient_id, n.object_id) for n in overdue] == [(people["member"], late.id)]
    assert "3 days past its due date" in queued("member@example.gov.my")[-1].text
    assert runner.invoke(args=["meetings", "remind"]).exit_code == 0
    db.session.expire_all()
    assert len(notes("action_overdue")) == 1


def test_papers_due_on_the_deadline_day_reminds_only_people_still_invited(app, ctx, people):
    schedule(people["chair"], deadline_in=0)
    db.session.execute(Participant.__table__.delete().where(Participant.user_id == people["observer"]))
    db.session.commit()
    assert remind_papers_due(0) == 3
    assert recipients("papers_due") == {people["chair"], people["member"], people["yangon"]}
