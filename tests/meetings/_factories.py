"""Test data for the minutes, calendar and export tests: one person per part they play, and a WGTIM meeting."""
from __future__ import annotations

import re
from datetime import date, timedelta

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.meetings import services
from aocp.meetings.models import Meeting
from tests.conftest import body, org

# role, organisation, email, body memberships, name
CAST = {
    "chair": ("focal_person", "MYS", "chair@example.org", {"WGTIM": "chair"}, "Aminah binti Hassan"),
    "member": ("delegate", "THA", "member@example.org", {"WGTIM": "member"}, "สมชาย ใจดี"),
    "body_observer": ("delegate", "VNM", "watcher@example.org", {"WGTIM": "observer"}, "Nguyễn Thị Hồng"),
    "partner": ("observer", "JPN", "partner@example.org", {"WGTIM": "observer"}, "Kenji Sato"),
    "outsider": ("delegate", "KHM", "outsider@example.org", {"WGSMD": "member"}, "សុខ សុភាព"),
    "staff": ("asec_staff", "ASEC", "staff@example.org", {}, "Sari Staff"),
    "admin": ("asec_admin", "ASEC", "admin@example.org", {}, "Ayu Admin"),
}


def make_people(make_user) -> dict[str, int]:
    """Ids by part played: WGTIM's chair, a member, a member state's observer in the body, a partner observer,
    a delegate of another body, ASEC staff and an ASEC administrator."""
    return {part: make_user(role, org_code=code, email=email, bodies=bodies, name=name,
                            mfa_on=role == "asec_admin")
            for part, (role, code, email, bodies, name) in CAST.items()}


def user(uid: int) -> User:
    return db.session.get(User, uid)


def make_meeting(app, chair_id: int, code: str = "WGTIM", **kw) -> int:
    """A meeting scheduled through the service (Bangkok time, two agenda items), committed; returns its id."""
    with app.app_context():
        start = kw.pop("starts_on", date.today() + timedelta(days=30))
        details = services.MeetingDetails(
            starts_on=start, ends_on=kw.pop("ends_on", start + timedelta(days=1)),
            start_time=kw.pop("start_time", "09:30"), timezone=kw.pop("timezone", "Asia/Bangkok"),
            host=org(kw.pop("host", "THA")), venue=kw.pop("venue", "Centara Grand, Bangkok"), **kw)
        meeting = services.create_meeting(user(chair_id), body(code), details)
        chair = user(chair_id)
        services.add_item(chair, meeting, "Adoption of the agenda", "Chair", 10)
        services.add_item(chair, meeting, "Country reports", "Member States", 60)
        db.session.commit()
        return meeting.id


def meeting_of(meeting_id: int) -> Meeting:
    return db.session.get(Meeting, meeting_id)




def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page) or \
        re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden {name} on the page"
    return match.group(1)
