"""Readiness of meetings in SQL, for lists of many meetings at once (the home page, the upcoming meetings list).

The same rule as the meeting page (`views._readiness`): the delegations expected are the Member States with a
person in the meeting's body; a Member State has submitted when a country report of its own is filed for the
meeting or attached to its agenda (deleted documents never count). The columns here are correlated to `Meeting`,
so one statement reads any number of meetings with their readiness.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, func, or_, select

from aocp.accounts.models import User
from aocp.documents.models import Document
from aocp.meetings.models import AgendaItem, AgendaPaper, Meeting
from aocp.orgs.models import Membership, Organisation


def _country_report(org_id):
    return and_(Document.org_id == org_id, Document.doc_type == "country_report", Document.deleted_at.is_(None))


def reported(org_id):
    """SQL: the organisation `org_id` (a column or a value) has shared a country report for `Meeting`."""
    filed = exists().where(Document.meeting_id == Meeting.id, _country_report(org_id))
    attached = exists().where(AgendaItem.meeting_id == Meeting.id, AgendaPaper.agenda_item_id == AgendaItem.id,
                              Document.id == AgendaPaper.document_id, _country_report(org_id))
    return or_(filed, attached)


def _expected():
    """(body_id, org_id): the Member States with a person in each body."""
    return (select(Membership.body_id.label("body_id"), User.org_id.label("org_id"))
            .join(User, User.id == Membership.user_id).join(Organisation, Organisation.id == User.org_id)
            .where(Organisation.kind == "member_state").distinct().subquery("expected"))


def counts():
    """(expected, submitted): scalar SQL columns on `Meeting`, the delegations expected and those submitted."""
    expected_states = _expected()
    expected = (select(func.count()).select_from(expected_states)
                .where(expected_states.c.body_id == Meeting.body_id).scalar_subquery())
    submitting = _expected()
    submitted = (select(func.count()).select_from(submitting)
                 .where(submitting.c.body_id == Meeting.body_id, reported(submitting.c.org_id)).scalar_subquery())
    return expected.label("expected"), submitted.label("submitted")


def percent(expected: int, submitted: int) -> int | None:
    """Readiness in whole percent, None when no delegation is expected."""
    return None if not expected else submitted * 100 // expected
