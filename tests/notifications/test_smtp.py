"""Notification emails delivered to a real SMTP server (aiosmtpd) listening on loopback."""
from __future__ import annotations

import email
import re
import socket
from datetime import timedelta
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from aocp.documents.models import Document
from aocp.extensions import db
from aocp.notifications import services, worker
from aocp.notifications.models import Notification
from aocp.timeutil import utcnow
from tests.conftest import org, outbox
from tests.notifications.conftest import queued, schedule, user


class Mailbox:
    """An SMTP handler that keeps what it receives; it can refuse the first few messages with a 451."""

    def __init__(self):
        self.messages: list[tuple[list[str], Message]] = []
        self.refuse = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 Requested action aborted: local error in processing"
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False,
                       "MAIL_USE_SSL": False, "MAIL_USERNAME": ""}.items():
        monkeypatch.setitem(app.config, key, value)
    yield box
    controller.stop()


def _parts(message: Message) -> dict[str, str]:
    return {part.get_content_type(): part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
            for part in message.walk() if not part.is_multipart()}


def test_an_invitation_arrives_over_smtp_with_text_and_html_parts_linking_back_to_the_meeting(app, ctx, people,
                                                                                              smtp):
    user(people["yangon"]).timezone = "Asia/Yangon"
    db.session.commit()
    meeting = schedule(people["chair"])
    assert smtp.messages == []  # scheduling only queued the emails
    assert worker.process_queue() == (3, 0)
    assert sorted(to for tos, _ in smtp.messages for to in tos) == [
        "member@example.gov.my", "observer@example.go.jp", "yangon@example.gov.mm"]
    [(_, message)] = [m for m in smtp.messages if m[0] == ["yangon@example.gov.mm"]]
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == f"[AOCP] You are invited to the {meeting.title}"
    assert message["From"] == app.config["MAIL_FROM"] and message["To"] == "yangon@example.gov.mm"
    parts = _parts(message)
    assert set(parts) == {"text/plain", "text/html"}
    link = "http://127.0.0.1:5000" + db.session.execute(
        db.select(Notification.url).where(Notification.recipient_id == people["yangon"])
    ).scalar_one()
    assert link in parts["text/plain"] and f'href="{link}"' in parts["text/html"]
    assert "Hello Aung Yangon" in parts["text/plain"] and "Hello Aung Yangon" in parts["text/html"]
    assert f"{meeting.starts_on:%d %b %Y}, 08:30 (Asia/Yangon, UTC+06:30)" in parts["text/plain"]
    assert "http://127.0.0.1:5000/notifications/settings" in parts["text/plain"]
    assert outbox(app) == []  # with SMTP configured nothing goes to the development outbox


def test_a_restricted_document_email_over_smtp_carries_no_document_content(app, ctx, people, smtp):
    doc = Document(title="Confidential bauxite tonnage 2026", description="Estimates by district",
                   org_id=org("MYS").id, access_level="asean", uploader_id=people["chair"])
    db.session.add(doc)
    db.session.flush()
    services.set_preferences(user(people["member"]), {"document_shared": "email_now"}, set())
    services.notify("document_shared", user(people["chair"]), doc, [user(people["member"])], doc.title,
                    f"/documents/{doc.id}", text=doc.description)
    db.session.commit()
    assert worker.process_queue() == (1, 0)
    [(_, message)] = smtp.messages
    raw = message.as_string()
    for word in ("Confidential", "bauxite", "tonnage", "Estimates", "district"):
        assert word not in raw and word not in str(message["Subject"])
    parts = _parts(message)
    assert "A document was shared with you" in parts["text/plain"]
    assert f"http://127.0.0.1:5000/documents/{doc.id}" in parts["text/plain"]
    assert f'href="http://127.0.0.1:5000/documents/{doc.id}"' in parts["text/html"]


def test_a_server_that_refuses_for_a_while_gets_the_email_on_a_later_try(app, ctx, people, smtp):
    smtp.refuse = 1
    services.notify("agenda_published", None, None, [user(people["member"])], "Agenda published", "/")
    db.session.commit()
    assert worker.process_queue() == (0, 1)
    row = queued()[0]
    assert row.status == "queued" and row.attempts == 1 and "451" in row.last_error and smtp.messages == []
    assert worker.process_queue() == (0, 0)  # waits for its backoff
    assert worker.process_queue(utcnow() + timedelta(seconds=app.config["NOTIFY_RETRY_SECONDS"] + 1)) == (1, 0)
    db.session.refresh(row)
    assert row.status == "sent" and row.attempts == 2
    assert [tos for tos, _ in smtp.messages] == [["member@example.gov.my"]]


def test_an_unreachable_server_leaves_the_email_queued_with_the_error(app, ctx, people, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())  # nothing listens there
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    services.notify("agenda_published", None, None, [user(people["member"])], "Agenda published", "/")
    db.session.commit()
    assert worker.process_queue() == (0, 1)
    row = queued()[0]
    assert row.status == "queued" and re.search(r"ConnectionRefused|Errno", row.last_error)
    assert row.next_attempt_at > utcnow()


def test_the_daily_digest_arrives_over_smtp_as_one_email_per_person(app, ctx, people, smtp):
    doc = Document(title="AMCAP brochure", org_id=org("MYS").id, access_level="everyone",
                   uploader_id=people["chair"])
    db.session.add(doc)
    db.session.flush()
    for _ in range(3):
        services.notify("document_shared", user(people["chair"]), doc,
                        [user(people["member"]), user(people["yangon"])], doc.title, f"/documents/{doc.id}")
    db.session.commit()
    assert worker.queue_digests() == 2
    db.session.commit()
    assert worker.process_queue() == (2, 0)
    assert sorted(tos[0] for tos, _ in smtp.messages) == ["member@example.gov.my", "yangon@example.gov.mm"]
    parts = _parts(smtp.messages[0][1])
    assert parts["text/plain"].count("AMCAP brochure") == 3 and parts["text/html"].count("AMCAP brochure") == 3
