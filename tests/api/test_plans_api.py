"""The plans API: plans and structure, action lines, milestones, progress reports and computed rates."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import event, func, select, update

from aocp.accounts.models import User
from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.plans import services
from aocp.plans.models import Milestone, Plan, ProgressReport, ReportRevision
from tests.api.conftest import assert_error, bearer
from tests.conftest import org
from tests.plans.conftest import file_accepted, line, new_plan

PREFIX = "/api/v1"


class Person:
    def __init__(self, uid: int, raw: str):
        self.id, self.headers = uid, bearer(raw)


@pytest.fixture
def ppl(app, make_user, make_token):
    """MYS leads TI1.1 (WGTIM); PHL's focal person chairs WGTIM; THA's delegate is a WGTIM member."""
    def person(role, org_code=None, bodies=None, scope="write"):
        uid = make_user(role, org_code=org_code, bodies=bodies, mfa_on=role == "asec_admin")
        return Person(uid, make_token(uid, scope))

    class People:
        admin = person("asec_admin")
        staff = person("asec_staff")
        reader = person("asec_staff", scope="read")
        lead_focal = person("focal_person", "MYS")
        lead_delegate = person("delegate", "MYS", {"WGTIM": "member"})
        other_delegate = person("delegate", "THA", {"WGTIM": "member"})
        chair = person("focal_person", "PHL", {"WGTIM": "chair"})
        other_chair = person("focal_person", "SGP", {"WGSMD": "chair"})
        observer = person("observer", "JPN", {"WGTIM": "observer"})

    with app.app_context():
        ti11 = line("TI1.1")
        ti11.leads = [org("MYS")]
        db.session.commit()
        People.ti11 = ti11.id
    return People


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _changes(app) -> int:
    return _count(app, AuditEntry, AuditEntry.action != "access.denied")


# --- plans -------------------------------------------------------------------------------------------

def test_every_plan_route_needs_a_token(client, ppl):
    for path in ("/plans", "/plans/AMCAP-III-P2", "/plans/AMCAP-III-P2/rates", "/action-lines",
                 f"/action-lines/{ppl.ti11}", f"/action-lines/{ppl.ti11}/reports/2025/3"):
        assert_error(client.get(PREFIX + path), 401, "unauthorized")


@pytest.mark.parametrize("who", ["admin", "staff", "lead_focal", "other_delegate", "chair"])
def test_all_of_asean_reads_the_plans_and_their_structure(client, ppl, who):
    r = client.get(f"{PREFIX}/plans", headers=getattr(ppl, who).headers)
    assert r.status_code == 200
    data = r.get_json()
    assert {"items", "page", "per_page", "total", "pages"} <= set(data)
    assert "AMCAP-III-P2" in [p["code"] for p in data["items"]]
    r = client.get(f"{PREFIX}/plans/amcap-iii-p2", headers=getattr(ppl, who).headers)
    plan = r.get_json()
    assert r.status_code == 200 and plan["code"] == "AMCAP-III-P2"
    assert [a["code"] for a in plan["areas"]] == ["TIM", "SMD", "CBM", "MID"]
    strategies = [s for a in plan["areas"] for s in a["strategies"]]
    assert len(strategies) == 11 and sum(len(s["action_lines"]) for s in strategies) == 30
    ti1 = next(s for s in strategies if s["code"] == "TI1")
    assert ti1["action_lines"][0]["code"] == "TI1.1" and ti1["action_lines"][0]["leads"] == ["MYS"]
    assert plan["can_manage"] is (who in ("admin", "staff"))


def test_unknown_plans_and_bad_filters(client, ppl):
    assert_error(client.get(f"{PREFIX}/plans/NOPE", headers=ppl.other_delegate.headers), 404, "not_found")
    assert_error(client.get(f"{PREFIX}/plans/AB%00C/rates", headers=ppl.other_delegate.headers), 400)
    assert_error(client.get(f"{PREFIX}/plans?status=open", headers=ppl.other_delegate.headers), 400)
    assert_error(client.get(f"{PREFIX}/plans?page=zero", headers=ppl.other_delegate.headers), 400)


def test_asec_creates_a_plan_and_it_is_audited(app, client, ppl):
    r = client.post(f"{PREFIX}/plans", headers=ppl.staff.headers, json={
        "code": "amcap-iv-p1", "name": "AMCAP-IV Phase 1", "start_year": 2026, "end_year": 2030,
        "carried_from": "AMCAP-III-P2"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["code"] == "AMCAP-IV-P1" and r.get_json()["carried_from"] == "AMCAP-III-P2"
    assert r.headers["Location"].endswith("/api/v1/plans/AMCAP-IV-P1")
    assert _count(app, AuditEntry, AuditEntry.action == "plan.created") == 1


@pytest.mark.parametrize("who", ["lead_focal", "chair", "observer", "reader"])
def test_only_asec_with_a_write_token_creates_plans(app, client, ppl, who):
    before = _count(app, Plan)
    r = client.post(f"{PREFIX}/plans", headers=getattr(ppl, who).headers,
                    json={"code": "X-PLAN", "name": "X", "start_year": 2026, "end_year": 2030})
    assert_error(r, 403)
    assert _count(app, Plan) == before


@pytest.mark.parametrize("payload,field", [
    ({"code": "X-PLAN", "name": "X", "start_year": 2030, "end_year": 2026}, "end_year"),
    ({"code": "X-PLAN", "name": "X", "start_year": "2026", "end_year": 2030}, "start_year"),
    ({"code": "X-PLAN", "name": "X", "start_year": 2026, "end_year": 2030, "status": "open"}, "status"),
    ({"code": "X-PLAN", "name": "X", "start_year": 2026, "end_year": 2030, "colour": "red"}, "colour"),
    ({"code": "AMCAP-III-P2", "name": "X", "start_year": 2026, "end_year": 2030}, "code"),
    ({"code": "X-PLAN", "start_year": 2026, "end_year": 2030}, "name"),
    ({"code": "X-PLAN", "name": "X", "start_year": 2026, "end_year": 2030, "carried_from": "NOPE"}, "carried_from"),
])
def test_a_bad_plan_is_refused_with_422_and_nothing_changes(app, client, ppl, payload, field):
    before, changes = _count(app, Plan), _changes(app)
    error = assert_error(client.post(f"{PREFIX}/plans", headers=ppl.staff.headers, json=payload), 422)
    assert field in error["fields"]
    assert (_count(app, Plan), _changes(app)) == (before, changes)


def test_a_body_that_is_not_a_json_object_is_a_400(client, ppl):
    assert_error(client.post(f"{PREFIX}/plans", headers=ppl.staff.headers, data="code=X"), 400)
    assert_error(client.post(f"{PREFIX}/plans", headers=ppl.staff.headers, json=[1, 2]), 400)


# --- action lines and milestones ---------------------------------------------------------------------

def _codes(client, headers, query: str) -> list[str]:
    r = client.get(f"{PREFIX}/action-lines?{query}", headers=headers)
    assert r.status_code == 200, r.get_json()
    return [item["code"] for item in r.get_json()["items"]]


def test_action_lines_are_filtered_by_plan_area_strategy_working_group_lead_and_status(app, client, ppl):
    h = ppl.other_delegate.headers
    r = client.get(f"{PREFIX}/action-lines?plan=AMCAP-III-P2&per_page=10", headers=h).get_json()
    assert (r["total"], r["pages"], len(r["items"])) == (30, 3, 10)
    assert _codes(client, h, "plan=AMCAP-III-P2&strategy=TI1") == ["TI1.1", "TI1.2", "TI1.3"]
    assert _codes(client, h, "lead=MYS") == ["TI1.1"]
    assert set(_codes(client, h, "area=TIM")) == set(_codes(client, h, "strategy=TI1")) | set(
        _codes(client, h, "strategy=TI2")) | set(_codes(client, h, "strategy=TI3"))
    assert "TI1.1" in _codes(client, h, "wg=WGTIM&per_page=200")
    assert _codes(client, h, "status=completed") == []
    with app.app_context():
        staff, admin = db.session.get(User, ppl.staff.id), db.session.get(User, ppl.admin.id)
        file_accepted(staff, admin, line("TI1.2"), 2025, 3, "completed")
        db.session.commit()
    assert _codes(client, h, "status=completed") == ["TI1.2"]
    item = client.get(f"{PREFIX}/action-lines?status=completed", headers=h).get_json()["items"][0]
    assert item["status"] == "completed" and item["strategy"] == "TI1" and item["area"] == "TIM"
    for query in ("status=done", "wg=NOPE", "lead=XXX", "plan=", "plan=A%00B", "lead=M%00YS", "area=%27%3B"):
        assert_error(client.get(f"{PREFIX}/action-lines?{query}", headers=h), 400)


def test_the_action_line_list_takes_the_same_queries_for_more_lines(app, client, ppl):
    with app.app_context():
        staff = db.session.get(User, ppl.staff.id)
        for code, n in (("SMALL-PLAN", 2), ("LARGE-PLAN", 12)):
            plan = new_plan(staff, code=code, lines=n)
            for i in range(1, n + 1):
                line(f"T1.{i}", plan).leads = [org("MYS"), org("THA")]
                line(f"T1.{i}", plan).participants = [org("JPN")]
        db.session.commit()
    client.get(f"{PREFIX}/action-lines?plan=SMALL-PLAN", headers=ppl.other_delegate.headers).close()  # warm up
    counts = []
    for code in ("SMALL-PLAN", "LARGE-PLAN"):
        with app.app_context():
            seen = {"n": 0}

            def count(*_args, **_kwargs):
                seen["n"] += 1
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                r = client.get(f"{PREFIX}/action-lines?plan={code}&per_page=200", headers=ppl.other_delegate.headers)
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
        assert r.status_code == 200 and all(i["leads"] == ["MYS", "THA"] for i in r.get_json()["items"])
        counts.append(seen["n"])
    assert counts[0] == counts[1]


def test_an_action_line_is_read_with_its_milestones_and_unknown_ids_are_404(client, ppl):
    r = client.get(f"{PREFIX}/action-lines/{ppl.ti11}", headers=ppl.other_delegate.headers)
    data = r.get_json()
    assert r.status_code == 200 and data["code"] == "TI1.1" and data["working_group"] == "WGTIM"
    assert data["status"] == "not_started" and data["can_report"] is False and data["can_manage"] is False
    assert client.get(f"{PREFIX}/action-lines/{ppl.ti11}", headers=ppl.lead_delegate.headers
                      ).get_json()["can_report"] is True
    assert_error(client.get(f"{PREFIX}/action-lines/999999", headers=ppl.other_delegate.headers), 404)


def test_asec_changes_an_action_line_and_others_may_not(app, client, ppl):
    url = f"{PREFIX}/action-lines/{ppl.ti11}"
    for who in ("lead_focal", "chair", "observer"):
        assert_error(client.patch(url, headers=getattr(ppl, who).headers, json={"leads": ["THA"]}), 403)
    r = client.patch(url, headers=ppl.staff.headers, json={"leads": ["mys", "THA"], "participants": ["JPN"],
                                                           "indicators": "Two workshops"})
    assert r.status_code == 200, r.get_json()
    data = r.get_json()
    assert data["leads"] == ["MYS", "THA"] and data["participants"] == ["JPN"] and data["text"]
    assert data["working_group"] == "WGTIM"
    assert _count(app, AuditEntry, AuditEntry.action == "action_line.updated") == 1


@pytest.mark.parametrize("payload,field", [
    ({"leads": ["XXX"]}, "leads"), ({"leads": "MYS"}, "leads"), ({"leads": ["M\u0000YS"]}, "leads"),
    ({"leads": ["JPN"]}, "leads"),
    ({"working_group": "NOPE"}, "working_group"), ({"text": ""}, "text"), ({"text": 7}, "text"),
    ({"owner": "me"}, "owner"),
])
def test_a_bad_action_line_change_is_422_and_changes_nothing(app, client, ppl, payload, field):
    changes = _changes(app)
    error = assert_error(client.patch(f"{PREFIX}/action-lines/{ppl.ti11}", headers=ppl.staff.headers,
                                      json=payload), 422)
    assert field in error["fields"]
    assert _changes(app) == changes
    assert client.get(f"{PREFIX}/action-lines/{ppl.ti11}", headers=ppl.staff.headers).get_json()["leads"] == ["MYS"]


def test_milestones_are_listed_and_added_by_asec(app, client, ppl):
    url = f"{PREFIX}/action-lines/{ppl.ti11}/milestones"
    assert client.get(url, headers=ppl.other_delegate.headers).get_json() == {"items": []}
    assert_error(client.post(url, headers=ppl.lead_focal.headers, json={"year": 2025, "text": "Workshop"}), 403)
    r = client.post(url, headers=ppl.staff.headers, json={"year": 2025, "text": "Workshop", "target": "30 people",
                                                         "due_on": "2025-06-30"})
    assert r.status_code == 201 and r.get_json()["due_on"] == "2025-06-30"
    r = client.post(url, headers=ppl.staff.headers, json={"year": 2024, "text": "Study"})
    assert r.get_json()["due_on"] == "2024-12-31"
    items = client.get(url, headers=ppl.other_delegate.headers).get_json()["items"]
    assert [m["text"] for m in items] == ["Study", "Workshop"]


@pytest.mark.parametrize("payload,field", [
    ({"year": 2030, "text": "Late"}, "year"), ({"year": "2025", "text": "x"}, "year"),
    ({"year": 2025, "text": "x", "due_on": "2025-02-30"}, "due_on"),
    ({"year": 2025, "text": "x", "due_on": "2024-06-30"}, "due_on"), ({"year": 2025}, "text"),
])
def test_a_bad_milestone_is_422_and_nothing_is_added(app, client, ppl, payload, field):
    error = assert_error(client.post(f"{PREFIX}/action-lines/{ppl.ti11}/milestones", headers=ppl.staff.headers,
                                     json=payload), 422)
    assert field in error["fields"]
    assert _count(app, Milestone) == 0


# --- progress reports --------------------------------------------------------------------------------

def _report_url(ppl, year=2025, quarter=3, action=""):
    return f"{PREFIX}/action-lines/{ppl.ti11}/reports/{year}/{quarter}" + (f"/{action}" if action else "")


def test_the_whole_report_workflow_through_the_api(app, client, ppl):
    url = _report_url(ppl)
    assert_error(client.get(url, headers=ppl.lead_focal.headers), 404)
    r = client.put(url, headers=ppl.lead_delegate.headers, json={
        "status": "on_track", "narrative": "Workshop held in Kuala Lumpur.", "issues": "Visas"})
    assert r.status_code == 201, r.get_json()
    report = r.get_json()
    assert (report["state"], report["status"], report["can_edit"]) == ("draft", "on_track", True)
    version = report["version"]
    # The draft stays with the lead country and ASEC.
    for who in ("other_delegate", "chair"):
        assert_error(client.get(url, headers=getattr(ppl, who).headers), 404)
    assert_error(client.get(url, headers=ppl.observer.headers), 403)  # partners read no report at all
    assert client.get(url, headers=ppl.staff.headers).status_code == 200

    r = client.put(url, headers=ppl.lead_focal.headers, json={"version": version, "status": "delayed",
                                                              "narrative": "Postponed to October."})
    assert r.status_code == 200 and r.get_json()["version"] > version
    version = r.get_json()["version"]
    r = client.post(_report_url(ppl, action="submit"), headers=ppl.lead_focal.headers, json={"version": version})
    assert r.status_code == 200 and r.get_json()["state"] == "submitted"
    version = r.get_json()["version"]
    seen = client.get(url, headers=ppl.other_delegate.headers).get_json()
    assert seen["state"] == "submitted" and seen["can_review"] is False
    assert_error(client.get(url, headers=ppl.observer.headers), 403)
    assert client.get(url, headers=ppl.chair.headers).get_json()["can_review"] is True

    assert_error(client.post(_report_url(ppl, action="return"), headers=ppl.other_chair.headers,
                             json={"version": version, "comment": "No"}), 403)
    assert_error(client.post(_report_url(ppl, action="accept"), headers=ppl.lead_focal.headers,
                             json={"version": version}), 403)
    error = assert_error(client.post(_report_url(ppl, action="return"), headers=ppl.chair.headers,
                                     json={"version": version}), 422)
    assert "reviewer_comment" in error["fields"]
    r = client.post(_report_url(ppl, action="return"), headers=ppl.chair.headers,
                    json={"version": version, "comment": "Add the dates."})
    assert r.status_code == 200 and r.get_json()["state"] == "returned"
    version = r.get_json()["version"]
    r = client.put(url, headers=ppl.lead_delegate.headers, json={"version": version, "status": "completed",
                                                                 "narrative": "Held on 3 October."})
    version = r.get_json()["version"]
    r = client.post(_report_url(ppl, action="submit"), headers=ppl.lead_delegate.headers, json={"version": version})
    version = r.get_json()["version"]
    r = client.post(_report_url(ppl, action="accept"), headers=ppl.chair.headers, json={"version": version})
    assert r.status_code == 200 and r.get_json()["state"] == "accepted" and r.get_json()["can_edit"] is False
    version = r.get_json()["version"]
    # Locked from now on.
    assert_error(client.put(url, headers=ppl.staff.headers, json={"version": version, "status": "delayed"}), 409)
    assert client.get(f"{PREFIX}/action-lines/{ppl.ti11}", headers=ppl.other_delegate.headers
                      ).get_json()["status"] == "completed"
    with app.app_context():
        actions = list(db.session.execute(select(AuditEntry.action).where(AuditEntry.action.like("report.%"))
                                          .order_by(AuditEntry.id)).scalars())
    assert actions == ["report.created", "report.saved", "report.submitted", "report.returned", "report.saved",
                       "report.resubmitted", "report.accepted"]


@pytest.mark.parametrize("who", ["other_delegate", "chair", "observer", "reader"])
def test_only_the_lead_country_and_asec_file_the_report(app, client, ppl, who):
    r = client.put(_report_url(ppl), headers=getattr(ppl, who).headers,
                   json={"status": "on_track", "narrative": "Not ours"})
    assert_error(r, 403)
    assert _count(app, ProgressReport) == 0


def test_a_non_lead_delegate_cannot_edit_or_submit_the_lead_countrys_draft(app, client, ppl):
    r = client.put(_report_url(ppl), headers=ppl.lead_delegate.headers, json={"status": "on_track",
                                                                              "narrative": "Ours"})
    version = r.get_json()["version"]
    assert_error(client.put(_report_url(ppl), headers=ppl.other_delegate.headers,
                            json={"version": version, "status": "delayed"}), 403)
    assert_error(client.post(_report_url(ppl, action="submit"), headers=ppl.other_delegate.headers,
                             json={"version": version}), 404)  # a draft it may not read is not found
    r = client.get(_report_url(ppl), headers=ppl.lead_focal.headers).get_json()
    assert (r["state"], r["status"], r["narrative"], r["version"]) == ("draft", "on_track", "Ours", version)


def test_a_stale_version_is_a_409_with_the_current_report_and_nothing_is_overwritten(client, ppl):
    url = _report_url(ppl)
    first = client.put(url, headers=ppl.lead_delegate.headers, json={"status": "on_track", "narrative": "A"})
    version = first.get_json()["version"]
    client.put(url, headers=ppl.lead_focal.headers, json={"version": version, "status": "delayed",
                                                          "narrative": "B"})
    r = client.put(url, headers=ppl.lead_delegate.headers, json={"version": version, "status": "completed",
                                                                 "narrative": "C"})
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "conflict" and "Someone else changed this report" in error["message"]
    assert error["current"]["narrative"] == "B" and error["current"]["version"] > version
    r = client.put(url, headers=ppl.lead_delegate.headers, json={"status": "completed", "narrative": "D"})
    assert r.status_code == 409 and r.get_json()["error"]["current"]["narrative"] == "B"
    assert client.get(url, headers=ppl.staff.headers).get_json()["narrative"] == "B"


@pytest.mark.parametrize("path_period,payload,status,field", [
    ((2025, 5), {"status": "on_track"}, 400, "quarter"),
    ((2025, 0), {"status": "on_track"}, 400, "quarter"),
    ((2030, 1), {"status": "on_track"}, 422, "year"),
    ((2025, 3), {"status": "finished"}, 422, "status"),
    ((2025, 3), {"status": 3}, 422, "status"),
    ((2025, 3), {"status": "on_track", "narrative": ["x"]}, 422, "narrative"),
    ((2025, 3), {"status": "on_track", "version": "1"}, 422, "version"),
    ((2025, 3), {"status": "on_track", "milestones": {"1": 50}}, 422, "milestones"),
    ((2025, 3), {"status": "on_track", "milestones": [{"milestone_id": 1, "percent": 150}]}, 422, "milestones"),
    ((2025, 3), {"status": "on_track", "evidence": ["doc"]}, 422, "evidence"),
    ((2025, 3), {"narrative": "no status"}, 422, "status"),
])
def test_bad_report_input_is_refused_and_nothing_is_created(app, client, ppl, path_period, payload, status, field):
    error = assert_error(client.put(_report_url(ppl, *path_period), headers=ppl.lead_focal.headers, json=payload),
                         status)
    assert field in error["fields"]
    assert _count(app, ProgressReport) == 0 and _count(app, ReportRevision) == 0


def test_reading_a_report_with_quarter_5_is_a_400_and_a_missing_one_404(client, ppl):
    assert_error(client.get(_report_url(ppl, 2025, 5), headers=ppl.other_delegate.headers), 400)
    assert_error(client.get(_report_url(ppl, 2024, 1), headers=ppl.other_delegate.headers), 404)
    assert_error(client.post(_report_url(ppl, action="submit"), headers=ppl.lead_focal.headers,
                             json={"version": 1}), 404)


def test_milestone_progress_of_another_line_is_refused(app, client, ppl):
    with app.app_context():
        staff = db.session.get(User, ppl.staff.id)
        other = services.add_milestone(staff, line("TI1.2"), year=2025, text="Not TI1.1's")
        own = services.add_milestone(staff, line("TI1.1"), year=2025, text="TI1.1's")
        db.session.commit()
        other_id, own_id = other.id, own.id
    error = assert_error(client.put(_report_url(ppl), headers=ppl.lead_focal.headers, json={
        "status": "on_track", "milestones": [{"milestone_id": other_id, "percent": 10}]}), 422)
    assert "milestones" in error["fields"]
    r = client.put(_report_url(ppl), headers=ppl.lead_focal.headers, json={
        "status": "on_track", "milestones": [{"milestone_id": own_id, "percent": 40}]})
    assert r.status_code == 201 and r.get_json()["milestones"] == [{"milestone_id": own_id, "percent": 40}]


# --- rates -------------------------------------------------------------------------------------------

def test_rates_match_hand_computed_numbers_and_a_past_date_excludes_later_reports(app, client, ppl):
    with app.app_context():
        staff, admin = db.session.get(User, ppl.staff.id), db.session.get(User, ppl.admin.id)
        plan = new_plan(staff, code="RATES-PLAN", lines=4)
        for i in (1, 2, 3, 4):
            line(f"T1.{i}", plan).leads = [org("MYS") if i < 3 else org("THA")]
        m1 = services.add_milestone(staff, line("T1.1", plan), year=2022, text="A", due_on=date(2022, 6, 30))
        m2 = services.add_milestone(staff, line("T1.2", plan), year=2022, text="B", due_on=date(2022, 6, 30))
        services.add_milestone(staff, line("T1.4", plan), year=2025, text="Not yet due")
        file_accepted(staff, admin, line("T1.1", plan), 2022, 2, "completed", {m1.id: 100})
        file_accepted(staff, admin, line("T1.2", plan), 2022, 2, "on_track", {m2.id: 50})
        file_accepted(staff, admin, line("T1.3", plan), 2022, 2, "withdrawn")
        db.session.execute(update(ReportRevision).values(created_at=datetime(2022, 7, 5, 9, 0)))
        file_accepted(staff, admin, line("T1.2", plan), 2022, 3, "completed", {m2.id: 100})  # accepted today
        db.session.commit()

    r = client.get(f"{PREFIX}/plans/RATES-PLAN/rates?as_of=2022-09-30", headers=ppl.other_delegate.headers)
    assert r.status_code == 200
    data = r.get_json()
    assert data["as_of"].startswith("2022-09-30T23:59:59")
    # 1 completed of 3 not withdrawn = 33%; milestones due by then: (100 + 50) / 2 = 75%.
    assert data["overall"] == {"completed": 1, "counted": 3, "percent": 33}
    assert data["milestones"] == {"due": 2, "percent_sum": 150, "percent": 75}
    assert data["status_counts"] == {"not_started": 1, "on_track": 1, "delayed": 0, "completed": 1,
                                     "carried_over": 0, "withdrawn": 1}
    leads = {g["key"]: g for g in data["by_lead"]}
    assert leads["MYS"]["rate"] == {"completed": 1, "counted": 2, "percent": 50}
    assert leads["THA"]["rate"] == {"completed": 0, "counted": 1, "percent": 0}
    assert [g["key"] for g in data["by_area"]] == ["TST"] and data["by_working_group"][0]["key"] == "WGTIM"
    assert [(t["year"], t["quarter"], t["percent"]) for t in data["trend"]][-3:] == [
        (2022, 1, 0), (2022, 2, 33), (2022, 3, 33)]

    now = client.get(f"{PREFIX}/plans/RATES-PLAN/rates", headers=ppl.other_delegate.headers).get_json()
    assert now["overall"] == {"completed": 2, "counted": 3, "percent": 67}  # 2/3 = 66.7% -> 67%
    # Today the 2025 milestone is due too, with nothing reported: (100 + 100 + 0) / 3 = 66.7% -> 67%.
    assert now["milestones"] == {"due": 3, "percent_sum": 200, "percent": 67}
    assert now["trend"][5] == {"year": 2022, "quarter": 2, "withdrawn": 1, "completed": 1, "counted": 3,
                               "percent": 33}
    assert now["trend"][6]["percent"] == 67


@pytest.mark.parametrize("as_of", ["2022-02-30", "30-09-2022", "2099-01-01", "yesterday"])
def test_a_bad_as_of_date_is_a_400(client, ppl, as_of):
    error = assert_error(client.get(f"{PREFIX}/plans/AMCAP-III-P2/rates?as_of={as_of}",
                                    headers=ppl.other_delegate.headers), 400)
    assert "as_of" in error["fields"]


def test_the_seeded_plan_starts_with_no_achievement(client, ppl):
    data = client.get(f"{PREFIX}/plans/AMCAP-III-P2/rates", headers=ppl.lead_focal.headers).get_json()
    assert data["overall"] == {"completed": 0, "counted": 30, "percent": 0}
    assert data["status_counts"]["not_started"] == 30 and len(data["by_strategy"]) == 11
