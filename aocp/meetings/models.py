"""Meetings of a body: agenda, papers, participants, minutes, decisions and action items."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aocp.extensions import db
from aocp.timeutil import utcnow

MEETING_STATUSES = {"planned": "Planned", "confirmed": "Confirmed", "held": "Held", "cancelled": "Cancelled"}
RSVP = {"invited": "No answer yet", "in_person": "Attending in person", "online": "Attending online",
        "not_attending": "Not attending"}
MINUTES_STATUSES = {"draft": "Draft", "circulated": "Circulated for comments", "adopted": "Adopted"}
# How a person takes part in a meeting: a member of its body, or someone from outside it invited to this
# meeting only (they see its published agenda and the papers shared with guests, nothing else of the body).
PARTICIPANT_ROLES = {"member": "Member", "guest": "Guest", "resource_person": "Resource person",
                     "secretariat": "Secretariat"}
GUEST_ROLES = ("guest", "resource_person", "secretariat")
ITEM_KINDS = {"item": "Item", "break": "Break", "session": "Session heading"}
ACTION_STATUSES = {"open": "Open", "in_progress": "In progress", "done": "Done", "cancelled": "Cancelled"}
# ASEAN spans UTC+6:30 to UTC+9; these are the zones a meeting is normally held in.
TIMEZONES = ["Asia/Brunei", "Asia/Phnom_Penh", "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Asia/Vientiane",
             "Asia/Kuala_Lumpur", "Asia/Yangon", "Asia/Manila", "Asia/Singapore", "Asia/Bangkok",
             "Asia/Ho_Chi_Minh", "Asia/Shanghai", "Asia/Tokyo", "Asia/Seoul", "UTC"]


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Meeting(db.Model):
    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("body_id", "number", name="uq_meetings_body_number"),
        CheckConstraint(f"status IN {tuple(MEETING_STATUSES)}", name="status"),
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        Index("ix_meetings_starts_on", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    number: Mapped[int] = mapped_column()
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    start_time: Mapped[str] = mapped_column(String(5), default="09:00")  # local time at the venue, HH:MM
    end_time: Mapped[str] = mapped_column(String(5), default="17:00", server_default="17:00")  # each day's end
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta")
    host_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    venue: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="planned")
    # Back-to-back grouping: working-group meetings point at the JWG meeting they are held with.
    group_with_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    paper_deadline: Mapped[date | None] = mapped_column(Date)
    agenda_published_at: Mapped[datetime | None] = mapped_column()
    # Set by any change to the agenda; after agenda_published_at it is "changed since published".
    agenda_changed_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    body: Mapped["Body"] = relationship()  # noqa: F821
    host: Mapped["Organisation | None"] = relationship()  # noqa: F821
    chair: Mapped["User | None"] = relationship(foreign_keys=[chair_id])  # noqa: F821
    group_with: Mapped[Meeting | None] = relationship(remote_side=[id])
    items: Mapped[list[AgendaItem]] = relationship(back_populates="meeting", order_by="AgendaItem.position",
                                                   cascade="all, delete-orphan", passive_deletes=True)

    @property
    def title(self) -> str:
        return f"{ordinal(self.number)} {self.body.short_name} Meeting"

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.body_id}#{self.number}>"


class AgendaItem(db.Model):
    """An item of the timetable: it follows the one before on its day, unless it has a fixed start (HH:MM, local
    time at the venue). A session heading has no duration and numbers the items under it (1, 1.1, 1.2...)."""
    __tablename__ = "agenda_items"
    __table_args__ = (CheckConstraint(f"kind IN {tuple(ITEM_KINDS)}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(300))
    presenter: Mapped[str] = mapped_column(String(200), default="")
    duration_minutes: Mapped[int] = mapped_column(default=15)
    notes: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="item", server_default="item")
    day: Mapped[int] = mapped_column(default=1, server_default="1")
    fixed_start: Mapped[str | None] = mapped_column(String(5))

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    papers: Mapped[list[AgendaPaper]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class AgendaVersion(db.Model):
    """A frozen copy of the timetable each time the agenda is published (`items`: JSON rows as timetable.snapshot
    makes them)."""
    __tablename__ = "agenda_versions"
    __table_args__ = (UniqueConstraint("meeting_id", "number", name="uq_agenda_versions_meeting_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    items: Mapped[list] = mapped_column(JSON)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgendaPaper(db.Model):
    """A document attached to an agenda item; it keeps its own access level."""
    __tablename__ = "agenda_papers"

    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    for_guests: Mapped[bool] = mapped_column(default=False, server_default=false())  # guests and resource persons may open it

    document: Mapped["Document"] = relationship()  # noqa: F821


class Participant(db.Model):
    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id", name="uq_participants_meeting_user"),
        CheckConstraint(f"rsvp IN {tuple(RSVP)}", name="rsvp"),
        CheckConstraint(f"role IN {tuple(PARTICIPANT_ROLES)}", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    rsvp: Mapped[str] = mapped_column(String(16), default="invited")
    attended: Mapped[bool | None] = mapped_column()
    role: Mapped[str] = mapped_column(String(16), default="member", server_default="member")
    replied_at: Mapped[datetime | None] = mapped_column()
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped["User"] = relationship()  # noqa: F821


class Minutes(db.Model):
    """One meeting's minutes; `version` guards against silent overwrites (optimistic locking)."""
    __tablename__ = "minutes"
    __table_args__ = (CheckConstraint(f"status IN {tuple(MINUTES_STATUSES)}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    body_md: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    adopted_at: Mapped[datetime | None] = mapped_column()

    updated_by: Mapped["User | None"] = relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}


class MinutesRevision(db.Model):
    """A frozen copy of the minutes each time they are circulated or adopted."""
    __tablename__ = "minutes_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    body_md: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped["User | None"] = relationship()  # noqa: F821


class MinutesComment(db.Model):
    __tablename__ = "minutes_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped["User | None"] = relationship()  # noqa: F821


class Decision(db.Model):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agenda_item: Mapped[AgendaItem | None] = relationship()


class ActionItem(db.Model):
    __tablename__ = "action_items"
    __table_args__ = (
        CheckConstraint(f"status IN {tuple(ACTION_STATUSES)}", name="status"),
        Index("ix_action_items_open", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    action_line: Mapped[str] = mapped_column(String(16), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()

    body: Mapped["Body"] = relationship()  # noqa: F821
    meeting: Mapped[Meeting | None] = relationship()
    owner_user: Mapped["User | None"] = relationship(foreign_keys=[owner_user_id])  # noqa: F821
    owner_org: Mapped["Organisation | None"] = relationship()  # noqa: F821

    @property
    def is_open(self) -> bool:
        return self.status in ("open", "in_progress")


class CalendarFeed(db.Model):
    """A person's private iCalendar feed: the URL carries a secret stored only as a hash; revoking replaces it."""
    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped["User"] = relationship()  # noqa: F821
