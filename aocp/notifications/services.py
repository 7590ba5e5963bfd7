"""Notifications: one entry point, `notify`, that other features call when something happens.

An event (who, what, which object) becomes an in-app notification for each person concerned and, by
their choice, an email queued at once or a line in tomorrow's digest. Nothing is sent here: emails wait
in the queue for the worker, so a slow or broken mail server never slows or breaks the request.
Services flush and never commit; the caller commits the event and its notifications together.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from functools import cache

from sqlalchemy import bindparam, delete, func, select, update

from aocp import audit
from aocp.accounts.models import ROLES, User, load_memberships
from aocp.extensions import db
from aocp.notifications import emails
from aocp.notifications.models import (
    BUILTIN_DEFAULTS,
    CHANNELS,
    KINDS,
    BodyMute,
    Notification,
    NotificationPreference,
    QueuedEmail,
    RoleDefault,
)
from aocp.policy import can
from aocp.timeutil import utcnow

# Which rule decides whether a person may see an object a notification is about.
_VIEW_RULES = {"Document": "documents.view", "Meeting": "workspaces.view", "ActionItem": "workspaces.view",
               "Body": "workspaces.view", "ActionLine": "plans.view", "ProgressReport": "reports.view"}
_OBJECT_TYPES = {"Document": "document", "Meeting": "meeting", "ActionItem": "action_item", "Body": "body",
                 "ActionLine": "action_line", "ProgressReport": "progress_report"}


def notify(kind: str, actor: User | None, obj, recipients: Iterable[User], title: str, url: str,
           text: str = "", when: datetime | None = None) -> list[Notification]:
    """Record `kind` about `obj` for `recipients` (never the actor) by each one's choice; queue their emails.

    `url` is a path inside AOCP; `when` (naive UTC) is the time the event concerns, e.g. a meeting's start,
    shown to each person in their own time zone.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    people = _audience(actor, obj, recipients)
    if not people:
        return []
    channels = channels_for(kind, people)
    muted = _muted(obj, [u.id for u in people])
    object_type = _OBJECT_TYPES.get(type(obj).__name__, type(obj).__name__.lower()) if obj is not None else ""
    restricted = type(obj).__name__ == "Document" and obj.access_level != "everyone"
    now, title = utcnow(), " ".join((title or "").split())[:300]
    made = []
    for user in people:
        channel = channels[user.id]
        if channel == "off" or user.id in muted:
            continue
        note = Notification(recipient=user, kind=kind, actor=actor, object_type=object_type,
                            object_id=getattr(obj, "id", None), title=title, url=url if url.startswith("/") else "/",
                            restricted=restricted, event_at=when, channel=channel, created_at=now)
        db.session.add(note)
        made.append(note)
        if channel == "email_now":
            subject, body_text, body_html = emails.single(user, note, text)
            db.session.add(QueuedEmail(recipient_id=user.id, to_address=user.email, subject=subject,
                                       text=body_text, html=body_html, next_attempt_at=now, created_at=now))
    db.session.flush()
    return made


def _audience(actor: User | None, obj, recipients: Iterable[User]) -> list[User]:
    """Active people other than the actor who may see `obj`, each once."""
    rule = _VIEW_RULES.get(type(obj).__name__) if obj is not None else None
    seen, people = {getattr(actor, "id", None)}, []
    for user in recipients:
        if user is None or user.id in seen or not user.is_active:
            continue
        seen.add(user.id)
        people.append(user)
    if rule is None:
        return people
    load_memberships(people)
    return [user for user in people if can(user, rule, obj)]


def _body_id(obj) -> int | None:
    if obj is None:
        return None
    return obj.id if type(obj).__name__ == "Body" else getattr(obj, "body_id", None)


def _muted(obj, user_ids: list[int]) -> set[int]:
    body_id = _body_id(obj)
    if body_id is None:
        return set()
    return set(db.session.execute(select(BodyMute.user_id).where(BodyMute.body_id == body_id,
                                                                 BodyMute.user_id.in_(user_ids))).scalars())


def role_defaults() -> dict[tuple[str, str], str]:
    """ASEC's choices: (role, kind) -> channel."""
    return {(r.role, r.kind): r.channel for r in db.session.execute(select(RoleDefault)).scalars()}


