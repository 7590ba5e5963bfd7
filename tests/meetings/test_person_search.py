"""The person field of the meeting page: suggestions as the chair types, and who may ask for them."""
from __future__ import annotations

import pytest

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.meetings import person_search
from aocp.meetings.models import Meeting
from tests.conftest import sign_in


def suggestions(client, meeting: int, **args):
    return client.get(f"/meetings/{meeting}/people", query_string=args)


def test_the_chair_gets_suggestions_of_members_not_yet_invited(app, client, people, meeting, make_user):
    late = make_user("delegate", "VNM", "lan@example.org", {"WGTIM": "member"}, name="Lan Nguyen")
    make_user("delegate", "VNM", "ex@example.org", {"WGSMD": "member"}, name="Lan Elsewhere")
    sign_in(app, client, people["chair"])
    r = suggestions(client, meeting, **{"for": "invite", "q": "LAN"})
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.get_json() == {"people": [{"id": late, "name": "Lan Nguyen", "org": "VNM", "value": "Lan Nguyen (VNM)"}],
                            "more": False}
    # Already invited: not suggested for an invitation, but may own an action item.
    assert suggestions(client, meeting, **{"for": "invite", "q": "hafiz"}).get_json()["people"] == []
    owners = suggestions(client, meeting, **{"for": "owner", "q": "hafiz"}).get_json()["people"]
    assert [p["id"] for p in owners] == [people["mys"]]


def test_an_email_is_matched_from_its_start_and_never_shown(app, client, people, meeting):
    sign_in(app, client, people["chair"])
    found = suggestions(client, meeting, **{"for": "owner", "q": "focal.T"}).get_json()["people"]
    assert [p["name"] for p in found] == ["Nok Focal"] and "example.org" not in str(found)
    assert suggestions(client, meeting, **{"for": "owner", "q": "example.org"}).get_json()["people"] == []


def test_at_most_ten_suggestions_and_percent_is_matched_literally(app, client, people, meeting, make_user):
    for n in range(12):
        make_user("delegate", "IDN", f"budi{n}@example.org", {"WGTIM": "member"}, name=f"Budi {n:02}")
    sign_in(app, client, people["chair"])
    answer = suggestions(client, meeting, **{"for": "invite", "q": "budi"}).get_json()
    assert [p["name"] for p in answer["people"]] == [f"Budi {n:02}" for n in range(10)] and answer["more"] is True
    assert suggestions(client, meeting, **{"for": "invite", "q": "%"}).get_json()["people"] == []


def test_namesakes_are_told_apart_by_email(app, client, people, meeting, make_user):
    make_user("delegate", "VNM", "minh.a@example.org", {"WGTIM": "member"}, name="Minh Tran")
    make_user("delegate", "VNM", "minh.b@example.org", {"WGTIM": "member"}, name="Minh Tran")
    sign_in(app, client, people["chair"])
    found = suggestions(client, meeting, **{"for": "invite", "q": "minh"}).get_json()["people"]
    assert sorted(p["value"] for p in found) == ["Minh Tran <minh.a@example.org>", "Minh Tran <minh.b@example.org>"]


@pytest.mark.parametrize("args", [{"q": "lan"}, {"for": "everyone", "q": "lan"}, {"for": "invite"},
                                  {"for": "invite", "q": "   "}, {"for": "owner", "q": "x" * 321}])
def test_bad_input_gets_a_json_error(app, client, people, meeting, args):
    sign_in(app, client, people["chair"])
    r = suggestions(client, meeting, **args)
    assert r.status_code == 400 and r.mimetype == "application/json"
    assert r.get_json()["error"]["code"] == "bad_request" and r.get_json()["error"]["message"]


@pytest.mark.parametrize("who, status", [("mys", 403), ("observer", 403), ("outsider", 404)])
def test_only_those_who_manage_the_meeting_get_suggestions(app, client, people, meeting, who, status):
    sign_in(app, client, people[who])
    r = suggestions(client, meeting, **{"for": "owner", "q": "nok"})
    assert r.status_code == status and r.mimetype == "text/html" and "Nok Focal" not in r.get_data(as_text=True)


def test_asec_staff_get_suggestions_and_an_unknown_meeting_is_404(app, client, people, meeting):
    sign_in(app, client, people["staff"])
    assert suggestions(client, meeting, **{"for": "owner", "q": "nok"}).get_json()["people"][0]["name"] == "Nok Focal"
    assert suggestions(client, meeting + 1000, **{"for": "owner", "q": "nok"}).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, meeting):
    r = suggestions(client, meeting, **{"for": "owner", "q": "nok"})
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]


def test_the_organisations_offered_for_invitation_are_those_of_members_not_yet_invited(app, people, meeting,
                                                                                         make_user):
    # The WGTIM members of the fixture (Malaysia, Thailand, Japan…) were invited when the meeting was scheduled.
    make_user("delegate", "VNM", "lan@example.org", {"WGTIM": "member"})  # a member not yet invited
    gone = make_user("delegate", "IDN", "gone@example.org", {"WGTIM": "member"})  # not active
    make_user("delegate", "KHM", "elsewhere@example.org", {"WGSMD": "member"})  # another body's member
    with app.app_context():
        db.session.get(User, gone).status = "deactivated"
        db.session.commit()
        m = db.session.get(Meeting, meeting)
        eligible = sorted({r.org for r in db.session.execute(person_search.eligible(m, "invite"))})
        assert person_search.invitable_orgs(m) == eligible == ["VNM"]
