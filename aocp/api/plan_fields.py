"""What the plans API modules share: JSON shapes, the `as_of` and period checks and the mapping of the plans
services' errors to JSON answers (`handled`)."""
from __future__ import annotations

from datetime import date
from functools import wraps

from flask import g, request, url_for
from sqlalchemy.exc import IntegrityError

from aocp.extensions import db
from aocp.http import Invalid, json_error, parse_date
from aocp.plans.models import ActionLine, Milestone, Plan, ProgressReport
from aocp.plans.reports import Conflict
from aocp.plans.services import PlanError
from aocp.policy import can
from aocp.timeutil import utcnow


class BadRequest(Exception):
    """A query argument or a path part that cannot be used: 400 with what is wrong with each."""

    def __init__(self, message: str, fields: dict[str, str]):
        super().__init__(message)
        self.fields = fields


def handled(view):
    """Turn the plans services' errors into JSON answers; whatever went wrong, nothing is kept. (NotFound and
    PermissionDenied are the app's: 404 and 403.)"""
    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except BadRequest as err:
            db.session.rollback()
            return json_error(400, str(err), "bad_request", fields=err.fields)
        except Invalid as err:
            db.session.rollback()
            return json_error(422, "Some fields are not valid.", "validation_error", fields=err.fields)
        except Conflict as err:
            current = report_json(err.report, g.api_user) if err.report is not None else None
            db.session.rollback()
            return json_error(409, str(err), "conflict", current=current)
        except PlanError as err:
            db.session.rollback()
            if err.field:
                return json_error(422, "Some fields are not valid.", "validation_error", fields={err.field: str(err)})
            return json_error(409, str(err), "conflict")
        except IntegrityError:  # two requests creating the same thing at once
            db.session.rollback()
            return json_error(409, "Someone else changed this at the same time; try again.", "conflict")
    return wrapped


# --- JSON shapes -----------------------------------------------------------------------------------

def iso_time(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def plan_json(p: Plan) -> dict:
    return {"id": p.id, "code": p.code, "name": p.name, "title": p.title, "description": p.description,
            "start_year": p.start_year, "end_year": p.end_year, "status": p.status,
            "carried_from": p.carried_from.code if p.carried_from else None, "created_at": iso_time(p.created_at),
            "shared_with_partners": p.shared_with_partners,
            "url": url_for("api.get_plan", code=p.code)}


def line_json(line: ActionLine, status: str | None = None, orgs: tuple[list, list] | None = None) -> dict:
    """`orgs`: the line's lead and participant codes when already read (else from its relationships)."""
    leads, participants = orgs or ([o.code for o in line.leads], [o.code for o in line.participants])
    return {"id": line.id, "plan": line.plan.code, "code": line.code, "text": line.text,
            "strategy": line.strategy.code, "area": line.strategy.area.code,
            "working_group": line.body.code if line.body else None,
            "leads": leads, "participants": participants,
            "indicators": line.indicators, "carried_from": line.carried_from_id,
            **({"status": status} if status is not None else {}),
            "url": url_for("api.get_action_line", line_id=line.id)}


def milestone_json(m: Milestone) -> dict:
    return {"id": m.id, "action_line_id": m.action_line_id, "year": m.year, "text": m.text, "target": m.target,
            "due_on": m.due_on.isoformat()}


def report_json(r: ProgressReport, user) -> dict:
    return {"id": r.id, "action_line_id": r.action_line_id, "action_line": r.action_line.code, "year": r.year,
            "quarter": r.quarter, "state": r.state, "status": r.status, "narrative": r.narrative,
            "issues": r.issues, "support_needed": r.support_needed, "reviewer_comment": r.reviewer_comment,
            "version": r.version,
            "milestones": [{"milestone_id": mp.milestone_id, "percent": mp.percent}
                           for mp in sorted(r.milestone_progress, key=lambda mp: mp.milestone_id)],
            "evidence": sorted(e.document_id for e in r.evidence),
            "created_at": iso_time(r.created_at), "updated_at": iso_time(r.updated_at),
            "submitted_at": iso_time(r.submitted_at), "reviewed_at": iso_time(r.reviewed_at),
            "can_edit": can(user, "reports.change", r),
            "can_review": can(user, "reports.decide", r)}


def rate_json(rate) -> dict:
    return {"completed": rate.completed, "counted": rate.counted, "percent": rate.percent}


def milestone_rate_json(rate) -> dict:
    return {"due": rate.due, "percent_sum": rate.percent_sum, "percent": rate.percent}


def groups_json(groups) -> list[dict]:
    return [{"key": gr.key, "label": gr.label, "rate": rate_json(gr.rate),
             "milestones": milestone_rate_json(gr.milestones)} for gr in groups]


# --- query arguments and path parts ------------------------------------------------------------------

def as_of_arg() -> date | None:
    raw = request.args.get("as_of")
    if raw is None or raw == "":
        return None
    day = parse_date(raw)
    if day is None:
        raise BadRequest("as_of must be a date as YYYY-MM-DD.", {"as_of": "YYYY-MM-DD."})
    if day > utcnow().date():
        raise BadRequest("as_of cannot be in the future.", {"as_of": "Today or earlier."})
    return day


def check_period(year: int, quarter: int) -> None:
    if not 1 <= quarter <= 4:
        raise BadRequest("quarter must be 1, 2, 3 or 4.", {"quarter": "1 to 4."})
    if not 2000 <= year <= 2100:
        raise BadRequest("year must be between 2000 and 2100.", {"year": "2000 to 2100."})
