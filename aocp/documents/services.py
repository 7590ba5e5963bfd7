"""Document actions shared by pages and API: upload, versions, access, comments, trash.

Services take the actor and typed objects, write the audit entry in the same transaction and
never commit. Files are stored before the row is flushed; `committing()` removes them again if
the transaction does not commit, so no file is kept without its row and no row without its file.
"""
from __future__ import annotations

import errno
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from flask import current_app

from aocp import audit
from aocp.accounts.models import User
from aocp.documents import filecheck, search, textextract
from aocp.documents.models import (
    ACCESS_LEVELS,
    DOC_TYPES,
    LANGUAGES,
    Document,
    DocumentComment,
    DocumentGrant,
    DocumentTag,
    DocumentVersion,
)
from aocp.documents.storage import TooLarge, storage
from aocp.extensions import db
from aocp.notifications import documents as notices
from aocp.orgs.models import Body, Organisation
from aocp.policy import PermissionDenied, can
from aocp.timeutil import utcnow

if TYPE_CHECKING:
    from aocp.meetings.models import Meeting

log = logging.getLogger(__name__)

ACTION_LINE = re.compile(r"^[A-Z]{2}\d\.\d{1,2}$")  # e.g. TI1.1, MD2.3
TAG = re.compile(r"^[\w][\w .+-]{0,62}$")


class DocumentError(ValueError):
    """Bad input for a document action; `field` names the form field when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class StorageUnavailable(DocumentError):
    """The file could not be written (disk full, over quota, read-only or not writable); nothing was kept."""

    MESSAGE = ("AOCP could not store the file: the server's storage is full or not writable. Nothing was saved; "
               "please try again later or tell ASEC.")

    def __init__(self, err: OSError):
        super().__init__(self.MESSAGE, "files")
        self.errno = err.errno
        # 507 Insufficient Storage when space ran out; 503 when the store refuses writes for now.
        self.status = 507 if err.errno in (errno.ENOSPC, errno.EDQUOT) else 503


def refusal_status(err: DocumentError, otherwise: int) -> int:
    """The status a refusal answers with: 507 or 503 when the file could not be stored, 413 when it went past
    the size limit, else `otherwise` (a page's 400, the API's 422)."""
    if isinstance(err, StorageUnavailable):
        return err.status
    return 413 if isinstance(err.__context__, TooLarge) else otherwise


@dataclass
class Details:
    """What a person says about a document (everything but the file and who may see it)."""
    title: str
    org: Organisation
    description: str = ""
    doc_type: str = "other"
    language: str = "en"
    body: Body | None = None
    action_line: str = ""
    tags: list[str] = field(default_factory=list)
    meeting: Meeting | None = None  # a paper for this meeting (its body is the document's body)


@dataclass
class Access:
    level: str
    body: Body | None = None
    orgs: list[Organisation] = field(default_factory=list)
    people: list[User] = field(default_factory=list)


@dataclass
class Upload:
    """A file as received: a readable binary stream and the name the person's computer gave it."""
    stream: IO[bytes]
    filename: str


def parse_tags(raw: str | list[str]) -> list[str]:
    items = raw if isinstance(raw, list) else raw.split(",")
    tags = sorted({" ".join(str(t).split()).lower() for t in items if str(t).strip()})
    bad = [t for t in tags if not TAG.match(t)]
    if bad:
        raise DocumentError(f"Tags may hold letters, digits, spaces, '.', '+' and '-' (not {bad[0]!r}).", "tags")
    if len(tags) > 20:
        raise DocumentError("At most 20 tags.", "tags")
    return tags


def _check_details(actor: User, d: Details, kept: Meeting | None = None) -> None:
    if d.meeting is not None:
        if d.meeting is not kept and not can(actor, "workspaces.view", d.meeting):
            raise DocumentError("Choose a meeting from the list.", "meeting")
        if d.body is None:
            d.body = d.meeting.body
        elif d.body.id != d.meeting.body_id:
            raise DocumentError(f"{d.meeting.title} is a meeting of {d.meeting.body.short_name}: choose that body, "
                                "or no meeting.", "meeting")
    if any("\x00" in (v or "") for v in (d.title, d.description, d.action_line)):
        raise DocumentError("Text may not contain NUL characters.", "description")
    d.title = " ".join((d.title or "").split())
    if not d.title or len(d.title) > 300:
        raise DocumentError("A title of 1 to 300 characters is required.", "title")
    if d.doc_type not in DOC_TYPES:
        raise DocumentError("Choose a document type from the list.", "doc_type")
    if d.language not in LANGUAGES:
        raise DocumentError("Choose a language from the list.", "language")
    d.action_line = (d.action_line or "").strip().upper()
    if d.action_line and not ACTION_LINE.match(d.action_line):
        raise DocumentError("An action line code looks like TI1.1 or MD2.3.", "action_line")
    if len(d.description or "") > 10_000:
        raise DocumentError("The description is limited to 10,000 characters.", "description")


