"""Who may open a document, in three forms that must agree: a yes/no for one document (the policy's
object rule), a SQL condition for lists and search, and an explanation ("who can see this, and why").
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, false, or_, select, true

from aocp.accounts.models import ASEC_ROLES, User, load_memberships
from aocp.documents.models import ACCESS_LEVELS, Document, DocumentGrant
from aocp.extensions import db
from aocp.orgs.models import Membership, Organisation


def sees_everything(user) -> bool:
    """ASEC staff and administrators see every document, deleted ones included."""
    return user.role in ASEC_ROLES


def in_asean(user) -> bool:
    """Member States and ASEC count as ASEAN; observers never do, whatever organisation they come from."""
    return user.org.is_asean and user.role != "observer"


def reason(user, doc: Document) -> str | None:
    """Why `user` may open `doc`, or None when they may not."""
    if sees_everything(user):
        return "ASEC staff see every document"
    if doc.deleted_at is not None:
        return None
    if doc.uploader_id == user.id:
        return "you uploaded it"
    level = doc.access_level
    if level == "everyone":
        return "it is shared with everyone signed in to AOCP"
    if level == "asean" and in_asean(user):
        return f"it is shared with ASEAN and you are from {user.org.name}"
    if level == "body" and doc.access_body_id is not None and user.body_role(doc.access_body_id):
        return f"you are a member of {doc.access_body.short_name}"
    if level == "named":
        for grant in doc.grants:
            if grant.user_id == user.id:
                return "the uploader named you"
            if grant.org_id == user.org_id:
                return f"the uploader named {user.org.name}"
    if db.session.execute(select(_guest_papers(user, doc.id))).scalar():
        return "it is shared with the guests of a meeting you are invited to"
    return None


def _guest_papers(user, document_id):
    from aocp.meetings.access import guest_papers  # the meetings package imports this module

    return guest_papers(user, document_id)


def visible_clause(user):
    """SQL condition on Document: the documents `user` may open (the same rule as `reason`)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return false()
    if sees_everything(user):
        return true()
    member_of = select(Membership.body_id).where(Membership.user_id == user.id)
    named = exists().where(DocumentGrant.document_id == Document.id,
                           or_(DocumentGrant.user_id == user.id, DocumentGrant.org_id == user.org_id))
    levels = [Document.access_level == "everyone",
              and_(Document.access_level == "body", Document.access_body_id.in_(member_of)),
              and_(Document.access_level == "named", named),
              Document.uploader_id == user.id, _guest_papers(user, Document.id)]
    if in_asean(user):
        levels.append(Document.access_level == "asean")
    return and_(Document.deleted_at.is_(None), or_(*levels))


@dataclass
class Audience:
    """Who can open a document: groups described in words, plus the people, each with their reason."""
    groups: list[str]
    people: list[tuple[User, str]]


def audience(doc: Document, limit: int = 500) -> Audience:
    """The people (active accounts) who can open `doc` and why, and the groups that explain it."""
    groups = ["ASEC staff and administrators (they see every document)"]
    if doc.uploader:
        groups.append(f"{doc.uploader.name}, who uploaded it")
    level = doc.access_level
    if level == "everyone":
        groups.append("everyone signed in to AOCP")
    elif level == "asean":
        groups.append("everyone from the ASEAN Member States and ASEC")
    elif level == "body" and doc.access_body:
        groups.append(f"members of {doc.access_body.short_name} ({doc.access_body.name})")
    elif level == "named":
        groups += [f"named by the uploader: {g.org.name}" if g.org else f"named by the uploader: {g.user.name}"
                   for g in doc.grants]
    people = db.session.execute(
        select(User).join(User.org).where(User.status == "active")
        .order_by(Organisation.code, User.name).limit(limit)
        .where(or_(User.role.in_(ASEC_ROLES), *_audience_conditions(doc)))).scalars().all()
    load_memberships(people)  # reason() reads them for a body's documents
    return Audience(groups, [(p, reason(p, doc) or "") for p in people])


def _audience_conditions(doc: Document) -> list:
    conds = []
    if doc.uploader_id:
        conds.append(User.id == doc.uploader_id)
    if doc.deleted_at is not None:
        return []
    conds.append(_guest_papers(User, doc.id))
    level = doc.access_level
    if level == "everyone":
        conds.append(true())
    elif level == "asean":
        conds.append(and_(Organisation.kind.in_(("member_state", "secretariat")), User.role != "observer"))
    elif level == "body" and doc.access_body_id:
        conds.append(User.id.in_(select(Membership.user_id).where(Membership.body_id == doc.access_body_id)))
    elif level == "named":
        conds.append(User.id.in_([g.user_id for g in doc.grants if g.user_id]))
        conds.append(User.org_id.in_([g.org_id for g in doc.grants if g.org_id]))
    return conds


def describe_level(doc: Document) -> str:
    if doc.access_level == "body" and doc.access_body:
        return f"Members of {doc.access_body.short_name}"
    return ACCESS_LEVELS[doc.access_level]
