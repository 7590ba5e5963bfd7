"""Changes to accounts: signing in, the second factor, new people, administration of accounts and memberships,
API tokens, and the helpers the invitation and password modules share. Each function audits in the caller's
transaction and never commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask import current_app, url_for
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from aocp import audit
from aocp.accounts import mfa, throttle
from aocp.accounts.models import (
    ASEC_ROLES,
    ROLES,
    TOKEN_SCOPES,
    ApiToken,
    Invitation,
    PasswordReset,
    RecoveryCode,
    User,
    signed_in_loads,
)
from aocp.accounts.passwords import hash_password, needs_rehash, password_problems, verify_password
from aocp.accounts.tokens import digest, new_secret
from aocp.extensions import db
from aocp.orgs.models import Body, Membership, Organisation
from aocp.sessions import end_sessions
from aocp.timeutil import utcnow


class AccountError(ValueError):
    """A request that cannot be carried out; the message is shown to the user."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def external_url(endpoint: str, **values) -> str:
    """A full link for an email, on the configured SITE_URL: never built from the request's Host header,
    which a client chooses (a forged Host would send reset and invitation links to another site)."""
    site = current_app.config.get("SITE_URL", "").rstrip("/")
    if not site:
        return url_for(endpoint, _external=True, **values)
    return site + url_for(endpoint, **values)


def claimed(statement) -> bool:
    """Run a conditional UPDATE that spends something usable once; True when this request got it. The database
    decides between requests racing for the same code or link (a check in Python first, then a write, let each
    of them see it unused)."""
    return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount == 1


def find_user(email: str) -> User | None:
    return db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


def check_new_password(password: str, user_or_email) -> None:
    context = (user_or_email.email, user_or_email.name) if isinstance(user_or_email, User) else (user_or_email,)
    problems = password_problems(password, context)
    if problems:
        raise AccountError(" ".join(problems))


# --- sign-in ---------------------------------------------------------------

@dataclass
class SignIn:
    user: User | None
    ok: bool


def authenticate(email: str, password: str, client: str) -> SignIn:
    """Check a password, throttled per account and client address; failures look the same whatever the cause."""
    user = find_user(email)
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None:
        audit.record("auth.failure", actor_email=normalise_email(email)[:254], details={"reason": "unknown"})
        return SignIn(None, False)
    if throttle.paused_until(user, client):
        audit.record("auth.failure", actor=user, details={"reason": "throttled"})
        return SignIn(user, False)
    if not password_ok or not user.is_active:
        throttle.register_failure(user, client, "inactive" if password_ok else "password")
        return SignIn(user, False)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return SignIn(user, True)


def signed_in(user: User, method: str, client: str) -> None:
    throttle.signed_in(user, client)
    now = utcnow()
    # What is new is counted from the previous sign-in (a first sign-in: from when the account was made), or
    # from a later "mark all seen".
    previous = user.last_login_at or user.created_at or now
    user.seen_up_to = max(previous, user.seen_up_to) if user.seen_up_to else previous
    user.last_login_at = now
    audit.record("auth.login", actor=user, details={"method": method})


def check_second_factor(user: User, code: str, client: str) -> bool:
    """A TOTP code (once) or an unused recovery code."""
    if throttle.paused_until(user, client):
        audit.record("auth.failure", actor=user, details={"reason": "throttled"})
        return False
    if mfa.verify_totp(user, code):
        return True
    if mfa.use_recovery_code(user, code):
        audit.record("mfa.recovery_code_used", actor=user, target=user,
                     details={"remaining": mfa.remaining_recovery_codes(user)})
        return True
    throttle.register_failure(user, client, "mfa")
    return False


# --- second factor -------------------------------------------------------

def enable_mfa(user: User, secret: str, code: str, session_row_id: int | None) -> list[str]:
    """Confirm enrolment with a first code; returns the recovery codes to show once."""
    step = mfa.matching_step(secret, code)
    if step is None:
        raise AccountError("That code does not match. Check the time on your phone and try the next code.")
    # Conditional, so two enrolments racing (two tabs, two sessions) cannot both win and leave the person with
    # a key or recovery codes that no longer work.
    values = {"mfa_secret": secret, "mfa_enabled": True, "mfa_last_step": step}
    if not claimed(update(User).where(User.id == user.id, User.mfa_enabled.is_(False)).values(**values)):
        raise AccountError("Your second factor is already on.")
    for name, value in values.items():
        set_committed_value(user, name, value)
    codes = mfa.new_recovery_codes(user)
    end_sessions(user.id, except_row_id=session_row_id)
    audit.record("mfa.enabled", actor=user, target=user)
    return codes


def disable_mfa(user: User, session_row_id: int | None) -> None:
    if user.mfa_required:
        raise AccountError("Your role or organisation requires a second factor; it cannot be turned off.")
    user.mfa_secret, user.mfa_enabled, user.mfa_last_step = None, False, 0
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_sessions(user.id, except_row_id=session_row_id)
    audit.record("mfa.disabled", actor=user, target=user)


def regenerate_recovery_codes(user: User) -> list[str]:
    codes = mfa.new_recovery_codes(user)
    audit.record("mfa.recovery_codes_regenerated", actor=user, target=user)
    return codes

# --- passwords -----------------------------------------------------------

