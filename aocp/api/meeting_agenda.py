"""API endpoints for the timetable and the steps of the minutes: read the timetable (days, numbers, times, total),
change an agenda item in place, read the published versions, circulate and adopt the minutes.

The same services and policy as the pages (timetable.py, services.py); a meeting the caller may not see answers
404, one they may see but not change 403; bad input 422 naming the field, nothing kept.
"""
from __future__ import annotations

from flask import g
from sqlalchemy import select

from aocp.api import bp
from aocp.api.auth import api_guard
from aocp.api.meeting_fields import handled
from aocp.api.meeting_records import _minutes
from aocp.api.meetings import ITEM_FIELDS, _papers, _time, item_details, item_json
from aocp.extensions import db
from aocp.http import Fields, json_body
from aocp.meetings import services, timetable
from aocp.meetings.loading import load_item, load_meeting
from aocp.meetings.models import AgendaVersion, Meeting


def timetable_json(meeting: Meeting, user) -> dict:
    plan = timetable.build(meeting, meeting.items)
    papers = _papers([i.id for i in meeting.items], user)
    version = timetable.latest_version(meeting)
    return {
        "meeting_id": meeting.id, "timezone": meeting.timezone, "start_time": meeting.start_time,
        "end_time": meeting.end_time, "total_minutes": plan.total,
        "published_at": _time(meeting.agenda_published_at), "version": version.number if version else None,
        "changed_since_published": timetable.changed_since_published(meeting),
        "days": [{"day": d.number, "date": d.on.isoformat(), "start": d.start_text if d.rows else None,
                  "end": d.end_text if d.rows else None, "runs_over": d.over,
                  "items": [item_json(r.item, papers[r.item.id], r) for r in d.rows]} for d in plan.days]}


@bp.get("/meetings/<int:meeting_id>/agenda")
@api_guard("workspaces.view")
@handled
def get_timetable(meeting_id: int):
    return timetable_json(load_meeting(meeting_id), g.api_user)


@bp.patch("/meetings/<int:meeting_id>/agenda/<int:item_id>")
@api_guard("meetings.manage")
@handled
def update_agenda_item(meeting_id: int, item_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    item = load_item(meeting, item_id)
    timetable.update(g.api_user, item, item_details(Fields(json_body(), ITEM_FIELDS), meeting, item))
    db.session.commit()
    return timetable_json(meeting, g.api_user)


@bp.get("/meetings/<int:meeting_id>/agenda/versions")
@api_guard("workspaces.view")
@handled
def agenda_versions(meeting_id: int):
    """Every published version, newest first, each a frozen copy of the timetable."""
    meeting = load_meeting(meeting_id)
    versions = db.session.execute(select(AgendaVersion).where(AgendaVersion.meeting_id == meeting.id)
                                  .order_by(AgendaVersion.number.desc()).limit(100)).scalars()
    return {"items": [{"number": v.number, "published_at": _time(v.published_at), "items": v.items}
                      for v in versions]}


@bp.post("/meetings/<int:meeting_id>/minutes/circulate")
@api_guard("meetings.manage")
@handled
def circulate_minutes(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    services.circulate_minutes(g.api_user, meeting)
    db.session.commit()
    return _minutes(meeting)


@bp.post("/meetings/<int:meeting_id>/minutes/adopt")
@api_guard("meetings.manage")
@handled
def adopt_minutes(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    services.adopt_minutes(g.api_user, meeting)
    db.session.commit()
    return _minutes(meeting)
