"""Append-only, tamper-evident audit log.

Each entry stores the hash of the previous entry and its own HMAC-SHA256 over every other column, keyed
with a secret kept outside the database (AOCP_AUDIT_KEY, named on the row by `key_id`), so an edited,
removed or reordered row breaks the chain and `flask audit verify` finds it, and a copy of the database
without the key cannot write an entry that verifies. Entries written before keyed hashing (key_id NULL)
keep their unkeyed SHA-256 and verify as such, but only ahead of the first keyed entry.
Entries are written in the caller's transaction, as it commits: a change and its audit row commit together.
Never pass a password, token or code in `details`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_request_context, request
from sqlalchemy import ForeignKey, Index, String, Text, event, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

import config
from aocp.extensions import db
from aocp.timeutil import utcnow

GENESIS = "0" * 64
log = logging.getLogger("aocp.audit")


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    # A document's or person's activity is read by target.
    __table_args__ = (Index("ix_audit_entries_target", "target_type", "target_id", "id"),)

    # Ids are given by the chain's head (one after the last), so they are gapless and part of the hash.
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(32))  # NULL: written before keyed hashing
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor: Mapped["User | None"] = relationship()  # noqa: F821

    # Every column but `hash`, in a fixed order: a new column must be added here on purpose (a test checks).
    HASHED = ("id", "created_at", "action", "actor_id", "actor_email", "target_type", "target_id", "ip",
              "details", "prev_hash", "key_id")

    def keyed_hash(self, secret: bytes) -> str:
        """HMAC-SHA256 over every hashed column as a canonical JSON array."""
        values = [getattr(self, name) for name in self.HASHED]
        values[1] = self.created_at.isoformat(timespec="microseconds")
        payload = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
        return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()

    def legacy_hash(self) -> str:
        """The unkeyed SHA-256 the entries written before keyed hashing carry (it left out id and actor_id)."""
        payload = json.dumps([
            self.prev_hash, self.created_at.isoformat(timespec="microseconds"), self.action,
            self.actor_email, self.target_type, self.target_id, self.ip, self.details,
        ], ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()


class AuditHead(db.Model):
    """One row holding the newest entry's id and hash; locking it serialises writers so the chain never forks."""
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
    last_id: Mapped[int] = mapped_column(default=0, server_default="0")


def keys() -> tuple[str, dict[str, bytes]]:
    """The key id that signs new entries, and every configured key by id."""
    return config.audit_keys(current_app.config)


def record(action: str, actor=None, target=None, details: dict | None = None,
           actor_email: str | None = None) -> AuditEntry:
    """Append an entry to the current transaction. `target` is a model instance or (type, id).

    The entry joins the chain when the transaction commits (`_chain`): the chain's head is locked only then,
    as the transaction's last step, so it is never held while the transaction waits for other rows (a head
    locked first and a row locked after it, in one transaction, against the opposite order in another, was a
    deadlock), and writers wait for one INSERT and one UPDATE each.
    """
    if isinstance(target, tuple):
        target_type, target_id = target
    elif target is not None:
        target_type, target_id = target.__tablename__, target.id
    else:
        target_type, target_id = "", ""
    entry = AuditEntry(
        created_at=utcnow(), action=action, actor_id=getattr(actor, "id", None),
        actor_email=actor_email if actor_email is not None else getattr(actor, "email", "") or "",
        target_type=target_type, target_id=str(target_id or ""),
        ip=(request.remote_addr or "")[:64] if has_request_context() else "",
        details=json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str),
    )
    db.session.info.setdefault("audit_pending", []).append(entry)
    return entry


@event.listens_for(Session, "before_commit")
def _chain(session) -> None:
    """Give the transaction's entries their ids and hashes under the head's lock, and add them."""
    pending = session.info.pop("audit_pending", None)
    if not pending:
        return
    key_id, known = keys()
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_hash=GENESIS,
                         last_id=session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0))))
        session.add(head)
    for entry in pending:
        entry.id, entry.prev_hash, entry.key_id = head.last_id + 1, head.last_hash, key_id
        entry.hash = entry.keyed_hash(known[key_id])
        head.last_hash, head.last_id = entry.hash, entry.id
        session.add(entry)
        every = current_app.config.get("AUDIT_HEAD_LOG_EVERY", 0)
        if every and entry.id % every == 0:
            session.info["audit_head"] = (entry.id, entry.hash, key_id)