def set_password(user: User, password: str) -> None:
    """Store a new password; reset links still waiting for this account stop working."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    if user.id is not None:
        db.session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id,
                                                       PasswordReset.used_at.is_(None))
                           .values(used_at=user.password_changed_at))


# --- new people ------------------------------------------------------------

def check_new_person(email: str, org: Organisation, role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}.")
    if find_user(email):
        raise AccountError("An account with this email already exists.")
    now = utcnow()  # one instant: a nomination has no expiry yet and stays open until decided
    pending = db.session.execute(select(Invitation.id).where(
        Invitation.email == email, Invitation.status.in_(("nominated", "sent")),
        or_(Invitation.expires_at.is_(None), Invitation.expires_at >= now))).first()
    if pending:
        raise AccountError("This person already has an open invitation or nomination.")
    check_role_fits_org(org, role)


def check_role_fits_org(org: Organisation, role: str) -> None:
    if role in ASEC_ROLES and org.kind != "secretariat":
        raise AccountError("ASEC roles are for people of the ASEAN Secretariat.")
    if role in ("focal_person", "delegate") and org.kind != "member_state":
        raise AccountError("Focal persons and delegates belong to a Member State.")


# --- administration --------------------------------------------------------

def create_user(actor: User | None, email: str, name: str, org: Organisation, role: str, password: str) -> User:
    """Create an account directly (the CLI uses this to bootstrap the first administrator)."""
    email = normalise_email(email)
    check_new_person(email, org, role)
    check_new_password(password, email)
    user = User(email=email, name=name, org_id=org.id, role=role, status="active")
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", actor=actor, target=user, details={"email": email, "role": role, "org": org.code})
    return user


def set_status(actor: User, user: User, status: str) -> None:
    """Deactivate (ending sessions and stopping tokens at once) or reactivate an account."""
    if status not in ("active", "deactivated"):
        raise AccountError("Unknown status.")
    approving = user.status == "pending" and status == "active"
    if user.id == actor.id and status == "deactivated":
        raise AccountError("You cannot deactivate your own account.")
    if user.status == status:
        return
    user.status = status
    details = {}
    if status == "deactivated":
        end_sessions(user.id)
        # Tokens are revoked, not just suspended: one leaked before deactivation must not revive with the account.
        details["tokens_revoked"] = db.session.execute(
            update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())).rowcount
    action = "user.approved" if approving else f"user.{'deactivated' if status == 'deactivated' else 'reactivated'}"
    audit.record(action, actor=actor, target=user, details=details)


def update_user(actor: User, user: User, name: str, org: Organisation, role: str) -> None:
    if role not in ROLES:
        raise AccountError("Unknown role.")
    if user.id == actor.id and role != user.role:
        raise AccountError("You cannot change your own role.")
    check_role_fits_org(org, role)
    changes = {}
    if role != user.role:
        changes["role"] = [user.role, role]
    if org.id != user.org_id:
        changes["org"] = [user.org.code, org.code]
    user.name, user.role, user.org_id = name.strip(), role, org.id
    if changes:
        end_sessions(user.id)  # permissions changed: start fresh sessions
        audit.record("user.role_changed", actor=actor, target=user, details=changes)


def unlock(actor: User, user: User) -> None:
    """Lift every address's pause on the account."""
    paused = throttle.lift(user)
    audit.record("user.unlocked", actor=actor, target=user, details={"clients": paused})


def set_membership(actor: User | None, user: User, body: Body, role: str) -> Membership:
    membership = db.session.execute(select(Membership).where(
        Membership.user_id == user.id, Membership.body_id == body.id)).scalar_one_or_none()
    if membership is None:
        membership = Membership(user_id=user.id, body_id=body.id, role=role)
        db.session.add(membership)
        before = None
    else:
        before, membership.role = membership.role, role
    db.session.flush()
    audit.record("membership.set", actor=actor, target=membership,
                 details={"user": user.email, "body": body.code, "role": role, "before": before})
    return membership


def remove_membership(actor: User, membership: Membership) -> None:
    audit.record("membership.removed", actor=actor, target=membership,
                 details={"user": membership.user.email, "body": membership.body.code, "role": membership.role})
    db.session.delete(membership)


# --- API tokens --------------------------------------------------------------

def create_token(user: User, name: str, scope: str, days: int | None = None, actor: User | None = None
                 ) -> tuple[ApiToken, str]:
    """A new personal access token; the raw value is returned once and never stored."""
    if scope not in TOKEN_SCOPES:
        raise AccountError("Scope must be read or write.")
    days = days or current_app.config["TOKEN_DEFAULT_DAYS"]
    if not 1 <= days <= 366:
        raise AccountError("A token lives between 1 and 366 days.")
    secret, _ = new_secret()
    raw = f"aocp_{secret}"
    token = ApiToken(user_id=user.id, name=name.strip() or "token", prefix=raw[:12], token_hash=digest(raw),
                     scope=scope, expires_at=utcnow() + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    audit.record("token.created", actor=actor or user, target=token,
                 details={"owner": user.email, "scope": scope, "days": days})
    return token, raw


def revoke_token(actor: User, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("token.revoked", actor=actor, target=token, details={"owner": token.user.email})


# The statements every signed-in request runs, built once (on first use, when the mappers are complete): a statement
# object keeps the cache key SQLAlchemy computes for it, where building and keying it per request cost more than
# running it (the person: 0.7 -> 0.4 ms).
@cache
def _person_statement():
    return select(User).options(*signed_in_loads()).where(User.id == bindparam("user_id"))


@cache
def _token_statement():
    return (select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"))
            .options(joinedload(ApiToken.user).options(*signed_in_loads())))


def signed_in_person(user_id: int) -> User | None:
    """The person a session names, with their organisation and memberships, in one statement."""
    return db.session.execute(_person_statement(), {"user_id": user_id}).unique().scalar_one_or_none()


def user_by_token(raw: str) -> tuple[User | None, ApiToken | None]:
    token = db.session.execute(_token_statement(), {"token_hash": digest(raw)}).unique().scalar_one_or_none()
    if token is None or not token.is_usable:
        return None, None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now
        db.session.commit()
    return token.user, token
