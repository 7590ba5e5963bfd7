"""Demo content for trying AOCP: a few documents at each access level, made by the demo people."""
from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from aocp.accounts.services import find_user
from aocp.documents import services as documents
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings import assignments
from aocp.meetings import services as meetings
from aocp.meetings.models import Meeting
from aocp.orgs.models import Body, Organisation
from aocp.timeutil import utcnow

# (uploader, title, type, org, body, action line, tags, access level, access body, file name, text)
DEMO_DOCUMENTS = [
    ("focal.mys@example.gov.my", "Malaysia country report on minerals trade, 2025", "country_report", "MYS",
     "WGTIM", "TI1.1", ["trade", "investment"], "asean", None, "MYS-country-report-2025.txt",
     "Malaysia country report. Minerals trade and investment policy updates, export statistics for tin and "
     "bauxite, and the national mineral policy review under AMCAP-III Phase 2."),
    ("delegate.mys@example.gov.my", "Draft agenda, 21st WGTIM Meeting", "meeting_paper", "MYS", "WGTIM", "",
     ["agenda"], "body", "WGTIM", "WGTIM-21-draft-agenda.txt",
     "Draft agenda for the 21st Meeting of the Working Group on Trade and Investment in Minerals: adoption of the "
     "agenda, progress of action lines TI1.1 to TI3.2, country reports, any other business."),
    ("delegate.tha@example.go.th", "รายงานความก้าวหน้าการพัฒนาแร่อย่างยั่งยืน (Thailand progress report)",
     "country_report", "THA", "WGSMD", "ES1.1", ["sustainability", "thailand"], "asean", None,
     "รายงานความก้าวหน้า.txt",
     "รายงานความก้าวหน้าการพัฒนาแร่อย่างยั่งยืนของประเทศไทย Thailand progress report on sustainable minerals "
     "development, mine closure and rehabilitation guidelines."),
    ("staff@asec.example.org", "Training course on mineral resource classification (UNFC)", "capacity_building",
     "ASEC", "WGCBM", "IH1.3", ["training", "unfc"], "everyone", None, "UNFC-training-materials.txt",
     "Capacity-building materials: the United Nations Framework Classification for Resources, exercises and case "
     "studies for ASEAN geological surveys."),
    ("focal.phl@example.gov.ph", "ASEAN Minerals Database: data exchange template", "template", "PHL", "WGMID",
     "MD1.1", ["database", "template"], "named", None, "AMDIS-data-template.csv",
     "country,commodity,year,production_tonnes\nPHL,nickel,2024,\nPHL,copper,2024,\n"),
    ("observer.igf@example.org", "IGF guidance on mining policy framework", "study", "IGF", "WGSMD", "",
     ["igf", "policy"], "everyone", None, "IGF-mining-policy-framework.txt",
     "Guidance from the Intergovernmental Forum on Mining, Minerals, Metals and Sustainable Development on the "
     "mining policy framework."),
]


def _get(model, code: str):
    return db.session.execute(select(model).where(model.code == code)).scalar_one()


def demo_documents() -> int:
    """Add the demo documents that are not there yet; returns how many were added."""
    titles = set(db.session.execute(select(Document.title)).scalars())
    added = 0
    for (email, title, doc_type, org, body, line, tags, level, access_body, filename, text) in DEMO_DOCUMENTS:
        uploader = find_user(email)
        if title in titles or uploader is None:
            continue
        if uploader.role == "observer":  # observers do not upload; ASEC shares partners' material for them
            uploader = find_user("staff@asec.example.org")
        access = documents.Access(level, _get(Body, access_body) if access_body else None)
        if level == "named":
            access.orgs = [_get(Organisation, "PHL"), _get(Organisation, "ASEC"), _get(Organisation, "VNM")]
        details = documents.Details(title=title, org=_get(Organisation, org), doc_type=doc_type, language="en",
                                    body=_get(Body, body), action_line=line, tags=tags,
                                    description=text.splitlines()[0][:300])
        with documents.committing():
            documents.create(uploader, documents.Upload(io.BytesIO(text.encode()), filename), details, access)
        added += 1
    return added


