"""API endpoints for the caller, organisations, bodies, people and memberships."""
from __future__ import annotations

from functools import wraps

from email_validator import EmailNotValidError, validate_email
from flask import abort, g, request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from aocp.accounts import invitations, services
from aocp.accounts.loading import load_membership, load_user
from aocp.accounts.models import ROLES, User
from aocp.api import bp
from aocp.api.auth import api_guard
from aocp.extensions import db
from aocp.http import (
    CONTROL,
    Fields,
    Invalid,
    NotFound,
    body_by_code,
    json_body,
    json_error,
    org_by_code,
    paginated,
    text_problem,
    valid_id,
    whole_number,
)
from aocp.orgs.models import BODY_ROLES, Body, Membership, Organisation
from aocp.policy import PermissionDenied, can


def org_json(o: Organisation) -> dict:
    return {"code": o.code, "name": o.name, "kind": o.kind, "is_asean": o.is_asean, "require_mfa": o.require_mfa}


def body_json(b: Body) -> dict:
    return {"code": b.code, "short_name": b.short_name, "name": b.name, "description": b.description,
            "parent": b.parent.code if b.parent else None}


def user_json(u: User, full: bool = False) -> dict:
    data = {"id": u.id, "email": u.email, "name": u.name, "organisation": u.org.code, "role": u.role,
            "status": u.status}
    if full:
        data.update(mfa_enabled=u.mfa_enabled, created_at=u.created_at.isoformat() + "Z",
                    last_login_at=u.last_login_at.isoformat() + "Z" if u.last_login_at else None,
                    memberships=[{"body": m.body.code, "role": m.role} for m in u.memberships])
    return data


def membership_json(m: Membership) -> dict:
    return {"id": m.id, "user_id": m.user_id, "email": m.user.email, "body": m.body.code, "role": m.role}


