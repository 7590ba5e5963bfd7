"""API endpoints for meetings: scheduling, details, agenda and papers, participants.

The same services and policy as the pages. A workspace or meeting the caller may not see answers 404
on every route (the refusal is audited); one they may see but not change answers 403. Papers keep
their own access level: an agenda lists only the papers the caller may open. Workspaces are in
workspaces.py; decisions, action items and minutes in meeting_records.py.
"""
from __future__ import annotations

from flask import abort, g, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from aocp.accounts.models import User, load_memberships
from aocp.api import bp
from aocp.api.auth import api_guard
from aocp.api.meeting_fields import handled
from aocp.documents.access import visible_clause
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.http import MAX_ID, Fields, json_body, paginated
from aocp.meetings import access, services, timetable
from aocp.meetings.loading import DETAILS, load_item, load_meeting, load_workspace
from aocp.meetings.models import MEETING_STATUSES, RSVP, AgendaItem, AgendaPaper, Meeting, Participant
from aocp.orgs.models import Body, Membership, Organisation
from aocp.policy import PermissionDenied, can
from aocp.timeutil import utcnow

MEETING_FIELDS = {"starts_on", "ends_on", "start_time", "end_time", "timezone", "host", "venue", "online_url", "chair",
                  "status", "group_with", "paper_deadline", "number"}
ITEM_FIELDS = {"title", "presenter", "duration_minutes", "notes", "kind", "day", "fixed_start"}


# --- JSON shapes -----------------------------------------------------------------------------------

