"""The queue worker and the daily digest: nothing lost while it is down, retries with backoff, one digest each."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from aocp.documents.models import Document
from aocp.extensions import db
from aocp.notifications import services, worker
from aocp.notifications.models import Notification, QueuedEmail
from aocp.timeutil import utcnow
from tests.conftest import org, outbox
from tests.notifications.conftest import queued, schedule, user


def _run(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=["notifications", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_emails_wait_while_the_worker_is_down_and_a_later_run_sends_them(app, ctx, people):
    schedule(people["chair"])
    schedule(people["chair"], starts_in=60)
    assert outbox(app) == [] and len(queued()) == 6  # three people, two meetings: all still waiting
    assert "6 emails sent, 0 not sent" in _run(app, "run", "--once")
    db.session.expire_all()
    assert {q.status for q in queued()} == {"sent"} and all(q.sent_at and q.attempts == 1 for q in queued())
    messages = outbox(app)
    assert sorted(m["To"] for m in messages) == sorted(["member@example.gov.my", "yangon@example.gov.mm",
                                                        "observer@example.go.jp"] * 2)
    assert all(m["Subject"].startswith("[AOCP] You are invited to the") for m in messages)
    assert "0 emails sent" in _run(app, "run", "--once")  # nothing is sent twice
    assert len(outbox(app)) == 6


def test_a_failed_send_is_retried_later_waiting_twice_as_long_each_time_then_marked_failed(app, ctx, people,
                                                                                            monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 4)
    monkeypatch.setitem(app.config, "NOTIFY_RETRY_SECONDS", 60)
    calls = []

    def broken(to, subject, text, html=None):
        calls.append(to)
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(worker, "send_email", broken)
    services.notify("agenda_published", None, None, [user(people["member"])], "Agenda", "/")
    db.session.commit()
    now = utcnow() + timedelta(seconds=1)
    waits = []
    for attempt in range(1, 5):
        assert worker.process_queue(now) == (0, 1)
        row = queued()[0]
        assert row.attempts == attempt and "mail server down" in row.last_error
        if attempt < 4:
            assert row.status == "queued"
            waits.append((row.next_attempt_at - now).total_seconds())
            assert worker.process_queue(row.next_attempt_at - timedelta(seconds=1)) == (0, 0)  # not yet due
            now = row.next_attempt_at
    assert waits == [60, 120, 240]
    assert queued()[0].status == "failed" and len(calls) == 4
    assert worker.process_queue(now + timedelta(days=30)) == (0, 0)  # a failed email is not tried again


def test_an_email_that_failed_once_goes_out_on_a_later_pass(app, ctx, people, monkeypatch):
    real = worker.send_email
    monkeypatch.setattr(worker, "send_email", lambda *a, **k: (_ for _ in ()).throw(OSError("timed out")))
    services.notify("agenda_published", None, None, [user(people["member"])], "Agenda", "/")
    db.session.commit()
    assert worker.process_queue() == (0, 1)
    monkeypatch.setattr(worker, "send_email", real)
    assert worker.process_queue(utcnow() + timedelta(minutes=2)) == (1, 0)
    row = queued()[0]
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    assert [m["To"] for m in outbox(app)] == ["member@example.gov.my"]


def test_an_email_to_an_account_deactivated_meanwhile_is_not_sent(app, ctx, people):
    services.notify("agenda_published", None, None, [user(people["member"])], "Agenda", "/")
    db.session.commit()
    user(people["member"]).status = "deactivated"
    db.session.commit()
    assert worker.process_queue() == (0, 1)
    assert queued()[0].status == "failed" and outbox(app) == []


def test_the_worker_survives_a_broken_message_and_sends_the_rest(app, ctx, people, monkeypatch):
    real = worker.send_email

    def picky(to, subject, text, html=None):
        if to == "member@example.gov.my":
            raise ValueError("bad header")
        return real(to, subject, text, html)

    monkeypatch.setattr(worker, "send_email", picky)
    schedule(people["chair"])
    assert worker.process_queue() == (2, 1)
    assert {q.to_address: q.status for q in queued()}["member@example.gov.my"] == "queued"


# --- daily digests ----------------------------------------------------------------------------------

def _digest_note(uid: int, title: str, created_at: datetime, **extra) -> None:
    db.session.add(Notification(recipient_id=uid, kind="document_shared", title=title, url="/documents/",
                                channel="daily_digest", created_at=created_at, **extra))


def test_the_digest_gathers_each_persons_unread_notifications_into_one_email(app, ctx, people):
    now = utcnow()
    _digest_note(people["member"], "Tin market outlook", now - timedelta(hours=5))
    _digest_note(people["member"], "Bauxite study", now - timedelta(hours=2))
    _digest_note(people["member"], "Already read", now - timedelta(hours=1), read_at=now)
    _digest_note(people["yangon"], "Rare earths map", now - timedelta(hours=3))
    db.session.add(Notification(recipient_id=people["observer"], kind="agenda_published", title="Agenda",
                                url="/", channel="in_app"))
    db.session.commit()
    assert "2 digest emails queued." in _run(app, "digest")
    db.session.expire_all()
    member, yangon = queued("member@example.gov.my"), queued("yangon@example.gov.mm")
    assert len(member) == 1 and len(yangon) == 1 and queued("observer@example.go.jp") == []
    assert member[0].subject == "[AOCP] Your daily summary: 2 notifications"
    text = member[0].text
    assert "Tin market outlook" in text and "Bauxite study" in text and "Already read" not in text
    assert "Rare earths map" not in text and "Rare earths map" in yangon[0].text
    assert text.index("Tin market outlook") < text.index("Bauxite study")
    assert "http://127.0.0.1:5000/documents/" in text and "http://127.0.0.1:5000/documents/" in member[0].html
    assert all(n.digested_at for n in db.session.execute(
        select(Notification).where(Notification.channel == "daily_digest")).scalars())
    assert "0 digest emails queued." in _run(app, "digest")  # what was gathered is not gathered again
    _run(app, "run", "--once")
    assert sorted(m["To"] for m in outbox(app)) == ["member@example.gov.my", "yangon@example.gov.mm"]


def test_a_digest_shows_times_in_the_recipients_zone_and_hides_restricted_titles(app, ctx, people):
    user(people["yangon"]).timezone = "Asia/Yangon"
    doc = Document(title="Secret nickel tonnage", org_id=org("MYS").id, access_level="asean",
                   uploader_id=people["chair"])
    db.session.add(doc)
    db.session.flush()
    services.notify("document_shared", user(people["chair"]), doc, [user(people["yangon"])], doc.title,
                    f"/documents/{doc.id}")
    note = db.session.execute(select(Notification)).scalar_one()
    note.created_at = datetime(2026, 11, 25, 1, 0)
    db.session.commit()
    worker.queue_digests()
    db.session.commit()
    [email] = queued("yangon@example.gov.mm")
    assert "25 Nov 2026, 07:30 (Asia/Yangon, UTC+06:30)" in email.text
    for part in (email.subject, email.text, email.html):
        assert "Secret" not in part and "nickel" not in part
    assert "A document was shared with you" in email.text and f"/documents/{doc.id}" in email.text


def test_a_digest_for_a_deactivated_person_is_not_queued(app, ctx, people):
    _digest_note(people["member"], "Tin market outlook", utcnow() - timedelta(hours=1))
    user(people["member"]).status = "deactivated"
    db.session.commit()
    assert worker.queue_digests() == 0
    assert db.session.execute(select(QueuedEmail)).scalars().all() == []


@pytest.mark.parametrize("attempts, seconds", [(1, 60), (2, 120), (5, 960), (20, 86400)])
def test_the_retry_delay_doubles_and_never_exceeds_a_day(app, ctx, attempts, seconds):
    assert worker.retry_delay(attempts).total_seconds() == seconds
