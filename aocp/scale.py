"""Realistic volumes for benchmarks: `flask --app app demo --scale N`.

At scale 1: 1,000 people across the ten Member States, ASEC and the partners (with working-group
memberships), 10,000 documents with one to three versions (each version a small real file in the upload
directory, so downloads work), 500 meetings with agenda items, papers, participants and action items, and a
generated plan beside AMCAP-III with 100 action lines, yearly milestones and ten years of accepted quarterly
progress reports (each frozen as ReportRevisions, so rates as of any date work). Other scales multiply every
count (0.1 gives a tenth). Rows go in with SQLAlchemy Core executemany inserts; everything is derived from
row numbers, so the same scale always gives the same data. Every generated person signs in with
SCALE_PASSWORD; their addresses end in @scale.example.org.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import column, func, insert, select, table, text

from aocp.accounts.models import User
from aocp.accounts.passwords import hash_password
from aocp.documents.models import Document, DocumentTag, DocumentVersion
from aocp.documents.storage import storage
from aocp.extensions import db
from aocp.meetings.models import ActionItem, AgendaItem, AgendaPaper, Meeting, Participant
from aocp.orgs.models import Body, Membership, Organisation
from aocp.plans import models as plan_models

SCALE_PASSWORD = "scale-data-2026-bench"
DOMAIN = "scale.example.org"
PLAN_CODE = "AMCAP-SCALE"
BATCH = 5000
START = datetime(2016, 1, 4, 8, 0)

# At scale 1.
PEOPLE, DOCUMENTS, MEETINGS, ACTION_LINES = 1000, 10_000, 500, 100
MEMBER_STATES = ["BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM"]
PARTNERS = ["CHN", "JPN", "KOR", "IGF", "CCOP", "AFMA"]
WORKING_GROUPS = ["WGTIM", "WGSMD", "WGCBM", "WGMID"]
MEETING_BODIES = ["WGTIM", "WGSMD", "WGCBM", "WGMID", "JWG", "ASOMM", "ASOMM3", "TF", "AMMIN"]
TYPES = ["meeting_paper", "country_report", "study", "capacity_building", "template", "other"]
LEVELS = ["everyone", "asean", "body", "named"]
COMMODITIES = ["nickel", "tin", "bauxite", "copper", "gold", "coal", "rare earths", "lithium", "iron ore",
               "manganese", "zinc", "cobalt"]
TOPICS = ["trade statistics", "investment policy", "mine closure", "geological survey", "minerals database",
          "capacity building", "environmental safeguards", "downstream processing", "artisanal mining",
          "critical minerals outlook", "occupational safety"]
AGENDA = ["Opening and adoption of the agenda", "Country reports", "Progress of AMCAP action lines",
          "Cooperation with dialogue partners", "Date and venue of the next meeting", "Any other business"]
LINE_PATH = ["not_started", "on_track", "on_track", "delayed", "on_track", "completed"]


class AlreadyThere(Exception):
    """Scale data is already in this database."""


@dataclass
class Counts:
    people: int
    documents: int
    versions: int
    meetings: int
    action_items: int
    action_lines: int
    reports: int


def sizes(scale: float) -> tuple[int, int, int, int]:
    """(people, documents, meetings, action lines) at `scale`; at least a few of each."""
    return (max(10, round(PEOPLE * scale)), max(10, round(DOCUMENTS * scale)), max(2, round(MEETINGS * scale)),
            max(1, round(ACTION_LINES * scale)))


def present() -> bool:
    return db.session.scalar(select(func.count()).select_from(User).where(User.email.like(f"%@{DOMAIN}"))) > 0


def _next_id(conn, model) -> int:
    return (conn.scalar(select(func.max(model.id))) or 0) + 1


def _fix_sequences(conn, tables: list[str]) -> None:
    """PostgreSQL: ids were given explicitly, so move each sequence past them."""
    if conn.dialect.name != "postgresql":
        return
    for name in tables:
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                          f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"))


def _insert(conn, model_or_table, rows: list[dict]) -> None:
    target = getattr(model_or_table, "__table__", model_or_table)
    for first in range(0, len(rows), BATCH):
        conn.execute(insert(target), rows[first:first + BATCH])


def generate(scale: float) -> Counts:
    """Fill the database at `scale` (inside an app context, on a database holding the reference data)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    if present():
        raise AlreadyThere(f"scale data is already in this database (people @{DOMAIN})")
    n_people, n_docs, n_meetings, n_lines = sizes(scale)
    orgs = {o.code: SimpleNamespace(id=o.id, name=o.name)
            for o in db.session.execute(select(Organisation)).scalars()}
    bodies = {b.code: b.id for b in db.session.execute(select(Body)).scalars()}
    pw_hash = hash_password(SCALE_PASSWORD)
    db.session.commit()
    with db.engine.begin() as conn:
        people = _people(conn, n_people, orgs, bodies, pw_hash)
        docs, versions = _documents(conn, n_docs, people, orgs, bodies)
        meetings, actions = _meetings(conn, n_meetings, people, bodies, {c: o.id for c, o in orgs.items()}, docs)
        reports = _plan(conn, n_lines, people, orgs, bodies)
        _fix_sequences(conn, ["users", "memberships", "documents", "document_versions", "meetings",
                              "agenda_items", "action_items", "participants", "plans", "programme_areas",
                              "strategies", "action_lines", "milestones", "progress_reports", "report_revisions"])
    if db.engine.dialect.name == "postgresql":  # planner statistics, as autovacuum would gather after a load
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return Counts(len(people.ids), docs, versions, meetings, actions, n_lines, reports)


