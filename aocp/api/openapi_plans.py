"""The OpenAPI description of the plan endpoints (plans.py and plan_reports.py): plans, action lines, milestones,
reports, rates."""
from __future__ import annotations

from aocp.api.openapi import PAGING, PATHS, SCHEMAS, STR, _errors, _ok, _op, _p, _page_of, _q, _ref
from aocp.plans.models import LINE_STATUSES, PLAN_STATUSES, REPORT_STATES

INT = {"type": "integer"}
NULL_INT = {"type": "integer", "nullable": True}
NULL_STR = {"type": "string", "nullable": True}
DAY = {"type": "string", "format": "date"}
TIME = {"type": "string", "format": "date-time"}
NULL_TIME = {**TIME, "nullable": True}
CODES = {"type": "array", "items": STR}
_LINE_STATUS = {"type": "string", "enum": list(LINE_STATUSES)}
_PLAN_STATUS = {"type": "string", "enum": list(PLAN_STATUSES)}
_CODE = _p("code", STR)
_LINE = _p("line_id", INT)
_PERIOD = [_LINE, _p("year", INT), _p("quarter", {"type": "integer", "minimum": 1, "maximum": 4})]
_AS_OF = _q("as_of", DAY, "Compute as of the end of this day (UTC), counting only reports accepted by then; "
                          "default now. Not in the future.")
_REPORT_NOTE = ("Progress reports are ASEAN's: partners (observers) get 403. A draft is read only by those who "
                "may edit it (404 for others). Writes send the `version` read; a stale version answers 409 with "
                "the current report in error.current.")
_SHARED_NOTE = (" Partners (observers) see only plans ASEC shares with them (`shared_with_partners`); any other "
                "plan, and its action lines, is unknown to them (404, or left out of lists).")


def _rate(extra: dict | None = None) -> dict:
    return {"type": "object", "properties": {"completed": INT, "counted": INT,
                                             "percent": {**NULL_INT, "description": "Rounded half up"},
                                             **(extra or {})}}


