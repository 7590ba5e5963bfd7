"""What partners (observers) may read through the API: a shared plan's structure and rates, never reports."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.plans import reports
from aocp.plans.models import Plan
from tests.api.conftest import assert_error, bearer
from tests.conftest import org
from tests.plans.conftest import PHASE2, line, phase2

PREFIX = "/api/v1"
SECRET = "Confidential: the ministry withdrew its funding"


@pytest.fixture
def world(app, make_user, make_token):
    """An observer (JPN), a non-lead delegate (THA), ASEC staff; an accepted TI1.1 report for 2025 Q2."""
    ids = {"observer": make_user("observer", org_code="JPN", bodies={"WGTIM": "observer"}),
           "delegate": make_user("delegate", org_code="THA"), "staff": make_user("asec_staff"),
           "lead": make_user("focal_person", org_code="MYS")}
    with app.app_context():
        from aocp.accounts.models import User

        ti11 = line("TI1.1")
        ti11.leads = [org("MYS")]
        lead, staff = db.session.get(User, ids["lead"]), db.session.get(User, ids["staff"])
        report = reports.save_draft(lead, ti11, 2025, 2, status="delayed", narrative=SECRET)
        reports.submit_report(lead, report, report.version)
        reports.accept_report(staff, report, report.version)
        db.session.commit()
        line_id = ti11.id
    headers = {who: bearer(make_token(uid)) for who, uid in ids.items()}
    return {"h": headers, "line": line_id}


def _share(app, shared: bool = True) -> None:
    with app.app_context():
        phase2().shared_with_partners = shared
        db.session.commit()


def _report(world) -> str:
    return f"{PREFIX}/action-lines/{world['line']}/reports/2025/2"


def test_a_plan_not_shared_is_unknown_to_a_partner(client, world):
    h = world["h"]["observer"]
    assert PHASE2 not in [p["code"] for p in client.get(f"{PREFIX}/plans", headers=h).get_json()["items"]]
    for path in (f"/plans/{PHASE2}", f"/plans/{PHASE2}/rates", f"/action-lines/{world['line']}",
                 f"/action-lines/{world['line']}/milestones"):
        assert_error(client.get(PREFIX + path, headers=h), 404, "not_found")
    assert client.get(f"{PREFIX}/action-lines?plan={PHASE2}", headers=h).get_json()["total"] == 0


def test_a_partner_reads_no_report_even_of_a_shared_plan(app, client, world):
    _share(app)
    r = client.get(_report(world), headers=world["h"]["observer"])
    assert_error(r, 403, "forbidden")
    assert SECRET not in r.get_data(as_text=True)
    assert SECRET in client.get(_report(world), headers=world["h"]["delegate"]).get_data(as_text=True)


def test_a_shared_plan_gives_a_partner_its_structure_and_rates(app, client, world):
    _share(app)
    h = world["h"]["observer"]
    plan = client.get(f"{PREFIX}/plans/{PHASE2}", headers=h).get_json()
    assert plan["shared_with_partners"] is True and len(plan["areas"]) == 4
    assert client.get(f"{PREFIX}/plans/{PHASE2}/rates", headers=h).status_code == 200
    assert client.get(f"{PREFIX}/action-lines?plan={PHASE2}", headers=h).get_json()["total"] == 30
    line_json = client.get(f"{PREFIX}/action-lines/{world['line']}", headers=h).get_json()
    assert line_json["status"] == "delayed" and SECRET not in str(line_json)


def test_asec_shares_a_plan_through_the_api_and_it_is_audited(app, client, world):
    r = client.patch(f"{PREFIX}/plans/{PHASE2}", headers=world["h"]["staff"], json={"shared_with_partners": True})
    assert r.status_code == 200 and r.get_json()["shared_with_partners"] is True
    assert client.get(f"{PREFIX}/plans/{PHASE2}", headers=world["h"]["observer"]).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "plan.shared")) == 1


@pytest.mark.parametrize("payload", [{"shared_with_partners": "yes"}, {"shared_with_partners": None}, {},
                                     {"shared_with_partners": True, "name": "Renamed"}])
def test_a_bad_sharing_request_is_a_422_and_changes_nothing(app, client, world, payload):
    assert_error(client.patch(f"{PREFIX}/plans/{PHASE2}", headers=world["h"]["staff"], json=payload), 422)
    with app.app_context():
        assert db.session.execute(select(Plan.shared_with_partners).where(Plan.code == PHASE2)).scalar_one() is False


@pytest.mark.parametrize("who", ["observer", "delegate", "lead"])
def test_only_asec_shares_a_plan_through_the_api(app, client, world, who):
    r = client.patch(f"{PREFIX}/plans/{PHASE2}", headers=world["h"][who], json={"shared_with_partners": True})
    assert_error(r, 403)
    with app.app_context():
        assert db.session.execute(select(Plan.shared_with_partners).where(Plan.code == PHASE2)).scalar_one() is False