def _refuse(actor: User, rule: str, obj, message: str) -> None:
    if not can(actor, rule, obj):
        raise PermissionDenied(rule, message)


def _check_org(actor: User, org: Organisation, kept: Organisation | None = None) -> None:
    """Only ASEC acts for another organisation; a document keeps the organisation it already names."""
    if kept is None or org.id != kept.id:
        _refuse(actor, "documents.file_for", org, f"You may share documents only in the name of {actor.org.name}: "
                f"ask ASEC to share this one for {org.name}.")


def _check_filing(actor: User, d: Details, doc: Document | None = None) -> None:
    """Filing in a body or for its meeting needs membership of the body (or ASEC); values the document already
    names stay acceptable (its uploader may have left the body since)."""
    _check_org(actor, d.org, doc.org if doc else None)
    if d.meeting is not None and (doc is None or d.meeting.id != doc.meeting_id):
        _refuse(actor, "documents.file_in", d.meeting, f"{d.meeting.title} is a meeting of "
                f"{d.meeting.body.short_name}: only its members may file papers for it.")
    if d.body is not None and (doc is None or d.body.id != doc.body_id):
        _refuse(actor, "documents.file_in", d.body,
                f"Only members of {d.body.short_name} may file documents in it.")


def _check_audience(actor: User, a: Access, doc: Document | None = None) -> None:
    """Sharing with a body's members is for its members (or ASEC); a body already named stays acceptable."""
    kept = doc.access_body_id if doc is not None and doc.access_level == "body" else None
    if a.level == "body" and a.body is not None and a.body.id != kept:
        _refuse(actor, "documents.file_in", a.body,
                f"Only members of {a.body.short_name} may share documents with its members.")


def _on_behalf_of(actor: User, org: Organisation) -> dict:
    """The audit note when ASEC acts in another organisation's name."""
    return {"on_behalf_of": org.code} if org.id != actor.org_id else {}


def _check_access(a: Access) -> None:
    if a.level not in ACCESS_LEVELS:
        raise DocumentError("Choose who may see the document.", "access_level")
    if a.level == "body" and a.body is None:
        raise DocumentError("Choose the body whose members may see the document.", "access_body")
    if a.level == "named" and not (a.orgs or a.people):
        raise DocumentError("Name at least one organisation or person.", "access_orgs")


def _store(upload: Upload) -> dict:
    """Stream the file into storage, check it, extract its text; the fields of a new version."""
    name = filecheck.clean_name(upload.filename)
    limit = current_app.config["MAX_FILE_SIZE"]
    try:
        stored = storage().save(upload.stream, limit)
    except TooLarge:
        raise DocumentError(f"{name} is larger than the limit of {limit // (1024 * 1024)} MB.", "files") from None
    except OSError as err:
        log.error("Could not store an upload: %s", err.strerror or err, extra={
            "errno": err.errno, "errno_name": errno.errorcode.get(err.errno or 0, "")})
        raise StorageUnavailable(err) from err
    staged = db.session.info.setdefault("staged_keys", [])
    staged.append(stored.key)
    path = storage().path(stored.key)
    if stored.size == 0:
        raise DocumentError(f"{name} is empty.", "files")
    try:
        content_type = filecheck.check(path, name)
    except filecheck.Rejected as err:
        raise DocumentError(f"{name}: {err}", "files") from None
    text = textextract.extract(path, filecheck.extension(name))
    return dict(storage_key=stored.key, original_name=name, content_type=content_type, size=stored.size,
                sha256=stored.sha256, text=text)


@contextmanager
def committing():
    """Commit the block's changes; if anything fails, roll back and delete the files it stored."""
    db.session.info["staged_keys"] = []
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for key in db.session.info.get("staged_keys", []):
            storage().delete(key)
        raise
    finally:
        db.session.info.pop("staged_keys", None)


def _set_tags(doc: Document, tags: list[str]) -> None:
    current = {t.name: t for t in doc.tags}
    doc.tags = [current.get(t) or DocumentTag(name=t) for t in tags]


def _apply_access(doc: Document, a: Access) -> None:
    doc.access_level = a.level
    doc.access_body = a.body if a.level == "body" else None
    wanted = ({("o", o.id) for o in a.orgs} | {("u", u.id) for u in a.people}) if a.level == "named" else set()
    kept = [g for g in doc.grants if (("o", g.org_id) if g.org_id else ("u", g.user_id)) in wanted]
    have = {("o", g.org_id) if g.org_id else ("u", g.user_id) for g in kept}
    kept += [DocumentGrant(org_id=i) for k, i in sorted(wanted - have) if k == "o"]
    kept += [DocumentGrant(user_id=i) for k, i in sorted(wanted - have) if k == "u"]
    doc.grants = kept


def _access_summary(doc: Document) -> dict:
    return {"level": doc.access_level, "body": doc.access_body.code if doc.access_body else None,
            "orgs": sorted(g.org.code for g in doc.grants if g.org_id and g.org),
            "people": sorted(g.user_id for g in doc.grants if g.user_id)}


