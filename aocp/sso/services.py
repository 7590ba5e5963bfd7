"""Single sign-on decisions: who an identity is, linking, provisioning, provider settings.

Each function audits in the caller's transaction and never commits. A refusal is raised as SsoRefused;
the view rolls back and records it with `refused`, so a refused sign-in leaves nothing behind but its audit entry.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from aocp import audit
from aocp.accounts.models import User
from aocp.accounts.services import AccountError, check_role_fits_org, find_user, normalise_email
from aocp.extensions import db
from aocp.orgs.models import Organisation
from aocp.sso import oidc
from aocp.sso.models import IdentityProvider, SsoIdentity
from aocp.timeutil import utcnow

NO_ACCOUNT = "There is no AOCP account for this identity. Ask the ASEAN Secretariat for access."
PENDING = "Your AOCP account is waiting for approval by the ASEAN Secretariat. You can sign in once it is approved."
# The least privileged role first: a provisioned account gets the first one its organisation allows.
LEAST_ROLE_FIRST = ("observer", "delegate", "focal_person", "asec_staff", "asec_admin")


class SsoRefused(Exception):
    """A valid identity that may not sign in or be linked; `reason` goes to the audit log."""

    def __init__(self, reason: str, message: str = NO_ACCOUNT, user: User | None = None):
        super().__init__(message)
        self.reason, self.user = reason, user


@dataclass
class Resolution:
    user: User
    how: str  # "identity" (already linked), "email" (linked now by verified email) or "provisioned"


def enabled_providers() -> list[IdentityProvider]:
    return list(db.session.execute(select(IdentityProvider).where(IdentityProvider.enabled)
                                   .order_by(IdentityProvider.name)).scalars())


def find_identity(issuer: str, subject: str) -> SsoIdentity | None:
    return db.session.execute(select(SsoIdentity).where(SsoIdentity.issuer == issuer,
                                                        SsoIdentity.subject == subject)).scalar_one_or_none()


def identities_of(user: User) -> list[SsoIdentity]:
    return list(db.session.execute(select(SsoIdentity).where(SsoIdentity.user_id == user.id)
                                   .order_by(SsoIdentity.created_at)).scalars())


def _verified_email(claims: dict) -> str | None:
    email = claims.get("email")
    # Some providers send the flag as a string; anything else (absent, false) is unverified.
    if isinstance(email, str) and email and claims.get("email_verified") in (True, "true"):
        return normalise_email(email)[:254]
    return None


def _check_may_use(provider: IdentityProvider, user: User) -> None:
    if user.status == "pending":
        raise SsoRefused("pending", PENDING, user)
    if not user.is_active:
        raise SsoRefused("deactivated", user=user)
    if not provider.allows(user.org_id):
        raise SsoRefused("org_not_allowed", user=user)


def _link(provider: IdentityProvider, user: User, claims: dict, how: str) -> SsoIdentity:
    identity = SsoIdentity(provider_id=provider.id, user_id=user.id, issuer=claims["iss"], subject=claims["sub"],
                           email=str(claims.get("email") or "")[:254], last_used_at=utcnow())
    db.session.add(identity)
    db.session.flush()
    audit.record("sso.linked", actor=user, target=user, details={"provider": provider.slug, "how": how,
                                                                  "issuer": identity.issuer,
                                                                  "subject": identity.subject})
    return identity


def resolve(provider: IdentityProvider, claims: dict) -> Resolution:
    """The account a verified ID token signs in to, following the provider's linking and provisioning rules."""
    identity = find_identity(claims["iss"], claims["sub"])
    if identity is not None:
        _check_may_use(provider, identity.user)
        identity.last_used_at = utcnow()
        identity.email = str(claims.get("email") or identity.email)[:254]
        return Resolution(identity.user, "identity")
    email = _verified_email(claims)
    existing = find_user(email) if email else None
    if provider.allow_email_link and existing is not None:
        _check_may_use(provider, existing)
        _link(provider, existing, claims, "email")
        return Resolution(existing, "email")
    if not provider.allow_provisioning:
        raise SsoRefused("no_account", user=existing)
    if email is None:
        raise SsoRefused("email_unverified")
    if existing is not None:  # the address is someone's account, but this provider may not link to it
        raise SsoRefused("email_in_use", user=existing)
    return Resolution(_provision(provider, claims, email), "provisioned")


def _provision(provider: IdentityProvider, claims: dict, email: str) -> User:
    """A pending account in the provider's default organisation, with the least role that organisation allows."""
    org = provider.default_org
    if org is None or not provider.allows(org.id):
        raise SsoRefused("no_default_org")
    role = next(r for r in LEAST_ROLE_FIRST if _role_fits(org, r))
    name = str(claims.get("name") or email.split("@")[0]).strip()[:200] or email
    user = User(email=email, name=name, org_id=org.id, role=role, status="pending")
    db.session.add(user)
    db.session.flush()
    audit.record("sso.provisioned", actor=user, target=user,
                 details={"provider": provider.slug, "email": email, "org": org.code, "role": role})
    _link(provider, user, claims, "provisioned")
    return user


