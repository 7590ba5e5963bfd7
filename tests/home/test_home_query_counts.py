"""The home page runs the same number of SQL statements on ten times the data, for a delegate and for ASEC."""
from __future__ import annotations

from aocp.accounts import invitations
from aocp.extensions import db
from aocp.meetings.models import Decision
from tests.conftest import org, sign_in
from tests.home.test_meeting_panels import count_of, panel
from tests.meetings.conftest import counted, make_doc, page, schedule, user
from tests.meetings.test_action_items import action


def _add(app, people, start: int, n: int) -> None:
    """n more of everything a panel reads: meetings ahead with reports, action items, documents, decisions,
    nominations."""
    with app.app_context():
        for i in range(start, start + n):
            m = schedule(people["chair"], "WGTIM", 5 + i % 25, number=100 + i)
            make_doc(people["tha"], f"Thai report {i}", doc_type="country_report", meeting_id=m)
            make_doc(people["chair"], f"Paper {i}")
            action(m, f"Item {i}", owner_org="THA", due_in=i % 7 - 3, actor=people["chair"])
            db.session.add(Decision(meeting_id=m, text=f"Decision {i}"))
            invitations.invite(user(people["tha_focal"]), f"n{i}@example.org", f"Nominee {i}", org("THA"),
                               "delegate", [])
        db.session.commit()


def _statements(app, client, path: str = "/") -> int:
    with counted(app) as seen:
        page(client, path)
    return len(seen)


def test_the_home_page_costs_the_same_on_ten_times_the_data(app, client, people, meeting):
    _add(app, people, 0, 2)
    small = {}
    for who in ("tha", "staff", "tha_focal"):
        sign_in(app, client, people[who])
        small[who] = _statements(app, client)
    _add(app, people, 2, 18)
    for who in ("tha", "staff", "tha_focal"):
        sign_in(app, client, people[who])
        html = page(client, "/")
        assert _statements(app, client) == small[who], who
        if who == "tha":
            assert count_of(panel(html, "meetings")) == 21 and count_of(panel(html, "actions")) == 20
        if who == "staff":
            assert count_of(panel(html, "readiness")) == 20  # MYS has filed none of them
    sign_in(app, client, people["tha"])
    assert _statements(app, client, "/meetings/upcoming") == _statements(app, client, "/meetings/upcoming?page=2")
