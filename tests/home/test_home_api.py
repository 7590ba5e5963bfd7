"""The home page's lists in the API: meetings ahead and what is new answer what the pages show, to the same
people, and refuse bad filters with a JSON 400."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from aocp.accounts import services
from aocp.accounts.models import User
from aocp.extensions import db
from aocp.timeutil import utcnow
from tests.home.test_meeting_panels import list_total
from tests.meetings.conftest import make_doc, schedule, user


def _bearer(app, uid: int) -> dict:
    with app.app_context():
        _, token = services.create_token(user(uid), "home", "read")
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_meetings_ahead_answer_as_the_page_does(app, client, people, meeting):
    from tests.conftest import sign_in
    with app.app_context():
        schedule(people["chair"], "WGTIM", 120, number=40)  # beyond the 90 days ahead
        schedule(people["staff"], "WGSMD", 10, number=9)  # a body the Thai delegate is not in
    tha = _bearer(app, people["tha"])
    listed = client.get("/api/v1/meetings/upcoming", headers=tha).get_json()
    sign_in(app, client, people["tha"])
    assert listed["total"] == list_total(client, "/meetings/upcoming") == 1
    [row] = listed["items"]
    assert (row["id"], row["body"], row["my_member_state_report"]) == (meeting, "WGTIM", "missing")
    assert row["readiness"]["expected"] >= 1 and row["agenda_published"] is False
    assert client.get("/api/v1/meetings/upcoming?days=150", headers=tha).get_json()["total"] == 2
    outsider = client.get("/api/v1/meetings/upcoming", headers=_bearer(app, people["outsider"])).get_json()
    assert meeting not in {m["id"] for m in outsider["items"]}


@pytest.mark.parametrize("query", ["days=0", "days=367", "days=soon", "body=NOPE", "body=WGSMD",
                                   "readiness=above", "page=0"])
def test_bad_filters_on_meetings_ahead_are_a_json_400(app, client, people, meeting, query):
    r = client.get(f"/api/v1/meetings/upcoming?{query}", headers=_bearer(app, people["tha"]))
    assert r.status_code == 400 and r.get_json()["error"]


def test_news_lists_what_is_new_since_the_last_visit_and_only_what_one_may_open(app, client, people, meeting):
    with app.app_context():
        db.session.execute(update(User).where(User.id == people["tha"])
                           .values(seen_up_to=utcnow() - timedelta(hours=1)))
        db.session.commit()
        make_doc(people["chair"], "New WGTIM paper")
        make_doc(people["outsider"], "WGSMD paper", access_body="WGSMD", body_code="WGSMD")
    tha = _bearer(app, people["tha"])
    listed = client.get("/api/v1/news", headers=tha).get_json()
    assert [(i["kind"], i["title"]) for i in listed["items"]] == [("document", "New WGTIM paper")]
    assert listed["items"][0]["url"].startswith("/documents/")
    assert client.get("/api/v1/news?kind=decision", headers=tha).get_json()["total"] == 0
    r = client.get("/api/v1/news?kind=gossip", headers=tha)
    assert r.status_code == 400 and "kind" in r.get_json()["error"]["message"]
