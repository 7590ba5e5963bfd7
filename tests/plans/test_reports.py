"""Quarterly progress reports: who files and reviews them, the workflow, locking, versions and reminders."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import select, text, update

from aocp import policy
from aocp.audit import AuditEntry
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.plans import reports, services
from aocp.plans.models import ActionLine, ProgressReport, ReportRevision
from aocp.plans.reports import Conflict
from aocp.plans.services import PlanError
from aocp.policy import PermissionDenied
from tests.conftest import body, org
from tests.plans.conftest import TODAY, file_accepted, line, new_plan


def _draft(actor, code="TI1.1", year=2025, quarter=3, **fields):
    fields.setdefault("status", "on_track")
    fields.setdefault("narrative", "Workshop held in Kuala Lumpur.")
    return reports.save_draft(actor, line(code), year, quarter, **fields)


def _actions(report) -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).where(
        AuditEntry.target_type == "progress_reports", AuditEntry.target_id == str(report.id))
        .order_by(AuditEntry.id)).scalars())


# --- who may file and review ---------------------------------------------------------------------------

@pytest.mark.parametrize("who,edit,review", [
    ("admin", True, True), ("staff", True, True),
    ("lead_focal", True, False), ("lead_delegate", True, False),
    ("other_delegate", False, False), ("other_focal", False, False),
    ("chair", False, True), ("vice_chair", False, True), ("other_chair", False, False),
    ("observer", False, False),
])
def test_each_role_may_file_and_review_exactly_as_the_policy_says(people, who, edit, review):
    ti11 = line("TI1.1")
    assert policy.can(people[who], "reports.edit", ti11) is edit
    assert policy.can(people[who], "reports.review", ti11) is review
    assert policy.can(people[who], "plans.view")
    assert policy.can(people[who], "plans.manage") is (who in ("admin", "staff"))


def test_changing_and_deciding_a_report_now_follow_its_state(people):
    """`reports.change` and `reports.decide` are what pages, API and templates ask: the line's rule and the state."""
    lead, chair = people["lead_focal"], people["chair"]
    assert policy.can(lead, "reports.change", line("TI1.1"))  # nothing filed yet: the lead may start the report
    assert not policy.can(chair, "reports.change", line("TI1.1"))
    report = _draft(lead)
    db.session.commit()
    assert policy.can(lead, "reports.change", report) and not policy.can(chair, "reports.decide", report)
    reports.submit_report(lead, report, report.version)
    assert not policy.can(lead, "reports.change", report) and policy.can(chair, "reports.decide", report)
    assert not policy.can(people["other_chair"], "reports.decide", report)
    reports.return_report(chair, report, "Add the dates of the workshop.", report.version)
    assert policy.can(lead, "reports.change", report) and not policy.can(chair, "reports.decide", report)
    assert not policy.can(people["other_delegate"], "reports.change", report)
    reports.submit_report(lead, report, report.version)
    reports.accept_report(chair, report, report.version)
    assert not policy.can(lead, "reports.change", report) and not policy.can(chair, "reports.decide", report)
    assert not policy.can(people["admin"], "reports.change", report)  # accepted: locked, even for ASEC


def test_a_delegate_of_a_non_lead_country_cannot_file_or_edit_the_lead_countrys_report(people):
    with pytest.raises(PermissionDenied):
        _draft(people["other_delegate"])
    report = _draft(people["lead_delegate"])
    db.session.commit()
    with pytest.raises(PermissionDenied):
        reports.save_draft(people["other_delegate"], line("TI1.1"), 2025, 3, status="delayed",
                           seen_version=report.version)
    with pytest.raises(PermissionDenied):
        reports.submit_report(people["other_delegate"], report, report.version)
    db.session.rollback()
    assert db.session.get(ProgressReport, report.id).status == "on_track"


def test_an_observer_and_a_non_lead_focal_person_cannot_file(people):
    for who in ("observer", "other_focal"):
        with pytest.raises(PermissionDenied):
            _draft(people[who])
    assert db.session.scalar(select(ProgressReport.id)) is None


def test_a_working_group_member_who_is_not_chair_cannot_review(people):
    report = _draft(people["lead_delegate"])
    reports.submit_report(people["lead_delegate"], report, report.version)
    for who in ("other_delegate", "lead_focal", "other_chair", "observer"):
        with pytest.raises(PermissionDenied):
            reports.accept_report(people[who], report, report.version)
        with pytest.raises(PermissionDenied):
            reports.return_report(people[who], report, "no", report.version)
    assert report.state == "submitted"


