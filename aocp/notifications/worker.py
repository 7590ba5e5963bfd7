"""The email queue worker and the daily digest.

`flask --app app notifications run` sends queued emails until stopped (`--once`: one pass, for cron);
a failed send is tried again later, waiting twice as long each time, and is marked failed after
NOTIFY_MAX_ATTEMPTS. Emails wait in the database, so nothing is lost while the worker is down.
`flask --app app notifications digest` (once a day) gathers each person's unread daily-digest
notifications into one queued email.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from itertools import groupby

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from aocp.extensions import db
from aocp.mail import send_email
from aocp.notifications import emails
from aocp.notifications.models import Notification, QueuedEmail
from aocp.timeutil import utcnow

notifications_cli = AppGroup("notifications", help="Send queued notification emails and daily digests.")
MAX_DELAY = timedelta(days=1)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: the base delay, doubled each time, at most a day."""
    base = current_app.config["NOTIFY_RETRY_SECONDS"]
    return min(timedelta(seconds=base * 2 ** max(0, attempts - 1)), MAX_DELAY)


def _claim(now: datetime) -> QueuedEmail | None:
    # One row at a time, locked: several workers never send the same email (SKIP LOCKED on PostgreSQL).
    return db.session.execute(
        select(QueuedEmail).options(joinedload(QueuedEmail.recipient))
        .where(QueuedEmail.status == "queued", QueuedEmail.next_attempt_at <= now)
        .order_by(QueuedEmail.next_attempt_at, QueuedEmail.id).limit(1)
        .with_for_update(skip_locked=True, of=QueuedEmail)).scalar_one_or_none()


def deliver(row: QueuedEmail, now: datetime) -> bool:
    """Try to send one queued email; record the outcome on the row. True when it went out."""
    row.attempts += 1
    if row.recipient is not None and not row.recipient.is_active:
        row.status, row.last_error = "failed", "The account was deactivated before the email was sent."
        return False
    try:
        send_email(row.to_address, row.subject, row.text, row.html or None)
    except Exception as err:  # any failure of the mail server must leave the email queued, never stop the worker
        row.last_error = f"{type(err).__name__}: {err}"[:2000]
        if row.attempts >= current_app.config["NOTIFY_MAX_ATTEMPTS"]:
            row.status = "failed"
            current_app.logger.error("Email %s failed for good after %s attempts: %s", row.id, row.attempts,
                                     row.last_error)
        else:
            row.next_attempt_at = now + retry_delay(row.attempts)
            current_app.logger.warning("Email %s not sent (attempt %s), retrying at %s: %s", row.id,
                                       row.attempts, row.next_attempt_at, row.last_error)
        return False
    row.status, row.sent_at, row.last_error = "sent", utcnow(), ""
    return True


def process_queue(now: datetime | None = None, limit: int = 500) -> tuple[int, int]:
    """One pass over the emails that are due; returns (sent, not sent). Commits after each email."""
    sent = failed = 0
    for _ in range(limit):
        now_ = now or utcnow()
        row = _claim(now_)
        if row is None:
            break
        if deliver(row, now_):
            sent += 1
        else:
            failed += 1
        db.session.commit()
    return sent, failed


def queue_digests(now: datetime | None = None) -> int:
    """Queue one email per person with their unread daily-digest notifications; returns emails queued."""
    now = now or utcnow()
    pending = db.session.execute(
        select(Notification).options(joinedload(Notification.recipient), joinedload(Notification.actor))
        .where(Notification.channel == "daily_digest", Notification.digested_at.is_(None),
               Notification.created_at <= now)
        .order_by(Notification.recipient_id, Notification.id)).scalars().all()
    queued = 0
    for _recipient_id, group in groupby(pending, key=lambda n: n.recipient_id):
        notes = list(group)
        for n in notes:
            n.digested_at = now
        user = notes[0].recipient
        unread = [n for n in notes if n.read_at is None]
        if not unread or not user.is_active:
            continue
        subject, text, html = emails.digest(user, unread)
        db.session.add(QueuedEmail(recipient_id=user.id, to_address=user.email, subject=subject, text=text,
                                   html=html, next_attempt_at=now, created_at=now))
        queued += 1
    db.session.flush()
    return queued


@notifications_cli.command("run")
@click.option("--once", is_flag=True, help="Send what is due, then stop (for cron).")
def run_command(once: bool):
    """Send queued notification emails, with retries; runs until stopped unless --once."""
    poll = current_app.config["NOTIFY_POLL_SECONDS"]
    while True:
        try:
            sent, failed = process_queue()
        except SQLAlchemyError as err:  # the database is away for a moment: wait and try again
            db.session.rollback()
            current_app.logger.error("Email queue unavailable: %s", err)
            sent = failed = 0
            if once:
                raise click.ClickException("The email queue could not be read; see the log.") from err
        if sent or failed or once:
            click.echo(f"{sent} emails sent, {failed} not sent (will retry or marked failed).")
        if once:
            return
        try:
            time.sleep(poll)
        except KeyboardInterrupt:
            return


@notifications_cli.command("digest")
def digest_command():
    """Queue today's digest emails (run once a day; the worker sends them)."""
    count = queue_digests()
    db.session.commit()
    click.echo(f"{count} digest emails queued.")
