"""Fixtures for the JSON API: personal access tokens and a snapshot of the data the API can change."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from aocp.accounts import services
from aocp.accounts.models import ApiToken, Invitation, User
from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.orgs.models import Membership
from aocp.timeutil import utcnow


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The API's stable error shape: {"error": {"status", "code", "message", [fields]}}."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    data = response.get_json()
    assert set(data) == {"error"}
    error = data["error"]
    assert {"status", "code", "message"} <= set(error)
    assert set(error) <= {"status", "code", "message", "fields"}
    assert error["status"] == status
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


@pytest.fixture
def make_token(app):
    """make_token(user_id, scope='write', days=None) -> the raw bearer token."""
    def make(user_id: int, scope: str = "write", days: int | None = None) -> str:
        with app.app_context():
            user = db.session.get(User, user_id)
            _, raw = services.create_token(user, "tests", scope, days)
            db.session.commit()
            return raw
    return make


@pytest.fixture
def admin(make_user):
    return make_user("asec_admin", email="admin@example.org", mfa_on=True)


@pytest.fixture
def admin_headers(admin, make_token):
    return bearer(make_token(admin, "write"))


@pytest.fixture
def snapshot(app):
    """A picture of every row the API's write endpoints could touch (tokens' last-used time aside)."""
    def take() -> dict:
        with app.app_context():
            db.session.expire_all()
            users = db.session.execute(select(User).order_by(User.id)).scalars()
            memberships = db.session.execute(select(Membership).order_by(Membership.id)).scalars()
            invitations = db.session.execute(select(Invitation).order_by(Invitation.id)).scalars()
            return {
                "users": [(u.id, u.email, u.name, u.org_id, u.role, u.status) for u in users],
                "memberships": [(m.id, m.user_id, m.body_id, m.role) for m in memberships],
                "invitations": [(i.id, i.email, i.status, i.role) for i in invitations],
                "changes": db.session.scalar(select(db.func.count(AuditEntry.id))
                                             .where(AuditEntry.action != "access.denied")),
            }
    return take


def expire_token(app, raw: str) -> None:
    from aocp.accounts.tokens import digest
    with app.app_context():
        token = db.session.execute(select(ApiToken).where(ApiToken.token_hash == digest(raw))).scalar_one()
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