def _json(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _write(summary: str, rule: str, responses: dict, params: list, body: str | None, *codes: int) -> dict:
    op = _op(summary, rule, {**responses, **_errors(400, 404, 422, *codes)}, params=params, write=True)
    if body:
        op["requestBody"] = _json(body)
    return op


def _read(summary: str, rule: str, schema: dict, params: list, *codes: int) -> dict:
    return _op(summary, rule, {**_ok(schema), **_errors(404, *codes)}, params=params)


_GROUP = {"type": "object", "properties": {"key": NULL_STR, "label": STR, "rate": _ref("Rate"),
                                           "milestones": _ref("MilestoneRate")}}
_GROUPS = {"type": "array", "items": _GROUP}

SCHEMAS.update({
    "Plan": {"type": "object", "properties": {
        "id": INT, "code": {"type": "string", "example": "AMCAP-III-P2"}, "name": STR, "title": STR,
        "description": STR, "start_year": INT, "end_year": INT, "status": _PLAN_STATUS,
        "carried_from": {**NULL_STR, "description": "Code of the plan this one follows"}, "created_at": TIME,
        "shared_with_partners": {"type": "boolean", "description": "Partners (observers) may see the structure "
                                                                   "and published rates; never the reports"},
        "url": STR}},
    "PlanSharing": {"type": "object", "required": ["shared_with_partners"], "additionalProperties": False,
                    "properties": {"shared_with_partners": {"type": "boolean"}}},
    "PlanFull": {"allOf": [_ref("Plan"), {"type": "object", "properties": {
        "can_manage": {"type": "boolean"},
        "areas": {"type": "array", "items": {"type": "object", "properties": {
            "code": STR, "name": STR, "key_focus": STR, "working_group": NULL_STR,
            "strategies": {"type": "array", "items": {"type": "object", "properties": {
                "code": STR, "title": STR, "action_lines": {"type": "array", "items": {
                    "type": "object", "properties": {
                        "id": INT, "code": STR, "text": STR, "working_group": NULL_STR, "leads": CODES,
                        "participants": CODES, "milestones": INT, "status": _LINE_STATUS, "url": STR}}}}}}}}}}}]},
    "PlanCreate": {"type": "object", "required": ["code", "name", "start_year", "end_year"],
                   "additionalProperties": False, "properties": {
                       "code": {"type": "string", "maxLength": 32, "example": "AMCAP-IV-P1"},
                       "name": {"type": "string", "maxLength": 200}, "title": {"type": "string", "maxLength": 300},
                       "description": STR, "start_year": INT, "end_year": INT,
                       "status": {**_PLAN_STATUS, "default": "draft"},
                       "carried_from": {**NULL_STR, "description": "Code of the plan it follows"}}},
    "ActionLine": {"type": "object", "properties": {
        "id": INT, "plan": STR, "code": {"type": "string", "example": "TI1.1"}, "text": STR, "strategy": STR,
        "area": STR, "working_group": NULL_STR, "leads": CODES, "participants": CODES, "indicators": STR,
        "carried_from": {**NULL_INT, "description": "Id of the earlier plan's line it continues"},
        "status": {**_LINE_STATUS, "description": "As of now: the newest accepted report's status"},
        "url": STR}},
    "ActionLineFull": {"allOf": [_ref("ActionLine"), {"type": "object", "properties": {
        "milestones": {"type": "array", "items": _ref("Milestone")}, "can_manage": {"type": "boolean"},
        "can_report": {"type": "boolean"}}}]},
    "ActionLineUpdate": {"type": "object", "additionalProperties": False,
                         "description": "Only the fields sent change", "properties": {
                             "text": STR, "indicators": STR,
                             "working_group": {**NULL_STR, "description": "Body code; null for none"},
                             "leads": {**CODES, "description": "Member State codes"},
                             "participants": {**CODES, "description": "Organisation codes"}}},
    "Milestone": {"type": "object", "properties": {"id": INT, "action_line_id": INT, "year": INT, "text": STR,
                                                   "target": STR, "due_on": DAY}},
    "MilestoneCreate": {"type": "object", "required": ["year", "text"], "additionalProperties": False,
                        "properties": {"year": INT, "text": STR, "target": STR,
                                       "due_on": {**DAY, "description": "Within the year; default 31 December"}}},
    "Report": {"type": "object", "properties": {
        "id": INT, "action_line_id": INT, "action_line": STR, "year": INT, "quarter": INT,
        "state": {"type": "string", "enum": list(REPORT_STATES)}, "status": _LINE_STATUS, "narrative": STR,
        "issues": STR, "support_needed": STR, "reviewer_comment": STR, "version": INT,
        "milestones": {"type": "array", "items": {"type": "object", "properties": {
            "milestone_id": INT, "percent": INT}}},
        "evidence": {"type": "array", "items": INT, "description": "Document ids"},
        "created_at": TIME, "updated_at": TIME, "submitted_at": NULL_TIME, "reviewed_at": NULL_TIME,
        "can_edit": {"type": "boolean"}, "can_review": {"type": "boolean"}}},
    "ReportSave": {"type": "object", "required": ["status"], "additionalProperties": False, "properties": {
        "version": {**NULL_INT, "description": "Null or left out to create the report; else the version read"},
        "status": _LINE_STATUS, "narrative": STR, "issues": STR, "support_needed": STR,
        "milestones": {"type": "array", "description": "Replaces the % done per milestone", "items": {
            "type": "object", "required": ["milestone_id", "percent"], "properties": {
                "milestone_id": INT, "percent": {"type": "integer", "minimum": 0, "maximum": 100}}}},
        "evidence": {"type": "array", "items": INT, "description": "Document ids the caller may open"}}},
    "ReportSubmit": {"type": "object", "required": ["version"], "additionalProperties": False,
                     "properties": {"version": INT}},
    "ReportReview": {"type": "object", "required": ["version"], "additionalProperties": False,
                     "properties": {"version": INT, "comment": {
                         "type": "string", "maxLength": 5000, "description": "Required when returning"}}},
    "ReportRow": {"type": "object", "description": "An action line's report for a quarter: filed, or not started",
                  "properties": {
                      "plan": STR, "action_line_id": INT, "action_line": STR, "working_group": NULL_STR,
                      "leads": CODES, "year": INT, "quarter": INT,
                      "state": {"type": "string", "enum": ["not_started", *REPORT_STATES]},
                      "due_on": {**DAY, "description": "The quarter's reporting deadline"},
                      "overdue": {"type": "boolean", "description": "Still to file and past its deadline"},
                      "report_id": NULL_INT, "submitted_at": NULL_TIME,
                      "url": {"type": "string", "description": "The report (404 while not started)"}}},
    "Rate": _rate(),
    "MilestoneRate": {"type": "object", "properties": {"due": INT, "percent_sum": INT, "percent": NULL_INT}},
    "Rates": {"type": "object", "description": "Achievement rate: completed lines over lines not withdrawn; "
                                               "milestone-weighted rate: mean % done of milestones due",
              "properties": {
                  "plan": STR, "as_of": TIME, "overall": _ref("Rate"), "milestones": _ref("MilestoneRate"),
                  "status_counts": {"type": "object", "additionalProperties": INT},
                  "by_area": _GROUPS, "by_strategy": _GROUPS, "by_working_group": _GROUPS, "by_lead": _GROUPS,
                  "trend": {"type": "array", "items": _rate({"year": INT, "quarter": INT, "withdrawn": INT})}}},
})

_REPORT = "/action-lines/{line_id}/reports/{year}/{quarter}"

PATHS.update({
    "/plans": {
        "get": _op("Plans, newest first." + _SHARED_NOTE, "plans.view", {**_ok(_page_of("Plan")), **_errors(400)},
                   params=[_q("status", _PLAN_STATUS), *PAGING]),
        "post": _write("Create a plan (ASEC)", "plans.manage", _ok(_ref("Plan"), "201", "Created"), [],
                       "PlanCreate"),
    },
    "/plans/{code}": {
        "get": _read("A plan with its programme areas, strategies and action lines." + _SHARED_NOTE, "plans.view",
                     _ref("PlanFull"), [_CODE]),
        "patch": _write("Share the plan's structure and published rates with partners, or stop sharing (ASEC); "
                        "audited", "plans.manage", _ok(_ref("Plan")), [_CODE], "PlanSharing"),
    },
    "/plans/{code}/rates": {"get": _read("Achievement rates overall, by area, strategy, working group and lead "
                                         "country, status counts and the trend per quarter", "plans.view",
                                         _ref("Rates"), [_CODE, _AS_OF], 400)},
    "/action-lines": {"get": _op(
        "Action lines of every plan, filtered." + _SHARED_NOTE, "plans.view",
        {**_ok(_page_of("ActionLine")), **_errors(400)},
        params=[_q("plan", STR, "Plan code"), _q("area", STR, "Programme area code"),
                _q("strategy", STR, "Strategy code"), _q("wg", STR, "Responsible body code"),
                _q("lead", STR, "Lead Member State code"), _q("status", _LINE_STATUS, "Status as of now"),
                *PAGING])},
    "/action-lines/{line_id}": {
        "get": _read("An action line with its milestones", "plans.view", _ref("ActionLineFull"), [_LINE]),
        "patch": _write("Change an action line's text, working group, leads, participants or indicators (ASEC)",
                        "plans.manage", _ok(_ref("ActionLine")), [_LINE], "ActionLineUpdate", 409),
    },
    "/action-lines/{line_id}/milestones": {
        "get": _read("An action line's milestones", "plans.view",
                     {"type": "object", "properties": {"items": {"type": "array", "items": _ref("Milestone")}}},
                     [_LINE]),
        "post": _write("Add a yearly milestone (ASEC)", "plans.manage", _ok(_ref("Milestone"), "201", "Created"),
                       [_LINE], "MilestoneCreate", 409),
    },
    "/reports": {"get": _op(
        "Progress reports the caller may open, most urgent first (overdue, then still to file by due date, then "
        "the rest newest first; waiting for review: oldest submitted first). Quarters not started are listed for "
        "the quarters open for reporting (the current and the last) or the `due` quarter, in the plans being "
        "implemented. " + _REPORT_NOTE, "reports.view", {**_ok(_page_of("ReportRow")), **_errors(400)},
        params=[_q("state", {"type": "string", "enum": ["not_started", *REPORT_STATES]}),
                _q("lead", STR, "Lead organisation code (e.g. THA), or none"),
                _q("due", STR, "A quarter as YYYYQn (e.g. 2026Q4), or open: the current and the last quarter"),
                _q("plan", STR, "Plan code"), _q("body", STR, "Responsible working group code"),
                _q("review", {"type": "string", "enum": ["me"]}, "Submitted reports the caller may accept or "
                                                                 "return"),
                _q("mine", {"type": "string", "enum": ["1"]}, "Lines the caller's organisation leads or "
                                                              "contributes to"),
                *PAGING])},
    _REPORT: {
        "get": _read("The progress report of a quarter. " + _REPORT_NOTE, "reports.view", _ref("Report"), _PERIOD,
                     400),
        "put": _write("Save the quarter's report as a draft (lead Member States' focal persons and delegates, "
                      "ASEC). " + _REPORT_NOTE, "reports.edit",
                      {**_ok(_ref("Report")), **_ok(_ref("Report"), "201", "Created")}, _PERIOD, "ReportSave",
                      409),
    },
    _REPORT + "/submit": {"post": _write("Submit a draft or resubmit a returned report. " + _REPORT_NOTE,
                                         "reports.edit", _ok(_ref("Report")), _PERIOD, "ReportSubmit", 409)},
    _REPORT + "/return": {"post": _write("Return a submitted report with a comment (working-group chair or "
                                         "vice-chair, ASEC). " + _REPORT_NOTE, "reports.review",
                                         _ok(_ref("Report")), _PERIOD, "ReportReview", 409)},
    _REPORT + "/accept": {"post": _write("Accept a submitted report; it is locked from then on. " + _REPORT_NOTE,
                                         "reports.review", _ok(_ref("Report")), _PERIOD, "ReportReview", 409)},
})
