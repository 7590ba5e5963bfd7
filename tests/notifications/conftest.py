"""People in the WGTIM workspace and helpers to schedule meetings and read what they were told."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.meetings import services as meetings
from aocp.notifications.models import Notification, QueuedEmail
from tests.conftest import body


@pytest.fixture
def people(make_user):
    """ids by name: a WGTIM chair, members, an observer, a person outside WGTIM, and ASEC."""
    return {
        "admin": make_user("asec_admin", email="admin@asec.example.org", mfa_on=True, name="Ayu Admin"),
        "staff": make_user("asec_staff", email="staff@asec.example.org", name="Sari Staff"),
        "chair": make_user("focal_person", org_code="MYS", email="chair@example.gov.my", name="Aminah Chair",
                           bodies={"WGTIM": "chair"}),
        "member": make_user("delegate", org_code="MYS", email="member@example.gov.my", name="Hafiz Member",
                            bodies={"WGTIM": "member"}),
        "yangon": make_user("delegate", org_code="MMR", email="yangon@example.gov.mm", name="Aung Yangon",
                            bodies={"WGTIM": "member"}),
        "observer": make_user("observer", org_code="JPN", email="observer@example.go.jp", name="Kenji Observer",
                              bodies={"WGTIM": "observer"}),
        "outsider": make_user("delegate", org_code="THA", email="outsider@example.go.th", name="Somchai Outsider",
                              bodies={"WGSMD": "member"}),
    }


def user(uid: int) -> User:
    return db.session.get(User, uid)


def schedule(chair_id: int, code: str = "WGTIM", starts_in: int = 30, deadline_in: int | None = None, **extra):
    """Schedule a meeting as `chair_id` (its body's members are invited) and commit."""
    starts = date.today() + timedelta(days=starts_in)
    details = meetings.MeetingDetails(starts_on=starts, ends_on=starts + timedelta(days=1), start_time="09:00",
                                      timezone="Asia/Jakarta", venue="Kuala Lumpur Convention Centre",
                                      paper_deadline=date.today() + timedelta(days=deadline_in)
                                      if deadline_in is not None else None, **extra)
    meeting = meetings.create_meeting(user(chair_id), body(code), details)
    db.session.commit()
    return meeting


def notes(kind: str | None = None, recipient: int | None = None) -> list[Notification]:
    stmt = select(Notification).order_by(Notification.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    if recipient:
        stmt = stmt.where(Notification.recipient_id == recipient)
    return list(db.session.execute(stmt).scalars())


def recipients(kind: str) -> set[int]:
    return {n.recipient_id for n in notes(kind)}


def queued(to: str | None = None) -> list[QueuedEmail]:
    stmt = select(QueuedEmail).order_by(QueuedEmail.id)
    if to:
        stmt = stmt.where(QueuedEmail.to_address == to)
    return list(db.session.execute(stmt).scalars())
