"""Accounts and the secrets tied to them (all secrets stored only as hashes)."""
from __future__ import annotations

from datetime import datetime
from functools import cache

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, inspect, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from aocp.extensions import db
from aocp.orgs.models import Membership, Organisation
from aocp.timeutil import utcnow

ROLES = ("asec_admin", "asec_staff", "focal_person", "delegate", "observer")
ASEC_ROLES = ("asec_admin", "asec_staff")  # the ASEAN Secretariat: sees and manages across bodies
ROLE_LABELS = {
    "asec_admin": "ASEC administrator",
    "asec_staff": "ASEC staff",
    "focal_person": "Member-state focal person",
    "delegate": "Member-state delegate",
    "observer": "Observer",
}
# "pending": created at a first single sign-on, waiting for an ASEC administrator to approve it.
USER_STATUSES = ("active", "deactivated", "pending")
TOKEN_SCOPES = ("read", "write")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role"),
        CheckConstraint(f"status IN {USER_STATUSES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None]
    mfa_secret: Mapped[str | None] = mapped_column(String(64))
    mfa_enabled: Mapped[bool] = mapped_column(default=False)
    # Last TOTP time step accepted: a code from that step or earlier is a replay.
    mfa_last_step: Mapped[int] = mapped_column(default=0)
    # Failed attempts on the account from anywhere, within LOGIN_LOCKOUT_SECONDS of each other (aocp.accounts.throttle).
    failed_logins: Mapped[int] = mapped_column(default=0)
    last_failed_login_at: Mapped[datetime | None]
    # Until when the account counts as under attack: failed attempts on it are slowed, and its holder was told once.
    # It refuses nobody: pauses are per client address (SignInThrottle), so a stranger cannot shut the holder out.
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # "New since my last visit" counts what happened after this: the previous sign-in, or "mark all seen".
    seen_up_to: Mapped[datetime | None]
    # Times in notifications and emails are shown in this zone (ASEAN spans UTC+6:30 to UTC+9).
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta", server_default="Asia/Jakarta")

    # "unnested": under an outer join (a document's uploader, say) the organisation is outer-joined too, rather
    # than nested as (users JOIN organisations), which SQLite materialises in full for every such query.
    org: Mapped[Organisation] = relationship(lazy="joined", innerjoin="unnested")
    # Loaded when asked for: the signed-in person's come with them (signed_in_loads), and code that checks the access of
    # many people loads theirs in one statement (load_memberships, below).
    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.status == "active"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def mfa_required(self) -> bool:
        """ASEC administrators always, others when their organisation requires it."""
        return self.role == "asec_admin" or self.org.require_mfa

    def body_role(self, body_id: int) -> str | None:
        for m in self.memberships:
            if m.body_id == body_id:
                return m.role
        return None

    def __repr__(self) -> str:
        return f"<User {self.email}>"


@cache
def signed_in_loads() -> tuple:
    """How the signed-in person is loaded for each request: their organisation and memberships (which the policy
    reads) in the same statement as the person, rather than a second statement for the memberships. Built on
    first use: building a load option configures every mapper, which needs every model imported, and a script
    may import this module before the rest (`python -m bench.query_counts` failed so)."""
    return (joinedload(User.memberships),)


def load_memberships(people) -> None:
    """Load the memberships of `people` not loaded yet in one statement, before checking each one's access (the
    rules of bodies and documents read them), rather than one statement per person."""
    waiting: dict[int, list[Membership]] = {p.id: [] for p in people if "memberships" not in inspect(p).dict}
    if not waiting:
        return
    for membership in db.session.execute(select(Membership).where(Membership.user_id.in_(waiting))).scalars():
        waiting[membership.user_id].append(membership)
    for person in people:
        if person.id in waiting:
            set_committed_value(person, "memberships", waiting[person.id])


class RecoveryCode(db.Model):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class SignInThrottle(db.Model):
    """Failed sign-ins on one account from one client address, and that address's pause on it."""
    __tablename__ = "sign_in_throttles"
    __table_args__ = (UniqueConstraint("user_id", "client", name="uq_sign_in_throttles_user_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client: Mapped[str] = mapped_column(String(64))  # an IPv4 address, or an IPv6 /64
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    lockouts: Mapped[int] = mapped_column(default=0)  # pauses in a row: each lasts twice the one before


class Invitation(db.Model):
    """An invitation to join AOCP. A focal person's nomination waits for ASEC approval."""
    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role"),
        CheckConstraint("status IN ('nominated', 'sent', 'accepted', 'revoked')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    role: Mapped[str] = mapped_column(String(16))
    body_codes: Mapped[str] = mapped_column(Text, default="")  # comma-separated body codes
    status: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None]
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]

    org: Mapped[Organisation] = relationship(lazy="joined")
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def bodies(self) -> list[str]:
        return [c for c in self.body_codes.split(",") if c]


class PasswordReset(db.Model):
    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class ApiToken(db.Model):
    """A personal access token for the JSON API; only its hash is kept."""
    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(f"scope IN {TOKEN_SCOPES}", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists so people can tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow() and self.user.is_active
