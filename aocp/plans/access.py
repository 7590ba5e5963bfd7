"""Who may see plans and read, file and review progress reports (the policy's object rules call these).

ASEAN (Member States' people and ASEC) sees every plan; partners (observers) see a plan's structure and published
rates only when ASEC shares the plan with them, and never its reports (the policy grants them no `reports.view`).
A report belongs to its action line. Its lead Member States file it: their focal persons and delegates
edit, submit and resubmit. The chair and vice-chair of the action line's responsible working group review
it (accept or return). ASEC does both everywhere. Objects may be an ActionLine or a ProgressReport.
"""
from __future__ import annotations

from sqlalchemy import true

from aocp.accounts.models import ASEC_ROLES

FILERS = ("focal_person", "delegate")
REVIEWER_BODY_ROLES = ("chair", "vice_chair")
PARTNER_ROLES = ("observer",)


def line_of(obj):
    """The action line an object belongs to (an ActionLine, or a report with `action_line`)."""
    if obj is None or obj.__class__.__name__ == "ActionLine":
        return obj
    return getattr(obj, "action_line", None)


def plan_of(obj):
    """The plan an object belongs to (a Plan, or anything with `plan` or an `action_line`)."""
    if obj is None or obj.__class__.__name__ == "Plan":
        return obj
    line = line_of(obj)
    return getattr(line if line is not None else obj, "plan", None)


def can_view_plan(user, obj) -> bool:
    """ASEAN sees every plan; a partner only a plan ASEC shares with partners."""
    if user.role not in PARTNER_ROLES:
        return True
    plan = plan_of(obj)
    return plan is not None and plan.shared_with_partners


def visible_plans_clause(user, plan_model):
    """SQL: the plans the user may see (for lists of plans and action lines)."""
    return true() if user.role not in PARTNER_ROLES else plan_model.shared_with_partners.is_(True)


def is_lead_member(user, obj) -> bool:
    """True when the user works for one of the line's lead Member States (any role)."""
    line = line_of(obj)
    return line is not None and any(org.id == user.org_id for org in line.leads)


def can_edit_report(user, obj) -> bool:
    """ASEC, or a focal person or delegate of a lead Member State of the line."""
    if is_asec(user):
        return True
    return user.role in FILERS and is_lead_member(user, obj)


def can_review_report(user, obj) -> bool:
    """ASEC, or the chair or vice-chair of the line's responsible working group."""
    if is_asec(user):
        return True
    line = line_of(obj)
    if line is None or line.body_id is None or user.role == "observer":
        return False
    return user.body_role(line.body_id) in REVIEWER_BODY_ROLES


def is_asec(user) -> bool:
    return user.role in ASEC_ROLES


def can_change_report(user, obj) -> bool:
    """May save or submit now: a filer of the line, on a draft or returned report (or a line with none yet)."""
    if obj.__class__.__name__ == "ProgressReport" and obj.state not in ("draft", "returned"):
        return False
    return can_edit_report(user, obj)


def can_decide_report(user, report) -> bool:
    """May accept or return now: a reviewer of the line, on a submitted report."""
    return report.state == "submitted" and can_review_report(user, report)


def can_read_report(user, report) -> bool:
    """Drafts stay with their authors (the lead Member States and ASEC); filed reports are open to ASEAN
    (the policy's role rule `reports.view` already keeps partners out)."""
    return report.state != "draft" or can_edit_report(user, report)


def report_readers(report, line) -> list[str]:
    """Who may read this report and why, in words for its page (the same rules as `can_read_report`)."""
    leads = ", ".join(org.code for org in line.leads) or "none named yet"
    if report is None or report.state == "draft":
        return [(f"ASEC and the focal persons and delegates of the lead Member States ({leads}): a draft stays "
                 "with its authors until it is submitted."),
                "Nobody else, and never partners (observers)."]
    reviewers = f"the chair and vice-chair of {line.body.short_name}" if line.body else "ASEC"
    return [("ASEC and the people of every ASEAN Member State (focal persons and delegates): progress reports "
             "and their review history are ASEAN's own."),
            f"The lead Member States ({leads}) file it and {reviewers} review it.",
            "Not partners (observers), even when ASEC shares the plan's structure with them."]