# --- people -----------------------------------------------------------------------------------

@dataclass
class People:
    ids: list[int]
    org_of: dict[int, str]  # user id -> organisation code
    by_org: dict[str, list[int]]
    members: dict[str, list[int]]  # body code -> member user ids
    asec: list[int]


def person_email(n: int, org_code: str) -> str:
    return f"person{n}.{org_code.lower()}@{DOMAIN}"


def _people(conn, total: int, orgs: dict, bodies: dict, pw_hash: str) -> People:
    """80% from the Member States, 10% ASEC, 10% partners. In each Member State the first person is its focal
    person (member of ASOMM, JWG, the TF and two working groups); the others are delegates in one or two groups."""
    first = _next_id(conn, User)
    users, memberships = [], []
    people = People([], {}, {}, {code: [] for code in bodies}, [])
    for n in range(total):
        share = n % 10
        if share < 8:
            code = MEMBER_STATES[(n // 10 * 8 + share) % 10]
        elif share == 8:
            code = "ASEC"
        else:
            code = PARTNERS[(n // 10) % len(PARTNERS)]
        uid = first + n
        index_in_org = len(people.by_org.get(code, []))
        if code == "ASEC":
            role = "asec_staff"
        elif code in PARTNERS:
            role = "observer"
        else:
            role = "focal_person" if index_in_org == 0 else "delegate"
        users.append({"id": uid, "email": person_email(n, code), "name": f"{orgs[code].name} person {n}",
                      "org_id": orgs[code].id, "role": role, "status": "active", "password_hash": pw_hash,
                      "password_changed_at": START, "mfa_enabled": False, "mfa_last_step": 0, "failed_logins": 0,
                      "created_at": START + timedelta(hours=n), "timezone": "Asia/Jakarta"})
        people.ids.append(uid)
        people.org_of[uid] = code
        people.by_org.setdefault(code, []).append(uid)
        if role == "asec_staff":
            people.asec.append(uid)
        if role == "focal_person":
            groups = [("ASOMM", "member"), ("JWG", "member"), ("TF", "member"),
                      (WORKING_GROUPS[n % 4], "chair" if n < 40 else "member"),
                      (WORKING_GROUPS[(n + 1) % 4], "member")]
        elif role == "observer":
            groups = [("ASOMM3", "observer"), (WORKING_GROUPS[n % 4], "observer")]
        else:
            groups = [(WORKING_GROUPS[n % 4], "member")] + ([(WORKING_GROUPS[(n + 2) % 4], "member")]
                                                            if n % 3 == 0 else [])
            if role == "asec_staff":
                groups.append(("JWG", "member"))
        seen = set()
        for body_code, body_role in groups:
            if body_code in seen:
                continue
            seen.add(body_code)
            memberships.append({"user_id": uid, "body_id": bodies[body_code], "role": body_role})
            people.members[body_code].append(uid)
    _insert(conn, User, users)
    _insert(conn, Membership, memberships)
    return people


# --- documents --------------------------------------------------------------------------------

_search = {name: table("document_search", column(key), column("title"), column("description"), column("tags"),
                       column("body"))
           for name, key in (("sqlite", "rowid"), ("postgresql", "document_id"))}


def _documents(conn, total: int, people: People, orgs: dict, bodies: dict) -> tuple[int, int]:
    """`total` documents, each with 1-3 versions whose files are written to the upload directory."""
    store = storage()
    first = _next_id(conn, Document)
    dialect = conn.dialect.name
    key = "rowid" if dialect == "sqlite" else "document_id"
    uploaders = [uid for uid in people.ids if people.org_of[uid] not in PARTNERS]
    written = 0
    for start in range(0, total, BATCH):
        docs, versions, tags, search_rows = [], [], [], []
        for i in range(start, min(start + BATCH, total)):
            doc_id = first + i
            uploader = uploaders[(i * 7) % len(uploaders)]
            org_code = people.org_of[uploader]
            doc_type, level = TYPES[i % 6], LEVELS[(i // 2) % 4]
            commodity, topic = COMMODITIES[(i // 6) % len(COMMODITIES)], TOPICS[i % len(TOPICS)]
            created = START + timedelta(hours=(i * 7919) % 87_600)
            title = f"{doc_type.replace('_', ' ').capitalize()} on {commodity} {topic} {created.year} no. {doc_id}"
            description = (f"Prepared for the working group on {topic}; covers {commodity} production, trade and "
                           f"policy developments in {created.year}.")
            body_text = (f"{title}. {description} Tables of {commodity} exports, a review of {topic}, "
                         f"recommendations for AMCAP-III and annexes with national statistics.")
            n_versions = 1 + i % 3
            docs.append({
                "id": doc_id, "title": title, "description": description, "doc_type": doc_type, "language": "en",
                "org_id": orgs[org_code].id, "body_id": None if i % 5 == 4 else bodies[WORKING_GROUPS[(i // 3) % 4]],
                "action_line": "", "meeting_id": None, "access_level": "asean" if level == "named" else level,
                "access_body_id": bodies[WORKING_GROUPS[i % 4]] if level == "body" else None,
                "uploader_id": uploader, "created_at": created,
                "updated_at": created + timedelta(days=7 * (n_versions - 1)), "deleted_at": None,
                "deleted_by_id": None, "version_count": n_versions})
            for n in range(1, n_versions + 1):
                content = f"{body_text}\nVersion {n}.\n".encode()
                storage_key = f"scale{doc_id:010d}v{n:03d}"
                path = store.path(storage_key)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
                versions.append({
                    "document_id": doc_id, "number": n, "storage_key": storage_key,
                    "original_name": f"{doc_type}-{doc_id}-v{n}.txt", "content_type": "text/plain",
                    "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
                    "note": "First version" if n == 1 else f"Revision {n}", "uploaded_by_id": uploader,
                    "created_at": created + timedelta(days=7 * (n - 1)), "text": content.decode()})
            doc_tags = sorted({commodity.replace(" ", "-"), topic.split()[0]})
            tags += [{"document_id": doc_id, "name": t} for t in doc_tags]
            search_rows.append({key: doc_id, "title": title, "description": description, "tags": " ".join(doc_tags),
                                "body": body_text})
        conn.execute(insert(Document.__table__), docs)
        conn.execute(insert(DocumentVersion.__table__), versions)
        conn.execute(insert(DocumentTag.__table__), tags)
        conn.execute(insert(_search[dialect]), search_rows)
        written += len(versions)
    return total, written


# --- meetings ---------------------------------------------------------------------------------

def _meetings(conn, total: int, people: People, bodies: dict, org_ids: dict, n_docs: int) -> tuple[int, int]:
    """`total` meetings spread over the bodies and 2016-2027, each with 4-6 agenda items (the country reports
    item carries two papers), the body's members as participants (up to 20) and three action items."""
    first_meeting, first_item = _next_id(conn, Meeting), _next_id(conn, AgendaItem)
    first_action = _next_id(conn, ActionItem)
    first_doc = _next_id(conn, Document) - n_docs
    numbers = dict(conn.execute(select(Meeting.body_id, func.max(Meeting.number)).group_by(Meeting.body_id)
                                      ).all())
    meetings, items, papers, participants, actions = [], [], [], [], []
    today = date(2026, 11, 25)
    for m in range(total):
        body_code = MEETING_BODIES[m % len(MEETING_BODIES)]
        body_id = bodies[body_code]
        numbers[body_id] = (numbers.get(body_id) or 0) + 1
        mid = first_meeting + m
        starts = date(2016, 2, 1) + timedelta(days=(m * 4383) // max(total, 1))
        members = people.members[body_code] or people.asec
        chair = members[0]
        meetings.append({
            "id": mid, "body_id": body_id, "number": numbers[body_id], "starts_on": starts,
            "ends_on": starts + timedelta(days=1), "start_time": "09:00", "timezone": "Asia/Jakarta",
            "host_org_id": None, "venue": f"{MEMBER_STATES[m % 10]} convention centre", "online_url": "",
            "chair_id": chair, "status": "held" if starts < today else "confirmed", "group_with_id": None,
            "paper_deadline": starts - timedelta(days=14), "agenda_published_at": datetime.combine(
                starts - timedelta(days=30), datetime.min.time()), "created_by_id": chair,
            "created_at": datetime.combine(starts - timedelta(days=60), datetime.min.time())})
        for p in range(4 + m % 3):
            item_id = first_item + len(items)
            items.append({"id": item_id, "meeting_id": mid, "position": p + 1, "title": AGENDA[p],
                          "presenter": "Chair" if p == 0 else "Member States", "duration_minutes": 15 + 15 * (p % 3),
                          "notes": ""})
            if p == 1 and n_docs:
                for k in range(2):
                    papers.append({"agenda_item_id": item_id, "document_id": first_doc + (m * 2 + k) % n_docs})
        for uid in members[:20]:
            participants.append({"meeting_id": mid, "user_id": uid,
                                 "rsvp": ("in_person", "online", "invited")[uid % 3],
                                 "attended": (uid % 5 != 0) if starts < today else None,
                                 "invited_at": datetime.combine(starts - timedelta(days=45), datetime.min.time())})
        owner_org = org_ids[people.org_of[chair]]
        for a in range(3):
            owner = members[(a + 1) % len(members)]
            due = starts + timedelta(days=90 + 30 * a)
            status = ("done", "in_progress", "open")[a] if due < today else "open"
            actions.append({
                "id": first_action + len(actions), "body_id": body_id, "meeting_id": mid,
                "title": f"Follow up item {a + 1} of meeting {mid}: {TOPICS[(m + a) % len(TOPICS)]}",
                "owner_user_id": owner if a != 2 else None,
                "owner_org_id": None if a != 2 else owner_org, "due_on": due, "status": status,
                "action_line": "", "created_by_id": chair,
                "created_at": datetime.combine(starts + timedelta(days=1), datetime.min.time()),
                "closed_at": datetime.combine(due, datetime.min.time()) if status == "done" else None})
    _insert(conn, Meeting, meetings)
    _insert(conn, AgendaItem, items)
    _insert(conn, AgendaPaper, papers)
    _insert(conn, Participant, participants)
    _insert(conn, ActionItem, actions)
    return total, len(actions)


# --- the generated plan -----------------------------------------------------------------------

def _plan(conn, n_lines: int, people: People, orgs: dict, bodies: dict) -> int:
    """A ten-year plan (2016-2025) beside AMCAP-III: four areas, five strategies each, the action lines spread
    over them, one milestone per line and year, and 40 quarterly reports per line, each submitted and accepted
    (two ReportRevisions) a few weeks after its quarter, with the year's milestone progress."""
    plan_id = _next_id(conn, plan_models.Plan)
    conn.execute(insert(plan_models.Plan.__table__), [{
        "id": plan_id, "code": PLAN_CODE, "name": "Generated plan 2016-2025 (scale data)",
        "title": "A generated plan for benchmarks, beside AMCAP-III", "description": "", "start_year": 2016,
        "end_year": 2025, "status": "active", "carried_from_id": None, "created_by_id": None,
        "created_at": START}])
    area0, strat0, line0, ms0, rep0, rev0 = (_next_id(conn, getattr(plan_models, name)) for name in (
        "ProgrammeArea", "Strategy", "ActionLine", "Milestone", "ProgressReport", "ReportRevision"))
    areas = [{"id": area0 + a, "plan_id": plan_id, "code": f"SA{a + 1}", "name": f"Area {a + 1}: {wg}",
              "key_focus": "", "working_group_id": bodies[wg], "position": a} for a, wg in enumerate(WORKING_GROUPS)]
    strategies = [{"id": strat0 + s, "plan_id": plan_id, "area_id": area0 + s // 5,
                   "code": f"S{s // 5 + 1}.{s % 5 + 1}", "title": f"Strategy {s + 1}: {TOPICS[s % len(TOPICS)]}",
                   "position": s % 5} for s in range(20)]
    lines, leads, milestones, reports, revisions, progress = [], [], [], [], [], []
    for i in range(n_lines):
        lid = line0 + i
        s = i % 20
        area = s // 5
        lines.append({"id": lid, "plan_id": plan_id, "strategy_id": strat0 + s, "code": f"L{s + 1}.{i // 20 + 1}",
                      "text": f"Action line {i + 1} on {TOPICS[i % len(TOPICS)]} of {COMMODITIES[i % 12]}",
                      "body_id": bodies[WORKING_GROUPS[area]], "indicators": "Reports filed; milestones met",
                      "position": i, "carried_from_id": None, "created_at": START})
        for k in range(1 + i % 2):
            leads.append({"action_line_id": lid, "org_id": orgs[MEMBER_STATES[(i + k * 3) % 10]].id})
        lead_people = people.by_org.get(MEMBER_STATES[i % 10]) or people.ids
        reviewer = (people.members[WORKING_GROUPS[area]] or people.asec or people.ids)[0]
        for y in range(10):
            milestones.append({"id": ms0 + i * 10 + y, "action_line_id": lid, "year": 2016 + y,
                               "text": f"Milestone {2016 + y} of line {i + 1}", "target": "",
                               "due_on": date(2016 + y, 12, 31)})
        _line_reports(i, lid, ms0, (rep0, rev0), (lead_people, reviewer), (reports, revisions, progress))
    _insert(conn, plan_models.ProgrammeArea, areas)
    _insert(conn, plan_models.Strategy, strategies)
    _insert(conn, plan_models.ActionLine, lines)
    _insert(conn, plan_models.action_line_leads, leads)
    _insert(conn, plan_models.Milestone, milestones)
    _insert(conn, plan_models.ProgressReport, reports)
    _insert(conn, plan_models.MilestoneProgress, progress)
    _insert(conn, plan_models.ReportRevision, revisions)
    return len(reports)


def _line_reports(i: int, lid: int, ms0: int, first_ids: tuple[int, int], who: tuple[list, int],
                  rows: tuple[list, list, list]) -> None:
    """Line i's 40 quarterly reports, each submitted and accepted (two revisions), with milestone progress."""
    rep0, rev0 = first_ids
    lead_people, reviewer = who
    reports, revisions, progress = rows
    for q in range(40):
        year, quarter = 2016 + q // 4, q % 4 + 1
        rid = rep0 + len(reports)
        status = LINE_PATH[min(len(LINE_PATH) - 1, (q * (3 + i % 4)) // 20)]
        if i % 10 == 9:
            status = "delayed" if q > 20 else status
        quarter_end = date(year, 3 * quarter, 28)
        submitted = datetime.combine(quarter_end + timedelta(days=10), datetime.min.time())
        accepted = submitted + timedelta(days=10)
        author = lead_people[q % len(lead_people)]
        percent = min(100, quarter * 25)
        ms_id = ms0 + i * 10 + q // 4
        reports.append({
            "id": rid, "action_line_id": lid, "year": year, "quarter": quarter, "status": status,
            "narrative": f"Progress in {year} Q{quarter}: activities carried out as planned.", "issues": "",
            "support_needed": "", "state": "accepted", "reviewer_comment": "", "version": 3,
            "created_by_id": author, "created_at": submitted - timedelta(days=5), "updated_by_id": reviewer,
            "updated_at": accepted, "submitted_at": submitted, "submitted_by_id": author,
            "reviewed_by_id": reviewer, "reviewed_at": accepted})
        progress.append({"report_id": rid, "milestone_id": ms_id, "percent": percent})
        for state, version, when, by in (("submitted", 2, submitted, author), ("accepted", 3, accepted, reviewer)):
            snap = {"action_line_id": lid, "year": year, "quarter": quarter, "state": state, "status": status,
                    "narrative": reports[-1]["narrative"], "issues": "", "support_needed": "",
                    "reviewer_comment": "", "version": version, "milestones": {str(ms_id): percent},
                    "evidence": []}
            revisions.append({"id": rev0 + len(revisions), "report_id": rid, "action_line_id": lid,
                              "year": year, "quarter": quarter, "state": state, "line_status": status,
                              "report_version": version, "snapshot": json.dumps(snap, sort_keys=True),
                              "created_by_id": by, "created_at": when})
