"""Notification emails: a plain-text and an HTML part, absolute links back into AOCP, times in the
recipient's own time zone, and never the content of a document above "everyone signed in"."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_request_context, url_for

from aocp.notifications.models import Notification

GENERIC_DOCUMENT = "A document was shared with you"
DIGEST_LIMIT = 100  # lines in one digest; the rest are on the notifications page


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(value: datetime | None, tz_name: str) -> str:
    """A naive UTC time as the recipient reads it: '25 Nov 2026, 14:30 (Asia/Yangon, UTC+06:30)'."""
    if value is None:
        return ""
    local = value.replace(tzinfo=timezone.utc).astimezone(zone(tz_name))
    offset = local.strftime("%z")
    return f"{local:%d %b %Y, %H:%M} ({local.tzinfo.key}, UTC{offset[:3]}:{offset[3:]})"


def absolute(path: str) -> str:
    """A full link on the configured SITE_URL (never on a Host header a client chose)."""
    site = current_app.config.get("SITE_URL", "").rstrip("/")
    if not site:
        site = url_for("main.home", _external=True).rstrip("/")
    return site + (path if path.startswith("/") else "/")


def email_title(note: Notification) -> str:
    """What an email may say about the event: a restricted document's title is document content too."""
    return GENERIC_DOCUMENT if note.restricted else note.title


def _render(template: str, **context) -> str:
    # Straight from the Jinja environment: emails are also built by commands, outside any request.
    return current_app.jinja_env.get_template(template).render(**context)


def _line(note: Notification, tz_name: str) -> dict:
    actor = note.actor
    return {"title": email_title(note), "link": absolute(note.url), "at": local_time(note.created_at, tz_name),
            "when": local_time(note.event_at, tz_name), "actor": f"{actor.name} ({actor.org.code})" if actor else ""}


def single(user, note: Notification, text: str = "") -> tuple[str, str, str]:
    """(subject, text, html) of the email for one notification."""
    context = {"name": user.name, "item": _line(note, user.timezone), "text": "" if note.restricted else text,
               "settings_link": absolute(url_for_path("notifications.settings"))}
    subject = f"[AOCP] {context['item']['title']}"
    return subject, _render("notifications/email.txt", **context), _render("notifications/email.html", **context)


def digest(user, notes: list[Notification]) -> tuple[str, str, str]:
    """(subject, text, html) of one person's daily digest."""
    lines = [_line(n, user.timezone) for n in notes[:DIGEST_LIMIT]]
    context = {"name": user.name, "items": lines, "more": max(0, len(notes) - DIGEST_LIMIT),
               "list_link": absolute(url_for_path("notifications.index")),
               "settings_link": absolute(url_for_path("notifications.settings"))}
    subject = f"[AOCP] Your daily summary: {len(notes)} notification{'s' if len(notes) != 1 else ''}"
    return subject, _render("notifications/digest.txt", **context), _render("notifications/digest.html", **context)


def url_for_path(endpoint: str, **values) -> str:
    """A path inside AOCP, in a request or in a command (where there is no request to build it from)."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT", "/"))
    return adapter.build(endpoint, values)