def test_a_chair_does_not_review_a_report_they_submitted(people, make_user):
    chair_and_lead = db.session.get(type(people["chair"]),
                                    make_user("focal_person", org_code="MYS", bodies={"WGTIM": "vice_chair"}))
    report = _draft(chair_and_lead)
    reports.submit_report(chair_and_lead, report, report.version)
    with pytest.raises(PlanError, match="Someone other than"):
        reports.accept_report(chair_and_lead, report, report.version)
    reports.accept_report(people["chair"], report, report.version)
    assert report.state == "accepted"


# --- the workflow ----------------------------------------------------------------------------------------

def test_lead_files_chair_returns_lead_resubmits_chair_accepts_and_the_report_is_locked(people):
    lead, chair = people["lead_delegate"], people["chair"]
    ti11 = line("TI1.1")
    m = services.add_milestone(people["staff"], ti11, year=2025, text="Regional policy statement drafted")
    report = _draft(lead, milestones={m.id: 40})
    assert (report.state, report.version) == ("draft", 1)
    report = reports.submit_report(lead, report, report.version)
    assert report.state == "submitted" and report.submitted_by_id == lead.id
    with pytest.raises(PlanError, match="with the reviewer"):
        _draft(lead, seen_version=report.version)
    report = reports.return_report(chair, report, "Add the workshop's outcomes.", report.version)
    assert (report.state, report.reviewer_comment, report.reviewed_by_id) == ("returned", "Add the workshop's "
                                                                              "outcomes.", chair.id)
    report = _draft(lead, narrative="Workshop held; outcomes attached.", milestones={m.id: 60},
                    seen_version=report.version)
    assert report.state == "returned"
    report = reports.submit_report(lead, report, report.version)
    report = reports.accept_report(chair, report, report.version, "Thank you.")
    db.session.commit()
    assert report.state == "accepted" and report.locked
    with pytest.raises(PlanError, match="locked"):
        _draft(lead, seen_version=report.version)
    with pytest.raises(PlanError):
        reports.submit_report(lead, report, report.version)
    with pytest.raises(PlanError):
        reports.return_report(chair, report, "again", report.version)
    assert _actions(report) == ["report.created", "report.submitted", "report.returned", "report.saved",
                                "report.resubmitted", "report.accepted"]


def test_every_state_is_frozen_as_a_revision(people):
    lead, chair = people["lead_focal"], people["chair"]
    report = _draft(lead, status="delayed", issues="Funding", support_needed="A trainer")
    reports.submit_report(lead, report, report.version)
    reports.return_report(chair, report, "Say more", report.version)
    _draft(lead, status="on_track", seen_version=report.version)
    reports.submit_report(lead, report, report.version)
    reports.accept_report(chair, report, report.version)
    db.session.commit()
    revs = reports.revisions(report)
    assert [(r.state, r.line_status) for r in revs] == [
        ("draft", "delayed"), ("submitted", "delayed"), ("returned", "delayed"), ("returned", "on_track"),
        ("submitted", "on_track"), ("accepted", "on_track")]
    assert [r.report_version for r in revs] == [1, 2, 3, 4, 5, 6]
    first = json.loads(revs[0].snapshot)
    assert (first["issues"], first["support_needed"], first["state"]) == ("Funding", "A trainer", "draft")
    assert json.loads(revs[2].snapshot)["reviewer_comment"] == "Say more"
    assert {r.created_by_id for r in revs} == {lead.id, chair.id}


def test_submitting_needs_a_narrative(people):
    report = _draft(people["lead_delegate"], narrative="")
    with pytest.raises(PlanError) as err:
        reports.submit_report(people["lead_delegate"], report, report.version)
    assert err.value.field == "narrative"


@pytest.mark.parametrize("fields,field", [
    ({"status": "finished"}, "status"),
    ({"year": 2020}, "year"),
    ({"quarter": 5}, "quarter"),
    ({"narrative": "x" * 20_001}, "narrative"),
    ({"milestones": {999_999: 10}}, "milestones"),
    ({"evidence": [999_999]}, "evidence"),
])
def test_bad_input_is_refused_with_the_field_named(people, fields, field):
    with pytest.raises(PlanError) as err:
        _draft(people["lead_delegate"], **fields)
    assert err.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(ProgressReport.id)) is None


def test_a_percent_outside_0_to_100_is_refused(people):
    m = services.add_milestone(people["staff"], line("TI1.1"), year=2025, text="M")
    for bad in (101, -1, "half"):
        with pytest.raises(PlanError) as err:
            _draft(people["lead_delegate"], milestones={m.id: bad})
        assert err.value.field == f"milestone-{m.id}"


