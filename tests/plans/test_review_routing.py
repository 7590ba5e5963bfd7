"""Review routing as AMCAP's monitoring arrangement has it: the line's working-group chair and vice-chair, WGCBM's
chair and vice-chair, and ASEC; each notified once, never the filer; the others' requests go once one decides."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from aocp import policy
from aocp.extensions import db
from aocp.notifications import services as notifications
from aocp.notifications.models import Notification
from aocp.notifications.plans import reviewers
from aocp.plans import access, queues, reports
from aocp.policy import PermissionDenied
from tests.conftest import login, sign_in
from tests.notifications.conftest import notes, recipients
from tests.plans.queue_cast import ids, submitted, today

REVIEWERS = ("admin", "staff", "wgtim_chair", "wgtim_vice", "wgcbm_chair", "both")


def test_the_reviewers_of_a_line_are_its_group_chairs_wgcbm_chairs_and_asec_each_once(cast):
    people = reviewers(cast["lines"]["T1.1"])
    assert [u.id for u in people] == sorted({u.id for u in people}, key=[u.id for u in people].index)  # no twice
    assert {u.id for u in people} == ids(cast, *REVIEWERS)


def test_a_report_of_a_group_without_a_chair_goes_to_wgcbm_and_asec(cast):
    submitted(cast["tha_delegate"], cast["lines"]["T1.2"])  # WGSMD: nobody chairs it
    assert recipients("report_submitted") == ids(cast, "admin", "staff", "wgcbm_chair", "both")
    assert len(notes("report_submitted")) == 4  # "both" (WGTIM chair and WGCBM vice-chair) once
    waiting = queues.rows(cast["staff"], queues.Filters(state="submitted"), today(), 10)
    assert [(r.line.code, r.state) for r in waiting] == [("T1.2", "submitted")]


def test_each_reviewer_is_notified_once_and_the_filer_never(cast):
    submitted(cast["mys_focal"], cast["lines"]["T1.1"])
    assert recipients("report_submitted") == ids(cast, *REVIEWERS)
    assert len(notes("report_submitted")) == len(REVIEWERS)
    assert not notes("report_submitted", recipient=cast["mys_focal"].id)


def test_asec_filing_a_report_is_not_notified_of_its_own_act(cast):
    submitted(cast["staff"], cast["lines"]["T1.2"])
    assert recipients("report_submitted") == ids(cast, "admin", "wgcbm_chair", "both")


@pytest.mark.parametrize("who,decides", [
    ("wgcbm_chair", True), ("both", True), ("admin", True), ("staff", True),
    ("other_chair", False), ("wgtim_chair", False), ("wgsmd_member", False), ("lao_delegate", False),
    ("observer", False),
])
def test_who_may_decide_a_report_of_a_wgsmd_line(cast, who, decides):
    report = submitted(cast["tha_delegate"], cast["lines"]["T1.2"])
    assert policy.can(cast[who], "reports.decide", report) is decides


def test_the_wgcbm_chair_accepts_a_report_of_any_group_and_another_groups_chair_may_not(cast):
    report = submitted(cast["mys_focal"], cast["lines"]["T1.1"])
    with pytest.raises(PermissionDenied):
        reports.accept_report(cast["other_chair"], report, report.version)
    db.session.rollback()
    reports.accept_report(cast["wgcbm_chair"], report, report.version)
    db.session.commit()
    assert report.state == "accepted" and report.reviewed_by_id == cast["wgcbm_chair"].id


@pytest.mark.parametrize("decision", ["accept", "return"])
def test_once_one_reviewer_decides_the_others_requests_to_review_are_gone(app, client, cast, decision):
    report = submitted(cast["mys_focal"], cast["lines"]["T1.1"])
    seen = notes("report_submitted", recipient=cast["wgtim_vice"].id)[0]
    notifications.mark_read(cast["wgtim_vice"], seen)  # read before the decision: stays in its history
    db.session.commit()
    if decision == "accept":
        reports.accept_report(cast["wgcbm_chair"], report, report.version)
    else:
        reports.return_report(cast["wgcbm_chair"], report, "Add the dates.", report.version)
    db.session.commit()
    assert [(n.recipient_id, n.read_at is not None) for n in notes("report_submitted")] == \
        [(cast["wgtim_vice"].id, True)]
    for name in ("admin", "staff", "wgtim_chair", "both"):
        assert notifications.unread_count(cast[name]) == 0
    sign_in(app, client, cast["wgtim_chair"].id)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Progress report to review" not in page
    assert f"Progress report {'accepted' if decision == 'accept' else 'returned'}" not in page  # not theirs


def test_a_resubmitted_report_asks_again(cast):
    report = submitted(cast["mys_focal"], cast["lines"]["T1.1"])
    reports.return_report(cast["staff"], report, "Add the dates.", report.version)
    reports.submit_report(cast["mys_focal"], report, report.version)
    db.session.commit()
    assert recipients("report_submitted") == ids(cast, *REVIEWERS)


def test_the_report_page_names_every_reviewer(cast):
    report = submitted(cast["tha_delegate"], cast["lines"]["T1.2"])
    words = " ".join(access.report_readers(report, cast["lines"]["T1.2"]))
    assert "the chair and vice-chair of WGSMD, the chair and vice-chair of WGCBM and ASEC review it" in words


def test_the_demo_data_leaves_no_request_to_review_an_accepted_report(app):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        assert db.session.scalar(select(db.func.count(Notification.id))
                                 .where(Notification.kind == "report_submitted")) == 0
        assert db.session.scalar(select(db.func.count(Notification.id))
                                 .where(Notification.kind == "report_reviewed")) > 0
    client = app.test_client()
    login(client, "delegate.vnm@example.gov.vn", "cooperation-demo-2026")  # WGCBM's vice-chair in the demo
    assert "Progress report to review" not in client.get("/notifications/").get_data(as_text=True)
