"""Fixtures for the administration console: a signed-in ASEC administrator and helpers to act as others."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from aocp.audit import AuditEntry
from aocp.extensions import db
from tests.conftest import sign_in

ADMIN_EMAIL = "admin@asec.example.org"




def new_client(app, user_id: int | None = None):
    """A separate browser, signed in as `user_id` when given."""
    other = app.test_client()
    if user_id is not None:
        sign_in(app, other, user_id)
    return other


def entries(app, action: str | None = None) -> list[AuditEntry]:
    """Audit entries (oldest first), optionally of one action, detached for reading after the context ends."""
    with app.app_context():
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        rows = db.session.execute(stmt).scalars().all()
        db.session.expunge_all()
        return rows


def org_id(app, code: str) -> int:
    from aocp.orgs.models import Organisation
    with app.app_context():
        return db.session.execute(select(Organisation.id).where(Organisation.code == code)).scalar_one()


def body_id(app, code: str) -> int:
    from aocp.orgs.models import Body
    with app.app_context():
        return db.session.execute(select(Body.id).where(Body.code == code)).scalar_one()


@pytest.fixture
def admin_id(make_user):
    return make_user("asec_admin", email=ADMIN_EMAIL, name="Ayu Admin", mfa_on=True)


@pytest.fixture
def admin(app, client, admin_id):
    """The `client` signed in as an ASEC administrator (password and TOTP code)."""
    sign_in(app, client, admin_id)
    return client
