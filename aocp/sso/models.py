"""OpenID Connect identity providers and the identities people hold with them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.orgs.models import Organisation
from aocp.timeutil import utcnow

# Which organisations' people may sign in through a provider: none unless listed.
provider_orgs = Table(
    "sso_provider_orgs", db.metadata,
    Column("provider_id", ForeignKey("sso_providers.id", ondelete="CASCADE"), primary_key=True),
    Column("org_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)

# Values of the ID token's `amr` claim (RFC 8176) that mean a second factor was used at the provider.
MFA_AMR = frozenset({"mfa", "otp", "hwk", "swk", "sms", "fido"})


class IdentityProvider(db.Model):
    """An OpenID Connect provider configured by ASEC. The client secret is stored as given: protect the database."""
    __tablename__ = "sso_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)  # in the redirect URI: /auth/sso/<slug>/callback
    name: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret: Mapped[str] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(default=True)
    allow_email_link: Mapped[bool] = mapped_column(default=False)
    allow_provisioning: Mapped[bool] = mapped_column(default=False)
    default_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    trust_mfa: Mapped[bool] = mapped_column(default=False)
    mfa_acr_values: Mapped[str] = mapped_column(Text, default="")  # space-separated `acr` values that mean MFA
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    default_org: Mapped[Organisation | None] = relationship()
    allowed_orgs: Mapped[list[Organisation]] = relationship(secondary=provider_orgs, lazy="selectin",
                                                            order_by=Organisation.code)

    def allows(self, org_id: int) -> bool:
        return any(o.id == org_id for o in self.allowed_orgs)

    def asserts_mfa(self, claims: dict) -> bool:
        """True when this provider is trusted for MFA and the token says a second factor was used."""
        if not self.trust_mfa:
            return False
        amr = claims.get("amr") or []
        if isinstance(amr, list) and MFA_AMR.intersection(a for a in amr if isinstance(a, str)):
            return True
        acr = claims.get("acr")
        return isinstance(acr, str) and acr in self.mfa_acr_values.split()

    def __repr__(self) -> str:
        return f"<IdentityProvider {self.slug}>"


class SsoIdentity(db.Model):
    """A person's identity at a provider, keyed by (issuer, subject) as OpenID Connect requires, never by email."""
    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_sso_identities_issuer_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("sso_providers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(254), default="")  # as the provider last gave it, for display
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    provider: Mapped[IdentityProvider] = relationship(lazy="joined", innerjoin=True)
    user: Mapped[User] = relationship()
