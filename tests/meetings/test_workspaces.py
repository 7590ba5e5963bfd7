"""The list of workspaces and a body's workspace page, for every role."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from aocp.extensions import db
from aocp.meetings import assignments, services
from aocp.meetings.models import ActionItem, Meeting
from aocp.orgs.models import Body, Membership
from tests.conftest import body, org, sign_in
from tests.meetings.conftest import counted, make_doc, page, schedule, soon, user


def test_a_member_sees_only_the_workspaces_of_their_bodies(app, client, people, meeting):
    sign_in(app, client, people["mys"])
    html = page(client, "/workspaces/")
    assert "/workspaces/WGTIM" in html and "Working Group on Trade and Investment in Minerals" in html
    assert "/workspaces/WGSMD" not in html and "/workspaces/JWG" not in html


def test_the_list_shows_the_next_meeting_and_the_open_action_count(app, client, people, meeting):
    with app.app_context():
        m = db.session.get(Meeting, meeting)
        for title in ("Circulate the tin study", "Update the trade database"):
            assignments.add_action(user(people["chair"]), m.body, assignments.ActionDetails(title, owner_org=org("THA")), m)
        closed = assignments.add_action(user(people["chair"]), m.body,
                                     assignments.ActionDetails("Done", owner_org=org("MYS")))
        assignments.set_action_status(user(people["chair"]), closed, "done")
        schedule(people["chair"], starts_in=90, number=22)  # later than the 21st: not the next one
        db.session.commit()
    sign_in(app, client, people["tha"])
    html = page(client, "/workspaces/")
    row = html[html.index("/workspaces/WGTIM"):]
    row = row[:row.index("</tr>")]
    assert "21st WGTIM Meeting" in row and "22nd" not in row
    assert 'href="/actions/?body=WGTIM">2</a>' in row


def test_asec_sees_every_workspace(app, client, people):
    sign_in(app, client, people["staff"])
    html = page(client, "/workspaces/")
    with app.app_context():
        codes = db.session.execute(select(Body.code)).scalars().all()
    assert len(codes) == 9
    for code in codes:
        assert f"/workspaces/{code}\"" in html


def test_someone_in_no_body_is_told_so(app, client, make_user):
    sign_in(app, client, make_user("delegate", "VNM", "lonely@example.org"))
    assert "You are not a member of any body yet" in page(client, "/workspaces/")


def test_the_navigation_links_to_workspaces_and_action_items(app, client, people):
    sign_in(app, client, people["observer"])
    html = page(client, "/")
    assert 'href="/workspaces/"' in html and 'href="/actions/"' in html


def test_the_workspace_shows_description_members_meetings_and_actions(app, client, people, meeting):
    with app.app_context():
        m = db.session.get(Meeting, meeting)
        assignments.add_action(user(people["chair"]), m.body, assignments.ActionDetails("Send tin export figures",
                                                                                 owner_org=org("THA")), m)
        db.session.commit()
    sign_in(app, client, people["tha"])
    html = page(client, "/workspaces/WGTIM")
    assert "Programme area 1: facilitating and enhancing trade and investment in minerals." in html
    assert "Aminah Chair" in html and "Kenji Observer" in html and ">chair<" in html and ">observer<" in html
    assert "21st WGTIM Meeting" in html and "Send tin export figures" in html
    assert "Schedule a meeting" not in html  # a member contributes, the chair manages


def test_a_big_working_group_shows_its_chairs_first_and_links_to_every_member_page_by_page(
        app, client, people, make_user):
    for n in range(60):
        make_user("delegate", "IDN" if n % 2 else "VNM", email=f"wg{n:02}@example.org", name=f"Zz Member {n:02}",
                  bodies={"WGTIM": "member"})
    sign_in(app, client, people["tha"])
    html = page(client, "/workspaces/WGTIM")
    assert html.count("<td>Zz Member") + html.count("Aminah Chair") <= 12 and "Aminah Chair" in html  # chairs first
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Membership).where(
            Membership.body_id == body("WGTIM").id))
    assert f"All {total} members of WGTIM, by delegation" in html
    first, second = page(client, "/workspaces/WGTIM/members"), page(client, "/workspaces/WGTIM/members?page=2")
    names = [f"Zz Member {n:02}" for n in range(60)]
    assert all((name in first) != (name in second) for name in names)  # each person on exactly one page
    assert "Aminah Chair" in first and f"Page 1 of 2 ({total} in all)" in first
    assert "Indonesia (IDN)</td><td>30<" in first and "Viet Nam (VNM)</td><td>30<" in first


def test_the_members_page_costs_the_same_queries_with_more_members(app, client, people, make_user):
    sign_in(app, client, people["tha"])
    with counted(app) as few:
        assert client.get("/workspaces/WGTIM/members").status_code == 200
    for n in range(80):
        make_user("delegate", "PHL", email=f"more{n}@example.org", bodies={"WGTIM": "member"})
    with counted(app) as many:
        assert "Philippines (PHL)</td><td>80<" in page(client, "/workspaces/WGTIM/members")
    assert len(many) == len(few), (len(few), len(many))


def test_past_meetings_are_paginated(app, client, people):
    with app.app_context():
        for n in range(1, 13):
            services.create_meeting(user(people["chair"]), body("WGTIM"), services.MeetingDetails(
                starts_on=soon(-400 + n * 20), ends_on=soon(-400 + n * 20), number=n))
        db.session.commit()
    sign_in(app, client, people["mys"])
    first = page(client, "/workspaces/WGTIM")
    assert "12th WGTIM Meeting" in first and "3rd WGTIM Meeting" in first and "2nd WGTIM Meeting" not in first
    assert "Page 1 of 2" in first
    second = page(client, "/workspaces/WGTIM?page=2")
    assert "2nd WGTIM Meeting" in second and "1st WGTIM Meeting" in second and "12th" not in second


def test_recent_documents_show_only_what_the_viewer_may_open(app, client, people):
    with app.app_context():
        make_doc(people["mys"], "Tin market outlook", level="body", access_body="WGTIM")
        make_doc(people["mys"], "ASEAN-only trade note", level="asean", access_body=None)
        make_doc(people["staff"], "WGSMD-only paper filed under WGTIM", level="body", access_body="WGSMD")
    sign_in(app, client, people["observer"])  # JPN: a WGTIM observer, not ASEAN
    html = page(client, "/workspaces/WGTIM")
    assert "Tin market outlook" in html
    assert "ASEAN-only trade note" not in html and "WGSMD-only paper" not in html
    other = app.test_client()
    sign_in(app, other, people["tha"])
    html = page(other, "/workspaces/WGTIM")
    assert "Tin market outlook" in html and "ASEAN-only trade note" in html and "WGSMD-only paper" not in html


@pytest.mark.parametrize("who", ["chair", "staff", "admin"])
def test_managers_see_the_button_to_schedule_a_meeting(app, client, people, who):
    sign_in(app, client, people[who])
    html = page(client, "/workspaces/WGTIM")
    assert 'href="/workspaces/WGTIM/meetings/new"' in html


@pytest.mark.parametrize("who", ["mys", "tha_focal", "observer"])
def test_members_and_observers_see_the_workspace_but_cannot_schedule(app, client, people, who):
    sign_in(app, client, people[who])
    html = page(client, "/workspaces/WGTIM")
    assert "/meetings/new" not in html
    assert client.get("/workspaces/WGTIM/meetings/new").status_code == 403


def test_a_non_member_gets_404_for_the_workspace_and_its_pages(app, client, people, meeting):
    sign_in(app, client, people["outsider"])
    assert client.get("/workspaces/WGTIM").status_code == 404
    assert client.get("/workspaces/wgtim").status_code == 404
    assert client.get("/workspaces/WGTIM/meetings/new").status_code == 404
    assert client.get("/workspaces/WGTIM/members").status_code == 404
    assert client.get(f"/meetings/{meeting}").status_code == 404
    assert client.get("/workspaces/WGSMD").status_code == 200  # their own body


def test_an_unknown_workspace_is_404(app, client, people):
    sign_in(app, client, people["staff"])
    assert client.get("/workspaces/NOPE").status_code == 404
    assert client.get("/workspaces/" + "X" * 300).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, people):
    for url in ("/workspaces/", "/workspaces/WGTIM", "/workspaces/WGTIM/members", "/actions/"):
        r = client.get(url)
        assert r.status_code == 302 and "/login?next=" in r.headers["Location"]


def _more_wgtim(app, people, start: int, past: int, upcoming: int, docs: int) -> None:
    """Past meetings, upcoming meetings each with two action items, and papers, numbered from `start`."""
    with app.app_context():
        chair = user(people["chair"])
        for n in range(start, start + past):
            services.create_meeting(chair, body("WGTIM"), services.MeetingDetails(
                starts_on=soon(-1000 + n * 10), ends_on=soon(-1000 + n * 10), number=n, host=org("MYS")))
        for n in range(start + past, start + past + upcoming):
            m = services.create_meeting(chair, body("WGTIM"), services.MeetingDetails(
                starts_on=soon(n * 10), ends_on=soon(n * 10), number=n, host=org("THA")))
            assignments.add_action(chair, body("WGTIM"), assignments.ActionDetails(f"Task {n}", owner_user=chair), m)
            assignments.add_action(chair, body("WGTIM"), assignments.ActionDetails(f"Task b{n}", owner_org=org("THA")), m)
        db.session.commit()
        for n in range(docs):
            make_doc(people["mys"], f"Paper {start}-{n}")


def test_the_workspace_page_costs_the_same_queries_with_more_meetings(app, client, people, meeting):
    _more_wgtim(app, people, 30, past=11, upcoming=1, docs=1)  # enough for a second page of past meetings
    sign_in(app, client, people["tha"])
    with counted(app) as few:
        assert client.get("/workspaces/WGTIM").status_code == 200
    _more_wgtim(app, people, 100, past=15, upcoming=6, docs=8)
    with counted(app) as many:
        html = client.get("/workspaces/WGTIM").get_data(as_text=True)
    assert "120th WGTIM Meeting" in html and "Task b120" in html and "Paper 100-7" in html
    assert len(many) == len(few), (len(few), len(many))


def test_the_workspace_list_costs_the_same_queries_with_more_meetings(app, client, people, meeting):
    sign_in(app, client, people["staff"])
    client.get("/workspaces/")
    with counted(app) as few:
        client.get("/workspaces/")
    with app.app_context():
        for code in ("WGSMD", "WGCBM", "WGMID", "TF"):
            for n in (1, 2, 3):
                m = schedule(people["staff"], code, 10 * n, number=n, host=org("IDN"))
                assignments.add_action(user(people["staff"]), body(code), assignments.ActionDetails(
                    "Follow up", owner_org=org("IDN")), db.session.get(Meeting, m))
        db.session.commit()
        assert db.session.execute(select(func.count()).select_from(ActionItem)).scalar() == 12
    with counted(app) as many:
        html = client.get("/workspaces/").get_data(as_text=True)
    for title in ("1st WGSMD Meeting", "1st WGCBM Meeting", "1st WGMID Meeting", "1st AMCAP Task Force Meeting"):
        assert f">{title}<" in html
    assert len(many) == len(few)


def test_the_demo_adds_meetings_once(app):
    with app.app_context():  # `flask` pushes an app context for every command; app.cli alone does not
        first = app.test_cli_runner().invoke(args=["demo"])
    assert first.exit_code == 0 and "3 demo meetings added" in first.output
    with app.app_context():
        again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0 and "0 demo meetings added" in again.output
    with app.app_context():
        titles = sorted(m.title for m in db.session.execute(select(Meeting)).scalars())
        assert titles == ["18th JWG Meeting", "20th WGTIM Meeting", "21st WGTIM Meeting"]
        wgtim = db.session.execute(select(Meeting).where(Meeting.number == 21)).scalar_one()
        assert wgtim.group_with.title == "18th JWG Meeting" and wgtim.agenda_published_at is not None
        assert db.session.execute(select(func.count()).select_from(ActionItem)).scalar() == 4