@event.listens_for(Session, "do_orm_execute")
def _chain_before_reading(state) -> None:
    # Reading the audit log inside the transaction that wrote to it sees its own entries, as any table would.
    if state.is_select and state.session.info.get("audit_pending") and \
            any(m.class_ is AuditEntry for m in state.all_mappers):
        _chain(state.session)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session, transaction) -> None:
    # Entries of a transaction that did not commit are not written, as the change they record is not.
    if transaction.parent is None:
        session.info.pop("audit_pending", None)


@event.listens_for(Session, "after_commit")
def _log_head(session) -> None:
    # Only a committed head is logged: a copy outside the database that a rewrite cannot reach.
    if head := session.info.pop("audit_head", None):
        log.info("audit chain head %d:%s (key %s)", *head)


@event.listens_for(Session, "after_rollback")
def _forget_head(session) -> None:
    session.info.pop("audit_head", None)


@dataclass
class Broken:
    """The first entry that does not verify."""
    entry: AuditEntry
    reason: str

    def __str__(self) -> str:
        e = self.entry
        return f"entry {e.id} ({e.created_at:%Y-%m-%d %H:%M:%S} UTC, {e.action}): {self.reason}"


def _check(e: AuditEntry, prev: str, keyed_seen: bool, known: dict[str, bytes]) -> str | None:
    """Why entry `e` breaks the chain after the hash `prev`, or None."""
    if e.prev_hash != prev:
        return "previous hash does not match entry before it"
    if e.key_id is None:
        if keyed_seen:
            return "unkeyed entry after keyed ones (re-hashed without the key)"
        return None if hmac.compare_digest(e.legacy_hash(), e.hash) else "contents do not match its hash"
    if e.key_id not in known:
        return f"signed with key {e.key_id!r}, which is not configured (AOCP_AUDIT_KEYS)"
    return None if hmac.compare_digest(e.keyed_hash(known[e.key_id]), e.hash) else "contents do not match its hash"


def verify_chain(batch: int = 1000, expect: dict[int, str] | None = None) -> tuple[bool, int, str]:
    """Walk the log in order; returns (ok, entries checked, message naming the first broken entry).

    `expect` maps entry ids to hashes recorded elsewhere (the logged heads): each must still be in the chain.
    """
    _current, known = keys()
    expect = dict(expect or {})
    prev, count, last_id, legacy = GENESIS, 0, 0, 0
    while True:
        rows = db.session.execute(select(AuditEntry).where(AuditEntry.id > last_id)
                                  .order_by(AuditEntry.id).limit(batch)).scalars().all()
        if not rows:
            break
        for e in rows:
            reason = _check(e, prev, legacy < count, known)
            if reason is None and expect.pop(e.id, e.hash) != e.hash:
                reason = "its hash differs from the head recorded outside the database"
            if reason:
                return False, count, str(Broken(e, reason))
            legacy += e.key_id is None
            prev, last_id, count = e.hash, e.id, count + 1
        db.session.expunge_all()
    head = db.session.get(AuditHead, 1)
    if head is not None and head.last_hash != prev:
        return False, count, f"the newest entries after entry {last_id} have been removed (head hash differs)"
    if expect:
        return False, count, f"entry {min(expect)}, recorded outside the database, is missing"
    message = f"{count} entries, chain intact"
    if legacy:
        message += f" ({legacy} written before keyed hashing verified with the unkeyed hash)"
    return True, count, message


def chain_head() -> tuple[int, str]:
    """The newest entry's id and hash, to keep outside the database."""
    head = db.session.get(AuditHead, 1)
    return (head.last_id, head.last_hash) if head is not None else (0, GENESIS)
