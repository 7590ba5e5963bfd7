"""Progress report reminders and review notices: who hears what, and when."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.notifications.models import KINDS
from aocp.plans import reports
from aocp.plans.models import ActionLine
from aocp.plans.reminders import remind_reports
from tests.conftest import login, org
from tests.notifications.conftest import notes, queued, recipients
from tests.plans.conftest import new_plan

BEFORE_Q3_DEADLINE = date(2026, 10, 10)  # 2026 Q3 reports are due 15 October 2026
AFTER_Q3_DEADLINE = date(2026, 11, 25)


@pytest.fixture
def cast(ctx, make_user):
    """Users by the part they play: MYS leads T1.1 and THA leads T1.2 of a 2026-2030 plan in WGTIM."""
    ids = {
        "admin": make_user("asec_admin", mfa_on=True),
        "staff": make_user("asec_staff"),
        "lead_focal": make_user("focal_person", org_code="MYS"),
        "lead_delegate": make_user("delegate", org_code="MYS", bodies={"WGTIM": "member"}),
        "lead_observer": make_user("observer", org_code="MYS"),
        "other_lead": make_user("focal_person", org_code="THA"),
        "outsider": make_user("delegate", org_code="VNM", bodies={"WGTIM": "member"}),
        "chair": make_user("focal_person", org_code="PHL", bodies={"WGTIM": "chair"}),
        "vice_chair": make_user("delegate", org_code="IDN", bodies={"WGTIM": "vice_chair"}),
        "other_chair": make_user("focal_person", org_code="SGP", bodies={"WGSMD": "chair"}),
    }
    people = {name: db.session.get(User, uid) for name, uid in ids.items()}
    plan = new_plan(people["admin"], code="AMCAP-IV-P1", start=2026, end=2030, lines=3)
    lines = {x.code: x for x in db.session.execute(select(ActionLine).where(ActionLine.plan_id == plan.id)).scalars()}
    lines["T1.1"].leads = [org("MYS")]
    lines["T1.2"].leads = [org("THA")]
    db.session.commit()
    people["lines"] = lines
    return people


def _ids(cast, *names) -> set[int]:
    return {cast[n].id for n in names}


def _submitted(cast, quarter: int = 3, today: date = BEFORE_Q3_DEADLINE):
    report = reports.save_draft(cast["lead_focal"], cast["lines"]["T1.1"], 2026, quarter, status="on_track",
                                narrative="Workshop held in Kuala Lumpur", today=today)
    reports.submit_report(cast["lead_focal"], report, report.version)
    db.session.commit()
    return report


def test_a_report_due_soon_is_reminded_to_the_lead_countrys_focal_persons_and_delegates_only(cast):
    due, missing = remind_reports(7, today=BEFORE_Q3_DEADLINE)
    db.session.commit()
    assert (due, missing) == (3, 0)
    assert recipients("report_due") == _ids(cast, "lead_focal", "lead_delegate", "other_lead")
    mine = notes("report_due", recipient=cast["lead_focal"].id)
    assert [n.title for n in mine] == ["Progress report due 15 Oct 2026: T1.1, 2026 Q3"]
    assert mine[0].url == "/plans/AMCAP-IV-P1/lines/T1.1/reports/2026/Q3"
    assert mine[0].object_type == "action_line" and mine[0].object_id == cast["lines"]["T1.1"].id
    assert mine[0].channel == "email_now"
    assert [e.subject for e in queued(cast["lead_delegate"].email)]
    assert not queued(cast["chair"].email) and not queued(cast["outsider"].email)


def test_no_due_reminder_outside_the_window(cast):
    assert remind_reports(3, today=BEFORE_Q3_DEADLINE) == (0, 0)
    assert not notes("report_due")


def test_a_due_reminder_is_not_sent_twice_the_same_day(cast):
    remind_reports(7, today=BEFORE_Q3_DEADLINE)
    db.session.commit()
    assert remind_reports(7, today=BEFORE_Q3_DEADLINE) == (0, 0)
    db.session.commit()
    assert len(notes("report_due", recipient=cast["lead_focal"].id)) == 1
    assert len(notes("report_due")) == 3


def test_a_report_past_its_deadline_is_reminded_as_missing(cast):
    due, missing = remind_reports(7, today=AFTER_Q3_DEADLINE)
    db.session.commit()
    assert (due, missing) == (0, 3)
    assert recipients("report_missing") == _ids(cast, "lead_focal", "lead_delegate", "other_lead")
    note = notes("report_missing", recipient=cast["lead_focal"].id)[0]
    assert note.title == "Progress report overdue since 15 Oct 2026: T1.1, 2026 Q3"
    assert note.channel == "daily_digest"
    assert remind_reports(7, today=AFTER_Q3_DEADLINE) == (0, 0)


def test_no_reminder_for_a_submitted_report(cast):
    _submitted(cast)
    assert remind_reports(7, today=BEFORE_Q3_DEADLINE) == (1, 0)
    assert recipients("report_due") == _ids(cast, "other_lead")
    assert remind_reports(7, today=AFTER_Q3_DEADLINE) == (0, 1)
    assert recipients("report_missing") == _ids(cast, "other_lead")


def test_a_draft_or_returned_report_is_still_reminded(cast):
    report = _submitted(cast)
    reports.return_report(cast["chair"], report, "Add the participants list", report.version)
    db.session.commit()
    remind_reports(7, today=AFTER_Q3_DEADLINE)
    assert _ids(cast, "lead_focal", "lead_delegate") <= recipients("report_missing")


def test_a_submitted_report_notifies_the_chair_and_vice_chair_and_asec_not_the_submitter(cast):
    _submitted(cast)
    assert recipients("report_submitted") == _ids(cast, "chair", "vice_chair", "admin", "staff")
    note = notes("report_submitted", recipient=cast["chair"].id)[0]
    assert note.title == "Progress report to review: T1.1, 2026 Q3"
    assert note.url == "/plans/AMCAP-IV-P1/lines/T1.1/reports/2026/Q3"
    assert note.object_type == "progress_report"
    assert queued(cast["chair"].email) and not queued(cast["lead_focal"].email)
    assert not queued(cast["other_chair"].email) and not queued(cast["outsider"].email)


def test_a_returned_report_notifies_its_author_and_the_lead_contacts_not_the_reviewer(cast):
    report = _submitted(cast)
    reports.return_report(cast["chair"], report, "Add the participants list", report.version)
    db.session.commit()
    assert recipients("report_reviewed") == _ids(cast, "lead_focal", "lead_delegate")
    note = notes("report_reviewed", recipient=cast["lead_delegate"].id)[0]
    assert note.title == "Progress report returned with comments: T1.1, 2026 Q3"
    assert "Add the participants list" in queued(cast["lead_delegate"].email)[0].text


def test_an_accepted_report_notifies_the_lead_including_an_asec_author(cast):
    report = reports.save_draft(cast["staff"], cast["lines"]["T1.1"], 2026, 3, status="on_track",
                                narrative="Filed by ASEC for MYS", today=BEFORE_Q3_DEADLINE)
    reports.submit_report(cast["staff"], report, report.version)
    reports.accept_report(cast["vice_chair"], report, report.version)
    db.session.commit()
    assert recipients("report_reviewed") == _ids(cast, "staff", "lead_focal", "lead_delegate")
    assert notes("report_reviewed")[0].title == "Progress report accepted: T1.1, 2026 Q3"


def test_the_remind_command_reports_what_it_sent(app, cast):
    result = app.test_cli_runner().invoke(args=["plans", "remind", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "people of progress reports due" in result.output
    bad = app.test_cli_runner().invoke(args=["plans", "remind", "--days", "99"])
    assert bad.exit_code != 0


def test_the_report_kinds_appear_on_the_settings_page(app, client, make_user):
    make_user("focal_person", org_code="MYS", email="focal@example.gov.my")
    assert login(client, "focal@example.gov.my").status_code == 302
    page = client.get("/notifications/settings").get_data(as_text=True)
    for kind in ("report_due", "report_missing", "report_submitted", "report_reviewed"):
        assert KINDS[kind] in page
