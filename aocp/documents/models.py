"""Shared documents, their versions, who may see them, and comments."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, inspect, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aocp.extensions import db
from aocp.timeutil import utcnow

DOC_TYPES = {
    "meeting_paper": "Meeting paper",
    "country_report": "Country report",
    "study": "Study",
    "capacity_building": "Capacity-building material",
    "template": "Template",
    "other": "Other",
}
# Who may open a document, from widest to narrowest.
ACCESS_LEVELS = {
    "everyone": "Everyone signed in to AOCP",
    "asean": "ASEAN only (Member States and ASEC)",
    "body": "Members of a body",
    "named": "Named organisations and people",
}
LANGUAGES = {"en": "English", "id": "Indonesian", "km": "Khmer", "lo": "Lao", "ms": "Malay", "my": "Burmese",
             "fil": "Filipino", "th": "Thai", "vi": "Vietnamese", "zh": "Chinese", "ja": "Japanese",
             "ko": "Korean", "other": "Other"}


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(f"doc_type IN {tuple(DOC_TYPES)}", name="doc_type"),
        CheckConstraint(f"access_level IN {tuple(ACCESS_LEVELS)}", name="access_level"),
        CheckConstraint("access_level != 'body' OR access_body_id IS NOT NULL", name="body_level_has_body"),
        Index("ix_documents_listing", "deleted_at", "updated_at"),
        # What is new since a person's last visit reads only the documents made after it (migration 0016).
        Index("ix_documents_live_created", "deleted_at", "created_at"),
        # Holds every column the visibility rule reads, so counting a person's documents reads this index only.
        Index("ix_documents_visibility", "deleted_at", "access_level", "access_body_id", "uploader_id"),
        # Lists, newest first: PostgreSQL reads this backwards and stops at the page (migration 0011).
        Index("ix_documents_live_updated", "updated_at", "id", postgresql_where=text("deleted_at IS NULL"),
              sqlite_where=text("deleted_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    doc_type: Mapped[str] = mapped_column(String(32), default="other", index=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    action_line: Mapped[str] = mapped_column(String(16), default="", index=True)
    # A paper submitted to a meeting (meeting papers, country reports): counted in the meeting's readiness view.
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    access_level: Mapped[str] = mapped_column(String(16), default="asean")
    access_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column()
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The newest version's number; versions are never overwritten, so this only grows.
    version_count: Mapped[int] = mapped_column(default=0)

    org: Mapped["Organisation"] = relationship()  # noqa: F821
    body: Mapped["Body | None"] = relationship(foreign_keys=[body_id])  # noqa: F821
    access_body: Mapped["Body | None"] = relationship(foreign_keys=[access_body_id])  # noqa: F821
    uploader: Mapped["User | None"] = relationship(foreign_keys=[uploader_id])  # noqa: F821
    meeting: Mapped["Meeting | None"] = relationship()  # noqa: F821
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.number.desc()", cascade="all, delete-orphan",
        passive_deletes=True)
    # The newest version alone (numbers run 1 .. version_count): what lists and downloads need, in one join.
    newest: Mapped[DocumentVersion | None] = relationship(
        primaryjoin="and_(foreign(DocumentVersion.document_id) == Document.id, "
                    "DocumentVersion.number == Document.version_count)", viewonly=True, uselist=False)
    tags: Mapped[list[DocumentTag]] = relationship(cascade="all, delete-orphan", order_by="DocumentTag.name",
                                                   passive_deletes=True)
    grants: Mapped[list[DocumentGrant]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    @property
    def current(self) -> DocumentVersion | None:
        """The newest version: from `versions` once they are loaded (they see a version just added), else
        `newest`, without loading the whole history."""
        if "versions" not in inspect(self).dict:  # loaded attributes live in the instance's dict
            return self.newest
        return self.versions[0] if self.versions else None

    @property
    def tag_names(self) -> list[str]:
        return [t.name for t in self.tags]

    @property
    def type_label(self) -> str:
        return DOC_TYPES.get(self.doc_type, self.doc_type)

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.title!r}>"


class DocumentVersion(db.Model):
    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_document_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    # The generated name under the upload directory; never derived from what the user sent.
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Text extracted for search (PDF, DOCX, XLSX, plain text); capped in size.
    text: Mapped[str] = mapped_column(Text, default="")

    document: Mapped[Document] = relationship(back_populates="versions")
    uploaded_by: Mapped["User | None"] = relationship()  # noqa: F821


class DocumentTag(db.Model):
    __tablename__ = "document_tags"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class DocumentGrant(db.Model):
    """One organisation or person named by the uploader for a document at the "named" level."""
    __tablename__ = "document_grants"
    __table_args__ = (
        CheckConstraint("(org_id IS NULL) != (user_id IS NULL)", name="one_grantee"),
        UniqueConstraint("document_id", "org_id", "user_id", name="uq_document_grants_grantee"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    org: Mapped["Organisation | None"] = relationship()  # noqa: F821
    user: Mapped["User | None"] = relationship()  # noqa: F821


class DocumentComment(db.Model):
    __tablename__ = "document_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped["User | None"] = relationship()  # noqa: F821
