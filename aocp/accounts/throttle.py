"""Sign-in throttling per (account, client address), so that guessing is slow and nobody can shut an account.

A pause per account let anyone lock anyone out, the administrator included, again and again. Here failures pause
only the address they came from, for that account, each pause twice as long as the one before; the holder signing
in from elsewhere is not affected. Across all addresses the account keeps a count that never refuses: past the
limit, failed attempts are answered slowly and the holder is told by email, once a window.

The address is `request.remote_addr`: the socket's peer, or the client named by a trusted proxy when PROXY_HOPS is
set; a client's own X-Forwarded-For header counts for nothing otherwise.
"""
from __future__ import annotations

import ipaddress
import logging
import smtplib
from datetime import timedelta

from flask import current_app, render_template
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from aocp import audit
from aocp.accounts.models import SignInThrottle, User
from aocp.extensions import db
from aocp.mail import send_email
from aocp.timeutil import utcnow

log = logging.getLogger(__name__)


def client_key(address: str | None) -> str:
    """An IPv4 address as it is; an IPv6 address by its /64, which one subscriber holds whole."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:64]
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=current_app.config[name])


def paused_until(user: User, client: str):
    """When this address may try this account again, or None when it may now."""
    until = db.session.execute(select(SignInThrottle.locked_until).where(
        SignInThrottle.user_id == user.id, SignInThrottle.client == client_key(client))).scalar()
    return until if until and until > utcnow() else None


def _row_for_update(user: User, client: str) -> SignInThrottle:
    """The (account, address) row, created when missing; locked, so concurrent failures all count."""
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    db.session.execute(insert(SignInThrottle).values(user_id=user.id, client=client, failures=0, lockouts=0)
                       .on_conflict_do_nothing(index_elements=["user_id", "client"]))
    return db.session.execute(select(SignInThrottle).where(
        SignInThrottle.user_id == user.id, SignInThrottle.client == client)
        .with_for_update().execution_options(populate_existing=True)).scalar_one()


def register_failure(user: User, client: str, reason: str) -> None:
    """Count a failed attempt against this address and against the account."""
    audit.record("auth.failure", actor=user, details={"reason": reason})
    cfg, now, client = current_app.config, utcnow(), client_key(client)
    # The account's row first, then the address's: the order a sign-in takes them, so the two never deadlock.
    db.session.refresh(user, ["failed_logins", "last_failed_login_at", "locked_until"], with_for_update=True)
    row = _row_for_update(user, client)
    if row.last_failed_at is None or row.last_failed_at < now - _seconds("LOGIN_LOCKOUT_MAX_SECONDS"):
        row.lockouts = 0  # quiet for long enough: the next pause is a short one again
    if row.last_failed_at is None or row.last_failed_at < now - _seconds("LOGIN_LOCKOUT_SECONDS"):
        row.failures = 0  # old failures expire: months of occasional typos never pause anyone
    row.failures += 1
    row.last_failed_at = now
    if row.failures >= cfg["LOGIN_MAX_FAILURES"]:
        seconds = min(cfg["LOGIN_LOCKOUT_SECONDS"] * 2 ** row.lockouts, cfg["LOGIN_LOCKOUT_MAX_SECONDS"])
        row.failures, row.lockouts, row.locked_until = 0, row.lockouts + 1, now + timedelta(seconds=seconds)
        audit.record("auth.lockout", actor=user, details={"seconds": seconds, "client": client})
    _count_for_account(user, now)


def _count_for_account(user: User, now) -> None:
    window = _seconds("LOGIN_LOCKOUT_SECONDS")
    if user.last_failed_login_at is None or user.last_failed_login_at < now - window:
        user.failed_logins = 0
    user.failed_logins += 1
    user.last_failed_login_at = now
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"] and not under_attack(user):
        user.locked_until = now + window  # one notice a window, however many attempts follow
        _tell_holder(user)


def under_attack(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def failure_delay(user: User | None) -> float:
    """Seconds to hold back the answer to a failed attempt: only on an account under attack."""
    return current_app.config["LOGIN_FAILURE_DELAY_SECONDS"] if user is not None and under_attack(user) else 0.0


def _tell_holder(user: User) -> None:
    minutes = current_app.config["LOGIN_LOCKOUT_SECONDS"] // 60
    try:
        send_email(user.email, "Someone is trying to sign in to your AOCP account",
                   render_template("email/sign_in_attack.txt", user=user, failures=user.failed_logins,
                                   minutes=minutes))
    except (OSError, smtplib.SMTPException) as err:  # the mail server's trouble must not become the sign-in page's
        log.error("Could not tell user %s of failed sign-ins: %s", user.id, err)
    audit.record("auth.attack_notice", actor=user, target=user, details={"failures": user.failed_logins})


def signed_in(user: User, client: str) -> None:
    """A good sign-in from this address ends its pause history; the account's count starts again."""
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.user_id == user.id,
                                                    SignInThrottle.client == client_key(client)))
    user.failed_logins = 0


def paused_clients(user: User) -> list[SignInThrottle]:
    """Addresses paused on this account now (for administrators)."""
    return list(db.session.execute(select(SignInThrottle).where(
        SignInThrottle.user_id == user.id, SignInThrottle.locked_until > utcnow())
        .order_by(SignInThrottle.locked_until.desc())).scalars())


def lift(user: User) -> int:
    """Lift every pause on the account (an administrator's unlock); returns how many addresses were paused."""
    paused = len(paused_clients(user))
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.user_id == user.id))
    user.failed_logins, user.locked_until = 0, None
    return paused
