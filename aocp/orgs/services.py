"""Changes to organisations and bodies; each audited in the caller's transaction."""
from __future__ import annotations

from sqlalchemy import select

from aocp import audit
from aocp.accounts.services import AccountError
from aocp.extensions import db
from aocp.orgs.models import Body, Organisation


def save_organisation(actor, org: Organisation | None, code: str, name: str, kind: str,
                      require_mfa: bool) -> Organisation:
    clash = db.session.execute(select(Organisation.id).where(Organisation.code == code)).scalar()
    if clash is not None and (org is None or clash != org.id):
        raise AccountError(f"The code {code} is already used.")
    created = org is None
    if created:
        org = Organisation(code=code)
        db.session.add(org)
    before = None if created else {"code": org.code, "name": org.name, "kind": org.kind,
                                    "require_mfa": org.require_mfa}
    org.code, org.name, org.kind, org.require_mfa = code, name.strip(), kind, require_mfa
    db.session.flush()
    audit.record("organisation.created" if created else "organisation.updated", actor=actor, target=org,
                 details={"before": before, "after": {"code": code, "name": org.name, "kind": kind,
                                                      "require_mfa": require_mfa}})
    return org


def save_body(actor, body: Body | None, code: str, short_name: str, name: str, parent: Body | None,
              description: str) -> Body:
    clash = db.session.execute(select(Body.id).where(Body.code == code)).scalar()
    if clash is not None and (body is None or clash != body.id):
        raise AccountError(f"The code {code} is already used.")
    if body is not None and parent is not None:
        ancestor = parent
        while ancestor is not None:  # a body may not report to itself or to one of its own sub-bodies
            if ancestor.id == body.id:
                raise AccountError("A body cannot report to itself or to a body below it.")
            ancestor = ancestor.parent
    created = body is None
    if created:
        body = Body(code=code)
        db.session.add(body)
    body.code, body.short_name, body.name = code, short_name.strip(), name.strip()
    body.parent, body.description = parent, description.strip()
    db.session.flush()
    audit.record("body.created" if created else "body.updated", actor=actor, target=body,
                 details={"code": code, "name": body.name, "parent": parent.code if parent else None})
    return body