def default_channel(role: str, kind: str, defaults: dict[tuple[str, str], str] | None = None) -> str:
    """The channel for someone in `role` who made no choice: ASEC's default, else the built-in one."""
    defaults = role_defaults() if defaults is None else defaults
    return defaults.get((role, kind)) or BUILTIN_DEFAULTS[kind]


def channels_for(kind: str, users: list[User]) -> dict[int, str]:
    """Each person's channel for `kind`: their own choice, else ASEC's default for their role, else built-in."""
    own = dict(db.session.execute(select(NotificationPreference.user_id, NotificationPreference.channel).where(
        NotificationPreference.kind == kind, NotificationPreference.user_id.in_([u.id for u in users]))).all())
    by_role = dict(db.session.execute(select(RoleDefault.role, RoleDefault.channel)
                                      .where(RoleDefault.kind == kind)).all())
    return {u.id: own.get(u.id) or by_role.get(u.role) or BUILTIN_DEFAULTS[kind] for u in users}


def preferences_of(user: User) -> dict[str, str]:
    """The kinds a person chose a channel for (the others follow the default)."""
    return dict(db.session.execute(select(NotificationPreference.kind, NotificationPreference.channel)
                                   .where(NotificationPreference.user_id == user.id)).all())


def muted_body_ids(user: User) -> set[int]:
    return set(db.session.execute(select(BodyMute.body_id).where(BodyMute.user_id == user.id)).scalars())


def set_preferences(user: User, choices: dict[str, str], muted: set[int]) -> None:
    """Save a person's channel per kind ("default" removes their choice) and the bodies they mute."""
    for kind, channel in choices.items():
        if kind not in KINDS or (channel not in CHANNELS and channel != "default"):
            raise ValueError(f"unknown kind or channel {kind!r}: {channel!r}")
    db.session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user.id))
    db.session.add_all(NotificationPreference(user_id=user.id, kind=kind, channel=channel)
                       for kind, channel in choices.items() if channel != "default")
    db.session.execute(delete(BodyMute).where(BodyMute.user_id == user.id))
    db.session.add_all(BodyMute(user_id=user.id, body_id=body_id) for body_id in sorted(muted))
    db.session.flush()
    audit.record("notifications.preferences_changed", user, user,
                 {"chosen": {k: v for k, v in choices.items() if v != "default"}, "muted": sorted(muted)})


def set_role_defaults(actor: User, choices: dict[tuple[str, str], str]) -> None:
    """ASEC's defaults per role and kind ("default" goes back to the built-in choice)."""
    for (role, kind), channel in choices.items():
        if role not in ROLES or kind not in KINDS or (channel not in CHANNELS and channel != "default"):
            raise ValueError(f"unknown role, kind or channel {role!r}, {kind!r}: {channel!r}")
    before = role_defaults()
    db.session.execute(delete(RoleDefault))
    now = utcnow()
    db.session.add_all(RoleDefault(role=role, kind=kind, channel=channel, updated_by_id=actor.id, updated_at=now)
                       for (role, kind), channel in choices.items() if channel != "default")
    db.session.flush()
    after = {f"{r}.{k}": c for (r, k), c in choices.items() if c != "default"}
    audit.record("notifications.defaults_changed", actor, None,
                 {"before": {f"{r}.{k}": c for (r, k), c in before.items()}, "after": after})


@cache  # built once: every page counts (a statement object keeps its cache key; 0.45 -> 0.15 ms)
def _unread_statement():
    return select(func.count(Notification.id)).where(Notification.recipient_id == bindparam("user_id"),
                                                      Notification.read_at.is_(None))


def unread_count(user: User) -> int:
    return db.session.execute(_unread_statement(), {"user_id": user.id}).scalar_one()


def mark_read(user: User, note: Notification) -> None:
    if note.recipient_id != user.id:
        raise ValueError("not this person's notification")
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    return db.session.execute(update(Notification).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow())).rowcount


def notified_today(kind: str, obj, now: datetime | None = None) -> set[int]:
    """People who already had a `kind` notification about `obj` since midnight UTC (for daily reminders)."""
    midnight = datetime.combine((now or utcnow()).date(), time())
    return set(db.session.execute(select(Notification.recipient_id).where(
        Notification.kind == kind, Notification.object_type == _OBJECT_TYPES.get(type(obj).__name__, ""),
        Notification.object_id == obj.id, Notification.created_at >= midnight)).scalars())
