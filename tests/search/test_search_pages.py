"""The search box in the header and its results page: each kind found, and only what the person may open."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from aocp.documents import queries
from aocp.extensions import db
from aocp.meetings.models import Meeting
from aocp.plans.models import Plan
from tests.conftest import body, sign_in
from tests.meetings._factories import make_meeting, make_people, user
from tests.meetings.conftest import counted, make_doc

MARCH = date(2026, 3, 2)


@pytest.fixture
def cast(make_user):
    return make_people(make_user)


@pytest.fixture
def world(app, cast):
    """A nickel paper for everyone, one for WGSMD's members only, the 21st WGTIM Meeting in Bangkok and the 9th
    WGSMD Meeting in Hanoi."""
    with app.app_context():
        return {"open": make_doc(cast["chair"], "Nickel supply roadmap", level="everyone"),
                "restricted": make_doc(cast["outsider"], "Nickel smelter permits", access_body="WGSMD",
                                       body_code="WGSMD"),
                "wgtim": make_meeting(app, cast["chair"], starts_on=MARCH, number=21, venue="Centara Grand, Bangkok"),
                "wgsmd": make_meeting(app, cast["staff"], code="WGSMD", starts_on=MARCH, number=9, venue="Hanoi",
                                      host="VNM")}


def search(client, q: str, status: int = 200, **args) -> str:
    r = client.get("/search", query_string={"q": q, **args})
    assert r.status_code == status, (q, r.status_code)
    return r.get_data(as_text=True)


def group(page: str, kind: str) -> str:
    """The section of the results page for one kind ('' if the page has none)."""
    parts = page.split(f'aria-labelledby="g-{kind}"', 1)
    return parts[1].split("</section>", 1)[0] if len(parts) == 2 else ""


def hrefs(section: str) -> list[str]:
    return re.findall(r'<li><a href="([^"]+)"', section)


@pytest.mark.parametrize("part, found", [("member", {"open"}), ("outsider", {"open", "restricted"}),
                                         ("staff", {"open", "restricted"}), ("partner", {"open"})])
def test_documents_are_found_as_the_document_list_finds_them(app, client, cast, world, part, found):
    sign_in(app, client, cast[part])
    docs = group(search(client, "nickel"), "documents")
    assert set(hrefs(docs)) == {f"/documents/{world[k]}" for k in found}
    assert f'<span class="count">{len(found)}</span>' in docs
    with app.app_context():
        total = queries.page_of(user(cast[part]), queries.Filters(q="nickel"), 1, 20).total
    assert total == len(found)


def test_more_documents_than_shown_link_to_the_full_list(app, client, cast):
    with app.app_context():
        for n in range(7):
            make_doc(cast["chair"], f"Cobalt note {n}", level="everyone")
    sign_in(app, client, cast["member"])
    docs = group(search(client, "cobalt"), "documents")
    assert len(hrefs(docs)) == 5 and 'href="/documents/?q=cobalt">All 7 documents</a>' in docs


@pytest.mark.parametrize("q", ["21 WGTIM", "21st wgtim meeting", "bangkok", "Centara", "thailand", "Trade"])
def test_meetings_are_found_by_body_number_venue_and_host(app, client, cast, world, q):
    sign_in(app, client, cast["member"])
    meetings = group(search(client, q), "meetings")
    assert hrefs(meetings) == [f"/meetings/{world['wgtim']}"], q


def test_a_meeting_of_a_body_one_may_not_see_is_not_found(app, client, cast, world):
    sign_in(app, client, cast["member"])
    assert hrefs(group(search(client, "hanoi"), "meetings")) == []
    assert hrefs(group(search(client, "9 wgsmd"), "meetings")) == []
    sign_in(app, client, cast["outsider"])
    assert hrefs(group(search(client, "hanoi"), "meetings")) == [f"/meetings/{world['wgsmd']}"]
    assert hrefs(group(search(client, "bangkok"), "meetings")) == []
    sign_in(app, client, cast["staff"])
    assert len(hrefs(group(search(client, "meeting 21"), "meetings"))) == 1


def test_action_lines_are_found_by_code_and_text_in_the_plans_one_may_see(app, client, cast):
    sign_in(app, client, cast["member"])
    lines = group(search(client, "es1.1"), "lines")
    assert hrefs(lines)[0] == "/plans/AMCAP-III-P2/lines/ES1.1"
    by_text = group(search(client, "leading practice SMD frameworks"), "lines")
    assert "/plans/AMCAP-III-P2/lines/ES1.1" in hrefs(by_text)
    sign_in(app, client, cast["partner"])  # the plan is not shared with partners
    assert hrefs(group(search(client, "es1.1"), "lines")) == []
    with app.app_context():
        db.session.execute(db.update(Plan).values(shared_with_partners=True))
        db.session.commit()
    assert hrefs(group(search(client, "es1.1"), "lines"))[0] == "/plans/AMCAP-III-P2/lines/ES1.1"


@pytest.mark.parametrize("part", ["staff", "admin"])
def test_asec_finds_people_and_organisations(app, client, cast, part):
    sign_in(app, client, cast[part])
    page = search(client, "aminah")
    assert hrefs(group(page, "people")) == [f"/admin/people/{cast['chair']}"]
    assert 'href="/admin/people?q=aminah"' not in group(page, "people")  # all of them are shown already
    orgs = group(search(client, "viet"), "organisations")
    assert len(hrefs(orgs)) == 1 and "VNM" in orgs


@pytest.mark.parametrize("part", ["chair", "member", "partner", "outsider"])
def test_people_and_organisations_are_found_only_by_asec(app, client, cast, part):
    sign_in(app, client, cast[part])
    page = search(client, "aminah")
    assert group(page, "people") == "" and group(search(client, "viet"), "organisations") == ""
    assert "aminah" not in page.split('id="main"', 1)[1].lower().replace('value="aminah"', "").replace(
        "“aminah”", "")
    r = client.get("/search", query_string={"q": "viet", "kind": "organisations"})
    assert r.status_code == 200 and "no such kind of result" in r.get_data(as_text=True)


@pytest.mark.parametrize("q, message", [("", "Type what you are looking for"), ("   ", "Type what you are looking for"),
                                        ("x" * 201, "at most 200 characters")])
def test_an_empty_or_too_long_query_is_explained(app, client, cast, q, message):
    sign_in(app, client, cast["member"])
    page = search(client, q)
    assert message in page and 'aria-labelledby="g-' not in page


@pytest.mark.parametrize("args", [{"kind": "documents"}, {"kind": "nope"}, {"page": "abc"}, {"kind": "x" * 500}])
def test_unknown_kinds_and_pages_are_ignored(app, client, cast, world, args):
    sign_in(app, client, cast["member"])
    page = search(client, "nickel", **args)
    assert f"/documents/{world['open']}" in page


@pytest.mark.parametrize("q", ["%", "_", "'", "\\", "\" OR 1=1 --", "ab", "นิกเกิล", "<script>", "a" * 200])
def test_odd_queries_answer_a_page(app, client, cast, world, q):
    sign_in(app, client, cast["staff"])
    page = search(client, q)
    assert "<script>" not in page.split('id="main"', 1)[1]
    if q in ("%", "_"):
        assert hrefs(group(page, "meetings")) == [] and hrefs(group(page, "people")) == []


def test_one_kind_is_shown_a_page_at_a_time(app, client, cast):
    with app.app_context():
        wgtim = body("WGTIM")
        for n in range(30):
            start = MARCH + timedelta(days=n)
            db.session.add(Meeting(body_id=wgtim.id, number=n + 1, starts_on=start, ends_on=start, venue="Jakarta"))
        db.session.commit()
    sign_in(app, client, cast["member"])
    page = search(client, "jakarta")
    meetings = group(page, "meetings")
    assert len(hrefs(meetings)) == 5 and "All 30 meetings" in meetings
    first = search(client, "jakarta", kind="meetings")
    assert len(hrefs(group(first, "meetings"))) == 25 and "Page 1 of 2 (30 in all)" in first
    second = search(client, "jakarta", kind="meetings", page="2")
    assert len(hrefs(group(second, "meetings"))) == 5 and 'class="breadcrumbs"' in second


def test_the_header_has_the_search_box_on_every_signed_in_page(app, client, cast, world):
    assert 'role="search"' not in client.get("/login").get_data(as_text=True)
    sign_in(app, client, cast["member"])
    for path in ("/", "/documents/", f"/meetings/{world['wgtim']}", "/plans/AMCAP-III-P2", "/calendar"):
        head = client.get(path).get_data(as_text=True).split("</header>", 1)[0]
        assert '<form role="search" method="get" action="/search"' in head, path
        assert '<label for="site-q" class="sr-only">Search AOCP</label>' in head and 'id="site-q"' in head
        assert 'href="/search" aria-label="Search"' in head  # the phone's magnifier


@pytest.mark.parametrize("part", ["member", "staff"])
def test_a_search_runs_the_same_statements_on_ten_times_the_data(app, client, cast, part):
    sign_in(app, client, cast[part])

    def grow(n: int) -> int:
        with app.app_context():
            for k in range(n):
                make_doc(cast["chair"], f"Nickel brief {k}", level="everyone" if k % 2 else "body")
            for code in ("WGTIM", "WGSMD", "JWG"):
                b = body(code)
                top = db.session.scalar(db.select(db.func.max(Meeting.number)).where(Meeting.body_id == b.id)) or 0
                for k in range(n):
                    db.session.add(Meeting(body_id=b.id, number=top + k + 1, starts_on=MARCH, ends_on=MARCH,
                                           venue="Nickel city"))
            db.session.commit()
        with counted(app) as seen:
            page = search(client, "nickel")
        assert "Nickel brief" in page and "Nickel city" in page
        with counted(app) as paged:
            search(client, "nickel", kind="meetings")
        return len(seen), len(paged)

    small = grow(3)
    assert grow(27) == small