def refusals(view):
    """A refused account change answers with the service's own words: 403 for a nomination the person may not
    make, 409 for a conflict (an existing account, an open invitation, one's own role); nothing is kept."""
    @wraps(view)
    def answer(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except PermissionDenied as err:
            db.session.rollback()
            return json_error(403, str(err), "forbidden")
        except services.AccountError as err:
            db.session.rollback()
            return json_error(409, str(err), "conflict")
    return answer


@bp.get("/me")
@api_guard("profile.manage")
def me():
    return user_json(g.api_user, full=True) | {"token_scope": g.api_token.scope}


@bp.get("/organisations")
@api_guard("orgs.view")
def organisations():
    orgs = db.session.execute(select(Organisation).order_by(Organisation.code)).scalars()
    return {"items": [org_json(o) for o in orgs]}


@bp.get("/organisations/<code>")
@api_guard("orgs.view")
def organisation(code: str):
    org = org_by_code(code)
    if org is None:
        raise NotFound("organisation")
    return org_json(org)


@bp.get("/bodies")
@api_guard("bodies.view")
def bodies():
    rows = db.session.execute(select(Body).options(selectinload(Body.parent)).order_by(Body.id)).scalars()
    return {"items": [body_json(b) for b in rows]}


@bp.get("/bodies/<code>")
@api_guard("bodies.view")
def body(code: str):
    b = body_by_code(code)
    if b is None:
        raise NotFound("body")
    if not can(g.api_user, "bodies.members", b):  # others see the name and description only
        return body_json(b) | {"members_visible": False}
    members = db.session.execute(select(Membership).where(Membership.body_id == b.id)
                                 .options(selectinload(Membership.user), selectinload(Membership.body))
                                 .order_by(Membership.id)).scalars()
    return body_json(b) | {"members_visible": True, "members": [membership_json(m) for m in members]}


@bp.get("/users")
@api_guard("users.view")
def users():
    stmt = select(User).options(selectinload(User.memberships)).order_by(User.id)
    if CONTROL.search(request.args.get("q", "")):
        abort(400, "q must not contain control characters.")
    if q := request.args.get("q", "").strip().lower():
        stmt = stmt.where(or_(func.lower(User.name).contains(q), User.email.contains(q)))
    if org := org_by_code(request.args.get("organisation")):
        stmt = stmt.where(User.org_id == org.id)
    if (role := request.args.get("role")) in ROLES:
        stmt = stmt.where(User.role == role)
    if (status := request.args.get("status")) in ("active", "deactivated"):
        stmt = stmt.where(User.status == status)
    return paginated(stmt, user_json)


@bp.get("/users/<int:user_id>")
@api_guard("users.view")
def user(user_id: int):
    return user_json(load_user(user_id), full=True)


@bp.patch("/users/<int:user_id>")
@api_guard("users.manage")
@refusals
def update_user(user_id: int):
    target = load_user(user_id, "users.manage")
    data = json_body()
    fields = Fields(data, {"name", "role", "organisation", "status"})
    org = org_by_code(data["organisation"]) if "organisation" in data else target.org
    if org is None:
        fields.fail("organisation", "Unknown organisation code.")
    if "role" in data and data["role"] not in ROLES:
        fields.fail("role", f"One of {', '.join(ROLES)}.")
    if "status" in data and data["status"] not in ("active", "deactivated"):
        fields.fail("status", "active or deactivated.")
    if "name" in data and (problem := text_problem(data["name"])):
        fields.fail("name", problem)
    fields.check()
    services.update_user(g.api_user, target, data.get("name", target.name), org, data.get("role", target.role))
    if "status" in data:
        services.set_status(g.api_user, target, data["status"])
    db.session.commit()
    return user_json(target, full=True)


def _invitation_fields(data: dict) -> tuple[Organisation, list[str]]:
    """The organisation and body codes of an invitation; Invalid when any field is wrong."""
    errors = {}
    for name in ("email", "name", "organisation", "role"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            errors[name] = "Required text."
    if "name" not in errors and (problem := text_problem(data["name"])):
        errors["name"] = problem
    org = org_by_code(data.get("organisation"))
    if "organisation" not in errors and org is None:
        errors["organisation"] = "Unknown organisation code."
    if "role" not in errors and data["role"] not in ROLES:
        errors["role"] = f"One of {', '.join(ROLES)}."
    body_codes = data.get("bodies", [])
    if not (isinstance(body_codes, list) and all(isinstance(c, str) for c in body_codes)):
        errors["bodies"] = "A list of body codes."
    else:
        body_codes = list(dict.fromkeys(c.strip().upper() for c in body_codes))  # each body once
        unknown = [c for c in body_codes if body_by_code(c) is None]
        if unknown:
            errors["bodies"] = f"Unknown body code(s): {', '.join(unknown)[:200]}."
    if "email" not in errors:
        try:
            validate_email(data["email"].strip(), check_deliverability=False)
            if len(data["email"].strip()) > 254:
                raise EmailNotValidError("too long")
        except EmailNotValidError:
            errors["email"] = "A valid email address."
    if errors:
        raise Invalid(errors)
    return org, body_codes


@bp.post("/invitations")
@api_guard("users.nominate")
@refusals
def create_invitation():
    data = json_body()
    org, body_codes = _invitation_fields(data)
    inv = invitations.invite(g.api_user, data["email"].strip(), data["name"], org, data["role"], body_codes)
    db.session.commit()
    return {"id": inv.id, "email": inv.email, "status": inv.status, "role": inv.role,
            "organisation": org.code, "bodies": inv.bodies}, 201


@bp.get("/memberships")
@api_guard("users.view")
def memberships():
    stmt = (select(Membership).options(selectinload(Membership.user), selectinload(Membership.body))
            .order_by(Membership.id))
    if body_code := request.args.get("body"):
        b = body_by_code(body_code)
        stmt = stmt.where(Membership.body_id == (b.id if b else -1))
    if (raw_uid := request.args.get("user_id")) is not None:
        uid = whole_number(raw_uid)
        if uid is None:
            abort(400, "user_id must be a whole number.")
        stmt = stmt.where(Membership.user_id == uid)
    return paginated(stmt, membership_json)


@bp.post("/memberships")
@api_guard("memberships.manage")
def create_membership():
    data = json_body()
    errors = {}
    target = db.session.get(User, data["user_id"]) if valid_id(data.get("user_id")) else None
    if target is None:
        errors["user_id"] = "An existing user id."
    b = body_by_code(data.get("body"))
    if b is None:
        errors["body"] = "An existing body code."
    role = data.get("role", "member")
    if role not in BODY_ROLES:
        errors["role"] = f"One of {', '.join(BODY_ROLES)}."
    if errors:
        raise Invalid(errors)
    m = services.set_membership(g.api_user, target, b, role)
    db.session.commit()
    return membership_json(m), 201


@bp.delete("/memberships/<int:membership_id>")
@api_guard("memberships.manage")
def delete_membership(membership_id: int):
    m = load_membership(membership_id)
    services.remove_membership(g.api_user, m)
    db.session.commit()
    return "", 204
