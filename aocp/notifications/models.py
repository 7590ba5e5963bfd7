"""In-app notifications, the email queue, and who wants to hear about what."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aocp.accounts.models import ROLES
from aocp.extensions import db
from aocp.timeutil import utcnow

# The kinds of event people hear about, in the order the settings page lists them.
KINDS = {
    "meeting_invited": "You are invited to a meeting",
    "agenda_published": "A meeting's agenda is published",
    "papers_due": "Papers are due soon for a meeting",
    "minutes_circulated": "Minutes are circulated for comments",
    "action_assigned": "An action item is assigned to you or your Member State",
    "action_overdue": "An action item you own is overdue",
    "document_shared": "A document is shared with you",
    "report_due": "A progress report your Member State leads is due soon",
    "report_missing": "A progress report your Member State leads is past its deadline",
    "report_submitted": "A progress report is submitted for your review",
    "report_reviewed": "A progress report you file is returned or accepted",
    "nomination_decided": "ASEC approves or refuses a delegate you nominated",
}
CHANNELS = {
    "off": "Off",
    "in_app": "In AOCP only",
    "email_now": "In AOCP and by email at once",
    "daily_digest": "In AOCP and in one email a day",
}
# Used when neither the person nor ASEC chose: what needs action now is emailed at once.
BUILTIN_DEFAULTS = {
    "meeting_invited": "email_now",
    "agenda_published": "email_now",
    "papers_due": "email_now",
    "minutes_circulated": "email_now",
    "action_assigned": "email_now",
    "action_overdue": "daily_digest",
    "document_shared": "daily_digest",
    "report_due": "email_now",
    "report_missing": "daily_digest",
    "report_submitted": "email_now",
    "report_reviewed": "email_now",
    "nomination_decided": "email_now",
}
EMAIL_STATUSES = ("queued", "sent", "failed")
_DELIVERED = tuple(c for c in CHANNELS if c != "off")


class Notification(db.Model):
    """One event as one person sees it in AOCP (and, by their choice, by email)."""
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"kind IN {tuple(KINDS)}", name="kind"),
        CheckConstraint(f"channel IN {_DELIVERED}", name="channel"),
        # The bell's count and the list page read by recipient; the digest reads what it has not sent yet.
        Index("ix_notifications_recipient_read", "recipient_id", "read_at"),
        Index("ix_notifications_digest", "channel", "digested_at"),
        Index("ix_notifications_object", "object_type", "object_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[int | None] = mapped_column()
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(500), default="/")  # a path inside AOCP
    # Its title is document content above "everyone signed in": emails carry a generic line instead.
    restricted: Mapped[bool] = mapped_column(default=False)
    event_at: Mapped[datetime | None] = mapped_column()  # when the thing happens (a meeting's start), UTC
    channel: Mapped[str] = mapped_column(String(16), default="in_app")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
    digested_at: Mapped[datetime | None] = mapped_column()

    recipient: Mapped["User"] = relationship(foreign_keys=[recipient_id])  # noqa: F821
    actor: Mapped["User | None"] = relationship(foreign_keys=[actor_id])  # noqa: F821


class QueuedEmail(db.Model):
    """An email waiting for the worker; a failed send waits longer each time, then is marked failed."""
    __tablename__ = "email_queue"
    __table_args__ = (
        CheckConstraint(f"status IN {EMAIL_STATUSES}", name="status"),
        Index("ix_email_queue_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()

    recipient: Mapped["User | None"] = relationship()  # noqa: F821


class NotificationPreference(db.Model):
    """A person's own choice for one kind of event (absent: ASEC's default for their role)."""
    __tablename__ = "notification_preferences"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", name="uq_notification_preferences_user_kind"),
        CheckConstraint(f"kind IN {tuple(KINDS)}", name="kind"),
        CheckConstraint(f"channel IN {tuple(CHANNELS)}", name="channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))


class BodyMute(db.Model):
    """A person hears nothing about a body's meetings and action items."""
    __tablename__ = "notification_mutes"
    __table_args__ = (UniqueConstraint("user_id", "body_id", name="uq_notification_mutes_user_body"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoleDefault(db.Model):
    """ASEC's default channel for one role and one kind of event."""
    __tablename__ = "notification_role_defaults"
    __table_args__ = (
        UniqueConstraint("role", "kind", name="uq_notification_role_defaults_role_kind"),
        CheckConstraint(f"role IN {ROLES}", name="role"),
        CheckConstraint(f"kind IN {tuple(KINDS)}", name="kind"),
        CheckConstraint(f"channel IN {tuple(CHANNELS)}", name="channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
