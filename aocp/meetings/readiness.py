"""Readiness of a meeting: which delegations are expected and which have filed their country report for it.

One rule, in SQL (lists of many meetings: the home page, the meetings ahead) and per delegation (the meeting's
readiness table, its CSV/XLSX export and its JSON):
- the delegations expected are all ten Member States for an ASEAN body, and the three partners (China, Japan,
  the Republic of Korea) too for ASOMM+3, whatever the body's current membership;
- a delegation has submitted when a country report of its own is filed for this meeting (the document's
  meeting); a report filed for another meeting never counts, even when attached to this agenda; deleted
  documents never count.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, case, exists, func, literal, or_, select

from aocp.accounts.models import User
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings.models import AgendaItem, AgendaPaper, Meeting, Participant
from aocp.orgs.models import Body, Membership, Organisation

PLUS_THREE = ("CHN", "JPN", "KOR")
PLUS_THREE_BODIES = ("ASOMM3",)
# A delegation's state, in the order "sort by state" shows them: what needs chasing first.
STATES = {"missing": "Not yet", "no_member": "No member in AOCP", "late": "Submitted late",
          "submitted": "Submitted"}


def expected_clause(body_id):
    """SQL on Organisation: the delegations expected at a meeting of the body `body_id` (a column or a literal)."""
    plus_three_bodies = select(Body.id).where(Body.code.in_(PLUS_THREE_BODIES))
    return or_(Organisation.kind == "member_state",
               and_(Organisation.code.in_(PLUS_THREE), body_id.in_(plus_three_bodies)))


def _country_report(org_id):
    return and_(Document.org_id == org_id, Document.doc_type == "country_report", Document.deleted_at.is_(None))


def reported(org_id):
    """SQL: the organisation `org_id` (a column or a value) has filed a country report for `Meeting`."""
    # Correlated to `Meeting` explicitly: inside `counts` the meeting is two levels up.
    return exists().where(Document.meeting_id == Meeting.id, _country_report(org_id)).correlate_except(Document)


def counts():
    """(expected, submitted): scalar SQL columns on `Meeting`, the delegations expected and those submitted."""
    expected = (select(func.count()).select_from(Organisation).where(expected_clause(Meeting.body_id))
                .scalar_subquery())
    submitted = (select(func.count()).select_from(Organisation)
                 .where(expected_clause(Meeting.body_id), reported(Organisation.id)).scalar_subquery())
    return expected.label("expected"), submitted.label("submitted")


def percent(expected: int, submitted: int) -> int | None:
    """Readiness in whole percent, None when no delegation is expected."""
    return None if not expected else submitted * 100 // expected


@dataclass
class Delegation:
    org_id: int
    code: str
    name: str
    people: int  # active accounts of the organisation in AOCP
    in_body: int  # of whom members of the meeting's body
    due: date | None
    in_person: int = 0
    online: int = 0
    not_attending: int = 0
    submitted_at: datetime | None = None
    changed_at: datetime | None = None
    attached: bool = False  # a report of its own filed for the meeting is on the agenda
    docs: list = field(default_factory=list)  # the reports the viewer may open (others are counted, not titled)

    @property
    def state(self) -> str:
        if self.submitted_at is not None:
            return "late" if self.due and self.submitted_at.date() > self.due else "submitted"
        return "no_member" if not self.people else "missing"

    @property
    def state_label(self) -> str:
        return STATES[self.state]


@dataclass
class Readiness:
    meeting: Meeting
    rows: list[Delegation]

    @property
    def expected(self) -> int:
        return len(self.rows)

    @property
    def submitted(self) -> int:
        return sum(1 for r in self.rows if r.submitted_at is not None)

    @property
    def percent(self) -> int | None:
        return percent(self.expected, self.submitted)

    def of(self, org_id: int) -> Delegation | None:
        return next((r for r in self.rows if r.org_id == org_id), None)

    def sorted(self, by: str) -> list[Delegation]:
        if by == "state":
            order = list(STATES)
            return sorted(self.rows, key=lambda r: (order.index(r.state), r.name))
        return self.rows


def _expected_orgs(meeting: Meeting) -> list:
    people = (select(func.count(User.id)).where(User.org_id == Organisation.id, User.status == "active")
              .scalar_subquery())
    in_body = (select(func.count(Membership.id)).join(User, User.id == Membership.user_id)
               .where(User.org_id == Organisation.id, User.status == "active",
                      Membership.body_id == meeting.body_id).scalar_subquery())
    return db.session.execute(
        select(Organisation.id, Organisation.code, Organisation.name, people.label("people"),
               in_body.label("in_body"))
        .where(expected_clause(literal(meeting.body_id))).order_by(Organisation.kind != "member_state", Organisation.name)).all()


def delegations(meeting: Meeting, visible=None) -> Readiness:
    """The readiness table of one meeting, in three statements whatever the number of people and papers;
    `visible` (the viewer's document rule) says which reports are titled."""
    rows = {o.id: Delegation(o.id, o.code, o.name, o.people, o.in_body, meeting.paper_deadline)
            for o in _expected_orgs(meeting)}
    on_agenda = (select(AgendaPaper.document_id).join(AgendaItem, AgendaItem.id == AgendaPaper.agenda_item_id)
                 .where(AgendaItem.meeting_id == meeting.id, AgendaPaper.document_id == Document.id).exists())
    opened = case((visible, True), else_=False) if visible is not None else literal(False)
    reports = db.session.execute(
        select(Document.id, Document.title, Document.org_id, Document.created_at, Document.updated_at,
               on_agenda.label("attached"), opened.label("opened"))
        .where(Document.meeting_id == meeting.id, Document.doc_type == "country_report",
               Document.deleted_at.is_(None), Document.org_id.in_(list(rows)))
        .order_by(Document.title)).all()
    for r in reports:
        row = rows[r.org_id]
        if row.submitted_at is None or r.created_at < row.submitted_at:
            row.submitted_at = r.created_at
        row.changed_at = max(filter(None, (row.changed_at, r.updated_at)))
        row.attached = row.attached or r.attached
        if r.opened:
            row.docs.append(r)
    replies = db.session.execute(
        select(User.org_id, Participant.rsvp, func.count(), func.max(Participant.replied_at))
        .join(User, User.id == Participant.user_id)
        .where(Participant.meeting_id == meeting.id, User.org_id.in_(list(rows)))
        .group_by(User.org_id, Participant.rsvp)).all()
    for org_id, rsvp, n, replied in replies:
        row = rows[org_id]
        if rsvp in ("in_person", "online", "not_attending"):
            setattr(row, rsvp, getattr(row, rsvp) + n)
        if replied is not None:
            row.changed_at = max(filter(None, (row.changed_at, replied)))
    return Readiness(meeting, list(rows.values()))
