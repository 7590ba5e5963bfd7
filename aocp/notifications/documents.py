"""What document events tell whom: people and organisations newly named on a document hear it was shared.

Wider levels (everyone signed in, ASEAN, a body's members) notify nobody: those reach hundreds of people, who
find such documents in their lists instead.
"""
from __future__ import annotations

from sqlalchemy import or_, select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.notifications.emails import url_for_path
from aocp.notifications.services import notify


def named(doc) -> tuple[set[int], set[int]]:
    """The people and organisations a document names (its grants), as ids."""
    return ({g.user_id for g in doc.grants if g.user_id}, {g.org_id for g in doc.grants if g.org_id})


def document_shared(actor: User, doc, before: tuple[set[int], set[int]] = (set(), set())) -> None:
    """Notify whoever `doc` names now and did not name `before` (people, and the active members of orgs)."""
    if doc.access_level != "named":
        return
    people, orgs = named(doc)
    people, orgs = people - before[0], orgs - before[1]
    if not people and not orgs:
        return
    recipients = db.session.execute(select(User).where(
        or_(User.id.in_(people), User.org_id.in_(orgs)), User.status == "active")).scalars().all()
    notify("document_shared", actor, doc, recipients, title=doc.title,
           url=url_for_path("documents.detail", doc_id=doc.id))