def test_a_future_quarter_and_a_plan_not_being_implemented_are_refused(people):
    with pytest.raises(PlanError, match="current quarter or a past one"):
        reports.save_draft(people["lead_delegate"], line("TI1.1"), 2025, 4, status="on_track",
                           today=date(2025, 9, 30))
    plan = new_plan(people["staff"], code="DRAFT-PLAN", status="draft")
    with pytest.raises(PlanError, match="being implemented"):
        reports.save_draft(people["staff"], line("T1.1", plan), 2022, 1, status="on_track")


def test_evidence_is_a_document_the_filer_can_open(people, make_user):
    lead = people["lead_delegate"]
    mine = Document(title="Workshop report", uploader_id=lead.id, org_id=lead.org_id, access_level="everyone")
    hidden = Document(title="Someone's private note", uploader_id=people["other_delegate"].id,
                      org_id=people["other_delegate"].org_id, access_level="named")
    db.session.add_all([mine, hidden])
    db.session.flush()
    report = _draft(lead, evidence=[mine.id])
    assert [e.document_id for e in report.evidence] == [mine.id]
    with pytest.raises(PlanError) as err:
        _draft(lead, evidence=[mine.id, hidden.id], seen_version=report.version)
    assert err.value.field == "evidence"


# --- optimistic locking ----------------------------------------------------------------------------------

def test_a_stale_version_is_a_conflict_that_carries_the_current_report(people):
    focal, delegate = people["lead_focal"], people["lead_delegate"]
    report = _draft(focal)
    opened = report.version
    _draft(delegate, narrative="Delegate's update", seen_version=opened)
    db.session.commit()
    with pytest.raises(Conflict) as err:
        _draft(focal, narrative="Focal person's update", seen_version=opened)
    assert err.value.report.narrative == "Delegate's update"
    assert "Someone else changed this report" in str(err.value)
    with pytest.raises(Conflict):
        reports.submit_report(focal, report, opened)
    db.session.rollback()
    assert db.session.get(ProgressReport, report.id).narrative == "Delegate's update"


def test_a_save_racing_another_between_read_and_write_is_a_conflict(people):
    report = _draft(people["lead_focal"])
    db.session.commit()
    seen = report.version
    # Another request saves in its own transaction after this one has read the report.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE progress_reports SET version = version + 1, narrative = 'theirs' WHERE id = :i"),
                     {"i": report.id})
    with pytest.raises(Conflict) as err:
        _draft(people["lead_delegate"], narrative="mine", seen_version=seen)
    assert err.value.report.narrative == "theirs"
    assert db.session.get(ProgressReport, report.id).narrative == "theirs"


def test_creating_a_report_that_exists_already_is_a_conflict(people):
    _draft(people["lead_focal"])
    with pytest.raises(Conflict):
        _draft(people["lead_delegate"])  # opened the empty form before the focal person saved


# --- carry-over ----------------------------------------------------------------------------------------

def test_an_unfinished_line_is_carried_into_the_next_plan_with_a_link_back(people):
    staff = people["staff"]
    old = line("TI1.1")
    old.participants = [org("THA"), org("CHN")]
    file_accepted(staff, people["admin"], old, 2025, 3, "carried_over")
    amcap4 = services.create_plan(staff, code="AMCAP-IV-P1", name="AMCAP-IV Phase 1: 2026-2030", start_year=2026,
                                  end_year=2030, carried_from=old.plan)
    area = services.add_area(staff, amcap4, code="TIM", name="Trade and Investment in Minerals",
                             working_group=body("WGTIM"))
    strategy = services.add_strategy(staff, area, code="TI1", title="Promote ASEAN as an investment destination")
    new = services.carry_over(staff, old, strategy)
    db.session.commit()
    assert (new.plan.code, new.code, new.text) == ("AMCAP-IV-P1", "TI1.1", old.text)
    assert new.carried_from_id == old.id and [o.code for o in new.leads] == ["MYS"]
    assert [o.code for o in new.participants] == ["CHN", "THA"] and new.body.code == "WGTIM"
    assert [x.code for x in services.carried_chain(new)] == ["TI1.1", "TI1.1"]
    assert reports.get_report(old, 2025, 3).state == "accepted"  # the old line keeps its history
    with pytest.raises(PlanError, match="already carried over"):
        services.carry_over(staff, old, strategy)
    done = line("TI1.2")
    file_accepted(staff, people["admin"], done, 2025, 3, "completed")
    with pytest.raises(PlanError, match="completed"):
        services.carry_over(staff, done, strategy)
    with pytest.raises(PermissionDenied):
        services.carry_over(people["lead_focal"], line("TI1.3"), strategy)


