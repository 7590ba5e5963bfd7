"""Outgoing email: SMTP when AOCP_MAIL_SERVER is set, otherwise a local outbox folder.

In development every message lands in instance/outbox/ as an .eml file the developer can open.
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

from aocp.timeutil import utcnow


def outbox_dir() -> Path:
    cfg = current_app.config
    return Path(cfg["MAIL_OUTBOX_DIR"] or Path(current_app.instance_path) / "outbox")


def send_email(to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """Send one message with a plain-text part (and an HTML part when given)."""
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="aocp.local")
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    if cfg["MAIL_SERVER"]:
        _send_smtp(msg, cfg)
    else:
        folder = outbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        (folder / f"{stamp}.eml").write_bytes(bytes(msg))
    return msg


def _send_smtp(msg: EmailMessage, cfg) -> None:
    if cfg["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], context=ssl.create_default_context(),
                                timeout=30)
    else:
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30)
    with smtp:
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(msg)
