"""The paper field of the meeting page: suggestions as a contributor types a title, and what a typed title, number
or suggestion resolves to when the paper is attached."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from aocp.extensions import db
from aocp.meetings.models import AgendaItem, AgendaPaper
from tests.conftest import post_form, sign_in
from tests.meetings.conftest import make_doc


def suggestions(client, meeting: int, **args):
    return client.get(f"/meetings/{meeting}/documents", query_string=args)


def attach(client, meeting: int, typed: str):
    url = f"/meetings/{meeting}"
    item = db.session.execute(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting)
                              .order_by(AgendaItem.position)).scalars().first()
    return post_form(client, f"{url}/papers", {"paper-item": str(item), "paper-document": typed}, page=url)


def attached() -> set[int]:
    return set(db.session.execute(select(AgendaPaper.document_id)).scalars())


def test_this_meetings_papers_come_first_then_its_bodys_then_any_other_the_person_may_open(app, client, people,
                                                                                            meeting):
    with app.app_context():
        other = make_doc(people["chair"], "Nickel study (JWG)", level="asean", access_body=None, body_code="JWG")
        body_paper = make_doc(people["mys"], "Nickel value chain (WGTIM)")
        this = make_doc(people["tha"], "Nickel roadmap for this meeting", meeting_id=meeting)
    sign_in(app, client, people["mys"])
    r = suggestions(client, meeting, q="  nickel ")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert [d["id"] for d in r.get_json()["documents"]] == [this, body_paper, other]
    assert r.get_json()["documents"][0]["value"] == f"Nickel roadmap for this meeting (#{this})"
    # A document of another body is attached as easily: it keeps its own access level.
    with app.app_context():
        assert attach(client, meeting, f"Nickel study (JWG) (#{other})").status_code == 302
        assert attached() == {other}


def test_at_most_ten_suggestions_and_percent_and_underscore_are_matched_literally(app, client, people, meeting):
    with app.app_context():
        for n in range(12):
            make_doc(people["mys"], f"Tin paper {n:02}")
        make_doc(people["mys"], "Tin 100% recycled")
    sign_in(app, client, people["mys"])
    answer = suggestions(client, meeting, q="tin paper").get_json()
    assert len(answer["documents"]) == 10 and answer["more"] is True
    assert [d["title"] for d in suggestions(client, meeting, q="0%").get_json()["documents"]] == ["Tin 100% recycled"]
    assert suggestions(client, meeting, q="_").get_json()["documents"] == []


def test_a_whole_title_or_a_number_is_resolved_and_namesakes_must_be_told_apart(app, client, people, meeting):
    with app.app_context():
        first = make_doc(people["mys"], "Country report")
        second = make_doc(people["mys"], "Country report")
        single = make_doc(people["mys"], "Tin market outlook 2026")
    sign_in(app, client, people["mys"])
    with app.app_context():
        r = attach(client, meeting, "country REPORT")
        assert r.status_code == 400 and "Several documents are called “country REPORT”" in r.get_data(as_text=True)
        assert attached() == set()
        assert attach(client, meeting, "  tin market   OUTLOOK 2026 ").status_code == 302
        assert attach(client, meeting, f"#{second}").status_code == 302
        assert attach(client, meeting, f"Country report (#{first})").status_code == 302
        assert attached() == {single, second, first}


def test_a_title_that_ends_like_a_suggestion_names_its_own_document(app, client, people, meeting):
    with app.app_context():
        other = make_doc(people["mys"], "Tin roadmap")
        tricky = make_doc(people["mys"], f"Agenda notes (#{other})")
    sign_in(app, client, people["mys"])
    with app.app_context():
        assert attach(client, meeting, f"agenda NOTES (#{other})").status_code == 302  # its whole title
        assert attached() == {tricky}
        assert attach(client, meeting, f"Tin roadmap (#{tricky})").status_code == 400  # title and number disagree
        assert attached() == {tricky}


@pytest.mark.parametrize("typed, told", [
    ("", "Type part of a document&#39;s title and pick one."),
    ("   ", "Type part of a document&#39;s title and pick one."),
    ("x" * 321, "Type part of a document&#39;s title and pick one of the suggestions."),
    ("99999999999", "No document you may open is called “99999999999”"),
    ("4294967296", "No document you may open is called “4294967296”"),
    ("#2147483647", "No document you may open has the number 2147483647."),
    ("Nothing like this (#abc)", "No document you may open is called “Nothing like this (#abc)”"),
])
def test_bad_input_is_refused_on_the_field_and_attaches_nothing(app, client, people, meeting, typed, told):
    sign_in(app, client, people["mys"])
    with app.app_context():
        r = attach(client, meeting, typed)
        assert r.status_code == 400 and told in r.get_data(as_text=True)
        assert 'id="paper-document-err"' in r.get_data(as_text=True) and attached() == set()


@pytest.mark.parametrize("args", [{}, {"q": "   "}, {"q": "x" * 321}])
def test_bad_suggestion_requests_get_a_json_error(app, client, people, meeting, args):
    sign_in(app, client, people["mys"])
    r = suggestions(client, meeting, **args)
    assert r.status_code == 400 and r.mimetype == "application/json"
    assert r.get_json()["error"]["code"] == "bad_request" and r.get_json()["error"]["message"]


@pytest.mark.parametrize("who, status", [("observer", 403), ("outsider", 404)])
def test_only_those_who_may_contribute_get_suggestions(app, client, people, meeting, who, status):
    with app.app_context():
        make_doc(people["mys"], "Open nickel paper", level="everyone", access_body=None)
    sign_in(app, client, people[who])
    r = suggestions(client, meeting, q="nickel")
    assert r.status_code == status and "Open nickel paper" not in r.get_data(as_text=True)


def test_suggestions_for_an_unknown_meeting_are_404_and_signed_out_visitors_sign_in(app, client, people, meeting):
    r = suggestions(client, meeting, q="nickel")
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]
    sign_in(app, client, people["staff"])
    assert suggestions(client, meeting + 1000, q="nickel").status_code == 404
