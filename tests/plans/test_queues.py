"""The progress-report queues: the list page /plans/reports, its API twin and the home panels read the same
access-filtered rows; counts agree; bad filters are ignored with a message (page) or answer 400 (API)."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from aocp.extensions import db, limiter
from aocp.plans import queues, reports
from tests.conftest import sign_in
from tests.plans.queue_cast import current, last, submitted, today


@contextmanager
def browser(app, uid):
    """A fresh browser signed in as the person, its requests in their own app context (the test's own context
    would otherwise carry the first person signed in over to the next)."""
    with app.app_context():
        client = app.test_client()
        limiter.reset()  # many sign-ins from one address in one test
        sign_in(app, client, uid)
        yield client


def api(client, app, uid, query=""):
    from aocp.accounts import services
    from aocp.accounts.models import User

    with app.app_context():
        _, token = services.create_token(db.session.get(User, uid), "queues", "read")
        db.session.commit()
    return client.get(f"/api/v1/reports{query}", headers={"Authorization": f"Bearer {token}"})


def rows_of(user, **filters):
    return [(r.line.code, r.period, r.state) for r in queues.rows(user, queues.Filters(**filters), today(), 100)]


def p(period) -> str:
    return f"{period[0]} Q{period[1]}"


def test_reports_due_for_a_lead_country_list_every_line_and_open_quarter_overdue_first(cast):
    due = rows_of(cast["tha_delegate"], **vars(queues.due_filters(today())))
    assert sorted(due) == sorted((code, p(period), "not_started") for code in ("T1.2", "T1.3")
                                 for period in (current(), last()))
    late = queues.rows(cast["tha_delegate"], queues.due_filters(today()), today(), 10)
    overdue = [r.overdue for r in late]
    assert overdue == sorted(overdue, reverse=True)  # overdue ones first
    assert all(r.overdue == (r.deadline < today()) for r in late)
    assert rows_of(cast["mys_focal"], **vars(queues.due_filters(today()))) == \
        [("T1.1", p(last()), "not_started"), ("T1.1", p(current()), "not_started")]


def test_a_draft_and_a_quarter_not_started_stay_with_the_lead_country_and_asec(cast):
    draft = reports.save_draft(cast["tha_delegate"], cast["lines"]["T1.3"], *current(), status="on_track")
    db.session.commit()
    assert draft.state == "draft"
    for who in ("tha_focal", "tha_delegate", "staff", "admin"):
        assert ("T1.3", p(current()), "draft") in rows_of(cast[who])
    for who in ("mys_focal", "lao_delegate", "wgtim_chair", "wgcbm_chair"):
        assert not [r for r in rows_of(cast[who]) if r[0] == "T1.3"]
    # LAO contributes to T1.2: it sees the report once filed, never the quarter not started
    assert rows_of(cast["lao_delegate"], mine=True) == []
    submitted(cast["tha_delegate"], cast["lines"]["T1.2"])
    assert rows_of(cast["lao_delegate"], mine=True) == [("T1.2", p(current()), "submitted")]


@pytest.mark.parametrize("who", ["tha_delegate", "lao_delegate", "mys_focal", "wgtim_chair", "wgcbm_chair",
                                 "staff", "both"])
def test_a_person_opens_every_row_the_list_shows_them(app, client, cast, who):
    reports.save_draft(cast["tha_delegate"], cast["lines"]["T1.3"], *current(), status="on_track")
    submitted(cast["mys_focal"], cast["lines"]["T1.1"])
    submitted(cast["tha_delegate"], cast["lines"]["T1.2"], last())
    sign_in(app, client, cast[who].id)
    page = client.get("/plans/reports").get_data(as_text=True)
    links = re.findall(r'href="(/plans/TEST-QUEUE/lines/[^"]+)"', page)
    assert links
    for link in links:
        assert client.get(link).status_code == 200, link


def test_partners_may_not_see_the_list(app, client, cast):
    sign_in(app, client, cast["observer"].id)
    assert client.get("/plans/reports").status_code == 403
    assert api(client, app, cast["observer"].id).status_code == 403


def test_waiting_for_review_follows_the_routing_and_leaves_out_ones_own(cast, make_user):
    submitted(cast["mys_focal"], cast["lines"]["T1.1"])  # WGTIM
    submitted(cast["tha_delegate"], cast["lines"]["T1.2"])  # WGSMD, no chair
    assert rows_of(cast["wgtim_chair"], review=True) == [("T1.1", p(current()), "submitted")]
    assert sorted(rows_of(cast["wgcbm_chair"], review=True)) == [("T1.1", p(current()), "submitted"),
                                                                ("T1.2", p(current()), "submitted")]
    assert len(rows_of(cast["staff"], review=True)) == 2
    assert rows_of(cast["other_chair"], review=True) == rows_of(cast["tha_delegate"], review=True) == []
    # a WGCBM chair who filed T1.3 for THA does not review their own report
    filer = db.session.get(type(cast["staff"]), make_user("delegate", org_code="THA", bodies={"WGCBM": "chair"}))
    submitted(filer, cast["lines"]["T1.3"])
    assert "T1.3" not in [r[0] for r in rows_of(filer, review=True)]
    assert "T1.3" in [r[0] for r in rows_of(cast["wgcbm_chair"], review=True)]


def test_the_filters_narrow_the_list(app, client, cast):
    submitted(cast["mys_focal"], cast["lines"]["T1.1"])
    reports.accept_report(cast["staff"], queues.rows(cast["staff"], queues.Filters(state="submitted"), today(), 1)[0]
                          .report, 2)
    db.session.commit()
    staff = cast["staff"].id
    due = f"{current()[0]}Q{current()[1]}"

    def codes(query):
        body = api(client, app, staff, query).get_json()
        assert body["total"] == len(body["items"])
        return sorted((i["action_line"], i["state"]) for i in body["items"])

    assert codes(f"?plan=TEST-QUEUE&due={due}") == [("T1.1", "accepted"), ("T1.2", "not_started"),
                                                    ("T1.3", "not_started")]
    assert codes("?plan=TEST-QUEUE&state=accepted") == [("T1.1", "accepted")]
    assert codes(f"?plan=TEST-QUEUE&lead=THA&due={due}") == [("T1.2", "not_started"), ("T1.3", "not_started")]
    assert codes(f"?plan=TEST-QUEUE&body=WGSMD&due={due}") == [("T1.2", "not_started")]
    assert codes("?plan=TEST-QUEUE&due=open&state=not_started&lead=MYS") == [("T1.1", "not_started")]  # last
    assert codes("?plan=TEST-QUEUE&due=2099Q1") == []


@pytest.mark.parametrize("query,field", [("?state=lost", "state"), ("?lead=XYZ", "lead"), ("?due=2026Q5", "due"),
                                         ("?due=soon", "due"), ("?plan=NOPE", "plan"), ("?body=NOWG", "body"),
                                         ("?review=you", "review"), ("?mine=yes", "mine")])
def test_a_bad_filter_is_ignored_with_a_message_on_the_page_and_refused_by_the_api(app, client, cast, query, field):
    sign_in(app, client, cast["staff"].id)
    r = client.get("/plans/reports" + query)
    assert r.status_code == 200
    assert f"The filter {field}=" in r.get_data(as_text=True) and "was ignored" in r.get_data(as_text=True)
    a = api(client, app, cast["staff"].id, query)
    assert a.status_code == 400 and field in a.get_json()["error"]["fields"]
    assert api(client, app, cast["staff"].id, "?page=x").status_code == 400


def _count_on_page(client, url) -> int:
    page = client.get(url).get_data(as_text=True)
    return len(re.findall(r'href="/plans/[^"]+/lines/[^"]+/reports/', page.split("<h1>", 1)[1]))


def test_each_panel_counts_what_its_list_holds(app, cast):
    submitted(cast["mys_focal"], cast["lines"]["T1.1"])
    submitted(cast["tha_delegate"], cast["lines"]["T1.2"], last())
    for who, panel in (("tha_delegate", "reports-due"), ("wgcbm_chair", "review"), ("wgtim_chair", "review"),
                       ("staff", "submitted"), ("staff", "missing")):
        with browser(app, cast[who].id) as client:
            home = client.get("/").get_data(as_text=True)
            section = home.split(f'id="panel-{panel}"', 1)[1].split("</section>", 1)[0]
            count = int(re.search(r'<span class="count"[^>]*>(\d+)</span>', section).group(1))
            link = re.search(r'<p class="more"><a href="([^"]+)"', section).group(1).replace("&amp;", "&")
            assert link.startswith("/plans/reports?")
            assert api(client, app, cast[who].id, link.split("/plans/reports", 1)[1]).get_json()["total"] == count
            assert _count_on_page(client, link) == count
            assert count > 0, (who, panel)


def test_asec_sees_missing_reports_by_member_state_each_linking_to_its_list(app, client, cast):
    submitted(cast["tha_delegate"], cast["lines"]["T1.2"])
    sign_in(app, client, cast["admin"].id)
    home = client.get("/").get_data(as_text=True)
    section = home.split('id="panel-missing"', 1)[1].split("</section>", 1)[0]
    found = re.findall(r'<a href="(/plans/reports\?[^"]+)">(\w+)</a>: (\d+) not started', section)
    counts = {lead: int(n) for _, lead, n in found}
    assert counts["MYS"] == 1 and counts["THA"] == 1  # T1.1; T1.3 (T1.2 is submitted)
    for url, lead, n in found:
        url = url.replace("&amp;", "&")
        assert f"lead={lead}" in url and f"due={current()[0]}Q{current()[1]}" in url and "state=not_started" in url
        assert api(client, app, cast["admin"].id, url.split("/plans/reports", 1)[1]).get_json()["total"] == int(n)


def test_home_panels_are_for_the_right_people(app, cast):
    expect = {"tha_delegate": {"reports-due"}, "lao_delegate": {"reports-due"}, "wgtim_chair": {"reports-due", "review"},
              "wgcbm_chair": {"reports-due", "review"}, "staff": {"submitted", "missing"},
              "admin": {"submitted", "missing"}, "observer": set(), "other_chair": {"reports-due", "review"}}
    for who, panels in expect.items():
        with browser(app, cast[who].id) as client:
            home = client.get("/").get_data(as_text=True)
        shown = {name for name in ("reports-due", "review", "submitted", "missing") if f'id="panel-{name}"' in home}
        assert shown == panels, who


def test_a_delegate_reaches_the_due_report_in_two_clicks_and_files_it(app, client, cast):
    sign_in(app, client, cast["tha_delegate"].id)
    home = client.get("/").get_data(as_text=True)
    section = home.split('id="panel-reports-due"', 1)[1].split("</section>", 1)[0]
    first = re.search(r'href="(/plans/TEST-QUEUE/lines/[^"]+)"', section).group(1)
    page = client.get(first).get_data(as_text=True)
    assert 'name="action" value="submit"' in page or "Submit" in page


def _grow(cast, lines: int) -> None:
    """`lines` more action lines in the plan, led by THA and MYS in turn, in WGTIM, half with a submitted report."""
    from aocp.plans import services

    plan, admin = cast["plan"], cast["admin"]
    strategy = cast["lines"]["T1.1"].strategy
    start = len(plan.areas[0].strategies[0].action_lines) + 1
    for i in range(start, start + lines):
        line = services.add_action_line(admin, strategy, code=f"T1.{i}", text=f"Action line {i}")
        line.leads = [org_of("THA" if i % 2 else "MYS")]
        db.session.flush()
        if i % 2:
            report = reports.save_draft(cast["staff"], line, *current(), status="on_track", narrative="Done")
            reports.submit_report(cast["staff"], report, report.version)
    db.session.commit()


def org_of(code):
    from tests.conftest import org

    return org(code)


def test_the_panels_and_the_list_run_the_same_statements_on_ten_times_the_reports(app, cast):
    from bench.sqlcount import measure

    people = ("tha_delegate", "wgtim_chair", "staff", "wgcbm_chair")  # (no second factor to answer twice)
    paths = ("/", "/plans/reports", "/plans/reports?review=me", "/plans/reports?mine=1&due=open")
    counts = {}
    for size in (4, 36):
        _grow(cast, size)
        for who in people:
            with browser(app, cast[who].id) as client:
                for path in paths:
                    m = measure(db.engine, client, path, repeat=1)
                    assert m.status == 200, (who, path)
                    counts.setdefault((who, path), []).append(m.count)
    assert {k: v for k, v in counts.items() if v[0] != v[1]} == {}
    assert queues.count(cast["admin"], queues.Filters(state="submitted"), today()) == 20
