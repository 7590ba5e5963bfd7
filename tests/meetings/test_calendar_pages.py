"""The calendar pages: every meeting a person may see, as a month grid and as a list, filtered by body."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from aocp.extensions import db
from aocp.meetings.models import Meeting
from tests.conftest import body, sign_in
from tests.meetings._factories import make_meeting, make_people
from tests.meetings.conftest import counted

MARCH = date(2026, 3, 2)


@pytest.fixture
def cast(make_user):
    return make_people(make_user)


@pytest.fixture
def two(app, cast):
    """A two-day WGTIM meeting and a one-day WGSMD meeting, both in March 2026."""
    return {"WGTIM": make_meeting(app, cast["chair"], starts_on=MARCH, ends_on=MARCH + timedelta(days=1), number=21),
            "WGSMD": make_meeting(app, cast["staff"], code="WGSMD", starts_on=MARCH + timedelta(days=8),
                                  ends_on=MARCH + timedelta(days=8), number=9, venue="Hanoi")}


def get(client, url: str, status: int = 200) -> str:
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code)
    return r.get_data(as_text=True)


def links(page: str, meeting_id: int) -> int:
    return page.count(f'href="/meetings/{meeting_id}"')


def grid(page: str) -> str:
    return page.split('class="table-wrap month-grid"', 1)[1].split("</table>", 1)[0]


@pytest.mark.parametrize("part, sees", [("member", {"WGTIM"}), ("outsider", {"WGSMD"}),
                                        ("staff", {"WGTIM", "WGSMD"}), ("partner", {"WGTIM"})])
def test_the_month_shows_exactly_the_meetings_of_the_bodies_one_may_see(app, client, cast, two, part, sees):
    sign_in(app, client, cast[part])
    page = get(client, "/calendar?month=2026-03")
    for code, meeting_id in two.items():
        assert (links(page, meeting_id) > 0) == (code in sees), code
    options = set(re.findall(r'<option value="([A-Za-z]+)"', page))  # the body filter: only bodies one sees
    assert options == ({"AMMIN", "ASOMM", "JWG", "WGTIM", "WGSMD", "WGCBM", "WGMID", "TF"} if part == "staff" else sees)


def test_a_meeting_is_shown_on_each_of_its_days_in_the_grid_and_the_phone_list(app, client, cast, two):
    sign_in(app, client, cast["member"])
    page = get(client, "/calendar?month=2026-03")
    assert links(grid(page), two["WGTIM"]) == 2  # 2 and 3 March
    days = page.split('class="month-days"', 1)[1]
    assert "Mon 02 Mar" in days and "Tue 03 Mar" in days and links(days, two["WGTIM"]) == 2
    assert "21st WGTIM Meeting" in page


def test_the_month_links_to_its_neighbours_and_marks_today(app, client, cast, two):
    sign_in(app, client, cast["member"])
    page = get(client, "/calendar?month=2026-03")
    assert "March 2026" in page and "month=2026-02" in page and "month=2026-04" in page
    assert 'aria-current="date"' not in page or date.today().strftime("%Y-%m") == "2026-03"
    january = get(client, "/calendar?month=2026-01")
    assert "month=2025-12" in january and links(january, two["WGTIM"]) == 0
    this_month = get(client, "/calendar")
    assert date.today().strftime("%B %Y") in this_month and 'aria-current="date"' in this_month


def test_the_body_filter_keeps_one_body(app, client, cast, two):
    sign_in(app, client, cast["staff"])
    page = get(client, "/calendar?month=2026-03&body=WGSMD")
    assert links(page, two["WGSMD"]) and not links(page, two["WGTIM"])
    assert 'value="WGSMD" selected' in page and "month=2026-04&amp;body=WGSMD" in page
    listed = get(client, "/calendar/list?body=wgtim")
    assert links(listed, two["WGTIM"]) and not links(listed, two["WGSMD"])


@pytest.mark.parametrize("query, message", [
    ("month=2026-13", "Months are written YYYY-MM"), ("month=abc", "Months are written YYYY-MM"),
    ("month=٢٠٢٦-٠٣", "Months are written YYYY-MM"), ("month=9999-01", "Months are written YYYY-MM"),
    ("body=NOPE", "no workspace of that name"), ("body=WGSMD", "no workspace of that name"),
    ("body=" + "X" * 300, "no workspace of that name")])
def test_bad_filter_values_are_ignored_with_a_message(app, client, cast, two, query, message):
    sign_in(app, client, cast["member"])  # WGSMD is a body the member may not see
    paths = ["/calendar"] + (["/calendar/list"] if query.startswith("body") else [])
    for path in paths:
        page = get(client, f"{path}?{query}")
        assert message in page, path
        assert "the filter was ignored" in page or "this month is shown instead" in page
        assert not links(page, two["WGSMD"])


def test_the_list_shows_meetings_ahead_first_then_past_ones_a_page_at_a_time(app, client, cast):
    today = date.today()
    with app.app_context():
        wgtim = body("WGTIM")
        for n in range(30):  # 10 past meetings, 20 ahead
            start = today + timedelta(days=(n - 10) * 7)
            db.session.add(Meeting(body_id=wgtim.id, number=n + 1, starts_on=start, ends_on=start, venue=f"V{n}"))
        db.session.commit()
        ids = {m.number: m.id for m in db.session.execute(db.select(Meeting)).scalars()}
    sign_in(app, client, cast["member"])
    first = get(client, "/calendar/list")
    order = [int(i) for i in re.findall(r'href="/meetings/(\d+)"', first)]
    assert order[:3] == [ids[11], ids[12], ids[13]]  # the meeting this week, then the ones after it
    assert len(order) == 25 and "Page 1 of 2 (30 in all)" in first
    second = get(client, "/calendar/list?page=2")
    rest = [int(i) for i in re.findall(r'href="/meetings/(\d+)"', second)]
    assert rest == [ids[n] for n in (5, 4, 3, 2, 1)]  # past meetings, the latest first
    assert get(client, "/calendar/list?page=abc").count("Page 1 of 2") == 1


def test_the_calendar_is_in_the_main_navigation_with_the_feed_link_beside_it(app, client, cast):
    sign_in(app, client, cast["partner"])
    home = get(client, "/")
    nav = home.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/calendar"' in nav
    page = get(client, "/calendar")
    assert 'href="/calendar/feed-link"' in page and 'href="/calendar/list"' in page
    feed = get(client, "/calendar/feed-link")
    assert 'class="breadcrumbs"' in feed and "Create my calendar link" in feed


def test_the_calendar_pages_run_the_same_statements_for_ten_times_the_meetings(app, client, cast):
    sign_in(app, client, cast["staff"])

    def statements(n: int) -> dict[str, int]:
        with app.app_context():
            for code in ("WGTIM", "WGSMD", "JWG", "WGCBM", "WGMID"):
                b = body(code)
                top = db.session.scalar(db.select(db.func.max(Meeting.number)).where(Meeting.body_id == b.id)) or 0
                for k in range(n):
                    start = MARCH + timedelta(days=k % 28)
                    db.session.add(Meeting(body_id=b.id, number=top + k + 1, starts_on=start,
                                           ends_on=start + timedelta(days=k % 3), host_org_id=None))
            db.session.commit()
        counts = {}
        for path in ("/calendar?month=2026-03", "/calendar/list", "/calendar/list?body=WGSMD&page=2"):
            with counted(app) as seen:
                get(client, path)
            counts[path] = len(seen)
        return counts

    small = statements(2)
    assert statements(18) == small
