"""Append-only, tamper-evident audit log.

Each entry stores the hash of the previous entry and its own hash over its fields, so an
edited, removed or reordered row breaks the chain and `flask audit verify` finds it.
Entries are written in the caller's transaction: a change and its audit row commit together.
Never pass a password, token or code in `details`.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aocp.extensions import db
from aocp.timeutil import utcnow

GENESIS = "0" * 64


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    # A document's or person's activity is read by target.
    __table_args__ = (Index("ix_audit_entries_target", "target_type", "target_id", "id"),)

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
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor: Mapped["User | None"] = relationship()  # noqa: F821

    def compute_hash(self) -> str:
        payload = json.dumps([
            self.prev_hash, self.created_at.isoformat(timespec="microseconds"), self.action,
            self.actor_email, self.target_type, self.target_id, self.ip, self.details,
        ], ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()


class AuditHead(db.Model):
    """One row holding the newest hash; locking it serialises writers so the chain never forks."""
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


def record(action: str, actor=None, target=None, details: dict | None = None,
           actor_email: str | None = None) -> AuditEntry:
    """Append an entry in the current transaction. `target` is a model instance or (type, id)."""
    if isinstance(target, tuple):
        target_type, target_id = target
    elif target is not None:
        target_type, target_id = target.__tablename__, target.id
    else:
        target_type, target_id = "", ""
    head = db.session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_hash=GENESIS)
        db.session.add(head)
    entry = AuditEntry(
        created_at=utcnow(), action=action,
        actor_id=getattr(actor, "id", None),
        actor_email=actor_email if actor_email is not None else getattr(actor, "email", "") or "",
        target_type=target_type, target_id=str(target_id or ""),
        ip=(request.remote_addr or "")[:64] if has_request_context() else "",
        details=json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str),
        prev_hash=head.last_hash,
    )
    entry.hash = entry.compute_hash()
    head.last_hash = entry.hash
    db.session.add(entry)
    db.session.flush()
    return entry


def verify_chain(batch: int = 1000) -> tuple[bool, int, str]:
    """Walk the log in order; returns (ok, entries checked, message)."""
    prev, count, last_id = GENESIS, 0, 0
    while True:
        rows = db.session.execute(select(AuditEntry).where(AuditEntry.id > last_id)
                                  .order_by(AuditEntry.id).limit(batch)).scalars().all()
        if not rows:
            break
        for e in rows:
            if e.prev_hash != prev:
                return False, count, f"entry {e.id}: previous hash does not match entry before it"
            if e.compute_hash() != e.hash:
                return False, count, f"entry {e.id}: contents do not match its hash"
            prev, last_id, count = e.hash, e.id, count + 1
        db.session.expunge_all()
    head = db.session.get(AuditHead, 1)
    if head is not None and head.last_hash != prev:
        return False, count, "the newest entries have been removed (head hash differs)"
    return True, count, f"{count} entries, chain intact"