# --- plans by form ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fields,field", [
    ({"code": "bad code!"}, "code"),
    ({"code": "AMCAP-III-P2"}, "code"),
    ({"name": " "}, "name"),
    ({"start_year": "twenty"}, "start_year"),
    ({"end_year": 2025}, "end_year"),
    ({"end_year": 2050}, "end_year"),
    ({"status": "archived"}, "status"),
])
def test_a_plan_form_with_bad_input_names_the_field(people, fields, field):
    data = {"code": "AMCAP-IV-P1", "name": "AMCAP-IV Phase 1", "start_year": "2026", "end_year": "2030"} | fields
    with pytest.raises(PlanError) as err:
        services.create_plan(people["staff"], **data)
    assert err.value.field == field


def test_only_asec_defines_plans_and_action_lines(people):
    for who in ("lead_focal", "chair", "observer"):
        with pytest.raises(PermissionDenied):
            services.create_plan(people[who], code="X-1", name="X", start_year=2026, end_year=2030)
    plan = services.create_plan(people["admin"], code="ASEAN3-WP", name="ASEAN+3 work plan", start_year=2026,
                                end_year=2030, status="active")
    area = services.add_area(people["admin"], plan, code="COOP", name="Cooperation")
    strategy = services.add_strategy(people["admin"], area, code="C1", title="Geoscience cooperation")
    with pytest.raises(PlanError) as err:
        services.add_action_line(people["admin"], strategy, code="C1.1", text="Joint mapping", leads=[org("JPN")])
    assert err.value.field == "leads"
    new = services.add_action_line(people["admin"], strategy, code="C1.1", text="Joint mapping",
                                   leads=[org("MYS")], participants=[org("JPN")])
    assert new.body is None and new.position == 1
    with pytest.raises(PlanError, match="already has an action line"):
        services.add_action_line(people["admin"], strategy, code="c1.1", text="Again")
    with pytest.raises(PlanError) as err:
        services.add_milestone(people["admin"], new, year=2031, text="Too late")
    assert err.value.field == "year"
    assert db.session.execute(select(AuditEntry.action).where(AuditEntry.action == "plan.created")).first()


# --- reminders ---------------------------------------------------------------------------------------------

def test_missing_reports_list_each_lead_of_each_line_not_yet_filed_this_quarter(people, app):
    staff = people["staff"]
    plan = new_plan(staff, code="AMCAP-IV-P1", start=2026, end=2030, lines=4)
    lines = {x.code: x for x in db.session.execute(select(ActionLine).where(ActionLine.plan_id == plan.id)).scalars()}
    lines["T1.1"].leads = [org("MYS"), org("PHL")]
    lines["T1.2"].leads = [org("THA")]
    lines["T1.3"].leads = [org("VNM")]
    reports.save_draft(staff, lines["T1.1"], 2026, 4, status="on_track", narrative="started", today=TODAY)
    submitted = reports.save_draft(staff, lines["T1.2"], 2026, 4, status="on_track", narrative="x", today=TODAY)
    reports.submit_report(staff, submitted, submitted.version)
    done = reports.save_draft(staff, lines["T1.3"], 2026, 3, status="completed", narrative="x", today=TODAY)
    reports.submit_report(staff, done, done.version)
    reports.accept_report(people["admin"], done, done.version)
    # Accepted before TODAY, whatever day the suite runs on (status as of a day counts what was accepted by then).
    db.session.execute(update(ReportRevision).where(ReportRevision.report_id == done.id)
                       .values(created_at=datetime(2026, 11, 20)))
    missing = reports.missing_reports(TODAY, plan)
    assert [(m.action_line.code, m.lead.code if m.lead else None, m.state) for m in missing] == [
        ("T1.1", "MYS", "draft"), ("T1.1", "PHL", "draft"), ("T1.4", None, None)]
    assert {(m.year, m.quarter, m.deadline) for m in missing} == {(2026, 4, date(2027, 1, 15))}
    assert reports.missing_reports(TODAY) == missing  # Phase 2 (2021-2025) no longer asks for reports
    app.config["PLAN_REPORT_GRACE_DAYS"] = 30
    try:
        assert reports.report_deadline(2026, 1) == date(2026, 4, 30)
    finally:
        app.config["PLAN_REPORT_GRACE_DAYS"] = 15
    contacts = reports.lead_contacts([org("MYS").id])
    assert {u.email for u in contacts[org("MYS").id]} == {people["lead_focal"].email, people["lead_delegate"].email}