def create(actor: User, upload: Upload, details: Details, access: Access, note: str = "") -> Document:
    """A new document with its first version."""
    if not can(actor, "documents.upload"):
        raise PermissionDenied("documents.upload")
    _check_details(actor, details)
    _check_access(access)
    _check_filing(actor, details)
    _check_audience(actor, access)
    doc = Document(title=details.title, description=details.description or "", doc_type=details.doc_type,
                   language=details.language, org=details.org, body=details.body,
                   action_line=details.action_line, meeting=details.meeting, uploader=actor, version_count=0)
    _set_tags(doc, details.tags)
    _apply_access(doc, access)
    db.session.add(doc)
    _new_version(actor, doc, upload, note or "First version")
    db.session.flush()
    audit.record("document.uploaded", actor, ("document", doc.id),
                 {"title": doc.title, "file": doc.versions[0].original_name, "access": _access_summary(doc),
                  **_on_behalf_of(actor, doc.org)})
    search.index(doc)
    notices.document_shared(actor, doc)
    return doc


def _new_version(actor: User, doc: Document, upload: Upload, note: str) -> DocumentVersion:
    fields = _store(upload)
    doc.version_count += 1
    note = (note or "").replace("\x00", "").strip()[:2000]
    version = DocumentVersion(number=doc.version_count, note=note, uploaded_by=actor, **fields)
    doc.versions.insert(0, version)
    doc.updated_at = utcnow()
    return version


def add_version(actor: User, doc: Document, upload: Upload, note: str) -> DocumentVersion:
    """Upload a new version (in the name of the document's organisation); earlier versions stay as they are."""
    _require(actor, "documents.edit", doc)
    _check_org(actor, doc.org)
    version = _new_version(actor, doc, upload, note)
    db.session.flush()
    audit.record("document.version_added", actor, ("document", doc.id),
                 {"version": version.number, "file": version.original_name, "sha256": version.sha256,
                  **_on_behalf_of(actor, doc.org)})
    search.index(doc)
    return version


def restore_version(actor: User, doc: Document, old: DocumentVersion) -> DocumentVersion:
    """Make an older version the newest again, as a new version holding a copy of its bytes."""
    _require(actor, "documents.edit", doc)
    _check_org(actor, doc.org)
    with storage().open(old.storage_key) as f:
        version = _new_version(actor, doc, Upload(f, old.original_name), f"Restored version {old.number}")
    db.session.flush()
    audit.record("document.version_restored", actor, ("document", doc.id),
                 {"from_version": old.number, "version": version.number, **_on_behalf_of(actor, doc.org)})
    search.index(doc)
    return version


def _details_summary(doc: Document) -> dict:
    return {"title": doc.title, "type": doc.doc_type, "tags": doc.tag_names, "meeting_id": doc.meeting_id,
            "org": doc.org.code, "body": doc.body.code if doc.body else None}


def update_details(actor: User, doc: Document, details: Details) -> None:
    _require(actor, "documents.edit", doc)
    _check_details(actor, details, kept=doc.meeting)
    _check_filing(actor, details, doc)
    before = _details_summary(doc)
    doc.title, doc.description, doc.doc_type = details.title, details.description or "", details.doc_type
    doc.language, doc.org, doc.body, doc.action_line = (details.language, details.org, details.body,
                                                         details.action_line)
    doc.meeting = details.meeting
    _set_tags(doc, details.tags)
    doc.updated_at = utcnow()
    db.session.flush()
    audit.record("document.updated", actor, ("document", doc.id),
                 {"before": before, "after": _details_summary(doc), **_on_behalf_of(actor, doc.org)})
    search.index(doc)


def set_access(actor: User, doc: Document, access: Access) -> None:
    """Change who may open the document; the change is audited with before and after."""
    _require(actor, "documents.edit", doc)
    _check_access(access)
    _check_audience(actor, access, doc)
    before, named_before = _access_summary(doc), notices.named(doc)
    _apply_access(doc, access)
    db.session.flush()
    db.session.refresh(doc, ["grants"])
    after = _access_summary(doc)
    if after != before:
        audit.record("document.access_changed", actor, ("document", doc.id), {"before": before, "after": after})
        notices.document_shared(actor, doc, named_before)


def add_comment(actor: User, doc: Document, body: str) -> DocumentComment:
    _require(actor, "documents.comment", doc)
    body = (body or "").strip()
    if not body or len(body) > 5000 or "\x00" in body:
        raise DocumentError("A comment of 1 to 5,000 characters is required.", "body")
    comment = DocumentComment(document_id=doc.id, author=actor, body=body)
    db.session.add(comment)
    db.session.flush()
    audit.record("document.commented", actor, ("document", doc.id), {"comment": comment.id})
    return comment


def _require(actor: User, rule: str, doc: Document | None = None) -> None:
    if not can(actor, rule, doc):
        raise PermissionDenied(rule)