# The 21st WGTIM Meeting, held back-to-back with the JWG, and the 20th before it with its action items.
DEMO_AGENDA = [
    ("Opening and adoption of the agenda", "Chair", 15, ["Draft agenda, 21st WGTIM Meeting"]),
    ("Country reports on minerals trade and investment", "Member States", 60,
     ["Malaysia country report on minerals trade, 2025"]),
    ("Progress of AMCAP-III action lines TI1.1 to TI3.2", "ASEAN Secretariat", 45, []),
    ("Any other business", "Chair", 10, []),
]
# (title, owner email or None, owner Member State or None, due in days from today, action line, status)
DEMO_ACTIONS = [
    ("Circulate updated tin and bauxite export statistics", None, "MYS", -10, "TI1.1", "open"),
    ("Draft terms of reference for the minerals investment study", "delegate.mys@example.gov.my", None, 45,
     "TI2.1", "in_progress"),
    ("Share national mineral policy reviews with the working group", None, "THA", 30, "TI1.2", "open"),
    ("Compile the trade barriers inventory", None, "MYS", -60, "TI3.1", "done"),
]


def _meeting(body: Body, number: int) -> Meeting | None:
    return db.session.execute(select(Meeting).where(Meeting.body_id == body.id, Meeting.number == number)
                              ).scalar_one_or_none()


def _doc(title: str) -> Document | None:
    return db.session.execute(select(Document).where(Document.title == title)).scalars().first()


def demo_meetings() -> int:
    """Add the demo meetings that are not there yet (dates relative to today); returns how many were added."""
    chair, staff = find_user("focal.mys@example.gov.my"), find_user("staff@asec.example.org")
    if chair is None or staff is None:
        return 0
    jwg_body, wgtim = _get(Body, "JWG"), _get(Body, "WGTIM")
    today = utcnow().date()
    added = 0
    jwg = _meeting(jwg_body, 18)
    if jwg is None:
        jwg = meetings.create_meeting(staff, jwg_body, meetings.MeetingDetails(
            starts_on=today + timedelta(days=44), ends_on=today + timedelta(days=44), start_time="09:00",
            timezone="Asia/Kuala_Lumpur", host=_get(Organisation, "MYS"), venue="Kuala Lumpur Convention Centre",
            status="confirmed", number=18))
        added += 1
    if _meeting(wgtim, 20) is None:
        held = meetings.create_meeting(chair, wgtim, meetings.MeetingDetails(
            starts_on=today - timedelta(days=170), ends_on=today - timedelta(days=169), start_time="09:00",
            timezone="Asia/Jakarta", host=_get(Organisation, "IDN"), venue="ASEAN Secretariat, Jakarta",
            online_url="https://meet.example.org/wgtim-20", chair=chair, status="held", number=20))
        meetings.add_item(chair, held, "Country reports", "Member States", 60)
        meetings.record_attendance(chair, held, {chair.id})
        for title, owner, state, due, line, status in DEMO_ACTIONS:
            item = assignments.add_action(chair, wgtim, assignments.ActionDetails(
                title, owner_user=find_user(owner) if owner else None,
                owner_org=_get(Organisation, state) if state else None, due_on=today + timedelta(days=due),
                action_line=line), held)
            if status != "open":
                assignments.set_action_status(chair, item, status)
        added += 1
    if _meeting(wgtim, 21) is None:
        meeting = meetings.create_meeting(chair, wgtim, meetings.MeetingDetails(
            starts_on=today + timedelta(days=42), ends_on=today + timedelta(days=43), start_time="09:30",
            timezone="Asia/Kuala_Lumpur", host=_get(Organisation, "MYS"), venue="Kuala Lumpur Convention Centre",
            chair=chair, status="confirmed", group_with=jwg, paper_deadline=today + timedelta(days=28),
            number=21))
        for title, presenter, minutes, papers in DEMO_AGENDA:
            item = meetings.add_item(chair, meeting, title, presenter, minutes)
            for doc in filter(None, map(_doc, papers)):
                meetings.attach_paper(chair, item, doc)
        meetings.publish_agenda(chair, meeting)
        meetings.rsvp(chair, meeting, "in_person")
        delegate = find_user("delegate.mys@example.gov.my")
        if delegate is not None and delegate.body_role(wgtim.id):
            meetings.rsvp(delegate, meeting, "online")
        added += 1
    db.session.commit()
    return added


