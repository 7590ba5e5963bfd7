"""Every page below the top level shows breadcrumbs, and every page of a plan the same plan sub-navigation.

The walk visits every GET route of the app (not the API) as an administrator, with an object of each kind for its
URL, so a new page without breadcrumbs fails here."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from aocp import policy
from aocp.extensions import db
from aocp.meetings import services
from aocp.meetings.models import MinutesRevision
from aocp.plans.models import Plan
from aocp.sso.models import IdentityProvider
from tests.conftest import body, org, sign_in
from tests.meetings._factories import make_meeting, make_people, meeting_of, user
from tests.meetings.conftest import make_doc

# The pages of the main navigation (and the focal person's "Nominate a delegate"): no trail above them.
TOP_LEVEL = {"main.home", "documents.index", "meetings.workspaces", "meetings.actions", "plans.index",
             "admin.people", "meetings.calendar_month", "notifications.index", "profile.index", "admin.nominate"}
# GET routes that answer a file, JSON or a redirect rather than a page.
NOT_PAGES = {"admin.audit_csv", "documents.download", "documents.download_version", "documents.preview",
             "meetings.meeting_ics", "meetings.documents", "meetings.people", "meetings.export", "plans.pack",
             "meetings.papers_pack", "meetings.readiness_export",
             "plans.import_template", "profile.mfa_setup"}
PLAN = "AMCAP-III-P2"


@pytest.fixture
def world(app, make_user):
    cast = make_people(make_user)
    meeting = make_meeting(app, cast["chair"], number=21)
    with app.app_context():
        chair, m = user(cast["chair"]), meeting_of(meeting)
        item = services.add_item(chair, m, "Opening", "Chair", 10)
        services.save_minutes(chair, m, "The meeting opened.", 1)
        services.circulate_minutes(chair, m)
        provider = IdentityProvider(slug="gov", name="Gov ID", issuer="https://id.example.org", client_id="aocp",
                                    client_secret="s")
        db.session.add(provider)
        db.session.commit()
        revision = db.session.scalar(select(MinutesRevision.id))
        values = {"doc_id": make_doc(cast["chair"], "Tin paper", level="everyone"), "number": 1,
                  "meeting_id": meeting, "revision_id": revision, "body_id": body("WGTIM").id,
                  "org_id": org("THA").id, "user_id": cast["chair"], "provider_id": provider.id,
                  "line_code": "ES1.1", "year": 2025, "quarter": 4, "kind": "jwg", "fmt": "pdf", "item_id": item.id}
    return cast, values


def _url(rule, values: dict) -> str:
    url = rule.rule
    for name in rule.arguments:
        value = values.get(name) if name != "code" else (PLAN if rule.rule.startswith("/plans/") else "WGTIM")
        url = re.sub(rf"<(?:[^>:]+:)?{name}>", str(value), url)
    return url.replace("(pdf, docx)", "").replace("(jwg, asomm, midterm, final)", "")


def _pages(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        if "GET" not in rule.methods or rule.endpoint.startswith("api.") or rule.endpoint == "static" \
                or getattr(view, "policy_rule", None) == policy.PUBLIC or rule.endpoint in TOP_LEVEL:
            continue
        yield rule


def test_every_page_below_the_top_level_has_breadcrumbs(app, client, world):
    cast, values = world
    sign_in(app, client, cast["admin"])
    missing, not_pages, seen = [], set(), set()
    for rule in _pages(app):
        url = _url(rule, values)
        r = client.get(url)
        page = r.get_data(as_text=True) if r.mimetype == "text/html" else ""
        r.close()  # downloads stream their file
        if r.status_code != 200 or not page:
            not_pages.add(rule.endpoint)
            continue
        seen.add(rule.endpoint)
        trail = page.split('<nav class="breadcrumbs" aria-label="Breadcrumb">', 1)
        if len(trail) != 2 or 'aria-current="page"' not in trail[1].split("</nav>", 1)[0]:
            missing.append(url)
    assert missing == []
    assert not_pages == NOT_PAGES
    assert {"plans.report", "meetings.minutes_revision", "documents.audience", "sso.provider", "meetings.agenda",
            "meetings.papers", "meetings.participants", "meetings.meeting_actions", "meetings.edit_item"} <= seen


def test_a_report_page_shows_the_whole_way_up(app, client, world):
    cast, _ = world
    sign_in(app, client, cast["staff"])
    page = client.get(f"/plans/{PLAN}/lines/ES1.1/reports/2025/Q4").get_data(as_text=True)
    trail = page.split('aria-label="Breadcrumb"', 1)[1].split("</nav>", 1)[0]
    steps = re.findall(r"<li>(?:<a href=\"([^\"]+)\">([^<]+)</a>|<span aria-current=\"page\">([^<]+)</span>)</li>",
                       trail)
    assert [(href, label or here) for href, label, here in steps] == [
        ("/plans/", "AMCAP"), (f"/plans/{PLAN}", PLAN), (f"/plans/{PLAN}/lines/ES1.1", "ES1.1"), ("", "2025 Q4")]


def test_the_minutes_trail_goes_through_the_workspace_and_the_meeting(app, client, world):
    cast, values = world
    sign_in(app, client, cast["member"])
    page = client.get(f"/meetings/{values['meeting_id']}/minutes").get_data(as_text=True)
    trail = page.split('aria-label="Breadcrumb"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r">([^<>]+)</(?:a|span)>", trail) == ["Workspaces", "WGTIM", "21st WGTIM Meeting",
                                                                     "Minutes and decisions"]


def test_a_body_page_does_not_lead_a_delegate_to_administration(app, client, world):
    cast, values = world
    sign_in(app, client, cast["member"])
    page = client.get("/admin/bodies").get_data(as_text=True)
    assert 'class="breadcrumbs"' in page and 'href="/admin/people"' not in page


@pytest.mark.parametrize("part", ["member", "staff", "partner"])
def test_every_plan_page_has_the_same_plan_navigation(app, client, world, part):
    cast, _ = world
    sign_in(app, client, cast[part])
    if part == "partner":
        with app.app_context():
            db.session.execute(db.update(Plan).values(shared_with_partners=True))
            db.session.commit()
    paths = [f"/plans/{PLAN}", f"/plans/{PLAN}/dashboard", f"/plans/{PLAN}/lines/ES1.1"]
    if part != "partner":
        paths += [f"/plans/{PLAN}/matrix", f"/plans/{PLAN}/packs"]
    if part == "staff":  # a quarter's report page opens for those who file or review the line
        paths += [f"/plans/{PLAN}/lines/ES1.1/reports/2025/Q4", f"/plans/{PLAN}/import", f"/plans/{PLAN}/edit"]
    navs = set()
    for path in paths:
        r = client.get(path)
        assert r.status_code == 200, path
        nav = r.get_data(as_text=True).split(f'<nav aria-label="{PLAN}">', 1)[1].split("</nav>", 1)[0]
        assert nav.count('aria-current="page"') <= 1
        navs.add(nav.replace(' aria-current="page"', ""))
    assert len(navs) == 1
    links = re.findall(r">([^<>]+)</a>", navs.pop())
    asean = ["Progress reports", "Member State matrix", "Review packs"]  # reports and packs are ASEAN's own
    expected = ["Structure", "Dashboard"] + (asean if part != "partner" else [])
    assert links == expected