def _time(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def _day(value) -> str | None:
    return value.isoformat() if value else None


def person(u: User | None) -> dict | None:
    return {"id": u.id, "name": u.name, "org": u.org.code} if u else None


def meeting_options() -> tuple:
    """What a meeting's JSON reads besides its own row, loaded with it (no query per meeting)."""
    return DETAILS


def meeting_json(m: Meeting) -> dict:
    return {"id": m.id, "body": m.body.code, "number": m.number, "title": m.title, "starts_on": _day(m.starts_on),
            "ends_on": _day(m.ends_on), "start_time": m.start_time, "end_time": m.end_time, "timezone": m.timezone,
            "host": m.host.code if m.host else None, "venue": m.venue, "online_url": m.online_url,
            "chair": person(m.chair), "status": m.status, "group_with": m.group_with_id,
            "paper_deadline": _day(m.paper_deadline), "agenda_published_at": _time(m.agenda_published_at),
            "agenda_changed_since_published": timetable.changed_since_published(m), "created_at": _time(m.created_at), "url": url_for("api.get_meeting", meeting_id=m.id)}


def paper_json(doc: Document) -> dict:
    return {"id": doc.id, "title": doc.title, "type": doc.doc_type, "org": doc.org.code,
            "access": doc.access_level, "url": url_for("api.get_document", doc_id=doc.id)}


def item_json(item: AgendaItem, papers: list[Document], row: timetable.Row | None = None) -> dict:
    """An agenda item; with its timetable `row`, its number, start and end (venue time) and start as a moment."""
    timing = {"number": row.number, "start": row.start_text, "end": row.end_text,
              "starts_at": row.at.isoformat()} if row else {}
    return {"id": item.id, "position": item.position, "title": item.title, "presenter": item.presenter,
            "duration_minutes": item.duration_minutes, "notes": item.notes, "kind": item.kind, "day": item.day,
            "fixed_start": item.fixed_start, **timing, "papers": [paper_json(d) for d in papers]}


def participant_json(p: Participant) -> dict:
    return {"user_id": p.user_id, "name": p.user.name, "org": p.user.org.code, "rsvp": p.rsvp,
            "attended": p.attended, "invited_at": _time(p.invited_at)}


def _papers(item_ids: list[int], user: User) -> dict[int, list[Document]]:
    """The papers of these agenda items that `user` may open, by item (one query)."""
    grouped: dict[int, list[Document]] = {i: [] for i in item_ids}
    if item_ids:
        rows = db.session.execute(
            select(AgendaPaper.agenda_item_id, Document).join(Document, AgendaPaper.document_id == Document.id)
            .where(AgendaPaper.agenda_item_id.in_(item_ids), Document.deleted_at.is_(None), visible_clause(user))
            .options(joinedload(Document.org)).order_by(Document.title, Document.id))
        for item_id, doc in rows:
            grouped[item_id].append(doc)
    return grouped


def agenda_json(meeting: Meeting, user: User) -> list[dict]:
    items = db.session.execute(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                               .order_by(AgendaItem.position, AgendaItem.id)).scalars().all()
    papers = _papers([i.id for i in items], user)
    rows = {r.item.id: r for r in timetable.build(meeting, items).rows}
    return [item_json(i, papers[i.id], rows.get(i.id)) for i in timetable.ordered(items)]


def participants_json(meeting: Meeting) -> list[dict]:
    rows = db.session.execute(
        select(Participant).join(Participant.user).join(User.org).where(Participant.meeting_id == meeting.id)
        .options(joinedload(Participant.user)).order_by(Organisation.code, User.name, User.id)).scalars()
    return [participant_json(p) for p in rows]


def meeting_full_json(meeting: Meeting, user: User) -> dict:
    participants = participants_json(meeting)
    mine = next((p["rsvp"] for p in participants if p["user_id"] == user.id), None)
    return meeting_json(meeting) | {
        "agenda": agenda_json(meeting, user), "participants": participants, "my_rsvp": mine,
        "can_manage": can(user, "meetings.manage", meeting),
        "can_contribute": can(user, "meetings.contribute", meeting)}


# --- a workspace's meetings ---------------------------------------------------------------------------

@bp.get("/workspaces/<code>/meetings")
@api_guard("workspaces.view")
@handled
def list_meetings(code: str):
    body = load_workspace(code)
    stmt = select(Meeting).where(Meeting.body_id == body.id).options(*meeting_options())
    when = request.args.get("when", "all")
    today = utcnow().date()
    if when == "upcoming":
        stmt = stmt.where(Meeting.ends_on >= today).order_by(Meeting.starts_on, Meeting.number)
    elif when == "past":
        stmt = stmt.where(Meeting.ends_on < today).order_by(Meeting.starts_on.desc(), Meeting.number.desc())
    elif when == "all":
        stmt = stmt.order_by(Meeting.starts_on.desc(), Meeting.number.desc())
    else:
        abort(400, "when must be upcoming, past or all.")
    if (status := request.args.get("status")) is not None:
        if status not in MEETING_STATUSES:
            abort(400, f"Unknown meeting status: one of {', '.join(MEETING_STATUSES)}.")
        stmt = stmt.where(Meeting.status == status)
    return paginated(stmt, meeting_json)


def _meeting_details(data: dict, body: Body, current: Meeting | None = None) -> services.MeetingDetails:
    """The meeting as the JSON describes it; fields left out keep their current value (or the default)."""
    f = Fields(data, MEETING_FIELDS, required=() if current else ("starts_on",))
    starts_on = f.day("starts_on", current.starts_on if current else None, nullable=False)
    ends_on = f.day("ends_on", current.ends_on if current else starts_on, nullable=False)
    details = services.MeetingDetails(
        starts_on=starts_on, ends_on=ends_on,
        start_time=f.text("start_time", current.start_time if current else "09:00", 5, required=True),
        end_time=f.text("end_time", current.end_time if current else "", 5),
        timezone=f.text("timezone", current.timezone if current else "Asia/Jakarta", 64, required=True),
        host=f.org("host", current.host if current else None),
        venue=f.text("venue", current.venue if current else ""),
        online_url=f.text("online_url", current.online_url if current else "", 500),
        chair=current.chair if current else None,
        status=f.text("status", current.status if current else "planned", 16, required=True),
        group_with=current.group_with if current else None,
        paper_deadline=f.day("paper_deadline", current.paper_deadline if current else None),
        number=f.whole("number", 1, 100_000, nullable=True))
    if f.has("status") and details.status not in MEETING_STATUSES:
        f.fail("status", f"One of {', '.join(MEETING_STATUSES)}.")
    if current is not None and f.has("number") and data["number"] != current.number:
        f.fail("number", "A meeting's number cannot be changed.")
    if (chair_id := f.whole("chair", 1, MAX_ID, nullable=True)) is not None:
        chair = db.session.get(User, chair_id)
        if chair is None or not chair.is_active or not access.can_view(chair, body):
            f.fail("chair", "An active member of this body, or ASEC staff.")
        details.chair = chair
    elif f.has("chair"):
        details.chair = None
    if (group_id := f.whole("group_with", 1, MAX_ID, nullable=True)) is not None:
        other = db.session.get(Meeting, group_id)
        if other is None or not can(g.api_user, "workspaces.view", other):
            f.fail("group_with", "No meeting with this id that you may see.")
        details.group_with = other
    elif f.has("group_with"):
        details.group_with = None
    f.check()
    return details


@bp.post("/workspaces/<code>/meetings")
@api_guard("meetings.manage")
@handled
def create_meeting(code: str):
    body = load_workspace(code, "meetings.manage")
    meeting = services.create_meeting(g.api_user, body, _meeting_details(json_body(), body))
    db.session.commit()
    data = meeting_full_json(meeting, g.api_user)
    return data, 201, {"Location": data["url"]}


# --- one meeting ------------------------------------------------------------------------------------

@bp.get("/meetings/<int:meeting_id>")
@api_guard("workspaces.view")
@handled
def get_meeting(meeting_id: int):
    return meeting_full_json(load_meeting(meeting_id), g.api_user)


@bp.patch("/meetings/<int:meeting_id>")
@api_guard("meetings.manage")
@handled
def update_meeting(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    services.update_meeting(g.api_user, meeting, _meeting_details(json_body(), meeting.body, meeting))
    db.session.commit()
    return meeting_full_json(meeting, g.api_user)


# --- agenda -----------------------------------------------------------------------------------------

@bp.post("/meetings/<int:meeting_id>/agenda")
@api_guard("meetings.manage")
@handled
def add_agenda_item(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    item = timetable.add(g.api_user, meeting, item_details(Fields(json_body(), ITEM_FIELDS, required=("title",)),
                                                           meeting))
    db.session.commit()
    return item_json(item, []), 201


def item_details(f: Fields, meeting: Meeting, item: AgendaItem | None = None) -> timetable.ItemDetails:
    """An agenda item as the JSON describes it; fields left out keep the item's value (or the default)."""
    details = timetable.ItemDetails(
        title=f.text("title", item.title if item else "", required=item is None),
        presenter=f.text("presenter", item.presenter if item else "", max_length=200),
        duration=f.whole("duration_minutes", 0, 10_000, default=item.duration_minutes if item else 15),
        notes=f.text("notes", item.notes if item else "", max_length=10_000, multiline=True),
        kind=f.text("kind", item.kind if item else "item", 16),
        day=f.whole("day", 1, 100, default=item.day if item else max((i.day for i in meeting.items), default=1)),
        fixed_start=None if f.data.get("fixed_start", "") is None
        else f.text("fixed_start", (item.fixed_start or "") if item else "", 5))
    f.check()
    return details


@bp.delete("/meetings/<int:meeting_id>/agenda/<int:item_id>")
@api_guard("meetings.manage")
@handled
def remove_agenda_item(meeting_id: int, item_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    services.remove_item(g.api_user, load_item(meeting, item_id))
    db.session.commit()
    return "", 204


@bp.put("/meetings/<int:meeting_id>/agenda/order")
@api_guard("meetings.manage")
@handled
def reorder_agenda(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    f = Fields(json_body(), {"order"}, required=("order",))
    order = f.ids("order") if f.has("order") else []
    if f.has("order") and len(order) != len(f.data["order"]):
        f.fail("order", "Each agenda item once.")
    f.check()
    services.reorder(g.api_user, meeting, order)
    db.session.commit()
    return {"items": agenda_json(meeting, g.api_user)}


@bp.post("/meetings/<int:meeting_id>/agenda/publish")
@api_guard("meetings.manage")
@handled
def publish_agenda(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    services.publish_agenda(g.api_user, meeting)
    db.session.commit()
    return meeting_full_json(meeting, g.api_user)


def _paper_id() -> int:
    f = Fields(json_body(), {"document_id"}, required=("document_id",))
    doc_id = f.whole("document_id", 1, MAX_ID)
    f.check()
    return doc_id


def _papers_of(item: AgendaItem) -> dict:
    return item_json(item, _papers([item.id], g.api_user)[item.id])


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/papers")
@api_guard("meetings.contribute")
@handled
def attach_paper(meeting_id: int, item_id: int):
    item = load_item(load_meeting(meeting_id, "meetings.contribute"), item_id)
    doc_id = _paper_id()
    doc = db.session.get(Document, doc_id)
    if doc is None or doc.deleted_at is not None or not can(g.api_user, "documents.view", doc):
        f = Fields({}, set())
        f.fail("document_id", "No document with this id that you may open.")
        f.check()
    attached = any(p.document_id == doc.id for p in item.papers)
    services.attach_paper(g.api_user, item, doc)
    db.session.commit()
    return _papers_of(item), 200 if attached else 201


@bp.delete("/meetings/<int:meeting_id>/agenda/<int:item_id>/papers")
@api_guard("meetings.manage")
@handled
def detach_paper(meeting_id: int, item_id: int):
    item = load_item(load_meeting(meeting_id, "meetings.manage"), item_id)
    doc_id = _paper_id()
    doc = db.session.get(Document, doc_id)
    if doc is None or not can(g.api_user, "documents.view", doc) \
            or not any(p.document_id == doc_id for p in item.papers):
        f = Fields({}, set())
        f.fail("document_id", "No paper with this id on this agenda item.")
        f.check()
    services.detach_paper(g.api_user, item, doc_id)
    db.session.commit()
    return "", 204


# --- participants -----------------------------------------------------------------------------------

@bp.get("/meetings/<int:meeting_id>/participants")
@api_guard("workspaces.view")
@handled
def list_participants(meeting_id: int):
    return {"items": participants_json(load_meeting(meeting_id))}


@bp.post("/meetings/<int:meeting_id>/participants")
@api_guard("meetings.manage")
@handled
def invite_participants(meeting_id: int):
    """Invite people by id, or every member of the body from one organisation."""
    meeting = load_meeting(meeting_id, "meetings.manage")
    f = Fields(json_body(), {"user_ids", "org"})
    if ("user_ids" in f.data) == ("org" in f.data):
        f.fail("user_ids", "Send either user_ids (a list of ids) or org (an organisation code).")
        f.check()
    people: list[User] = []
    if "user_ids" in f.data:
        if ids := f.ids("user_ids"):
            people = list(db.session.execute(select(User).where(User.id.in_(ids))).scalars())
            load_memberships(people)  # can_view reads them
            found = {p.id: p for p in people}
            refused = [i for i in ids if i not in found or not found[i].is_active
                       or not access.can_view(found[i], meeting)]
            if refused:
                f.fail("user_ids", "Not active members of this body (nor ASEC): "
                                   f"{', '.join(map(str, refused[:20]))}.")
    elif (org := f.org("org")) is None:
        f.fail("org", "An organisation code.")
    else:
        people = list(db.session.execute(
            select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.body_id == meeting.body_id, User.org_id == org.id)).scalars())
    f.check()
    invited = services.invite(g.api_user, meeting, people)
    db.session.commit()
    return {"invited": invited, "items": participants_json(meeting)}


@bp.put("/meetings/<int:meeting_id>/rsvp")
@api_guard("workspaces.view")  # invited observers (partners at a JWG) reply too, as on the meeting page
@handled
def answer_invitation(meeting_id: int):
    """The caller's own answer to an invitation (they must be among the participants)."""
    meeting = load_meeting(meeting_id)
    f = Fields(json_body(), {"rsvp"}, required=("rsvp",))
    answer = f.text("rsvp", required=True, max_length=16)
    if f.has("rsvp") and (answer not in RSVP or answer == "invited"):
        f.fail("rsvp", "in_person, online or not_attending.")
    f.check()
    if not db.session.execute(select(Participant.id).where(Participant.meeting_id == meeting.id,
                                                           Participant.user_id == g.api_user.id)).first():
        raise PermissionDenied("meetings.contribute", "You are not among this meeting's participants.")
    part = services.rsvp(g.api_user, meeting, answer)
    db.session.commit()
    return participant_json(part)


@bp.put("/meetings/<int:meeting_id>/attendance")
@api_guard("meetings.manage")
@handled
def record_attendance(meeting_id: int):
    meeting = load_meeting(meeting_id, "meetings.manage")
    f = Fields(json_body(), {"present"}, required=("present",))
    present = f.ids("present") if f.has("present") else []
    if present:
        invited = set(db.session.execute(select(Participant.user_id).where(
            Participant.meeting_id == meeting.id, Participant.user_id.in_(present))).scalars())
        if strangers := [i for i in present if i not in invited]:
            f.fail("present", f"Not participants of this meeting: {', '.join(map(str, strangers[:20]))}.")
    f.check()
    services.record_attendance(g.api_user, meeting, set(present))
    db.session.commit()
    return {"items": participants_json(meeting)}
