"""Server-side sessions: the cookie carries only a random id; everything else stays in the database.

Keeping sessions as rows lets people see and revoke them, and lets logout, password or MFA
changes and deactivation end them at once. Flask's SessionInterface is the hook for that.
"""
from __future__ import annotations

import hashlib
import random
import secrets
from datetime import datetime, timedelta

from flask import Flask, Request, Response
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SessionInterface
from sqlalchemy import ForeignKey, String, Text, bindparam, delete, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from aocp.extensions import db
from aocp.timeutil import utcnow

TOUCH_EVERY = timedelta(seconds=60)  # write last_seen at most once a minute per session
_serializer = TaggedJSONSerializer()


class UserSession(db.Model):
    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


def hash_sid(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class ServerSession(SecureCookieSession):
    """Session data plus the identity of its database row."""

    def __init__(self, initial=None, sid: str | None = None, row_id: int | None = None,
                 last_seen: datetime | None = None, expired: bool = False):
        super().__init__(initial)
        self.sid = sid
        self.row_id = row_id
        self.last_seen = last_seen
        self.expired = expired  # an earlier session timed out: the login page says so
        self.regenerate_requested = False

    def regenerate(self) -> None:
        """Give this session a new id (at sign-in), dropping the old row."""
        self.regenerate_requested = True
        self.modified = True


# Built once: every request with a cookie runs it, and a statement object keeps the cache key SQLAlchemy computes
# for it, where building it per request (and keying it again) cost more than running it.
_BY_SID = (select(UserSession.id, UserSession.data, UserSession.created_at, UserSession.last_seen_at)
           .where(UserSession.sid_hash == bindparam("sid_hash")))


def end_sessions(user_id: int, except_row_id: int | None = None) -> int:
    """Delete every session of a user (optionally keeping one); returns how many ended."""
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if except_row_id is not None:
        stmt = stmt.where(UserSession.id != except_row_id)
    return db.session.execute(stmt).rowcount


class DatabaseSessionInterface(SessionInterface):
    serializer = _serializer

    def _limits(self, app: Flask) -> tuple[timedelta, timedelta]:
        return (timedelta(minutes=app.config["SESSION_IDLE_MINUTES"]),
                timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"]))

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if not sid or len(sid) > 100:
            return ServerSession()
        # Read through the request's own database session: its connection serves the rest of the request, where
        # a connection of its own was a second checkout (and on PostgreSQL a second liveness ping) per request.
        row = db.session.execute(_BY_SID, {"sid_hash": hash_sid(sid)}).first()
        if row is None:
            return ServerSession(expired=True)
        idle, absolute = self._limits(app)
        now = utcnow()
        if now - row.last_seen_at > idle or now - row.created_at > absolute:
            with db.engine.begin() as conn:
                conn.execute(delete(UserSession).where(UserSession.id == row.id))
            return ServerSession(expired=True)
        try:
            data = self.serializer.loads(row.data)
        except ValueError:
            data = {}
        return ServerSession(data, sid=sid, row_id=row.id, last_seen=row.last_seen_at)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        from flask import request

        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        now = utcnow()
        if not session:
            if session.row_id is not None:
                with db.engine.begin() as conn:
                    conn.execute(delete(UserSession).where(UserSession.id == session.row_id))
            if session.modified and session.sid:
                response.delete_cookie(name, domain=domain, path=path)
            return
        if session.accessed:
            response.vary.add("Cookie")
        user_id = session.get("_user_id")
        user_id = int(user_id) if user_id is not None else None
        fresh = session.row_id is None or session.regenerate_requested
        touch = session.last_seen is None or now - session.last_seen > TOUCH_EVERY
        if not (fresh or session.modified or touch):
            return  # most requests: nothing to write, and no connection to open for it
        with db.engine.begin() as conn:
            if session.regenerate_requested and session.row_id is not None:
                conn.execute(delete(UserSession).where(UserSession.id == session.row_id))
                session.row_id = None
            if session.row_id is None:
                session.sid = secrets.token_urlsafe(32)
                conn.execute(insert(UserSession).values(
                    sid_hash=hash_sid(session.sid), user_id=user_id,
                    data=self.serializer.dumps(dict(session)), created_at=now, last_seen_at=now,
                    ip=(request.remote_addr or "")[:64],
                    user_agent=request.headers.get("User-Agent", "")[:300]))
                if random.random() < 0.01:  # now and then, sweep sessions that timed out
                    idle, _ = self._limits(app)
                    conn.execute(delete(UserSession).where(UserSession.last_seen_at < now - idle))
            elif session.modified:
                conn.execute(update(UserSession).where(UserSession.id == session.row_id).values(
                    data=self.serializer.dumps(dict(session)), user_id=user_id, last_seen_at=now))
            elif touch:
                conn.execute(update(UserSession).where(UserSession.id == session.row_id)
                             .values(last_seen_at=now))
        session.regenerate_requested = False
        if fresh:
            response.set_cookie(name, session.sid, httponly=self.get_cookie_httponly(app),
                                secure=self.get_cookie_secure(app), samesite=self.get_cookie_samesite(app),
                                domain=domain, path=path)

