"""Organisations, bodies and body memberships."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aocp.extensions import db

ORG_KINDS = ("member_state", "secretariat", "dialogue_partner", "international_org")
BODY_ROLES = ("chair", "vice_chair", "member", "observer")


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(f"kind IN {ORG_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    # An administrator can require a second factor for everyone in an organisation.
    require_mfa: Mapped[bool] = mapped_column(default=False)

    @property
    def is_asean(self) -> bool:
        """Member States and the ASEAN Secretariat, not partners."""
        return self.kind in ("member_state", "secretariat")

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"


class Body(db.Model):
    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    # Access level proposed for documents uploaded to this body's workspace.
    default_access: Mapped[str] = mapped_column(String(16), default="body", server_default="body")

    parent: Mapped[Body | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Body {self.code}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "body_id", name="uq_memberships_user_body"),
        CheckConstraint(f"role IN {BODY_ROLES}", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")

    user: Mapped["User"] = relationship(back_populates="memberships")  # noqa: F821
    body: Mapped[Body] = relationship()