def _role_fits(org: Organisation, role: str) -> bool:
    try:
        check_role_fits_org(org, role)
    except AccountError:
        return False
    return True


def link(provider: IdentityProvider, user: User, claims: dict) -> SsoIdentity:
    """Link an identity to the signed-in person (from the profile); never one that belongs to someone else."""
    identity = find_identity(claims["iss"], claims["sub"])
    if identity is not None and identity.user_id != user.id:
        raise SsoRefused("linked_elsewhere", f"This {provider.name} identity is already linked to another "
                                             "AOCP account.", user)
    if not provider.allows(user.org_id):
        raise SsoRefused("org_not_allowed", f"{provider.name} is not offered to people of your organisation.",
                         user)
    if identity is not None:
        identity.last_used_at = utcnow()
        return identity
    return _link(provider, user, claims, "profile")


def unlink(user: User, identity: SsoIdentity) -> None:
    """Remove a link; refused when it is the only way left into an account without a password."""
    others = db.session.scalar(select(func.count(SsoIdentity.id)).where(SsoIdentity.user_id == user.id,
                                                                        SsoIdentity.id != identity.id))
    if not user.password_hash and not others:
        raise AccountError("This is your only way to sign in. Set a password first (use “Forgot your password?” "
                           "on the sign-in page), then unlink it.")
    audit.record("sso.unlinked", actor=user, target=user,
                 details={"provider": identity.provider.slug, "issuer": identity.issuer,
                          "subject": identity.subject})
    db.session.delete(identity)


def refused(provider: IdentityProvider, claims: dict, err: SsoRefused, purpose: str) -> None:
    """Audit a refused sign-in or link (after the caller rolled back what the attempt changed)."""
    audit.record("sso.refused", actor=err.user, actor_email=None if err.user else
                 str(claims.get("email") or "")[:254],
                 details={"provider": provider.slug, "purpose": purpose, "reason": err.reason,
                          "issuer": claims.get("iss"), "subject": claims.get("sub")})


def failed(provider: IdentityProvider, reason: str, message: str, purpose: str, actor: User | None = None) -> None:
    """Audit a protocol failure: a provider error, a bad state, an unreachable provider, a bad token."""
    audit.record("sso.failure", actor=actor, details={"provider": provider.slug, "purpose": purpose,
                                                      "reason": reason, "message": message[:500]})


@dataclass
class ProviderSettings:
    slug: str
    name: str
    issuer: str
    client_id: str
    client_secret: str  # empty: keep the stored one
    enabled: bool
    allowed_orgs: list[Organisation]
    allow_email_link: bool
    allow_provisioning: bool
    default_org: Organisation | None
    trust_mfa: bool
    mfa_acr_values: str


def save_provider(actor: User, provider: IdentityProvider | None, s: ProviderSettings) -> IdentityProvider:
    """Create or change a provider; the secret is never written to the audit log."""
    clash = db.session.scalar(select(IdentityProvider.id).where(IdentityProvider.slug == s.slug))
    if clash is not None and (provider is None or clash != provider.id):
        raise AccountError(f"The short name {s.slug} is already used by another provider.")
    if (problem := oidc.url_problem(s.issuer)) is not None:
        raise AccountError(problem)
    if provider is None and not s.client_secret:
        raise AccountError("Enter the client secret the provider gave you.")
    if not s.allowed_orgs:
        raise AccountError("Choose at least one organisation whose people may use this provider.")
    if s.allow_provisioning and (s.default_org is None or s.default_org not in s.allowed_orgs):
        raise AccountError("New accounts need a default organisation, one of the allowed organisations.")
    created = provider is None
    if created:
        provider = IdentityProvider()
        db.session.add(provider)
    else:
        oidc.forget(provider)
    provider.slug, provider.name, provider.issuer = s.slug, s.name.strip(), s.issuer.strip()
    provider.client_id, provider.enabled = s.client_id.strip(), s.enabled
    if s.client_secret:
        provider.client_secret = s.client_secret
    provider.allowed_orgs = list(s.allowed_orgs)
    provider.allow_email_link, provider.allow_provisioning = s.allow_email_link, s.allow_provisioning
    provider.default_org_id = s.default_org.id if s.default_org else None
    provider.trust_mfa, provider.mfa_acr_values = s.trust_mfa, " ".join(s.mfa_acr_values.split())
    db.session.flush()
    audit.record("sso.provider_created" if created else "sso.provider_updated", actor=actor,
                 target=("sso_providers", provider.id),
                 details={"slug": provider.slug, "name": provider.name, "issuer": provider.issuer,
                          "client_id": provider.client_id, "enabled": provider.enabled,
                          "orgs": [o.code for o in provider.allowed_orgs],
                          "allow_email_link": provider.allow_email_link,
                          "allow_provisioning": provider.allow_provisioning,
                          "default_org": s.default_org.code if s.default_org else None,
                          "trust_mfa": provider.trust_mfa, "mfa_acr_values": provider.mfa_acr_values,
                          "secret_changed": bool(s.client_secret)})
    return provider