# AMCAP progress: lead Member States for a few AMCAP-III Phase 2 action lines, two yearly milestones each, and
# accepted quarterly reports, so the plan's dashboard, trend and matrix have something to show. The plan is shared
# with partners, so an observer sees its structure and rates (never its reports or packs).
# (action line, leads, participants, [(year, quarter, status, % done of the 2023 and 2025 milestones)])
DEMO_PROGRESS = [
    ("TI1.1", ["MYS"], ["THA", "PHL"], [(2023, 4, "on_track", 100, 20), (2024, 4, "on_track", 100, 60),
                                        (2025, 3, "completed", 100, 100)]),
    ("TI1.2", ["MYS", "PHL"], ["IDN"], [(2023, 4, "on_track", 80, 10), (2024, 4, "delayed", 90, 30)]),
    ("TI2.1", ["THA"], ["VNM"], [(2024, 2, "on_track", 100, 40), (2025, 2, "completed", 100, 100)]),
    ("ES1.1", ["THA"], ["LAO", "KHM"], [(2024, 4, "delayed", 60, 10), (2025, 3, "delayed", 70, 35)]),
    ("MD1.1", ["PHL"], ["IDN", "MYS"], [(2023, 4, "on_track", 100, 0), (2025, 1, "completed", 100, 100)]),
    ("IH1.3", ["VNM"], [], [(2025, 2, "on_track", 100, 50)]),
]


def demo_plans() -> int:
    """Leads, milestones and accepted reports on a few AMCAP-III Phase 2 lines; returns how many reports
    were added (none when they exist already)."""
    from datetime import datetime, time

    from aocp.plans import reports
    from aocp.plans import services as plans
    from aocp.plans.models import ActionLine, Plan, ReportRevision

    staff, admin = find_user("staff@asec.example.org"), find_user("admin@asec.example.org")
    plan = db.session.execute(select(Plan).where(Plan.code == "AMCAP-III-P2")).scalar_one_or_none()
    if staff is None or admin is None or plan is None or plan.status != "active":
        return 0
    # Partners (the demo's observers) follow AMCAP-III's structure and rates; its reports stay with ASEAN.
    plans.share_with_partners(staff, plan, True)
    added = 0
    for code, leads, participants, progress in DEMO_PROGRESS:
        line = db.session.execute(select(ActionLine).where(ActionLine.plan_id == plan.id, ActionLine.code == code)
                                  ).scalar_one_or_none()
        if line is None:
            continue
        if not line.leads:
            plans.update_action_line(staff, line, text=line.text, body=line.body,
                                     leads=[_get(Organisation, c) for c in leads],
                                     participants=[_get(Organisation, c) for c in participants],
                                     indicators=line.indicators)
        if not line.milestones:
            plans.add_milestone(staff, line, year=2023, text=f"{code}: regional study completed",
                                target="Study endorsed by the working group")
            plans.add_milestone(staff, line, year=2025, text=f"{code}: recommendations implemented",
                                target="Reported by every lead Member State")
        first, last = line.milestones[0], line.milestones[-1]
        for year, quarter, status, early, late in progress:
            if reports.get_report(line, year, quarter) is not None:
                continue
            report = reports.save_draft(staff, line, year, quarter, status=status,
                                        narrative=f"{code}: progress in {year} Q{quarter} as reported by the lead.",
                                        milestones={first.id: early, last.id: late})
            reports.submit_report(staff, report, report.version)
            reports.accept_report(admin, report, report.version, "Accepted at the working group meeting.")
            # Date the history to the quarter's reporting deadline, so past dates on the dashboard show it.
            when = datetime.combine(reports.report_deadline(year, quarter), time(9))
            for revision in db.session.execute(select(ReportRevision).where(
                    ReportRevision.report_id == report.id)).scalars():
                revision.created_at = when
            report.submitted_at = report.reviewed_at = when
            added += 1
    db.session.commit()
    return added
